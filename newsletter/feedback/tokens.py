"""The signed value that proves a bounce or complaint is about mail this newsletter sent.

The SMTP provider puts `X-Newsletter-Feedback: <token>` in every message it sends. Bounces (RFC 3464's
text/rfc822-headers or message/rfc822 part, and the copy below the line in Exim, qmail, Postfix and Gmail
bounces) and complaints (ARF and Microsoft JMRP reports carry the whole message) return that header, so the
inbox learns the issue and the reader from the token and trusts them only if the HMAC holds: a stranger who
forges a bounce cannot name a reader, and a reader's own copy only names that reader, who could already
unsubscribe with the List-Unsubscribe link in the same message.

The token is built as newsletter/tokens.py builds its own (HMAC-SHA256 with NEWSLETTER_SECRET, 16 bytes,
base64url, '<payload>.<signature>'); its payload 'feedback:<issue>:<email>' starts with a purpose that tokens.py
does not know, so read_token refuses a feedback token and read_feedback_token refuses an unsubscribe or confirm
token. Not a VERP return path: 'bounces+<token>@domain' would exceed RFC 5321's 64-octet local part for most
addresses, and some relays lowercase local parts, which breaks base64url.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

from newsletter.errors import TokenError

HEADER = "X-Newsletter-Feedback"
PURPOSE = "feedback"
# 16 bytes of HMAC-SHA256, as tokens.py: forging one is a 2^-128 guess.
_SIG_BYTES = 16
# What an issue slug may be (the file name of issues/<slug>.yaml): no ':' so the payload splits one way only.
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
# A feedback token is a few hundred characters at most: an address is at most 254.
_MAX_TOKEN = 600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, payload, hashlib.sha256).digest()[:_SIG_BYTES]


def signable_issue(issue: str) -> bool:
    """True when `issue` (a slug) can be named in a feedback token: letters, digits, '.', '_' and '-' only."""
    return _SLUG.fullmatch(issue) is not None


def make_feedback_token(secret: bytes, issue: str, email: str) -> str:
    """The token binding `issue` (its slug) and `email` (stripped, lowercased), for the X-Newsletter-Feedback
    header of the message sent to `email`."""
    if not _SLUG.fullmatch(issue):
        raise ValueError(f"issue slug {issue!r} is not letters, digits, '.', '_' or '-'")
    payload = f"{PURPOSE}:{issue}:{email.strip().lower()}".encode()
    return f"{_b64(payload)}.{_b64(_signature(secret, payload))}"


def read_feedback_token(secret: bytes, token: str) -> tuple[str, str]:
    """(issue, email) of a valid feedback token; TokenError if it is malformed, forged, altered or made for
    another purpose."""
    text = token.strip()
    body, dot, sig = text.partition(".")
    if not dot or not body or not sig or len(text) > _MAX_TOKEN:
        raise TokenError("the feedback token is malformed: it must be two base64url parts joined by a dot.")
    try:
        payload = _unb64(body)
        signature = _unb64(sig)
    except (binascii.Error, ValueError):
        raise TokenError("the feedback token is malformed: it is not base64url text.") from None
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        raise TokenError(
            "the feedback token's signature does not match: it was altered or not made by this newsletter."
        )
    purpose, _, rest = payload.decode("utf-8", "replace").partition(":")
    if purpose != PURPOSE:
        raise TokenError(f"the token is for '{purpose}', not '{PURPOSE}'.")
    issue, _, email = rest.partition(":")
    if not _SLUG.fullmatch(issue) or "@" not in email:
        raise TokenError("the feedback token is malformed: it does not name an issue and an address.")
    return issue, email
