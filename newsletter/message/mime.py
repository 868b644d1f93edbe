"""The MIME message a reader receives: multipart/alternative, text part first (RFC 2046: least rich first).

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
from datetime import datetime
from email import policy
from email.header import Header
from email.headerregistry import Address, BaseHeader
from email.message import EmailMessage
from email.utils import format_datetime

from newsletter.clean import NAME_LIMIT, clean_line
from newsletter.config import Config
from newsletter.message.personalize import personalize
from newsletter.render.html import RenderedIssue

# CRLF line ends, as mail servers expect them on the wire, and headers that may run to RFC 5322's 998
# characters: at 78, the email package turns a long List-Unsubscribe (one unbreakable <mailto:...> token) into
# RFC 2047 encoded words, which no mail client reads as a link. Bodies are quoted-printable, 76 columns.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)


def make_message_id(issue_slug: str, email: str, domain: str) -> str:
    """Deterministic per issue and reader: a resend after an in-doubt batch carries the same Message-ID,
    which lets mail clients that deduplicate by it (Gmail does) show the issue once."""
    digest = hashlib.sha256(f"{issue_slug}\0{email.lower()}".encode()).hexdigest()[:20]
    return f"<{issue_slug}.{digest}@{domain}>"


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


def _text_part(text: str, subtype: str) -> EmailMessage:
    """A UTF-8 quoted-printable text part. binascii's encoder is C; the email package's own took 5 ms for a
    70 KB HTML part, the largest cost of building a message."""
    part = EmailMessage(policy=MAIL_POLICY)
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = "quoted-printable"
    lines = "\n".join(text.splitlines()) + "\n"
    part.set_payload(binascii.b2a_qp(lines.encode("utf-8"), istext=True).decode("ascii"))
    return part


def build_message(
    rendered: RenderedIssue,
    config: Config,
    *,
    to_email: str,
    to_name: str,
    values: dict[str, str],
    headers: dict[str, str],
    date: datetime,
    message_id: str,
    subject_prefix: str = "",
) -> EmailMessage:
    """The reader's complete message; ValueError or HeaderParseError when an address is not a plain address."""
    message = EmailMessage(policy=MAIL_POLICY)
    _set(message, "Subject", text_header("Subject", f"{subject_prefix}{rendered.subject}"))
    newsletter = config.newsletter
    _set(message, "From", address_header("From", newsletter.from_name, newsletter.from_email))
    _set(message, "To", address_header("To", to_name, to_email))
    if newsletter.reply_to:
        _set(message, "Reply-To", address_header("Reply-To", "", clean_line(newsletter.reply_to)))
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    _set(message, "List-Id", text_header("List-Id", list_id(config)))
    for name, value in headers.items():
        _set(message, name, text_header(name, value))
    # A boundary derived from the message, not random, keeps the .eml byte-stable (golden files, content hash);
    # "=_" cannot occur in quoted-printable text.
    boundary = hashlib.sha256(f"{rendered.content_hash}{message_id}".encode()).hexdigest()[:32]
    message["MIME-Version"] = "1.0"
    message["Content-Type"] = f'multipart/alternative; boundary="=_{boundary}"'
    message.set_payload(
        [
            _text_part(personalize(rendered.text, values), "plain"),
            _text_part(personalize(rendered.html, values), "html"),
        ]
    )
    return message
