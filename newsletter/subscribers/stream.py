"""subscribers.csv read a part at a time, for the send: the rows read_subscribers gives, in file order, with a few
megabytes of the file in memory instead of all of it (a million rows took 330 MB to read whole, before the send
had planned anything).

Each part is whole lines, cut just before a line that holds an address as a cell. Such a line always starts a
record (csvrecords.py: a quoted cell never takes in a line that looks like a row), so a part's lines group into
the records they make in the whole file, and each part is read by the same parse_csv and SubscriberList, the
file's header in front of it. A row repeating an address is not reported here, in any part: the reader of the
stream judges repeats over the whole file (status.Screen, the send's rule, does), so where the file is cut changes
nothing. tests/test_subscribers_stream.py holds the rows to read_subscribers' on files of many shapes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from newsletter.errors import SubscriberError
from newsletter.files import describe_os_error
from newsletter.subscribers.csvbytes import check_head, decode_part, holds_unsafe
from newsletter.subscribers.csvfile import _sniff_delimiter, parse_csv
from newsletter.subscribers.csvrecords import _looks_like_row
from newsletter.subscribers.table import Subscriber, SubscriberList

PART_BYTES = 4 << 20  # some 40,000 rows: a part's text, records and rows take a few times this at once


def stream_subscribers(path: Path, *, part_bytes: int = PART_BYTES) -> Iterator[Subscriber]:
    """Every row but blank ones, in file order, as read_subscribers reads them, except that no row is reported as
    repeating another (its `problem` is empty where the whole read says "duplicate of line N")."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise SubscriberError(
            f"{path} does not exist: add a first subscriber with `newsletter subscribers add EMAIL`."
        ) from None
    except OSError as error:
        raise SubscriberError(describe_os_error(path, error, "read") + ".") from None
    with handle:
        yield from _rows(path, handle, part_bytes)


def _rows(path: Path, handle: BinaryIO, part_bytes: int) -> Iterator[Subscriber]:
    header = ""  # the header record as written, line end included; "" until the first part is read
    header_lines = 0
    header_unsafe = False
    delimiter = ","
    carry = b""  # the start of a line whose end is not read yet
    pending = ""  # whole lines held back for the next part (after its last cut)
    lines = 0  # lines of the file before `pending`, as parse_csv counts them (a lone CR ends one too)
    newlines = 0  # LF bytes before `carry`: decode errors count lines by them, as decode_csv does
    first = True  # the part being read holds the header
    head = handle.read(part_bytes)
    check_head(path, head)
    while True:
        block, head = (head, b"") if head else (handle.read(part_bytes), b"")
        data = carry + block
        if block:
            end = data.rfind(b"\n") + 1
            if not end:
                carry = data  # no whole line yet
                continue
            data, carry = data[:end], data[end:]
        elif not data and not pending:
            return
        else:
            carry = b""
        text = pending + decode_part(path, data, newlines)
        newlines += data.count(b"\n")
        if first:
            delimiter = _sniff_delimiter(text[: _line_end(text)])
        cut = _cut(text, delimiter, after=_line_end(text) if first else 0) if block else len(text)
        part, pending = text[:cut], text[cut:]
        if not part:
            continue  # no line that surely starts a record yet: read on
        unsafe = header_unsafe or holds_unsafe(part.encode("utf-8"))
        if first:
            table = parse_csv(path, part, unsafe=unsafe)
            header, header_unsafe = table.header_raw, unsafe and bool(holds_unsafe(table.header_raw.encode()))
            header_lines = _count_lines(header)
            offset = 0
        else:
            table = parse_csv(path, header + part, unsafe=unsafe)
            offset = lines - header_lines
        rows = SubscriberList(table, repeats=False)
        if offset:
            table = rows.table  # a part read again with care (a stray quote) is another table
            starts = table.record_lines
            line = offset + 2  # without record_lines, every record and the header are one line each
            table.record_lines = (
                list(range(line, line + len(table.records))) if starts is None else [offset + line for line in starts]
            )
        lines += _count_lines(part)
        first = False
        yield from rows
        if not block:
            return


def _line_end(text: str) -> int:
    """Where the first line of `text` ends (after its line break), or len(text)."""
    ends = [at for at in (text.find("\n"), text.find("\r")) if at >= 0]
    if not ends:
        return len(text)
    at = min(ends)
    return at + 2 if text.startswith("\r\n", at) else at + 1


def _cut(text: str, delimiter: str, *, after: int) -> int:
    """Where the next part should start: before the last line of `text` that looks like a row, past `after`;
    0 when there is none (the caller reads on). `text` ends with a line break."""
    end = len(text)
    start = text.rfind("\n", 0, end - 1) + 1
    while start > after:
        if _looks_like_row(text[start:end], delimiter):
            return start
        end = start
        start = text.rfind("\n", 0, end - 1) + 1
    return 0


def _count_lines(text: str) -> int:
    """Lines as parse_csv splits them: LF, CRLF and a lone CR each end one."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")
