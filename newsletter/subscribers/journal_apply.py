"""Folding the journal into subscribers.csv: every pending change in one rewrite, under the CLI's lock.

An apply runs in steps, each durable before the next:
1. the new list is written in full to `journal/subscribers.csv.new` (fsynced);
2. `journal/applying.json` records the offsets this apply covers, that staged copy, and what each change did;
3. the staged copy replaces subscribers.csv (one rename);
4. what each change did goes to journal/done/ (newsletter.subscribers.journal_done), `journal/applied.json` takes
   the new offsets, and applying.json goes.
After a crash the next apply (or anyone reading pending changes) looks at applying.json alone: if the staged copy
is still there the rename never happened and the apply is undone; if it is gone the list holds the changes and the
apply is completed. Neither answer reads subscribers.csv, so an editor's command that changed the list after the
crash cannot make a change count twice or not at all. Nothing but the applier touches the journal folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from newsletter.clock import Clock, utc_now
from newsletter.errors import JournalError
from newsletter.files import claim_file, fsync_dir, write_atomic
from newsletter.subscribers.addresses import email_key
from newsletter.subscribers.csvfile import parse_csv
from newsletter.subscribers.journal import (
    APPLIED_NAME,
    INTENT_NAME,
    SUFFIX,
    Change,
    applied_offsets,
    journal_for,
    next_for,
    read_json,
    read_pending,
)
from newsletter.subscribers.journal_done import Outcome, encode_outcomes, write_outcomes
from newsletter.subscribers.listfile import locked, read_or_empty, read_subscribers
from newsletter.subscribers.stream import stream_subscribers
from newsletter.subscribers.table import Subscriber, SubscriberList, format_time


@dataclass(frozen=True)
class Applied:
    """What one change did: the row's status before (None: not listed) and after (None: the row is unchanged)."""

    change: Change
    before: str | None
    after: str | None


@dataclass
class ApplyReport:
    applied: list[Applied] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    recovered: str = ""  # what was found of an apply that crashed: "", "undone" or "completed"
    removed: list[str] = field(default_factory=list)  # finished journal files deleted, everything in them applied

    @property
    def changed(self) -> int:
        return sum(item.after is not None for item in self.applied)

    @property
    def outcomes(self) -> list[Outcome]:
        return [Outcome(a.change.id, a.change.email, a.change.status, a.before, a.after) for a in self.applied]


def _staged(subscribers_path: Path, journal_dir: Path) -> Path:
    return journal_dir / f"{subscribers_path.name}.new"


def _write_json(path: Path, data: Mapping[str, object]) -> None:
    write_atomic(path, json.dumps(data, sort_keys=True, indent=1).encode("utf-8") + b"\n")


def _recover(subscribers_path: Path, journal_dir: Path) -> str:
    """Finish or undo an apply that crashed (see the module's docstring); the caller holds the lock."""
    staged = _staged(subscribers_path, journal_dir)
    for leftover in journal_dir.glob(f".{staged.name}.*.tmp"):  # write_atomic's own, from a crash while staging
        leftover.unlink(missing_ok=True)
    intent = read_json(journal_dir / INTENT_NAME)
    if intent is None:
        staged.unlink(missing_ok=True)  # staged, then the crash: subscribers.csv was never replaced
        return ""
    if intent.get("staged") and staged.exists():
        staged.unlink()
        (journal_dir / INTENT_NAME).unlink()
        return "undone"
    # Should a crash come between these steps, the next recovery writes the outcomes again: their emails may go
    # out twice, but never not at all.
    write_outcomes(journal_dir, str(intent.get("batch", "")), intent.get("done") or [])
    _write_json(journal_dir / APPLIED_NAME, {"files": intent["files"], "at": intent.get("at", "")})
    (journal_dir / INTENT_NAME).unlink()
    return "completed"


def _consent(change: Change, earlier: str = "") -> str:
    """The consent record for the row: the sign-up's evidence, and for a confirmation the request it confirms."""
    record: dict[str, object] = {"method": "web", **change.evidence}
    if change.status == "active" and earlier.strip():
        try:
            previous = json.loads(earlier)
        except ValueError:
            previous = earlier
        record["request"] = previous
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def _fold(subscribers: SubscriberList, change: Change) -> Applied:
    number = subscribers.index_of(change.email)
    before = None if number is None else subscribers.status_of(number)
    after = next_for(before, change)
    if after is None:
        return Applied(change, before, None)
    if number is None:
        values = {"name": change.name, "source": "web", "consent": _consent(change), "reason": change.reason}
        subscribers.add(change.email, after, change.at, **values)
        return Applied(change, before, after)
    values = {"status": after, "reason": change.reason}
    if after == "active":
        row = subscribers[number]
        values["consent"] = _consent(change, row.consent)
        if change.name:
            values["name"] = change.name
    subscribers.update(number, values, change.at)
    return Applied(change, before, after)


