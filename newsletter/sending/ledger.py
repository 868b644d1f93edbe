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
  cancel      the scheduled batch id was cancelled at SendGrid: its recipients are pending again
An intent without an outcome is "in doubt": the request may have reached the provider. A batch of a scheduled run
(its start has a batch_id and send_at) that the provider accepted is "scheduled" until send_at has passed, then
"sent": read_ledger decides by the time it is given, so the file never changes when the time comes.
"""

from __future__ import annotations

import json
import os
import threading
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from newsletter.clean import show
from newsletter.clock import utc_now
from newsletter.errors import SendError
from newsletter.files import fsync_dir
from newsletter.sending.ledger_check import DamagedRecord, check_record, label
from newsletter.sending.ledger_entries import (
    FAILED,
    FAILED_CODE,
    IN_DOUBT,
    IN_DOUBT_CODE,
    PENDING_CODE,
    SCHEDULED,
    SCHEDULED_CODE,
    SENT,
    SENT_CODE,
    SKIPPED,
    SKIPPED_CODE,
    STATUS_CODE,
    STATUSES,
    Entries,
    fold_case,
)

INTERRUPTED = "interrupted during the request: no outcome was recorded"
CANCELLED = "the scheduled send was cancelled"
# Addresses per `recipients`/`skipped` record: big enough for few lines, small enough to keep lines short.
CHUNK = 10_000
REPORT_CHUNK = 1000  # recipients per piece of `report --json`


def ledger_path(sends_dir: Path, slug: str, *, sandbox: bool = False) -> Path:
    """sends/<slug>.jsonl; sandbox sends (validated, never delivered) keep their own ledger."""
    return sends_dir / (f"{slug}.sandbox.jsonl" if sandbox else f"{slug}.jsonl")


def sent_slugs(sends_dir: Path) -> list[str]:
    """The issues with a send ledger (sandbox sends aside): the welcome email links to the newest of them."""
    if not sends_dir.is_dir():
        return []
    return [p.name[: -len(".jsonl")] for p in sends_dir.glob("*.jsonl") if not p.name.endswith(".sandbox.jsonl")]


@dataclass
class LedgerState:
    """Everything the ledger says, derived by replaying its records in order."""

    path: Path
    runs: list[dict[str, Any]] = field(default_factory=list)
    entries: Entries = field(default_factory=Entries)
    next_batch: int = 1
    batch_runs: dict[int, int] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)
    send_at: dict[int, int] = field(default_factory=dict)  # run -> epoch seconds, for each scheduled run
    torn: bool = False
    damaged: list[tuple[int, str]] = field(default_factory=list)  # (line, what is wrong), when read to report

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
        """Recipients per status; "scheduled" is named only for an issue whose send was ever scheduled."""
        return {
            status: self.entries.status.count(code)
            for code, status in enumerate(STATUSES)
            if status != SCHEDULED or self.send_at
        }

    def skipped_reasons(self) -> dict[str, int]:
        entries = self.entries
        reasons = Counter(entries.texts[entries.reason[row]] for row in entries.rows(SKIPPED_CODE))
        return dict(sorted(reasons.items()))

    def status_of(self, email: str) -> str | None:
        entry = self.entries.get(fold_case(email))
        return entry.status if entry else None


def iter_report_json(state: LedgerState) -> Iterator[str]:
    """`report --json`, streamed: {"counts": {status: n}, "recipients": [{"email", "status", "message_id"}]}.

    Each item is what json.dumps(item, ensure_ascii=False) writes, put together from pre-quoted parts, and items
    go out REPORT_CHUNK at a time: at a million readers, a dumps and a write per item took most of the report."""
    yield '{"counts": ' + json.dumps(state.counts()) + ', "recipients": ['
    entries = state.entries
    quoted = [encode_basestring(text) + "}" for text in entries.texts]
    statuses = [f', "status": "{status}", "message_id": ' for status in STATUSES]
    items = (
        '{"email": ' + encode_basestring(email) + statuses[status] + quoted[message_id]
        for email, status, message_id in zip(entries.emails(), entries.status, entries.message_id, strict=True)
    )
    separator = "\n  "
    while chunk := list(islice(items, REPORT_CHUNK)):
        yield separator + ",\n  ".join(chunk)
        separator = ",\n  "
    yield "\n]}\n" if entries else "]}\n"


def format_report(state: LedgerState) -> list[str]:
    """`report` for people: the runs, counts per status, skip reasons, and every address that needs a decision."""
    lines = []
    for run in state.runs:
        scheduled = ""
        if run.get("batch_id") and isinstance(run.get("send_at"), int):
            when = datetime.fromtimestamp(run["send_at"], UTC).strftime("%Y-%m-%d %H:%M UTC")
            scheduled = f", scheduled for {when} (batch {show(run['batch_id'])})"
        lines.append(
            f"run {run.get('run')}: {show(str(run.get('at')))} via {show(str(run.get('provider')))}{scheduled}"
        )
    if state.cancelled:
        lines.append(f"cancelled scheduled batch: {show(', '.join(sorted(state.cancelled)))}")
    counts = state.counts()
    for status in counts:
        detail = ""
        if status == SKIPPED and counts[status]:
            detail = " (" + ", ".join(f"{reason} {n}" for reason, n in state.skipped_reasons().items()) + ")"
        lines.append(f"{status.replace('_', ' '):<9} {counts[status]}{detail}")
    for status, advice in ((FAILED, "--retry-failed"), (IN_DOUBT, "--resend-in-doubt")):
        stuck = [state.entries.entry(row) for row in state.entries.rows(STATUS_CODE[status])]
        if stuck:
            lines.append(f"{status.replace('_', ' ')} (resent only with {advice}):")
            lines.extend(f"  {show(entry.email)}: {show(entry.reason)}" for entry in stuck)
    return lines


DAMAGED_FIX = "restore it from a backup; do not edit it by hand."


def iter_records(path: Path, damaged: list[tuple[int, str]] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) for every complete line; a torn last line (no newline: killed mid-write) is skipped.

    A line that is not a JSON object with a type raises SendError, or, when `damaged` is a list, is added to it as
    (line number, what is wrong) and passed over."""
    with path.open("rb") as handle:
        number = 0
        for raw in handle:
            number += 1
            if not raw.endswith(b"\n"):
                return  # torn tail: never fsynced whole, so nothing acted on it
            if not raw.strip():
                continue
            problem = ""
            try:
                record = json.loads(raw)
            except ValueError as error:
                problem = show(str(error)[:200])
            except RecursionError:  # JSON nested deeper than the parser recurses: no record of ours is
                problem = "nested too deeply"
            else:
                if not isinstance(record, dict) or "type" not in record:
                    problem = "a record without a type"
            if not problem:
                yield number, record
            elif damaged is None:
                raise SendError(f"{path}:{number}: the send ledger is damaged ({problem}): {DAMAGED_FIX}")
            else:
                damaged.append((number, problem))


