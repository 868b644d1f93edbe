"""Confirmations, welcomes and goodbyes (issue 10): one choice of provider for `inbox` and the web app ([send]
transactional_provider, default the issue provider), "written to outbox/..." rather than "sent" where that is the
outbox, the web app's confirmation link in the inbox's confirmation when [web] base_url is set, List-Unsubscribe
with the one-click link on every answer but the goodbye, and a Message-ID of its own for each confirmation."""

from __future__ import annotations

import re
from dataclasses import replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from send_support import Sub, make_publication, run
from smtp_sink import Sink
from test_inbox import outbox_messages
from test_inbox_feedback import make_maildir
from test_inbox_hostile import mail

from conftest import ROOT, TEST_SECRET
from newsletter.config import load_config
from newsletter.providers import choose_transactional, transactional_provider
from newsletter.providers.outbox import OutboxProvider
from newsletter.tokens import make_token, read_token
from web_support import hidden_fields, running, wait_until

BASE_URL = "https://www.indiawrites.org/newsletter"
BASE = load_config(ROOT / "newsletter.toml")


@pytest.mark.parametrize(
    ("provider", "transactional", "key", "chosen"),
    [
        ("", "", "", "outbox"),  # nothing configured: both go to the outbox
        ("", "", "SG.key", "sendgrid"),  # the issue provider, as `send` would choose it
        ("smtp", "", "", "smtp"),
        ("smtp", "outbox", "", "outbox"),  # answers kept for the editor while issues go by SMTP
        ("", "smtp", "SG.key", "smtp"),  # issues by SendGrid, answers by the relay
    ],
)
def test_the_transactional_provider_defaults_to_the_issue_provider(
    provider: str, transactional: str, key: str, chosen: str
) -> None:
    config = replace(BASE, send=replace(BASE.send, provider=provider, transactional_provider=transactional))
    assert choose_transactional(config, sendgrid_key=key) == chosen


def test_the_outbox_keeps_answers_apart_from_the_issues(tmp_path: Path) -> None:
    config = make_publication(tmp_path, [])
    outbox = transactional_provider(config)
    assert isinstance(outbox, OutboxProvider) and outbox.directory == tmp_path / "outbox" / "_transactional"


def test_an_unknown_transactional_provider_is_refused(tmp_path: Path) -> None:
    (tmp_path / "newsletter.toml").write_text('[send]\ntransactional_provider = "smtps"\n', encoding="utf-8")
    result = run(tmp_path, "inbox", "--mbox", "nothing.mbox")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: newsletter.toml:2: [send] 'transactional_provider' is 'smtps': use one of outbox, sendgrid, smtp.\n"
    )


def _smtp_settings(port: int) -> dict[str, object]:
    return {"host": "127.0.0.1", "port": port, "security": "none", "username": ""}


def _received(handler: Sink) -> dict[str, EmailMessage]:
    found = {}
    for _, tos, raw, _ in handler.messages:
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        found[tos[0]] = message
    return found


def test_inbox_answers_go_through_the_transactional_provider(tmp_path: Path, sink: tuple[Sink, int]) -> None:
    handler, port = sink
    pub = tmp_path / "pub"
    make_publication(
        pub, [Sub("rahul@example.com")], send={"transactional_provider": "smtp"}, smtp=_smtp_settings(port)
    )
    maildir = make_maildir(tmp_path / "Maildir", [mail(b"Asha Rao <asha@example.org>")])
    result = run(pub, "inbox", "--maildir", str(maildir))
    assert result.exit_code == 0, result.output
    assert "sent welcome to asha@example.org" in result.output.splitlines()
    assert list(_received(handler)) == ["asha@example.org"]
    assert not (pub / "outbox").exists()


