"""`newsletter inbox` end to end on a Maildir and an mbox: the corpus applied to subscribers.csv, answers written to
the outbox, a second run changing nothing, and the confirmation round trips a reader completes by replying."""

from __future__ import annotations

import csv
import mailbox
import shutil
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import DATA, TEST_SECRET
from newsletter.cli import cli
from newsletter.config import load_config
from newsletter.inbox.review import REVIEW_NAME, load_review
from newsletter.inbox.run import run_inbox
from newsletter.inbox.sources import STATE_NAME, load_state, open_maildir, open_mbox
from newsletter.providers.outbox import OutboxProvider
from newsletter.subscribers.listfile import read_subscribers
from newsletter.tokens import make_token

CORPUS = DATA / "inbox"
EXPECTED = list(csv.DictReader((CORPUS / "expected.csv").open(encoding="utf-8")))
# Bounces the rules leave alone: the inbox reports them to the editor (issue 11), and they count as handled.
BOUNCES = {"24_bounce_dsn.eml", "25_postmaster_report.eml"}
NOW = datetime(2015, 3, 26, 8, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


@pytest.fixture
def pub(publication: Path) -> Path:
    shutil.copy(CORPUS / "subscribers.csv", publication / "subscribers.csv")
    return publication


def make_maildir(folder: Path, files: list[Path]) -> Path:
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for number, path in enumerate(files):
        (folder / "new" / f"14263{number:05d}.M{number}P42.mx.indiawrites.org").write_bytes(path.read_bytes())
    return folder


def invoke(pub: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(pub / "newsletter.toml"), *args], catch_exceptions=False)


def statuses(path: Path) -> dict[str, str]:
    return {row.email: row.status for row in read_subscribers(path)}


def expected_statuses() -> dict[str, str]:
    final = {row.email: row.status for row in read_subscribers(CORPUS / "subscribers.csv")}
    final.update({row["email"]: row["status_after"] for row in EXPECTED if row["status_after"]})
    return final


def outbox_messages(pub: Path) -> dict[str, EmailMessage]:
    """The latest answer to each address (the outbox writes <address>.eml, then <address>.2.eml, ...)."""
    folder = pub / "outbox" / "_transactional"
    found: dict[str, tuple[int, EmailMessage]] = {}
    for path in folder.glob("*.eml") if folder.is_dir() else []:
        address, _, number = path.stem.rpartition(".")
        if not number.isdigit():
            address, number = path.stem, "1"
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        if address not in found or int(number) > found[address][0]:
            found[address] = (int(number), message)
    return {address: message for address, (_, message) in found.items()}


def test_maildir_corpus_then_a_second_run_changes_nothing(pub: Path, tmp_path: Path) -> None:
    maildir = make_maildir(tmp_path / "Maildir", sorted(CORPUS.glob("*.eml")))
    # A message still being delivered sits in tmp/: it must never be read.
    (maildir / "tmp" / "14269.M1P1.mx").write_bytes((CORPUS / "02_outlook_subscribe.eml").read_bytes().replace(
        b"arjun.nair@outlook.com", b"in.delivery@outlook.com"))  # fmt: skip
    result = invoke(pub, "inbox", "--maildir", str(maildir))
    assert result.exit_code == 0, result.output
    # the unsure ones are handled too (kept for review), and the bounces (kept as events)
    acted = [row for row in EXPECTED if row["action"] != "ignore" or row["file"] in BOUNCES]
    unsure = [row for row in EXPECTED if row["action"] == "unsure"]
    ignored = len(EXPECTED) - len(acted)
    assert result.output.splitlines()[-1] == (
        f"Maildir {maildir}: {len(EXPECTED)} new message(s), {len(acted) - len(unsure)} about the newsletter, "
        f"{len(unsure)} for review, {ignored} left alone, 0 handled before."
    )
    assert [entry.message_id for entry in load_review(pub / REVIEW_NAME)] == [
        "<fwd-13@example.com>",
        "<replyto-34@example.com>",
    ]
    # At the end of the run: each message kept for review, with its sender, subject and the sentence that made it
    # unsure; and each request acted on with how its words were read.
    assert result.output.splitlines()[-4:-1] == [
        "not acted on, kept for review (`newsletter inbox --review` decides them):",
        "  colleague@example.com, subject 'Fwd: Subscribe': \"Fwd: Subscribe\" (only the subject of a reply mentions "
        "it: 'Fwd: Subscribe')",
        "  deepak.s@example.com, subject 'subscribe': \"Please subscribe my colleague asha.colleague@example.org as "
        'well." (about another address: asha.colleague@example.org)',
    ]
    assert (
        "  read as: request to unsubscribe ('Please take me off'): \"Please take me off the list.\""
        in result.output.splitlines()
    )
    assert statuses(pub / "subscribers.csv") == expected_statuses()
    answered = {row["email"].lower() for row in EXPECTED if row["replies"]}
    assert set(outbox_messages(pub)) == answered
    assert "in.delivery@outlook.com" not in statuses(pub / "subscribers.csv")
    assert len(load_state(pub / STATE_NAME).processed) == len(acted)

    before = (pub / "subscribers.csv").read_bytes()
    outbox_before = {p.name: p.read_bytes() for p in (pub / "outbox" / "_transactional").iterdir()}
    again = invoke(pub, "inbox", "--maildir", str(maildir))
    assert again.exit_code == 0, again.output
    assert again.output.splitlines() == [
        f"Maildir {maildir}: {ignored} new message(s), 0 about the newsletter, {ignored} left alone, "
        f"{len(acted)} handled before.",
        f"{len(unsure)} message(s) on the review list: `newsletter inbox --review` decides them.",
    ]
    assert (pub / "subscribers.csv").read_bytes() == before
    assert {p.name: p.read_bytes() for p in (pub / "outbox" / "_transactional").iterdir()} == outbox_before


