"""The send ledger: records in, per-recipient statuses out, and a torn tail after SIGKILL tolerated."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newsletter.errors import SendError
from newsletter.sending.ledger import (
    CANCELLED,
    INTERRUPTED,
    LedgerWriter,
    format_report,
    iter_report_json,
    ledger_path,
    read_ledger,
)
from newsletter.sending.ledger_entries import OUTCOMES, Entries, Entry


def write(path: Path, *records: dict[str, object]) -> None:
    with LedgerWriter(path) as writer:
        for record in records:
            writer.append(record)


def statuses(path: Path) -> dict[str, tuple[str, str, str]]:
    return {key: (e.status, e.message_id, e.reason) for key, e in read_ledger(path).entries.items()}


START = {"type": "start", "run": 1, "at": "2015-03-16T09:00:00+00:00", "provider": "sendgrid", "batch_id": ""}


def test_paths() -> None:
    assert ledger_path(Path("sends"), "2015-03-16") == Path("sends/2015-03-16.jsonl")
    assert ledger_path(Path("sends"), "2015-03-16", sandbox=True) == Path("sends/2015-03-16.sandbox.jsonl")


def test_missing_ledger_is_empty(tmp_path: Path) -> None:
    state = read_ledger(tmp_path / "none.jsonl")
    assert state.runs == [] and state.entries == {} and state.next_batch == 1 and state.start is None


def test_statuses_follow_intent_and_outcome(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    write(
        path,
        START,
        {"type": "recipients", "run": 1, "emails": ["A@x.org", "b@x.org", "c@x.org", "d@x.org", "e@x.org"]},
        {"type": "skipped", "run": 1, "recipients": [["gone@x.org", "unsubscribed"]]},
        {"type": "intent", "run": 1, "batch": 1, "emails": ["A@x.org", "b@x.org"]},
        {"type": "intent", "run": 1, "batch": 2, "emails": ["c@x.org"]},
        {"type": "outcome", "run": 1, "batch": 1, "status": "sent", "message_id": "msg-1"},
        {"type": "intent", "run": 1, "batch": 3, "emails": ["d@x.org"]},
        {"type": "outcome", "run": 1, "batch": 3, "status": "failed", "reason": "SendGrid answered 503"},
    )
    assert statuses(path) == {
        "a@x.org": ("sent", "msg-1", ""),
        "b@x.org": ("sent", "msg-1", ""),
        "c@x.org": ("in_doubt", "", INTERRUPTED),  # intent without outcome: killed during the request
        "d@x.org": ("failed", "", "SendGrid answered 503"),
        "e@x.org": ("pending", "", ""),
        "gone@x.org": ("skipped", "", "unsubscribed"),
    }
    state = read_ledger(path)
    assert state.counts() == {"sent": 2, "failed": 1, "in_doubt": 1, "pending": 1, "skipped": 1}
    assert state.next_batch == 4
    assert state.entries["a@x.org"].email == "A@x.org"  # shown as the subscriber wrote it


def test_per_recipient_overrides(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    write(
        path,
        {"type": "intent", "run": 1, "batch": 1, "emails": ["a@x.org", "b@x.org", "c@x.org"]},
        {
            "type": "outcome",
            "run": 1,
            "batch": 1,
            "status": "sent",
            "recipients": {"b@x.org": ["failed", "", "550 no such user"], "c@x.org": ["in_doubt", "<m@x>", "drop"]},
        },
    )
    assert statuses(path) == {
        "a@x.org": ("sent", "", ""),
        "b@x.org": ("failed", "", "550 no such user"),
        "c@x.org": ("in_doubt", "<m@x>", "drop"),
    }


def test_later_runs_never_hide_a_sent_copy(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    write(
        path,
        {"type": "recipients", "run": 1, "emails": ["a@x.org", "b@x.org", "c@x.org"]},
        {"type": "intent", "run": 1, "batch": 1, "emails": ["a@x.org"]},
        {"type": "outcome", "run": 1, "batch": 1, "status": "sent", "message_id": "m1"},
        {"type": "intent", "run": 1, "batch": 2, "emails": ["b@x.org"]},
        {"type": "outcome", "run": 1, "batch": 2, "status": "failed", "reason": "503"},
        # Run 2: all three unsubscribed meanwhile; then run 3: c is active again.
        {"type": "skipped", "run": 2, "recipients": [["a@x.org", "unsubscribed"], ["b@x.org", "unsubscribed"]]},
        {"type": "skipped", "run": 2, "recipients": [["c@x.org", "unsubscribed"]]},
        {"type": "recipients", "run": 3, "emails": ["a@x.org", "c@x.org"]},
    )
    assert statuses(path) == {
        "a@x.org": ("sent", "m1", ""),
        "b@x.org": ("skipped", "", "unsubscribed"),
        "c@x.org": ("pending", "", ""),
    }


def scheduled_ledger(folder: Path) -> Path:
    """A run scheduled for 2015-03-16 09:00 UTC: a@ accepted, b@'s batch interrupted before its outcome."""
    path = folder / "x.jsonl"
    write(
        path,
        {**START, "send_at": 1426496400, "batch_id": "batch-1"},
        {"type": "intent", "run": 1, "batch": 1, "emails": ["a@x.org"]},
        {"type": "outcome", "run": 1, "batch": 1, "status": "sent", "message_id": "m1"},
        {"type": "intent", "run": 1, "batch": 2, "emails": ["b@x.org"]},
    )
    return path