def read_ledger(path: Path, *, skip_damaged: bool = False, now: datetime | None = None) -> LedgerState:
    """Replay the ledger into per-recipient statuses, as they are at `now` (default: the clock's time): a
    scheduled copy is "scheduled" until its send_at, "sent" from then on. A missing file is an empty ledger.

    A damaged line stops the replay with SendError naming it: a send must not guess what a damaged intent or
    outcome said (guessing "not sent" mails those readers twice). `report` passes `skip_damaged` to show the rest,
    with the damaged lines in `state.damaged`."""
    state = LedgerState(path=path)
    if not path.exists():
        return state
    open_batches: dict[int, array[int]] = {}
    damaged = state.damaged if skip_damaged else None
    for number, record in iter_records(path, damaged):
        try:
            check_record(record)
            _apply(state, open_batches, record)
        except (KeyError, ValueError, TypeError, IndexError, OverflowError, AttributeError) as error:
            detail = str(error) if isinstance(error, DamagedRecord) else f"{type(error).__name__}: {error}"
            problem = f"{label(record)}, {show(detail[:300])}"
            if damaged is None:
                raise SendError(f"{path}:{number}: the send ledger is damaged ({problem}): {DAMAGED_FIX}") from None
            damaged.append((number, problem))
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell():
            handle.seek(-1, os.SEEK_END)
            state.torn = handle.read(1) != b"\n"
    if state.send_at:
        _settle_schedules(state, (now or utc_now()).timestamp())
    return state


