"""`newsletter inbox` against a real IMAP server (pymap, tests/imap_server.py): STARTTLS and imaps, processed mail
flagged and moved, the editor's other mail left unread where it was, and a second run that changes nothing."""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from imap_server import PASSWORD, USER, ImapServer, run_pymap

from conftest import DATA, TEST_SECRET
from newsletter.cli import cli
from newsletter.config import load_config
from newsletter.errors import InboxError
from newsletter.inbox.run import run_inbox
from newsletter.inbox.sources import PROCESSED_KEYWORD, STATE_NAME, ImapSource, load_state, parse_imap_url
from newsletter.providers.outbox import OutboxProvider
from newsletter.subscribers.listfile import read_subscribers

CORPUS = DATA / "inbox"
EXPECTED = {row["file"]: row for row in csv.DictReader((CORPUS / "expected.csv").open(encoding="utf-8"))}
# Bounces the rules leave alone: the inbox reports them to the editor (issue 11), and they count as handled.
BOUNCES = {"24_bounce_dsn.eml", "25_postmaster_report.eml"}
PROCESSED = "Newsletter/Processed"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImapServer]:
    with run_pymap(tmp_path_factory.mktemp("pymap")) as running:
        yield running


@pytest.fixture
def imap(server: ImapServer) -> ImapServer:
    server.reset()
    return server


@pytest.fixture
def pub(publication: Path) -> Path:
    shutil.copy(CORPUS / "subscribers.csv", publication / "subscribers.csv")
    return publication


def deliver(server: ImapServer, names: list[str]) -> None:
    client = server.connect()
    try:
        for name in names:
            status, _ = client.append("INBOX", None, None, (CORPUS / name).read_bytes())
            assert status == "OK"
    finally:
        client.logout()


def folder_contents(server: ImapServer, folder: str) -> list[tuple[str, str]]:
    """(Message-ID, flags) of every message in `folder`."""
    client = server.connect()
    try:
        if client.select(f'"{folder}"')[0] != "OK":
            return []
        _, data = client.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        found = []
        for entry in data:
            if isinstance(entry, tuple):
                flags = re.search(rb"FLAGS \(([^)]*)\)", entry[0])
                message_id = entry[1].decode().partition(":")[2].strip()
                found.append((message_id, flags.group(1).decode() if flags else ""))
        return found
    finally:
        client.logout()


def test_starttls_run_over_the_corpus_then_a_second_run_changes_nothing(
    imap: ImapServer, pub: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = sorted(EXPECTED)
    deliver(imap, names)
    monkeypatch.setenv("NEWSLETTER_IMAP_PASSWORD", PASSWORD)
    monkeypatch.setenv("SSL_CERT_FILE", str(imap.cafile))  # trust the test server's self-signed certificate
    url = f"imap://{USER.replace('@', '%40')}@127.0.0.1:{imap.port}/INBOX"
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(pub / "newsletter.toml"), "inbox", "--imap", url])
    assert result.exit_code == 0, result.output
    # the bounces are handled too (kept as events), and the unsure ones (kept for review)
    acted = [name for name in names if EXPECTED[name]["action"] != "ignore" or name in BOUNCES]
    unsure = [name for name in names if EXPECTED[name]["action"] == "unsure"]
    assert result.output.splitlines()[-1] == (
        f"imap://{USER}@127.0.0.1:{imap.port}/INBOX: {len(names)} new message(s), {len(acted) - len(unsure)} about "
        f"the newsletter, {len(unsure)} for review, {len(names) - len(acted)} left alone, 0 handled before."
    )
    rows = {row.email: row.status for row in read_subscribers(pub / "subscribers.csv")}
    for name in acted:
        expected = EXPECTED[name]
        if expected["status_after"]:
            assert rows[expected["email"]] == expected["status_after"], name
    moved = folder_contents(imap, PROCESSED)
    assert len(moved) == len(acted)
    # pymap takes no custom keywords (no \\* in PERMANENTFLAGS), so the processed mark there is \\Seen.
    assert all("\\Seen" in flags for _, flags in moved)
    left = folder_contents(imap, "INBOX")
    assert len(left) == len(names) - len(acted)
    assert all("\\Seen" not in flags and PROCESSED_KEYWORD not in flags for _, flags in left)

    before = (pub / "subscribers.csv").read_bytes()
    again = runner.invoke(cli, ["--config", str(pub / "newsletter.toml"), "inbox", "--imap", url])
    assert again.exit_code == 0, again.output
    assert again.output.splitlines() == [
        f"imap://{USER}@127.0.0.1:{imap.port}/INBOX: 0 new message(s), 0 about the newsletter, 0 left alone, "
        "0 handled before.",
        f"{len(unsure)} message(s) on the review list: `newsletter inbox --review` decides them.",
    ]
    assert (pub / "subscribers.csv").read_bytes() == before
    assert folder_contents(imap, "INBOX") == left