def test_a_scheduled_copy_is_scheduled_until_its_time_then_sent(tmp_path: Path) -> None:
    path = scheduled_ledger(tmp_path)
    before = read_ledger(path, now=datetime(2015, 3, 16, 8, 59, 59, tzinfo=UTC))
    assert {key: entry.status for key, entry in before.entries.items()} == {
        "a@x.org": "scheduled",
        "b@x.org": "in_doubt",
    }
    assert before.counts() == {"sent": 0, "failed": 0, "in_doubt": 1, "pending": 0, "skipped": 0, "scheduled": 1}
    assert format_report(before)[1:] == [
        "sent      0",
        "failed    0",
        "in doubt  1",
        "pending   0",
        "skipped   0",
        "scheduled 1",
        "in doubt (resent only with --resend-in-doubt):",
        f"  b@x.org: {INTERRUPTED}",
    ]
    after = read_ledger(path, now=datetime(2015, 3, 16, 9, 0, tzinfo=UTC))
    assert after.counts() == {"sent": 1, "failed": 0, "in_doubt": 1, "pending": 0, "skipped": 0, "scheduled": 0}
    assert after.entries["a@x.org"] == Entry("a@x.org", "sent", "", "m1", 1)


def test_cancel_makes_the_scheduled_run_pending_again(tmp_path: Path) -> None:
    path = scheduled_ledger(tmp_path)
    assert read_ledger(path).schedule == (1426496400, "batch-1")
    assert format_report(read_ledger(path))[0] == (
        "run 1: 2015-03-16T09:00:00+00:00 via sendgrid, scheduled for 2015-03-16 09:00 UTC (batch batch-1)"
    )
    write(path, {"type": "cancel", "batch_id": "batch-1", "at": "2015-03-16T08:00:00+00:00"})
    state = read_ledger(path, now=datetime(2015, 3, 16, 8, 0, tzinfo=UTC))
    assert state.schedule is None
    # Neither copy will ever go out (the in-doubt one was under the batch id too): both wait for the next send.
    assert statuses(path) == {"a@x.org": ("pending", "", CANCELLED), "b@x.org": ("pending", "", CANCELLED)}
    assert state.counts() == {"sent": 0, "failed": 0, "in_doubt": 0, "pending": 2, "skipped": 0, "scheduled": 0}


