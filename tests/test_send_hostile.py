"""Hostile names, subjects and sender names never add a header or change another part of any message, on every
path a message takes: the outbox .eml, SMTP (a real aiosmtpd server), the SendGrid request, `render`'s .eml and
test copies. Each message is parsed back with the standard library and its header set and text compared exactly.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import replace
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from send_support import SECRET, Sub, fast_retry, mailing_of
from sendgrid_fake import API_KEY, FakeSendGrid
from smtp_sink import Sink

from conftest import ROOT, SAMPLE_ISSUE
from newsletter.config import Config, load_config
from newsletter.errors import ProviderError
from newsletter.issue.load import load_issue
from newsletter.message.content import Recipient
from newsletter.message.personalize import WORD_JOINER, make_recipient
from newsletter.providers.base import Provider
from newsletter.providers.outbox import OutboxProvider
from newsletter.providers.sendgrid import SendGridProvider
from newsletter.providers.smtp import SmtpProvider
from newsletter.render.build import sample_message_bytes
from newsletter.render.html import RenderedIssue, render_issue
from newsletter.sending.ledger import LedgerWriter, iter_report_json, read_ledger
from newsletter.sending.plan import SendOptions, plan_send
from newsletter.sending.run import run_send
from newsletter.sending.send import describe_plan, send_test_copy

BASE = load_config(ROOT / "newsletter.toml")
DATE = dt.datetime(2015, 3, 16, 9, 0, tzinfo=dt.UTC)
WJ = WORD_JOINER
HEADERS = [
    "Subject",
    "From",
    "To",
    "Reply-To",
    "Date",
    "Message-ID",
    "List-Id",
    "List-Unsubscribe",
    "MIME-Version",
    "Content-Type",
]
# (name as it arrives, the name readers see in the To line, the name in the greeting)
EW_CRLF = "=?utf-8?q?Support=0D=0AContent-Type:_text/html=0D=0A=0D=0A<h1>Win</h1>?="
HOSTILE = {
    "crlf": (
        "Support\r\nContent-Type: text/html\r\n\r\n<h1>Win</h1>",
        "Support Content-Type: text/html <h1>Win</h1>",
        "Support Content-Type: text/html <h1>Win</h1>",
    ),
    "lf": ("Eve\nBcc: all@example.org", "Eve Bcc: all@example.org", "Eve Bcc: all@example.org"),
    "lone cr": ("Eve\rX-Evil: 1", "Eve X-Evil: 1", "Eve X-Evil: 1"),
    "u2028": ("Eve\u2028X-Evil: 1\u2029", "Eve X-Evil: 1", "Eve X-Evil: 1"),
    "nel": ("Eve\x85X-Evil: 1", "Eve X-Evil: 1", "Eve X-Evil: 1"),
    "nul and escape": ("Eve\x00\x1b[2J", "Eve [2J", "Eve [2J"),
    "encoded word": (EW_CRLF, EW_CRLF, EW_CRLF),
    "encoded word b": ("=?utf-8?b?U3VwcG9ydA0KWC1FdmlsOiAx?=",) * 3,
    "encoded word inside": ("Asha =?utf-8?q?=0D=0ABcc:_x@y.org?= Rao",) * 3,
    "placeholders": (
        '<a href="https://evil.example/">Click</a>%%name_text%%%%unsubscribe_url%%',
        '<a href="https://evil.example/">Click</a>%%name_text%%%%unsubscribe_url%%',
        f'<a href="https://evil.example/">Click</a>%{WJ}%name_text%{WJ}%{WJ}%{WJ}%unsubscribe_url%{WJ}%{WJ}',
    ),
}
SUBJECT_EW = "=?utf-8?q?Putin=0D=0ABcc:_all@example.org?= meets Xi"
FROM_EW = "=?utf-8?q?Editor=0D=0ABcc:_all@example.org?="


@pytest.fixture(scope="module")
def rendered() -> RenderedIssue:
    return render_issue(load_issue(SAMPLE_ISSUE), BASE)


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def raw_header(message: EmailMessage, name: str) -> str:
    return str(next(value for key, value in message.raw_items() if key == name))


def decoded(message: EmailMessage, name: str) -> str:
    """The header as an RFC 2047 reader shows it (policy.default would add a space between two encoded words)."""
    return str(make_header(decode_header(raw_header(message, name))))


def address(message: EmailMessage, name: str) -> tuple[str, str]:
    """(display name, address) of a one-address header, the name decoded as an RFC 2047 reader decodes it."""
    parsed = message[name].addresses
    assert len(parsed) == 1
    raw = raw_header(message, name)
    shown = decoded_words(raw.rpartition(" <")[0]) if "=?" in raw else parsed[0].display_name
    return shown, parsed[0].addr_spec


def decoded_words(raw: str) -> str:
    return str(make_header(decode_header(raw)))


def expected_part(template: str, recipient: Recipient, greeting: str, *, escape: bool) -> str:
    """The part as the reader must get it, made from the template by plain replacement (a reference, not the code
    under test): the template's own placeholders filled in, nothing else."""
    text = template.replace("%%unsubscribe_url%%", recipient.values["%%unsubscribe_url%%"])
    text = text.replace("%%name_text%%", greeting).replace("%%name%%", html.escape(greeting))
    return "\n".join(text.splitlines()) + "\n"