def test_dry_run_shows_what_would_happen_and_changes_nothing(pub: Path, tmp_path: Path) -> None:
    maildir = make_maildir(
        tmp_path / "Maildir", [CORPUS / "06_spoofed_no_auth.eml", CORPUS / "29_unrelated_invitation.eml"]
    )
    before = (pub / "subscribers.csv").read_bytes()
    result = invoke(pub, "inbox", "--maildir", str(maildir), "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "would: <20150320010200.GA4411@bulk.example.net>: vikram.rao@example.com added as pending; confirmation "
        "requested",
        "  read as: request to subscribe ('subscribe'): \"subscribe\"",
        "would: <invite-29@example.org>: ignored: not about the newsletter",
        f"dry run: Maildir {maildir}: 2 new message(s), 1 about the newsletter, 1 left alone, 0 handled before.",
    ]
    assert (pub / "subscribers.csv").read_bytes() == before
    assert not (pub / "outbox").exists()
    assert not (pub / STATE_NAME).exists()


def run_files(pub: Path, source_path: Path, *, mbox: bool = False) -> list[str]:
    config = load_config(pub / "newsletter.toml")
    state_path = pub / STATE_NAME
    opener = open_mbox if mbox else open_maildir
    source = opener(source_path, load_state(state_path), state_path)
    try:
        report = run_inbox(
            source, config, TEST_SECRET, OutboxProvider(pub / "outbox" / "_transactional"), now=clock,
            sent_slugs=["2015-03-09", "2015-03-16"],
        )  # fmt: skip
    finally:
        source.close()
    assert report.failures == []
    return [outcome.result for outcome in report.outcomes]


def reply_to(answer: EmailMessage, sender: str, body: str = "Yes.") -> bytes:
    """What a mail client sends when the reader presses Reply: same subject with 'Re:', no authentication."""
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = str(answer["From"])
    reply["Subject"] = f"Re: {answer['Subject']}"
    reply["Message-ID"] = f"<reply-{abs(hash(str(answer['Message-ID'])))}@example.com>"
    reply["In-Reply-To"] = str(answer["Message-ID"])
    reply["Date"] = "Thu, 26 Mar 2015 10:00:00 +0000"
    reply.set_content(f"{body}\n\nOn Thu, 26 Mar 2015, India and the World wrote:\n> quoted text\n")
    return bytes(reply)


