"""A reader's data rights (India's DPDP Act 2023; the GDPR for readers abroad): `newsletter subscribers show EMAIL`
gathers everything the publication holds about one address, and `newsletter subscribers forget EMAIL` erases it
everywhere, keeping only a keyed hash so that nobody adds it back silently (forgotten.py).

What is held, and where: the row of subscribers.csv and its consent record; each issue's send ledger
(sends/<issue>.jsonl: sent, failed, skipped, with the provider's message id); the outbox's copies
(outbox/<issue>/<address>.eml); the events that came back (events/events.sqlite3: delivered, opens, clicks,
bounces); the web app's journal (journal/: sign-ups and unsubscribes, what they did); the inbox's review list
(inbox-review.json).

`forget` changes each of them in the way its writer allows: the journal is first folded into the list (so no
change of the reader's is still waiting), and its lines are then blanked in place, same length, because the
applier keeps byte offsets and the web app may be appending; each ledger is rewritten atomically under the send's
own lock, which a send in progress holds (then `forget` refuses before changing anything); everything else is
rewritten atomically or deleted. The inbox's memory of handled Message-IDs holds no address and stays.

This module reads and writes the files of every package (subscribers, sending, providers, inbox, feedback), so it
sits above them, as cli.py does: no package imports it, and it imports no package that could import it back.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsletter.config import Config
from newsletter.errors import SendError, SubscriberError
from newsletter.files import write_atomic
from newsletter.inbox.review import ReviewEntry, load_review, review_path, save_review
from newsletter.providers.outbox import safe_filename
from newsletter.sending.ledger import read_ledger
from newsletter.sending.ledger_entries import Entry, fold_case
from newsletter.sending.run import lock_send
from newsletter.subscribers.addresses import InvalidAddress, email_key
from newsletter.subscribers.forgotten import load_forgotten
from newsletter.subscribers.journal import SUFFIX, Change, decode_change, pending_changes, status_after
from newsletter.subscribers.journal_apply import apply_journal
from newsletter.subscribers.journal_done import DONE_DIR
from newsletter.subscribers.listfile import read_or_empty
from newsletter.subscribers.store import editing

_EVENT_COLUMNS = ("issue", "event", "url", "count", "first_at", "last_at", "source", "detail")


@dataclass
class ReaderData:
    """Everything held about one address."""

    email: str  # as email_key gives it: the identity every file is searched by
    rows: list[dict[str, str]] = field(default_factory=list)  # each row of subscribers.csv, column -> cell
    forgotten_at: str = ""  # when the address was forgotten ('' when it was not)
    sends: list[tuple[str, Entry]] = field(default_factory=list)  # (ledger file name, what it says)
    outbox: list[Path] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    journal: list[Change] = field(default_factory=list)  # changes from the web not yet in subscribers.csv
    status_after: str | None = None  # the status those changes give the reader (None: not listed, or no changes)
    review: list[ReviewEntry] = field(default_factory=list)


def _key(email: str) -> str:
    try:
        return email_key(email)
    except InvalidAddress as error:
        raise SubscriberError(f"'{email}' is not a valid email address ({error}): give the reader's address.") from None


def _ledgers(config: Config) -> list[Path]:
    return sorted(config.sends_dir.glob("*.jsonl")) if config.sends_dir.is_dir() else []


def _outbox_files(config: Config, key: str) -> list[Path]:
    """The outbox's copies for the address: <name>.eml, and <name>.2.eml... of later messages to it."""
    if not config.outbox_dir.is_dir():
        return []
    name = safe_filename(key)
    found = []
    for folder in sorted(path for path in config.outbox_dir.iterdir() if path.is_dir()):
        for path in sorted(folder.glob(f"{name}*.eml")):
            rest = path.name[len(name) : -len(".eml")]
            if rest == "" or (rest.startswith(".") and rest[1:].isdigit()):
                found.append(path)
    return found


