"""Bounces and complaints by email (issue 11): `newsletter inbox` over the real-world bounce corpus end to end (the
exact outcome of every message and the statuses after), the soft-bounce rule across three issues and separate
runs, and the whole loop: an issue sent through a real SMTP server carries the signed X-Newsletter-Feedback header,
a bounce of it marks that reader bounced, and a bounce with the header altered changes nobody."""

from __future__ import annotations

import csv
import json
import sqlite3
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from send_support import Sub, make_publication, readers, run
from sendgrid_fake import API_KEY, FakeSendGrid
from smtp_sink import Sink

from conftest import DATA, TEST_SECRET
from newsletter.cli import cli
from newsletter.subscribers.listfile import read_subscribers
from newsletter.tokens import make_feedback_token, read_feedback_token

CORPUS = DATA / "bounces"
ROWS = list(csv.DictReader((CORPUS / "expected.csv").open(encoding="utf-8")))
# On the list: every address a verified variant names, except the one variant-not-listed-* is about.
LISTED = [
    "kijitora@example.net",
    "kijitora@neko.example.jp",
    "userunknown@example.jp",
    "kijitora@example.onmicrosoft.com",
    "this-local-part-does-not-exist-on-yahoo@yahoo.com",
    "kijitora@example.com",
    "kijitora@example.org",
]
HEADER = "email,name,status,joined_at,source,consent,updated_at\n"


def write_list(pub: Path, emails: list[str], status: str = "active") -> None:
    rows = "".join(f"{email},,{status},2015-01-01T00:00:00Z,import,,2015-01-01T00:00:00Z\n" for email in emails)
    (pub / "subscribers.csv").write_text(HEADER + rows, encoding="utf-8")


def make_maildir(folder: Path, messages: list[bytes]) -> Path:
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    start = len(list((folder / "new").iterdir()))
    for number, raw in enumerate(messages, start=start):
        (folder / "new" / f"14265{number:05d}.M{number}P7.mx.indiawrites.org").write_bytes(raw)
    return folder


def inbox(pub: Path, maildir: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        cli, ["--config", str(pub / "newsletter.toml"), "inbox", "--maildir", str(maildir), *extra],
        catch_exceptions=False,
    )  # fmt: skip


def statuses(pub: Path) -> dict[str, str]:
    return {row.email: row.status for row in read_subscribers(pub / "subscribers.csv")}


def events(pub: Path) -> list[tuple[str, str, str, int, str]]:
    """(issue, email, event, count, source) of every event kept."""
    path = pub / "events" / "events.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path) as connection:
        query = "SELECT issue, email, event, count, source FROM events ORDER BY email, issue, event"
        return connection.execute(query).fetchall()


def seen(pub: Path) -> list[str]:
    with sqlite3.connect(pub / "events" / "events.sqlite3") as connection:
        return sorted(row[0] for row in connection.execute("SELECT id FROM seen"))


def corpus_message(name: str) -> bytes:
    """A corpus file with a Message-ID of its own on top: a variant shares its original's, and two bounces in one
    mailbox never do."""
    return f"Message-ID: <{name.removesuffix('.eml')}@corpus.test>\n".encode() + (CORPUS / name).read_bytes()


def expected_line(row: dict[str, str]) -> str:
    """The line `inbox` prints for a corpus message, from its row of expected.csv."""
    mid = f"<{row['file'].removesuffix('.eml')}@corpus.test>"
    email = row["recipient"]
    outcome = row["outcome"]
    if outcome == "reported":
        token = "refused token: the feedback token's signature does not match: it was altered or not made by " \
                "this newsletter." if "forged" in row["file"] else "no valid feedback token"  # fmt: skip
        return f"{mid}: reported, nothing changed: {row['kind']} ({token}) for {email.replace(';', ', ')}"
    if outcome == "not listed":
        return f"{mid}: {email} is not in the list: {row['kind']} for an address not on the list"
    if outcome == "counted":
        return f"{mid}: {email}: {row['kind']} on 2015-03-16 counted (signed token) (1 of 3 issues)"
    return f"{mid}: {email} {outcome} (was active): {row['kind']} on 2015-03-16 (signed token)"


