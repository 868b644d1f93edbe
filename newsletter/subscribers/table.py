"""The rows of subscribers.csv in memory: each row as a Subscriber, and the list's reads and in-place edits.

Only rows a command changes or adds are turned into cells; every other row keeps its raw text, so a write leaves
it byte for byte as it was. Status changes follow the sticky rules of status.next_status.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import InitVar, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from newsletter.clean import NAME_LIMIT, clean_line
from newsletter.errors import SubscriberError
from newsletter.subscribers.addresses import InvalidAddress, email_key, normalize_email
from newsletter.subscribers.csvfile import CELL_LIMIT, CsvTable, Misgrouped, cell_text, regroup, split_record
from newsletter.subscribers.scan import (
    BLANK,
    CODES,
    COLUMNS,
    INVALID,
    SCAN_SLICE,
    first_rows,
    scan_rows,
)
from newsletter.subscribers.status import STATUSES, Screen, next_status


def format_time(moment: datetime) -> str:
    """ISO 8601 in UTC to the second: sorts as text and reads the same in every spreadsheet."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def written_cells(values: Mapping[str, str]) -> dict[str, str]:
    """The one place where values become cells of subscribers.csv: each one clean line, never a formula.

    Every value a command writes passes here (a name from an email or the command line, a reason, a consent
    record, an import's cells); the tool's own values (statuses, times, normalised addresses) pass unchanged.
    """
    return {name: cell_text(value, NAME_LIMIT if name == "name" else CELL_LIMIT) for name, value in values.items()}


@dataclass(frozen=True)
class _Layout:
    """What every row of one file shares: its header and where the standard columns are."""

    header: tuple[str, ...]
    columns: Mapping[str, int]
    delimiter: str


class Subscriber(NamedTuple):
    """One row. `email` and `status` are normalised for a valid row and as written for an invalid one.

    The other cells are read from the row's text on demand, so a million rows stay small in memory.
    """

    email: str
    name: str
    status: str
    line: int
    problem: str  # why the row is invalid; empty when it is valid
    row: str | tuple[str, ...]  # the record's raw text, or its cells when changed in memory
    layout: _Layout

    @property
    def key(self) -> str:
        return self.email.lower()

    @property
    def valid(self) -> bool:
        return not self.problem

    def _values(self) -> list[str] | tuple[str, ...]:
        return split_record(self.row, self.layout.delimiter) if isinstance(self.row, str) else self.row

    @property
    def cells(self) -> dict[str, str]:
        """Every cell by the header's own column names, as written."""
        values = self._values()
        return {name: values[i] if i < len(values) else "" for i, name in enumerate(self.layout.header)}

    def get(self, column: str) -> str:
        """A standard column's cell as written ('' when the file has no such column)."""
        at = self.layout.columns.get(column)
        values = self._values()
        return values[at] if at is not None and at < len(values) else ""

    @property
    def joined_at(self) -> str:
        return self.get("joined_at")

    @property
    def source(self) -> str:
        return self.get("source")

    @property
    def consent(self) -> str:
        return self.get("consent")

    @property
    def updated_at(self) -> str:
        return self.get("updated_at")

    @property
    def reason(self) -> str:
        return self.get("reason")

    def __repr__(self) -> str:
        return f"Subscriber({self.email!r}, name={self.name!r}, status={self.status!r}, line={self.line})"