def _events(config: Config, key: str) -> list[dict[str, Any]]:
    path = config.events_path
    if not path.exists():
        return []
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as connection:
            rows = connection.execute(
                f"SELECT {', '.join(_EVENT_COLUMNS)} FROM events WHERE email = ? ORDER BY first_at, issue, event",
                (key,),
            ).fetchall()
    except sqlite3.Error as error:
        raise SubscriberError(f"cannot read the events file {path} ({error}): check the file.") from None
    return [dict(zip(_EVENT_COLUMNS, row, strict=True)) for row in rows]


def reader_data(config: Config, email: str, secret: bytes | None) -> ReaderData:
    """Everything the publication holds about `email` (nothing is changed)."""
    key = _key(email)
    data = ReaderData(key)
    data.journal = list(pending_changes(config.journal_dir).get(key, ()))  # before the list, as read_current says
    subscribers = read_or_empty(config.subscribers_path)
    data.rows = [row.cells for row in subscribers if row.email.strip().lower() == key]
    if data.journal:
        listed = subscribers.find(key)
        data.status_after = status_after(listed.status if listed is not None and listed.valid else None, data.journal)
    data.forgotten_at = load_forgotten(config.subscribers_path, secret).when(key)
    for ledger in _ledgers(config):
        entry = read_ledger(ledger, skip_damaged=True).entries.get(fold_case(key))
        if entry is not None:
            data.sends.append((ledger.name, entry))
    data.outbox = _outbox_files(config, key)
    data.events = _events(config, key)
    data.review = [entry for entry in load_review(review_path(config.subscribers_path)) if entry.email.lower() == key]
    return data


def describe_reader_data(data: ReaderData) -> list[str]:
    """`show` for people: every place, what it holds, and 'nothing' where it holds nothing."""
    lines = [f"everything held about {data.email}:"]
    if data.forgotten_at:
        lines.append(
            f"forgotten at the reader's request on {data.forgotten_at}: only a keyed hash of the address is kept"
        )
    lines.append(f"subscribers.csv: {_many(len(data.rows), 'row', 'rows')}" if data.rows else "subscribers.csv: no row")
    for cells in data.rows:
        for name, value in cells.items():
            if name.strip().lower() == "consent" and value.strip().startswith("{"):
                lines.append(f"  {name}:")
                lines.extend(f"    {line}" for line in _pretty(value))
            else:
                lines.append(f"  {name}: {value}")
    lines.append(f"issues sent (send ledgers): {len(data.sends) or 'none'}")
    for name, entry in data.sends:
        detail = ", ".join(
            part for part in (entry.message_id and f"message id {entry.message_id}", entry.reason) if part
        )
        lines.append(f"  {name[: -len('.jsonl')]}: {entry.status}{f' ({detail})' if detail else ''}")
    lines.append(f"outbox copies: {len(data.outbox) or 'none'}")
    lines.extend(f"  {path}" for path in data.outbox)
    lines.append(f"events: {len(data.events) or 'none'}")
    for event in data.events:
        when = datetime.fromtimestamp(int(event["first_at"]), UTC).strftime("%Y-%m-%d %H:%M UTC")
        what = f"{event['event']} x{event['count']}" if event["count"] != 1 else event["event"]
        extra = " ".join(part for part in (event["url"], event["detail"]) if part)
        lines.append(
            f"  {event['issue'] or '(no issue)'}: {what}, first {when}, from {event['source']} {extra}".rstrip()
        )
    lines.append(f"changes from the web not yet in subscribers.csv (journal): {len(data.journal) or 'none'}")
    for change in data.journal:
        evidence = json.dumps(dict(change.evidence), ensure_ascii=False, sort_keys=True)
        lines.append(f"  {change.at.isoformat()}: {change.status} {change.reason} {evidence}".rstrip())
    if data.journal:  # what `send` and every other command already go by
        lines.append(f"  status once they are in subscribers.csv: {data.status_after or 'not listed'}")
    lines.append(f"messages waiting for the editor's review (inbox-review.json): {len(data.review) or 'none'}")
    for kept in data.review:
        lines.append(f"  {kept.message_id}, subject '{kept.subject}': \"{kept.evidence}\" ({kept.reason})")
    return lines


def _pretty(consent: str) -> list[str]:
    try:
        return json.dumps(json.loads(consent), ensure_ascii=False, indent=2, sort_keys=True).splitlines()
    except ValueError:
        return [consent]


