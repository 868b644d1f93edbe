"""CSV files that editors keep in spreadsheets, read and written so that rows nobody changed keep every byte.

Spreadsheets add a BOM, write CRLF, quote only some fields and trim trailing empty cells; other tools re-quote
everything. Re-serialising every row would turn a one-row change into a whole-file diff and could alter what
the editor typed, so each record keeps its raw text and only rows that were changed or added are written anew.

What the reader does with text it did not expect (one stranger's email must never stop the newsletter):

- Binary files and text that is not UTF-8 are refused before anything is read (csvbytes.py).
- Past the header, an invisible character (a C0 or C1 control but tab, CR and LF; U+2028/2029; a bidirectional
  control; a BOM; U+FFFE/U+FFFF) is a problem of its row, not of the file: the row is reported in `notes` with
  its column and the fix, kept byte for byte, and read with its cells as they are, except that the name handed
  on is one clean line (table.py). A note does not make the row invalid: an invalid row has no address in
  the index, so an unsubscribed reader's row with a stray NUL would let `add` or an import append them again.
  `csvbytes.holds_unsafe` looks at the bytes first (some 50 ms for a million rows); only when it finds one is each
  record looked at.
- An unbalanced quote is a problem of its own row, never of the rows after it (csvrecords.py has the rule).

What the writer does: every cell it writes from outside text goes through `cell_text`
(table.written_cells, for every value a command writes): one line of clean text (clean.clean_line: no
control character, CR, LF, U+2028 or bidi control), and a leading =, +, -, @ (or their full-width forms, which
OWASP's testing guide lists for some locales) gets a "'" so that no spreadsheet reads it as a formula. Email
cells are never neutralised (a changed address would be another mailbox): addresses that start so are refused
instead (addresses.py). Cells the editor wrote keep their text, also in a row a command rewrites.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.clean import NAME_LIMIT, clean_line, describe_char, find_unsafe
from newsletter.subscribers.csvbytes import decode_csv, holds_unsafe, read_bytes
from newsletter.subscribers.csvrecords import group_records, split_line

_BOM = "\ufeff"
# Cells start a formula in Excel, LibreOffice or Google Sheets with these (OWASP CSV Injection and WSTG-INPV-21;
# tab, CR and LF cannot survive clean_line but are listed for the record).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
CELL_LIMIT = 32_000  # Excel keeps 32,767 characters in a cell: nothing longer survives a spreadsheet anyway


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
    notes: dict[int, str] = field(default_factory=dict)  # record -> a problem that leaves it readable
    exact: bool = False  # grouped one record at a time, so every record can be read on its own
    unsafe: bool = False  # some record holds an invisible character

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


def cell_text(value: str, limit: int = CELL_LIMIT) -> str:
    """Text from outside made fit for a cell: one line of clean text, never read as a formula (CSV injection)."""
    text = clean_line(value, limit)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_cell(text: str) -> str:
    """A display name from an email or another tool's export, as a name cell: its quotes (the header's quoting,
    not part of the name) dropped, then cell_text at the length of a name."""
    return cell_text(text.replace('"', ""), NAME_LIMIT)


def format_row(cells: list[str], delimiter: str, newline: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerow(cells)
    return buffer.getvalue()


def split_record(raw: str, delimiter: str) -> list[str]:
    """The cells of one record; a record whose quote never closes is read as described in the module's notes."""
    if '"' not in raw:
        # Without quotes a record is one line and a plain split is what csv would do, many times faster.
        return raw.rstrip("\r\n").split(delimiter)
    try:
        # The line end is what shows an open quote: csv then keeps it inside the last cell.
        rows = list(csv.reader([raw if raw.endswith(("\n", "\r")) else raw + "\n"], delimiter=delimiter))
    except csv.Error:  # a cell over csv's field limit, or a line break csv does not expect
        return split_line(raw, delimiter)
    if not rows:
        return []
    if len(rows) > 1 or (rows[0] and rows[0][-1].endswith(("\n", "\r"))):
        return split_line(raw, delimiter)
    return rows[0]


def _sniff_delimiter(header_line: str) -> str:
    # Spreadsheets in locales with a decimal comma save ';'-separated "CSV"; a tab export is also common.
    if "," in header_line:
        return ","
    if ";" in header_line:
        return ";"
    if "\t" in header_line:
        return "\t"
    return ","


