"""SendGrid's suppression lists into subscribers.csv: which status, which reason, and nothing turned back on."""

from __future__ import annotations

from pathlib import Path

import pytest
from send_support import FakeTime, Sub, fast_retry, make_publication, run
from sendgrid_fake import ALL_SCOPES, API_KEY, FakeSendGrid

from newsletter.config import load_config
from newsletter.providers.sendgrid import SendGridProvider
from newsletter.providers.sendgrid_suppressions import read_list
from newsletter.sending.suppressions import merge_suppressions, sync_suppressions
from newsletter.subscribers.listfile import read_subscribers


def test_merge_keeps_the_most_final_status() -> None:
    merged = merge_suppressions(
        [
            read_list("bounces", "bounced", [{"email": "A@x.org", "reason": "550 5.1.1  no\n such user"}]),
            read_list("global unsubscribes", "unsubscribed", [{"email": "a@x.org"}, {"email": "b@x.org"}]),
            read_list("spam reports", "complained", [{"email": "b@x.org"}]),
            read_list("group unsubscribes (7)", "unsubscribed", ["c@x.org", "not an address"]),
            read_list("blocks", "bounced", [{"email": "d@x.org", "reason": "x" * 300}]),
        ]
    )
    assert merged == {
        "a@x.org": ("bounced", "SendGrid bounces: 550 5.1.1 no such user"),
        "b@x.org": ("complained", "SendGrid spam reports"),
        "c@x.org": ("unsubscribed", "SendGrid group unsubscribes (7)"),
        "d@x.org": ("bounced", "SendGrid blocks: " + "x" * 180 + "..."),
    }


ROWS = [
    Sub("bounce@example.org", "B"),
    Sub("block@example.org", "Bl"),
    Sub("invalid@example.org", "I"),
    Sub("spam@example.org", "S"),
    Sub("unsub@example.org", "U"),
    Sub("group@example.org", "G"),
    Sub("already@example.org", "A", "complained"),
    Sub("fine@example.org", "F"),
]


@pytest.fixture
def pub(tmp_path: Path, sendgrid_server: FakeSendGrid) -> Path:
    make_publication(tmp_path, ROWS, sendgrid={"host": sendgrid_server.url, "asm_group_id": 7})
    sendgrid_server.load_suppressions("bounces", [{"email": "bounce@example.org", "reason": "550 no such user"}])
    sendgrid_server.load_suppressions("blocks", ["block@example.org"])
    sendgrid_server.load_suppressions("invalid_emails", ["invalid@example.org"])
    sendgrid_server.load_suppressions("spam_reports", ["spam@example.org"])
    sendgrid_server.load_suppressions("unsubscribes", ["unsub@example.org", "already@example.org", "x@else.org"])
    sendgrid_server.load_group_suppressions(7, ["group@example.org"])
    return tmp_path


def test_sync_marks_subscribers(pub: Path) -> None:
    config = load_config(pub / "newsletter.toml")
    provider = SendGridProvider(config, API_KEY, retry=fast_retry(FakeTime()))
    result = sync_suppressions(provider, config.subscribers_path)
    assert result.found == {
        "bounces": 1,
        "blocks": 1,
        "invalid emails": 1,
        "spam reports": 1,
        "global unsubscribes": 3,
        "group unsubscribes (7)": 1,
    }
    assert result.updated == 6
    statuses = {row.email: row.status for row in read_subscribers(config.subscribers_path)}
    assert statuses == {
        "bounce@example.org": "bounced",
        "block@example.org": "bounced",
        "invalid@example.org": "bounced",
        "spam@example.org": "complained",
        "unsub@example.org": "unsubscribed",
        "group@example.org": "unsubscribed",
        "already@example.org": "complained",  # sticky: never softened
        "fine@example.org": "active",
    }
    assert sync_suppressions(provider, config.subscribers_path).updated == 0  # a second sync changes nothing


def test_cli(pub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", API_KEY)
    result = run(pub, "suppressions", "sync")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "bounces: 1",
        "blocks: 1",
        "invalid emails: 1",
        "spam reports: 1",
        "global unsubscribes: 3",
        "group unsubscribes (7): 1",
        f"{pub / 'subscribers.csv'}: 6 subscriber(s) updated.",
    ]


def test_cli_without_the_permission(pub: Path, sendgrid_server: FakeSendGrid, monkeypatch: pytest.MonkeyPatch) -> None:
    sendgrid_server.add_key("SG.mail-only", ALL_SCOPES - {"suppression.blocks.read"})
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.mail-only")
    result = run(pub, "suppressions", "sync")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: SendGrid answered 403 Forbidden to GET /v3/suppression/blocks: access forbidden. Give the API key "
        "the permission this needs (Mail Send; Suppressions read for the sync).\n"
    )
    assert "bounced" not in (pub / "subscribers.csv").read_text()  # nothing half-applied


def test_cli_without_a_key(pub: Path) -> None:
    result = run(pub, "suppressions", "sync")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: SENDGRID_API_KEY is not set: the sync reads SendGrid's lists with it; set it first.\n"
    )
