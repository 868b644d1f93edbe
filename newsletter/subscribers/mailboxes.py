"""Addresses as editors paste them: one per line or cell, or as a mail client copies them (`Gaurav Sen
<gaurav.sen@yahoo.co.in>`, Outlook's `"Sen, Gaurav" <gaurav.sen@yahoo.co.in>`), or several in one cell separated
by commas or semicolons (`a@example.org; b@example.org`).

Only the shape is read here; whether an address is valid is email-validator's to say (addresses.py), so a piece
that is no address at all comes back as it is, for the import to report.
"""

from __future__ import annotations

import re

# A mailbox with its address in angle brackets, its name before them quoted or not.
_MAILBOX = re.compile(r'\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<plain>[^<>"]*?))\s*<(?P<address>[^<>]*)>\s*')
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "ph.d.", "md", "m.d.", "esq", "esq."}


def needs_splitting(text: str) -> bool:
    """Whether `text` may hold more than a bare address (the common case is decided without parsing)."""
    return any(char in text for char in '<>,;"')


def _pieces(text: str) -> list[str]:
    """`text` cut at commas and semicolons that are outside quotes and angle brackets."""
    pieces: list[str] = []
    start = 0
    quoted = angled = False
    escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"' and not angled:
            quoted = not quoted
        elif char == "<" and not quoted:
            angled = True
        elif char == ">" and not quoted:
            angled = False
        elif char in ",;" and not quoted and not angled:
            pieces.append(text[start:index])
            start = index + 1
    pieces.append(text[start:])
    return [piece for piece in pieces if piece.strip()]


def natural_name(name: str) -> str:
    """'Sen, Gaurav' as the greeting wants it, 'Gaurav Sen'; a name with a suffix ('Rao, Jr.') stays."""
    last, comma, first = name.partition(",")
    if not comma or "," in first or not last.strip() or not first.strip() or first.strip().lower() in _SUFFIXES:
        return name.strip()
    return f"{first.strip()} {last.strip()}"


def split_mailboxes(text: str) -> list[tuple[str, str]]:
    """(name, address) for each mailbox in `text`, in order; ('', piece) for a piece that is not a mailbox's shape.

    A piece without '@' next to others that have one is another cell's text, not an address, and is left out;
    one before a `Name <address>` piece is the first half of an unquoted "Last, First" name."""
    pieces = _pieces(text)
    merged: list[str] = []
    for piece in pieces:
        if merged and "@" not in merged[-1] and "<" in piece and _MAILBOX.fullmatch(piece):
            merged[-1] = f"{merged[-1]},{piece}"  # Sen, Gaurav <gaurav.sen@example.org>
        else:
            merged.append(piece)
    found: list[tuple[str, str]] = []
    for piece in merged:
        match = _MAILBOX.fullmatch(piece)
        if match:
            name = match["quoted"]
            name = re.sub(r"\\(.)", r"\1", name) if name is not None else match["plain"] or ""
            found.append((natural_name(name), match["address"].strip()))
        else:
            found.append(("", piece.strip()))
    if any("@" in address for _, address in found):
        found = [(name, address) for name, address in found if "@" in address]
    return found
