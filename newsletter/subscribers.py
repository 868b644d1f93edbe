"""subscribers.csv: the list of readers, validated, and changed only under a lock with atomic writes.

Rows keep their order and raw bytes unless a command changes them; an invalid row is reported and kept, never
dropped, and is never sent to. Unsubscribed, bounced and complained are sticky: nothing but the reader's own
authenticated request (reader_request=True) turns an unsubscribed address active again.
"""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import repeat
from pathlib import Path
from typing import NamedTuple

import filelock

from newsletter.addresses import InvalidAddress, fast_keys, normalize_email
from newsletter.csvfile import (
    CsvTable,
    Misgrouped,
    decode_csv,
    format_row,
    parse_csv,
    pick_columns,
    regroup,
    split_record,
)
from newsletter.errors import SubscriberError
from newsletter.files import write_atomic

STATUSES = ("active", "pending", "unsubscribed", "bounced", "complained")
STICKY = frozenset({"unsubscribed", "bounced", "complained"})
COLUMNS = ("email", "name", "status", "joined_at", "source", "consent", "updated_at", "reason")
# A status only ever moves to a more final one: a bounce does not hide a spam complaint.
_SEVERITY = {"active": 0, "pending": 0, "unsubscribed": 1, "bounced": 2, "complained": 3}
_CODES = {status: code for code, status in enumerate(STATUSES)}
_UNKNOWN = len(STATUSES)
_INVALID = 254
_BLANK = 255
LOCK_TIMEOUT = 60.0
_SCAN_SLICE = 50_000

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    """ISO 8601 in UTC to the second: sorts as text and reads the same in every spreadsheet."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_status(current: str | None, wanted: str, *, reader_request: bool = False) -> str | None:
    """The status after a request for `wanted`, or None when the row stays as it is.

    `current` None means the address is not in the list. Only `reader_request` (the reader's own authenticated
    request or a signed confirmation) turns an unsubscribed address active; bounced and complained never change
    back, and pending never replaces anything.
    """
    if wanted not in _SEVERITY:
        raise ValueError(f"unknown status {wanted!r}")
    if current is None:
        return wanted
    if wanted == current or wanted == "pending":
        return None
    if wanted == "active":
        return "active" if current == "pending" or (current == "unsubscribed" and reader_request) else None
    return wanted if _SEVERITY[wanted] > _SEVERITY[current] else None


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
    _blocked: set[str] = field(default_factory=set)
    _shared: _Layout | None = None
    _slow: set[int] = field(default_factory=set)  # rows whose address email-validator itself had to check
    # Each original row's key (None where invalid): a row whose address is its key hands out this very string,
    # so the send's sets and lists of a million addresses share the index's strings instead of copying them.
    _keys: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
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
            self._scan()
        except Misgrouped:
            self.table = regroup(self.table)
            self._scan(exact=True)

    def _scan(self, *, exact: bool = False) -> None:
        table = self.table
        email_at = self._columns["email"]
        status_at = self._columns.get("status", email_at)
        # A million short-lived lists would wake the cycle collector hundreds of times for nothing.
        collecting = gc.isenabled()
        gc.disable()
        codes = bytearray()
        keys: list[str | None] = []
        overfull: list[int] = []
        slow: dict[int, str] = {}  # row -> address, for the rows the quick test could not pass
        try:
            # In slices, so that only the keys outlive the scan: a million addresses and statuses held at once
            # would add some 150 MB to the peak, and leave it fragmented.
            for start in range(0, len(table.records), _SCAN_SLICE):
                part = CsvTable(
                    table.path, table.header, table.header_raw, table.records[start : start + _SCAN_SLICE],
                    delimiter=table.delimiter,
                )  # fmt: skip
                addresses, statuses, part_overfull = pick_columns(part, email_at, status_at, exact=exact)
                codes += bytearray(map(_CODES.get, statuses, repeat(_UNKNOWN)))
                del statuses
                part_keys, part_slow = fast_keys(addresses)
                keys += part_keys
                overfull.extend(start + number for number in part_overfull)
                slow.update((start + number, addresses[number]) for number in part_slow)
                del addresses, part_keys
        finally:
            if collecting:
                gc.enable()
        problems: dict[int, str] = {}
        for number in overfull:
            problems[number] = (
                f"has more cells than the {len(table.header)} columns the header names: "
                f"quote a value that holds '{table.delimiter}'"
            )
        for number, address in slow.items():
            keys[number] = self._check_slowly(number, address, codes, problems)
        self._slow = set(slow)
        for number in _positions(codes, _UNKNOWN):
            self._check_status(number, codes, problems)
        for number in problems:
            keys[number] = None
            codes[number] = _INVALID
        self._index = None
        if len(set(keys)) != len(keys) - max(0, keys.count(None) - 1):
            index = _first_rows(keys)
            self._mark_duplicates(keys, index, codes, problems)
            self._index = index
        self._codes = codes
        self._keys = keys
        self._row_problems = problems
        self.problems = [f"{table.path}:{table.line_of(n)}: {text}." for n, text in sorted(problems.items())]

    def _mark_duplicates(
        self, keys: list[str | None], index: dict[str, int], codes: bytearray, problems: dict[int, str]
    ) -> None:
        for number, key in enumerate(keys):
            if key is None or index[key] == number:
                continue
            problems[number] = f"duplicate of line {self.table.line_of(index[key])} ({key}): delete one of the two"
            if codes[number] < _UNKNOWN and STATUSES[codes[number]] in STICKY:
                # Whichever row is right, this reader must not be mailed while any row says they left.
                self._blocked.add(key)
            codes[number] = _INVALID

    def _check_slowly(self, number: int, address: str, codes: bytearray, problems: dict[int, str]) -> str | None:
        """The key of an address the quick test could not pass; None for a blank or invalid row."""
        if not address.strip() and not "".join(self.table.cells(number)).strip():
            codes[number] = _BLANK
            return None
        try:
            return normalize_email(address).lower()
        except InvalidAddress as error:
            problems[number] = f"'{address}' is not a valid email address ({error}): correct it or delete the row"
            return None

    def _check_status(self, number: int, codes: bytearray, problems: dict[int, str]) -> None:
        """Accept ' Active ' as a spreadsheet may have it; report anything else."""
        cells = self.table.cells(number)
        at = self._columns.get("status", -1)
        status = cells[at] if 0 <= at < len(cells) else ""
        code = _CODES.get(status.strip().lower())
        if code is not None:
            codes[number] = code
        elif number not in problems:
            problems[number] = f"status '{status}' is not one of {', '.join(STATUSES)}: correct it"

    @property
    def path(self) -> Path:
        return self.table.path

    def __len__(self) -> int:
        """Rows in the file, blank ones included."""
        return len(self._codes)

    def __iter__(self) -> Iterator[Subscriber]:
        """Every row but blank ones, in file order."""
        layout = self._layout()
        wanted = [number for number, code in enumerate(self._codes) if code != _BLANK]
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
        codes, problems, slow, keys = self._codes, self._row_problems, self._slow, self._keys
        make = tuple.__new__  # skips the NamedTuple's Python-level __new__: a million rows add up
        append = rows.append
        for number in numbers:
            row: str | tuple[str, ...]
            if number < original and not (edited and number in edited):
                row = records[number]
                cells = row.split(delimiter, needed) if '"' not in row else split_record(row, delimiter)
            else:
                cells = table.cells(number)
                row = tuple(cells)
            count = len(cells)
            code = codes[number]
            if code >= _INVALID:
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
            key = normalize_email(email).lower()
        except InvalidAddress:
            return None
        return self._lookup().get(key)

    def _lookup(self) -> dict[str, int]:
        if self._index is None:
            self._index = _first_rows(self._keys)
        return self._index

    def find(self, email: str) -> Subscriber | None:
        number = self.index_of(email)
        return None if number is None else self[number]

    def status_of(self, number: int) -> str:
        code = self._codes[number]
        return STATUSES[code] if code < _INVALID else ""

    def active(self) -> list[Subscriber]:
        """Valid active rows in file order, without any address that another row marks as gone."""
        active = _CODES["active"]
        rows = self._rows([n for n, code in enumerate(self._codes) if code == active], self._layout())
        return [row for row in rows if row.key not in self._blocked] if self._blocked else rows

    def counts(self) -> dict[str, int]:
        """Rows per status, plus 'invalid' for the rows that were reported."""
        totals = {status: self._codes.count(code) for status, code in _CODES.items()}
        totals["invalid"] = self._codes.count(_INVALID)
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
            self._codes.append(_INVALID)
            number = len(self._codes) - 1
        elif number >= len(table.records):
            cells = table.added[number - len(table.records)]
            cells += [""] * (width - len(cells))
        else:
            cells = list(table.cells(number))
            cells += [""] * (width - len(cells))
            table.changed[number] = cells
        for name, value in values.items():
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
        self._codes[number] = _CODES[status]
        self._lookup()[normalised.lower()] = number
        return self[number]

    def update(self, number: int, values: Mapping[str, str], now: datetime) -> Subscriber:
        """Change some cells of one row and stamp updated_at; every other cell keeps its text."""
        self._write_cells(number, {**values, "updated_at": format_time(now)})
        if "status" in values:
            self._codes[number] = _CODES[values["status"]]
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


def _first_rows(keys: list[str | None]) -> dict[str, int]:
    """key -> the first row holding it; rows without a key (None) are left out."""
    # Walking backwards, each address ends up pointing at its first row.
    index = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))
    index.pop(None, None)
    return index  # type: ignore[return-value]  # None was popped


def _positions(codes: bytearray, value: int) -> Iterator[int]:
    found = codes.find(value)
    while found != -1:
        yield found
        found = codes.find(value, found + 1)


def read_subscribers(path: Path) -> SubscriberList:
    """Read and validate subscribers.csv; problems are listed in `.problems` and the rows stay."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SubscriberError(
            f"{path} does not exist: add a first subscriber with `newsletter subscribers add EMAIL`."
        ) from None
    except OSError as error:
        raise SubscriberError(f"{path}: cannot read the file ({error.strerror}).") from None
    # A million rows are 100 MB of bytes and as much again of text: neither may live on through the scan.
    text = decode_csv(path, data)
    del data
    table = parse_csv(path, text)
    del text
    return SubscriberList(table)


