"""HMAC-signed tokens for unsubscribe links, subscription confirmations, the sign-up form and bounces.

A token names its purpose and the address, so a confirm token cannot unsubscribe and nobody can forge
one for somebody else's address without the secret (NEWSLETTER_SECRET, read by cli.py).

The feedback token proves a bounce or complaint is about mail this newsletter sent: every message the SMTP
provider and the outbox write carries `X-Newsletter-Feedback: <token>`, bounces (RFC 3464's returned headers, the
copy below the line in Exim, qmail, Postfix and Gmail bounces) and complaints (ARF and JMRP carry the whole
message) return it, and the inbox trusts the issue and reader it names only when the HMAC holds: a stranger who
forges a bounce cannot name a reader. Its payload is 'feedback:<issue>:<email>'. Not a VERP return path:
'bounces+<token>@domain' would exceed RFC 5321's 64-octet local part for most addresses, and some relays lowercase
local parts, which breaks base64url.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from functools import lru_cache

from newsletter.errors import TokenError

# "form": the web sign-up form's anti-forgery token, which signs the time it was issued instead of an address.
PURPOSES = ("unsubscribe", "confirm", "form")
# A fixed development key lets the demo and tests run with nothing configured; real sends and the web app refuse it.
DEV_SECRET = b"newsletter-development-secret-not-for-production"
# HMAC-SHA256 keys shorter than the hash's 32 bytes weaken it; a short secret can also be guessed offline from one
# published unsubscribe link.
MIN_SECRET_BYTES = 32
# 16 bytes of HMAC-SHA256 (128 bits) keep the token short enough for a mail subject line.
_SIG_BYTES = 16
FEEDBACK_HEADER = "X-Newsletter-Feedback"
FEEDBACK = "feedback"
# What an issue slug may be (the file name of issues/<slug>.yaml): no ':' so the payload splits one way only.
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
# A token is a few hundred characters at most: an address is at most 254.
_MAX_TOKEN = 600
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64(data: bytes) -> str:
    # base64.urlsafe_b64encode's work without its Python wrappers: `send` makes a million of these.
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not _BASE64URL.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=8)
def _keyed(secret: bytes) -> hmac.HMAC:
    """HMAC-SHA256 with its key schedule done once per secret: a copy per token skips what hmac.new does for every
    one, which was most of the cost of signing a million."""
    return hmac.new(secret, digestmod=hashlib.sha256)


def _signature(secret: bytes, payload: bytes) -> bytes:
    mac = _keyed(secret).copy()
    mac.update(payload)
    return mac.digest()[:_SIG_BYTES]


def check_secret(secret: bytes) -> bytes:
    """The secret, or a TokenError when it is too short to sign with."""
    if len(secret) < MIN_SECRET_BYTES:
        raise TokenError(
            f"NEWSLETTER_SECRET is {len(secret)} bytes long: set it to at least {MIN_SECRET_BYTES} random bytes, "
            "e.g. the output of `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`."
        )
    return secret


def choose_secret(value: str, *, required: bool = False) -> tuple[bytes, str]:
    """The signing secret from NEWSLETTER_SECRET's `value` (cli.py reads it), and a warning for the editor or "".

    Without a value, the development key. Commands that verify tokens or send through a real provider pass
    `required`: they refuse the development key, even when it is set explicitly."""
    if value:
        secret = check_secret(value.encode("utf-8"))
        if required and secret == DEV_SECRET:
            raise TokenError(
                "NEWSLETTER_SECRET is the published development key: set it to your own long random string "
                "(the one your unsubscribe and confirmation links were signed with)."
            )
        return secret, ""
    if required:
        raise TokenError(
            "NEWSLETTER_SECRET is not set: set it in the environment to a long random string "
            "(it signs unsubscribe links; keep it the same between sends)."
        )
    return DEV_SECRET, (
        "NEWSLETTER_SECRET is not set: unsubscribe links are signed with a development key "
        "(fine for trying things out; set the secret before sending for real)."
    )


def make_token(secret: bytes, purpose: str, email: str) -> str:
    """A URL- and subject-safe token '<payload>.<signature>' binding `purpose` to `email`."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    payload = f"{purpose}:{email.strip().lower()}".encode()
    return f"{_b64(payload)}.{_b64(_signature(secret, payload))}"


def _verified_payload(secret: bytes, token: str, what: str) -> tuple[str, str]:
    """(purpose, rest) of a token whose signature holds; TokenError naming `what` otherwise."""
    text = token.strip()
    body, dot, sig = text.partition(".")
    if not dot or not body or not sig or len(text) > _MAX_TOKEN:
        raise TokenError(f"the {what} is malformed: it must be two base64url parts joined by a dot.")
    try:
        payload = _unb64(body)
        signature = _unb64(sig)
    except (binascii.Error, ValueError):
        raise TokenError(f"the {what} is malformed: it is not base64url text.") from None
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        raise TokenError(f"the {what}'s signature does not match: it was altered or not made by this newsletter.")
    purpose, _, rest = payload.decode("utf-8", "replace").partition(":")
    return purpose, rest


def read_token(secret: bytes, token: str, purpose: str) -> str:
    """The address a valid `purpose` token was made for; TokenError if it is malformed, forged or altered."""
    kind, email = _verified_payload(secret, token, "token")
    if kind != purpose:
        raise TokenError(f"the token is for '{kind}', not '{purpose}'.")
    return email


def signable_issue(issue: str) -> bool:
    """True when `issue` (a slug) can be named in a feedback token: letters, digits, '.', '_' and '-' only."""
    return _SLUG.fullmatch(issue) is not None


def make_feedback_token(secret: bytes, issue: str, email: str) -> str:
    """The token binding `issue` (its slug) and `email` (stripped, lowercased), for the X-Newsletter-Feedback
    header of the message sent to `email`."""
    if not signable_issue(issue):
        raise ValueError(f"issue slug {issue!r} is not letters, digits, '.', '_' or '-'")
    payload = f"{FEEDBACK}:{issue}:{email.strip().lower()}".encode()
    return f"{_b64(payload)}.{_b64(_signature(secret, payload))}"


def read_feedback_token(secret: bytes, token: str) -> tuple[str, str]:
    """(issue, email) of a valid feedback token; TokenError if it is malformed, forged, altered or made for
    another purpose."""
    purpose, rest = _verified_payload(secret, token, "feedback token")
    if purpose != FEEDBACK:
        raise TokenError(f"the token is for '{purpose}', not '{FEEDBACK}'.")
    issue, _, email = rest.partition(":")
    if not signable_issue(issue) or "@" not in email:
        raise TokenError("the feedback token is malformed: it does not name an issue and an address.")
    return issue, email
