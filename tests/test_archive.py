"""`newsletter archive`: only sent issues, their web copies without personal tokens where the emails' "view in
browser" links point, an index, an Atom feed that feedparser reads without complaint, and rebuilds that rewrite
nothing when nothing changed."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from conftest import ROOT
from newsletter.cli import cli
from newsletter.config import load_config
from newsletter.desk.archive import build_feed, collect_entries
from newsletter.issue.load import load_issue
from newsletter.message.personalize import personalize, web_values
from newsletter.render.html import render_issue, view_url
from newsletter.sending.ledger import LedgerWriter, ledger_path

ATOM = "{http://www.w3.org/2005/Atom}"
FIRST = "2015-03-16"
SECOND = "2015-03-23"


def record_send(
    sends: Path, slug: str, at: str, status: str = "sent", *, send_at: int | None = None, sandbox: bool = False
) -> None:
    """A send in the ledger's own record format (newsletter/ledger.py), written with its writer."""
    emails = ["asha@example.org", "ravi@example.org"]
    with LedgerWriter(ledger_path(sends, slug, sandbox=sandbox)) as ledger:
        ledger.append(
            {
                "type": "start",
                "run": 1,
                "at": at,
                "issue": slug,
                "provider": "outbox",
                "send_at": send_at,
                "batch_id": "b1" if send_at else "",
            }
        )
        ledger.append({"type": "recipients", "run": 1, "emails": emails})
        ledger.append({"type": "intent", "run": 1, "batch": 1, "emails": emails})
        if status:
            ledger.append({"type": "outcome", "run": 1, "batch": 1, "status": status, "message_id": "<m@x>"})


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """Two sent issues, a sandbox-only one, a failed one, an in-doubt one and a broken draft that was never sent."""
    shutil.copy(ROOT / "newsletter.toml", tmp_path / "newsletter.toml")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    issues = tmp_path / "issues"
    issues.mkdir()
    sample = (ROOT / "issues" / f"{FIRST}.yaml").read_text(encoding="utf-8")
    (issues / f"{FIRST}.yaml").write_text(sample, encoding="utf-8")
    second = sample.replace("number: 1", "number: 2").replace(f"date: {FIRST}", f"date: {SECOND}")
    second = second.replace(
        'subject: "Putin to meet top aide to Chinese president"', 'subject: "Second issue <&> test"'
    )
    (issues / f"{SECOND}.yaml").write_text(second, encoding="utf-8")
    for slug in ("2015-03-30", "2015-04-06", "2015-04-13"):
        (issues / f"{slug}.yaml").write_text(second.replace(f"date: {SECOND}", f"date: {slug}"), encoding="utf-8")
    (issues / "2015-04-20.yaml").write_text("subject: [a draft that does not even parse\n", encoding="utf-8")
    sends = tmp_path / "sends"
    record_send(sends, FIRST, "2015-03-16T09:30:00+05:30")
    record_send(sends, SECOND, "2015-03-22T18:00:00+00:00", send_at=1427097600)  # scheduled: 2015-03-23T08:00Z
    record_send(sends, "2015-03-30", "2015-03-30T08:00:00+00:00", sandbox=True)
    record_send(sends, "2015-04-06", "2015-04-06T08:00:00+00:00", status="failed")
    record_send(sends, "2015-04-13", "2015-04-13T08:00:00+00:00", status="")  # in doubt: no outcome recorded
    return tmp_path


def archive(site: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(site / "newsletter.toml"), "archive", *args])
    return result.exit_code, result.stdout, result.stderr


def test_archive_holds_the_sent_issues_only(site: Path) -> None:
    out = site / "public"
    code, stdout, stderr = archive(site, "-o", str(out))
    assert (code, stderr) == (0, "")
    assert stdout.splitlines() == [
        *(str(out / name) for name in (f"{SECOND}.html", f"{FIRST}.html", "index.html", "feed.xml")),
        f"{out}: 2 sent issue(s); 4 file(s) written, 0 unchanged.",
    ]
    assert sorted(p.name for p in out.iterdir()) == [f"{FIRST}.html", f"{SECOND}.html", "feed.xml", "index.html"]
    assert {p.stat().st_mode & 0o777 for p in out.iterdir()} == {0o644}


