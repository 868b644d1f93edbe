"""Per-reader values, filled into the issue rendered once: the name and the reader's own unsubscribe link.

The same placeholders work for every provider: outbox and smtp substitute here, SendGrid substitutes on its side
from each personalization's `substitutions`. Values contain no '&', so one value serves the HTML and text parts.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from newsletter.config import Config
from newsletter.tokens import make_token

NAME = "%%name%%"
NAME_TEXT = "%%name_text%%"
UNSUBSCRIBE_URL = "%%unsubscribe_url%%"
PLACEHOLDERS = (NAME, NAME_TEXT, UNSUBSCRIBE_URL)
DEFAULT_NAME = "reader"


def mailto_unsubscribe(config: Config, token: str) -> str:
    """The mailto link: a mail client sends 'unsubscribe <token>' to the editor, which `newsletter inbox` reads."""
    return f"mailto:{config.newsletter.from_email}?subject={quote('unsubscribe ' + token)}"


def https_unsubscribe(config: Config, token: str) -> str:
    base = config.unsubscribe.url
    return f"{base}{'&' if '?' in base else '?'}token={token}" if base else ""


def unsubscribe_url(config: Config, secret: bytes, email: str) -> str:
    """The link in the footer: one-click https when configured, otherwise the signed mailto."""
    token = make_token(secret, "unsubscribe", email)
    return https_unsubscribe(config, token) or mailto_unsubscribe(config, token)


def list_unsubscribe_headers(config: Config, secret: bytes, email: str) -> dict[str, str]:
    """List-Unsubscribe (RFC 2369) and, with an https endpoint, List-Unsubscribe-Post (RFC 8058) for one click."""
    token = make_token(secret, "unsubscribe", email)
    links = [f"<{mailto_unsubscribe(config, token)}>"]
    one_click = https_unsubscribe(config, token)
    headers: dict[str, str] = {}
    if one_click:
        links.append(f"<{one_click}>")
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return {"List-Unsubscribe": ", ".join(links), **headers}


def recipient_values(config: Config, secret: bytes, email: str, name: str) -> dict[str, str]:
    display = name.strip() or DEFAULT_NAME
    return {
        NAME: html.escape(display, quote=True),
        NAME_TEXT: display,
        UNSUBSCRIBE_URL: unsubscribe_url(config, secret, email),
    }


def web_values(config: Config) -> dict[str, str]:
    """Values for the public web copy: no personal token; unsubscribing there means writing to the editor."""
    mailto = f"mailto:{config.newsletter.from_email}?subject=Unsubscribe"
    return {NAME: DEFAULT_NAME, NAME_TEXT: DEFAULT_NAME, UNSUBSCRIBE_URL: mailto}


def personalize(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text
