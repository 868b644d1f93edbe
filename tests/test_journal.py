"""The journal of reader changes: appended durably by each process to its own file, read back in order, folded
into subscribers.csv once (sticky statuses kept), and never applied twice or lost when the applier crashes at any
step, even when an editor's command changes the list between the crash and the next apply."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import newsletter.subscribers.journal_apply as journal_apply
from conftest import require
from newsletter.errors import JournalError
from newsletter.subscribers.journal import (
    APPLIED_NAME,
    INTENT_NAME,
    Change,
    JournalWriter,
    decode_change,
    encode_change,
    pending_changes,
    read_pending,
    status_after,
)
from newsletter.subscribers.journal_apply import apply_journal
from newsletter.subscribers.journal_done import Outcome, has_outcomes, take_outcomes
from newsletter.subscribers.listfile import read_subscribers
from newsletter.subscribers.store import remove_subscriber

HEADER = "email,name,status,joined_at,source,consent,updated_at,reason\n"
OLD = "2015-02-01T09:00:00Z"
T0 = datetime(2015, 3, 20, 9, 30, 0, 250_000, tzinfo=UTC)


def row(email: str, status: str, name: str = "") -> str:
    return f"{email},{name},{status},{OLD},cli,,{OLD},\n"


def change(n: int, email: str, status: str, *, request: bool = False, name: str = "", seconds: int = 0) -> Change:
    evidence = {"at": "2015-03-20T09:30:00Z", "ip": "203.0.113.7"} if status in ("pending", "active") else {}
    reason = {"unsubscribed": "one-click unsubscribe (web)"}.get(status, "")
    return Change(
        id=f"c{n}",
        at=T0 + timedelta(seconds=seconds),
        email=email,
        status=status,
        reader_request=request,
        name=name,
        reason=reason,
        evidence=evidence,
    )


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    csv = tmp_path / "subscribers.csv"
    csv.write_text(
        HEADER
        + row("asha@example.org", "active", "Asha")
        + row("ravi@example.org", "unsubscribed")
        + row("bo@example.org", "bounced")
        + row("cy@example.org", "complained")
        + row("meera@example.org", "pending", "Meera"),
        encoding="utf-8",
    )
    return csv, tmp_path / "journal"


def journal(directory: Path, *changes: Change) -> None:
    writer = JournalWriter(directory)
    writer.append(list(changes))
    writer.close()


def test_a_line_holds_every_field_and_reads_back_the_same() -> None:
    original = change(1, "léa@example.org", "pending", name="Léa \u0928", seconds=3)
    line = encode_change(original)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {
        "id": "c1",
        "at": "2015-03-20T09:30:03.250000Z",
        "email": "léa@example.org",
        "status": "pending",
        "reader_request": False,
        "name": "Léa \u0928",
        "reason": "",
        "evidence": {"at": "2015-03-20T09:30:00Z", "ip": "203.0.113.7"},
    }
    assert decode_change(line) == original


@pytest.mark.parametrize(
    "line",
    [b"[]", b'{"id": "x"}', b'{"id": "x", "email": "a@b.org", "status": "gone", "at": "2015-03-20T09:30:00Z"}',
     b'{"id": 1, "email": "a@b.org", "status": "active", "at": "2015-03-20T09:30:00Z"}', b"{not json"],
)  # fmt: skip
def test_lines_that_are_not_changes_are_refused(line: bytes) -> None:
    with pytest.raises(ValueError):
        decode_change(line)


def test_each_writer_has_its_own_file_and_changes_read_back_in_time_order(tmp_path: Path) -> None:
    first, second = JournalWriter(tmp_path), JournalWriter(tmp_path)
    first.append([change(1, "a@example.org", "unsubscribed", seconds=2)])
    second.append(
        [change(2, "b@example.org", "unsubscribed", seconds=1), change(3, "a@example.org", "pending", seconds=3)]
    )
    assert first.path != second.path
    assert sorted(p.name for p in tmp_path.glob("*.jsonl")) == sorted([first.path.name, second.path.name])  # type: ignore[union-attr]
    assert [c.id for c in read_pending(tmp_path).changes] == ["c2", "c1", "c3"]
    assert {key: [c.id for c in changes] for key, changes in pending_changes(tmp_path).items()} == {
        "a@example.org": ["c1", "c3"],
        "b@example.org": ["c2"],
    }
    first.close()
    second.close()


def test_a_line_still_being_written_is_not_read_until_it_is_whole(tmp_path: Path) -> None:
    journal(tmp_path, change(1, "a@example.org", "unsubscribed"))
    path = next(tmp_path.glob("*.jsonl"))
    whole = encode_change(change(2, "b@example.org", "unsubscribed"))
    with path.open("ab") as handle:
        handle.write(whole[:20])
    assert [c.id for c in read_pending(tmp_path).changes] == ["c1"]
    with path.open("ab") as handle:
        handle.write(whole[20:])
    assert [c.id for c in read_pending(tmp_path).changes] == ["c1", "c2"]


def test_a_damaged_line_is_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    journal(tmp_path, change(1, "a@example.org", "unsubscribed"))
    path = next(tmp_path.glob("*.jsonl"))
    good = path.stat().st_size
    with path.open("ab") as handle:
        handle.write(b'{"id": "broken\n' + encode_change(change(2, "b@example.org", "unsubscribed")))
    read = read_pending(tmp_path)
    assert [c.id for c in read.changes] == ["c1", "c2"]
    assert read.problems == [f"{path}: byte {good}: not a journal entry: left out."]


def test_a_failed_write_leaves_no_torn_line_and_the_next_append_uses_a_new_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = JournalWriter(tmp_path)
    writer.append([change(1, "a@example.org", "unsubscribed")])
    first = writer.path
    real_write = os.write

    def disk_full(fd: int, data: bytes | memoryview) -> int:
        real_write(fd, bytes(data)[:10])  # part of the line reaches the file, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("newsletter.subscribers.journal.os.write", disk_full)
    with pytest.raises(JournalError) as failure:
        writer.append([change(2, "b@example.org", "unsubscribed")])
    assert str(failure.value) == (
        f"cannot write the journal {first} (No space left on device): free disk space or fix the folder's "
        "permissions; the reader was told to try again."
    )
    monkeypatch.setattr("newsletter.subscribers.journal.os.write", real_write)
    assert first is not None and first.read_bytes() == encode_change(change(1, "a@example.org", "unsubscribed"))
    writer.append([change(3, "c@example.org", "unsubscribed")])
    assert writer.path != first
    writer.close()
    assert [c.id for c in read_pending(tmp_path).changes] == ["c1", "c3"]


def test_status_after_follows_the_sticky_rules() -> None:
    unsubscribe, sign_up = change(1, "a@example.org", "unsubscribed"), change(2, "a@example.org", "pending")
    confirm = change(3, "a@example.org", "active", request=True)
    assert status_after("active", [unsubscribe]) == "unsubscribed"
    assert status_after("active", [unsubscribe, sign_up]) == "unsubscribed"
    assert status_after("active", [unsubscribe, sign_up, confirm]) == "active"
    assert status_after("bounced", [confirm]) == "bounced"
    assert status_after("complained", [confirm]) == "complained"
    assert status_after(None, [unsubscribe]) is None
    assert status_after(None, [sign_up]) == "pending"
    assert status_after(None, [sign_up, confirm, unsubscribe]) == "unsubscribed"


def test_apply_folds_every_change_in_one_rewrite_under_the_sticky_rules(folders: tuple[Path, Path]) -> None:
    csv, directory = folders
    journal(
        directory,
        change(1, "asha@example.org", "unsubscribed"),
        change(2, "ravi@example.org", "pending", name="Ravi"),
        change(3, "ravi@example.org", "active", request=True, seconds=60),
        change(4, "bo@example.org", "active", request=True),
        change(5, "cy@example.org", "active", request=True),
        change(6, "new@example.org", "pending", name="New Reader"),
        change(7, "meera@example.org", "active", request=True, name="Meera I."),
        change(8, "stranger@example.org", "unsubscribed"),
    )
    report = apply_journal(csv, directory)
    assert [(a.change.id, a.before, a.after) for a in report.applied] == [
        ("c1", "active", "unsubscribed"),
        ("c2", "unsubscribed", None),
        ("c4", "bounced", None),
        ("c5", "complained", None),
        ("c6", None, "pending"),
        ("c7", "pending", "active"),
        ("c8", None, None),
        ("c3", "unsubscribed", "active"),
    ]
    assert report.problems == [] and report.recovered == ""
    consent = '"{""at"": ""2015-03-20T09:30:00Z"", ""ip"": ""203.0.113.7"", ""method"": ""web""}"'
    assert csv.read_text(encoding="utf-8") == (
        HEADER
        + "asha@example.org,Asha,unsubscribed,2015-02-01T09:00:00Z,cli,,2015-03-20T09:30:00Z,one-click unsubscribe (web)\n"
        + f"ravi@example.org,,active,2015-02-01T09:00:00Z,cli,{consent},2015-03-20T09:31:00Z,\n"
        + row("bo@example.org", "bounced")
        + row("cy@example.org", "complained")
        + f"meera@example.org,Meera I.,active,2015-02-01T09:00:00Z,cli,{consent},2015-03-20T09:30:00Z,\n"
        + f"new@example.org,New Reader,pending,2015-03-20T09:30:00Z,web,{consent},2015-03-20T09:30:00Z,\n"
    )
    assert pending_changes(directory) == {}
    before = csv.read_bytes()
    again = apply_journal(csv, directory)
    assert again.applied == [] and csv.read_bytes() == before


def test_a_confirmation_keeps_the_sign_up_it_confirms_in_the_consent(folders: tuple[Path, Path]) -> None:
    csv, directory = folders
    journal(directory, change(1, "new@example.org", "pending"))
    apply_journal(csv, directory)
    confirm = Change(
        "c2", T0 + timedelta(minutes=5), "new@example.org", "active", True, evidence={"ip": "198.51.100.2"}
    )
    journal(directory, confirm)
    apply_journal(csv, directory)
    row = next(r for r in read_subscribers(csv) if r.email == "new@example.org")
    assert json.loads(row.consent) == {
        "method": "web",
        "ip": "198.51.100.2",
        "request": {"method": "web", "at": "2015-03-20T09:30:00Z", "ip": "203.0.113.7"},
    }
    assert (row.status, row.joined_at, row.updated_at) == ("active", "2015-03-20T09:30:00Z", "2015-03-20T09:35:00Z")


def test_finished_files_are_deleted_once_applied_and_a_live_writers_file_stays(folders: tuple[Path, Path]) -> None:
    csv, directory = folders
    journal(directory, change(1, "asha@example.org", "unsubscribed"))
    live = JournalWriter(directory)
    live.append([change(2, "ravi@example.org", "pending")])
    report = apply_journal(csv, directory)
    assert live.path is not None
    assert [p.name for p in directory.glob("*.jsonl")] == [live.path.name]
    assert len(report.removed) == 1
    assert json.loads((directory / APPLIED_NAME).read_text())["files"] == {live.path.name: live.path.stat().st_size}
    live.close()
    assert apply_journal(csv, directory).removed == [live.path.name]
    assert list(directory.glob("*.jsonl")) == []
    assert json.loads((directory / APPLIED_NAME).read_text())["files"] == {}


class Crash(BaseException):
    """Stands for SIGKILL at one step: nothing after it runs, and the lock is released as the kernel would."""


def _crash_when(monkeypatch: pytest.MonkeyPatch, target: str, name: str) -> None:
    real = getattr(journal_apply, target)

    def crashing(path: Path, *args: object) -> object:
        if Path(path).name == name or str(path) == name:
            raise Crash
        return real(path, *args)

    monkeypatch.setattr(journal_apply, target, crashing)


def _trap(folders: tuple[Path, Path]) -> tuple[Path, Path]:
    """Ravi (unsubscribed) confirms a sign-up: applied twice around an editor's removal it would wrongly undo it."""
    csv, directory = folders
    journal(
        directory, change(1, "ravi@example.org", "active", request=True), change(2, "asha@example.org", "unsubscribed")
    )
    return csv, directory