def assert_reader_message(
    raw: bytes,
    rendered: RenderedIssue,
    recipient: Recipient,
    to: tuple[str, str],
    greeting: str,
    *,
    subject: str = "Putin to meet top aide to Chinese president",
    sender: tuple[str, str] = ("India and the World", "editor@indiawrites.org"),
) -> None:
    message = parse(raw)
    assert message.keys() == HEADERS
    assert message.defects == [] and all(part.defects == [] for part in message.walk())
    assert decoded(message, "Subject") == subject
    assert address(message, "From") == sender
    assert address(message, "To") == to
    assert address(message, "Reply-To") == ("", "editor@indiawrites.org")
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    for part in message.iter_parts():
        assert part.keys() == ["Content-Type", "Content-Transfer-Encoding"]
    text, body = (part.get_content().replace("\r\n", "\n") for part in message.iter_parts())  # CRLF on the wire
    assert text == expected_part(rendered.text, recipient, greeting, escape=False)
    assert body == expected_part(rendered.html, recipient, greeting, escape=True)


def to_line(email: str, shown: str) -> tuple[str, str]:
    return shown, email


# --- every path, every hostile name ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_outbox_eml(case: str, rendered: RenderedIssue, tmp_path: Path) -> None:
    raw_name, shown, greeting = HOSTILE[case]
    reader = make_recipient(BASE, SECRET, "victim@example.org", raw_name)
    result = OutboxProvider(tmp_path, config=BASE, clock=lambda: DATE).send_batch(mailing_of(rendered), [reader])
    assert result.recipients["victim@example.org"].status == "sent"
    raw = (tmp_path / "2015-03-16" / "victim@example.org.eml").read_bytes()
    assert_reader_message(raw, rendered, reader, to_line("victim@example.org", shown), greeting)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_render_eml(case: str, rendered: RenderedIssue) -> None:
    raw_name, shown, greeting = HOSTILE[case]
    raw = sample_message_bytes(rendered, BASE, SECRET, ("victim@example.org", raw_name))
    reader = make_recipient(BASE, SECRET, "victim@example.org", raw_name)
    assert_reader_message(raw, rendered, reader, to_line("victim@example.org", shown), greeting)


def smtp_config(port: int) -> Config:
    return replace(BASE, smtp=replace(BASE.smtp, host="127.0.0.1", port=port, security="none", username=""))


def test_smtp_every_hostile_name_in_one_batch(sink: tuple[Sink, int], rendered: RenderedIssue) -> None:
    handler, port = sink
    readers = {f"r{n}@example.org": HOSTILE[case] for n, case in enumerate(sorted(HOSTILE))}
    recipients = [make_recipient(BASE, SECRET, email, raw) for email, (raw, _, _) in readers.items()]
    provider = SmtpProvider(smtp_config(port), "", retry=fast_retry(), clock=lambda: DATE)
    result = provider.send_batch(mailing_of(rendered), recipients)
    provider.close()
    assert {key: r.status for key, r in result.recipients.items()} == dict.fromkeys(readers, "sent")
    assert [tos for _, tos, _, _ in handler.messages] == [[email] for email in readers]
    for (_, _, raw, _), recipient in zip(handler.messages, recipients, strict=True):
        _, shown, greeting = readers[recipient.email]
        assert_reader_message(raw, rendered, recipient, to_line(recipient.email, shown), greeting)


