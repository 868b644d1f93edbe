"""The events file (newsletter/feedback/events.py): each event id counted once, ids kept three days and then
pruned while the counts stay, the inbox's lookups served by their small index, and a file that cannot be used
failing the inbox's bounces alone."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from conftest import DATA
from newsletter.cli import cli
from newsletter.feedback.events import (
    KEEP_IDS,
    Event,
    feedback_history,
    forget_reader,
    known_ids,
    readers_by_event,
    record_events,
)

DAY = 24 * 3600
T0 = 1_426_500_000


def rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT issue, event, email, count, first_at, last_at FROM events ORDER BY email"
        ).fetchall()


def test_ids_are_counted_once_and_forgotten_after_three_days_while_the_counts_stay(tmp_path: Path) -> None:
    path = tmp_path / "events" / "events.sqlite3"
    opens = [
        Event("sg:1", "2015-03-16", "a@example.org", "open", T0),
        Event("sg:2", "2015-03-16", "a@example.org", "open", T0 + 60),
    ]
    assert record_events(path, opens, received=T0) == 2
    assert record_events(path, opens, received=T0 + DAY) == 0  # SendGrid's retry, a day later
    assert known_ids(path, ["sg:1", "sg:2", "sg:3"]) == {"sg:1", "sg:2"}
    assert rows(path) == [("2015-03-16", "open", "a@example.org", 2, T0, T0 + 60)]
    later = Event("sg:3", "2015-03-16", "b@example.org", "open", T0)
    assert record_events(path, [later], received=T0 + KEEP_IDS + 1) == 1
    assert known_ids(path, ["sg:1", "sg:2", "sg:3"]) == {"sg:3"}
    assert readers_by_event(path, "2015-03-16") == {"open": 2}
    assert forget_reader(path, "A@example.org") == 1
    assert readers_by_event(path, "2015-03-16") == {"open": 1}


def test_the_inbox_history_uses_its_own_small_index(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    record_events(path, [
        Event("mail:<1@mx>", "2015-03-02", "a@example.org", "soft_bounce", T0, source="inbox"),
        Event("mail:<2@mx>", "2015-03-09", "a@example.org", "spamreport", T0 + 1, source="inbox"),
        Event("sg:d", "2015-03-09", "a@example.org", "delivered", T0),
    ], received=T0)  # fmt: skip
    assert feedback_history(path, ["A@example.org", "b@example.org"]) == {
        "a@example.org": [("2015-03-02", "soft_bounce"), ("2015-03-09", "spamreport")]
    }
    with sqlite3.connect(path) as connection:
        plan = connection.execute(
            "EXPLAIN QUERY PLAN SELECT email, issue, event FROM events WHERE email IN (?) AND "
            "event IN ('bounce', 'soft_bounce', 'spamreport') ORDER BY first_at, issue",
            ("a@example.org",),
        ).fetchall()
    assert any("events_feedback_by_reader" in str(step) for step in plan), plan


def test_an_events_file_that_cannot_be_used_fails_the_bounces_alone(publication: Path, tmp_path: Path) -> None:
    (publication / "subscribers.csv").write_text(
        "email,name,status,joined_at,source,consent,updated_at\n"
        "userunknown@example.jp,,active,2015-01-01T00:00:00Z,import,,2015-01-01T00:00:00Z\n",
        encoding="utf-8",
    )
    (publication / "events" / "events.sqlite3").mkdir(parents=True)  # not a file SQLite can open
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1.M1.mx").write_bytes((DATA / "bounces" / "variant-verified-lhost-gmail-01.eml").read_bytes())
    (maildir / "new" / "2.M2.mx").write_bytes((DATA / "inbox" / "14_unsubscribe_authenticated.eml").read_bytes())
    result = CliRunner().invoke(
        cli, ["--config", str(publication / "newsletter.toml"), "inbox", "--maildir", str(maildir)]
    )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines == [
        "<unsub-auth-14@example.com>: rahul.verma@example.com is not in the list: left as it is",
        "  read as: request to unsubscribe ('Please take me off'): \"Please take me off the list.\"",
        "failed: <047d7bdca0c250c6c004fe72bd32@google.com>: a hard bounce (gmail) for userunknown@example.jp cannot be "
        f"applied (cannot use the events file {publication / 'events' / 'events.sqlite3'} (unable to open database "
        "file): check the disk and the folder's permissions)",
        f"Maildir {maildir}: 2 new message(s), 2 about the newsletter, 0 left alone, 0 handled before.",
        "error: 1 message(s) could not be fully handled (the 'failed:' lines above); everything else was saved and "
        "these are read again on the next run: fix the cause or move them out of the mailbox.",
    ]
    assert CliRunner().invoke(
        cli, ["--config", str(publication / "newsletter.toml"), "subscribers", "list"]
    ).output == ("userunknown@example.jp\t\tactive\n")
