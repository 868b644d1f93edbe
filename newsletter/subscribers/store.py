"""subscribers.csv: the list of readers, validated, and changed only under a lock with atomic writes.

Rows keep their order and raw bytes unless a command changes them; an invalid row is reported and kept, never
dropped, and is never sent to. Unsubscribed, bounced and complained are sticky: nothing but the reader's own
authenticated request (reader_request=True) turns an unsubscribed address active again.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from newsletter.clock import Clock, utc_now
from newsletter.errors import SubscriberError
from newsletter.files import hold_lock, lock_path, write_atomic
from newsletter.subscribers.addresses import InvalidAddress, email_key, normalize_email
from newsletter.subscribers.csvbytes import decode_csv, holds_unsafe, read_bytes
from newsletter.subscribers.csvfile import format_row, parse_csv
from newsletter.subscribers.scan import COLUMNS, SCAN_SLICE
from newsletter.subscribers.status import STICKY
from newsletter.subscribers.table import Subscriber, SubscriberList, format_time, written_cells

LOCK_TIMEOUT = 60.0
# Looked up each time read_subscribers runs, so that a test can check rows in slices of a few.
_SCAN_SLICE = SCAN_SLICE


def read_subscribers(path: Path) -> SubscriberList:
    """Read and validate subscribers.csv; problems are listed in `.problems` and the rows stay."""
    data = read_bytes(path, "add a first subscriber with `newsletter subscribers add EMAIL`")
    # A million rows are 100 MB of bytes and as much again of text: neither may live on through the scan.
    text = decode_csv(path, data)
    unsafe = holds_unsafe(data)
    del data
    table = parse_csv(path, text, unsafe=unsafe)
    del text
    return SubscriberList(table, scan_slice=_SCAN_SLICE)


def active_subscribers(path: Path) -> list[Subscriber]:
    """Everyone to send to: valid rows with status active, in file order."""
    return read_subscribers(path).active()


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """subscribers.csv's lock, the one every command (and the web journal's applier) takes before changing it."""

    def busy(holder: str) -> SubscriberError:
        return SubscriberError(
            f"{path} is being changed by another newsletter command (it holds {lock_path(path)}): "
            "try again when that command has finished."
        )

    with hold_lock(path, timeout=LOCK_TIMEOUT, busy=busy, error=SubscriberError):
        # Under the lock no other writer is alive, so a temporary file left here was a killed writer's.
        for stale in path.parent.glob(f".{path.name}.*.tmp"):
            with contextlib.suppress(OSError):  # a read-only folder: the write itself will say so
                stale.unlink(missing_ok=True)
        yield


def read_or_empty(path: Path) -> SubscriberList:
    """The list at `path`, or an empty one when there is no file yet (the first subscriber creates it)."""
    return read_subscribers(path) if path.exists() else SubscriberList(parse_csv(path, ""))


@contextmanager
def _edited(path: Path) -> Iterator[SubscriberList]:
    """The list, written back atomically on exit if it changed; the caller holds the lock."""
    subscribers = read_or_empty(path)
    yield subscribers
    if subscribers.changed:
        write_atomic(path, subscribers.to_bytes())


@contextmanager
def editing(path: Path) -> Iterator[SubscriberList]:
    """Read-modify-write under the file lock: changes made to the yielded list are written atomically on exit.

    A missing file starts as an empty list with the standard header. Nothing is written if the block raises.
    """
    with locked(path), _edited(path) as subscribers:
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
    data = read_bytes(path, "add a first subscriber with `newsletter subscribers add EMAIL`")
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
            if email_key(cell) == key:
                return False
    written = written_cells(values)
    cells = [written.get(name, "") for name in names]
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
    with locked(path):
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
