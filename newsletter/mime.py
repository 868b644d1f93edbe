"""The MIME message a reader receives: multipart/alternative, text part first (RFC 2046: least rich first)."""

from __future__ import annotations

import binascii
import hashlib
import re
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from newsletter.config import Config
from newsletter.personalize import personalize
from newsletter.render import RenderedIssue

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
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = f"{subject_prefix}{rendered.subject}"
    message["From"] = Address(config.newsletter.from_name, addr_spec=config.newsletter.from_email)
    message["To"] = Address(to_name, addr_spec=to_email)
    message["Reply-To"] = config.newsletter.reply_to
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    message["List-Id"] = list_id(config)
    for name, value in headers.items():
        message[name] = value
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
