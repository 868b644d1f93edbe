"""`newsletter archive`: the public web archive of the issues that went out: each issue's web copy (no reader's
token in it) at <slug>.html, where the emails' "view in browser" links point, an index, and an Atom feed.

Building is pure (entries in, bytes out) and deterministic: every timestamp comes from the send ledger or the issue's
date, never from the clock, so a rebuild with nothing changed rewrites no file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from markupsafe import Markup

from newsletter.config import Config
from newsletter.errors import ConfigError
from newsletter.files import shown_path, write_if_changed
from newsletter.issue.load import load_issue
from newsletter.issue.model import Issue
from newsletter.message.personalize import personalize, web_values
from newsletter.render.html import render_issue, view_url
from newsletter.render.markdown import md_to_html
from newsletter.sending.ledger import ledger_path, read_ledger
from newsletter.sending.ledger_entries import SENT
from newsletter.templating import template_environment

INDEX_TEMPLATE = "archive-index.html.j2"
ENTRY_TEMPLATE = "archive-entry.html.j2"
ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Characters XML 1.0 forbids even escaped: one pasted from a word processor would make the whole feed unreadable.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class ArchiveEntry:
    issue: Issue
    url: str  # its public address: render.view_url
    sent_at: dt.datetime  # UTC; the feed's published and updated time
    html: str  # the web copy


@dataclass(frozen=True)
class ArchiveResult:
    entries: tuple[ArchiveEntry, ...]
    written: tuple[Path, ...]
    unchanged: tuple[Path, ...]


def sent_at(sends_dir: Path, issue: Issue) -> dt.datetime | None:
    """When the issue went out, from its send ledger; None unless at least one recipient is recorded as sent.

    A scheduled send counts from its send_at; a ledger without a readable time counts from the issue's date."""
    state = read_ledger(ledger_path(sends_dir, issue.slug))
    if not any(entry.status == SENT for entry in state.entries.values()):
        return None
    run = state.start or {}
    if isinstance(run.get("send_at"), int):
        return dt.datetime.fromtimestamp(run["send_at"], dt.UTC)
    try:
        started = dt.datetime.fromisoformat(str(run.get("at")))
    except ValueError:
        return dt.datetime.combine(issue.date, dt.time(0, 0), tzinfo=dt.UTC)
    return (started if started.tzinfo else started.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def collect_entries(config: Config) -> list[ArchiveEntry]:
    """Every sent issue in issues/, rendered as its web copy, newest first."""
    entries = []
    for path in sorted(config.issues_dir.glob("*.yaml")):
        if not ledger_path(config.sends_dir, path.stem).exists():
            continue  # never sent: not loaded, so a draft with mistakes does not stop the archive
        issue = load_issue(path)
        when = sent_at(config.sends_dir, issue)
        if when is None:
            continue
        rendered = render_issue(issue, config, web_copy=True)  # the page is the browser copy: no link to itself
        html = personalize(rendered.html, web_values(config))
        entries.append(ArchiveEntry(issue=issue, url=view_url(config, issue), sent_at=when, html=html))
    entries.sort(key=lambda e: (e.issue.date, e.issue.number, e.issue.slug), reverse=True)
    return entries


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_id(config: Config, issue: Issue) -> str:
    """A tag: URI (RFC 4151) from the publication's mail domain and the issue's date: it stays the same if the
    archive ever moves, so feed readers never show an issue twice."""
    domain = config.newsletter.from_email.rpartition("@")[2].lower() or urlsplit(config.newsletter.archive_url).netloc
    return f"tag:{domain},{issue.date.isoformat()}:newsletter/{issue.slug}"


def _clean(text: str) -> str:
    return XML_INVALID.sub("", text)


def render_entry_content(config: Config, entry: ArchiveEntry) -> str:
    """The feed's content for one issue: its intro and articles as simple HTML (feed readers drop email layouts)."""
    issue = entry.issue
    sections = [
        {
            "heading": section.heading,
            "articles": [{"article": a, "summary_html": Markup(md_to_html(a.summary))} for a in section.articles],
        }
        for section in issue.sections
    ]
    template = template_environment(config.templates_dir, "html").get_template(ENTRY_TEMPLATE)
    return template.render(
        issue=issue,
        url=entry.url,
        intro_html=Markup(md_to_html(issue.intro)),
        sign_off_html=Markup(md_to_html(issue.sign_off)) if issue.sign_off else "",
        sections=sections,
    ).strip()


def build_feed(config: Config, entries: list[ArchiveEntry]) -> bytes:
    """An Atom 1.0 feed (RFC 4287) of the sent issues, newest first."""
    ET.register_namespace("", ATOM)
    base = archive_base(config)

    def add(parent: ET.Element, tag: str, text: str = "", **attributes: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        if text:
            element.text = _clean(text)
        return element

    feed = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: config.newsletter.language})
    add(feed, "id", base)
    add(feed, "title", config.newsletter.name)
    add(feed, "updated", rfc3339(max(e.sent_at for e in entries)))
    author = add(feed, "author")
    add(author, "name", config.newsletter.from_name or config.newsletter.name)
    if config.newsletter.website_url:
        add(author, "uri", config.newsletter.website_url)
    add(feed, "link", rel="self", type="application/atom+xml", href=f"{base}feed.xml")
    add(feed, "link", rel="alternate", type="text/html", href=base)
    for entry in entries:
        item = add(feed, "entry")
        add(item, "id", entry_id(config, entry.issue))
        add(item, "title", entry.issue.subject)
        add(item, "published", rfc3339(entry.sent_at))
        add(item, "updated", rfc3339(entry.sent_at))
        add(item, "link", rel="alternate", type="text/html", href=entry.url)
        if entry.issue.preheader:
            add(item, "summary", entry.issue.preheader)
        add(item, "content", render_entry_content(config, entry), type="html")
    ET.indent(feed)
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True)) + b"\n"


