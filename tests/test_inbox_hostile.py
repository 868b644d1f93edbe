"""Hostile mail to the editor (issue 8): control characters in names and Message-IDs stop at the boundary, a
stranger's display name never becomes another reader's name or header, and nothing from a message or a path
reaches the terminal raw."""

from __future__ import annotations

import base64
import json
import shutil
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from test_inbox import invoke, make_maildir, outbox_messages

from conftest import DATA, ROOT, TEST_SECRET
from newsletter.config import load_config
from newsletter.errors import RenderError
from newsletter.inbox.replies import Reply, build_reply
from newsletter.inbox.rules import classify
from newsletter.inbox.run import rules_for
from newsletter.inbox.sources import STATE_NAME
from newsletter.inbox.text import decode_words
from newsletter.providers.sendgrid_payload import payload_from_message
from newsletter.subscribers.listfile import read_subscribers
from newsletter.tokens import make_token

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
    # "subscribe Bcc: x": a capitalised word after the verb reads as someone's name, so the editor decides
    assert (decision.action, decision.reason) == ("unsure", "about someone else: 'Bcc'")
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
    assert decode_words("=?\x9butf-8?q?Eve?=") == "=? utf-8?q?Eve?="  # a non-ASCII charset name: CharsetError


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
        "  read as: request to subscribe ('Please subscribe me'): \"Please subscribe me.\"",
        f"written to {pub / 'outbox' / '_transactional'}/: welcome to eve@example.org",
        f"Maildir {maildir}: 1 new message(s), 1 about the newsletter, 0 left alone, 0 handled before.",
    ]
    row = read_subscribers(pub / "subscribers.csv").find("eve@example.org")
    assert row is not None and row.name == "Eve [2J Bcc: x@evil.example"
    assert json.loads(row.consent) == {
        "auth": "mx.indiawrites.org: dkim=pass header.d=example.org (aligned with example.org)",
        "date": "Fri, 20 Mar 2015 01:02:00 +0000",
        "from": "Eve [2J Bcc: x@evil.example <eve@example.org>",
        "message_id": "< ]0;pwned id@example.org>",
        "reading": "request to subscribe ('Please subscribe me')",
        "evidence": "Please subscribe me.",
    }
    data = (pub / "subscribers.csv").read_bytes() + (pub / STATE_NAME).read_bytes()
    assert not any(byte < 0x20 and byte not in b"\r\n" for byte in data)
    assert json.loads((pub / STATE_NAME).read_text()) == {"processed": ["< ]0;pwned id@example.org>"], "imap": {}}
    welcome = outbox_messages(pub)["eve@example.org"]
    assert str(welcome["To"]) == '"Eve [2J Bcc: x@evil.example" <eve@example.org>'
    assert welcome["Bcc"] is None and welcome["In-Reply-To"] is None  # not an RFC 5322 msg-id: not repeated


def test_the_source_label_is_shown_escaped(pub: Path, tmp_path: Path) -> None:
    maildir = make_maildir(tmp_path / "box\x1b[2J", [CORPUS / "29_unrelated_invitation.eml"])
    result = invoke(pub, "inbox", "--maildir", str(maildir))
    shown = str(maildir).replace("\x1b", "\\x1b")
    assert result.output.splitlines() == [
        f"Maildir {shown}: 1 new message(s), 0 about the newsletter, 1 left alone, 0 handled before."
    ]


# --- 2. names and headers of the answers ----------------------------------------------------------------------


def confirm_reply(target: str, sender: bytes, message_id: bytes) -> bytes:
    token = make_token(TEST_SECRET, "confirm", target)
    subject = f"Re: Please confirm your subscription to India and the World (confirm {token})".encode()
    return mail(sender, subject=subject, message_id=message_id, authenticated=False, text=b"Yes.")


