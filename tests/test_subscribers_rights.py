"""A reader's data rights: `subscribers show EMAIL` prints everything held about the address, `subscribers forget
EMAIL` erases it from the list, the ledgers, the outbox, the journal, the review list and the events, keeping a
keyed hash that stops an import or an unproven inbox request from adding it back."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import TEST_SECRET
from newsletter.cli import cli
from newsletter.config import load_config
from newsletter.errors import SendError, SubscriberError
from newsletter.feedback.events import Event, record_events
from newsletter.inbox.review import REVIEW_NAME, load_review
from newsletter.rights import forget_reader, reader_data
from newsletter.sending.ledger import read_ledger
from newsletter.sending.run import lock_send
from newsletter.subscribers.forgotten import FORGOTTEN_NAME, forget_key
from newsletter.subscribers.imports import import_subscribers
from newsletter.subscribers.journal import Change, JournalWriter, read_pending
from newsletter.subscribers.journal_apply import apply_journal
from newsletter.subscribers.listfile import read_subscribers

PRIYA = "priya.sharma@example.org"
AUTHENTICATED = b"Authentication-Results: mx.indiawrites.org; dkim=pass header.d=example.org\r\n"
NOW = datetime(2015, 3, 27, 9, 0, tzinfo=UTC)


def invoke(pub: Path, *args: str, answers: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--config", str(pub / "newsletter.toml"), *args], input=answers)


def mail(sender: bytes, subject: bytes, text: bytes, message_id: bytes, *, authenticated: bool = True) -> bytes:
    return (
        (AUTHENTICATED if authenticated else b"")
        + b"From: " + sender + b"\r\nTo: editor@indiawrites.org\r\nSubject: " + subject
        + b"\r\nDate: Fri, 20 Mar 2015 01:02:00 +0000\r\nMessage-ID: " + message_id
        + b"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + b"\r\n"
    )  # fmt: skip


def inbox(pub: Path, *messages: bytes) -> Result:
    # the editor's mailbox, which is not the publication's folder
    maildir = pub.parent / f"{pub.name}-mail" / f"Maildir{len(list(pub.parent.glob(pub.name + '-mail/Maildir*')))}"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for number, raw in enumerate(messages):
        (maildir / "new" / f"{number}.M{number}P1.mx").write_bytes(raw)
    return invoke(pub, "inbox", "--maildir", str(maildir))


@pytest.fixture
def pub(publication: Path) -> Path:
    """The sample publication after a send of the sample issue, an event, a journal change and a review entry, all
    about Priya (and others)."""
    assert invoke(publication, "send", "issues/2015-03-16.yaml", "--yes").exit_code == 0
    config = load_config(publication / "newsletter.toml")
    events = [
        Event("sg-1", "2015-03-16", PRIYA, "delivered", 1426500000),
        Event("sg-2", "2015-03-16", PRIYA, "click", 1426503600, url="https://www.indiawrites.org/a"),
        Event("sg-3", "2015-03-16", "rahul.verma@example.com", "delivered", 1426500000),
    ]
    record_events(config.events_path, events, received=1426503700)
    unsure = mail(b"Priya Sharma <priya.sharma@example.org>", b"Pause", b"Could you pause India and the World until May?",
                  b"<pause-priya@example.org>")  # fmt: skip
    assert inbox(publication, unsure).exit_code == 0
    # Last: `inbox` folds what is pending into the list first, and these changes are to stay in the journal.
    writer = JournalWriter(config.journal_dir)
    writer.append([
        Change("c1", datetime(2015, 3, 20, 10, 0, tzinfo=UTC), PRIYA, "unsubscribed", reason="one-click unsubscribe",
               evidence={"via": "List-Unsubscribe-Post"}),
        Change("c2", datetime(2015, 3, 20, 10, 5, tzinfo=UTC), "new.reader@example.net", "pending",
               reason="sign-up on the web"),
    ])  # fmt: skip
    writer.close()
    return publication


def test_show_prints_everything_held_about_the_reader(pub: Path) -> None:
    result = invoke(pub, "subscribers", "show", "Priya.Sharma@EXAMPLE.org")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    message_id = read_ledger(pub / "sends" / "2015-03-16.jsonl").entries.get(PRIYA)
    assert message_id is not None
    assert lines == [
        f"everything held about {PRIYA}:",
        "subscribers.csv: 1 row",
        f"  email: {PRIYA}",
        "  name: Priya Sharma",
        "  status: active",
        "  joined_at: 2015-02-10T09:30:00Z",
        "  source: inbox",
        "  consent:",
        "    {",
        '      "auth": "mx.indiawrites.org: dkim=pass header.d=example.org (aligned)",',
        '      "date": "Tue, 10 Feb 2015 15:00:12 +0530",',
        '      "from": "Priya Sharma <priya.sharma@example.org>",',
        '      "message_id": "<CAB1x9q@mail.example.org>"',
        "    }",
        "  updated_at: 2015-02-10T09:30:00Z",
        "  reason: ",
        "issues sent (send ledgers): 1",
        f"  2015-03-16: sent (message id {message_id.message_id})",
        "outbox copies: 1",
        f"  {pub / 'outbox' / '2015-03-16' / (PRIYA + '.eml')}",
        "events: 2",
        "  2015-03-16: delivered, first 2015-03-16 10:00 UTC, from sendgrid",
        "  2015-03-16: click, first 2015-03-16 11:00 UTC, from sendgrid https://www.indiawrites.org/a",
        "changes from the web not yet in subscribers.csv (journal): 1",
        '  2015-03-20T10:00:00+00:00: unsubscribed one-click unsubscribe {"via": "List-Unsubscribe-Post"}',
        "  status once they are in subscribers.csv: unsubscribed",
        "messages waiting for the editor's review (inbox-review.json): 1",
        "  <pause-priya@example.org>, subject 'Pause': \"Could you pause India and the World until May?\" (asks to "
        "pause, not to stop: 'pause')",
    ]


def test_forget_erases_the_reader_everywhere_and_keeps_a_keyed_hash(pub: Path) -> None:
    config = load_config(pub / "newsletter.toml")
    others_before = {row.email: row.status for row in read_subscribers(config.subscribers_path) if row.email != PRIYA}
    report = forget_reader(config, TEST_SECRET, "Priya.Sharma@example.org", now=NOW)
    assert report.lines == [
        "subscribers.csv: 1 row removed (was unsubscribed)",  # the journal's unsubscribe was folded in first
        "inbox-review.json: 1 entry removed",
        "journal: 1 pending change folded into the list first, 1 outcome removed",
        "send ledgers: the address removed from 3 records of 2015-03-16.jsonl",
        "outbox: 1 copy deleted",
        "events: 2 rows deleted",
        "forgotten.json: a keyed hash of the address kept, so that no import or unproven request adds it back (the "
        "reader's own authenticated request still can)",
        "not erased here: the reader's own emails in the editor's mailbox, and backups: delete those by hand",
    ]
    # Nothing of the address is left in any file of the publication
    for path in pub.rglob("*"):
        if path.is_file():
            assert b"priya.sharma" not in path.read_bytes().lower(), path
    others = {row.email: row.status for row in read_subscribers(config.subscribers_path)}
    assert others == {**others_before, "new.reader@example.net": "pending"}
    # ... and what is left still reads: the ledger replays, the journal has nothing pending, the review list loads
    ledger = read_ledger(pub / "sends" / "2015-03-16.jsonl")
    assert ledger.entries.get(PRIYA) is None and ledger.counts()["sent"] == 2
    assert read_pending(config.journal_dir).changes == []
    assert apply_journal(config.subscribers_path, config.journal_dir).problems == []
    assert load_review(pub / REVIEW_NAME) == []
    assert json.loads((pub / FORGOTTEN_NAME).read_text()) == {
        "version": 1,
        "hmac": "sha256",
        "hashes": {forget_key(TEST_SECRET, PRIYA): "2015-03-27T09:00:00+00:00"},
    }
    assert reader_data(config, PRIYA, TEST_SECRET).forgotten_at == "2015-03-27T09:00:00+00:00"


def test_forget_then_an_import_does_not_add_the_reader_back_and_says_so(pub: Path) -> None:
    result = invoke(pub, "subscribers", "forget", PRIYA, "--yes")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"forgot {PRIYA}:"
    (pub / "list.txt").write_text(f"Priya Sharma <{PRIYA}>\nsomeone.new@example.org\n", encoding="utf-8")
    imported = invoke(pub, "subscribers", "import", str(pub / "list.txt"))
    assert imported.exit_code == 0, imported.output
    assert imported.output.splitlines() == [
        f"line 1: {PRIYA}: not added: this reader asked to be forgotten (only their own authenticated request "
        "subscribes them again)",
        "line 2: someone.new@example.org: added (active)",
        "imported list.txt (plain): 1 added, 1 forgotten.",
    ]
    assert read_subscribers(pub / "subscribers.csv").find(PRIYA) is None


def test_forget_then_the_editors_own_add_needs_again(pub: Path) -> None:
    assert invoke(pub, "subscribers", "forget", PRIYA, "--yes").exit_code == 0
    refused = invoke(pub, "subscribers", "add", PRIYA.upper())
    assert refused.exit_code == 1
    when = refused.stderr.split("(")[1][:10]  # the day `forget` ran: today, by the real clock
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", when)
    shouted = PRIYA.upper().replace("EXAMPLE.ORG", "example.org")  # the domain is normalised, the local part kept
    assert refused.stderr == (
        f"error: {shouted} asked to be forgotten ({when}), so nothing adds them back silently: if they asked to "
        f"subscribe again, run `newsletter subscribers add {shouted} --again`.\n"
    )
    assert read_subscribers(pub / "subscribers.csv").find(PRIYA) is None
    added = invoke(pub, "subscribers", "add", PRIYA, "--name", "Priya", "--again")
    assert added.exit_code == 0, added.output
    assert added.output == f"added {PRIYA} (active); they had asked to be forgotten and are off that list now\n"
    row = read_subscribers(pub / "subscribers.csv").find(PRIYA)
    assert row is not None and (row.status, row.name) == ("active", "Priya")
    assert invoke(pub, "subscribers", "add", "someone.else@example.org", "--again").output == (
        "added someone.else@example.org (active)\n"
    )
    # Off the list: an import may add them again (after a remove, they stay unsubscribed as for anyone).
    assert json.loads((pub / FORGOTTEN_NAME).read_text(encoding="utf-8"))["hashes"] == {}


def test_an_import_that_cannot_check_the_forgotten_readers_is_refused(pub: Path) -> None:
    config = load_config(pub / "newsletter.toml")
    forget_reader(config, TEST_SECRET, PRIYA, now=NOW)
    (pub / "list.txt").write_text(f"{PRIYA}\n", encoding="utf-8")
    with pytest.raises(SubscriberError) as error:
        import_subscribers(config.subscribers_path, pub / "list.txt")
    assert str(error.value) == (
        f"{pub / FORGOTTEN_NAME} holds readers who asked to be forgotten, keyed with NEWSLETTER_SECRET: set it (the "
        "same secret as when they were forgotten), then run the command again."
    )
    assert read_subscribers(config.subscribers_path).find(PRIYA) is None


def test_after_forget_only_the_readers_own_authenticated_request_subscribes_them(pub: Path) -> None:
    forget_reader(load_config(pub / "newsletter.toml"), TEST_SECRET, PRIYA, now=NOW)
    unproven = mail(b"Priya <priya.sharma@example.org>", b"subscribe", b"Please add me.", b"<again-1@example.org>",
                    authenticated=False)  # fmt: skip
    first = inbox(pub, unproven)
    assert first.output.splitlines()[0] == (
        f"<again-1@example.org>: {PRIYA} asked to be forgotten: not added; confirmation requested"
    )
    assert read_subscribers(pub / "subscribers.csv").find(PRIYA) is None
    proven = mail(b"Priya <priya.sharma@example.org>", b"subscribe", b"Please add me.", b"<again-2@example.org>")
    second = inbox(pub, proven)
    assert second.output.splitlines()[0] == (
        f"<again-2@example.org>: {PRIYA} subscribed (active), by their own request after being forgotten"
    )
    row = read_subscribers(pub / "subscribers.csv").find(PRIYA)
    assert row is not None and row.status == "active"
    assert json.loads((pub / FORGOTTEN_NAME).read_text())["hashes"] == {}


def test_forget_refuses_while_a_send_holds_the_ledger_and_changes_nothing(pub: Path) -> None:
    config = load_config(pub / "newsletter.toml")
    files = {path: path.read_bytes() for path in pub.rglob("*") if path.is_file() and "events" not in path.parts}
    with lock_send(pub / "sends" / "2015-03-16.jsonl"), pytest.raises(SendError) as error:
        forget_reader(config, TEST_SECRET, PRIYA, now=NOW)
    assert str(error.value).startswith(f"cannot forget {PRIYA} now: another send of 2015-03-16 is running (pid ")
    assert str(error.value).endswith("; nothing was changed, run forget again when the send has finished.")
    for path, data in files.items():
        if not path.name.endswith(".lock"):
            assert path.read_bytes() == data, path


def test_forget_needs_the_real_secret_and_asks_first(pub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    declined = invoke(pub, "subscribers", "forget", PRIYA, answers="n\n")
    assert declined.exit_code == 1
    assert read_subscribers(pub / "subscribers.csv").find(PRIYA) is not None
    monkeypatch.delenv("NEWSLETTER_SECRET")
    refused = invoke(pub, "subscribers", "forget", PRIYA, "--yes")
    assert refused.exit_code == 1
    assert refused.output.startswith("error: NEWSLETTER_SECRET is not set")
    invalid = invoke(pub, "subscribers", "show", "not-an-address")
    assert invalid.output == (
        "error: 'not-an-address' is not a valid email address (An email address must have an @-sign.): give the "
        "reader's address.\n"
    )