def active_subscribers(path: Path) -> list[Subscriber]:
    """Everyone to send to: valid rows with status active, in file order."""
    return read_subscribers(path).active()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock = filelock.FileLock(f"{path}.lock", timeout=LOCK_TIMEOUT)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise SubscriberError(
            f"{path} is being changed by another newsletter command (it holds {path}.lock): "
            "try again when that command has finished."
        ) from None
    try:
        # Under the lock no other writer is alive, so a temporary file left here was a killed writer's.
        for stale in path.parent.glob(f".{path.name}.*.tmp"):
            stale.unlink(missing_ok=True)
        yield
    finally:
        lock.release()


@contextmanager
def _edited(path: Path) -> Iterator[SubscriberList]:
    """The list, written back atomically on exit if it changed; the caller holds the lock."""
    subscribers = read_subscribers(path) if path.exists() else SubscriberList(parse_csv(path, ""))
    yield subscribers
    if subscribers.changed:
        write_atomic(path, subscribers.to_bytes())


@contextmanager
def editing(path: Path) -> Iterator[SubscriberList]:
    """Read-modify-write under the file lock: changes made to the yielded list are written atomically on exit.

    A missing file starts as an empty list with the standard header. Nothing is written if the block raises.
    """
    with _locked(path), _edited(path) as subscribers:
        yield subscribers


