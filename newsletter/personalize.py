"""Per-reader values, filled into the issue rendered once: the name and the reader's own unsubscribe link.

The same placeholders work for every provider: outbox and smtp substitute here, SendGrid substitutes on its side
from each personalization's `substitutions`. Values contain no '&', so one value serves the HTML and text parts.
"""

from __future__ import annotations

import html

from newsletter.config import Config
from newsletter.tokens import make_token

NAME = "%%name%%"
NAME_TEXT = "%%name_text%%"
UNSUBSCRIBE_URL = "%%unsubscribe_url%%"
PLACEHOLDERS = (NAME, NAME_TEXT, UNSUBSCRIBE_URL)
DEFAULT_NAME = "reader"


def mailto_unsubscribe(config: Config, token: str) -> str:
    """The mailto link: a mail client sends 'unsubscribe <token>' to the editor, which `newsletter inbox` reads.

    The token is base64url and a dot, so only the space needs encoding (quote() per reader was measurable at a
    million readers)."""
    return f"mailto:{config.newsletter.from_email}?subject=unsubscribe%20{token}"


def https_unsubscribe(config: Config, token: str) -> str:
    base = config.unsubscribe.url
    return f"{base}{'&' if '?' in base else '?'}token={token}" if base else ""


def personalization(config: Config, secret: bytes, email: str, name: str) -> tuple[dict[str, str], dict[str, str]]:
    """The reader's placeholder values and List-Unsubscribe headers, from one signed token.

    The footer link is one-click https when configured, otherwise the signed mailto; the headers carry both
    (RFC 2369), plus List-Unsubscribe-Post (RFC 8058) when there is an https endpoint."""
    token = make_token(secret, "unsubscribe", email)
    mailto = mailto_unsubscribe(config, token)
    one_click = https_unsubscribe(config, token)
    display = name.strip() or DEFAULT_NAME
    values = {NAME: html.escape(display, quote=True), NAME_TEXT: display, UNSUBSCRIBE_URL: one_click or mailto}
    if one_click:
        headers = {
            "List-Unsubscribe": f"<{mailto}>, <{one_click}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    else:
        headers = {"List-Unsubscribe": f"<{mailto}>"}
    return values, headers


def unsubscribe_url(config: Config, secret: bytes, email: str) -> str:
    """The link in the footer: one-click https when configured, otherwise the signed mailto."""
    return personalization(config, secret, email, "")[0][UNSUBSCRIBE_URL]


def list_unsubscribe_headers(config: Config, secret: bytes, email: str) -> dict[str, str]:
    return personalization(config, secret, email, "")[1]


def recipient_values(config: Config, secret: bytes, email: str, name: str) -> dict[str, str]:
    return personalization(config, secret, email, name)[0]


def web_values(config: Config) -> dict[str, str]:
    """Values for the public web copy: no personal token; unsubscribing there means writing to the editor."""
    mailto = f"mailto:{config.newsletter.from_email}?subject=Unsubscribe"
    return {NAME: DEFAULT_NAME, NAME_TEXT: DEFAULT_NAME, UNSUBSCRIBE_URL: mailto}


def personalize(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text