def _statuses(csv: Path) -> dict[str, str]:
    return {r.email: r.status for r in read_subscribers(csv)}


def test_a_crash_while_staging_changes_nothing_and_the_changes_stay_pending(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    csv, directory = _trap(folders)
    before = csv.read_bytes()
    _crash_when(monkeypatch, "write_atomic", "subscribers.csv.new")
    with pytest.raises(Crash):
        apply_journal(csv, directory)
    monkeypatch.undo()
    assert csv.read_bytes() == before and not (directory / INTENT_NAME).exists()
    assert sorted(pending_changes(directory)) == ["asha@example.org", "ravi@example.org"]
    report = apply_journal(csv, directory)
    assert (report.recovered, report.changed) == ("", 2)
    assert _statuses(csv)["ravi@example.org"] == "active"


def test_a_crash_before_the_list_is_replaced_is_undone_even_if_the_editor_changed_the_list(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    csv, directory = _trap(folders)
    _crash_when(monkeypatch, "_replace_list", "subscribers.csv")
    with pytest.raises(Crash):
        apply_journal(csv, directory)
    monkeypatch.undo()
    assert (directory / INTENT_NAME).exists() and (directory / "subscribers.csv.new").exists()
    assert sorted(pending_changes(directory)) == ["asha@example.org", "ravi@example.org"]
    with csv.open("a", encoding="utf-8") as spreadsheet:  # the editor, between the crash and the next apply
        spreadsheet.write(row("new@example.org", "active"))  # (a command would fold the journal first, below)
    report = apply_journal(csv, directory)
    assert (report.recovered, report.changed) == ("undone", 2)
    assert _statuses(csv) == {
        "asha@example.org": "unsubscribed",
        "ravi@example.org": "active",
        "bo@example.org": "bounced",
        "cy@example.org": "complained",
        "meera@example.org": "pending",
        "new@example.org": "active",
    }
    assert not (directory / "subscribers.csv.new").exists() and not (directory / INTENT_NAME).exists()


def test_a_crash_after_the_list_is_replaced_is_completed_and_nothing_is_applied_twice(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    csv, directory = _trap(folders)
    _crash_when(monkeypatch, "_write_json", APPLIED_NAME)
    with pytest.raises(Crash):
        apply_journal(csv, directory)
    monkeypatch.undo()
    assert _statuses(csv)["ravi@example.org"] == "active" and (directory / INTENT_NAME).exists()
    assert pending_changes(directory) == {}  # the list has them: a send planned now must not count them again
    text = csv.read_text(encoding="utf-8")  # the editor, in a spreadsheet, before the applier runs again
    csv.write_text(text.replace("ravi@example.org,,active,", "ravi@example.org,,unsubscribed,"), encoding="utf-8")
    report = apply_journal(csv, directory)
    assert (report.recovered, report.applied) == ("completed", [])
    assert _statuses(csv)["ravi@example.org"] == "unsubscribed"
    assert not (directory / INTENT_NAME).exists()


def test_a_command_that_changes_the_list_folds_the_journal_first_and_recovers_a_crashed_apply(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The editor's command holds the lock the applier would need: it folds what is pending itself (finishing or
    undoing a crashed apply as the applier would), so it acts on what the readers on the web were told."""
    csv, directory = _trap(folders)
    _crash_when(monkeypatch, "_replace_list", "subscribers.csv")
    with pytest.raises(Crash):
        apply_journal(csv, directory)
    monkeypatch.undo()
    # Asha unsubscribed on the web and the applier died: the editor's removal finds her unsubscribed already.
    assert (
        remove_subscriber(csv, "asha@example.org", "asked by phone")
        == "asha@example.org is already unsubscribed (line 2)"
    )
    assert _statuses(csv)["ravi@example.org"] == "active"
    assert pending_changes(directory) == {} and not (directory / INTENT_NAME).exists()
    assert apply_journal(csv, directory).applied == []


def test_a_journal_on_another_file_system_is_refused(folders: tuple[Path, Path]) -> None:
    csv, _ = folders
    shm = Path("/dev/shm")
    require(shm.is_dir() and shm.stat().st_dev != csv.parent.stat().st_dev, "no /dev/shm on another file system")
    with tempfile.TemporaryDirectory(dir=shm) as elsewhere:
        directory = Path(elsewhere)
        journal(directory, change(1, "asha@example.org", "unsubscribed"))
        with pytest.raises(JournalError) as failure:
            apply_journal(csv, directory)
        assert str(failure.value) == (
            f"{directory} is on another file system than {csv}: keep the journal folder beside the list (the "
            "applier replaces the list by renaming its staged copy)."
        )
        assert sorted(pending_changes(directory)) == ["asha@example.org"]


WRITER = """
import sys
from datetime import datetime, UTC
from pathlib import Path
from newsletter.subscribers.journal import Change, JournalWriter

directory, first, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
writer = JournalWriter(directory, rotate_bytes=4096)
for n in range(first, first + count):
    writer.append([Change(f"w{n}", datetime.now(UTC), f"r{n}@example.org", "unsubscribed", reason="web")])
    print(n, flush=True)
"""

APPLIER = """
import sys
from pathlib import Path
from newsletter.subscribers.journal_apply import apply_journal
from newsletter.subscribers.journal_done import Outcome, has_outcomes, take_outcomes
while True:
    apply_journal(Path(sys.argv[1]), Path(sys.argv[2]))
"""


@pytest.mark.slow
def test_writers_and_appliers_in_several_processes_killed_at_random_lose_nothing(tmp_path: Path) -> None:
    csv, directory = tmp_path / "subscribers.csv", tmp_path / "journal"
    readers = 3000
    csv.write_text(HEADER + "".join(row(f"r{n}@example.org", "active") for n in range(readers)))
    directory.mkdir()
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(directory), str(n * 1000), "1000"], stdout=subprocess.PIPE)
        for n in range(3)
    ]
    kills = 0
    try:
        while any(w.poll() is None for w in writers):
            applier = subprocess.Popen([sys.executable, "-c", APPLIER, str(csv), str(directory)])
            try:
                applier.wait(timeout=0.4 + 0.1 * (kills % 5))
            except subprocess.TimeoutExpired:
                applier.kill()  # SIGKILL, at whatever step it is
                applier.wait()
                kills += 1
            assert read_subscribers(csv).problems == []  # always the old list or the new one, never a mix
        acknowledged = [int(n) for w in writers for n in w.communicate()[0].split()]
    finally:
        for w in writers:
            w.kill()
            w.wait()
    assert sorted(acknowledged) == list(range(readers))
    apply_journal(csv, directory)
    statuses = _statuses(csv)
    assert sum(status == "unsubscribed" for status in statuses.values()) == readers
    assert len(statuses) == readers
    assert pending_changes(directory) == {}
    assert list(directory.glob("*.jsonl")) == []


def test_the_same_entry_twice_counts_once(folders: tuple[Path, Path]) -> None:
    csv, directory = folders
    twice = change(1, "asha@example.org", "unsubscribed")
    journal(directory, twice, twice)
    assert [c.id for c in read_pending(directory).changes] == ["c1"]
    assert [(a.change.id, a.after) for a in apply_journal(csv, directory).applied] == [("c1", "unsubscribed")]


def test_what_each_change_did_is_kept_for_the_web_app_whoever_applied(folders: tuple[Path, Path]) -> None:
    csv, directory = folders
    journal(directory, change(1, "new@example.org", "pending"), change(2, "bo@example.org", "active", request=True))
    apply_journal(csv, directory)
    assert has_outcomes(directory)
    taken: list[list[Outcome]] = []
    assert take_outcomes(directory, taken.append) == 1
    assert taken == [[Outcome("c1", "new@example.org", "pending", None, "pending"),
                      Outcome("c2", "bo@example.org", "active", "bounced", None)]]  # fmt: skip
    assert not has_outcomes(directory) and take_outcomes(directory, taken.append) == 0


def test_outcomes_stay_when_their_handler_fails_or_another_worker_holds_them(folders: tuple[Path, Path]) -> None:
    csv, directory = folders
    journal(directory, change(1, "new@example.org", "pending"))
    apply_journal(csv, directory)

    def fails(outcomes: list[Outcome]) -> None:
        raise RuntimeError("the mail server is down")

    with pytest.raises(RuntimeError):
        take_outcomes(directory, fails)
    [path] = (directory / "done").glob("*.jsonl")
    holder = os.open(path, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another worker is sending these
    try:
        assert take_outcomes(directory, fails) == 0
    finally:
        os.close(holder)
    taken: list[list[Outcome]] = []
    assert take_outcomes(directory, taken.append) == 1 and len(taken[0]) == 1


def test_a_crash_after_the_list_is_replaced_still_hands_over_the_outcomes(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    csv, directory = _trap(folders)
    _crash_when(monkeypatch, "write_outcomes", str(directory))
    with pytest.raises(Crash):
        apply_journal(csv, directory)
    monkeypatch.undo()
    assert not has_outcomes(directory)
    assert apply_journal(csv, directory).recovered == "completed"
    taken: list[list[Outcome]] = []
    take_outcomes(directory, taken.append)
    assert [(o.id, o.after) for o in taken[0]] == [("c1", "active"), ("c2", "unsubscribed")]
