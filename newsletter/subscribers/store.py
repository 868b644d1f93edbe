"""subscribers.csv: the list of readers, validated, and changed only under a lock with atomic writes, the web
journal's pending changes folded in first.

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
from newsletter.files import write_atomic
from newsletter.subscribers.addresses import InvalidAddress, email_key, normalize_email
from newsletter.subscribers.csvbytes import decode_csv, read_bytes
from newsletter.subscribers.csvfile import format_row, parse_csv
from newsletter.subscribers.forgotten import load_forgotten
from newsletter.subscribers.journal import journal_for
from newsletter.subscribers.journal_apply import ApplyReport, fold_journal
from newsletter.subscribers.listfile import (
    locked,
    read_or_empty,
)
from newsletter.subscribers.scan import COLUMNS
from newsletter.subscribers.status import STICKY
from newsletter.subscribers.table import SubscriberList, format_time, written_cells


@contextmanager
def locked_current(path: Path) -> Iterator[ApplyReport]:
    """The list's lock, with the web journal's pending changes folded into subscribers.csv first (its report
    yielded): every command that changes the list starts from the state the readers on the web were told, so an
    `add` cannot call a reader active whose one-click unsubscribe was answered a second ago."""
    with locked(path):
        yield fold_journal(path, journal_for(path))


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

    The web journal's pending changes are folded in first (locked_current), and what the journal could not fold
    is among the list's problems. A missing file starts as an empty list with the standard header. Nothing is
    written if the block raises (the journal's changes, folded before it ran, stay folded).
    """
    with locked_current(path) as folded, _edited(path) as subscribers:
        subscribers.problems.extend(folded.problems)
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


def add_subscriber(
    path: Path,
    email: str,
    name: str = "",
    *,
    now: Clock = utc_now,
    source: str = "cli",
    secret: bytes | None = None,
    again: bool = False,
) -> str:
    """The editor's `subscribers add`: what happened, as a sentence. An unsubscribed reader stays unsubscribed.

    A reader who asked to be forgotten is not added back silently: only with `again` (they asked to subscribe
    again), which also takes them off the forgotten list. `secret` checks its keyed hashes (forgotten.py)."""
    try:
        email = normalize_email(email)
    except InvalidAddress as error:
        raise SubscriberError(f"'{email}' is not a valid email address ({error}): check it.") from None
    with locked_current(path):
        forgotten = load_forgotten(path, secret)
        came_back = forgotten.holds(email)
        if came_back:
            if not again:
                raise SubscriberError(
                    f"{email} asked to be forgotten ({forgotten.when(email)[:10]}), so nothing adds them back "
                    f"silently: if they asked to subscribe again, run `newsletter subscribers add {email} --again`."
                )
            forgotten.remove(email)
        stamp = format_time(now())
        new_row = {"email": email, "name": name.strip(), "status": "active", "joined_at": stamp, "source": source,
                   "consent": "", "updated_at": stamp, "reason": ""}  # fmt: skip
        if path.exists() and _append_if_absent(path, email, new_row):
            said = f"added {email} (active)"
        else:
            with _edited(path) as subscribers:
                said = _add_to(subscribers, email, name.strip(), now(), source)
        forgotten.save()  # after the row: a crash in between leaves them listed, and still unimportable
        return f"{said}; they had asked to be forgotten and are off that list now" if came_back else said


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