def test_sendgrid_request(sendgrid_server: FakeSendGrid, rendered: RenderedIssue) -> None:
    config = replace(BASE, sendgrid=replace(BASE.sendgrid, host=sendgrid_server.url))
    readers = {f"r{n}@example.org": HOSTILE[case] for n, case in enumerate(sorted(HOSTILE))}
    recipients = [make_recipient(config, SECRET, email, raw) for email, (raw, _, _) in readers.items()]
    sender = SendGridProvider(config, API_KEY, retry=fast_retry())
    assert sender.send_batch(mailing_of(rendered), recipients).status == "sent"
    assert sendgrid_server.rejections == []
    body = sendgrid_server.accepted[0].body
    assert body is not None
    # SendGrid writes the To line itself: a joiner in "=?" makes it encode the name, so readers see it as written.
    assert [p["to"] for p in body["personalizations"]] == [
        [{"email": email, "name": greeting.replace("=?", f"={WJ}?")}] for email, (_, _, greeting) in readers.items()
    ]
    for personalization, recipient in zip(body["personalizations"], recipients, strict=True):
        greeting = readers[recipient.email][2]
        assert personalization["substitutions"] == {
            "%%name%%": html.escape(greeting),
            "%%name_text%%": greeting,
            "%%unsubscribe_url%%": recipient.values["%%unsubscribe_url%%"],
        }
        assert list(personalization["headers"]) == ["List-Unsubscribe"]
        for value in [*personalization["substitutions"].values(), personalization["to"][0]["name"]]:
            assert "%%" not in value and "\r" not in value and "\n" not in value


# --- the subject and the sender's name ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_issue() -> tuple[Config, RenderedIssue]:
    config = replace(BASE, newsletter=replace(BASE.newsletter, from_name=FROM_EW + "\r\nBcc: all@example.org"))
    issue = replace(load_issue(SAMPLE_ISSUE), subject=SUBJECT_EW + "\u2028X-Evil: 1")
    return config, render_issue(issue, config)


HOSTILE_SUBJECT = SUBJECT_EW + " X-Evil: 1"
HOSTILE_SENDER = (f"{FROM_EW} Bcc: all@example.org", "editor@indiawrites.org")


def test_subject_and_from_name_in_the_outbox(hostile_issue: tuple[Config, RenderedIssue], tmp_path: Path) -> None:
    config, rendered = hostile_issue
    reader = make_recipient(config, SECRET, "asha@example.org", "Asha")
    OutboxProvider(tmp_path, config=config, clock=lambda: DATE).send_batch(mailing_of(rendered), [reader])
    raw = (tmp_path / "2015-03-16" / "asha@example.org.eml").read_bytes()
    assert_reader_message(
        raw, rendered, reader, ("Asha", "asha@example.org"), "Asha", subject=HOSTILE_SUBJECT, sender=HOSTILE_SENDER
    )


def test_subject_and_from_name_by_smtp(hostile_issue: tuple[Config, RenderedIssue], sink: tuple[Sink, int]) -> None:
    handler, port = sink
    config, rendered = hostile_issue
    config = replace(config, smtp=smtp_config(port).smtp)
    readers = [
        make_recipient(config, SECRET, "asha@example.org", "Asha"),
        make_recipient(config, SECRET, "x@x.org", ""),
    ]
    provider = SmtpProvider(config, "", retry=fast_retry(), clock=lambda: DATE)
    provider.send_batch(mailing_of(rendered), readers)
    provider.close()
    first, second = (raw for _, _, raw, _ in handler.messages)
    assert_reader_message(
        first,
        rendered,
        readers[0],
        ("Asha", "asha@example.org"),
        "Asha",
        subject=HOSTILE_SUBJECT,
        sender=HOSTILE_SENDER,
    )
    assert_reader_message(
        second, rendered, readers[1], ("", "x@x.org"), "reader", subject=HOSTILE_SUBJECT, sender=HOSTILE_SENDER
    )


