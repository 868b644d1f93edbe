"""The emails the web app sends: the confirmation link for a sign-up and the welcome once it is confirmed.

Both are built by newsletter.inbox.replies.build_reply, so they look like the answers `newsletter inbox` sends. The
reader's name never goes into them: on the web anyone can type any name next to anyone's address, so only the
address itself, which the token or the confirmation proves, is used.
"""

from __future__ import annotations

import base64
from datetime import datetime
from email.message import EmailMessage

from newsletter.config import Config
from newsletter.inbox.replies import Reply, build_reply
from newsletter.tokens import make_token
from newsletter.web.pages import Pages


def confirm_url(base_url: str, secret: bytes, email: str) -> str:
    return f"{base_url}/confirm?token={make_token(secret, 'confirm', email)}"


def build_confirmation(
    config: Config, secret: bytes, pages: Pages, email: str, *, base_url: str, date: datetime, seed: str
) -> EmailMessage:
    """build_reply's confirmation request (its subject, which `inbox` also understands as a reply, and its
    headers), with a body that gives the link to the web page instead of asking for a reply.

    `seed` (the journal change's id) makes the Message-ID differ between two requests for the same address:
    Gmail drops a message whose Message-ID it has already delivered, so a second request would never arrive.
    """
    message = build_reply(config, secret, Reply("confirm", email, in_reply_to=f"web-{seed}"), date=date)
    body = pages.mail_text(
        "confirm-mail",
        newsletter=config.newsletter.name,
        email=email,
        confirm_url=confirm_url(base_url, secret, email),
    )
    del message["Content-Transfer-Encoding"]
    message.set_raw("Content-Transfer-Encoding", "7bit" if body.isascii() else "base64")
    message.set_payload(body if body.isascii() else base64.encodebytes(body.encode("utf-8")).decode("ascii"))
    return message


def build_welcome(
    config: Config, secret: bytes, email: str, *, date: datetime, latest_url: str, seed: str
) -> EmailMessage:
    return build_reply(
        config, secret, Reply("welcome", email, "", in_reply_to=f"web-{seed}"), date=date, latest_url=latest_url
    )
