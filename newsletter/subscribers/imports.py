"""Bringing readers in from other tools (Mailchimp, Substack, Buttondown, any CSV with an email column, or a plain
column of addresses), and taking them out again (export, stats).

An address may be written as a mail client copies it (`Gaurav Sen <gaurav.sen@yahoo.co.in>`, `"Sen, Gaurav"
<...>`: the name goes to `name` when the file has no name of its own), and several may be pasted into one line or
cell, separated by commas or semicolons: each is its own reader (mailboxes.py).

An import keeps the source tool's statuses (a Mailchimp unsubscribed export imports as unsubscribed) and never
turns an unsubscribed, bounced or complained address active. Every row of the import file gets a line in the
report saying what happened to it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from newsletter.clock import Clock, utc_now
from newsletter.errors import SubscriberError
from newsletter.subscribers.addresses import InvalidAddress, email_key
from newsletter.subscribers.csvfile import cell_text, iter_cells, read_csv
from newsletter.subscribers.forgotten import Forgotten, load_forgotten
from newsletter.subscribers.journal_apply import read_current
from newsletter.subscribers.mailboxes import needs_splitting, split_mailboxes
from newsletter.subscribers.scan import COLUMNS
from newsletter.subscribers.status import STATUSES, STICKY, next_status
from newsletter.subscribers.store import editing
from newsletter.subscribers.table import SubscriberList, format_time

_EMAIL_COLUMNS = ("email", "email address", "email_address", "e-mail", "e-mail address", "mail")
# Each tool's own words for a status, mapped onto ours; None means "not a subscriber at all: skip".
_STATUS_WORDS: dict[str, str | None] = {
    **{status: status for status in STATUSES},
    "subscribed": "active",
    "confirmed": "active",
    "regular": "active",
    "premium": "active",
    "trialed": "active",
    "unpaid": "active",
    "gifted": "active",
    "churning": "active",
    "paused": "active",
    "past_due": "active",
    "unconfirmed": "pending",
    "unactivated": "pending",
    "cleaned": "bounced",
    "bounce": "bounced",
    "spam": "complained",
    "removed": "unsubscribed",
    "spammy": "unsubscribed",
    "transactional": None,
    "nonsubscribed": None,
    "non-subscribed": None,
}
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "%m/%d/%Y %H:%M", "%m/%d/%Y")


@dataclass(frozen=True)
class ImportRow:
    """One row of an import file, read into our terms ('' status means the row was unusable: see `problem`)."""

    line: int
    email: str
    name: str = ""
    status: str = ""
    joined_at: str = ""
    reason: str = ""
    consent: str = ""
    problem: str = ""
    note: str = ""  # a problem of the file's row that still let it be read (an unbalanced quote, say)


@dataclass
class ImportReport:
    tool: str
    lines: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def summary(self, source: Path, *, dry_run: bool) -> str:
        """The import's last line: the file, the tool that wrote it, and how many rows did what."""
        counts = ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items())) or "no rows"
        return f"{'dry run: ' if dry_run else ''}imported {source.name} ({self.tool}): {counts}."


def _find(names: list[str], *candidates: str) -> int | None:
    for candidate in candidates:
        if candidate in names:
            return names.index(candidate)
    return None


def detect_tool(names: list[str], file_name: str) -> str:
    """Which tool wrote the export, from its header (lowercased names)."""
    if not names or (names[0] and "@" in names[0]):
        return "plain"
    if "email address" in names and {"optin_time", "member_rating", "leid", "euid"} & set(names):
        return "mailchimp"
    if {"active_subscription", "email_disabled"} & set(names):
        return "substack"
    if {"subscriber_type", "secondary_id", "referrer_url"} & set(names) or (
        "type" in names and "buttondown" in file_name.lower()
    ):
        return "buttondown"
    return "csv"


