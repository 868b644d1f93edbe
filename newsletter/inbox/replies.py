"""The emails `newsletter inbox` sends back: welcome, confirmation requests and the one-line goodbye.

Built by pure functions from templates (the publication's templates/ first, then the package's), as complete
EmailMessage objects a Provider delivers. A template's first line is 'Subject: ...', then a blank line, the body.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import jinja2

from newsletter.config import Config
from newsletter.errors import RenderError
from newsletter.message.personalize import list_unsubscribe_headers, mailto_unsubscribe, unsubscribe_url
from newsletter.templating import template_environment
from newsletter.tokens import make_token

KINDS = ("welcome", "confirm", "confirm_unsubscribe", "goodbye")
# A List-Unsubscribe link is one long word: allowing RFC 5322's 998-character lines keeps it from being refolded.
_POLICY = policy.default.clone(max_line_length=998)


@dataclass(frozen=True)
class Reply:
    """One email to send: which template, to whom, in answer to which message."""

    kind: str  # one of KINDS
    email: str
    name: str = ""
    in_reply_to: str = ""  # the reader's Message-ID, so the answer threads under their mail


def latest_issue_url(config: Config, sent_slugs: list[str]) -> str:
    """The archive page of the newest issue that was sent, or the archive itself when none was."""
    base = config.newsletter.archive_url
    if not base:
        return ""
    return f"{base}{max(sent_slugs)}.html" if sent_slugs else base


def _values(config: Config, secret: bytes, reply: Reply, latest_url: str) -> dict[str, str]:
    values = {
        "newsletter": config.newsletter.name,
        "editor": config.newsletter.from_email,
        "email": reply.email,
        # A confirmation goes to a sender nobody has authenticated: their display name is not repeated to them,
        # so the confirmation cannot carry text of a stranger's choosing.
        "name": (reply.name or "reader") if reply.kind in ("welcome", "goodbye") else "",
        "archive_url": config.newsletter.archive_url,
        "latest_issue_url": latest_url,
        "postal_address": config.newsletter.postal_address,
        "website_url": config.newsletter.website_url,
        "unsubscribe_url": unsubscribe_url(config, secret, reply.email),
        "token": "",
    }
    if reply.kind == "confirm":
        values["token"] = make_token(secret, "confirm", reply.email)
    if reply.kind == "confirm_unsubscribe":
        values["token"] = make_token(secret, "unsubscribe", reply.email)
        values["unsubscribe_url"] = mailto_unsubscribe(config, values["token"])
    return values


def render_reply(config: Config, secret: bytes, reply: Reply, latest_url: str = "") -> tuple[str, str]:
    """(subject, body) of a reply, from its template."""
    name = f"{reply.kind}.txt.j2"
    try:
        text = (
            template_environment(config.templates_dir, "text")
            .get_template(name)
            .render(_values(config, secret, reply, latest_url))
        )
    except jinja2.TemplateError as error:
        where = f"{error.filename or name}:{error.lineno}" if isinstance(error, jinja2.TemplateSyntaxError) else name
        raise RenderError(f"{where}: {error.message or error}: fix the template.") from None
    head, _, body = text.partition("\n\n")
    if not head.startswith("Subject:") or "\n" in head.strip():
        raise RenderError(f"{name}: the first line must be 'Subject: ...' followed by a blank line: fix the template.")
    return " ".join(head[len("Subject:") :].split()), body.strip("\n") + "\n"


# A Message-ID as RFC 5322 writes it (printable ASCII, no space or angle bracket inside): the only shape of a
# reader's Message-ID that In-Reply-To and References repeat. Anything else is left out; threading is a nicety.
_MESSAGE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]{1,120}@[\x21-\x3b\x3d\x3f-\x7e]{1,120}>")


def _address(name: str, email: str) -> Address:
    """A header address built by the email package, which quotes or encodes the name and refuses CR/LF."""
    local, _, domain = email.rpartition("@")
    if not local.isascii():
        raise RenderError(
            f"{email}: an address with a non-ASCII local part needs SMTPUTF8, which answers are not sent with: "
            "write to this reader by hand."
        )
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise RenderError(f"{email}: the domain cannot be written in ASCII (IDNA): check the address.") from None
    return Address(display_name=name, username=local, domain=domain)


def build_reply(config: Config, secret: bytes, reply: Reply, *, date: datetime, latest_url: str = "") -> EmailMessage:
    """The complete message for `reply`, stamped with `date` (injected) and a Message-ID derived from its inputs.

    The addresses and the subject (which hold a reader's name and the publication's settings) are headers built
    by the email package; the other headers are text this function makes itself (a date, our own Message-ID, a
    reader's Message-ID only when it has the strict RFC 5322 shape, URLs with a base64url token), so they are
    set raw: header objects for all of them would cost a millisecond an answer over a big import of mail.
    """
    subject, body = render_reply(config, secret, reply, latest_url)
    settings = config.newsletter
    domain = settings.from_email.rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(f"{reply.kind}\n{reply.email.lower()}\n{reply.in_reply_to}".encode()).hexdigest()
    message = EmailMessage(policy=_POLICY)
    try:
        message["From"] = _address(settings.from_name, settings.from_email)
        message["To"] = _address(reply.name if reply.kind in ("welcome", "goodbye") else "", reply.email)
        if settings.reply_to and settings.reply_to.lower() != settings.from_email.lower():
            message["Reply-To"] = _address("", settings.reply_to)
        message["Subject"] = subject
    except ValueError as error:  # the email package refusing a name, address or subject
        raise RenderError(f"{reply.kind} to {reply.email}: a header cannot be written ({error}).") from None
    headers = [("Date", format_datetime(date)), ("Message-ID", f"<{reply.kind}.{digest[:24]}@{domain}>")]
    if _MESSAGE_ID.fullmatch(reply.in_reply_to):
        headers += [("In-Reply-To", reply.in_reply_to), ("References", reply.in_reply_to)]
    # RFC 3834: an automatic answer, so autoresponders do not answer it back and loop.
    headers.append(("Auto-Submitted", "auto-replied"))
    if reply.kind == "welcome":
        headers += list(list_unsubscribe_headers(config, secret, reply.email).items())
    headers += [
        ("MIME-Version", "1.0"),
        ("Content-Type", 'text/plain; charset="utf-8"'),
        ("Content-Transfer-Encoding", "7bit" if body.isascii() else "base64"),
    ]
    for name, value in headers:
        message.set_raw(name, value)
    message.set_payload(body if body.isascii() else base64.encodebytes(body.encode("utf-8")).decode("ascii"))
    return message