def render_index(config: Config, entries: list[ArchiveEntry]) -> bytes:
    rows = [
        (entry, f"{entry.issue.slug}.html", f"{entry.issue.date.day} {entry.issue.date:%B %Y}") for entry in entries
    ]
    page = (
        template_environment(config.templates_dir, "html")
        .get_template(INDEX_TEMPLATE)
        .render(newsletter=config.newsletter, entries=rows)
    )
    return page.encode("utf-8")


def archive_base(config: Config) -> str:
    url = config.newsletter.archive_url
    if not url:
        raise ConfigError(
            f"{config.path}: [newsletter] archive_url is empty: set it to the archive's public address "
            "(e.g. https://www.indiawrites.org/newsletter/); the feed and the emails' browser links need it."
        )
    return url if url.endswith("/") else url + "/"


def describe_build(result: ArchiveResult, out_dir: Path) -> list[str]:
    """What `newsletter archive` says: each file written, then the count, or that nothing was sent yet."""
    if not result.entries:
        return ["No issue has been sent yet (no sends/<issue>.jsonl records a sent copy): nothing to archive."]
    return [
        *(shown_path(path) for path in result.written),
        f"{shown_path(out_dir)}: {len(result.entries)} sent issue(s); {len(result.written)} file(s) written, "
        f"{len(result.unchanged)} unchanged.",
    ]


def build_archive(config: Config, out_dir: Path) -> ArchiveResult:
    """Write the archive into `out_dir`; files whose bytes would not change are left alone (mtime included)."""
    archive_base(config)
    entries = collect_entries(config)
    if not entries:
        return ArchiveResult(entries=(), written=(), unchanged=())
    files = {out_dir / f"{entry.issue.slug}.html": entry.html.encode("utf-8") for entry in entries}
    files[out_dir / "index.html"] = render_index(config, entries)
    files[out_dir / "feed.xml"] = build_feed(config, entries)
    written, unchanged = [], []
    for path, data in files.items():
        if write_if_changed(path, data):
            os.chmod(path, 0o644)  # a public web page; the atomic writer's temporary file was 0600
            written.append(path)
        else:
            unchanged.append(path)
    return ArchiveResult(entries=tuple(entries), written=tuple(written), unchanged=tuple(unchanged))
