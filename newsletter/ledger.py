"""The send ledger: sends/<issue>.jsonl, what was sent to whom, durable enough to resume after SIGKILL.

Why JSON lines rather than SQLite: the ledger is append-only and always read start to end. Each record is one
line written with a single write() and fsynced before anything depends on it, so after a kill or power loss the
file holds every completed record plus at most one torn last line, which is dropped: nothing ever acted on a record
that was not on disk (a batch's intent is fsynced before its request goes out). The editors and whoever supports
them can read, grep and diff it; SQLite would add a binary file and a schema to migrate for no gain here.

Records (one JSON object per line, "type" first):
  start       a run began: content hashes (whole, subject, html, text), provider, recipients count and hash
  recipients  the run's snapshot of active subscribers, in chunks (so `report` can list who is still pending)
  skipped     [[email, reason], ...]: subscribers not sent to and why (unsubscribed, bounced, duplicate...)
  intent      batch N is about to be requested, with its addresses (written BEFORE the request)
  outcome     batch N's result: sent + message id | failed + reason | in_doubt + reason (written AFTER);
              "recipients" optionally overrides the status per address (SMTP answers per message)
  cancel      the scheduled batch id was cancelled at SendGrid: its recipients are no longer sent
An intent without an outcome is "in doubt": the request may have reached the provider.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsletter.errors import SendError

SENT = "sent"
FAILED = "failed"
IN_DOUBT = "in_doubt"
PENDING = "pending"
SKIPPED = "skipped"
STATUSES = (SENT, FAILED, IN_DOUBT, PENDING, SKIPPED)
OUTCOMES = (SENT, FAILED, IN_DOUBT)

INTERRUPTED = "interrupted during the request: no outcome was recorded"
CANCELLED = "the scheduled send was cancelled"
# Addresses per `recipients`/`skipped` record: big enough for few lines, small enough to keep lines short.
CHUNK = 10_000


def ledger_path(sends_dir: Path, slug: str, *, sandbox: bool = False) -> Path:
    """sends/<slug>.jsonl; sandbox sends (validated, never delivered) keep their own ledger."""
    return sends_dir / (f"{slug}.sandbox.jsonl" if sandbox else f"{slug}.jsonl")


class Entry:
    """One recipient's derived status. __slots__ because a million of them live at once during a resume."""

    __slots__ = ("batch", "email", "message_id", "reason", "status")

    def __init__(self, email: str, status: str, reason: str = "") -> None:
        self.email = email
        self.status = status
        self.reason = reason
        self.message_id = ""
        self.batch = 0


@dataclass
class LedgerState:
    """Everything the ledger says, derived by replaying its records in order."""

    path: Path
    runs: list[dict[str, Any]] = field(default_factory=list)
    entries: dict[str, Entry] = field(default_factory=dict)
    next_batch: int = 1
    batch_runs: dict[int, int] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)
    torn: bool = False

    @property
    def start(self) -> dict[str, Any] | None:
        """The first run's start record: it fixes the content every later run must match."""
        return self.runs[0] if self.runs else None

    @property
    def schedule(self) -> tuple[int, str] | None:
        """(send_at, batch_id) of the latest scheduled run that was not cancelled."""
        for run in reversed(self.runs):
            batch_id = str(run.get("batch_id") or "")
            if batch_id:
                return None if batch_id in self.cancelled else (int(run["send_at"]), batch_id)
        return None

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for entry in self.entries.values():
            counts[entry.status] += 1
        return counts

    def skipped_reasons(self) -> dict[str, int]:
        reasons: dict[str, int] = {}
        for entry in self.entries.values():
            if entry.status == SKIPPED:
                reasons[entry.reason] = reasons.get(entry.reason, 0) + 1
        return dict(sorted(reasons.items()))

    def status_of(self, email: str) -> str | None:
        entry = self.entries.get(email.lower())
        return entry.status if entry else None


def fold_case(email: str) -> str:
    """The address compared case-insensitively. An address already in lower case is its own key, the same object:
    at a million readers a second copy of every address would cost some 75 MB."""
    return email if email.islower() else email.lower()


def iter_report_json(state: LedgerState) -> Iterator[str]:
    """`report --json`, streamed: {"counts": {status: n}, "recipients": [{"email", "status", "message_id"}]}."""
    yield '{"counts": ' + json.dumps(state.counts()) + ', "recipients": ['
    separator = "\n  "
    for entry in state.entries.values():
        item = {"email": entry.email, "status": entry.status, "message_id": entry.message_id}
        yield separator + json.dumps(item, ensure_ascii=False)
        separator = ",\n  "
    yield "\n]}\n" if state.entries else "]}\n"


def format_report(state: LedgerState) -> list[str]:
    """`report` for people: the runs, counts per status, skip reasons, and every address that needs a decision."""
    lines = []
    for run in state.runs:
        scheduled = ""
        if run.get("batch_id") and isinstance(run.get("send_at"), int):
            when = datetime.fromtimestamp(run["send_at"], UTC).strftime("%Y-%m-%d %H:%M UTC")
            scheduled = f", scheduled for {when} (batch {run['batch_id']})"
        lines.append(f"run {run.get('run')}: {run.get('at')} via {run.get('provider')}{scheduled}")
    if state.cancelled:
        lines.append(f"cancelled scheduled batch: {', '.join(sorted(state.cancelled))}")
    counts = state.counts()
    for status in STATUSES:
        detail = ""
        if status == SKIPPED and counts[status]:
            detail = " (" + ", ".join(f"{reason} {n}" for reason, n in state.skipped_reasons().items()) + ")"
        lines.append(f"{status.replace('_', ' '):<9} {counts[status]}{detail}")
    for status, advice in ((FAILED, "--retry-failed"), (IN_DOUBT, "--resend-in-doubt")):
        stuck = [entry for entry in state.entries.values() if entry.status == status]
        if stuck:
            lines.append(f"{status.replace('_', ' ')} (resent only with {advice}):")
            lines.extend(f"  {entry.email}: {entry.reason}" for entry in stuck)
    return lines