def _split_lines(text: str, unsafe: bool) -> list[str]:
    """The lines of `text`, each with its CR, LF or CRLF, as csv and spreadsheets break them."""
    lines = text.splitlines(keepends=True)
    if not unsafe:
        return lines
    # str.splitlines() also breaks at \x0b, \x0c, \x1c-\x1e, \x85, U+2028 and U+2029: all invisible characters,
    # so only a file holding one needs its pieces joined again (io.StringIO would copy the whole text instead).
    joined: list[str] = []
    pending = ""
    for line in lines:
        if line.endswith(("\n", "\r")):
            joined.append(pending + line if pending else line)
            pending = ""
        else:
            pending += line
    if pending:
        joined.append(pending)
    return joined


def _unsafe_notes(table: CsvTable) -> dict[int, str]:
    notes: dict[int, str] = {}
    for number, record in enumerate(table.records):
        if find_unsafe(record, multiline=True):
            cells = split_record(record, table.delimiter)
            found = ((at, find_unsafe(cell, multiline=True)) for at, cell in enumerate(cells))
            at, char = next(((at, char) for at, char in found if char), (0, find_unsafe(record, multiline=True)))
            notes[number] = (
                f"{_cell(table, at)} holds {describe_char(char)}, an invisible character no subscriber "
                "list needs: retype that cell (the row is kept)"
            )
    return notes


def _cell(table: CsvTable, at: int, *, in_header: bool = False) -> str:
    if in_header or at >= len(table.header):
        return f"the cell in column {at + 1}"
    return f"the '{table.header[at].strip()}' cell"


class Misgrouped(Exception):
    """The quick line grouping disagreed with the csv module (a stray quote): regroup() and read again."""


def iter_cells(table: CsvTable, *, exact: bool = False) -> Iterator[list[str]]:
    """The cells of every original record, in order; raises Misgrouped when the quick grouping was wrong.

    With `exact` (a table grouped carefully), each record is read on its own by split_record.
    """
    delimiter = table.delimiter
    if exact:
        for record in table.records:
            yield split_record(record, delimiter)
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


def parse_csv(path: Path, text: str, *, careful: bool = False, unsafe: bool | None = None) -> CsvTable:
    """Split CSV text into header and raw records (no cell is interpreted here).

    Records are grouped carefully (one at a time, unbalanced quotes reported in `notes`) when `careful` or when
    some line has an odd number of quotes; `unsafe` False says the caller's byte check (holds_unsafe) found no
    invisible character, None has it looked for here.
    """
    bom = text.startswith(_BOM)
    if bom:
        text = text[1:]
    if unsafe is None:
        unsafe = bool(find_unsafe(text, multiline=True))
    lines = _split_lines(text, unsafe)
    if not lines:
        return CsvTable(path=path, header=[], header_raw="", records=[], bom=bom)
    first = lines[0]
    newline = "\r\n" if first.endswith("\r\n") else "\r" if first.endswith("\r") else "\n"
    delimiter = _sniff_delimiter(first)
    broken: dict[int, int] = {}
    starts: list[int] | None = None
    careful = careful or any(line.count('"') % 2 for line in lines if '"' in line)
    if careful:
        records, starts, broken = group_records(lines, delimiter)
    else:
        records = lines
    header_raw = records[0]
    table = CsvTable(
        path=path,
        header=split_record(header_raw, delimiter),
        header_raw=header_raw,
        records=records[1:],
        bom=bom,
        newline=newline,
        delimiter=delimiter,
        record_lines=starts[1:] if starts is not None else None,
        exact=careful,
        unsafe=unsafe,
    )
    if unsafe:
        table.notes = _unsafe_notes(table)
    # Keyed by data record; -1 is the first line (a plain list of addresses has no header, so it is a row too).
    for number, at in broken.items():
        quote = (
            f"the quote that opens {_cell(table, at, in_header=number == 0)} is not closed on this line: the row "
            'is read as this one line, the quote as text; close the quote, or double it ("") if it belongs to the text'
        )
        other = table.notes.get(number - 1)
        table.notes[number - 1] = f"{quote}; also, {other}" if other else quote
    return table


def regroup(table: CsvTable) -> CsvTable:
    """The same file grouped carefully, one record at a time."""
    text = table.header_raw + "".join(table.records)
    exact = parse_csv(table.path, text, careful=True, unsafe=table.unsafe)
    exact.bom = table.bom
    return exact


def read_csv(path: Path) -> CsvTable:
    """An import file, grouped carefully (such files are small, and each stray quote must be reported)."""
    data = read_bytes(path, "check the path")
    return parse_csv(path, decode_csv(path, data), careful=True, unsafe=holds_unsafe(data))
