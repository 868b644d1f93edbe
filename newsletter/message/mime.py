"""The one message builder: every message the tool sends (an issue to a reader, a test copy, the answers
`inbox` and the web app send) is made here, from plain values (content.py), so all share one set of header rules.

Issues are multipart/alternative, text part first (RFC 2046: least rich first); answers are one text/plain part.
Every header value that comes from outside (the reader's name, the subject, [newsletter] from_name) is made one
clean line here (clean.clean_line), so no value can end a header and start another. One more trap: the email
package parses what is assigned to a header, and decodes RFC 2047 encoded words in it, so the literal text
"=?utf-8?q?a=0D=0AX-Evil:_1?=" as a subject or display name would come out as a line break and a header of the
sender's choosing (CPython before 3.11.10 and 3.12.5 also writes the result unchecked). A value holding "=?" is
therefore encoded here, whole, as encoded words that decode to exactly that text, and stored as is.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from email import policy
from email.header import Header
from email.headerregistry import Address, BaseHeader
from email.message import EmailMessage
from email.utils import format_datetime
from typing import NamedTuple

from newsletter.clean import NAME_LIMIT, clean_line
from newsletter.config import Config
from newsletter.message.content import Content, Recipient
from newsletter.message.personalize import personalize

# CRLF line ends, as mail servers expect them on the wire, and headers that may run to RFC 5322's 998
# characters: at 78, the email package turns a long List-Unsubscribe (one unbreakable <mailto:...> token) into
# RFC 2047 encoded words, which no mail client reads as a link. Bodies are quoted-printable, 76 columns.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)


class Mailbox(NamedTuple):
    """An address header's one address: build_message makes it with address_header."""

    display_name: str
    addr_spec: str


def make_message_id(key: str, email: str, domain: str) -> str:
    """Deterministic per mailing (an issue's slug) and reader: a resend after an in-doubt batch carries the same
    Message-ID, which lets mail clients that deduplicate by it (Gmail does) show the issue once."""
    digest = hashlib.sha256(f"{key}\0{email.lower()}".encode()).hexdigest()[:20]
    return f"<{key}.{digest}@{domain}>"


def sender_domain(config: Config) -> str:
    return config.newsletter.from_email.rpartition("@")[2] or "localhost"


def list_id(config: Config) -> str:
    """RFC 2919 List-Id: the newsletter's name, and a label under the sender's domain that stays the same from
    issue to issue, so readers' filters and Gmail's list handling recognise every issue as one list."""
    name = config.newsletter.name
    label = "-".join(re.findall(r"[a-z0-9]+", name.lower())) or "newsletter"
    phrase = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{phrase} <{label}.{sender_domain(config)}>"


def _encoded_words(name: str, text: str) -> str:
    """`text` as RFC 2047 encoded words (UTF-8, folded), which every reader decodes to `text` itself."""
    return str(Header(text, "utf-8", header_name=name).encode(linesep="\n"))


def text_header(name: str, value: str) -> BaseHeader | str:
    """An unstructured header (Subject, List-Unsubscribe) for `value`, as EmailMessage stores it: a header object,
    or, for a value the email package would decode, the encoded words themselves."""
    text = clean_line(value)
    if "=?" in text:
        return _encoded_words(name, text)
    header: BaseHeader = MAIL_POLICY.header_factory(name, text)
    return header


def address_header(name: str, display_name: str, addr_spec: str) -> BaseHeader | str:
    """An address header (From, To, Reply-To) for one address; ValueError or email.errors.HeaderParseError when
    `addr_spec` is not a single plain address."""
    if "=?" in addr_spec:
        raise ValueError(f"'{addr_spec}' holds '=?', which mail programs would decode: it is not a plain address")
    address = Address(addr_spec=addr_spec)  # parses it: raises for anything but one addr-spec (CR, LF included)
    display = clean_line(display_name, NAME_LIMIT)
    if "=?" in display:
        return f"{_encoded_words(name, display)} <{address.addr_spec}>"
    header: BaseHeader = MAIL_POLICY.header_factory(name, Address(display, addr_spec=address.addr_spec))
    return header