def test_web_copies_carry_no_personal_token_and_are_where_the_emails_link(site: Path) -> None:
    out = site / "public"
    archive(site, "-o", str(out))
    config = load_config(site / "newsletter.toml")
    for slug in (FIRST, SECOND):
        issue = load_issue(site / "issues" / f"{slug}.yaml")
        rendered = render_issue(issue, config)
        page = (out / f"{slug}.html").read_text(encoding="utf-8")
        assert page == personalize(render_issue(issue, config, web_copy=True).html, web_values(config))
        assert "in your browser" in rendered.html and "in your browser" not in page
        assert "%%" not in page and "token=" not in page and "unsubscribe%20" not in page
        assert view_url(config, issue) == f"https://www.indiawrites.org/newsletter/{slug}.html"
        assert f'href="{view_url(config, issue)}"' in rendered.html  # the email's "view in browser" link


def test_index_lists_numbers_dates_and_subjects_newest_first(site: Path) -> None:
    out = site / "public"
    archive(site, "-o", str(out))
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<link rel="alternate" type="application/atom+xml" title="India and the World" href="feed.xml">' in index
    second = index.index(
        '<li><span class="meta">Issue 2 · <time datetime="2015-03-23">23 March 2015</time></span>\n'
        '    <a href="2015-03-23.html">Second issue &lt;&amp;&gt; test</a>'
    )
    first = index.index(
        '<li><span class="meta">Issue 1 · <time datetime="2015-03-16">16 March 2015</time></span>\n'
        '    <a href="2015-03-16.html">Putin to meet top aide to Chinese president</a>'
    )
    assert second < first
    assert index.count("<li>") == 2


def test_feed_is_valid_atom(site: Path) -> None:
    out = site / "public"
    archive(site, "-o", str(out))
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert (feed.feed.id, feed.feed.title, feed.feed.updated) == (
        "https://www.indiawrites.org/newsletter/",
        "India and the World",
        "2015-03-23T08:00:00Z",
    )
    assert feed.feed.author_detail == {"name": "India and the World", "href": "https://www.indiawrites.org/"}
    assert sorted((link.rel, link.href) for link in feed.feed.links) == [
        ("alternate", "https://www.indiawrites.org/newsletter/"),
        ("self", "https://www.indiawrites.org/newsletter/feed.xml"),
    ]
    assert [(e.id, e.title, e.link, e.published, e.updated) for e in feed.entries] == [
        (
            f"tag:indiawrites.org,{SECOND}:newsletter/{SECOND}",
            "Second issue <&> test",
            f"https://www.indiawrites.org/newsletter/{SECOND}.html",
            "2015-03-23T08:00:00Z",
            "2015-03-23T08:00:00Z",
        ),
        (
            f"tag:indiawrites.org,{FIRST}:newsletter/{FIRST}",
            "Putin to meet top aide to Chinese president",
            f"https://www.indiawrites.org/newsletter/{FIRST}.html",
            "2015-03-16T04:00:00Z",  # 09:30 in New Delhi
            "2015-03-16T04:00:00Z",
        ),
    ]
    entry = feed.entries[1]
    assert entry.summary == (
        "Russia seeks closer ties with Beijing: Vladimir Putin meets Xi Jinping's aide Li Zhanshu in Moscow on March 19."
    )
    (content,) = entry.content
    assert content.type == "text/html"
    assert '<h3><a href="https://www.indiawrites.org/diplomacy/putin-to-meet-top-aide-to-chinese-president/">' in (
        content.value
    )
    # What RFC 4287 requires that feedparser forgives: every entry has exactly one id, title and updated.
    root = ET.parse(out / "feed.xml").getroot()
    assert root.tag == f"{ATOM}feed"
    for element in [root, *root.findall(f"{ATOM}entry")]:
        for tag in ("id", "title", "updated"):
            assert len(element.findall(f"{ATOM}{tag}")) == 1