def test_imaps_and_new_mail_after_a_run(imap: ImapServer, pub: Path) -> None:
    config = load_config(pub / "newsletter.toml")
    address = parse_imap_url(f"imaps://{USER.replace('@', '%40')}@127.0.0.1:{imap.tls_port}/INBOX")
    state_path = pub / STATE_NAME

    def run_once() -> list[str]:
        source = ImapSource(address, PASSWORD, PROCESSED, load_state(state_path), state_path,
                            ssl_context=imap.client_context())  # fmt: skip
        try:
            report = run_inbox(source, config, TEST_SECRET, OutboxProvider(pub / "outbox"),
                               now=lambda: datetime(2015, 3, 26, tzinfo=UTC))  # fmt: skip
        finally:
            source.close()
        return [outcome.result for outcome in report.outcomes]

    deliver(imap, ["29_unrelated_invitation.eml", "06_spoofed_no_auth.eml"])
    assert run_once() == [
        "ignored: not about the newsletter",
        "vikram.rao@example.com added as pending; confirmation requested",
    ]
    deliver(imap, ["14_unsubscribe_authenticated.eml"])
    assert run_once() == ["rahul.verma@example.com unsubscribed (was active)"]
    assert run_once() == []
    assert [mid for mid, _ in folder_contents(imap, PROCESSED)] == [
        "<20150320010200.GA4411@bulk.example.net>",
        "<unsub-auth-14@example.com>",
    ]


def test_wrong_password_and_unknown_folder_are_clear_errors(imap: ImapServer, pub: Path) -> None:
    state_path = pub / STATE_NAME
    address = parse_imap_url(f"imaps://{USER.replace('@', '%40')}@127.0.0.1:{imap.tls_port}/INBOX")
    with pytest.raises(InboxError) as caught:
        ImapSource(address, "wrong", PROCESSED, load_state(state_path), state_path, ssl_context=imap.client_context())
    assert str(caught.value) == (
        f"the IMAP server 127.0.0.1:{imap.tls_port} refused the login of {USER}: check the user name in the URL "
        "and NEWSLETTER_IMAP_PASSWORD."
    )
    missing = parse_imap_url(f"imaps://{USER.replace('@', '%40')}@127.0.0.1:{imap.tls_port}/Nowhere")
    with pytest.raises(
        InboxError, match=r"^the IMAP folder 'Nowhere' cannot be opened: check the folder in the URL\.$"
    ):
        ImapSource(missing, PASSWORD, PROCESSED, load_state(state_path), state_path, ssl_context=imap.client_context())


def test_an_untrusted_certificate_is_refused(imap: ImapServer, pub: Path) -> None:
    state_path = pub / STATE_NAME
    address = parse_imap_url(f"imaps://{USER.replace('@', '%40')}@127.0.0.1:{imap.tls_port}/INBOX")
    with pytest.raises(InboxError, match=r"^cannot connect to the IMAP server 127\.0\.0\.1:\d+ \(.*CERTIFICATE_VERIFY"):
        ImapSource(address, PASSWORD, PROCESSED, load_state(state_path), state_path)


def test_imap_url_parsing() -> None:
    assert parse_imap_url("imap://u%40x.org@host/INBOX").secure is False
    assert parse_imap_url("imaps://u%40x.org@host:1993/Some%20Folder") == parse_imap_url(
        "imaps://u%40x.org@host:1993/Some Folder"
    )
    with pytest.raises(InboxError, match=r"^'https://host/' is not an IMAP URL"):
        parse_imap_url("https://host/")


