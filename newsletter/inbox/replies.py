"""The emails `newsletter inbox` sends back: welcome, confirmation requests and the one-line goodbye.

Built by pure functions from templates (the publication's templates/ first, then the package's) and the message
builder (message.mime), as complete EmailMessage objects a Provider delivers: one text/plain part. A template's first
line is 'Subject: ...', then a blank line, the body.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import jinja2

from newsletter.config import Config
from newsletter.errors import RenderError
from newsletter.message.mime import Mailbox, build_message, sender_domain
from newsletter.message.personalize import list_unsubscribe_headers, mailto_unsubscribe, unsubscribe_url
from newsletter.templating import template_environment
from newsletter.tokens import make_token

KINDS = ("welcome", "confirm", "confirm_unsubscribe", "goodbye")
# The answers that carry List-Unsubscribe (mailto, and the one-click https link with List-Unsubscribe-Post when
# [web] base_url is set): all but the goodbye, which goes to a reader who has just left. A confirmation request lets
# whoever did not ask for it say "never again" in one click rather than by reporting spam.
UNSUBSCRIBABLE = frozenset({"welcome", "confirm", "confirm_unsubscribe"})


@dataclass(frozen=True)
class Reply:
    """One email to send: which template, to whom, in answer to which message."""

    kind: str  # one of KINDS
    email: str
    name: str = ""
    in_reply_to: str = ""  # the reader's Message-ID, so the answer threads under their mail
    # What makes this answer's Message-ID its own (the request's Message-ID, or the web journal's change id): Gmail
    # drops a message whose Message-ID it has delivered before, so a second confirmation for the same address
    # would never arrive if both were derived from the address alone.
    seed: str = ""


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
        "confirm_url": "",
    }
    if reply.kind == "confirm":
        values["token"] = make_token(secret, "confirm", reply.email)
        if config.web_base_url:  # the web app's page confirms with one button: easier than a reply
            values["confirm_url"] = f"{config.web_base_url}/confirm?token={values['token']}"
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


def _address(name: str, email: str) -> Mailbox:
    """A header address as the email package accepts it (it refuses CR and LF in a name), its domain in ASCII."""
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
    address = Address(display_name=name, username=local, domain=domain)
    return Mailbox(address.display_name, address.addr_spec)


def build_reply(config: Config, secret: bytes, reply: Reply, *, date: datetime, latest_url: str = "") -> EmailMessage:
    """The complete message for `reply`, stamped with `date` (injected) and a Message-ID derived from its inputs.

    A reader's Message-ID is repeated (In-Reply-To, References) only when it has the strict RFC 5322 shape."""
    subject, body = render_reply(config, secret, reply, latest_url)
    settings = config.newsletter
    # A seed (see Reply) joins the inputs; an answer without one keeps the Message-ID it always had.
    seeds = f"{reply.in_reply_to}\n{reply.seed}" if reply.seed else reply.in_reply_to
    digest = hashlib.sha256(f"{reply.kind}\n{reply.email.lower()}\n{seeds}".encode()).hexdigest()
    try:
        fields: list[tuple[str, str | Mailbox]] = [
            ("From", _address(settings.from_name, settings.from_email)),
            ("To", _address(reply.name if reply.kind in ("welcome", "goodbye") else "", reply.email)),
        ]
        if settings.reply_to and settings.reply_to.lower() != settings.from_email.lower():
            fields.append(("Reply-To", _address("", settings.reply_to)))
        fields += [
            ("Subject", subject),
            ("Date", format_datetime(date)),
            ("Message-ID", f"<{reply.kind}.{digest[:24]}@{sender_domain(config)}>"),
        ]
        if _MESSAGE_ID.fullmatch(reply.in_reply_to):
            fields += [("In-Reply-To", reply.in_reply_to), ("References", reply.in_reply_to)]
        # RFC 3834: an automatic answer, so autoresponders do not answer it back and loop.
        fields.append(("Auto-Submitted", "auto-replied"))
        if reply.kind in UNSUBSCRIBABLE:
            fields += list(list_unsubscribe_headers(config, secret, reply.email).items())
        # LF line ends, as answers have always been stored (outbox/_transactional); on the wire they are CRLF.
        return build_message(fields, body, linesep="\n")
    except (ValueError, HeaderParseError) as error:  # the email package refusing a name or an address
        raise RenderError(f"{reply.kind} to {reply.email}: a header cannot be written ({error}).") from None