def _settle_schedules(state: LedgerState, now: float) -> None:
    """Scheduled copies whose time has come are sent."""
    entries, runs = state.entries, state.batch_runs
    for row in list(entries.rows(SCHEDULED_CODE)):
        send_at = state.send_at.get(runs.get(entries.batch[row], 0))
        if send_at is not None and send_at <= now:
            entries.status[row] = SENT_CODE


def _apply(state: LedgerState, open_batches: dict[int, array[int]], record: dict[str, Any]) -> None:
    kind = record["type"]
    entries = state.entries
    status, reason = entries.status, entries.reason
    if kind == "start":
        state.runs.append(record)
        if record.get("batch_id") and record.get("send_at") is not None:
            state.send_at[int(record.get("run", 0))] = int(record["send_at"])
    elif kind == "recipients":
        for row in entries.locate(record["emails"]):
            if status[row] == SKIPPED_CODE:  # active again since an earlier run skipped it
                status[row], reason[row] = PENDING_CODE, 0
    elif kind == "skipped":
        pairs = record["recipients"]
        for row, (_, why) in zip(entries.locate(email for email, _ in pairs), pairs, strict=True):
            if status[row] in (PENDING_CODE, SKIPPED_CODE, FAILED_CODE):  # never hide a sent or in-doubt copy
                status[row], reason[row] = SKIPPED_CODE, entries.text_code(why)
    elif kind == "intent":
        batch = int(record["batch"])
        interrupted, message_id, batches = entries.text_code(INTERRUPTED), entries.message_id, entries.batch
        rows = open_batches[batch] = entries.locate(record["emails"])
        for row in rows:
            status[row], reason[row], message_id[row], batches[row] = IN_DOUBT_CODE, interrupted, 0, batch
        state.batch_runs[batch] = int(record.get("run", 0))
        state.next_batch = max(state.next_batch, batch + 1)
    elif kind == "outcome":
        scheduled = state.batch_runs.get(int(record["batch"]), int(record.get("run") or 0)) in state.send_at
        _apply_outcome(entries, open_batches.pop(int(record["batch"]), array("I")), record, scheduled=scheduled)
    elif kind == "cancel":
        batch_id = str(record["batch_id"])
        state.cancelled.add(batch_id)
        runs = {int(run.get("run", 0)) for run in state.runs if run.get("batch_id") == batch_id}
        cancelled, message_id = entries.text_code(CANCELLED), entries.message_id
        held = [*entries.rows(SCHEDULED_CODE), *entries.rows(SENT_CODE), *entries.rows(IN_DOUBT_CODE)]
        for row in sorted(held):
            # Whatever SendGrid accepted under the batch id (in doubt included) will now never go out: those
            # readers are waiting for the issue again, and the next send reaches them.
            if state.batch_runs.get(entries.batch[row]) in runs:
                status[row], reason[row], message_id[row] = PENDING_CODE, cancelled, 0


def _apply_outcome(entries: Entries, rows: array[int], record: dict[str, Any], *, scheduled: bool) -> None:
    """The batch's outcome for each of its rows; a copy the provider accepted for a scheduled run is scheduled."""
    code = STATUS_CODE[str(record["status"])]
    if scheduled and code == SENT_CODE:
        code = SCHEDULED_CODE
    text_code = entries.text_code
    message_id = text_code(str(record.get("message_id", "")))
    reason = text_code(str(record.get("reason", "")))
    overrides: dict[str, list[str]] = record.get("recipients") or {}
    for row in rows:
        override = overrides.get(fold_case(entries.email_at(row))) if overrides else None
        if override is None:
            entries.status[row], entries.message_id[row], entries.reason[row] = code, message_id, reason
        else:
            entries.status[row] = SCHEDULED_CODE if scheduled and override[0] == SENT else STATUS_CODE[override[0]]
            entries.message_id[row], entries.reason[row] = text_code(override[1]), text_code(override[2])


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
            fsync_dir(path.parent)  # the new file's name must survive a crash too

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