def test_a_failed_message_stays_in_the_folder_and_is_fetched_again(imap: ImapServer, pub: Path) -> None:
    config = load_config(pub / "newsletter.toml")
    address = parse_imap_url(f"imaps://{USER.replace('@', '%40')}@127.0.0.1:{imap.tls_port}/INBOX")
    state_path = pub / STATE_NAME
    # An authenticated request from a non-ASCII local part: applied, but its welcome cannot be written.
    unwritable = (CORPUS / "38_raw_utf8_header.eml").read_bytes().replace(b"jose.martinez@", "josé@".encode())
    client = imap.connect()
    try:
        for raw in [(CORPUS / "06_spoofed_no_auth.eml").read_bytes(), unwritable,
                    (CORPUS / "14_unsubscribe_authenticated.eml").read_bytes()]:  # fmt: skip
            assert client.append("INBOX", None, None, raw)[0] == "OK"
    finally:
        client.logout()

    def run_once() -> tuple[list[str], list[str]]:
        source = ImapSource(address, PASSWORD, PROCESSED, load_state(state_path), state_path,
                            ssl_context=imap.client_context())  # fmt: skip
        try:
            report = run_inbox(source, config, TEST_SECRET, OutboxProvider(pub / "outbox"),
                               now=lambda: datetime(2015, 3, 26, tzinfo=UTC))  # fmt: skip
        finally:
            source.close()
        return [outcome.result for outcome in report.outcomes], [str(failure) for failure in report.failures]

    assert run_once() == (
        [
            "vikram.rao@example.com added as pending; confirmation requested",
            "josé@example.com subscribed (active)",
            "rahul.verma@example.com unsubscribed (was active)",
        ],
        [
            "<utf8-header-38@example.com>: the welcome email to josé@example.com cannot be written (josé@example.com: "
            "an address with a non-ASCII local part needs SMTPUTF8, which answers are not sent with: write to this "
            "reader by hand)"
        ],
    )
    assert [mid for mid, _ in folder_contents(imap, PROCESSED)] == [
        "<20150320010200.GA4411@bulk.example.net>",
        "<unsub-auth-14@example.com>",
    ]
    assert folder_contents(imap, "INBOX") == [("<utf8-header-38@example.com>", "")]
    client = imap.connect()
    try:
        client.select("INBOX")
        left = int(client.uid("SEARCH", "ALL")[1][0])
    finally:
        client.logout()
    [(_, seen)] = load_state(state_path).imap.items()
    assert seen["last_uid"] == left - 1  # the mark stops just before the failed message
    assert run_once() == (["josé@example.com is active: left as it is"], [])
    assert folder_contents(imap, "INBOX") == []
    assert run_once() == ([], [])


PASSWORD_IN_URL = "the IMAP URL holds a password: remove it from the URL and set NEWSLETTER_IMAP_PASSWORD instead."


@pytest.mark.parametrize(
    "url",
    [
        "imaps://editor:S3cret-pw@imap.example.org/INBOX",
        "imap://editor%40indiawrites.org:S3cret-pw@imap.example.org:143/INBOX",
        "https://editor:S3cret-pw@imap.example.org/",  # wrong scheme: said after the password
        "imaps:/editor:S3cret-pw@imap.example.org/INBOX",  # one slash: urlsplit sees no user at all
        "editor:S3cret-pw@imap.example.org",  # no scheme: urlsplit reads 'editor' as one
        "imaps://editor:S3cret-pw@imap.example.org:99999/INBOX",  # and an invalid port
        "imaps://editor:S3cret-pw@[::1/INBOX",  # and an unclosed IPv6 bracket
        "imaps://editor\uff1aS3cret-pw@imap.example.org/INBOX",  # a full-width colon, which urllib reads as ':'
        "imaps://editor:@imap.example.org/INBOX",  # an empty password is still one
    ],
)
def test_a_url_that_holds_a_password_is_never_repeated(url: str) -> None:
    with pytest.raises(InboxError) as caught:
        parse_imap_url(url)
    assert str(caught.value) == PASSWORD_IN_URL
    assert "S3cret" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://host/", "'https://host/' is not an IMAP URL: write imaps://USER@HOST/FOLDER (or imap:// for STARTTLS)."),
        ("imaps://imap.example.org/INBOX",
         "'imaps://imap.example.org/INBOX' names no user or host: write imaps://USER@HOST/FOLDER (user as %40-escaped)."),
        ("imaps://u@host:99x/INBOX",
         "'imaps://u@host:99x/INBOX' has an invalid port: write a number after the host, as in HOST:993."),
        ("imaps://u@[::1/INBOX", "'imaps://u@[::1/INBOX' is not a valid URL: write imaps://USER@HOST/FOLDER."),
        ("imaps://\x1b[2Jhost/INBOX", "'imaps://\\x1b[2Jhost/INBOX' is not a valid URL: write imaps://USER@HOST/FOLDER."),
    ],
)  # fmt: skip
def test_other_url_errors_name_the_url_shown_safely(url: str, message: str) -> None:
    with pytest.raises(InboxError) as caught:
        parse_imap_url(url)
    assert str(caught.value) == message


def test_a_folder_or_port_next_to_the_user_is_not_taken_for_a_password() -> None:
    address = parse_imap_url("imaps://u%40x.org@host:1993/Lists@work:2015")
    assert (address.user, address.host, address.port, address.folder) == ("u@x.org", "host", 1993, "Lists@work:2015")
