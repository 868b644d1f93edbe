"""A CSV file's bytes before they are text: binary files refused, UTF-8 required, and the quick scan for invisible
characters (see csvfile.py for what becomes of a row that holds one).

A workbook, a PDF or UTF-16 text is recognised by its first bytes, and any file whose first line (the header,
which only an editor or this tool writes) holds a NUL or another control character is refused before anything is
read: a file of NULs, UTF-16 without a BOM, an image, a database. Text that is not UTF-8 is refused at its line.
"""

from __future__ import annotations

import re
from pathlib import Path

from newsletter.errors import SubscriberError
from newsletter.files import describe_os_error

_SIGNATURES = (
    (b"PK\x03\x04", "an Excel or OpenDocument workbook"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
)
_SAVE_AS = "save it from your spreadsheet as 'CSV UTF-8 (comma delimited)'"

# Bytes that are never part of an invisible character in UTF-8: all but C0 controls (tab, LF, CR excepted), DEL
# and the lead bytes of U+0080-U+009F (C2), U+2028-U+2069 (E2) and U+FEFF/U+FFFE/U+FFFF (EF).
_RISKY = {*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0xC2, 0xE2, 0xEF}
_PLAIN_BYTES = bytes(b for b in range(256) if b not in _RISKY)
_LEADS = b"\xc2\xe2\xef"
_UNSAFE_AFTER_LEAD = {
    0xC2: re.compile(rb"\xc2[\x80-\x9f]"),
    0xE2: re.compile(rb"\xe2(?:\x80[\xa8-\xae]|\x81[\xa6-\xa9])"),
    0xEF: re.compile(rb"\xef(?:\xbb\xbf|\xbf[\xbe\xbf])"),
}


def decode_csv(path: Path, data: bytes) -> str:
    """The text of a CSV file, or a SubscriberError saying what the file is instead and how to fix it."""
    check_head(path, data)
    return decode_part(path, data)


def check_head(path: Path, head: bytes) -> None:
    """A SubscriberError when the file's first bytes show it is no CSV file (a workbook, binary data)."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            raise SubscriberError(f"{path} is not a CSV file (it looks like {kind}): {_SAVE_AS}.")
    head = head[:65_536]
    first_line = head[: min(_line_end(head, b"\n"), _line_end(head, b"\r"))]
    if first_line.translate(None, _PLAIN_BYTES).translate(None, _LEADS):
        raise SubscriberError(f"{path}:1: is not a CSV file (it holds binary data): {_SAVE_AS}.")


def decode_part(path: Path, data: bytes, lines_before: int = 0) -> str:
    """`data` as UTF-8 text, or a SubscriberError naming its line (`lines_before` lines of the file precede it)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = lines_before + data[: error.start].count(b"\n") + 1
        raise SubscriberError(f"{path}:{line}: is not UTF-8 text: {_SAVE_AS}.") from None


def _line_end(data: bytes, mark: bytes) -> int:
    at = data.find(mark)
    return len(data) if at == -1 else at


def holds_unsafe(data: bytes) -> bool:
    """Whether UTF-8 `data` holds an invisible character anywhere past a leading BOM; some 50 ms for 100 MB."""
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    rest = data.translate(None, _PLAIN_BYTES)[1 if start else 0 :]
    if not rest:
        return False
    if rest.translate(None, _LEADS):
        return True  # a C0 control or DEL
    for lead in set(rest):
        pattern = _UNSAFE_AFTER_LEAD[lead]
        if rest.count(lead) > 10_000:
            # Smart quotes and dashes (E2) can be on every row: one regex pass beats a find per occurrence.
            if pattern.search(data, start):
                return True
            continue
        at = data.find(lead, start)
        while at != -1:
            if pattern.match(data, at):
                return True
            at = data.find(lead, at + 1)
    return False


def read_bytes(path: Path, missing: str) -> bytes:
    """The bytes of `path`, or a SubscriberError: `missing` says what to do when the file does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SubscriberError(f"{path} does not exist: {missing}.") from None
    except OSError as error:
        raise SubscriberError(describe_os_error(path, error, "read") + ".") from None
