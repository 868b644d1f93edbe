"""The emails `newsletter inbox` sends back: welcome, confirmation requests and the one-line goodbye.

Built by pure functions from templates (the publication's templates/ first, then the package's), as complete
EmailMessage objects a Provider delivers. A template's first line is 'Subject: ...', then a blank line, the body.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

import jinja2

from newsletter.config import Config
from newsletter.errors import RenderError
from newsletter.personalize import list_unsubscribe_headers, mailto_unsubscribe, unsubscribe_url
from newsletter.tokens import make_token

PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"
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


@functools.lru_cache(maxsize=8)
def _environment(templates_dir: Path) -> jinja2.Environment:
    """One environment per templates folder, so each template is compiled once however many answers go out."""
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(str(templates_dir)), jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES))]
    )
    return jinja2.Environment(
        loader=loader, undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )


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
        text = _environment(config.templates_dir).get_template(name).render(_values(config, secret, reply, latest_url))
    except jinja2.TemplateError as error:
        where = f"{error.filename or name}:{error.lineno}" if isinstance(error, jinja2.TemplateSyntaxError) else name
        raise RenderError(f"{where}: {error.message or error}: fix the template.") from None
    head, _, body = text.partition("\n\n")
    if not head.startswith("Subject:") or "\n" in head.strip():
        raise RenderError(f"{name}: the first line must be 'Subject: ...' followed by a blank line: fix the template.")
    return " ".join(head[len("Subject:") :].split()), body.strip("\n") + "\n"


def _address(name: str, email: str) -> str:
    if not name:
        return email
    return formataddr((name, email), charset="utf-8")


def _encoded(text: str) -> str:
    return text if text.isascii() else Header(text, "utf-8").encode()


def build_reply(config: Config, secret: bytes, reply: Reply, *, date: datetime, latest_url: str = "") -> EmailMessage:
    """The complete message for `reply`, stamped with `date` (injected) and a Message-ID derived from its inputs.

    Thousands of answers go out after a big import of mail, so the message is assembled from raw header text.
    """
    subject, body = render_reply(config, secret, reply, latest_url)
    settings = config.newsletter
    domain = settings.from_email.rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(f"{reply.kind}\n{reply.email.lower()}\n{reply.in_reply_to}".encode()).hexdigest()
    headers = [
        ("From", _address(settings.from_name, settings.from_email)),
        ("To", _address(reply.name if reply.kind in ("welcome", "goodbye") else "", reply.email)),
    ]
    if settings.reply_to and settings.reply_to.lower() != settings.from_email.lower():
        headers.append(("Reply-To", settings.reply_to))
    headers += [
        ("Subject", _encoded(subject)),
        ("Date", format_datetime(date)),
        ("Message-ID", f"<{reply.kind}.{digest[:24]}@{domain}>"),
    ]
    if reply.in_reply_to.startswith("<"):
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
    # Raw headers, not policy.default header objects: those cost milliseconds each to build and to fold again.
    message = EmailMessage(policy=_POLICY)
    for name, value in headers:
        message.set_raw(name, value)
    message.set_payload(body if body.isascii() else base64.encodebytes(body.encode("utf-8")).decode("ascii"))
    return message
