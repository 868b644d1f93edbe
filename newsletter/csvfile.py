"""CSV files that editors keep in spreadsheets, read and written so that rows nobody changed keep every byte.

Spreadsheets add a BOM, write CRLF, quote only some fields and trim trailing empty cells; other tools re-quote
everything. Re-serialising every row would turn a one-row change into a whole-file diff and could alter what
the editor typed, so each record keeps its raw text and only rows that were changed or added are written anew.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.errors import SubscriberError

_BOM = "\ufeff"
# str.splitlines() also breaks at these; csv and spreadsheets do not, so a file holding one needs the slow path.
_OTHER_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
_SIGNATURES = (
    (b"PK\x03\x04", "an Excel or OpenDocument workbook"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
)
_SAVE_AS = "save it from your spreadsheet as 'CSV UTF-8 (comma delimited)'"


@dataclass
class CsvTable:
    """A CSV file as header + raw records; `changed` and `added` rows are the only ones serialised on write."""

    path: Path
    header: list[str]
    header_raw: str
    records: list[str]  # raw text of each data record, line ending included (the last one may lack it)
    bom: bool = False
    newline: str = "\n"
    delimiter: str = ","
    record_lines: list[int] | None = None  # first line of each record, when some record spans several lines
    changed: dict[int, list[str]] = field(default_factory=dict)
    added: list[list[str]] = field(default_factory=list)

    def line_of(self, index: int) -> int:
        """The 1-based line where data record `index` starts, for messages that point at the place."""
        if index >= len(self.records):
            return 2 + index
        return self.record_lines[index] if self.record_lines is not None else 2 + index

    def cells(self, index: int) -> list[str]:
        """The cells of record `index` as written (new values for changed or added rows)."""
        if index >= len(self.records):
            return self.added[index - len(self.records)]
        if index in self.changed:
            return self.changed[index]
        return split_record(self.records[index], self.delimiter)

    def __len__(self) -> int:
        return len(self.records) + len(self.added)

    def to_bytes(self) -> bytes:
        """The file with unchanged records byte-for-byte as they were read."""
        parts = [_BOM if self.bom else "", self.header_raw]
        if (self.records or self.added) and not self.header_raw.endswith(("\n", "\r")):
            parts.append(self.newline)
        last = len(self.records) - 1
        for index, raw in enumerate(self.records):
            text = format_row(self.changed[index], self.delimiter, self.newline) if index in self.changed else raw
            if index == last and self.added and not text.endswith(("\n", "\r")):
                text += self.newline
            parts.append(text)
        parts.extend(format_row(cells, self.delimiter, self.newline) for cells in self.added)
        return "".join(parts).encode("utf-8")


def safe_cell(text: str) -> str:
    """Text from outside (a display name in an email, a name in another tool's export) made fit for a spreadsheet
    cell: one line, and never read as a formula (CSV injection: =, +, -, @ start a formula in Excel)."""
    text = " ".join(text.replace('"', "").split())[:200]
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def format_row(cells: list[str], delimiter: str, newline: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerow(cells)
    return buffer.getvalue()


def split_record(raw: str, delimiter: str) -> list[str]:
    if '"' not in raw:
        # Without quotes a record is one line and a plain split is what csv would do, many times faster.
        return raw.rstrip("\r\n").split(delimiter)
    rows = list(csv.reader([raw], delimiter=delimiter))
    return rows[0] if rows else []


def decode_csv(path: Path, data: bytes) -> str:
    """The text of a CSV file, or a SubscriberError saying what the file is instead and how to fix it."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            raise SubscriberError(f"{path} is not a CSV file (it looks like {kind}): {_SAVE_AS}.")
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise SubscriberError(f"{path}:{line}: is not a CSV file (it holds binary data): {_SAVE_AS}.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SubscriberError(f"{path}:{line}: is not UTF-8 text: {_SAVE_AS}.") from None


def _sniff_delimiter(header_line: str) -> str:
    # Spreadsheets in locales with a decimal comma save ';'-separated "CSV"; a tab export is also common.
    if "," in header_line:
        return ","
    if ";" in header_line:
        return ";"
    if "\t" in header_line:
        return "\t"
    return ","


def _split_lines(text: str) -> list[str]:
    if any(mark in text for mark in _OTHER_BREAKS):
        return list(io.StringIO(text, newline=""))
    return text.splitlines(keepends=True)


def _group_records(lines: list[str]) -> tuple[list[str], list[int] | None]:
    """Join the lines of quoted fields that span lines; an odd number of quotes opens or closes a field."""
    if not any(line.count('"') % 2 for line in lines if '"' in line):
        return lines, None
    records: list[str] = []
    starts: list[int] = []
    multiline = False
    pending: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if not pending:
            if '"' not in line or line.count('"') % 2 == 0:
                records.append(line)
                starts.append(number)
                continue
            pending.append(line)
            start = number
            continue
        pending.append(line)
        if line.count('"') % 2 == 1:
            records.append("".join(pending))
            starts.append(start)
            multiline = True
            pending = []
    if pending:
        records.append("".join(pending))
        starts.append(start)
        multiline = True
    return records, starts if multiline else None


def _exact_records(lines: list[str], delimiter: str) -> tuple[list[str], list[int]]:
    """The csv module's own record boundaries, for files whose quoting the fast grouping cannot follow."""
    consumed: list[str] = []
    records: list[str] = []
    starts: list[int] = []
    line_number = 0

    def feed() -> Iterator[str]:
        nonlocal line_number
        for line in lines:
            line_number += 1
            consumed.append(line)
            yield line

    reader = csv.reader(feed(), delimiter=delimiter)
    try:
        for _ in reader:
            starts.append(line_number - len(consumed) + 1)
            records.append("".join(consumed))
            consumed.clear()
    except csv.Error:
        # An unclosed quote at the end: keep the rest as one record so nothing the editor wrote is lost.
        starts.append(line_number - len(consumed) + 1)
        records.append("".join(consumed))
    return records, starts


class Misgrouped(Exception):
    """The quick line grouping disagreed with the csv module (a stray quote): regroup() and read again."""


def iter_cells(table: CsvTable, *, exact: bool = False) -> Iterator[list[str]]:
    """The cells of every original record, in order; raises Misgrouped when the quick grouping was wrong.

    With `exact` (after regroup), a record csv cannot parse at all (an unclosed quote) comes back as one cell,
    so the caller reports it and keeps it.
    """
    delimiter = table.delimiter
    if exact:
        for record in table.records:
            try:
                rows = list(csv.reader([record], delimiter=delimiter)) if '"' in record else None
            except csv.Error:
                rows = [[record.rstrip("\r\n")]]
            yield rows[0] if rows else record.rstrip("\r\n").split(delimiter)
        return
    quoted = (record for record in table.records if '"' in record)
    reader = csv.reader(quoted, delimiter=delimiter)
    seen = 0
    for record in table.records:
        if '"' not in record:
            yield record.rstrip("\r\n").split(delimiter)
            continue
        seen += 1
        try:
            cells = next(reader)
        except (csv.Error, StopIteration):
            raise Misgrouped from None
        # One record in, one row out: otherwise a quote the grouping counted was literal text to csv.
        if reader.line_num != seen:
            raise Misgrouped
        yield cells


def pick_columns(
    table: CsvTable, first: int, second: int, *, exact: bool = False
) -> tuple[list[str], list[str], list[int]]:
    """Columns `first` and `second` of every original record ("" where a row is short), and the records that have
    more cells than the header names; raises Misgrouped like iter_cells. Splitting each record only as far as
    needed keeps a million-row read fast."""
    firsts: list[str] = []
    seconds: list[str] = []
    overfull: list[int] = []
    width = len(table.header)
    delimiter = table.delimiter
    needed = max(first, second) + 1
    rest_limit = width - needed - 1
    cells_of = iter_cells(table, exact=True) if exact else None
    reader = csv.reader((record for record in table.records if '"' in record), delimiter=delimiter)
    seen = 0
    add_first = firsts.append
    add_second = seconds.append
    for number, record in enumerate(table.records):
        if cells_of is not None or '"' in record:
            if cells_of is not None:
                parts = next(cells_of)
            else:
                seen += 1
                try:
                    parts = next(reader)
                except (csv.Error, StopIteration):
                    raise Misgrouped from None
                if reader.line_num != seen:
                    raise Misgrouped
            if len(parts) > width:
                overfull.append(number)
            parts += [""] * (needed - len(parts))
        else:
            parts = record.split(delimiter, needed)
            if len(parts) > needed:
                if rest_limit < 0 or parts[needed].count(delimiter) > rest_limit:
                    overfull.append(number)
            else:
                parts[-1] = parts[-1].rstrip("\r\n")
                if len(parts) < needed:
                    parts += [""] * (needed - len(parts))
        add_first(parts[first])
        add_second(parts[second])
    return firsts, seconds, overfull


def parse_csv(path: Path, text: str, *, exact: bool = False) -> CsvTable:
    """Split CSV text into header and raw records (no cell is interpreted here)."""
    bom = text.startswith(_BOM)
    if bom:
        text = text[1:]
    lines = _split_lines(text)
    if not lines:
        return CsvTable(path=path, header=[], header_raw="", records=[], bom=bom)
    first = lines[0]
    newline = "\r\n" if first.endswith("\r\n") else "\r" if first.endswith("\r") else "\n"
    delimiter = _sniff_delimiter(first)
    if exact:
        records, exact_starts = _exact_records(lines, delimiter)
        starts = exact_starts if len(exact_starts) != len(lines) else None
    else:
        records, starts = _group_records(lines)
    header_raw = records[0]
    header = split_record(header_raw, delimiter)
    return CsvTable(
        path=path,
        header=header,
        header_raw=header_raw,
        records=records[1:],
        bom=bom,
        newline=newline,
        delimiter=delimiter,
        record_lines=starts[1:] if starts is not None else None,
    )


def regroup(table: CsvTable) -> CsvTable:
    """The same file split at exactly the csv module's record boundaries."""
    text = table.header_raw + "".join(table.records)
    exact = parse_csv(table.path, text, exact=True)
    exact.bom = table.bom
    return exact


def read_csv(path: Path) -> CsvTable:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SubscriberError(f"{path} does not exist: check the path, or add a first subscriber.") from None
    except OSError as error:
        raise SubscriberError(f"{path}: cannot read the file ({error.strerror}).") from None
    return parse_csv(path, decode_csv(path, data))
