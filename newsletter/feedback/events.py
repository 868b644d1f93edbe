"""The feedback events: what SendGrid's Event Webhook and the bounces in the editor's mailbox said, per issue and
reader, in one SQLite file (events/events.sqlite3, Config.events_path) that `newsletter stats` reads.

Why SQLite rather than JSON lines like the send ledger: every POST from SendGrid must be checked against every
event already kept (SendGrid retries a batch for up to 24 hours, so the same event arrives again), several web
workers write at once, and `stats` counts distinct readers per issue; a primary key, transactions and indexes do
exactly that. WAL mode lets `stats` read while the web app writes; synchronous=FULL makes each commit durable
before the webhook answers 2xx.

Each event is kept once, under its id (SendGrid's sg_event_id; for a bounce or complaint read by the inbox,
'mail:' and the report's Message-ID), for as long as the file is kept: the ids are the events themselves, so the
store grows with what readers did, never with SendGrid's retries, and a retry is recognised however late it
comes. forget_reader deletes what it holds about one address.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from newsletter.errors import NewsletterError

# What each event says of the reader, for every source; the names are SendGrid's where it has one.
DELIVERED = "delivered"
OPEN = "open"
CLICK = "click"
BOUNCE = "bounce"  # a hard bounce: SendGrid's bounce of type "bounce", or the inbox's hard_bounce
SOFT_BOUNCE = "soft_bounce"  # the inbox's soft bounce (4.x.x, a full mailbox, a policy refusal)
BLOCKED = "blocked"  # SendGrid's bounce of type "blocked": the receiving server refused it for now
DEFERRED = "deferred"
DROPPED = "dropped"
SPAMREPORT = "spamreport"  # a complaint: SendGrid's spam report, or the inbox's ARF or JMRP report
UNSUBSCRIBE = "unsubscribe"
GROUP_UNSUBSCRIBE = "group_unsubscribe"
KINDS = frozenset(
    {
        DELIVERED,
        OPEN,
        CLICK,
        BOUNCE,
        SOFT_BOUNCE,
        BLOCKED,
        DEFERRED,
        DROPPED,
        SPAMREPORT,
        UNSUBSCRIBE,
        GROUP_UNSUBSCRIBE,
    }
)
# SQLite allows 32766 parameters in one statement; lookups go in slices well under it.
_SLICE = 5_000
BUSY_SECONDS = 30.0  # another worker's commit holds the write lock for milliseconds; a stats query for seconds

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    issue TEXT NOT NULL,
    email TEXT NOT NULL,
    event TEXT NOT NULL,
    at INTEGER NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_issue ON events (issue, event, url, email);
CREATE INDEX IF NOT EXISTS events_by_reader ON events (email, event);
"""


class EventStoreError(NewsletterError):
    """The events file cannot be opened, read or written."""


@dataclass(frozen=True)
class Event:
    """One event about one reader. Every text is one clean line (the readers in newsletter.feedback make it so).

    `issue` is the issue's slug ('' when the message named none, such as a confirmation email); `email` is
    lowercased; `at` is the event's own time in epoch seconds; `url` is a click's link; `source` says who reported
    it (sendgrid or inbox); `detail` is a short JSON object of what else it said (a bounce's status and reason)."""

    id: str
    issue: str
    email: str
    event: str
    at: int
    url: str = ""
    source: str = "sendgrid"
    detail: str = ""


def _describe(path: Path, error: sqlite3.Error) -> str:
    return f"{path}: {error}"


@contextmanager
def connect(path: Path, *, create: bool = True) -> Iterator[sqlite3.Connection]:
    """A connection to the events file, created with its folder when `create`; EventStoreError when SQLite fails."""
    try:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            if create:
                connection.executescript(_SCHEMA)
            yield connection
    except sqlite3.Error as error:
        raise EventStoreError(
            f"cannot use the events file {_describe(path, error)}: check the disk and the folder's permissions; "
            "SendGrid retries what was not answered 2xx."
        ) from None
    except OSError as error:
        raise EventStoreError(
            f"cannot create the events folder {path.parent} ({error.strerror or error}): check its permissions."
        ) from None


