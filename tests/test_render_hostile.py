"""What the editor writes (or `add` scrapes) stays text: a placeholder in the issue's fields is never filled in, and
the subject and other one-line fields are refused with a line break; the message builder survives one anyway."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from send_support import SECRET, fast_retry, mailing_of

from conftest import ONE_CLICK_WARNING, ROOT, SAMPLE_ISSUE
from newsletter.cli import cli
from newsletter.config import load_config
from newsletter.issue.load import load_issue
from newsletter.issue.model import Issue
from newsletter.message.personalize import WORD_JOINER, make_recipient, personalize
from newsletter.providers.outbox import OutboxProvider
from newsletter.providers.sendgrid_payload import payload_shell
from newsletter.render.check import check_issue
from newsletter.render.html import render_issue
from newsletter.sending.send import send_test_copy

BASE = load_config(ROOT / "newsletter.toml")
WJ = WORD_JOINER
DATE = dt.datetime(2015, 3, 16, 9, 0, tzinfo=dt.UTC)


def with_placeholders() -> Issue:
    issue = load_issue(SAMPLE_ISSUE)
    section = issue.sections[0]
    article = replace(section.articles[0], title="%%name%% wins", summary="See %%name_text%% **now**")
    section = replace(section, heading="%%unsubscribe_url%%", articles=(article, *section.articles[1:]))
    return replace(issue, intro="Write to %%unsubscribe_url%%.", sections=(section, *issue.sections[1:]))


def test_placeholders_in_the_issue_text_reach_readers_as_written() -> None:
    rendered = render_issue(with_placeholders(), BASE)
    reader = make_recipient(BASE, SECRET, "asha@example.org", "Asha")
    page = personalize(rendered.html, reader.values)
    text = personalize(rendered.text, reader.values)
    url = reader.values["%%unsubscribe_url%%"]
    # The editor's words, with an invisible joiner between the two signs; the template's own placeholders filled.
    assert f">{WJ}%{WJ}%name%{WJ}% wins</a>" in page
    assert f'See %{WJ}%name_text%{WJ}% <strong style="color:#14213d">now</strong>' in page
    assert f"Write to %{WJ}%unsubscribe_url%{WJ}%.</p>" in page
    assert f">{WJ}%{WJ}%unsubscribe_url%{WJ}%{WJ}</h2>" in page
    assert page.count("Asha") == 1 and page.count(url) == 1  # the mailto holds no "&" to escape
    assert f"\n{WJ}%{WJ}%UNSUBSCRIBE_URL%{WJ}%{WJ}\n" in text  # the text part writes headings in capitals
    assert f"\n{WJ}%{WJ}%name%{WJ}% wins\n" in text and f"Write to %{WJ}%unsubscribe_url%{WJ}%." in text
    assert text.count("Asha") == 1 and text.count(url) == 1
    assert "%%" not in page.replace('href="%%', "") and "%%" not in text


def test_the_sendgrid_request_carries_no_placeholder_but_the_templates() -> None:
    rendered = render_issue(replace(with_placeholders(), subject="Issue for %%name%% readers"), BASE)
    shell = payload_shell(BASE, mailing_of(rendered))
    assert shell["subject"] == f"Issue for %{WJ}%name%{WJ}% readers"  # SendGrid substitutes in subjects too
    text, page = (part["value"] for part in shell["content"])
    assert text.count("%%") == text.count("%%name_text%%") * 2 + text.count("%%unsubscribe_url%%") * 2 == 4
    assert page.count("%%") == page.count("%%name%%") * 2 + page.count("%%unsubscribe_url%%") * 2 == 4


def test_check_warns_of_a_placeholder_in_the_issue_text(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = publication / "issues" / "2015-03-16.yaml"
    source = path.read_text(encoding="utf-8")
    path.write_text(source.replace("intro: |\n  ", "intro: |\n  Dear %%name%%, "), encoding="utf-8")
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "%%name%%" in text)
    monkeypatch.chdir(publication)
    result = CliRunner().invoke(cli, ["check", "issues/2015-03-16.yaml"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"issues/2015-03-16.yaml:{line}:8: warning: '%%name%%' in the issue's text is not filled in per reader (only "
        "the templates' placeholders are): readers see it as written; reword it if that is not meant.",
        ONE_CLICK_WARNING,
        "issues/2015-03-16.yaml: 0 error(s), 2 warning(s).",
    ]


# --- one-line fields ---------------------------------------------------------------------------------------------------

ISSUE = """subject: {subject}
number: 3
date: 2015-03-16
preheader: {preheader}
intro: |
  Russia is looking east.
sections:
  - heading: {heading}
    articles:
      - title: {title}
        url: "https://www.indiawrites.org/putin-to-meet-top-aide/"
        summary: "Vladimir Putin will meet Li Zhanshu in Moscow on March 19."
        author: {author}