def fold_header(name: str, stored: BaseHeader | str) -> str:
    """The header line (CRLF ended) that as_bytes() writes for a value text_header or address_header made."""
    folded: str = MAIL_POLICY.fold(name, stored)
    return folded


def _set(message: EmailMessage, name: str, stored: BaseHeader | str) -> None:
    if isinstance(stored, str):
        message.set_raw(name, stored)  # written as it is: the email package would decode it if it parsed it
    else:
        message[name] = stored  # a header object of that name is stored as it is, not parsed again


def quoted_printable(text: str) -> bytes:
    """A part's text as it is carried: every line break one LF (as str.splitlines sees them), a final one added,
    quoted-printable. binascii's encoder is C; the email package's own took 5 ms for a 70 KB HTML part, the largest
    cost of building a message."""
    return binascii.b2a_qp(("\n".join(text.splitlines()) + "\n").encode("utf-8"), istext=True)


def _text_part(text: str, subtype: str) -> EmailMessage:
    part = EmailMessage(policy=MAIL_POLICY)  # the parts are written with the message's own policy
    _set_text_body(part, text, subtype)
    return part


def _set_text_body(message: EmailMessage, text: str, subtype: str) -> None:
    message["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    message["Content-Transfer-Encoding"] = "quoted-printable"
    message.set_payload(quoted_printable(text).decode("ascii"))


def build_message(
    fields: Sequence[tuple[str, str | Mailbox]],
    text: str,
    html: str = "",
    *,
    boundary: str = "",
    linesep: str = "\r\n",
) -> EmailMessage:
    """A message with these header fields, in this order, then its body: `text` and `html` as a
    multipart/alternative (with `boundary`, which "=_" starts), or `text` alone as one text/plain part.

    A Mailbox is an address header (address_header), anything else an unstructured one (text_header); ValueError or
    HeaderParseError when an address is not a plain address. `linesep` is what as_bytes() ends lines with (the SMTP
    provider writes CRLF whatever it is)."""
    message = EmailMessage(policy=MAIL_POLICY if linesep == "\r\n" else MAIL_POLICY.clone(linesep=linesep))
    for name, value in fields:
        if isinstance(value, Mailbox):
            _set(message, name, address_header(name, value.display_name, value.addr_spec))
        else:
            _set(message, name, text_header(name, value))
    message["MIME-Version"] = "1.0"
    if not html:
        _set_text_body(message, text, "plain")
        return message
    # "=_" cannot occur in quoted-printable text, so no part's text can end the part early.
    message["Content-Type"] = f'multipart/alternative; boundary="=_{boundary}"'
    message.set_payload([_text_part(text, "plain"), _text_part(html, "html")])
    return message


def build_reader_message(
    config: Config, content: Content, recipient: Recipient, date: datetime, *, subject_prefix: str = ""
) -> EmailMessage:
    """The complete message one reader of a mailing receives: the content with their values and headers."""
    sender = config.newsletter
    message_id = make_message_id(content.key, recipient.email, sender_domain(config))
    fields: list[tuple[str, str | Mailbox]] = [
        ("Subject", f"{subject_prefix}{content.subject}"),
        ("From", Mailbox(sender.from_name, sender.from_email)),
        ("To", Mailbox(recipient.name, recipient.email)),
    ]
    if sender.reply_to:
        fields.append(("Reply-To", Mailbox("", clean_line(sender.reply_to))))
    fields += [("Date", format_datetime(date)), ("Message-ID", message_id)]
    fields += [*content.headers.items(), *recipient.headers.items()]
    # A boundary derived from the message, not random, keeps the .eml byte-stable (golden files, content hash).
    boundary = hashlib.sha256(f"{content.content_hash}{message_id}".encode()).hexdigest()[:32]
    text, html = (personalize(part, recipient.values) for part in (content.text, content.html))
    return build_message(fields, text, html, boundary=boundary)
