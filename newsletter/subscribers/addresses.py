"""Email addresses: checked by email-validator (syntax only, no DNS) and normalised the same way everywhere.

email-validator takes some 30 microseconds an address, half a minute for a million-row list. Most addresses are
plain ASCII dot-atoms, for which its normalised form is simply the local part plus the lowercased domain, so a
strict subset of its grammar is recognised by one regular expression first, and everything else (non-ASCII,
quoted, long, odd) goes to email-validator itself. tests/test_subscribers_addresses.py checks that the quick
path never accepts or normalises differently from email-validator.

One deliberate difference: an address whose first character starts a spreadsheet formula (=, +, -, @ and their
full-width forms) is refused, although RFC 5322 allows '=', '+' and '-' there. subscribers.csv is opened in
spreadsheets, every other cell from outside is neutralised with a leading "'", and an email cell cannot be: it
would then name another mailbox. No mailbox in use starts so (Gmail, Outlook and the rest do not hand them out),
so refusing one costs nothing and keeps the file safe.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from newsletter.subscribers.csvfile import FORMULA_STARTS

# ASCII dot-atoms up to 64 characters: no label, local-part or total length limit can be reached, no Punycode
# (no '--' in the domain), and the top-level domain is letters only and not a special-use name.
_SHAPE = (
    r"[A-Za-z0-9_][A-Za-z0-9_+-]*(?:\.[A-Za-z0-9_+-]+)*@(?:[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\.)+"
    r"(?!(?i:arpa|invalid|local|localhost|onion|test){end})[A-Za-z]{{2,63}}"
)
_QUICK_LENGTH = 64
_QUICK = re.compile(_SHAPE.format(end=r"\Z"))
# The same test over all addresses joined by newlines: one pass in C finds the lines that need a closer look.
_NOT_QUICK = re.compile(r"^(?:(?=[^\n]{65})|(?!" + _SHAPE.format(end=r"(?:\n|\Z)") + r"(?:\n|\Z)))[^\n]*", re.MULTILINE)


class InvalidAddress(ValueError):
    """The text is not a usable email address; the message says why (email-validator's words)."""


def is_quick(address: str) -> bool:
    """True when the quick path alone decides (and accepts) the address."""
    return len(address) <= _QUICK_LENGTH and _QUICK.fullmatch(address) is not None


def normalize_email(text: str) -> str:
    """The address as email-validator normalises it; InvalidAddress if it is not one. Surrounding space is cut."""
    if is_quick(text):
        local, _, domain = text.rpartition("@")
        return f"{local}@{domain.lower()}"
    address = text.strip()
    if not address:
        raise InvalidAddress("The email address is empty.")
    if address != text:
        return normalize_email(address)
    if address.startswith(FORMULA_STARTS):
        raise InvalidAddress(
            f"The email address starts with '{address[0]}', which a spreadsheet reads as a formula; "
            "no mailbox in use starts so."
        )
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidAddress(str(error)) from None


def email_key(text: str) -> str:
    """The case-insensitive identity of an address: duplicates and lookups compare these."""
    return normalize_email(text).lower()


def fast_keys(addresses: list[str]) -> tuple[list[str | None], list[int]]:
    """email_key of every address the quick path accepts, None elsewhere, plus the positions of those Nones.

    The caller runs email_key on the few left over; this handles a million addresses in well under a second.
    """
    text = "\n".join(addresses)
    keys: list[str | None] = list(text.lower().split("\n"))
    if len(keys) != len(addresses):  # some address holds a line break: take them one by one
        keys = [a.lower() if is_quick(a) else None for a in addresses]
        return keys, [n for n, key in enumerate(keys) if key is None]
    slow: list[int] = []
    line = position = 0
    for match in _NOT_QUICK.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        keys[line] = None
        slow.append(line)
    return keys, slow
