"""Per-reader values, filled into the issue rendered once: the name and the reader's own unsubscribe link.

The same placeholders work for every provider: outbox and smtp substitute here, SendGrid substitutes on its side
from each personalization's `substitutions`. Values contain no '&', so one value serves the HTML and text parts.

Substitution is one pass over the template: a value put in is never scanned again, so a reader named
"%%unsubscribe_url%%" is greeted by that name. SendGrid does scan what it put in (its documentation allows a few
levels of nested substitution tags), and the template's text from the issue's fields could hold a placeholder too:
so no value, and no text rendered from the issue, carries "%%" (break_placeholders puts a WORD JOINER, which
nobody sees, between the two signs). Only the placeholders the template itself writes are filled in.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import lru_cache

from newsletter.clean import NAME_LIMIT, clean_line
from newsletter.config import Config
from newsletter.message.content import Recipient
from newsletter.tokens import FEEDBACK_HEADER, make_feedback_token, make_token, signable_issue

NAME = "%%name%%"
NAME_TEXT = "%%name_text%%"
UNSUBSCRIBE_URL = "%%unsubscribe_url%%"
PLACEHOLDERS = (NAME, NAME_TEXT, UNSUBSCRIBE_URL)
DEFAULT_NAME = "reader"
WORD_JOINER = "\u2060"  # invisible, no break, no width: "%\u2060%" reads as "%%" and matches no placeholder
_PERCENT_PAIR = re.compile("%(?=%)")
# Printable ASCII words with single spaces between them: what clean_line leaves as it is (the common case, checked
# in a fraction of clean_line's time, per reader of a million).
_PLAIN_LINE = re.compile(r"[!-~]+(?: [!-~]+)*")
_HTML_SPECIAL = re.compile("[&<>\"']")  # what html.escape changes: most names hold none


def mailto_unsubscribe(config: Config, token: str) -> str:
    """The mailto link: a mail client sends 'unsubscribe <token>' to the editor, which `newsletter inbox` reads.

    The token is base64url and a dot, so only the space needs encoding (quote() per reader was measurable at a
    million readers)."""
    return f"mailto:{config.newsletter.from_email}?subject=unsubscribe%20{token}"


def https_unsubscribe(config: Config, token: str) -> str:
    """The one-click link: `<[web] base_url>/unsubscribe?token=...` (the web app's RFC 8058 endpoint), or from the
    deprecated [unsubscribe] url; '' when neither is set."""
    base = config.one_click_url
    return f"{base}{'&' if '?' in base else '?'}token={token}" if base else ""


def personalization(
    config: Config, secret: bytes, email: str, name: str, *, feedback_issue: str = ""
) -> tuple[dict[str, str], dict[str, str]]:
    """The reader's placeholder values and List-Unsubscribe headers, from one signed token.

    The footer link is one-click https when configured, otherwise the signed mailto; the headers carry both
    (RFC 2369), plus List-Unsubscribe-Post (RFC 8058) when there is an https endpoint. With `feedback_issue` (the
    issue's slug) the headers also carry X-Newsletter-Feedback, signed for that issue and reader: bounces and
    complaints return the sent message's headers, and `newsletter inbox` trusts what they say only with it
    (newsletter.tokens). A slug a token cannot name (a space in the file name) gets no header."""
    return clean_personalization(config, secret, email, clean_name(name), feedback_issue=feedback_issue)


def make_recipient(config: Config, secret: bytes, email: str, name: str, feedback_issue: str = "") -> Recipient:
    """The reader as the builder and providers take them: their name one clean line (defence in depth:
    subscribers.csv is read with the same rule), their values and headers signed for their address (and, with
    `feedback_issue`, the signed X-Newsletter-Feedback header that bounces bring back)."""
    name = clean_name(name)
    values, headers = clean_personalization(config, secret, email, name, feedback_issue=feedback_issue)
    return Recipient(email, name, values, headers)


def clean_personalization(
    config: Config, secret: bytes, email: str, name: str, *, feedback_issue: str = ""
) -> tuple[dict[str, str], dict[str, str]]:
    """personalization() for a name clean_name() made already (make_recipient: once per reader of a million)."""
    token = make_token(secret, "unsubscribe", email)
    mailto = mailto_unsubscribe(config, token)
    one_click = https_unsubscribe(config, token)
    display = (break_placeholders(name) if "%" in name else name) or DEFAULT_NAME
    escaped = html.escape(display, quote=True) if _HTML_SPECIAL.search(display) else display
    values = {NAME: escaped, NAME_TEXT: display, UNSUBSCRIBE_URL: one_click or mailto}
    if one_click:
        headers = {
            "List-Unsubscribe": f"<{mailto}>, <{one_click}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    else:
        headers = {"List-Unsubscribe": f"<{mailto}>"}
    if feedback_issue and signable_issue(feedback_issue):
        headers[FEEDBACK_HEADER] = make_feedback_token(secret, feedback_issue, email)
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


def clean_name(name: str) -> str:
    """A reader's name as one line of plain text, at most NAME_LIMIT characters (clean.clean_line), quickly."""
    if len(name) <= NAME_LIMIT and _PLAIN_LINE.fullmatch(name):
        return name
    return clean_line(name, NAME_LIMIT)


def break_placeholders(text: str) -> str:
    """`text` with a WORD JOINER in every "%%", and at an end that is a "%", so that no substitution (ours, or
    SendGrid's, which expands tags inside values it put in) can find a placeholder in it or across its edges."""
    if "%" not in text:
        return text
    text = _PERCENT_PAIR.sub("%" + WORD_JOINER, text)
    if text.startswith("%"):
        text = WORD_JOINER + text
    if text.endswith("%"):
        text += WORD_JOINER
    return text


@lru_cache(maxsize=32)
def _placeholder_pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first, so that a key that starts another (%%name%% and %%name_text%% do not, others may) never wins
    # over the longer one.
    return re.compile("|".join(re.escape(key) for key in sorted(keys, key=len, reverse=True)))


def personalize(text: str, values: Mapping[str, str]) -> str:
    """`text` with every placeholder in `values` replaced, in one pass: what a value brings in is never scanned."""
    if not values:
        return text
    pattern = _placeholder_pattern(tuple(values))
    return pattern.sub(lambda match: values[match.group()], text)
