"""With [web] base_url set, every issue carries the web app's one-click link (issue 10): List-Unsubscribe with the
signed mailto and the https URL, List-Unsubscribe-Post (RFC 8058), and the footer's link to the https page, whichever
provider sends it (the outbox's files, a real SMTP server, the fake SendGrid API)."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from send_support import Sub, make_publication, send
from sendgrid_fake import API_KEY, FakeSendGrid
from smtp_sink import Sink

from conftest import TEST_SECRET
from newsletter.tokens import make_token

BASE_URL = "https://www.indiawrites.org/newsletter"
ROWS = [Sub("asha@example.org", "Asha"), Sub("ravi@example.org", "Ravi")]


def expected(address: str) -> tuple[str, str]:
    """(List-Unsubscribe, the footer's link) for `address`."""
    token = make_token(TEST_SECRET, "unsubscribe", address)
    one_click = f"{BASE_URL}/unsubscribe?token={token}"
    return f"<mailto:editor@indiawrites.org?subject=unsubscribe%20{token}>, <{one_click}>", one_click


def check_message(message: EmailMessage, address: str) -> None:
    header, link = expected(address)
    assert message["List-Unsubscribe"] == header
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"Unsubscribe: {link}" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f'href="{link}"' in message.get_body(("html",)).get_content()  # type: ignore[union-attr]


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_outbox(tmp_path: Path) -> None:
    make_publication(tmp_path, ROWS, web={"base_url": BASE_URL})
    assert send(tmp_path, "outbox").result.summary is not None
    for row in ROWS:
        check_message(parse((tmp_path / "outbox" / "2015-03-16" / f"{row.email}.eml").read_bytes()), row.email)


def test_smtp(tmp_path: Path, sink: tuple[Sink, int]) -> None:
    handler, port = sink
    smtp = {"host": "127.0.0.1", "port": port, "security": "none", "username": ""}
    make_publication(tmp_path, ROWS, web={"base_url": BASE_URL}, smtp=smtp)
    assert send(tmp_path, "smtp").result.summary is not None
    received = {tos[0]: parse(raw) for _, tos, raw, _ in handler.messages}
    assert sorted(received) == sorted(row.email for row in ROWS)
    for address, message in received.items():
        check_message(message, address)


def test_sendgrid(tmp_path: Path, sendgrid_server: FakeSendGrid, monkeypatch: pytest.MonkeyPatch) -> None:
    make_publication(tmp_path, ROWS, web={"base_url": BASE_URL}, sendgrid={"host": sendgrid_server.url})
    monkeypatch.setenv("SENDGRID_API_KEY", API_KEY)
    assert send(tmp_path, "sendgrid", sendgrid_key=API_KEY).result.summary is not None
    [request] = sendgrid_server.accepted
    body = request.body
    assert body is not None
    for person in body["personalizations"]:
        address = person["to"][0]["email"]
        header, link = expected(address)
        assert person["headers"]["List-Unsubscribe"] == header
        assert person["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert person["substitutions"]["%%unsubscribe_url%%"] == link
    assert all('href="%%unsubscribe_url%%"' in part["value"] for part in body["content"] if part["type"] == "text/html")