def test_confirmation_round_trip_activates_a_pending_reader(pub: Path, tmp_path: Path) -> None:
    first = make_maildir(tmp_path / "one", [CORPUS / "06_spoofed_no_auth.eml"])
    assert run_files(pub, first) == ["vikram.rao@example.com added as pending; confirmation requested"]
    confirm = outbox_messages(pub)["vikram.rao@example.com"]
    assert confirm["Subject"].startswith("Please confirm your subscription to India and the World (confirm ")
    assert confirm["In-Reply-To"] is None  # an unauthenticated request is not threaded into: it may be forged
    assert confirm["Auto-Submitted"] == "auto-replied"
    assert "Vikram" not in confirm.as_string()  # a stranger's display name is never echoed back

    second = tmp_path / "two"
    make_maildir(second, [])
    (second / "new" / "1.M1P1.mx").write_bytes(reply_to(confirm, "Vikram Rao <vikram.rao@example.com>"))
    assert run_files(pub, second) == ["vikram.rao@example.com subscribed (was pending, now active)"]
    row = read_subscribers(pub / "subscribers.csv").find("vikram.rao@example.com")
    assert row is not None and row.status == "active"
    assert '"auth": "signed confirm token"' in row.consent and '"request": {' in row.consent
    # Both answers are kept, in order: the confirmation request, then the welcome.
    folder = pub / "outbox" / "_transactional"
    assert sorted(p.name for p in folder.glob("vikram.rao@example.com*")) == [
        "vikram.rao@example.com.2.eml",
        "vikram.rao@example.com.eml",
    ]
    welcome = outbox_messages(pub)["vikram.rao@example.com"]
    assert welcome["Subject"] == "Welcome to India and the World"


def test_unauthenticated_unsubscribe_needs_the_readers_reply(pub: Path, tmp_path: Path) -> None:
    first = make_maildir(tmp_path / "one", [CORPUS / "15_unsubscribe_unauthenticated.eml"])
    assert run_files(pub, first) == ["lisa.m@example.com stays active; confirmation of the unsubscribe requested"]
    question = outbox_messages(pub)["lisa.m@example.com"]
    assert question["Subject"].startswith("Please confirm that you want to unsubscribe from India and the World")
    second = tmp_path / "two"
    make_maildir(second, [])
    (second / "new" / "1.M1P1.mx").write_bytes(reply_to(question, "lisa.m@example.com"))
    assert run_files(pub, second) == ["lisa.m@example.com unsubscribed (was active)"]
    goodbye = outbox_messages(pub)["lisa.m@example.com"]
    assert goodbye["Subject"] == "You are unsubscribed from India and the World"
    assert goodbye.get_content() == (
        "You are unsubscribed: lisa.m@example.com will get no more issues of India and the World.\n"
    )


def test_welcome_email_links_the_latest_issue_and_carries_unsubscribe_headers(pub: Path, tmp_path: Path) -> None:
    box = tmp_path / "box.mbox"
    mbox = mailbox.mbox(box)
    mbox.add((CORPUS / "01_gmail_subscribe_hindi.eml").read_bytes())
    mbox.close()
    assert run_files(pub, box, mbox=True) == ["priya.sharma.delhi@gmail.com subscribed (active)"]
    welcome = outbox_messages(pub)["priya.sharma.delhi@gmail.com"]
    assert str(welcome["To"]) == "प्रिया शर्मा <priya.sharma.delhi@gmail.com>"
    assert str(welcome["From"]) == "India and the World <editor@indiawrites.org>"
    assert welcome["In-Reply-To"] == "<CAHm2xA9Vq1sT8e3Z7=uW0rk+J4d1Pn@mail.gmail.com>"
    assert welcome["Date"] == "Thu, 26 Mar 2015 08:00:00 +0000"
    token = welcome["List-Unsubscribe"].split("unsubscribe%20")[1].rstrip(">")
    assert welcome.get_content() == (
        "Dear प्रिया शर्मा,\n\n"
        "Thank you for subscribing to India and the World, the digest of India Writes Network on India's foreign\n"
        "policy and its place in the world. The next issue will come to priya.sharma.delhi@gmail.com.\n\n"
        "Read the latest issue while you wait:\n"
        "https://www.indiawrites.org/newsletter/2015-03-16.html\n\n"
        "Every issue has a link to unsubscribe, and you can always reply to any of our emails: they reach the editor.\n"
        f"To unsubscribe now: mailto:editor@indiawrites.org?subject=unsubscribe%20{token}\n\n"
        "The editors of India and the World\n"
        "TGII Media Private Limited, New Delhi, India\n"
    )


