"""The send ledger: records in, per-recipient statuses out, and a torn tail after SIGKILL tolerated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsletter.errors import SendError
from newsletter.ledger import (
    CANCELLED,
    INTERRUPTED,
    LedgerWriter,
    format_report,
    iter_report_json,
    ledger_path,
    read_ledger,
)


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


def test_cancel_turns_the_scheduled_run_into_failed(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    scheduled = {**START, "send_at": 1426496400, "batch_id": "batch-1"}
    write(
        path,
        scheduled,
        {"type": "intent", "run": 1, "batch": 1, "emails": ["a@x.org"]},
        {"type": "outcome", "run": 1, "batch": 1, "status": "sent", "message_id": "m1"},
        {"type": "intent", "run": 1, "batch": 2, "emails": ["b@x.org"]},
    )
    assert read_ledger(path).schedule == (1426496400, "batch-1")
    assert format_report(read_ledger(path))[0] == (
        "run 1: 2015-03-16T09:00:00+00:00 via sendgrid, scheduled for 2015-03-16 09:00 UTC (batch batch-1)"
    )
    write(path, {"type": "cancel", "batch_id": "batch-1", "at": "2015-03-16T09:00:00+00:00"})
    state = read_ledger(path)
    assert state.schedule is None
    assert statuses(path) == {"a@x.org": ("failed", "m1", CANCELLED), "b@x.org": ("failed", "", CANCELLED)}


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
    monkeypatch.setattr("newsletter.ledger.CHUNK", 2)
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