def test_subject_and_from_name_in_render_and_test_copies(
    hostile_issue: tuple[Config, RenderedIssue], sink: tuple[Sink, int], tmp_path: Path
) -> None:
    handler, port = sink
    config, rendered = hostile_issue
    raw = sample_message_bytes(rendered, config, SECRET, ("asha@example.org", "Asha"))
    reader = make_recipient(config, SECRET, "asha@example.org", "Asha")
    assert_reader_message(
        raw, rendered, reader, ("Asha", "asha@example.org"), "Asha", subject=HOSTILE_SUBJECT, sender=HOSTILE_SENDER
    )
    editor = make_recipient(config, SECRET, "editor@indiawrites.org", "")
    outbox = OutboxProvider(tmp_path, config=config)
    send_test_copy(rendered, config, outbox, SECRET, "editor@indiawrites.org", now=lambda: DATE)
    smtp = SmtpProvider(replace(config, smtp=smtp_config(port).smtp), "", retry=fast_retry())
    send_test_copy(rendered, config, smtp, SECRET, "editor@indiawrites.org", now=lambda: DATE)
    smtp.close()
    for copy in ((tmp_path / "editor@indiawrites.org.eml").read_bytes(), handler.messages[0][2]):
        assert_reader_message(
            copy,
            rendered,
            editor,
            ("", "editor@indiawrites.org"),
            "reader",
            subject="[TEST] " + HOSTILE_SUBJECT,
            sender=HOSTILE_SENDER,
        )


def test_subject_and_from_name_for_sendgrid(
    hostile_issue: tuple[Config, RenderedIssue], sendgrid_server: FakeSendGrid
) -> None:
    config, rendered = hostile_issue
    config = replace(config, sendgrid=replace(config.sendgrid, host=sendgrid_server.url))
    sender = SendGridProvider(config, API_KEY, retry=fast_retry())
    sender.send_batch(mailing_of(rendered), [make_recipient(config, SECRET, "asha@example.org", "Asha")])
    send_test_copy(rendered, config, sender, SECRET, "editor@indiawrites.org", now=lambda: DATE)
    batch, copy = (record.body for record in sendgrid_server.accepted)
    assert batch is not None and copy is not None
    subject = f"={WJ}?utf-8?q?Putin=0D=0ABcc:_all@example.org?= meets Xi X-Evil: 1"
    sender_name = f"={WJ}?utf-8?q?Editor=0D=0ABcc:_all@example.org?= Bcc: all@example.org"
    assert (batch["subject"], batch["from"]) == (subject, {"email": "editor@indiawrites.org", "name": sender_name})
    assert (copy["subject"], copy["from"]) == (
        "[TEST] " + subject,
        {"email": "editor@indiawrites.org", "name": sender_name},
    )
    assert sendgrid_server.rejections == []


# --- one failing reader fails alone, and the ledger says exactly who has the issue ---------------------------------------


def run_plan(
    config: Config, rendered: RenderedIssue, rows: list[Sub], provider: Provider, tmp_path: Path
) -> dict[str, Any]:
    """run_send as `newsletter send` runs it, and what `report --json` then says, with the summary's counts."""
    ledger = tmp_path / "sends" / "2015-03-16.jsonl"
    ledger.parent.mkdir(parents=True, exist_ok=True)
    state = read_ledger(ledger)
    plan = plan_send(rendered, rows, state, provider.name, SendOptions())
    with LedgerWriter(ledger) as writer:
        summary = run_send(plan, provider, writer, state, config=config, secret=SECRET, concurrency=1)
    report = json.loads("".join(iter_report_json(read_ledger(ledger))))
    return {"summary": (summary.sent, summary.failed, summary.in_doubt, summary.fatal), **report}


BAD_ADDRESS = "=?utf-8?q?x=0D=0ARCPT_TO:<y@example.org>?=@example.org"  # an addr-spec the email package would decode