def test_where_the_outbox_keeps_the_answers_the_command_says_so(tmp_path: Path) -> None:
    pub = tmp_path / "pub"
    make_publication(pub, [Sub("rahul@example.com")])
    maildir = make_maildir(tmp_path / "Maildir", [mail(b"Asha Rao <asha@example.org>")])
    result = run(pub, "inbox", "--maildir", str(maildir))
    assert result.exit_code == 0, result.output
    assert "written to outbox/_transactional/: welcome to asha@example.org" in result.output.splitlines()
    assert "sent" not in result.output.split()
    assert list(outbox_messages(pub)) == ["asha@example.org"]


def _one_click(message: EmailMessage, address: str) -> None:
    """The answer carries both unsubscribe links, signed for `address`, and RFC 8058's List-Unsubscribe-Post."""
    token = make_token(TEST_SECRET, "unsubscribe", address)
    assert message["List-Unsubscribe"] == (
        f"<mailto:editor@indiawrites.org?subject=unsubscribe%20{token}>, <{BASE_URL}/unsubscribe?token={token}>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_with_a_base_url_the_answers_link_to_the_web_app(tmp_path: Path) -> None:
    pub = tmp_path / "pub"
    make_publication(pub, [Sub("rahul@example.com")], web={"base_url": BASE_URL})
    stranger = mail(b"<nova@example.org>", message_id=b"<first@example.org>", authenticated=False)
    again = mail(b"<nova@example.org>", message_id=b"<second@example.org>", authenticated=False)
    welcome = mail(b"Asha Rao <asha@example.org>", message_id=b"<asha@example.org>")
    leaving = mail(
        b"<rahul@example.com>",
        subject=f"unsubscribe {make_token(TEST_SECRET, 'unsubscribe', 'rahul@example.com')}".encode(),
        message_id=b"<bye@example.com>",
        authenticated=False,
        text=b"",
    )
    assert (
        run(pub, "inbox", "--maildir", str(make_maildir(tmp_path / "one", [stranger, welcome, leaving]))).exit_code == 0
    )
    answers = outbox_messages(pub)
    confirmation = answers["nova@example.org"]
    link = re.search(rf"{re.escape(BASE_URL)}/confirm\?token=(\S+)", confirmation.get_content())
    assert link, confirmation.get_content()
    assert read_token(TEST_SECRET, link.group(1), "confirm") == "nova@example.org"
    assert "Or just reply to this email (keep the subject as it is)." in confirmation.get_content()
    _one_click(confirmation, "nova@example.org")
    _one_click(answers["asha@example.org"], "asha@example.org")
    goodbye = answers["rahul@example.com"]
    assert goodbye["Subject"] == "You are unsubscribed from India and the World"
    assert goodbye["List-Unsubscribe"] is None and goodbye["List-Unsubscribe-Post"] is None
    # The same stranger asks again a day later: the second confirmation must not share the first one's Message-ID,
    # or Gmail, which drops a Message-ID it has delivered, would never show it.
    assert run(pub, "inbox", "--maildir", str(make_maildir(tmp_path / "two", [again]))).exit_code == 0
    second = outbox_messages(pub)["nova@example.org"]
    assert second["Subject"] == confirmation["Subject"]
    assert second["Message-ID"] != confirmation["Message-ID"]


def test_the_web_app_mails_through_the_transactional_provider(tmp_path: Path, sink: tuple[Sink, int]) -> None:
    handler, port = sink
    make_publication(tmp_path, [Sub("rahul@example.com")], send={"transactional_provider": "smtp"},
                     smtp=_smtp_settings(port))  # fmt: skip
    with running(tmp_path) as server:
        for count in (1, 2):
            form = httpx.get(f"{server.base}/subscribe")
            fields = {**hidden_fields(form.text), "email": "nova@example.org"}
            assert httpx.post(f"{server.base}/subscribe", data=fields).status_code == 200
            wait_until(lambda n=count: len(handler.messages) == n, "the confirmation at the SMTP server")
    assert not server.outbox.exists()
    first, second = (message_from_bytes(raw, policy=policy.default) for _, _, raw, _ in handler.messages)
    assert isinstance(first, EmailMessage) and isinstance(second, EmailMessage)
    assert f"{server.base}/confirm?token=" in first.get_content()
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first["Message-ID"] != second["Message-ID"]
