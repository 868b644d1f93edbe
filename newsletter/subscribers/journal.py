"""The journal of reader changes accepted over the web: on disk before the reader is answered, folded into
subscribers.csv later, in batches (newsletter.subscribers.journal_apply).

The journal folder holds:
- `<time>-<pid>-<random>.jsonl`: one file per writing process (each uvicorn worker has its own), one change a
  line. Appends from several workers therefore never share a file, so no line can interleave with another
  whatever the file system does with concurrent appends, and a line torn by a crash can only be its own process's
  last one, which was never acknowledged. While a writer lives it holds flock() on its file: an unlocked file is
  finished, and the applier may delete it once everything in it is applied.
- `applied.json`: how many bytes of each file subscribers.csv already contains.
- `applying.json` and `subscribers.csv.new`: only during an apply, or after a crash during one.

Every change has an id, and the applier records the offsets it applied together with the list it wrote, so a
change is applied once however often the applier crashes and runs again.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsletter.errors import JournalError
from newsletter.files import fsync_dir, lock_fd
from newsletter.subscribers.status import STATUSES, next_status

JOURNAL_NAME = "journal"  # the folder, beside subscribers.csv (the applier renames its staged list into place)
SUFFIX = ".jsonl"
APPLIED_NAME = "applied.json"
INTENT_NAME = "applying.json"
# A writer starts a new file past this size, so that finished files can be deleted once applied.
ROTATE_BYTES = 1 << 20


@dataclass(frozen=True)
class Change:
    """One change a reader (or, later, a provider's event) asked for.

    `status` is the status asked for; the sticky rules of next_status decide what it does to the row.
    `reader_request` marks the reader's own signed request (a confirmed sign-up), the only thing that may bring
    an unsubscribed reader back. `evidence` is what proves the request: when, from which address, how.
    """

    id: str
    at: datetime
    email: str
    status: str
    reader_request: bool = False
    name: str = ""
    reason: str = ""
    evidence: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.email.lower()


def journal_for(subscribers_path: Path) -> Path:
    """The journal folder of the list at `subscribers_path`: `journal/` beside it (Config.journal_dir)."""
    return subscribers_path.parent / JOURNAL_NAME


def new_change_id() -> str:
    return secrets.token_hex(12)


def _stamp(moment: datetime) -> str:
    """ISO 8601 UTC to the microsecond: orders two workers' changes within the same second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_change(change: Change) -> bytes:
    """One journal line, newline included."""
    record = {
        "id": change.id,
        "at": _stamp(change.at),
        "email": change.email,
        "status": change.status,
        "reader_request": change.reader_request,
        "name": change.name,
        "reason": change.reason,
        "evidence": dict(change.evidence),
    }
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def decode_change(line: bytes) -> Change:
    """The change a journal line holds; ValueError when it is not one."""
    record = json.loads(line)
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    text = {name: record.get(name, "") for name in ("id", "at", "email", "status", "name", "reason")}
    evidence = record.get("evidence", {})
    if not all(isinstance(value, str) for value in text.values()) or not isinstance(evidence, dict):
        raise ValueError("a field has the wrong type")
    if not text["id"] or not text["email"] or text["status"] not in STATUSES:
        raise ValueError("id, email or status is missing or wrong")
    return Change(
        id=text["id"],
        at=datetime.fromisoformat(text["at"].replace("Z", "+00:00")),
        email=text["email"],
        status=text["status"],
        reader_request=record.get("reader_request") is True,
        name=text["name"],
        reason=text["reason"],
        evidence={str(k): str(v) for k, v in evidence.items()},
    )


def next_for(current: str | None, change: Change) -> str | None:
    """The status after `change` for a row with status `current` (None: not in the list), or None for no change.

    Only a sign-up (pending) or a confirmed one (active) adds an address to the list; an unsubscribe or a bounce
    for an address that is not in it is left out, as the suppressions sync does.
    """
    if current is None and change.status not in ("pending", "active"):
        return None
    return next_status(current, change.status, reader_request=change.reader_request)


def status_after(current: str | None, changes: Iterable[Change]) -> str | None:
    """The status a row with status `current` will have once `changes` are applied (None: still not listed)."""
    status = current
    for change in changes:
        status = next_for(status, change) or status
    return status


class JournalWriter:
    """This process's appends to the journal: each call is one write() and one fdatasync() before it returns."""

    def __init__(self, directory: Path, *, rotate_bytes: int = ROTATE_BYTES) -> None:
        self.directory = directory
        self.rotate_bytes = rotate_bytes
        self.path: Path | None = None
        self._fd: int | None = None
        self._size = 0
        self._lock = threading.Lock()

    def append(self, changes: Sequence[Change]) -> None:
        """Append `changes` durably; JournalError when they may not be on disk (then none of them counts)."""
        data = b"".join(encode_change(change) for change in changes)
        with self._lock:
            try:
                if self._fd is None or self._size >= self.rotate_bytes:
                    self._open()
                assert self._fd is not None
                view = memoryview(data)
                while view:  # a regular file writes everything unless the disk is full; then the loop raises
                    view = view[os.write(self._fd, view) :]
                os.fdatasync(self._fd)
            except OSError as error:
                where = self.path or self.directory
                self._give_up()
                raise JournalError(
                    f"cannot write the journal {where} ({error.strerror or error}): free disk space or fix the "
                    "folder's permissions; the reader was told to try again."
                ) from None
            self._size += len(data)

    def _open(self) -> None:
        self.close()
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
        # Created under another name and locked before it gets its own: the applier never sees an unlocked
        # file that a writer is about to use.
        temporary = self.directory / f".{name}.new"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            lock_fd(fd, wait=True)
            os.rename(temporary, self.directory / name)
            fsync_dir(self.directory)
        except OSError:
            os.close(fd)
            temporary.unlink(missing_ok=True)
            raise
        self._fd, self._size, self.path = fd, 0, self.directory / name

    def _give_up(self) -> None:
        """After a failed write: cut what it left (a torn line) and start a new file next time."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)
        self.close()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the flock: the file is finished
            self._fd = None


@dataclass
class PendingRead:
    """What the journal holds beyond the applied offsets, in the order the changes were made."""

    changes: list[Change]
    offsets: dict[str, int]  # per file: the applied offsets once these changes are applied
    problems: list[str]


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except ValueError:
        raise JournalError(f"{path} is not valid JSON: restore it from a backup or ask for help.") from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise JournalError(f"{path} does not list the journal's files: restore it from a backup or ask for help.")
    return data


def applied_offsets(directory: Path) -> dict[str, int]:
    """Bytes of each journal file already in subscribers.csv, as a reader without the lock can know it.

    An apply that wrote its intent and replaced the list (its staged copy is gone) counts as done even if it
    died before recording it; one whose staged copy is still there did not happen.
    """
    applied = read_json(directory / APPLIED_NAME) or {"files": {}}
    intent = read_json(directory / INTENT_NAME)
    if intent is not None:
        staged = intent.get("staged")
        if not staged or not (directory / str(staged)).exists():
            applied = intent
    return {str(name): int(offset) for name, offset in applied["files"].items()}


def read_pending(directory: Path, offsets: Mapping[str, int] | None = None) -> PendingRead:
    """Every complete line past the applied offsets (a line without its newline is still being written)."""
    base = dict(applied_offsets(directory) if offsets is None else offsets)
    changes: list[Change] = []
    problems: list[str] = []
    seen: set[str] = set()
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        start = base.get(path.name, 0)
        try:
            with path.open("rb") as handle:
                handle.seek(start)
                data = handle.read()
        except FileNotFoundError:  # finished, applied and deleted since the listing
            continue
        end = data.rfind(b"\n") + 1
        line_start = start
        for line in data[:end].split(b"\n")[:-1]:
            try:
                change = decode_change(line)
            except ValueError:  # UnicodeDecodeError included
                problems.append(f"{path}: byte {line_start}: not a journal entry: left out.")
            else:
                if change.id not in seen:  # the same entry twice (a copied file, say) counts once
                    seen.add(change.id)
                    changes.append(change)
            line_start += len(line) + 1
        base[path.name] = start + end
    changes.sort(key=lambda change: change.at)  # stable: one process's changes keep their file order
    return PendingRead(changes, base, problems)


def has_pending(directory: Path) -> bool:
    """True when some journal file holds bytes past its applied offset (cheap: no file is read)."""
    if not directory.is_dir():
        return False
    offsets = applied_offsets(directory)
    for path in directory.glob(f"*{SUFFIX}"):
        try:
            if path.stat().st_size > offsets.get(path.name, 0):
                return True
        except FileNotFoundError:
            continue
    return False


def pending_changes(journal_dir: Path) -> dict[str, tuple[Change, ...]]:
    """The changes not yet applied to subscribers.csv, per address (lowercased), oldest first.

    For a send planned while the web app runs: a reader whose unsubscribe got its 2xx answer is skipped even if
    the applier has not run yet (`status_after(row.status, changes)`). Call this before reading subscribers.csv
    (or hold its lock): a change applied in between is then in one or the other. Reads without the lock.
    """
    if not journal_dir.is_dir():
        return {}
    by_address: dict[str, list[Change]] = {}
    for change in read_pending(journal_dir).changes:
        by_address.setdefault(change.key, []).append(change)
    return {key: tuple(changes) for key, changes in by_address.items()}
