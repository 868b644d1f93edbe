"""The MIME message a reader receives: multipart/alternative, text part first (RFC 2046: least rich first)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from newsletter.config import Config
from newsletter.personalize import personalize
from newsletter.render import RenderedIssue

# CRLF line ends, as mail servers expect them on the wire. Bodies are encoded under the 78-column policy
# (quoted-printable lines must stay within 76, RFC 2045); the finished message is then serialised under one that
# lets a header run to RFC 5322's 998 characters: at 78, the email package turns a long List-Unsubscribe (one
# unbreakable <mailto:...> token) into RFC 2047 encoded words, which no mail client reads as a link.
BODY_POLICY = policy.SMTP
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)


def make_message_id(issue_slug: str, email: str, domain: str) -> str:
    """Deterministic per issue and reader: a resend after an in-doubt batch carries the same Message-ID,
    which lets mail clients that deduplicate by it (Gmail does) show the issue once."""
    digest = hashlib.sha256(f"{issue_slug}\0{email.lower()}".encode()).hexdigest()[:20]
    return f"<{issue_slug}.{digest}@{domain}>"


def sender_domain(config: Config) -> str:
    return config.newsletter.from_email.rpartition("@")[2] or "localhost"


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
    message = EmailMessage(policy=BODY_POLICY)
    message["Subject"] = f"{subject_prefix}{rendered.subject}"
    message["From"] = Address(config.newsletter.from_name, addr_spec=config.newsletter.from_email)
    message["To"] = Address(to_name, addr_spec=to_email)
    message["Reply-To"] = config.newsletter.reply_to
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name] = value
    message.set_content(personalize(rendered.text, values), subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(personalize(rendered.html, values), subtype="html", charset="utf-8", cte="quoted-printable")
    # A boundary derived from the message, not random, keeps the .eml byte-stable (golden files, content hash).
    boundary = hashlib.sha256(f"{rendered.content_hash}{message_id}".encode()).hexdigest()[:32]
    message.set_boundary(f"=_{boundary}")
    for part in message.walk():
        part.policy = MAIL_POLICY
    return message
