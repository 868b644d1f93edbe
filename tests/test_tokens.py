"""The token signer's fast HMAC (a key schedule made once per secret) against the standard library's."""

from __future__ import annotations

import base64
import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from newsletter.tokens import make_feedback_token, make_token, read_token


def plain_token(secret: bytes, purpose: str, email: str) -> str:
    """make_token as the standard library writes it, step by step."""
    payload = f"{purpose}:{email.strip().lower()}".encode()
    signature = hmac.new(secret, payload, hashlib.sha256).digest()[:16]
    return ".".join(base64.urlsafe_b64encode(part).rstrip(b"=").decode("ascii") for part in (payload, signature))


# Secrets shorter than, as long as and longer than SHA-256's 64-byte block (HMAC hashes a longer key first).
@given(secret=st.binary(min_size=0, max_size=200), email=st.text(max_size=80))
def test_tokens_are_hmac_sha256_as_the_standard_library_makes_it(secret: bytes, email: str) -> None:
    assert make_token(secret, "unsubscribe", email) == plain_token(secret, "unsubscribe", email)


def test_a_token_made_with_one_secret_is_read_only_with_it() -> None:
    first, second = b"s" * 32, b"t" * 100
    token = make_token(first, "unsubscribe", "Asha@Example.org")
    other = make_token(second, "unsubscribe", "asha@example.org")
    assert token != other
    assert read_token(first, token, "unsubscribe") == read_token(second, other, "unsubscribe") == "asha@example.org"
    payload = b"feedback:2015-03-16:a@x.org"
    signature = hmac.new(second, payload, hashlib.sha256).digest()[:16]
    expected = [base64.urlsafe_b64encode(part).rstrip(b"=").decode() for part in (payload, signature)]
    assert make_feedback_token(second, "2015-03-16", "a@x.org") == ".".join(expected)