def _replace_list(subscribers_path: Path, staged: Path) -> None:
    os.replace(staged, subscribers_path)
    # One rename, two folders: both entries must be on disk before the apply counts as done.
    fsync_dir(subscribers_path.parent)
    fsync_dir(staged.parent)


def _finished(path: Path) -> bool:
    """True when no writer holds the file (its process closed it or died)."""
    with claim_file(path) as mine:
        return mine


def _prune(journal_dir: Path, offsets: dict[str, int], moment: datetime) -> list[str]:
    """Delete finished files whose every byte is applied, then forget their offsets (in that order: a crash in
    between leaves an offset for a missing file, which is harmless; the other order could apply a file twice)."""
    removed = []
    for path in sorted(journal_dir.glob(f"*{SUFFIX}")):
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            continue
        if offsets.get(path.name, 0) >= size and _finished(path):
            path.unlink()
            removed.append(path.name)
    present = {name: offset for name, offset in offsets.items() if (journal_dir / name).exists()}
    if present != offsets:
        _write_json(journal_dir / APPLIED_NAME, {"files": present, "at": format_time(moment)})
    return removed


def _skip_torn_lines(journal_dir: Path, offsets: dict[str, int], problems: list[str]) -> None:
    """Count as read the incomplete last line of a finished file: its writer died in the middle of the write, so
    it was never acknowledged, and it can never be completed."""
    for path in sorted(journal_dir.glob(f"*{SUFFIX}")):
        end = offsets.get(path.name, 0)
        try:
            if path.stat().st_size <= end or not _finished(path):
                continue
            # Read only once the file is known to be finished: it cannot grow any more.
            with path.open("rb") as handle:
                handle.seek(end)
                tail = handle.read()
        except FileNotFoundError:
            continue
        if tail and b"\n" not in tail:
            problems.append(
                f"{path}: byte {end}: an incomplete last line, cut by a crash and never acknowledged: left out."
            )
            offsets[path.name] = end + len(tail)


def _check_same_device(subscribers_path: Path, journal_dir: Path) -> None:
    if os.stat(subscribers_path.parent).st_dev != os.stat(journal_dir).st_dev:
        raise JournalError(
            f"{journal_dir} is on another file system than {subscribers_path}: keep the journal folder beside the "
            "list (the applier replaces the list by renaming its staged copy)."
        )


def apply_journal(subscribers_path: Path, journal_dir: Path, now: Clock = utc_now) -> ApplyReport:
    """Fold every pending change into subscribers.csv in one rewrite under the CLI's lock, then mark them applied.

    Rows are stamped with the time each change was made; statuses follow the sticky rules (next_status): an
    unsubscribed reader comes back only by a confirmed sign-up, bounced and complained stay. A crash at any
    point loses nothing and applies nothing twice (see the module's docstring).
    """
    if not journal_dir.is_dir():
        return ApplyReport()
    with locked(subscribers_path):
        return fold_journal(subscribers_path, journal_dir, now)