def test_smtp_a_reader_whose_message_cannot_be_built_fails_alone(
    sink: tuple[Sink, int], rendered: RenderedIssue, tmp_path: Path
) -> None:
    handler, port = sink
    config = smtp_config(port)
    rows = [
        Sub("one@example.org", "One"),
        Sub("two@example.org", "Support\r\nContent-Type: text/html\r\n\r\n<h1>Win</h1>"),
        Sub("three@example.org", EW_CRLF),
        Sub(BAD_ADDRESS, "Bad"),
        Sub("five@example.org", "Five"),
    ]
    provider = SmtpProvider(config, "", retry=fast_retry(), clock=lambda: DATE)
    outcome = run_plan(config, rendered, rows, provider, tmp_path)
    provider.close()
    reason = (
        f"cannot build the message to {BAD_ADDRESS} ('{BAD_ADDRESS}' holds '=?', which mail programs would decode: "
        "it is not a plain address)"
    )
    assert outcome["summary"] == (4, 1, 0, "")
    assert outcome["counts"] == {"sent": 4, "failed": 1, "in_doubt": 0, "pending": 0, "skipped": 0}
    assert [(r["email"], r["status"]) for r in outcome["recipients"]] == [
        ("one@example.org", "sent"),
        ("two@example.org", "sent"),
        ("three@example.org", "sent"),
        (BAD_ADDRESS, "failed"),
        ("five@example.org", "sent"),
    ]
    assert read_ledger(tmp_path / "sends" / "2015-03-16.jsonl").entries[BAD_ADDRESS.lower()].reason == reason
    assert [tos for _, tos, _, _ in handler.messages] == [
        ["one@example.org"],
        ["two@example.org"],
        ["three@example.org"],
        ["five@example.org"],
    ]
    # Resending: nobody in doubt, the delivered are not mailed again, the bad address fails again, alone.
    again = SmtpProvider(config, "", retry=fast_retry(), clock=lambda: DATE)
    ledger = tmp_path / "sends" / "2015-03-16.jsonl"
    state = read_ledger(ledger)
    plan = plan_send(rendered, rows, state, "smtp", SendOptions(retry_failed=True, resend_in_doubt=True))
    assert [email for email, _ in plan.to_send] == [BAD_ADDRESS]
    with LedgerWriter(ledger) as writer:
        summary = run_send(plan, again, writer, state, config=config, secret=SECRET, concurrency=1)
    again.close()
    assert (summary.sent, summary.failed, summary.in_doubt) == (4, 1, 0)
    assert len(handler.messages) == 4


def test_outbox_a_reader_whose_message_cannot_be_built_fails_alone(rendered: RenderedIssue, tmp_path: Path) -> None:
    rows = [Sub("one@example.org", "One"), Sub(BAD_ADDRESS, "Bad"), Sub("three@example.org", EW_CRLF)]
    provider = OutboxProvider(tmp_path / "outbox", config=BASE, clock=lambda: DATE)
    outcome = run_plan(BASE, rendered, rows, provider, tmp_path)
    assert outcome["summary"] == (2, 1, 0, "")
    assert [(r["email"], r["status"]) for r in outcome["recipients"]] == [
        ("one@example.org", "sent"),
        (BAD_ADDRESS, "failed"),
        ("three@example.org", "sent"),
    ]
    assert sorted(p.name for p in (tmp_path / "outbox" / "2015-03-16").iterdir()) == [
        "one@example.org.eml",
        "three@example.org.eml",
    ]


def test_sendgrid_a_reader_sendgrid_would_refuse_fails_alone(
    sendgrid_server: FakeSendGrid, rendered: RenderedIssue, tmp_path: Path
) -> None:
    config = replace(BASE, sendgrid=replace(BASE.sendgrid, host=sendgrid_server.url))
    rows = [
        Sub("one@example.org", "One"),
        Sub("two words@example.org", "Two"),
        Sub("a%%name_text%%@example.org", "Three"),
        Sub("four@example.org", EW_CRLF),
    ]
    provider = SendGridProvider(config, API_KEY, retry=fast_retry())
    outcome = run_plan(config, rendered, rows, provider, tmp_path)
    assert outcome["summary"] == (2, 2, 0, "")
    assert [(r["email"], r["status"]) for r in outcome["recipients"]] == [
        ("one@example.org", "sent"),
        ("two words@example.org", "failed"),
        ("a%%name_text%%@example.org", "failed"),
        ("four@example.org", "sent"),
    ]
    entries = read_ledger(tmp_path / "sends" / "2015-03-16.jsonl").entries
    assert [entries[key].reason for key in ("two words@example.org", "a%%name_text%%@example.org")] == [
        "two words@example.org is not a plain email address: SendGrid would refuse the whole request",
        "a%%name_text%%@example.org holds '%%': SendGrid would substitute a placeholder in it",
    ]
    assert sendgrid_server.delivered_addresses() == ["one@example.org", "four@example.org"]
    assert sendgrid_server.rejections == []


