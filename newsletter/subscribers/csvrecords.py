"""Where each record of an editor's CSV file ends, when quotes do not balance.

A quote opens a quoted cell only as a cell's first character, as csv and every spreadsheet read it; a quote
inside a cell (O"Brien) is text. A quoted cell may span lines (a postal address), but only when its quote closes
properly (csv's strict reading) within MAX_RECORD_LINES lines, and none of the lines it would take in is a row of
its own (holds an email address as a cell). Otherwise the quote is unbalanced: the row is reported at its line
and read as that one line (as csv reads it up to the open quote, the rest split at the delimiter with the quote as
text), and the next line is the next row. So no row is lost and none is merged into another, whatever quote an
editor mistyped: before this, one stray quote made csv read on to the next quote, merging readers into one
invalid row, or to the end of a big file ("field larger than field limit").
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

MAX_RECORD_LINES = 20  # a quoted cell longer than this is far likelier a stray quote than an address or a note
_QUOTED = re.compile(r'"((?:[^"]|"")*+)"')  # possessive: '"a""' stays open, as csv reads it
_ADDRESS = re.compile(r'[^\s@",;<>]+@[^\s@",;<>]+\.[^\s@",;<>.]+')


def group_records(lines: list[str], delimiter: str) -> tuple[list[str], list[int] | None, dict[int, int]]:
    """Records one at a time by the rules in the module's notes; also {record: cell its open quote starts}."""
    records: list[str] = []
    starts: list[int] = []
    broken: dict[int, int] = {}
    count = len(lines)
    number = 0
    while number < count:
        line = lines[number]
        span = 1
        if '"' in line:
            opened = _open_cell(line, delimiter)
            if opened >= 0:
                span = _quoted_span(lines, number, delimiter)
                if span == 0:
                    broken[len(records)] = opened
                    span = 1
        records.append(line if span == 1 else "".join(lines[number : number + span]))
        starts.append(number + 1)
        number += span
    return records, starts if len(records) != count else None, broken


def _open_cell(line: str, delimiter: str) -> int:
    """The cell whose quote `line` leaves open (csv then keeps the line end inside it), or -1."""
    try:
        cells = next(csv.reader([line if line.endswith(("\n", "\r")) else line + "\n"], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return -1
    return len(cells) - 1 if cells and cells[-1].endswith(("\n", "\r")) else -1


def _quoted_span(lines: list[str], start: int, delimiter: str) -> int:
    """How many lines the record opened at `start` takes when its quote closes properly, or 0."""

    def feed() -> Iterator[str]:
        yield lines[start]
        for line in lines[start + 1 : start + MAX_RECORD_LINES]:
            if _looks_like_row(line, delimiter):
                return
            yield line

    reader = csv.reader(feed(), delimiter=delimiter, strict=True)
    try:
        next(reader)
    except (csv.Error, StopIteration):
        return 0
    return reader.line_num


def _looks_like_row(line: str, delimiter: str) -> bool:
    # A row may be an address alone: spreadsheets trim a row's empty cells, and a plain list has nothing else.
    return any(_ADDRESS.fullmatch(part.strip().strip('"')) for part in line.split(delimiter))


def split_line(raw: str, delimiter: str) -> list[str]:
    """The cells of one line as csv reads them, except that a quote left open is text up to the line's end."""
    text = raw.rstrip("\r\n")
    cells: list[str] = []
    at = 0
    while True:
        match = _QUOTED.match(text, at) if text.startswith('"', at) else None
        if match is None and text.startswith('"', at):
            cells.extend(text[at:].split(delimiter))
            return cells
        start = match.end() if match else at
        end = text.find(delimiter, start)
        value = match.group(1).replace('""', '"') if match else ""
        cells.append(value + text[start : len(text) if end == -1 else end])
        if end == -1:
            return cells
        at = end + 1