def test_welcome_and_goodbye_can_be_turned_off(pub: Path, tmp_path: Path) -> None:
    toml = pub / "newsletter.toml"
    toml.write_text(toml.read_text().replace(
        'authserv_id = "mx.indiawrites.org"', 'authserv_id = "mx.indiawrites.org"\nsend_welcome = false\nsend_goodbye = false'
    ))  # fmt: skip
    maildir = make_maildir(
        tmp_path / "box", [CORPUS / "01_gmail_subscribe_hindi.eml", CORPUS / "14_unsubscribe_authenticated.eml"]
    )
    assert run_files(pub, maildir) == [
        "priya.sharma.delhi@gmail.com subscribed (active)",
        "rahul.verma@example.com unsubscribed (was active)",
    ]
    assert outbox_messages(pub) == {}


def test_source_errors_are_one_line(pub: Path, tmp_path: Path) -> None:
    result = invoke(pub, "inbox", "--maildir", str(tmp_path))
    assert (result.exit_code, result.output) == (
        1,
        f"error: {tmp_path} is not a Maildir (it needs cur/ and new/ folders): check the path.\n",
    )
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    result = invoke(pub, "inbox", "--mbox", str(text))
    assert result.output == f"error: {text} is not an mbox file (it must start with a 'From ' line): check the path.\n"
    result = invoke(pub, "inbox", "--mbox", str(text), "--maildir", str(tmp_path))
    assert result.exit_code == 2 and "give one of --imap, --mbox and --maildir." in result.output
    result = invoke(pub, "inbox", "--imap", "imaps://editor:secret@imap.example.org/INBOX")
    assert result.output == (
        "error: the IMAP URL holds a password: remove it from the URL and set NEWSLETTER_IMAP_PASSWORD instead.\n"
    )


DEV_KEY = "newsletter-development-secret-not-for-production"
UNSET = (
    "error: NEWSLETTER_SECRET is not set: set it in the environment to a long random string (it signs unsubscribe "
    "links; keep it the same between sends).\n"
)
PUBLISHED = (
    "error: NEWSLETTER_SECRET is the published development key: set it to your own long random string (the one "
    "your unsubscribe and confirmation links were signed with).\n"
)


@pytest.mark.parametrize("source", ["--maildir", "--mbox", "--imap"])
@pytest.mark.parametrize(("secret", "message"), [(None, UNSET), (DEV_KEY, PUBLISHED)], ids=["unset", "dev-key"])
@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
def test_every_source_refuses_the_development_key(
    pub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, secret: str | None, message: str,
    dry_run: bool,
) -> None:  # fmt: skip
    # A confirm token signed with the published key, from a stranger, for a reader who is pending.
    token = make_token(DEV_KEY.encode(), "confirm", "meera.iyer@example.org")
    forged = (
        (CORPUS / "19_confirm_token_reply.eml")
        .read_bytes()
        .replace(b"Y29uZmlybTptZWVyYS5peWVyQGV4YW1wbGUub3Jn.e_lZqGvsBFC12cY_wIZh6g", token.encode())
    )
    maildir = make_maildir(tmp_path / "Maildir", [])
    (maildir / "new" / "1.M1P1.mx").write_bytes(forged)
    box = mailbox.mbox(tmp_path / "box.mbox")
    box.add(forged)
    box.close()
    where = {"--maildir": str(maildir), "--mbox": str(tmp_path / "box.mbox"),
             "--imap": "imaps://editor%40indiawrites.org@127.0.0.1:9/INBOX"}[source]  # fmt: skip
    monkeypatch.setenv("NEWSLETTER_IMAP_PASSWORD", "imap-password")
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.a-real-looking-key")  # the answers would go through SendGrid
    if secret is None:
        monkeypatch.delenv("NEWSLETTER_SECRET")
    else:
        monkeypatch.setenv("NEWSLETTER_SECRET", secret)
    before = (pub / "subscribers.csv").read_bytes()
    result = CliRunner().invoke(
        cli, ["--config", str(pub / "newsletter.toml"), "inbox", source, where, *(["--dry-run"] if dry_run else [])]
    )
    assert (result.exit_code, result.output) == (1, message)
    assert (pub / "subscribers.csv").read_bytes() == before
    assert not (pub / STATE_NAME).exists() and not (pub / "outbox").exists()


def test_without_a_source_it_is_a_usage_error(pub: Path) -> None:
    settings = pub / "newsletter.toml"
    settings.write_text(
        settings.read_text().replace('imap_url = "imaps://imap.indiawrites.org/INBOX"', 'imap_url = ""')
    )
    result = CliRunner().invoke(cli, ["--config", str(settings), "inbox"])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: give --imap URL, --mbox FILE or --maildir DIR, or set [inbox] imap_url."
    )