"""
FINE = {
    "subject": '"Putin to meet top aide to Chinese president"',
    "preheader": '"Russia seeks closer ties with Beijing as relations with the West sour."',
    "heading": '"Lead story"',
    "title": '"Putin to meet top aide"',
    "author": '"Rajiv Bhatia"',
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "subject",
            '"Putin to meet top aide\\nto Chinese president"',
            "1:10: error: 'subject' must be one line but holds a line break (U+000A LINE FEED): join the lines "
            '(a "\\n" in double quotes or a | block makes one in YAML).',
        ),
        (
            "subject",
            "|\n  Putin to meet top aide\n  to Chinese president",
            "1:10: error: 'subject' must be one line but holds a line break (U+000A LINE FEED): join the lines "
            '(a "\\n" in double quotes or a | block makes one in YAML).',
        ),
        (
            "subject",
            '"Putin to meet top aide\\Lto Chinese president"',
            "1:10: error: 'subject' must be one line but holds a line break (U+2028 LINE SEPARATOR): join the lines.",
        ),
        (
            "preheader",
            '"Russia seeks closer ties with Beijing\\Pas relations with the West sour."',
            "4:12: error: 'preheader' must be one line but holds a line break (U+2029 PARAGRAPH SEPARATOR): join the "
            "lines.",
        ),
        (
            "subject",
            '"Putin to meet top aide\\Nto Chinese president"',
            "1:10: error: 'subject' contains the control character U+0085: remove it.",
        ),
        (
            "subject",
            '"Putin to meet top aide\\r to Chinese president"',
            "1:10: error: 'subject' contains the control character U+000D: remove it.",
        ),
        (
            "heading",
            '"Lead \\u202estory"',
            "8:14: error: 'heading' contains the invisible character U+202E RIGHT-TO-LEFT OVERRIDE: remove it.",
        ),
        (
            "title",
            '"Putin to meet\\ntop aide"',
            "10:16: error: 'title' must be one line but holds a line break (U+000A LINE FEED): join the lines "
            '(a "\\n" in double quotes or a | block makes one in YAML).',
        ),
        (
            "author",
            '"Rajiv\\u2028Bhatia"',
            "13:17: error: 'author' must be one line but holds a line break (U+2028 LINE SEPARATOR): join the lines.",
        ),
    ],
)
def test_check_refuses_a_line_break_in_a_one_line_field(
    field: str, value: str, message: str, publication: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (publication / "issues" / "bad.yaml").write_text(ISSUE.format(**{**FINE, field: value}), encoding="utf-8")
    monkeypatch.chdir(publication)
    result = CliRunner().invoke(cli, ["check", "issues/bad.yaml"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"issues/bad.yaml:{message}"]
    sent = CliRunner().invoke(cli, ["send", "issues/bad.yaml", "--test", "--provider", "outbox"])
    assert sent.exit_code == 1 and sent.stderr.splitlines() == [f"issues/bad.yaml:{message}"]


def test_a_multi_line_intro_is_still_fine(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (publication / "issues" / "ok.yaml").write_text(ISSUE.format(**FINE), encoding="utf-8")
    monkeypatch.chdir(publication)
    assert CliRunner().invoke(cli, ["check", "issues/ok.yaml"]).exit_code == 0


@pytest.mark.parametrize("subject", ["Putin to meet\ntop aide", "Putin\r\nBcc: all@example.org", "Putin\u2028Xi"])
def test_the_message_builder_never_crashes_on_a_line_break(subject: str, tmp_path: Path) -> None:
    # An Issue made without load_issue (a plugin, a test): the builder makes the subject one line itself.
    rendered = render_issue(replace(load_issue(SAMPLE_ISSUE), subject=subject), BASE)
    outbox = OutboxProvider(tmp_path, config=BASE, clock=lambda: DATE)
    send_test_copy(rendered, BASE, outbox, SECRET, "editor@indiawrites.org", now=lambda: DATE)
    reader = make_recipient(BASE, SECRET, "asha@example.org", "Asha")
    assert outbox.send_batch(mailing_of(rendered), [reader]).recipients["asha@example.org"].status == "sent"
    expected = " ".join(subject.split())
    for path in (tmp_path / "editor@indiawrites.org.eml", tmp_path / "2015-03-16" / "asha@example.org.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert str(message["Subject"]).removeprefix("[TEST] ") == expected
        assert "Bcc" not in message and len(message.keys()) == 10  # with List-Id


def test_check_issue_lints_the_model_it_is_given() -> None:
    issue = replace(load_issue(SAMPLE_ISSUE), subject="Hello %%name%%, here is the news")
    findings = check_issue(issue, render_issue(issue, BASE), BASE)
    assert [(f.severity, f.code) for f in findings] == [("warning", "reader-placeholder")]


def test_smtp_test_copy_of_a_subject_with_a_line_break(sink: tuple[object, int], tmp_path: Path) -> None:
    from newsletter.providers.smtp import SmtpProvider

    handler, port = sink
    config = replace(BASE, smtp=replace(BASE.smtp, host="127.0.0.1", port=port, security="none", username=""))
    rendered = render_issue(replace(load_issue(SAMPLE_ISSUE), subject="Putin to meet\ntop aide"), config)
    provider = SmtpProvider(config, "", retry=fast_retry())
    send_test_copy(rendered, config, provider, SECRET, "editor@indiawrites.org", now=lambda: DATE)
    provider.close()
    message = message_from_bytes(handler.messages[0][2], policy=policy.default)  # type: ignore[attr-defined]
    assert message["Subject"] == "[TEST] Putin to meet top aide"