def fold_journal(subscribers_path: Path, journal_dir: Path, now: Clock = utc_now) -> ApplyReport:
    """apply_journal for a caller that holds subscribers.csv's lock already (store.editing: every command that
    changes the list starts from what the readers on the web were told). The lock is not reentrant: taking it
    again here would wait for ourselves."""
    report = ApplyReport()
    if not journal_dir.is_dir():
        return report
    report.recovered = _recover(subscribers_path, journal_dir)
    base = applied_offsets(journal_dir)
    pending = read_pending(journal_dir, base)
    _skip_torn_lines(journal_dir, pending.offsets, pending.problems)
    report.problems = pending.problems
    moment = now()
    if pending.changes:
        subscribers = read_or_empty(subscribers_path)
        for change in pending.changes:
            try:
                report.applied.append(_fold(subscribers, change))
            except ValueError as error:  # an address email-validator refuses: the web app never journals one
                report.problems.append(f"{journal_dir}: change {change.id} for {change.email!r}: {error}")
        staged = _staged(subscribers_path, journal_dir)
        if subscribers.changed:
            _check_same_device(subscribers_path, journal_dir)
            write_atomic(staged, subscribers.to_bytes())
            if subscribers_path.exists():
                os.chmod(staged, subscribers_path.stat().st_mode & 0o7777)
        intent = {
            "files": pending.offsets,
            "staged": staged.name if subscribers.changed else None,
            "batch": f"{time.time_ns():020d}-{secrets.token_hex(4)}",
            "done": encode_outcomes(report.outcomes),
            "at": format_time(moment),
        }
        write_atomic(journal_dir / INTENT_NAME, json.dumps(intent, ensure_ascii=False).encode("utf-8"))
        if subscribers.changed:
            _replace_list(subscribers_path, staged)
        _recover(subscribers_path, journal_dir)  # the staged copy is gone: this records the offsets
    elif any(offset != base.get(name, 0) for name, offset in pending.offsets.items()):  # past bad lines only
        _write_json(journal_dir / APPLIED_NAME, {"files": pending.offsets, "at": format_time(moment)})
    report.removed = _prune(journal_dir, pending.offsets, moment)
    return report


def read_current(
    subscribers_path: Path, journal_dir: Path | None = None, *, missing_ok: bool = False
) -> SubscriberList:
    """subscribers.csv as it stands once the journal's pending changes are in: what the readers on the web were
    told, folded into the list in memory only (nothing is written, no lock is taken). For everything that reads
    the list: `send` (a reader whose one-click unsubscribe got its 2xx is never mailed again, even if the web app
    was killed before applying it), `subscribers list`, `export`, `stats`, the dry runs.

    The journal is read before the list: a change the applier folds in between is then in both, and folding it a
    second time can keep a reader from being mailed but never makes one mailable (it differs from one fold only
    for an address the list did not hold when an unsubscribe or bounce for it came, then a sign-up: that reader
    reads as unsubscribed or bounced until the applier has run). A missing list is an error, as for
    read_subscribers, unless `missing_ok` or the journal adds its first rows.
    """
    folder = journal_for(subscribers_path) if journal_dir is None else journal_dir
    pending = read_pending(folder) if folder.is_dir() else None
    if (pending is None or not pending.changes) and not missing_ok:
        subscribers = read_subscribers(subscribers_path)
    else:
        subscribers = read_or_empty(subscribers_path)
        for change in pending.changes if pending is not None else ():
            with contextlib.suppress(ValueError):  # an address email-validator refuses: the applier reports it
                _fold(subscribers, change)
    if pending is not None:
        subscribers.problems.extend(pending.problems)
    return subscribers


def stream_current(subscribers_path: Path, journal_dir: Path | None = None) -> Iterator[Subscriber]:
    """read_current's rows a part at a time, for the send (stream.py: a million rows in a few megabytes).

    The pending changes are grouped by address; each folds into that address's first valid row as the stream
    passes it (where read_current's index would find it), and the addresses the list does not hold come after
    the last row, as read_current appends them. Changes to different addresses never touch each other, so the
    order across addresses, the one thing the grouping loses, changes nothing.
    """
    folder = journal_for(subscribers_path) if journal_dir is None else journal_dir
    ordered: list[tuple[str, Change]] = []
    for change in read_pending(folder).changes if folder.is_dir() else ():
        with contextlib.suppress(ValueError):  # an address email-validator refuses: the applier reports it
            ordered.append((email_key(change.email), change))
    if not ordered:
        yield from stream_subscribers(subscribers_path)
        return
    waiting: dict[str, list[Change]] = {}
    for key, change in ordered:
        waiting.setdefault(key, []).append(change)
    if subscribers_path.exists():
        for row in stream_subscribers(subscribers_path):
            changes = waiting.pop(row.key, None) if row.valid else None
            yield row if changes is None else _folded_row(row, changes)
    added = SubscriberList(parse_csv(subscribers_path, ""))
    for key, change in ordered:  # in the journal's order, which is the order read_current adds them in
        if key in waiting:
            _fold(added, change)
    yield from added


def _folded_row(row: Subscriber, changes: list[Change]) -> Subscriber:
    """The row as _fold leaves it after `changes`, in the two cells the send reads (status and name)."""
    status, name = row.status, row.name
    for change in changes:
        after = next_for(status, change)
        if after is not None:
            status = after
            name = change.name if after == "active" and change.name else name
    return row._replace(status=status, name=name)