def test_sendgrid_values_that_are_not_text_fail_that_reader_alone(
    sendgrid_server: FakeSendGrid, rendered: RenderedIssue
) -> None:
    config = replace(BASE, sendgrid=replace(BASE.sendgrid, host=sendgrid_server.url))
    good = make_recipient(config, SECRET, "one@example.org", "One")
    broken = replace(good, email="two@example.org", values={**good.values, "%%name%%": "Two\udc80"})
    too_big = replace(good, email="three@example.org", values={**good.values, "%%name%%": "x" * 10_000})
    size = len(json.dumps(too_big.values, ensure_ascii=False, separators=(",", ":")).encode())
    sender = SendGridProvider(config, API_KEY, retry=fast_retry())
    result = sender.send_batch(mailing_of(rendered), [good, broken, too_big])
    assert (result.status, result.fatal) == ("sent", "")
    assert {key: (r.status, r.reason) for key, r in result.recipients.items()} == {
        "two@example.org": (
            "failed",
            "the values for two@example.org are not valid text (a lone surrogate): they cannot be sent as JSON",
        ),
        "three@example.org": (
            "failed",
            f"the substitutions for three@example.org take {size} bytes: SendGrid takes at most 10000",
        ),
    }
    assert sendgrid_server.delivered_addresses() == ["one@example.org"]


# --- a message built elsewhere (welcome mail, a test copy) never leaves with an injected header -------------------


def injected_messages() -> list[EmailMessage]:
    decoded_subject = EmailMessage()
    decoded_subject["Subject"] = "=?utf-8?q?Welcome=0D=0ABcc:_all@example.org?="  # the email package decodes it
    decoded_subject["To"] = "asha@example.org"
    raw_to = EmailMessage()
    raw_to["Subject"] = "Welcome"
    raw_to.set_raw("To", "asha@example.org\r\nBcc: all@example.org")
    for message in (decoded_subject, raw_to):
        message["Message-ID"] = "<welcome.1@indiawrites.org>"
        message.set_content("Welcome.\n")
    return [decoded_subject, raw_to]


@pytest.mark.parametrize(("index", "header"), [(0, "Subject"), (1, "To")])
def test_outbox_and_smtp_refuse_a_message_with_an_injected_header(
    index: int, header: str, sink: tuple[Sink, int], tmp_path: Path
) -> None:
    handler, port = sink
    message = injected_messages()[index]
    expected = (
        f"the message's {header} header holds a line break that would start another header: nothing was sent; "
        "build it from one clean line (clean.clean_line)."
    )
    for provider in (OutboxProvider(tmp_path, config=BASE), SmtpProvider(smtp_config(port), "", retry=fast_retry())):
        with pytest.raises(ProviderError) as error:
            provider.send_message(message)
        assert str(error.value) == expected
        provider.close()
    assert list(tmp_path.iterdir()) == [] and handler.messages == []


def test_the_plan_shows_names_without_their_terminal_escapes(rendered: RenderedIssue) -> None:
    rows = [Sub("asha@example.org", "Asha\x1b[2J\x1b]0;owned\x07"), Sub("ravi@example.org", "Ravi\u202e")]
    plan = plan_send(rendered, rows, read_ledger(Path("/nonexistent/ledger.jsonl")), "outbox", SendOptions())
    assert describe_plan(plan, show=5)[-2:] == [
        "  asha@example.org (Asha\\x1b[2J\\x1b]0;owned\\x07)",
        "  ravi@example.org (Ravi\\u202e)",
    ]
