"""Messages read as unsure: never acted on, never dropped. `newsletter inbox` lists them at the end of its run and
keeps them in inbox-review.json; `newsletter inbox --review` lets the editor decide each one, applied as an
automatic decision would be (authentication, answers), with a consent record that names the editor's decision."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from test_inbox import invoke, make_maildir, outbox_messages

from conftest import DATA, TEST_SECRET
from newsletter.cli import cli
from newsletter.config import load_config
from newsletter.errors import InboxError
from newsletter.inbox.decide import decide_review, pending_reviews
from newsletter.inbox.review import REVIEW_NAME, load_review
from newsletter.subscribers.listfile import read_subscribers

CORPUS = DATA / "inbox"
AUTHENTICATED = b"Authentication-Results: mx.indiawrites.org; dkim=pass header.d=example.org\r\n"


def mail(sender: bytes, subject: bytes, text: bytes, message_id: bytes, *, authenticated: bool = True) -> bytes:
    return (
        (AUTHENTICATED if authenticated else b"")
        + b"From: " + sender + b"\r\nTo: editor@indiawrites.org\r\nSubject: " + subject
        + b"\r\nDate: Fri, 20 Mar 2015 01:02:00 +0000\r\nMessage-ID: " + message_id
        + b"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + b"\r\n"
    )  # fmt: skip


UNSURE = [
    mail(b"Asha Rao <asha@example.org>", b"Question", b"Dear Editor,\r\n\r\nIf it is free, please add me.\r\n\r\nAsha",
         b"<if-free@example.org>"),
    mail(b"Ben <ben@example.net>", b"Pause", b"Could you pause India and the World until June?",
         b"<pause@example.net>", authenticated=False),
    mail(b"Chitra <chitra@example.org>", b"Re: India and the World", b"Please add my husband too.",
         b"<husband@example.org>"),
]  # fmt: skip


@pytest.fixture
def pub(publication: Path) -> Path:
    shutil.copy(CORPUS / "subscribers.csv", publication / "subscribers.csv")
    return publication


def review(pub: Path, answers: str = "") -> Result:
    return CliRunner().invoke(cli, ["--config", str(pub / "newsletter.toml"), "inbox", "--review"], input=answers)


def mailbox(tmp_path: Path, messages: list[bytes]) -> Path:
    maildir = make_maildir(tmp_path / "Maildir", [])
    for number, raw in enumerate(messages):
        (maildir / "new" / f"{number:04d}.M{number}P1.mx").write_bytes(raw)
    return maildir


def test_unsure_messages_are_listed_at_the_end_kept_for_review_and_never_acted_on(pub: Path, tmp_path: Path) -> None:
    maildir = mailbox(tmp_path, [*UNSURE, (CORPUS / "29_unrelated_invitation.eml").read_bytes()])
    before = (pub / "subscribers.csv").read_bytes()
    result = invoke(pub, "inbox", "--maildir", str(maildir))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "not acted on, kept for review (`newsletter inbox --review` decides them):",
        "  asha@example.org, subject 'Question': \"If it is free, please add me.\" (conditional: 'If it is free, "
        "please add me')",
        "  ben@example.net, subject 'Pause': \"Could you pause India and the World until June?\" (asks to pause, not "
        "to stop: 'pause')",
        "  chitra@example.org, subject 'Re: India and the World': \"Please add my husband too.\" (about someone "
        "else: 'add my husband')",
        f"Maildir {maildir}: 4 new message(s), 0 about the newsletter, 3 for review, 1 left alone, 0 handled before.",
    ]
    assert (pub / "subscribers.csv").read_bytes() == before
    assert not (pub / "outbox").exists()
    entries = load_review(pub / REVIEW_NAME)
    assert [(e.message_id, e.email, e.authenticated) for e in entries] == [
        ("<if-free@example.org>", "asha@example.org", True),
        ("<pause@example.net>", "ben@example.net", False),
        ("<husband@example.org>", "chitra@example.org", True),
    ]
    assert json.loads(entries[0].consent) == {
        "auth": "mx.indiawrites.org: dkim=pass header.d=example.org (aligned with example.org)",
        "date": "Fri, 20 Mar 2015 01:02:00 +0000",
        "evidence": "If it is free, please add me.",
        "from": "Asha Rao <asha@example.org>",
        "message_id": "<if-free@example.org>",
        "reading": "conditional: 'If it is free, please add me'",
    }
    # Read again (the same mailbox, its state file gone): each message stays on the list once.
    (pub / "inbox-state.json").unlink()
    again = invoke(pub, "inbox", "--maildir", str(maildir))
    assert again.exit_code == 0, again.output
    assert len(load_review(pub / REVIEW_NAME)) == 3


def test_a_dry_run_lists_them_and_keeps_nothing(pub: Path, tmp_path: Path) -> None:
    maildir = mailbox(tmp_path, UNSURE[:1])
    result = invoke(pub, "inbox", "--maildir", str(maildir), "--dry-run")
    assert result.output.splitlines()[0] == "not acted on, would be kept for review (`newsletter inbox --review` " \
        "decides them):"  # fmt: skip
    assert not (pub / REVIEW_NAME).exists()


def test_the_editor_decides_each_one_as_an_automatic_decision_would_be_applied(pub: Path, tmp_path: Path) -> None:
    invoke(pub, "inbox", "--maildir", str(mailbox(tmp_path, UNSURE)))
    result = review(pub, "subscribe\nsubscribe\nskip\n")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:8] == [
        "1 of 3: <if-free@example.org>, read " + load_review_read_at(lines[0]),
        "  from:    Asha Rao <asha@example.org> (authenticated)",
        "  subject: Question",
        '  wrote:   "If it is free, please add me."',
        "  unsure:  conditional: 'If it is free, please add me'",
        "  decide (subscribe, unsubscribe, ignore, skip) [skip]: subscribe",
        "  asha@example.org subscribed (active)",
        f"  written to {pub / 'outbox' / '_transactional'}/: welcome to asha@example.org",
    ]
    assert lines[9:15] == [
        "  from:    Ben <ben@example.net> (not authenticated: a confirmation is asked first)",
        "  subject: Pause",
        '  wrote:   "Could you pause India and the World until June?"',
        "  unsure:  asks to pause, not to stop: 'pause'",
        "  decide (subscribe, unsubscribe, ignore, skip) [skip]: subscribe",
        "  ben@example.net added as pending; confirmation requested",
    ]
    assert lines[-1] == "1 message(s) left on the review list."
    rows = read_subscribers(pub / "subscribers.csv")
    asha, ben = rows.find("asha@example.org"), rows.find("ben@example.net")
    assert asha is not None and (asha.status, asha.name, asha.source) == ("active", "Asha Rao", "inbox")
    record = json.loads(asha.consent)
    assert record["decision"].startswith("subscribe: the editor's decision on review, ")
    assert (record["reading"], record["evidence"], record["message_id"]) == (
        "conditional: 'If it is free, please add me'",
        "If it is free, please add me.",
        "<if-free@example.org>",
    )
    # Not authenticated: the editor's decision does not prove the address, the reader's confirmation does
    assert ben is not None and (ben.status, ben.name) == ("pending", "")
    assert outbox_messages(pub)["ben@example.net"]["Subject"].startswith("Please confirm your subscription")
    assert [entry.message_id for entry in load_review(pub / REVIEW_NAME)] == ["<husband@example.org>"]

    ignored = review(pub, "ignore\n")
    assert ignored.output.splitlines()[-2:] == ["  left alone (the editor's decision)", "0 message(s) left on the "
                                                "review list."]  # fmt: skip
    assert read_subscribers(pub / "subscribers.csv").find("chitra@example.org") is None
    assert review(pub).output == "Nothing to review.\n"


def load_review_read_at(first_line: str) -> str:
    return first_line.rpartition(", read ")[2]


def test_an_editors_unsubscribe_of_an_authenticated_reader_is_recorded_with_the_decision(pub: Path) -> None:
    config = load_config(pub / "newsletter.toml")
    # rahul.verma@example.com is active in the corpus list; his message was unsure
    raw = mail(b"Rahul Verma <rahul.verma@example.com>", b"Inbox", b"My inbox is overflowing; maybe I should unsubscribe?",
               b"<maybe@example.com>").replace(b"header.d=example.org", b"header.d=example.com")  # fmt: skip
    maildir = mailbox(pub / "mail", [raw])
    invoke(pub, "inbox", "--maildir", str(maildir))
    (entry,) = pending_reviews(config)
    moment = datetime(2015, 3, 27, 9, 0, tzinfo=UTC)
    done = decide_review(config, TEST_SECRET, None, entry.message_id, "unsubscribe", now=moment)
    assert done.result == "rahul.verma@example.com unsubscribed (was active)"
    assert done.failures == ["the goodbye email to rahul.verma@example.com could not be sent (no provider to send it)"]
    row = read_subscribers(pub / "subscribers.csv").find("rahul.verma@example.com")
    assert row is not None and row.status == "unsubscribed"
    assert pending_reviews(config) == []
    with pytest.raises(InboxError) as error:
        decide_review(config, TEST_SECRET, None, entry.message_id, "subscribe", now=moment)
    assert str(error.value) == (
        f"{pub / REVIEW_NAME}: no message <maybe@example.com> waits for review (another command may have decided "
        "it): run `newsletter inbox --review` again to see the list."
    )


def test_review_entries_from_hostile_mail_are_shown_escaped(pub: Path, tmp_path: Path) -> None:
    raw = mail(b"=?utf-8?q?Eve=1B=5B2J?= <eve@example.org>", b"=?utf-8?q?Hi=1B=5B31m?=",
               b"If it is free, please add me.\x1b]0;x\x07", b"<\x1b[2Jid@example.org>")  # fmt: skip
    invoke(pub, "inbox", "--maildir", str(mailbox(tmp_path, [raw])))
    result = review(pub, "skip\n")
    assert "\x1b" not in result.output
    assert "  subject: Hi [31m" in result.output.splitlines()
    data = (pub / REVIEW_NAME).read_bytes()
    assert not any(byte < 0x20 and byte not in b"\n" for byte in data)


def test_a_damaged_review_list_is_a_one_line_error(pub: Path) -> None:
    (pub / REVIEW_NAME).write_text('{"entries": [{"message_id": "<x>"}]}', encoding="utf-8")
    result = review(pub)
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {pub / REVIEW_NAME}: entry 1 of the review list is damaged (it needs ")