@dataclass
class SubscriberList:
    """The rows of subscribers.csv in file order, with every problem found; editable inside `editing()`."""

    table: CsvTable
    problems: list[str] = field(default_factory=list)
    _columns: dict[str, int] = field(default_factory=dict)
    _codes: bytearray = field(default_factory=bytearray)
    _row_problems: dict[int, str] = field(default_factory=dict)
    _index: dict[str, int] | None = None  # key -> first row; built on first use (a send never needs it)
    _shared: _Layout | None = None
    _slow: set[int] = field(default_factory=set)  # rows whose address email-validator itself had to check
    # Each original row's key (None where invalid): a row whose address is its key hands out this very string,
    # so the send's sets and lists of a million addresses share the index's strings instead of copying them.
    _keys: list[str | None] = field(default_factory=list)
    _unclean: set[int] = field(default_factory=set)  # rows whose name cell may hold what a name must not
    scan_slice: InitVar[int] = SCAN_SLICE  # rows checked at a time; only tests make it smaller
    # False for a part of the file (stream.py): its repeats are judged over the whole file, by status.Screen.
    repeats: InitVar[bool] = True

    def __post_init__(self, scan_slice: int, repeats: bool) -> None:
        if not self.table.header_raw:
            self.table.header = list(COLUMNS)
            self.table.header_raw = ",".join(COLUMNS) + self.table.newline
        names = [cell.strip().lower() for cell in self.table.header]
        if "email" not in names:
            raise SubscriberError(
                f"{self.table.path}:1: has no 'email' column: the first row must name the columns "
                f"({','.join(COLUMNS)})."
            )
        self._columns = {name: names.index(name) for name in COLUMNS if name in names}
        try:
            scan = scan_rows(self.table, self._columns, exact=self.table.exact, slice_size=scan_slice, repeats=repeats)
        except Misgrouped:
            self.table = regroup(self.table)
            scan = scan_rows(self.table, self._columns, exact=True, slice_size=scan_slice, repeats=repeats)
        self._codes, self._keys, self._row_problems = scan.codes, scan.keys, scan.problems
        self._slow, self._index = scan.slow, scan.lookup
        table = self.table
        # A row with a note (an invisible character, an unbalanced quote) stays valid; its name is cleaned when read.
        self._unclean = set(table.notes)
        found = [(n, 0, text) for n, text in table.notes.items()] + [(n, 1, text) for n, text in scan.problems.items()]
        self.problems = [f"{table.path}:{table.line_of(n) if n >= 0 else 1}: {text}." for n, _, text in sorted(found)]

    @property
    def path(self) -> Path:
        return self.table.path

    def __len__(self) -> int:
        """Rows in the file, blank ones included."""
        return len(self._codes)

    def __iter__(self) -> Iterator[Subscriber]:
        """Every row but blank ones, in file order."""
        layout = self._layout()
        wanted = [number for number, code in enumerate(self._codes) if code != BLANK]
        for first in range(0, len(wanted), 10_000):
            yield from self._rows(wanted[first : first + 10_000], layout)

    def __getitem__(self, number: int) -> Subscriber:
        return self._rows([number], self._layout())[0]

    def _rows(self, numbers: Iterable[int], layout: _Layout) -> list[Subscriber]:
        rows: list[Subscriber] = []
        collecting = gc.isenabled()
        gc.disable()  # a million new tuples would otherwise wake the cycle collector again and again
        try:
            self._fill(rows, numbers, layout)
        finally:
            if collecting:
                gc.enable()
        return rows

    def _fill(self, rows: list[Subscriber], numbers: Iterable[int], layout: _Layout) -> None:
        table = self.table
        records, edited, delimiter = table.records, table.changed, table.delimiter
        original = len(records)
        starts = table.record_lines
        email_at = self._columns["email"]
        name_at = self._columns.get("name", -1)
        status_at = self._columns.get("status", -1)
        needed = max(email_at, name_at) + 1
        codes, problems, slow, keys, unclean = self._codes, self._row_problems, self._slow, self._keys, self._unclean
        make = tuple.__new__  # skips the NamedTuple's Python-level __new__: a million rows add up
        append = rows.append
        for number in numbers:
            row: str | tuple[str, ...]
            if number < original and not (edited and number in edited):
                row = records[number]
                quoted = '"' in row
                cells = split_record(row, delimiter) if quoted else row.split(delimiter, needed)
            else:
                cells = table.cells(number)
                row = tuple(cells)
                quoted = True
            count = len(cells)
            code = codes[number]
            if code >= INVALID:
                full = split_record(row, delimiter) if isinstance(row, str) else row
                email = full[email_at] if email_at < len(full) else ""
                status = full[status_at] if 0 <= status_at < len(full) else ""
            else:
                email, status = cells[email_at], STATUSES[code]
                if email_at == count - 1:
                    email = email.rstrip("\r\n")
                if number in slow or not isinstance(row, str):
                    email = normalize_email(email)
                else:
                    # The quick path accepted it, so normalising is lowercasing the domain.
                    local, _, domain = email.rpartition("@")
                    if not domain.islower():
                        email = f"{local}@{domain.lower()}"
                    if number < len(keys) and keys[number] == email:
                        email = keys[number]  # type: ignore[assignment]  # equal, so not None
            if 0 <= name_at < count:
                name = cells[name_at]
                if name_at == count - 1 and isinstance(row, str):
                    name = split_record(row, delimiter)[name_at]
                # A quoted name cell may span lines, and an old file may hold a control character in it: the name
                # that reaches a greeting or a To header is always one clean line.
                if (quoted and ("\n" in name or "\r" in name)) or (unclean and number in unclean):
                    name = clean_line(name, NAME_LIMIT)
                name = name.strip()
            else:
                name = ""
            line = starts[number] if starts is not None and number < original else number + 2
            append(make(Subscriber, (email, name, status, line, problems.get(number, ""), row, layout)))

    def _layout(self) -> _Layout:
        header = tuple(self.table.header)
        if self._shared is None or self._shared.header != header:
            self._shared = _Layout(header, dict(self._columns), self.table.delimiter)
        return self._shared

    def index_of(self, email: str) -> int | None:
        """The row of a valid address (its first row, if the file repeats it), matched case-insensitively."""
        try:
            key = email_key(email)
        except InvalidAddress:
            return None
        return self._lookup().get(key)

    def _lookup(self) -> dict[str, int]:
        if self._index is None:
            self._index = first_rows(self._keys)
        return self._index

    def find(self, email: str) -> Subscriber | None:
        number = self.index_of(email)
        return None if number is None else self[number]

    def status_of(self, number: int) -> str:
        code = self._codes[number]
        return STATUSES[code] if code < INVALID else ""

    def active(self) -> list[Subscriber]:
        """The rows that may be mailed, in file order, by the send's own rule (status.Screen).

        The scan has already made every repeated address a row with a problem, so each valid row speaks for its
        address (the screen would return its status as it is) and only the rows with a problem need judging: one
        that says its reader left keeps the address from being mailed."""
        screen = Screen()
        for number in sorted(self._row_problems):
            row = self[number]
            email = row.email.strip()
            screen.judge(email.lower(), email, row.status, row.problem)
        active = CODES["active"]
        rows = self._rows([n for n, code in enumerate(self._codes) if code == active], self._layout())
        return [row for row in rows if row.key not in screen.blocked] if screen.blocked else rows

    def counts(self) -> dict[str, int]:
        """Rows per status, plus 'invalid' for the rows that were reported."""
        totals = {status: self._codes.count(code) for status, code in CODES.items()}
        totals["invalid"] = self._codes.count(INVALID)
        return totals

    @property
    def changed(self) -> bool:
        return bool(self.table.changed or self.table.added)

    def _write_cells(self, number: int | None, values: Mapping[str, str]) -> int:
        table = self.table
        for name in sorted(values, key=lambda n: COLUMNS.index(n) if n in COLUMNS else len(COLUMNS)):
            if name not in self._columns:
                # A file without this column gets it in its header; rows nobody touched stay as they are (short
                # rows are normal CSV, read as empty cells).
                body = table.header_raw.rstrip("\r\n")
                table.header_raw = f"{body}{table.delimiter}{name}{table.header_raw[len(body) :] or table.newline}"
                table.header.append(name)
                self._columns[name] = len(table.header) - 1
        width = len(table.header)
        if number is None:
            cells = [""] * width
            table.added.append(cells)
            self._codes.append(INVALID)
            number = len(self._codes) - 1
        elif number >= len(table.records):
            cells = table.added[number - len(table.records)]
            cells += [""] * (width - len(cells))
        else:
            cells = list(table.cells(number))
            cells += [""] * (width - len(cells))
            table.changed[number] = cells
        for name, value in written_cells(values).items():
            cells[self._columns[name]] = value
        return number

    def add(self, email: str, status: str, now: datetime, **values: str) -> Subscriber:
        """Append a row for an address that is not in the list yet (name, source, consent, reason in `values`)."""
        normalised = normalize_email(email)
        if normalised.lower() in self._lookup():
            raise ValueError(f"{normalised} is already in the list")
        stamp = format_time(now)
        cells = {
            "email": normalised,
            "name": "",
            "status": status,
            "joined_at": stamp,
            "source": "",
            "consent": "",
            "updated_at": stamp,
            "reason": "",
        }
        number = self._write_cells(None, {**cells, **values})
        self._codes[number] = CODES[status]
        self._lookup()[normalised.lower()] = number
        return self[number]

    def update(self, number: int, values: Mapping[str, str], now: datetime) -> Subscriber:
        """Change some cells of one row and stamp updated_at; every other cell keeps its text."""
        self._write_cells(number, {**values, "updated_at": format_time(now)})
        if "status" in values:
            self._codes[number] = CODES[values["status"]]
        return self[number]

    def set_status(
        self, email: str, wanted: str, reason: str, now: datetime, *, reader_request: bool = False
    ) -> tuple[str | None, str | None]:
        """Move a listed address towards `wanted` under the sticky rules.

        Returns (status before, status after); before is None for an address not in the list (left out), after
        is None when nothing changed.
        """
        number = self.index_of(email)
        if number is None:
            return None, None
        current = self.status_of(number)
        after = next_status(current, wanted, reader_request=reader_request)
        if after is not None:
            self.update(number, {"status": after, "reason": reason}, now)
        return current, after

    def to_bytes(self) -> bytes:
        return self.table.to_bytes()