def test_the_bounce_corpus_end_to_end(publication: Path, tmp_path: Path) -> None:
    write_list(publication, LISTED)
    maildir = make_maildir(tmp_path / "Maildir", [corpus_message(row["file"]) for row in ROWS])
    result = inbox(publication, maildir)
    assert result.exit_code == 0, result.output
    feedback = [row for row in ROWS if row["outcome"] != "none"]
    assert sorted(result.output.splitlines()) == sorted(
        [expected_line(row) for row in feedback]
        + [f"Maildir {maildir}: {len(ROWS)} new message(s), {len(feedback)} about the newsletter, "
           f"{len(ROWS) - len(feedback)} left alone, 0 handled before."]
    )  # fmt: skip
    assert len(feedback) == 33
    assert statuses(publication) == {
        "kijitora@example.net": "active",  # one soft bounce, counted
        "kijitora@neko.example.jp": "bounced",
        "userunknown@example.jp": "bounced",
        "kijitora@example.onmicrosoft.com": "bounced",
        "this-local-part-does-not-exist-on-yahoo@yahoo.com": "complained",
        "kijitora@example.com": "complained",
        "kijitora@example.org": "active",  # only a forged bounce and bounces without a token name it
    }
    row = read_subscribers(publication / "subscribers.csv").find("kijitora@neko.example.jp")
    assert row is not None and row.reason == (
        "hard_bounce on 2015-03-16 (signed token): 5.4.4 Host or domain name not found. Name service error for "
        "name=neko.example.jp type=AAAA: Host not found [mail:<variant-verified-lhost-postfix-06@corpus.test>]"
    )
    # Only verified feedback is kept, the address not on the list's too (it counts in that issue's stats).
    assert events(publication) == [
        ("2015-03-16", "kijitora@example.com", "spamreport", 1, "inbox"),
        ("2015-03-16", "kijitora@example.net", "soft_bounce", 1, "inbox"),
        ("2015-03-16", "kijitora@example.onmicrosoft.com", "bounce", 1, "inbox"),
        ("2015-03-16", "kijitora@neko.example.co.jp", "bounce", 1, "inbox"),
        ("2015-03-16", "kijitora@neko.example.jp", "bounce", 1, "inbox"),
        ("2015-03-16", "this-local-part-does-not-exist-on-yahoo@yahoo.com", "spamreport", 1, "inbox"),
        ("2015-03-16", "userunknown@example.jp", "bounce", 1, "inbox"),
    ]
    assert seen(publication) == [f"mail:<{row['file'].removesuffix('.eml')}@corpus.test>" for row in ROWS
                                 if row["verified"]]  # fmt: skip

    before, kept = (publication / "subscribers.csv").read_bytes(), events(publication)
    again = inbox(publication, maildir)
    assert again.output.splitlines() == [
        f"Maildir {maildir}: 4 new message(s), 0 about the newsletter, 4 left alone, 33 handled before."
    ]
    assert (publication / "subscribers.csv").read_bytes() == before and events(publication) == kept


def test_a_dry_run_says_what_it_would_do_and_keeps_nothing(publication: Path, tmp_path: Path) -> None:
    write_list(publication, LISTED)
    maildir = make_maildir(tmp_path / "Maildir", [corpus_message("variant-verified-lhost-gmail-01.eml")])
    before = (publication / "subscribers.csv").read_bytes()
    result = inbox(publication, maildir, "--dry-run")
    assert result.output.splitlines()[0] == (
        "would: <variant-verified-lhost-gmail-01@corpus.test>: userunknown@example.jp bounced (was active): "
        "hard_bounce on 2015-03-16 (signed token)"
    )
    assert (publication / "subscribers.csv").read_bytes() == before
    assert not (publication / "events").exists()