# --- forget ------------------------------------------------------------------------------------------------------


def _many(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@dataclass
class ForgetReport:
    email: str
    lines: list[str] = field(default_factory=list)


def _without(record: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The ledger record without the address, or None when it does not name it."""
    changed = False
    out = dict(record)
    emails = record.get("emails")
    if isinstance(emails, list) and any(isinstance(e, str) and fold_case(e) == key for e in emails):
        out["emails"] = [e for e in emails if not (isinstance(e, str) and fold_case(e) == key)]
        changed = True
    pairs = record.get("recipients")
    if isinstance(pairs, list) and any(isinstance(p, list) and p and fold_case(str(p[0])) == key for p in pairs):
        out["recipients"] = [p for p in pairs if not (isinstance(p, list) and p and fold_case(str(p[0])) == key)]
        changed = True
    if isinstance(pairs, dict) and any(fold_case(str(k)) == key for k in pairs):
        out["recipients"] = {k: v for k, v in pairs.items() if fold_case(str(k)) != key}
        changed = True
    return out if changed else None


def _ledger_without(path: Path, key: str) -> tuple[bytes, int]:
    """The ledger at `path` without the address, and how many records named it (0: leave the file alone). Read
    before anything is changed: a damaged record refuses the whole forget."""
    data = path.read_bytes()
    if key.encode("utf-8") not in data.lower():
        return data, 0
    lines = data.split(b"\n")
    named = 0
    for index, raw in enumerate(lines):
        if key.encode("utf-8") not in raw.lower():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            raise SendError(
                f"{path}:{index + 1}: the send ledger is damaged: restore it from a backup, then run forget again "
                "(nothing was changed)."
            ) from None
        changed = _without(record, key) if isinstance(record, dict) else None
        if changed is not None:
            lines[index] = json.dumps(changed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            named += 1
    return b"\n".join(lines), named


def _blank_journal(journal_dir: Path, key: str) -> int:
    """Overwrite in place, with spaces of the same length, every journal line for the address; how many."""
    blanked = 0
    for path in sorted(journal_dir.glob(f"*{SUFFIX}")):
        with contextlib.suppress(FileNotFoundError), path.open("r+b") as handle:
            data = handle.read()
            position = 0
            for line in data.split(b"\n")[:-1]:  # complete lines only: a writer may be appending the last
                if key.encode("utf-8") in line.lower():
                    try:
                        named = decode_change(line).key == key
                    except ValueError:
                        named = False
                    if named:
                        handle.seek(position)
                        handle.write(b" " * len(line))
                        blanked += 1
                position += len(line) + 1
            if blanked:
                handle.flush()
                os.fsync(handle.fileno())
    return blanked


def _rewrite_done(journal_dir: Path, key: str) -> int:
    """journal/done/*.jsonl (what applied changes did, until the web app mails the reader) without the address."""
    removed = 0
    for path in sorted((journal_dir / DONE_DIR).glob("*.jsonl")):
        with contextlib.suppress(FileNotFoundError):
            kept, dropped = [], 0
            for raw in path.read_bytes().splitlines():
                try:
                    record = json.loads(raw)
                except ValueError:
                    kept.append(raw)
                    continue
                if isinstance(record, list) and len(record) > 1 and str(record[1]).lower() == key:
                    dropped += 1
                else:
                    kept.append(raw)
            if dropped:
                if kept:
                    write_atomic(path, b"".join(line + b"\n" for line in kept))
                else:
                    path.unlink()
                removed += dropped
    return removed


def _delete_events(config: Config, key: str) -> int:
    path = config.events_path
    if not path.exists():
        return 0
    try:
        with closing(sqlite3.connect(path, timeout=30.0, isolation_level=None)) as connection:
            # A deleted row stays in the file's free pages and in the write-ahead log unless these say otherwise
            connection.execute("PRAGMA secure_delete=ON")
            deleted = connection.execute("DELETE FROM events WHERE email = ?", (key,)).rowcount
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return int(deleted)
    except sqlite3.Error as error:
        raise SubscriberError(f"cannot erase the reader's events from {path} ({error}): check the file.") from None


@contextlib.contextmanager
def _sends_held(config: Config, email: str) -> Iterator[None]:
    """Every issue's send lock, so that no send writes a ledger while it is rewritten; refuses at once when a send
    is in progress, before anything is changed."""
    with ExitStack() as stack:
        for ledger in _ledgers(config):
            try:
                stack.enter_context(lock_send(ledger))
            except SendError as error:
                raise SendError(
                    f"cannot forget {email} now: {str(error).rstrip('.')}; nothing was changed, run forget again "
                    "when the send has finished."
                ) from None
        yield


def forget_reader(config: Config, secret: bytes, email: str, *, now: datetime) -> ForgetReport:
    """Erase `email` from everything the publication holds (see the module's docstring) and keep its keyed hash."""
    key = _key(email)
    report = ForgetReport(key)
    path = config.subscribers_path
    with _sends_held(config, key):
        forgotten = load_forgotten(path, secret)  # refuses before any change when the secret cannot check it
        ledgers = [(ledger, *_ledger_without(ledger, key)) for ledger in _ledgers(config)]
        folded = 0
        if config.journal_dir.is_dir():  # nothing of the reader's left waiting, and applied files pruned
            applied = apply_journal(path, config.journal_dir, now=lambda: now).applied
            folded = sum(item.change.key == key for item in applied)
        with editing(path) as subscribers:
            table = subscribers.table
            numbers = {number for number, row in enumerate(subscribers) if row.email.strip().lower() == key}
            statuses = [subscribers[number].status for number in sorted(numbers)]
            if numbers:
                table.records = [raw for index, raw in enumerate(table.records) if index not in numbers]
                write_atomic(path, table.to_bytes())  # the list object is not used again: `editing` writes nothing
            report.lines.append(
                f"{path.name}: {_many(len(numbers), 'row', 'rows')} removed (was {', '.join(statuses)})" if numbers
                else f"{path.name}: no row"
            )  # fmt: skip
            kept = review_path(path)
            entries = load_review(kept)
            others = [entry for entry in entries if entry.email.lower() != key]
            if len(others) != len(entries):
                save_review(kept, others)
            removed = len(entries) - len(others)
            report.lines.append(f"{kept.name}: {_many(removed, 'entry', 'entries')} removed" if removed
                                else f"{kept.name}: nothing held")  # fmt: skip
            if config.journal_dir.is_dir():
                blanked = _blank_journal(config.journal_dir, key)
                done = _rewrite_done(config.journal_dir, key)
                parts = [
                    f"{_many(folded, 'pending change', 'pending changes')} folded into the list first"
                    if folded
                    else "",
                    f"{_many(blanked, 'line', 'lines')} blanked" if blanked else "",
                    f"{_many(done, 'outcome', 'outcomes')} removed" if done else "",
                ]
                report.lines.append(f"journal: {', '.join(part for part in parts if part) or 'nothing held'}")
            else:
                report.lines.append("journal: nothing held")
            forgotten.add(key, now.isoformat(timespec="seconds"))
            forgotten.save()
        for ledger, data, count in ledgers:
            if count:
                write_atomic(ledger, data)
        named = [f"{_many(count, 'record', 'records')} of {ledger.name}" for ledger, _, count in ledgers if count]
        report.lines.append(
            f"send ledgers: the address removed from {', '.join(named)}" if named else "send ledgers: nothing held"
        )
    outbox = _outbox_files(config, key)
    for copy in outbox:
        copy.unlink(missing_ok=True)
    report.lines.append(f"outbox: {_many(len(outbox), 'copy', 'copies')} deleted" if outbox else "outbox: nothing held")
    deleted = _delete_events(config, key)
    report.lines.append(f"events: {_many(deleted, 'row', 'rows')} deleted" if deleted else "events: nothing held")
    report.lines.append(
        f"{forgotten.path.name}: a keyed hash of the address kept, so that no import or unproven request adds it "
        "back (the reader's own authenticated request still can)"
    )
    report.lines.append(
        "not erased here: the reader's own emails in the editor's mailbox, and backups: delete those by hand"
    )
    return report