def _slices(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _SLICE):
        yield items[start : start + _SLICE]


def known_ids(path: Path, ids: Iterable[str]) -> set[str]:
    """Which of `ids` the store holds already (a retried batch: SendGrid sends it again until it gets a 2xx)."""
    wanted = sorted(set(ids))
    if not wanted or not path.exists():
        return set()
    found: set[str] = set()
    with connect(path) as connection:
        for part in _slices(wanted):
            marks = ",".join("?" * len(part))
            found.update(row[0] for row in connection.execute(f"SELECT id FROM events WHERE id IN ({marks})", part))
    return found


def record_events(path: Path, events: Sequence[Event]) -> int:
    """Keep `events` in one transaction, each id once; how many were new. Durable when it returns."""
    if not events:
        return 0
    rows = [(e.id, e.issue, e.email, e.event, e.at, e.url, e.source, e.detail) for e in events]
    with connect(path) as connection:
        connection.execute("BEGIN IMMEDIATE")
        try:
            before = connection.total_changes
            connection.executemany("INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            added = connection.total_changes - before
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    return added


def reader_history(path: Path, emails: Iterable[str], kinds: Iterable[str], source: str) -> dict[str, list[Event]]:
    """Every event of `kinds` from `source` about each of `emails` (lowercased), oldest first."""
    wanted = sorted({email.lower() for email in emails})
    kind_list = sorted(set(kinds))
    history: dict[str, list[Event]] = {}
    if not wanted or not path.exists():
        return history
    with connect(path) as connection:
        for part in _slices(wanted):
            marks = ",".join("?" * len(part))
            kind_marks = ",".join("?" * len(kind_list))
            query = (
                f"SELECT id, issue, email, event, at, url, source, detail FROM events WHERE email IN ({marks}) "
                f"AND event IN ({kind_marks}) AND source = ? ORDER BY at, id"
            )
            for row in connection.execute(query, [*part, *kind_list, source]):
                history.setdefault(row[2], []).append(Event(*row))
    return history


def forget_reader(path: Path, email: str) -> int:
    """Delete every event about `email` (a reader who asked to be forgotten); how many there were."""
    if not path.exists():
        return 0
    with connect(path) as connection:
        deleted: int = connection.execute("DELETE FROM events WHERE email = ?", (email.lower(),)).rowcount
        return deleted


def readers_by_event(path: Path, issue: str) -> dict[str, int]:
    """Distinct readers per kind of event for `issue` ({} when nothing was kept)."""
    if not path.exists():
        return {}
    with connect(path) as connection:
        query = "SELECT event, COUNT(DISTINCT email) FROM events WHERE issue = ? GROUP BY event"
        return {str(kind): int(count) for kind, count in connection.execute(query, (issue,))}


def readers_of(path: Path, issue: str, kinds: Iterable[str], *, detail: str | None = None) -> set[str]:
    """The readers with an event of one of `kinds` for `issue` (with exactly `detail`, when given)."""
    kind_list = sorted(set(kinds))
    if not path.exists() or not kind_list:
        return set()
    marks = ",".join("?" * len(kind_list))
    query = f"SELECT DISTINCT email FROM events WHERE issue = ? AND event IN ({marks})"
    parameters: list[str] = [issue, *kind_list]
    if detail is not None:
        query += " AND detail = ?"
        parameters.append(detail)
    with connect(path) as connection:
        return {str(row[0]) for row in connection.execute(query, parameters)}


def clicks_of(path: Path, issue: str) -> list[tuple[str, str, int]]:
    """Every click kept for `issue`: (url, reader, time), oldest first."""
    if not path.exists():
        return []
    with connect(path) as connection:
        query = "SELECT url, email, at FROM events WHERE issue = ? AND event = ? ORDER BY at, id"
        return [(str(url), str(email), int(at)) for url, email, at in connection.execute(query, (issue, CLICK))]
