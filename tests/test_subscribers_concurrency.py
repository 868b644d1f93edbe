"""Proof that writes are atomic and locked: two processes at once lose nothing, and a writer killed with SIGKILL
in the middle of a write leaves the old file or the new one, never a mix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from newsletter.subscribers.listfile import read_subscribers

HEADER = "email,name,status,joined_at,source,consent,updated_at,reason\n"
STAMP = "2015-03-20T09:30:00Z"

WORKER = """
import sys
from datetime import datetime, UTC
from pathlib import Path
from newsletter.subscribers.store import add_subscriber, remove_subscriber

path, action, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def clock():
    return datetime(2015, 3, 20, 9, 30, tzinfo=UTC)
for i in range(count):
    if action == "add":
        add_subscriber(path, f"new{i}@example.org", f"New {i}", now=clock)
    else:
        remove_subscriber(path, f"old{i}@example.org", "asked by email", now=clock)
"""


def old_row(i: int) -> str:
    return f"old{i}@example.org,Old {i},active,{STAMP},cli,,{STAMP},\n"


def worker(path: Path, action: str, count: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", WORKER, str(path), action, str(count)])


def test_two_processes_adding_and_removing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_text(HEADER + "".join(old_row(i) for i in range(200)))
    adder, remover = worker(path, "add", 200), worker(path, "remove", 200)
    assert adder.wait(timeout=300) == 0
    assert remover.wait(timeout=300) == 0
    subscribers = read_subscribers(path)
    assert subscribers.problems == []
    rows = {row.email: row for row in subscribers}
    assert len(rows) == 400
    assert all(rows[f"old{i}@example.org"].status == "unsubscribed" for i in range(200))
    assert all(rows[f"old{i}@example.org"].reason == "asked by email" for i in range(200))
    assert all(rows[f"new{i}@example.org"].status == "active" for i in range(200))
    assert [row.email for row in subscribers][:200] == [f"old{i}@example.org" for i in range(200)]


def test_a_writer_killed_mid_write_leaves_the_old_or_the_new_file(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    # Big enough that each write takes a while, so the kill lands inside one.
    base = HEADER + "".join(old_row(i) for i in range(40_000))
    path.write_text(base)
    added = [f"new{i}@example.org,New {i},active,{STAMP},cli,,{STAMP},\n" for i in range(1000)]
    versions = {len(base) + sum(len(r) for r in added[:n]): n for n in range(len(added) + 1)}
    kills_mid_write = 0
    for _ in range(4):
        process = worker(path, "add", 1000)
        deadline = time.monotonic() + 60
        # Kill as soon as a temporary file exists: the writer is between creating it and renaming it.
        while time.monotonic() < deadline and process.poll() is None:
            if any(path.parent.glob(".subscribers.csv.*.tmp")):
                os.kill(process.pid, signal.SIGKILL)
                kills_mid_write += 1
                break
        process.kill()
        process.wait()
        text = path.read_text()
        assert len(text) in versions, "the file is neither the old nor a new version"
        assert text == base + "".join(added[: versions[len(text)]])
        assert read_subscribers(path).problems == []
    assert kills_mid_write >= 1
