"""Kill a send with SIGKILL at every stage, then run it again: SendGrid has each address exactly once, except those
the report lists as in doubt (at most once).

The send runs as `python -m newsletter send` in a subprocess; the fake SendGrid runs here and outlives it. To be
killed at a point, it runs under tests/crash_send.py instead, which hands the library's send a checkpoint that kills
the process the n-th time it reaches <point> ("<point>[:<n>]"); the shipped CLI has no such hook.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from send_support import Sub, make_publication, readers
from sendgrid_fake import API_KEY, FakeSendGrid, Fault

from conftest import TEST_SECRET

ISSUE = "issues/2015-03-16.yaml"
ROWS = [*readers(200), Sub("gone@example.org", "Gone", "unsubscribed")]
ACTIVE = {row.email for row in ROWS if row.status == "active"}


HARNESS = Path(__file__).resolve().parent / "crash_send.py"


def start_send(pub: Path, crash_at: str = "") -> subprocess.Popen[str]:
    env = {**os.environ, "SENDGRID_API_KEY": API_KEY, "NEWSLETTER_SECRET": TEST_SECRET.decode()}
    program = [str(HARNESS), crash_at] if crash_at else ["-m", "newsletter"]
    return subprocess.Popen(
        [sys.executable, *program, "send", ISSUE, "--yes"],
        cwd=pub,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def report(pub: Path) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "newsletter", "report", ISSUE, "--json"],
        cwd=pub,
        capture_output=True,
        text=True,
        check=True,
    )
    return {item["email"]: item["status"] for item in json.loads(done.stdout)["recipients"]}


def assert_exactly_once(server: FakeSendGrid, statuses: dict[str, str]) -> None:
    delivered = Counter(server.delivered_addresses())
    assert server.rejections == []
    assert max(delivered.values()) == 1, [a for a, n in delivered.items() if n > 1]
    assert "gone@example.org" not in delivered and statuses["gone@example.org"] == "skipped"
    assert {a for a, s in statuses.items() if s in ("sent", "in_doubt")} == ACTIVE  # nobody failed or pending
    for address in ACTIVE:
        if statuses[address] == "sent":
            assert delivered[address] == 1, address
        else:  # in doubt: the kill came between the intent and the outcome; delivered at most once
            assert delivered[address] <= 1, address


@pytest.fixture
def pub(tmp_path: Path, sendgrid_server: FakeSendGrid) -> Path:
    make_publication(tmp_path, ROWS, send={"batch_size": 10, "concurrency": 2}, sendgrid={"host": sendgrid_server.url})
    return tmp_path


@pytest.mark.parametrize(
    "crash_at",
    [
        "start",  # the run's start record written, nothing else
        "snapshot",  # recipients recorded
        "skipped",  # skips recorded, no batch yet
        "intent:1",  # first batch's intent on disk, request not made: in doubt, never delivered
        "intent:7",
        "response:1",  # SendGrid accepted batch 1, the outcome never written: in doubt, delivered
        "response:12",
        "outcome:3",  # outcome on disk, killed before the next batch
        "outcome:20",  # the last batch recorded, killed before the summary
    ],
)
def test_killed_at_a_point_then_resumed(pub: Path, sendgrid_server: FakeSendGrid, crash_at: str) -> None:
    first = start_send(pub, crash_at)
    first.communicate(timeout=60)
    assert first.returncode == -signal.SIGKILL
    second = start_send(pub)
    out, err = second.communicate(timeout=60)
    statuses = report(pub)
    in_doubt = [a for a, s in statuses.items() if s == "in_doubt"]
    assert second.returncode == (1 if in_doubt else 0), out + err
    assert_exactly_once(sendgrid_server, statuses)
    if crash_at.startswith(("intent", "response")):
        assert in_doubt  # the interrupted batch is reported, not silently resent


def test_killed_during_a_request_then_resumed(pub: Path, sendgrid_server: FakeSendGrid) -> None:
    # Request 5 is accepted, then its answer never comes; the send is killed while it waits.
    sendgrid_server.faults = lambda index, body: Fault.slow(60.0, accept=True) if index == 5 else None
    first = start_send(pub)
    deadline = time.monotonic() + 60
    while sendgrid_server.requests < 6 and time.monotonic() < deadline:
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=60)
    sendgrid_server.faults = None
    second = start_send(pub)
    second.communicate(timeout=60)
    statuses = report(pub)
    assert_exactly_once(sendgrid_server, statuses)
    slow_batch = set(sendgrid_server.accepted[5].addresses) if len(sendgrid_server.accepted) > 5 else set()
    assert slow_batch and {statuses[a] for a in slow_batch} == {"in_doubt"}


def test_torn_ledger_line_then_resumed(pub: Path, sendgrid_server: FakeSendGrid) -> None:
    first = start_send(pub, "outcome:4")
    first.communicate(timeout=60)
    ledger = pub / "sends" / "2015-03-16.jsonl"
    with ledger.open("ab") as handle:
        handle.write(b'{"type":"intent","run":1,"batch":99,"emails":["reader0')  # a write cut by the kill
    second = start_send(pub)
    second.communicate(timeout=60)
    statuses = report(pub)
    assert_exactly_once(sendgrid_server, statuses)
    assert b'"batch":99' not in ledger.read_bytes()