def _append_if_absent(path: Path, email: str, values: Mapping[str, str]) -> bool:
    """Append a row for `email` without reading the list into rows, when the address certainly is not in it.

    That is the common case of adding one reader to a big list, and it takes a fraction of a full read: the
    address is ASCII, its lowercased text appears nowhere in the file, and no row's email cell holds non-ASCII
    text that email-validator could normalise to it. Returns False whenever unsure; the caller then reads the
    whole list. The caller holds the lock.
    """
    key = email.lower()
    if not key.isascii():
        return False
    data = path.read_bytes()
    text = decode_csv(path, data)
    if "\n" not in text or data.count(b"\r") != data.count(b"\r\n") or key.encode() in data.lower():
        return False  # (a lone CR may end a record, and the row search below looks for LF only)
    head = text[: text.index("\n") + 1]
    table = parse_csv(path, head)
    names = [name.strip().lower() for name in table.header]
    if '"' in head or names[:1] != ["email"] or not set(COLUMNS) <= set(names):
        return False
    delimiter = table.delimiter.encode()
    plain = rb"[^\r\n" + re.escape(delimiter) + rb"]*"
    # Starting the pattern with a literal LF lets the regex engine skip ahead instead of trying every byte.
    for match in re.finditer(rb"\n" + plain + rb"[\x80-\xff]" + plain, data):
        cell = match.group()[1:].decode("utf-8", "replace").strip('"')
        with contextlib.suppress(InvalidAddress):
            if normalize_email(cell).lower() == key:
                return False
    cells = [values.get(name, "") for name in names]
    row = format_row(cells, table.delimiter, table.newline).encode()
    ending = b"" if data.endswith((b"\n", b"\r")) else table.newline.encode()
    write_atomic(path, data + ending + row)
    return True