def _parse_time(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    try:
        return format_time(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    for pattern in _TIME_FORMATS:
        try:
            return format_time(datetime.strptime(text, pattern).replace(tzinfo=UTC))
        except ValueError:
            continue
    return ""


def _status_of(tool: str, names: list[str], cells: dict[str, str], file_name: str) -> tuple[str | None, str]:
    """(our status or None to skip, the reason to record) for one row."""
    raw = (cells.get("status") or cells.get("subscriber_type") or cells.get("type") or "").strip().lower()
    if tool == "mailchimp" and not raw:
        if "clean_time" in names or "cleaned" in file_name.lower():
            return "bounced", "cleaned (bounced) in Mailchimp"
        if "unsub_time" in names or "unsubscribed" in file_name.lower():
            reason = cells.get("unsub_reason", "").strip()
            return "unsubscribed", f"unsubscribed in Mailchimp{': ' + reason if reason else ''}"
        return "active", ""
    if tool == "substack":
        disabled = cells.get("email_disabled", "").strip().lower() in ("true", "yes", "1")
        return ("unsubscribed", "email disabled in Substack") if disabled else ("active", "")
    if not raw:
        return "active", ""
    if raw not in _STATUS_WORDS:
        raise ValueError(raw)
    status = _STATUS_WORDS[raw]
    label = {"mailchimp": "Mailchimp", "buttondown": "Buttondown"}.get(tool, "the imported file")
    return status, (f"{raw} in {label}" if status in STICKY else "")


def read_import(path: Path) -> tuple[str, list[ImportRow]]:
    """The tool that wrote `path` and its rows in our terms; SubscriberError if it is not a usable CSV."""
    table = read_csv(path)
    names = [cell.strip().lower() for cell in table.header]
    tool = detect_tool(names, path.name)
    rows: list[ImportRow] = []
    notes = table.notes
    if tool == "plain":
        # No header: every record's first cell is an address, the header line included.
        table.records.insert(0, table.header_raw)
        table.record_lines = [1, *table.record_lines] if table.record_lines else None
        notes = {number + 1: note for number, note in notes.items()}
        names = ["email"]
    email_at = 0 if tool == "plain" else _find(names, *_EMAIL_COLUMNS)
    if email_at is None:
        raise SubscriberError(
            f"{path}:1: has no email column: name one 'email' in the first row, or import a plain "
            "list with one address per line."
        )
    for number, values in enumerate(iter_cells(table, exact=True)):
        line = number + 1 if tool == "plain" else table.line_of(number)
        if not "".join(values).strip():
            continue
        cells = {name: values[i] if i < len(values) else "" for i, name in enumerate(names)}
        # A plain list's line is read whole: the comma of "Sen, Gaurav" <...> does not end a column there.
        address = table.records[number].strip("\r\n") if tool == "plain" else values[email_at] if (
            email_at < len(values)) else ""  # fmt: skip
        mailboxes = split_mailboxes(address) if needs_splitting(address) else [("", address)]
        first = cells.get("first name", cells.get("first_name", "")).strip()
        last = cells.get("last name", cells.get("last_name", "")).strip()
        # The name goes in as the file has it: the writer makes every cell one clean line, never a formula.
        name = cells.get("name", cells.get("full name", "")).strip() or f"{first} {last}".strip()
        note = notes.get(number, "")
        try:
            status, reason = _status_of(tool, names, cells, path.name)
        except ValueError as error:
            rows.append(ImportRow(line, address, problem=f"status '{error}' is not one we know: skipped", note=note))
            continue
        if status is None:
            problem = "not a subscriber in the source (transactional): skipped"
            rows.append(ImportRow(line, address, problem=problem, note=note))
            continue
        joined = ""
        for column in ("confirm_time", "optin_time", "created_at", "creation_date", "created_date", "joined_at"):
            joined = joined or _parse_time(cells.get(column, ""))
        record = {"imported_from": tool, "file": path.name, "line": line}
        for column in ("optin_time", "optin_ip", "confirm_time", "confirm_ip", "consent"):
            if cells.get(column, "").strip():
                record[column] = cells[column].strip()
        consent = json.dumps(record, ensure_ascii=False, sort_keys=True)
        for index, (mailbox_name, mailbox) in enumerate(mailboxes):
            # a name column names one reader: with several addresses in the cell, each keeps its own name
            own = name if len(mailboxes) == 1 else ""
            rows.append(ImportRow(line, mailbox, own or mailbox_name, status, joined, reason, consent,
                                  note=note if index == 0 else ""))  # fmt: skip
    return tool, rows


def apply_import(
    subscribers: SubscriberList, tool: str, rows: list[ImportRow], now: datetime, forgotten: Forgotten | None = None
) -> ImportReport:
    """Merge import rows into the list, one report line per row. Pure apart from changing `subscribers`. An address
    in `forgotten` (a reader who asked to be forgotten) is not added back."""
    report = ImportReport(tool)
    seen: dict[str, int] = {}
    for row in rows:
        where = f"line {row.line}: "
        if row.note:
            report.lines.append(f"{where}{row.note}")
        if row.problem:
            report.lines.append(f"{where}{row.email}: {row.problem}")
            report.counts["skipped"] += 1
            continue
        try:
            key = email_key(row.email)
        except InvalidAddress as error:
            report.lines.append(f"{where}'{row.email}' is not a valid email address ({error}): skipped")
            report.counts["invalid"] += 1
            continue
        if key in seen:
            report.lines.append(f"{where}{key}: duplicate of line {seen[key]} in this file: skipped")
            report.counts["duplicate"] += 1
            continue
        seen[key] = row.line
        number = subscribers.index_of(key)
        if number is None and forgotten is not None and forgotten.holds(key):
            report.lines.append(
                f"{where}{key}: not added: this reader asked to be forgotten (only their own authenticated request "
                "subscribes them again)"
            )
            report.counts["forgotten"] += 1
            continue
        if number is None:
            extra = {"joined_at": row.joined_at} if row.joined_at else {}
            added = subscribers.add(
                row.email,
                row.status,
                now,
                name=row.name,
                source=f"import:{tool}",
                consent=row.consent,
                reason=row.reason,
                **extra,
            )
            report.lines.append(f"{where}{added.email}: added ({row.status})")
            report.counts["added"] += 1
            continue
        current = subscribers.status_of(number)
        existing = subscribers[number]
        values: dict[str, str] = {}
        if row.name and not existing.name:
            values["name"] = row.name
        after = next_status(current, row.status)
        if after is not None:
            values.update(status=after, reason=row.reason or f"import from {tool}")
        if values:
            subscribers.update(number, values, now)
        if after is not None:
            report.lines.append(f"{where}{existing.email}: was {current}, now {after}")
            report.counts["changed"] += 1
        elif current in STICKY and row.status in ("active", "pending"):
            report.lines.append(f"{where}{existing.email}: stays {current} (an import never subscribes it again)")
            report.counts["kept"] += 1
        else:
            report.lines.append(f"{where}{existing.email}: already {current}, unchanged")
            report.counts["unchanged"] += 1
    return report


def import_subscribers(
    path: Path, source: Path, *, now: Clock = utc_now, dry_run: bool = False, secret: bytes | None = None
) -> ImportReport:
    """Import `source` into subscribers.csv at `path` (nothing is written with `dry_run`). `secret` checks the
    forgotten readers' keyed hashes (forgotten.py): an import that cannot check them is refused."""
    tool, rows = read_import(source)
    forgotten = load_forgotten(path, secret)
    if dry_run:
        subscribers = read_current(path, missing_ok=True)
        return apply_import(subscribers, tool, rows, now(), forgotten)
    with editing(path) as subscribers:
        return apply_import(subscribers, tool, rows, now(), forgotten)


def export_csv(subscribers: SubscriberList, status: str = "") -> str:
    """Valid rows (of one status, if given) as a clean CSV: standard columns first, then the file's own.

    Clean means every cell is one line without control characters and never a formula (cell_text), whatever
    the editor or an old version left in subscribers.csv: the export goes to other tools, other people's
    spreadsheets, or a terminal.
    """
    extra = [name for name in subscribers.table.header if name.strip().lower() not in COLUMNS]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([cell_text(name) for name in (*COLUMNS, *extra)])
    for row in subscribers:
        if row.valid and (not status or row.status == status):
            cells = row.cells
            values = [row.email, row.name, row.status, *(row.get(c) for c in COLUMNS[3:])]
            writer.writerow([cell_text(value) for value in (*values, *(cells.get(name, "") for name in extra))])
    return buffer.getvalue()


_MONTH = re.compile(r"\d{4}-\d{2}")


@dataclass(frozen=True)
class Stats:
    counts: dict[str, int]
    months: list[tuple[str, int, int, int]]  # (YYYY-MM, joined, left, total: joined minus left so far)


def subscriber_stats(subscribers: SubscriberList) -> Stats:
    """Counts per status and growth by month: who joined (joined_at) and who left (updated_at of a final status)."""
    joined: Counter[str] = Counter()
    left: Counter[str] = Counter()
    for row in subscribers:
        if not row.valid:
            continue
        month = row.joined_at[:7]
        if row.status == "pending" or not _MONTH.fullmatch(month):
            continue  # not (yet) a reader, or no date to place them by
        joined[month] += 1
        gone = row.updated_at[:7]
        if row.status in STICKY and _MONTH.fullmatch(gone):
            left[gone] += 1
    total = 0
    months = []
    for month in sorted(set(joined) | set(left)):
        total += joined[month] - left[month]
        months.append((month, joined[month], left[month], total))
    return Stats(subscribers.counts(), months)