def soft_bounce(email: str, issue: str, number: int, secret: bytes = TEST_SECRET) -> bytes:
    """A delayed-delivery DSN (4.4.7) returning the headers of the issue sent to `email`, as Postfix writes it."""
    token = make_feedback_token(secret, issue, email)
    return (
        f"Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        f"To: editor@indiawrites.org\r\nSubject: Delayed Mail (still being retried)\r\n"
        f"Date: Mon, 16 Mar 2015 13:00:00 +0000\r\nMessage-ID: <delay-{number}@mx.example.net>\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="B{number}"\r\n\r\n'
        f"--B{number}\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered for 4 hours.\r\n\r\n"
        f"--B{number}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {email}\r\nAction: delayed\r\nStatus: 4.4.7\r\n"
        f"Diagnostic-Code: smtp; 452 4.2.2 mailbox full\r\n\r\n"
        f"--B{number}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: India and the World <editor@indiawrites.org>\r\nTo: {email}\r\nSubject: India and the World\r\n"
        f"Message-ID: <{issue}.{number}@indiawrites.org>\r\nX-Newsletter-Feedback: {token}\r\n\r\n"
        f"--B{number}--\r\n"
    ).encode()


def test_soft_bounces_on_three_different_issues_bounce_a_reader_across_runs(publication: Path, tmp_path: Path) -> None:
    reader, other = "full.mailbox@example.org", "busy@example.org"
    write_list(publication, [reader, other])
    runs = [
        ([soft_bounce(reader, "2015-03-02", 1)], f"{reader}: soft_bounce on 2015-03-02 counted (signed token) (1 of 3 issues)"),
        # The same issue again, another day: still one issue.
        ([soft_bounce(reader, "2015-03-02", 2)], f"{reader}: soft_bounce on 2015-03-02 counted (signed token) (1 of 3 issues)"),
        ([soft_bounce(reader, "2015-03-09", 3)], f"{reader}: soft_bounce on 2015-03-09 counted (signed token) (2 of 3 issues)"),
        ([soft_bounce(reader, "2015-03-16", 4)], f"{reader} bounced (was active): soft_bounce on 2015-03-16 (signed token)"),
    ]  # fmt: skip
    for number, (messages, line) in enumerate(runs, start=1):
        maildir = make_maildir(tmp_path / f"run{number}", messages)
        result = inbox(publication, maildir)
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[0] == f"<delay-{number}@mx.example.net>: {line}"
        assert statuses(publication)[reader] == ("bounced" if number == 4 else "active")
    # Three issues in one run count the same way; soft bounces signed with another secret count for nothing.
    forged = [soft_bounce(other, issue, 10 + n, secret=b"a-forger-guessing-the-newsletter-secret!!")
              for n, issue in enumerate(["2015-03-02", "2015-03-09", "2015-03-16"])]  # fmt: skip
    assert inbox(publication, make_maildir(tmp_path / "forged", forged)).exit_code == 0
    assert statuses(publication)[other] == "active"
    genuine = [soft_bounce(other, issue, 20 + n) for n, issue in enumerate(["2015-03-02", "2015-03-09", "2015-03-16"])]
    result = inbox(publication, make_maildir(tmp_path / "genuine", genuine))
    assert result.output.splitlines()[:3] == [
        f"<delay-20@mx.example.net>: {other}: soft_bounce on 2015-03-02 counted (signed token) (1 of 3 issues)",
        f"<delay-21@mx.example.net>: {other}: soft_bounce on 2015-03-09 counted (signed token) (2 of 3 issues)",
        f"<delay-22@mx.example.net>: {other} bounced (was active): soft_bounce on 2015-03-16 (signed token)",
    ]
    assert statuses(publication) == {reader: "bounced", other: "bounced"}


