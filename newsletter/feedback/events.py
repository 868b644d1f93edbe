"""The feedback events: what SendGrid's Event Webhook and the bounces in the editor's mailbox said, per issue and
reader, in one SQLite file (events/events.sqlite3, Config.events_path) that `newsletter stats` reads.

Why SQLite rather than JSON lines like the send ledger: every POST from SendGrid must be checked against the events
already taken (SendGrid retries a batch for up to 24 hours, so the same event arrives again), several web workers
write at once, and `stats` counts distinct readers per issue; a primary key, transactions and indexes do exactly
that. WAL mode lets `stats` read while the web app writes; synchronous=FULL makes each commit durable before the
webhook answers 2xx.

Two tables:
- `events`: one row per issue, kind of event, link (clicks) and reader, with how many times it happened, first
  and last. A send to a million readers adds a million `delivered` rows (about 90 bytes each), whatever SendGrid
  retries; what `stats` asks is an index range away.
- `seen`: the id of every event taken in the last KEEP_IDS seconds (SendGrid's sg_event_id; for a bounce or
  complaint read by the inbox, 'mail:' and the report's Message-ID), so a retry, which SendGrid makes within 24
  hours, is recognised and counts once. Older ids are deleted as new events arrive: the table stays the size of a
  few days' events. A POST replayed later is refused by its signature's timestamp (newsletter.feedback.webhook).
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
MACHINE_OPEN = "machine_open"  # an open SendGrid marks sg_machine_open: Apple Mail Privacy Protection fetched it
CLICK = "click"
BOUNCE = "bounce"  # a hard bounce: SendGrid's bounce of type "bounce", or the inbox's hard_bounce
SOFT_BOUNCE = "soft_bounce"  # the inbox's soft bounce (4.x.x, a full mailbox, a policy refusal)
BLOCKED = "blocked"  # SendGrid's bounce of type "blocked": the receiving server refused it for now
DEFERRED = "deferred"
DROPPED = "dropped"
SPAMREPORT = "spamreport"  # a complaint: SendGrid's spam report, or the inbox's ARF or JMRP report
UNSUBSCRIBE = "unsubscribe"
GROUP_UNSUBSCRIBE = "group_unsubscribe"
KEEP_IDS = 3 * 24 * 3600  # seconds: SendGrid retries for 24 hours; three days leaves room for clocks and outages
# SQLite allows 32766 parameters in one statement; lookups go in slices well under it.
_SLICE = 5_000
BUSY_SECONDS = 30.0  # another worker's commit holds the write lock for milliseconds; a stats query for seconds
# The kinds the inbox's decisions rest on (newsletter.inbox.feedback); written out in the partial index and in
# the query that uses it, since SQLite matches the two as text.
_FEEDBACK_KINDS = "event IN ('bounce', 'soft_bounce', 'spamreport')"

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS events (
    issue TEXT NOT NULL,
    event TEXT NOT NULL,
    url TEXT NOT NULL,
    email TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    source TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (issue, event, url, email)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_feedback_by_reader ON events (email) WHERE {_FEEDBACK_KINDS};
CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_by_time ON seen (at);
"""
_UPSERT = """
INSERT INTO events VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)
ON CONFLICT (issue, event, url, email) DO UPDATE SET
    count = count + 1,
    first_at = min(first_at, excluded.first_at),
    last_at = max(last_at, excluded.last_at),
    detail = CASE WHEN excluded.detail != '' THEN excluded.detail ELSE detail END
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


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to the events file, created with its folder; EventStoreError when SQLite or the disk fails."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.executescript(_SCHEMA)
            yield connection
    except sqlite3.Error as error:
        raise EventStoreError(
            f"cannot use the events file {path} ({error}): check the disk and the folder's permissions."
        ) from None
    except OSError as error:
        raise EventStoreError(
            f"cannot create the events folder {path.parent} ({error.strerror or error}): check its permissions."
        ) from None


def _slices(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _SLICE):
        yield items[start : start + _SLICE]


def known_ids(path: Path, ids: Iterable[str]) -> set[str]:
    """Which of `ids` were taken in the last KEEP_IDS seconds (a retried batch: SendGrid sends it again until it
    gets a 2xx)."""
    wanted = sorted(set(ids))
    if not wanted or not path.exists():
        return set()
    found: set[str] = set()
    with connect(path) as connection:
        for part in _slices(wanted):
            marks = ",".join("?" * len(part))
            found.update(row[0] for row in connection.execute(f"SELECT id FROM seen WHERE id IN ({marks})", part))
    return found


def record_events(path: Path, events: Sequence[Event], *, received: int) -> int:
    """Take `events` in one transaction, each id once, at `received` (epoch seconds, this server's clock); how many
    were new. Ids older than KEEP_IDS go. Durable when it returns."""
    if not events:
        return 0
    added = 0
    with connect(path) as connection:
        connection.execute("BEGIN IMMEDIATE")
        try:
            for e in events:
                if connection.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (e.id, received)).rowcount:
                    connection.execute(_UPSERT, (e.issue, e.event, e.url, e.email, e.at, e.at, e.source, e.detail))
                    added += 1
            connection.execute("DELETE FROM seen WHERE at < ?", (received - KEEP_IDS,))
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    return added


def feedback_history(path: Path, emails: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """(issue, kind) of every hard bounce, soft bounce and complaint of each of `emails` (lowercased), oldest
    first: what the inbox's decisions rest on (a complaint outranks, three issues of soft bounces bounce)."""
    wanted = sorted({email.lower() for email in emails})
    history: dict[str, list[tuple[str, str]]] = {}
    if not wanted or not path.exists():
        return history
    with connect(path) as connection:
        for part in _slices(wanted):
            marks = ",".join("?" * len(part))
            query = (
                f"SELECT email, issue, event FROM events WHERE email IN ({marks}) AND {_FEEDBACK_KINDS} "
                "ORDER BY first_at, issue"
            )
            for email, issue, kind in connection.execute(query, part):
                history.setdefault(str(email), []).append((str(issue), str(kind)))
    return history


def forget_reader(path: Path, email: str) -> int:
    """Delete every event about `email` (a reader who asked to be forgotten); how many rows there were."""
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


def readers_of(path: Path, issue: str, kinds: Iterable[str]) -> set[str]:
    """The readers with an event of one of `kinds` for `issue`."""
    kind_list = sorted(set(kinds))
    if not path.exists() or not kind_list:
        return set()
    marks = ",".join("?" * len(kind_list))
    with connect(path) as connection:
        query = f"SELECT DISTINCT email FROM events WHERE issue = ? AND event IN ({marks})"
        return {str(row[0]) for row in connection.execute(query, [issue, *kind_list])}


def count_readers(path: Path, issue: str, kinds: Iterable[str]) -> int:
    """How many readers have an event of one of `kinds` for `issue` (each reader once)."""
    kind_list = sorted(set(kinds))
    if not path.exists() or not kind_list:
        return 0
    marks = ",".join("?" * len(kind_list))
    with connect(path) as connection:
        query = f"SELECT COUNT(DISTINCT email) FROM events WHERE issue = ? AND event IN ({marks})"
        count: int = connection.execute(query, [issue, *kind_list]).fetchone()[0]
        return count


def clicks_of(path: Path, issue: str) -> list[tuple[str, str, int, int]]:
    """The clicks kept for `issue`: (url, reader, clicks, first click's time), in order of first click."""
    if not path.exists():
        return []
    with connect(path) as connection:
        query = "SELECT url, email, count, first_at FROM events WHERE issue = ? AND event = ? ORDER BY first_at, url"
        return [(str(u), str(e), int(c), int(a)) for u, e, c, a in connection.execute(query, (issue, CLICK))]
