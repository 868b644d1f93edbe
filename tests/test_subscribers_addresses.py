"""The quick address check must agree with email-validator on every input: same verdict, same normalised form."""

from __future__ import annotations

import random

import pytest
from email_validator import EmailNotValidError, validate_email

from newsletter.subscribers.addresses import InvalidAddress, email_key, fast_keys, is_quick, normalize_email

CURATED = [
    "Alice@Example.ORG",
    "a+tag@sub.example.co.in",
    "first.last@example.com",
    "a..b@example.org",
    ".a@example.org",
    "a.@example.org",
    "a@-example.org",
    "a@example-.org",
    "a@ex--ample.org",
    "a@xn--bcher-kva.example",
    "a@example.c",
    "a@example.c1",
    "a@example.123",
    "a@localhost",
    "a@host.test",
    "a@host.local",
    "a@host.ONION",
    "a@host.arpa",
    "a@host.invalid",
    "a@[192.0.2.1]",
    '"quoted"@example.org',
    "Pelé@example.org",
    "user@exämple.org",
    " a@example.org",
    "a@example.org ",
    "",
    "@example.org",
    "a@",
    "a@b@example.org",
    "a" * 64 + "@example.org",
    "a" * 65 + "@example.org",
    "a@" + "b" * 63 + ".org",
    "a@" + "b" * 64 + ".org",
    "x_y-z@example.museum",
    "o'brien@example.ie",
    "a@example.org.",
    "a@.example.org",
    "A@EXAMPLE.ORG\n",
    "-a@example.org",
    "+a@example.org",
    "=a@example.org",
    "\uff1da@example.org",
    "a-@example.org",
    "_a@example.org",
]


def expected(text: str) -> str | None:
    """email-validator's verdict, except that an address starting a spreadsheet formula is refused."""
    if text.strip().startswith(("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")):
        return None
    try:
        return str(validate_email(text.strip(), check_deliverability=False).normalized) if text.strip() else None
    except EmailNotValidError:
        return None


def actual(text: str) -> str | None:
    try:
        return normalize_email(text)
    except InvalidAddress:
        return None


def random_addresses(count: int) -> list[str]:
    """Mostly plausible addresses with the odd character or label that email-validator refuses or rewrites."""
    rng = random.Random(20150316)
    local_pieces = ["reader", "B", "z9", ".", "-", "_", "+", "'", "é", "..", " ", "Ω", "a"]
    labels = ["example", "Mail", "x-y", "xn--p1ai", "-a", "a-", "ab--cd", "é", "", "sub", "b" * 70]
    tlds = ["org", "COM", "co", "in", "test", "local", "c1", "x", "123", "onion", "museum"]
    found = []
    for _ in range(count):
        local = "".join(rng.choice(local_pieces) for _ in range(rng.randint(1, 4)))
        domain = ".".join(rng.choice(labels) for _ in range(rng.randint(1, 2)))
        found.append(f"{local}@{domain}.{rng.choice(tlds)}")
    return found


@pytest.mark.parametrize("text", CURATED)
def test_quick_path_agrees_with_email_validator(text: str) -> None:
    assert actual(text) == expected(text)


def test_quick_path_agrees_on_thousands_of_random_addresses() -> None:
    addresses = random_addresses(4000)
    assert sum(is_quick(a) for a in addresses) > 50  # the quick path was really exercised
    for text in addresses:
        assert actual(text) == expected(text), text


def test_fast_keys_match_one_by_one_keys() -> None:
    addresses = CURATED + random_addresses(500)
    keys, slow = fast_keys(addresses)
    for number, text in enumerate(addresses):
        if keys[number] is not None:
            assert keys[number] == email_key(text)
            assert number not in slow
        else:
            assert number in slow
    assert slow == sorted(slow)


def test_invalid_address_says_why() -> None:
    with pytest.raises(InvalidAddress) as caught:
        normalize_email("a@localhost")
    assert str(caught.value) == "The part after the @-sign is not valid. It should have a period."
    with pytest.raises(InvalidAddress, match=r"^The email address is empty\.$"):
        normalize_email("   ")


def test_an_address_that_would_start_a_formula_is_refused() -> None:
    # RFC 5322 allows it and email-validator accepts it; a spreadsheet would run it.
    assert validate_email("=cmd@example.org", check_deliverability=False).normalized == "=cmd@example.org"
    for text in ("=cmd@example.org", " +1@example.org", "-x@example.org", "\uff20x@example.org"):
        with pytest.raises(InvalidAddress) as caught:
            normalize_email(text)
        first = text.strip()[0]
        assert str(caught.value) == (
            f"The email address starts with '{first}', which a spreadsheet reads as a formula; "
            "no mailbox in use starts so."
        )
    assert fast_keys(["-x@example.org", "x-@example.org"]) == ([None, "x-@example.org"], [0])
