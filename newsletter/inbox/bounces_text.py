"""Reading the parts of a bounce or complaint: decoded text, report fields, addresses and status codes.

Everything here takes text from strangers: payloads are capped before they are decoded, unknown charsets fall
back to UTF-8 with replacement characters, and nothing raises on malformed input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import Message
from email.parser import HeaderParser
from typing import NamedTuple

from newsletter.clean import clean_line
from newsletter.inbox.text import decode_words, from_surrogates
from newsletter.subscribers.addresses import InvalidAddress, email_key

# Bounce reports put what matters in their first kilobytes; a returned message can be megabytes of attachment.
TEXT_BYTES = 64_000
DIAGNOSTIC_LIMIT = 500
HEADER_LIMIT = 200  # headers kept from a returned message
_ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:@]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}")
# An enhanced status code (RFC 3463) not inside an IP address or a longer dotted number.
_ENHANCED = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d]|\.\d)")
# An SMTP reply code at the start of a reply ('550 ', '550-', "'550 " in Exchange's "returned '550 ...'").
_REPLY = re.compile(r"(?<![\w.:/-])([45])[0-5]\d(?=[\s-])")


class Finding(NamedTuple):
    """One recipient as a report names it, before the rules decide what it means."""

    address: str  # normalised and lowercased (email_key); '' when the report names none that is valid
    action: str  # RFC 3464 Action, lowercased: failed, delayed, ... ('failed' or 'delayed' for text bounces)
    status: str  # the most specific status code found, e.g. '5.1.1'; '' when none
    diagnostic: str  # one clean line


def text_of(part: Message) -> str:
    """The decoded text of a leaf part, at most TEXT_BYTES of it."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    data = payload[:TEXT_BYTES]
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, "replace")
    except (LookupError, UnicodeError, ValueError):  # a charset Python does not know: most such mail is UTF-8
        return data.decode("utf-8", "replace")


def walk(message: Message) -> Iterator[Message]:
    """Every part, depth first, not descending into attached messages (the returned original is not the
    report)."""
    yield message
    payload = message.get_payload()
    if message.is_multipart() and isinstance(payload, list) and not message.get_content_type().startswith("message/"):
        for sub in payload:
            if isinstance(sub, Message):
                yield from walk(sub)


def header_value(message: Message, name: str) -> str:
    """The first `name` header, decoded (RFC 2047) and cleaned to one line; '' when absent."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            return clean_line(decode_words(from_surrogates(str(value))))
    return ""


def report_blocks(part: Message) -> list[dict[str, str]]:
    """The field blocks of a message/delivery-status or message/feedback-report part (RFC 3464 section 2.1,
    RFC 5965 section 3.1): one dict per block, names lowercased, values unfolded, the first of a name kept."""
    payload = part.get_payload()
    if isinstance(payload, list):  # the parser split the blocks into header-only messages
        blocks = []
        for sub in payload:
            if isinstance(sub, Message):
                block: dict[str, str] = {}
                for key, value in sub.raw_items():
                    block.setdefault(key.strip().lower(), " ".join(from_surrogates(str(value)).split()))
                blocks.append(block)
        return [block for block in blocks if block]
    return parse_blocks(text_of(part))


def parse_blocks(text: str) -> list[dict[str, str]]:
    blocks: list[dict[str, str]] = []
    block: dict[str, str] = {}
    name = ""
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            if block:
                blocks.append(block)
            block, name = {}, ""
        elif line[:1] in (" ", "\t") and name:
            block[name] = f"{block[name]} {line.strip()}".strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            name = key.strip().lower()
            if name in block:
                name = ""  # a repeated field: keep the first, drop its continuation lines
            else:
                block[name] = value.strip()
    if block:
        blocks.append(block)
    return blocks


def typed_value(value: str) -> str:
    """'rfc822; a@example.org' -> 'a@example.org', 'smtp; 550 ...' -> '550 ...' (RFC 3464's type prefix)."""
    kind, semi, rest = value.partition(";")
    return rest.strip() if semi and re.fullmatch(r"\s*[A-Za-z0-9-]{1,20}\s*", kind) else value.strip()


def find_address(text: str) -> str:
    """The first valid address in `text`, normalised and lowercased; '' when there is none."""
    for match in _ADDRESS.finditer(text[:2000]):
        try:
            return email_key(match.group().rstrip("."))
        except InvalidAddress:
            continue
    return ""


def find_status(*texts: str) -> str:
    """The status code `texts` give, in order: the first enhanced code ('5.1.1'), or, when that is only a class
    ('5.0.0'), a later more specific code of the same class; failing those, the class of an SMTP reply code
    ('550' -> '5.0.0'); '' when there is none."""
    codes = [
        ".".join(str(int(group)) for group in match.groups())
        for text in texts
        for match in _ENHANCED.finditer(text[: DIAGNOSTIC_LIMIT * 4])
    ]
    if codes:
        first = codes[0]
        if first.endswith(".0.0"):
            return next((code for code in codes if code[0] == first[0] and not code.endswith(".0.0")), first)
        return first
    for text in texts:
        reply = _REPLY.search(text[: DIAGNOSTIC_LIMIT * 4])
        if reply:
            return f"{reply.group(1)}.0.0"
    return ""


def diagnostic_line(text: str) -> str:
    return clean_line(text, DIAGNOSTIC_LIMIT)


def read_headers(text: str) -> Message:
    """The header block at the start of `text` (a text/rfc822-headers part, or the copy below a bounce's line)."""
    return HeaderParser().parsestr(text.lstrip("\r\n"), headersonly=True)


def returned_headers(message: Message) -> list[tuple[str, str]]:
    """(name, value) of the returned message's headers, decoded and cleaned, at most HEADER_LIMIT."""
    pairs = []
    for key, value in list(message.raw_items())[:HEADER_LIMIT]:
        name = clean_line(str(key), 100)
        if name:
            pairs.append((name, clean_line(decode_words(from_surrogates(str(value))))))
    return pairs