def test_torn_last_line_is_ignored_then_cut(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    write(path, {"type": "intent", "run": 1, "batch": 1, "emails": ["a@x.org"]})
    with path.open("ab") as handle:
        handle.write(b'{"type":"outcome","run":1,"batch":1,"sta')  # killed in the middle of a write
    state = read_ledger(path)
    assert state.torn is True
    assert statuses(path) == {"a@x.org": ("in_doubt", "", INTERRUPTED)}
    write(path, {"type": "outcome", "run": 1, "batch": 1, "status": "sent", "message_id": "m1"})
    assert path.read_bytes().count(b"\n") == 2 and b'"sta\n' not in path.read_bytes()
    assert statuses(path) == {"a@x.org": ("sent", "m1", "")}
    assert read_ledger(path).torn is False


def test_torn_only_line(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"type":"sta')
    assert read_ledger(path).entries == {}
    write(path, START)
    assert path.read_bytes() == json.dumps(START, separators=(",", ":")).encode() + b"\n"


def test_damaged_line_in_the_middle_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"type":"start"}\nnot json\n{"type":"start"}\n')
    with pytest.raises(SendError) as error:
        read_ledger(path)
    assert str(error.value) == (
        f"{path}:2: the send ledger is damaged (Expecting value: line 1 column 1 (char 0)): restore it from a "
        "backup; do not edit it by hand."
    )


def test_records_are_single_fsynced_lines(tmp_path: Path) -> None:
    path = tmp_path / "sends" / "x.jsonl"
    write(path, {"type": "skipped", "run": 1, "recipients": [["செல்வி@x.org", "bounced"]]})
    assert path.read_bytes() == '{"type":"skipped","run":1,"recipients":[["செல்வி@x.org","bounced"]]}\n'.encode()


def test_chunked_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("newsletter.sending.ledger.CHUNK", 2)
    path = tmp_path / "x.jsonl"
    with LedgerWriter(path) as writer:
        writer.append_chunked("recipients", "emails", ["a", "b", "c"], {"run": 1})
    assert path.read_text().splitlines() == [
        '{"type":"recipients","run":1,"emails":["a","b"]}',
        '{"type":"recipients","run":1,"emails":["c"]}',
    ]


def test_report_json_shape(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    write(
        path,
        {"type": "recipients", "run": 1, "emails": ["a@x.org", "b@x.org"]},
        {"type": "skipped", "run": 1, "recipients": [["c@x.org", "bounced"]]},
        {"type": "intent", "run": 1, "batch": 1, "emails": ["a@x.org"]},
        {"type": "outcome", "run": 1, "batch": 1, "status": "sent", "message_id": "msg-1"},
    )
    text = "".join(iter_report_json(read_ledger(path)))
    assert json.loads(text) == {
        "counts": {"sent": 1, "failed": 0, "in_doubt": 0, "pending": 1, "skipped": 1},
        "recipients": [
            {"email": "a@x.org", "status": "sent", "message_id": "msg-1"},
            {"email": "b@x.org", "status": "pending", "message_id": ""},
            {"email": "c@x.org", "status": "skipped", "message_id": ""},
        ],
    }
    empty = "".join(iter_report_json(read_ledger(tmp_path / "none.jsonl")))
    assert json.loads(empty) == {
        "counts": {"sent": 0, "failed": 0, "in_doubt": 0, "pending": 0, "skipped": 0},
        "recipients": [],
    }


def test_report_for_people(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    write(
        path,
        START,
        {"type": "skipped", "run": 1, "recipients": [["c@x.org", "bounced"], ["d@x.org", "unsubscribed"]]},
        {"type": "intent", "run": 1, "batch": 1, "emails": ["a@x.org"]},
        {"type": "outcome", "run": 1, "batch": 1, "status": "in_doubt", "reason": "no answer from SendGrid"},
        {"type": "intent", "run": 1, "batch": 2, "emails": ["b@x.org"]},
        {"type": "outcome", "run": 1, "batch": 2, "status": "failed", "reason": "SendGrid answered 503 6 times"},
    )
    assert format_report(read_ledger(path)) == [
        "run 1: 2015-03-16T09:00:00+00:00 via sendgrid",
        "sent      0",
        "failed    1",
        "in doubt  1",
        "pending   0",
        "skipped   2 (bounced 1, unsubscribed 1)",
        "failed (resent only with --retry-failed):",
        "  b@x.org: SendGrid answered 503 6 times",
        "in doubt (resent only with --resend-in-doubt):",
        "  a@x.org: no answer from SendGrid",
    ]


# --- the packed replay (Entries) against the replay it replaced: one Entry object per recipient in a dict ---------


def replay_by_objects(records: list[dict[str, Any]], now: float) -> dict[str, tuple[str, str, str, str, int]]:
    """The ledger's rules written the plain way (the implementation before Entries): the oracle for the packed one,
    as they stand at `now` (epoch seconds)."""
    entries: dict[str, list[Any]] = {}  # key -> [email, status, reason, message_id, batch]
    open_batches: dict[int, list[str]] = {}
    batch_runs: dict[int, int] = {}
    runs: list[dict[str, Any]] = []
    for record in records:
        kind = record["type"]
        if kind == "start":
            runs.append(record)
        elif kind == "recipients":
            for email in record["emails"]:
                entry = entries.setdefault(email.lower(), [email, "pending", "", "", 0])
                if entry[1] == "skipped":
                    entry[1], entry[2] = "pending", ""
        elif kind == "skipped":
            for email, reason in record["recipients"]:
                entry = entries.setdefault(email.lower(), [email, "skipped", reason, "", 0])
                if entry[1] in ("pending", "skipped", "failed"):
                    entry[1], entry[2] = "skipped", reason
        elif kind == "intent":
            keys = [email.lower() for email in record["emails"]]
            for email, key in zip(record["emails"], keys, strict=True):
                entry = entries.setdefault(key, [email, "", "", "", 0])
                entry[1:] = ["in_doubt", INTERRUPTED, "", record["batch"]]
            open_batches[record["batch"]] = keys
            batch_runs[record["batch"]] = record["run"]
        elif kind == "outcome":
            overrides = record.get("recipients") or {}
            for key in open_batches.pop(record["batch"], []):
                default = [record["status"], record.get("message_id", ""), record.get("reason", "")]
                status, message_id, reason = overrides.get(key, default)
                if status == "sent" and scheduled_at(runs, batch_runs[record["batch"]]) is not None:
                    status = "scheduled"
                entries[key][1:4] = [status, reason, message_id]
        elif kind == "cancel":
            cancelled = {run["run"] for run in runs if run.get("batch_id") == record["batch_id"]}
            for entry in entries.values():
                if entry[1] in ("sent", "scheduled", "in_doubt") and batch_runs.get(entry[4]) in cancelled:
                    entry[1], entry[2], entry[3] = "pending", CANCELLED, ""
    for entry in entries.values():
        send_at = scheduled_at(runs, batch_runs.get(entry[4], 0))
        if entry[1] == "scheduled" and send_at is not None and send_at <= now:
            entry[1] = "sent"
    return {key: (e[0], e[1], e[2], e[3], e[4]) for key, e in entries.items()}


def scheduled_at(runs: list[dict[str, Any]], number: int) -> int | None:
    """The send_at of run `number` if it was scheduled (a batch id and a time), else None."""
    run = next((run for run in runs if run["run"] == number), {})
    return run["send_at"] if run.get("batch_id") and run.get("send_at") is not None else None


def random_ledger(seed: int) -> list[dict[str, Any]]:
    """Runs of snapshots, skips, batches with outcomes and per-address overrides, batches left open (in doubt),
    addresses in several spellings of case, non-ASCII ones, duplicates within a record, and a cancelled schedule."""
    rng = random.Random(seed)
    pool = [f"reader{n}@example.org" for n in range(900)] + [f"செல்வி{n}@example.in" for n in range(20)]

    def spell(email: str) -> str:
        return email.upper() if rng.random() < 0.05 else email

    records: list[dict[str, Any]] = []
    batch = 1
    for run in range(1, 4):
        scheduled = f"batch-{run}" if run == 2 else ""
        records.append({"type": "start", "run": run, "batch_id": scheduled, "send_at": 1426500000})
        snapshot = [spell(email) for email in rng.sample(pool, 700)]
        records += [{"type": "recipients", "run": run, "emails": snapshot[at : at + 300]} for at in (0, 300, 600)]
        skips = [[spell(email), rng.choice(["unsubscribed", "bounced"])] for email in rng.sample(pool, 60)]
        records.append({"type": "skipped", "run": run, "recipients": skips + skips[:3]})
        for _ in range(rng.randrange(5, 12)):
            emails = [spell(email) for email in rng.sample(snapshot, rng.randrange(1, 80))]
            records.append({"type": "intent", "run": run, "batch": batch, "emails": emails + emails[:1]})
            if rng.random() < 0.85:  # the rest stay open: in doubt
                outcome = {"type": "outcome", "run": run, "batch": batch, "status": rng.choice(OUTCOMES)}
                outcome |= {"message_id": f"<m{batch}@sg>"} if outcome["status"] == "sent" else {"reason": "503"}
                if rng.random() < 0.3:
                    picked = rng.sample(emails, min(3, len(emails)))
                    outcome["recipients"] = {e.lower(): ["failed", "", 'refused: 550 "no"'] for e in picked}
                records.append(outcome)
            batch += 1
        if run == 2 and rng.random() < 0.7:
            records.append({"type": "cancel", "batch_id": "batch-2", "at": "2015-03-16T10:00:00+00:00"})
    return records


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("now", [1426499999, 1426500000])  # just before run 2's send_at, and at it
def test_packed_replay_matches_the_plain_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, now: int
) -> None:
    monkeypatch.setattr(Entries, "BLOCK", 64)  # many full blocks and an open one, at a few hundred addresses
    records = random_ledger(seed)
    path = tmp_path / "x.jsonl"
    write(path, *records)
    expected = replay_by_objects(records, now)
    entries = read_ledger(path, now=datetime.fromtimestamp(now, UTC)).entries
    assert [(key, tuple(entry)) for key, entry in entries.items()] == list(expected.items())
    assert list(entries) == list(expected) and len(entries) == len(expected)
    for key, (email, status, reason, message_id, batch) in expected.items():
        assert entries[key] == Entry(email, status, reason, message_id, batch)
        assert entries.get(key.upper().lower()) == entries[key] and key in entries
    assert "nobody@example.org" not in entries and entries.get("nobody@example.org") is None
    with pytest.raises(KeyError):
        entries["nobody@example.org"]


def test_statuses_after_replay_at_block_and_table_edges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Entries, "BLOCK", 4)
    path = tmp_path / "x.jsonl"
    emails = [f"r{n}@x.org" for n in range(41)]  # 10 full blocks and one open; the table grows 3 times
    write(
        path,
        START,
        {"type": "recipients", "run": 1, "emails": emails},
        {"type": "intent", "run": 1, "batch": 1, "emails": emails[3:9]},
        {"type": "outcome", "run": 1, "batch": 1, "status": "sent", "message_id": "m1"},
        {"type": "intent", "run": 1, "batch": 2, "emails": ["R40@X.org", "new@x.org"]},
    )
    state = read_ledger(path)
    got = {key: (e.status, e.message_id, e.reason, e.batch) for key, e in state.entries.items()}
    assert got == {
        **{f"r{n}@x.org": ("pending", "", "", 0) for n in range(41)},
        **{f"r{n}@x.org": ("sent", "m1", "", 1) for n in range(3, 9)},
        "r40@x.org": ("in_doubt", "", INTERRUPTED, 2),
        "new@x.org": ("in_doubt", "", INTERRUPTED, 2),
    }
    assert list(got)[-1] == "new@x.org" and state.entries["r40@x.org"].email == "r40@x.org"  # first spelling kept
    assert state.counts() == {"sent": 6, "failed": 0, "in_doubt": 2, "pending": 34, "skipped": 0}
    assert state.status_of("R5@x.ORG") == "sent" and state.status_of("r99@x.org") is None
    assert state.next_batch == 3


def test_torn_line_after_many_records_keeps_every_status(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    emails = [f"r{n:04d}@x.org" for n in range(2500)]
    write(
        path,
        START,
        {"type": "recipients", "run": 1, "emails": emails},
        {"type": "intent", "run": 1, "batch": 1, "emails": emails[:1000]},
        {"type": "outcome", "run": 1, "batch": 1, "status": "sent", "message_id": "m1"},
        {"type": "intent", "run": 1, "batch": 2, "emails": emails[1000:2000]},
    )
    with path.open("ab") as handle:
        handle.write(b'{"type":"outcome","run":1,"batch":2,"status":"se')  # SIGKILL mid-write
    state = read_ledger(path)
    assert state.torn is True
    assert state.counts() == {"sent": 1000, "failed": 0, "in_doubt": 1000, "pending": 500, "skipped": 0}
    assert [state.entries[email].status for email in (emails[999], emails[1000], emails[1999], emails[2000])] == [
        "sent",
        "in_doubt",
        "in_doubt",
        "pending",
    ]
    assert state.entries[emails[1500]] == Entry(emails[1500], "in_doubt", INTERRUPTED, "", 2)


def test_report_json_is_byte_for_byte_json_dumps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("newsletter.sending.ledger.REPORT_CHUNK", 2)  # items across several chunks
    path = tmp_path / "x.jsonl"
    odd = ['q"uote@x.org', "back\\slash@x.org", "செல்வி@x.org", "tab\t@x.org", "Mixed@X.org"]
    write(
        path,
        {"type": "recipients", "run": 1, "emails": odd},
        {"type": "intent", "run": 1, "batch": 1, "emails": odd[:3]},
        {"type": "outcome", "run": 1, "batch": 1, "status": "sent", "message_id": '<"id"\\\n@sg>'},
    )
    state = read_ledger(path)
    items = [{"email": e.email, "status": e.status, "message_id": e.message_id} for e in state.entries.values()]
    expected = (
        '{"counts": '
        + json.dumps(state.counts())
        + ', "recipients": [\n  '
        + ",\n  ".join(json.dumps(item, ensure_ascii=False) for item in items)
        + "\n]}\n"
    )
    assert "".join(iter_report_json(state)) == expected
    assert json.loads(expected)["recipients"][4] == {"email": "Mixed@X.org", "status": "pending", "message_id": ""}


def test_entries_are_read_only_copies(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    write(path, {"type": "intent", "run": 1, "batch": 1, "emails": ["a@x.org"]})
    state = read_ledger(path)
    entry = state.entries["a@x.org"]
    with pytest.raises(AttributeError):
        entry.status = "sent"  # type: ignore[misc]
    assert state.entries == {"a@x.org": Entry("a@x.org", "in_doubt", INTERRUPTED, "", 1)}
    assert state.entries != {"a@x.org": Entry("a@x.org", "sent", "", "", 1)}


def test_an_outcome_with_an_unknown_status_is_damage(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    write(
        path,
        {"type": "intent", "run": 1, "batch": 1, "emails": ["a@x.org"]},
        {"type": "outcome", "run": 1, "batch": 1, "status": "delivered"},
    )
    with pytest.raises(SendError) as error:
        read_ledger(path)
    assert str(error.value) == (
        f"{path}:2: the send ledger is damaged (outcome record, KeyError: 'delivered'): restore it from a backup; "
        "do not edit it by hand."
    )


# --- damaged lines: one-line errors for `send`, reported and left out by `report` ------------------------------

BATCH_RANGE = "a whole number from 1 to 4294967295"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"type": "outcome", "batch": "x", "status": "sent"}', f"outcome record, 'batch' must be {BATCH_RANGE}, not 'x'"),
        ('{"type": "outcome", "batch": true, "status": "sent"}', f"outcome record, 'batch' must be {BATCH_RANGE}, not true"),
        ('{"type": "outcome", "batch": 1e400, "status": "sent"}', f"outcome record, 'batch' must be {BATCH_RANGE}, not Infinity"),
        ('{"type": "outcome", "batch": 99999999999999999999, "status": "sent"}',
         f"outcome record, 'batch' must be {BATCH_RANGE}, not 99999999999999999999"),
        ('{"type": "outcome", "batch": 1, "status": "pending"}', "outcome record, KeyError: 'pending'"),
        ('{"type": "outcome", "batch": 1, "status": ["sent"]}',
         "outcome record, 'status' must be one of sent, failed, in_doubt, not a list"),
        ('{"type": "outcome", "batch": 1, "status": "sent", "recipients": ["b@x.org"]}',
         "outcome record, 'recipients' must be an object of per-address results, not a list"),
        ('{"type": "outcome", "batch": 1, "status": "sent", "recipients": {"b@x.org": ["sent", 5, ""]}}',
         "outcome record, the result for 'b@x.org' must be [status, message id, reason], not a list"),
        ('{"type": "outcome", "batch": 1, "status": "sent", "message_id": {"id": 1}}',
         "outcome record, 'message_id' must be text, not an object"),
        ('{"type": "intent", "run": 1, "batch": 2, "emails": "abc"}', "intent record, 'emails' must be a list of addresses, not 'abc'"),
        ('{"type": "intent", "run": 1, "batch": 2, "emails": [1, 2]}', "intent record, 'emails' must be a list of addresses, not a list"),
        ('{"type": "intent", "run": -1, "batch": 2, "emails": []}', "intent record, 'run' must be a whole number from 0 to 4294967295, not -1"),
        ('{"type": "recipients", "emails": {"b@x.org": 1}}', "recipients record, 'emails' must be a list of addresses, not an object"),
        ('{"type": "skipped", "recipients": [["b@x.org"]]}',
         "skipped record, 'recipients' must be a list of [address, reason] pairs, not a list"),
        ('{"type": "start", "run": 2, "send_at": 100000000000000, "batch_id": "b"}',
         "start record, 'send_at' must be a whole number from 0 to 253402300799, not 100000000000000"),
        ('{"type": "start", "run": 2, "parts": ["html"]}', "start record, 'parts' must be an object of content hashes, not a list"),
        ('{"type": "cancel", "batch_id": ["b"]}', "cancel record, 'batch_id' must be text, not a list"),
        ('{"type": 5}', "a record, its type is 5, not a record type such as 'intent'"),
        ('{"type": "intent", "batch": 2, "emails": "\\u001b[2J"}',
         "intent record, 'emails' must be a list of addresses, not '\\x1b[2J'"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('["type", "outcome"]', "a record without a type"),
    ],
)  # fmt: skip
def test_a_damaged_line_stops_send_and_is_left_out_of_the_report(tmp_path: Path, line: str, problem: str) -> None:
    """A send must not guess what a damaged line said: 'not sent' mails those readers twice, 'sent' drops them."""
    path = tmp_path / "x.jsonl"
    write(path, START, {"type": "intent", "run": 1, "batch": 1, "emails": ["a@x.org"]})
    with path.open("ab") as handle:
        handle.write(line.encode() + b"\n")
    write(path, {"type": "outcome", "run": 1, "batch": 1, "status": "sent", "message_id": "m-1"})
    with pytest.raises(SendError) as caught:
        read_ledger(path)
    assert str(caught.value) == (
        f"{path}:3: the send ledger is damaged ({problem}): restore it from a backup; do not edit it by hand."
    )
    state = read_ledger(path, skip_damaged=True)
    assert state.damaged == [(3, problem)]
    assert {key: (e.status, e.message_id) for key, e in state.entries.items()} == {"a@x.org": ("sent", "m-1")}


def test_report_shows_the_rest_and_names_the_damaged_lines_send_stops(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from send_support import Sub, make_publication

    from newsletter.cli import cli

    make_publication(tmp_path, [Sub("asha@example.org", "Asha"), Sub("ravi@example.org", "Ravi")])

    def run(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(cli, ["--config", str(tmp_path / "newsletter.toml"), *args])
        return result.exit_code, result.stdout, result.stderr

    assert run("send", "2015-03-16", "--provider", "outbox", "--yes")[0] == 0
    outbox = sorted(p.name for p in (tmp_path / "outbox").rglob("*.eml"))
    assert len(outbox) == 2
    ledger = tmp_path / "sends" / "2015-03-16.jsonl"
    lines = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(n for n, text in enumerate(lines, 1) if '"type":"outcome"' in text)
    lines[number - 1] = lines[number - 1].replace('"batch":1', '"batch":"1"')
    ledger.write_text("".join(lines), encoding="utf-8")

    problem = f"outcome record, 'batch' must be {BATCH_RANGE}, not '1'"
    code, out, err = run("send", "2015-03-16", "--provider", "outbox", "--yes")
    assert (code, out) == (1, "")
    assert err == (
        f"error: {ledger}:{number}: the send ledger is damaged ({problem}): restore it from a backup; do not edit it "
        "by hand.\n"
    )
    assert sorted(p.name for p in (tmp_path / "outbox").rglob("*.eml")) == outbox  # nobody mailed twice

    code, out, err = run("report", "2015-03-16", "--json")
    assert code == 1
    assert json.loads(out)["counts"] == {"sent": 0, "failed": 0, "in_doubt": 2, "pending": 0, "skipped": 0}
    assert err == (
        f"warning: {ledger}:{number}: the send ledger is damaged ({problem}): left out above.\n"
        f"error: {ledger}: 1 damaged line(s), so the report may be incomplete and `newsletter send` will not "
        "continue this issue: restore the ledger from a backup; do not edit it by hand.\n"
    )