def test_a_rebuild_with_nothing_changed_changes_no_file(site: Path) -> None:
    out = site / "public"
    archive(site, "-o", str(out))
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.iterdir()}
    code, stdout, _ = archive(site, "-o", str(out))
    assert (code, stdout) == (0, f"{out}: 2 sent issue(s); 0 file(s) written, 4 unchanged.\n")
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.iterdir()} == before

    # An edit to one issue's body rewrites that page and the feed, and nothing else.
    issue = site / "issues" / f"{FIRST}.yaml"
    issue.write_text(issue.read_text(encoding="utf-8").replace("we read every letter", "we read all letters"))
    code, stdout, _ = archive(site, "-o", str(out))
    assert stdout.splitlines() == [str(out / f"{FIRST}.html"), str(out / "feed.xml"),
                                   f"{out}: 2 sent issue(s); 2 file(s) written, 2 unchanged."]  # fmt: skip
    assert (out / "index.html").stat().st_mtime_ns == before["index.html"][0]


def test_nothing_sent_yet(site: Path) -> None:
    shutil.rmtree(site / "sends")
    out = site / "public"
    assert archive(site, "-o", str(out)) == (
        0,
        "No issue has been sent yet (no sends/<issue>.jsonl records a sent copy): nothing to archive.\n",
        "",
    )
    assert not out.exists()


def test_archive_needs_its_address(site: Path) -> None:
    settings = site / "newsletter.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace(
            'archive_url = "https://www.indiawrites.org/newsletter/"', 'archive_url = ""'
        ),
        encoding="utf-8",
    )
    assert archive(site, "-o", str(site / "public")) == (
        1,
        "",
        f"error: {settings}: [newsletter] archive_url is empty: set it to the archive's public address "
        "(e.g. https://www.indiawrites.org/newsletter/); the feed and the emails' browser links need it.\n",
    )


def test_a_broken_sent_issue_stops_the_archive(site: Path) -> None:
    issue = site / "issues" / f"{FIRST}.yaml"
    issue.write_text("subject: [oops\n", encoding="utf-8")
    code, stdout, stderr = archive(site, "-o", str(site / "public"))
    assert (code, stdout) == (1, "")
    assert (
        stderr
        == f"{issue}:2:1: error: invalid YAML (did not find expected ',' or ']'): fix the syntax at this place.\n"
    )
    assert not (site / "public").exists()


def test_feed_escapes_and_strips_what_xml_cannot_hold(site: Path) -> None:
    config = load_config(site / "newsletter.toml")
    entry = next(e for e in collect_entries(config) if e.issue.slug == FIRST)
    # A form feed pasted into a subject is legal in YAML ("\f") but not in XML 1.0, even escaped.
    entry = replace(entry, issue=replace(entry.issue, subject="Putin\x0c to meet & <aide>"))
    parsed = feedparser.parse(build_feed(config, [entry]))
    assert parsed.bozo == 0
    assert parsed.entries[0].title == "Putin to meet & <aide>"


def test_real_send_then_archive(site: Path) -> None:
    """The whole flow with the real `send` (outbox provider) writing the ledger."""
    shutil.rmtree(site / "sends")
    (site / "subscribers.csv").write_text(
        "email,name,status,joined_at,source,consent,updated_at\n"
        "asha@example.org,Asha,active,2015-03-01T00:00:00+00:00,email,yes,2015-03-01T00:00:00+00:00\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    config = ["--config", str(site / "newsletter.toml")]
    sent = runner.invoke(
        cli, [*config, "send", str(site / "issues" / f"{FIRST}.yaml"), "--provider", "outbox", "--yes"]
    )
    assert sent.exit_code == 0, sent.output
    out = site / "public"
    code, stdout, _ = archive(site, "-o", str(out))
    assert code == 0
    assert stdout.splitlines()[-1] == f"{out}: 1 sent issue(s); 3 file(s) written, 0 unchanged."
    assert feedparser.parse((out / "feed.xml").read_bytes()).bozo == 0