@pytest.mark.parametrize(
    "hostile",
    [
        b"=?utf-8?q?Support=0D=0AContent-Type=3A_text/html=0D=0A=0D=0A=3Ch1=3EPay_here=3C/h1=3E?=",
        b'"Support\r\n Content-Type: text/html"',
        b"=?utf-8?q?=3Ca_href=3Dhttp://evil.example=3E%%name_text%%=3C/a=3E?=",
    ],
)
def test_a_strangers_name_never_becomes_the_victims(pub: Path, tmp_path: Path, hostile: bytes) -> None:
    first = make_maildir(tmp_path / "one", [])
    (first / "new" / "1.M1P1.mx").write_bytes(
        mail(hostile + b" <victim@example.net>", message_id=b"<stranger@evil.example>", authenticated=False)
    )
    result = invoke(pub, "inbox", "--maildir", str(first))
    assert result.output.splitlines()[0] == (
        "<stranger@evil.example>: victim@example.net added as pending; confirmation requested"
    )
    row = read_subscribers(pub / "subscribers.csv").find("victim@example.net")
    assert row is not None and (row.status, row.name) == ("pending", "")
    confirmation = outbox_messages(pub)["victim@example.net"]
    assert str(confirmation["To"]) == "victim@example.net"

    second = make_maildir(tmp_path / "two", [])
    (second / "new" / "2.M2P2.mx").write_bytes(
        confirm_reply("victim@example.net", b"Victor Ma <victim@example.net>", b"<yes@example.net>")
    )
    result = invoke(pub, "inbox", "--maildir", str(second))
    assert result.output.splitlines()[:2] == [
        "<yes@example.net>: victim@example.net subscribed (was pending, now active)",
        f"written to {pub / 'outbox' / '_transactional'}/: welcome to victim@example.net",
    ]
    row = read_subscribers(pub / "subscribers.csv").find("victim@example.net")
    assert row is not None and (row.status, row.name) == ("active", "Victor Ma")
    welcome = outbox_messages(pub)["victim@example.net"]
    assert str(welcome["To"]) == "Victor Ma <victim@example.net>"
    assert [name for name, _ in welcome.items()] == [
        "From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "Auto-Submitted",
        "List-Unsubscribe", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    ]  # fmt: skip
    assert welcome.get_content().startswith("Dear Victor Ma,\n")


def test_a_pending_row_holding_a_strangers_name_loses_it_on_confirmation(pub: Path, tmp_path: Path) -> None:
    # Rows written before this fix kept the requester's display name; the confirmation decides the name.
    csv_path = pub / "subscribers.csv"
    csv_path.write_text(csv_path.read_text().replace("meera.iyer@example.org,Meera Iyer,", "meera.iyer@example.org,"
                                                     "Support Content-Type: text/html,"))  # fmt: skip
    maildir = make_maildir(tmp_path / "box", [])
    (maildir / "new" / "1.M1P1.mx").write_bytes(
        confirm_reply("meera.iyer@example.org", b"<meera.iyer@example.org>", b"<c1@example.org>")
    )
    invoke(pub, "inbox", "--maildir", str(maildir))
    row = read_subscribers(csv_path).find("meera.iyer@example.org")
    assert row is not None and (row.status, row.name) == ("active", "")
    assert str(outbox_messages(pub)["meera.iyer@example.org"]["To"]) == "meera.iyer@example.org"


def test_a_token_forwarded_by_another_sender_confirms_without_any_name(pub: Path, tmp_path: Path) -> None:
    maildir = make_maildir(tmp_path / "box", [])
    (maildir / "new" / "1.M1P1.mx").write_bytes(
        confirm_reply("meera.iyer@example.org", b"Mallory <mallory@evil.example>", b"<c2@evil.example>")
    )
    invoke(pub, "inbox", "--maildir", str(maildir))
    row = read_subscribers(pub / "subscribers.csv").find("meera.iyer@example.org")
    assert row is not None and (row.status, row.name) == ("active", "")


def test_the_editors_name_for_a_pending_reader_stays(pub: Path, tmp_path: Path) -> None:
    csv_path = pub / "subscribers.csv"
    csv_path.write_text(csv_path.read_text() + "asha@example.org,Asha Rao,pending,2015-03-01T00:00:00Z,cli,,"
                                               "2015-03-01T00:00:00Z,\n")  # fmt: skip
    maildir = make_maildir(tmp_path / "box", [])
    (maildir / "new" / "1.M1P1.mx").write_bytes(
        confirm_reply("asha@example.org", b"=?utf-8?q?A=0D=0AX?= <asha@example.org>", b"<c3@example.org>")
    )
    invoke(pub, "inbox", "--maildir", str(maildir))
    row = read_subscribers(csv_path).find("asha@example.org")
    assert row is not None and (row.status, row.name) == ("active", "Asha Rao")


