"""Hostile mail to the editor (issue 8): control characters in names and Message-IDs stop at the boundary."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from test_inbox import invoke, make_maildir, outbox_messages

from conftest import DATA, ROOT, TEST_SECRET
from newsletter.config import load_config
from newsletter.inbox import rules_for
from newsletter.inbox_rules import classify
from newsletter.inbox_sources import STATE_NAME
from newsletter.inbox_text import decode_words
from newsletter.subscribers import read_subscribers

CORPUS = DATA / "inbox"
RULES = rules_for(load_config(ROOT / "newsletter.toml"), TEST_SECRET)
AUTHENTICATED = b"Authentication-Results: mx.indiawrites.org; dkim=pass header.d=example.org\r\n"


def b_word(text: str) -> bytes:
    return b"=?utf-8?b?" + base64.b64encode(text.encode()) + b"?="


def mail(
    sender: bytes,
    *,
    subject: bytes = b"subscribe",
    message_id: bytes = b"<m1@example.org>",
    date: bytes = b"Fri, 20 Mar 2015 01:02:00 +0000",
    authenticated: bool = True,
    text: bytes = b"Please subscribe me.",
) -> bytes:
    return (
        (AUTHENTICATED if authenticated else b"")
        + b"From: " + sender + b"\r\nTo: editor@indiawrites.org\r\nSubject: " + subject
        + b"\r\nDate: " + date + b"\r\nMessage-ID: " + message_id
        + b"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + b"\r\n"
    )  # fmt: skip


@pytest.fixture
def pub(publication: Path) -> Path:
    shutil.copy(CORPUS / "subscribers.csv", publication / "subscribers.csv")
    return publication


# --- 1. the boundary ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("display", "name"),
    [
        (b"=?utf-8?q?Eve=00?=", "Eve"),  # NUL: once written, every command refused subscribers.csv as binary
        (b_word("Eve\x1b[31mRed\x1b[0m\x1b]0;owned\x07"), "Eve [31mRed [0m ]0;owned"),  # ESC, BEL
        (
            b"=?utf-8?q?Support=0D=0AContent-Type=3A_text/html=0D=0A=0D=0A=3Ch1=3EHi=3C/h1=3E?=",
            "Support Content-Type: text/html <h1>Hi</h1>",
        ),  # CR/LF in an encoded word
        (b'"=?utf-8?q?Support=0D=0ABcc:_x@evil.example?="', "Support Bcc: x@evil.example"),  # quoted
        (b'"Support\r\n Bcc: x@evil.example"', "Support Bcc: x@evil.example"),  # folded ASCII
        ("Eve\u2028Mallory\u2029Trent".encode(), "Eve Mallory Trent"),  # raw UTF-8 line separators
        (b_word("\u202eevE\u202c \u2066Isolated\u2069"), "evE Isolated"),  # bidi override and isolate
        (b_word("C1\x85next\x9b2J\x7fdel"), "C1 next 2J del"),  # NEL, CSI, DEL
        (b_word("\ufeffBOM\tTab"), "BOM Tab"),
        (b_word("x" * 5000), "x" * 200),  # capped
    ],
)
def test_names_from_a_message_are_one_clean_capped_line(display: bytes, name: str) -> None:
    decision = classify(mail(display + b" <eve@example.org>"), RULES)
    assert (decision.action, decision.email, decision.name) == ("subscribe", "eve@example.org", name)
    assert json.loads(decision.consent)["from"] == f"{name} <eve@example.org>"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (b"<a\x00b@example.org>", "<a b@example.org>"),
        (b"<\x1b[2J\x1b[H@example.org>", "< [2J [H@example.org>"),
        ("<a\u2028b\u202e@example.org>".encode(), "<a b @example.org>"),
        (b"<a\x7f\xc2\x9b@example.org>", "<a @example.org>"),
        (b"<" + b"x" * 10_000 + b"@example.org>", "<" + "x" * 249),
    ],
)
def test_message_ids_are_cleaned_and_capped(raw: bytes, key: str) -> None:
    decision = classify(mail(b"Eve <eve@example.org>", message_id=raw), RULES)
    assert decision.message_id == key
    assert json.loads(decision.consent)["message_id"] == key


def test_date_subject_and_authentication_results_are_read_clean() -> None:
    raw = mail(
        b"Eve <eve@example.org>",
        subject=b"=?utf-8?q?subscribe=0D=0ABcc:_x?=",
        date=b"Fri, 20 Mar 2015 01:02:00 +0000\x1b[2J\x00" + b"9" * 500,
        authenticated=False,
    ).replace(b"From:", b"Authentication-Results: evil\x1b[31m.example\x00; dkim=pass header.d=example.org\r\nFrom:")
    decision = classify(raw, RULES)
    assert decision.action == "subscribe"
    record = json.loads(decision.consent)
    assert record["date"] == "Fri, 20 Mar 2015 01:02:00 +0000 [2J " + "9" * 64
    proof = "not authenticated: the topmost Authentication-Results is from evil, not mx.indiawrites.org"
    assert (decision.proof, record["auth"]) == (proof, proof)


def test_an_invalid_from_address_is_quoted_clean() -> None:
    decision = classify(mail(b"eve\x1b\xe2\x80\xae@example..org"), RULES)
    assert (decision.action, decision.reason) == ("ignore", "the From address 'eve @example..org' is not valid")


def test_encoded_words_that_cannot_be_decoded_are_kept_as_clean_text() -> None:
    # A B word cut short (the base64 is not a multiple of 4): email.header raises HeaderParseError.
    assert decode_words("=?UTF-8?B?K6V4K+NIOCumuC?= Eve") == "=?UTF-8?B?K6V4K+NIOCumuC?= Eve"
    assert decode_words("=?x-unknown\x00?q?Eve=1B?=") == "=?x-unknown ?q?Eve=1B?="


@pytest.mark.parametrize("charset", [b"idna", b"undefined", b'"utf\x00-8"', b"x-unknown"])
def test_a_body_in_a_charset_python_cannot_decode_with_is_read_as_utf8(charset: bytes) -> None:
    raw = mail(b"Eve <eve@example.org>", subject=b"hello", text="Bitte abonnieren: subscribe é".encode())
    decision = classify(raw.replace(b"charset=utf-8", b"charset=" + charset), RULES)
    assert (decision.action, decision.email) == ("subscribe", "eve@example.org")


def test_hostile_request_end_to_end_stays_out_of_files_and_terminal(pub: Path, tmp_path: Path) -> None:
    maildir = make_maildir(tmp_path / "Maildir", [])
    raw = mail(
        b"=?utf-8?q?Eve=00=1B=5B2J=0D=0ABcc=3A_x=40evil.example?= <eve@example.org>",
        message_id=b"<\x1b]0;pwned\x07id@example.org>",
    )
    (maildir / "new" / "1.M1P1.mx").write_bytes(raw)
    result = invoke(pub, "inbox", "--maildir", str(maildir))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "< ]0;pwned id@example.org>: eve@example.org subscribed (active)",
        "sent welcome to eve@example.org",
        f"Maildir {maildir}: 1 new message(s), 1 about the newsletter, 0 left alone, 0 handled before.",
    ]
    row = read_subscribers(pub / "subscribers.csv").find("eve@example.org")
    assert row is not None and row.name == "Eve [2J Bcc: x@evil.example"
    assert json.loads(row.consent) == {
        "auth": "mx.indiawrites.org: dkim=pass header.d=example.org (aligned with example.org)",
        "date": "Fri, 20 Mar 2015 01:02:00 +0000",
        "from": "Eve [2J Bcc: x@evil.example <eve@example.org>",
        "message_id": "< ]0;pwned id@example.org>",
    }
    data = (pub / "subscribers.csv").read_bytes() + (pub / STATE_NAME).read_bytes()
    assert not any(byte < 0x20 and byte not in b"\r\n" for byte in data)
    assert json.loads((pub / STATE_NAME).read_text()) == {"processed": ["< ]0;pwned id@example.org>"], "imap": {}}
    welcome = outbox_messages(pub)["eve@example.org"]
    assert str(welcome["To"]) == '"Eve [2J Bcc: x@evil.example" <eve@example.org>'
    assert welcome["Bcc"] is None