def iter_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) for every complete line; a torn last line (no newline: killed mid-write) is skipped."""
    with path.open("rb") as handle:
        number = 0
        for raw in handle:
            number += 1
            if not raw.endswith(b"\n"):
                return  # torn tail: never fsynced whole, so nothing acted on it
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError as error:
                raise SendError(
                    f"{path}:{number}: the send ledger is damaged ({error}): restore it from a backup; "
                    "do not edit it by hand."
                ) from None
            if not isinstance(record, dict) or "type" not in record:
                raise SendError(f"{path}:{number}: the send ledger is damaged (a record without a type): restore it.")
            yield number, record


def read_ledger(path: Path) -> LedgerState:
    """Replay the ledger into per-recipient statuses. A missing file is an empty ledger."""
    state = LedgerState(path=path)
    if not path.exists():
        return state
    open_batches: dict[int, list[str]] = {}
    for _, record in iter_records(path):
        _apply(state, open_batches, record)
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell():
            handle.seek(-1, os.SEEK_END)
            state.torn = handle.read(1) != b"\n"
    return state


def _apply(state: LedgerState, open_batches: dict[int, list[str]], record: dict[str, Any]) -> None:
    kind = record["type"]
    entries = state.entries
    if kind == "start":
        state.runs.append(record)
    elif kind == "recipients":
        for email in record["emails"]:
            key = fold_case(email)
            entry = entries.get(key)
            if entry is None:
                entries[key] = Entry(email, PENDING)
            elif entry.status == SKIPPED:  # active again since an earlier run skipped it
                entry.status, entry.reason = PENDING, ""
    elif kind == "skipped":
        for email, reason in record["recipients"]:
            key = fold_case(email)
            entry = entries.get(key)
            if entry is None:
                entries[key] = Entry(email, SKIPPED, reason)
            elif entry.status in (PENDING, SKIPPED, FAILED):  # never hide a sent or in-doubt copy
                entry.status, entry.reason = SKIPPED, reason
    elif kind == "intent":
        batch = int(record["batch"])
        keys = []
        for email in record["emails"]:
            key = fold_case(email)
            entry = entries.get(key)
            if entry is None:
                entry = entries[key] = Entry(email, IN_DOUBT)
            entry.status, entry.reason, entry.message_id, entry.batch = IN_DOUBT, INTERRUPTED, "", batch
            keys.append(key)
        open_batches[batch] = keys
        state.batch_runs[batch] = int(record.get("run", 0))
        state.next_batch = max(state.next_batch, batch + 1)
    elif kind == "outcome":
        _apply_outcome(state, open_batches.pop(int(record["batch"]), []), record)
    elif kind == "cancel":
        batch_id = str(record["batch_id"])
        state.cancelled.add(batch_id)
        runs = {int(run.get("run", 0)) for run in state.runs if run.get("batch_id") == batch_id}
        for entry in entries.values():
            # Whatever SendGrid accepted under the batch id (in doubt included) will now never go out.
            if entry.status in (SENT, IN_DOUBT) and state.batch_runs.get(entry.batch) in runs:
                entry.status, entry.reason = FAILED, CANCELLED


def _apply_outcome(state: LedgerState, keys: list[str], record: dict[str, Any]) -> None:
    status = str(record["status"])
    message_id = str(record.get("message_id", ""))
    reason = str(record.get("reason", ""))
    overrides: dict[str, list[str]] = record.get("recipients") or {}
    for key in keys:
        entry = state.entries[key]
        override = overrides.get(key)
        if override is None:
            entry.status, entry.message_id, entry.reason = status, message_id, reason
        else:
            entry.status, entry.message_id, entry.reason = override[0], override[1], override[2]


class LedgerWriter:
    """Appends records, one line each, durable when append() returns. Thread-safe: the send's workers share it.

    Lines are written under a lock (whole, in order) and fsynced outside it, so workers finishing at the same time
    share one disk flush instead of queueing for their own: fsync covers every byte written before it began."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        created = not path.exists()
        _drop_torn_tail(path)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._lock = threading.Lock()
        if created:
            _fsync_dir(path.parent)  # the new file's name must survive a crash too

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        with self._lock:
            view = memoryview(line)
            while view:
                view = view[os.write(self._fd, view) :]
        os.fsync(self._fd)

    def append_chunked(self, kind: str, key: str, items: Iterable[Any], extra: dict[str, Any]) -> None:
        """Write `items` as records of at most CHUNK entries: {"type": kind, **extra, key: [...]}."""
        chunk: list[Any] = []
        for item in items:
            chunk.append(item)
            if len(chunk) == CHUNK:
                self.append({"type": kind, **extra, key: chunk})
                chunk = []
        if chunk:
            self.append({"type": kind, **extra, key: chunk})

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    def __enter__(self) -> LedgerWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _drop_torn_tail(path: Path) -> None:
    """Cut a torn last line (killed mid-write) so the next record starts on a line of its own."""
    if not path.exists():
        return
    with path.open("r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        # Walk back to the last newline; records are short enough that reading the tail in blocks is cheap.
        position = size
        while position > 0:
            start = max(0, position - 65536)
            handle.seek(start)
            block = handle.read(position - start)
            cut = block.rfind(b"\n")
            if cut >= 0:
                handle.truncate(start + cut + 1)
                break
            position = start
        else:
            handle.truncate(0)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