def build(reply: Reply) -> EmailMessage:
    return build_reply(
        load_config(ROOT / "newsletter.toml"), TEST_SECRET, reply, date=datetime(2015, 3, 26, tzinfo=UTC)
    )


def test_answers_are_written_by_the_email_package_which_refuses_a_line_break() -> None:
    # Names are cleaned where they are read; a caller that skipped the boundary gets an error, not a header.
    with pytest.raises(RenderError) as caught:
        build(Reply("welcome", "eve@example.org", "Eve\r\nBcc: x@evil.example"))
    assert str(caught.value) == (
        "welcome to eve@example.org: a header cannot be written (invalid arguments; address parts cannot contain "
        "CR or LF)."
    )
    message = build(Reply("welcome", "eve@example.org", 'Support Content-Type: text/html <h1>"Hi"</h1>'))
    lines = message.as_bytes().split(b"\n")
    assert [line for line in lines if line.startswith(b"To:")] == [
        b'To: "Support Content-Type: text/html <h1>\\"Hi\\"</h1>" <eve@example.org>'
    ]
    payload = payload_from_message(load_config(ROOT / "newsletter.toml"), message)
    assert payload["personalizations"][0]["to"] == [
        {"email": "eve@example.org", "name": 'Support Content-Type: text/html <h1>"Hi"</h1>'}
    ]
    assert sorted(payload["personalizations"][0]["headers"]) == ["Auto-Submitted", "List-Unsubscribe"]


def test_answer_addresses_outside_ascii() -> None:
    assert str(build(Reply("goodbye", "reader@bücher.example", "Jürgen"))["To"]) == (
        "Jürgen <reader@xn--bcher-kva.example>"
    )
    with pytest.raises(RenderError, match=r"^josé@example.com: an address with a non-ASCII local part needs SMTPUTF8"):
        build(Reply("welcome", "josé@example.com"))


# --- 5. automatic replies -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("marker", "prefix"),
    [
        (b"X-Auto-Response-Suppress: All\r\n", "Automatic reply: "),  # Exchange, no Auto-Submitted
        (b"", "Automatic reply: "),
        (b"", "Abwesenheitsnotiz: "),
        (b"X-MS-Exchange-Inbox-Rules-Loop: victim@example.net\r\n", "RE: "),
        (b"Precedence: auto_reply\r\n", "Re: "),
    ],
)
def test_an_automatic_reply_quoting_the_token_confirms_nothing(
    pub: Path, tmp_path: Path, marker: bytes, prefix: str
) -> None:
    first = make_maildir(tmp_path / "one", [])
    (first / "new" / "1.M1P1.mx").write_bytes(
        mail(b"Mallory <victim@example.net>", message_id=b"<stranger@evil.example>", authenticated=False)
    )
    invoke(pub, "inbox", "--maildir", str(first))
    confirmation = outbox_messages(pub)["victim@example.net"]
    # The victim's mail server answers the confirmation by itself, quoting its subject and the token in it.
    second = make_maildir(tmp_path / "two", [])
    subject = (prefix + str(confirmation["Subject"])).encode()
    (second / "new" / "2.M2P2.mx").write_bytes(marker + mail(b"Victim <victim@example.net>", subject=subject,
                                                              message_id=b"<ooo@example.net>", text=b"Away."))  # fmt: skip
    result = invoke(pub, "inbox", "--maildir", str(second))
    assert result.output.splitlines() == [
        f"Maildir {second}: 1 new message(s), 0 about the newsletter, 1 left alone, 0 handled before."
    ]
    row = read_subscribers(pub / "subscribers.csv").find("victim@example.net")
    assert row is not None and row.status == "pending"
    assert sorted(p.name for p in (pub / "outbox" / "_transactional").iterdir()) == ["victim@example.net.eml"]


@pytest.mark.parametrize(
    "subject",
    [b"subscribe", b"Autonomy in foreign policy: please subscribe me", b"Automatic subscription, please",
     b"Re: Out of the blue: subscribe", b"Absent-minded: subscribe me"],
)  # fmt: skip
def test_a_persons_request_is_not_taken_for_an_automatic_reply(subject: bytes) -> None:
    decision = classify(mail(b"Eve <eve@example.org>", subject=subject), RULES)
    assert (decision.action, decision.reason) == ("subscribe", "subscribe request (authenticated)")