def returned_headers(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").partition(b"\n\n")[0].replace(b"\n", b"\r\n") + b"\r\n"


def hard_bounce(headers: bytes, email: str, number: int) -> bytes:
    return (
        b"Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        b"To: editor@indiawrites.org\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce-" + str(number).encode() + b"@mx.example.net>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="XB"\r\n\r\n'
        b"--XB\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be "
        b"delivered.\r\n\r\n--XB\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n"
        b"\r\nFinal-Recipient: rfc822; " + email.encode() + b"\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n--XB\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        + headers
        + b"\r\n--XB--\r\n"
    )


def test_smtp_mail_carries_the_signed_header_and_its_bounce_marks_the_reader(
    tmp_path: Path, sink: tuple[Sink, int]
) -> None:
    handler, port = sink
    pub = tmp_path / "pub"
    make_publication(pub, readers(5), send={"provider": "smtp"},
                     smtp={"host": "127.0.0.1", "port": port, "security": "none", "username": ""})  # fmt: skip
    assert run(pub, "send", "issues/2015-03-16.yaml", "--yes").exit_code == 0
    sent = {}
    for _, _, raw, _ in handler.messages:
        message = message_from_bytes(raw, policy=policy.default)
        email = message["To"].addresses[0].addr_spec
        assert read_feedback_token(TEST_SECRET, str(message["X-Newsletter-Feedback"])) == ("2015-03-16", email)
        sent[email] = raw
    assert sorted(sent) == [f"reader{n:05d}@example.org" for n in range(5)]

    dead, victim, forger = "reader00001@example.org", "reader00002@example.org", "reader00003@example.org"
    genuine = hard_bounce(returned_headers(sent[dead]), dead, 1)
    # Someone who knows how bounces look: an altered token is refused...
    altered = returned_headers(sent[victim]).replace(b"X-Newsletter-Feedback: ", b"X-Newsletter-Feedback: x")
    # ...and a reader's own copy, readdressed to someone else, still names only that reader.
    borrowed = returned_headers(sent[forger]).replace(forger.encode(), victim.encode())
    result = inbox(pub, make_maildir(tmp_path / "Maildir", [genuine, hard_bounce(altered, victim, 2),
                                                             hard_bounce(borrowed, victim, 3)]))  # fmt: skip
    assert result.output.splitlines()[:3] == [
        f"<bounce-1@mx.example.net>: {dead} bounced (was active): hard_bounce on 2015-03-16 (signed token)",
        "<bounce-2@mx.example.net>: reported, nothing changed: hard_bounce (refused token: the feedback token's "
        f"signature does not match: it was altered or not made by this newsletter.) for {victim}",
        f"<bounce-3@mx.example.net>: {forger} bounced (was active): hard_bounce on 2015-03-16 (signed token)",
    ]
    assert statuses(pub) == {f"reader{n:05d}@example.org": "bounced" if n in (1, 3) else "active" for n in range(5)}
    # The next issue skips the bounced reader.
    plan = run(pub, "send", "issues/2015-03-16.yaml", "--dry-run").stdout
    assert "reader00001@example.org" not in plan


def test_sendgrid_mail_does_not_carry_the_header(tmp_path: Path, sendgrid_server: FakeSendGrid,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("SENDGRID_API_KEY", API_KEY)
    pub = tmp_path / "pub"
    make_publication(pub, [Sub("asha@example.org")], send={"provider": "sendgrid"},
                     sendgrid={"host": sendgrid_server.url})  # fmt: skip
    result = run(pub, "send", "issues/2015-03-16.yaml", "--yes")
    assert result.exit_code == 0, result.output
    body = sendgrid_server.accepted[0].body
    assert body is not None
    assert list(body["personalizations"][0]["headers"]) == ["List-Unsubscribe"]
    assert "X-Newsletter-Feedback" not in json.dumps(body)
