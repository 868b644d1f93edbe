"""The emails the web app sends: the confirmation link for a sign-up and the welcome once it is confirmed.

Both are newsletter.inbox.replies' own answers, from the same templates, so they read like the ones `newsletter inbox`
sends: with [web] base_url set (the app refuses to start without it) the confirmation carries the link to the
page at /confirm. The reader's name never goes into them: on the web anyone can type any name next to anyone's
address, so only the address itself, which the token or the confirmation proves, is used.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from newsletter.config import Config
from newsletter.inbox.replies import Reply, build_reply


def build_confirmation(config: Config, secret: bytes, email: str, *, date: datetime, seed: str) -> EmailMessage:
    """The confirmation request, its link to `<base_url>/confirm?token=...` (the token signed for `email`).

    `seed` (the journal change's id) makes the Message-ID differ between two requests for the same address:
    Gmail drops a message whose Message-ID it has already delivered, so a second request would never arrive.
    """
    return build_reply(config, secret, Reply("confirm", email, seed=seed), date=date)


def build_welcome(
    config: Config, secret: bytes, email: str, *, date: datetime, latest_url: str, seed: str
) -> EmailMessage:
    return build_reply(config, secret, Reply("welcome", email, "", seed=seed), date=date, latest_url=latest_url)