def update_statuses(path: Path, changes: Mapping[str, tuple[str, str]], now: Clock = utc_now) -> int:
    """Apply {email: (new status, reason)} under the sticky rules; returns how many rows changed.

    For the suppressions sync: addresses not in the list are not added, nothing turns active, and rows that do
    not change keep every byte.
    """
    for email, (status, _) in changes.items():
        if status not in STICKY:
            raise SubscriberError(
                f"cannot set {email} to '{status}' by a status update: use unsubscribed, bounced or complained."
            )
    changed = 0
    with editing(path) as subscribers:
        moment = now()
        for email, (status, reason) in changes.items():
            _, after = subscribers.set_status(email, status, reason, moment)
            changed += after is not None
    return changed


def add_subscriber(path: Path, email: str, name: str = "", *, now: Clock = utc_now, source: str = "cli") -> str:
    """The editor's `subscribers add`: what happened, as a sentence. An unsubscribed reader stays unsubscribed."""
    try:
        email = normalize_email(email)
    except InvalidAddress as error:
        raise SubscriberError(f"'{email}' is not a valid email address ({error}): check it.") from None
    with _locked(path):
        stamp = format_time(now())
        new_row = {"email": email, "name": name.strip(), "status": "active", "joined_at": stamp, "source": source,
                   "consent": "", "updated_at": stamp, "reason": ""}  # fmt: skip
        if path.exists() and _append_if_absent(path, email, new_row):
            return f"added {email} (active)"
        with _edited(path) as subscribers:
            return _add_to(subscribers, email, name.strip(), now(), source)


def _add_to(subscribers: SubscriberList, email: str, name: str, now: datetime, source: str) -> str:
    number = subscribers.index_of(email)
    if number is None:
        row = subscribers.add(email, "active", now, name=name, source=source)
        return f"added {row.email} (active)"
    row = subscribers[number]
    current = subscribers.status_of(number)
    if current == "pending":
        values = {"status": "active", "reason": "added by the editor"}
        if name and not row.name:
            values["name"] = name
        subscribers.update(number, values, now)
        return f"{row.email} was pending and is now active"
    if current in STICKY:
        raise SubscriberError(
            f"{row.email} is {current} (line {row.line}): only the reader's own request can subscribe it again."
        )
    return f"{row.email} is already active (line {row.line})"


def remove_subscriber(path: Path, email: str, reason: str = "removed by the editor", *, now: Clock = utc_now) -> str:
    """The editor's `subscribers remove`: the row stays, marked unsubscribed with the reason."""
    with editing(path) as subscribers:
        number = subscribers.index_of(email)
        if number is None:
            raise SubscriberError(f"{email} is not in {path}: check the spelling with `newsletter subscribers list`.")
        row = subscribers[number]
        before, after = subscribers.set_status(email, "unsubscribed", reason, now())
        if after is None:
            return f"{row.email} is already {before} (line {row.line})"
        return f"{row.email} is now unsubscribed (was {before})"
