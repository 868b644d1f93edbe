"""A scheduled send (--at) through the fake SendGrid's batch and cancel endpoints: its readers are "scheduled", not
sent, until the time has come; a cancel leaves them waiting (pending), and a later send reaches them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from send_support import ISSUE, Sub, make_publication, run
from sendgrid_fake import API_KEY, FakeSendGrid

from newsletter.sending.ledger import read_ledger

ROWS = [Sub("asha@example.org", "Asha"), Sub("ravi@example.org", "Ravi"), Sub("selvi@example.org", "Selvi")]
EMAILS = [row.email for row in ROWS]
LEDGER = Path("sends/2015-03-16.jsonl")


@pytest.fixture
def pub(tmp_path: Path, sendgrid_server: FakeSendGrid, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_publication(tmp_path, ROWS, send={"batch_size": 2, "concurrency": 1}, sendgrid={"host": sendgrid_server.url})
    monkeypatch.setenv("SENDGRID_API_KEY", API_KEY)
    return tmp_path


@pytest.fixture
def when() -> datetime:
    """Two hours from now, to the minute (what --at takes)."""
    return (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)


def schedule(pub: Path, when: datetime) -> str:
    result = run(pub, "send", ISSUE, "--at", when.isoformat(), "--yes")
    assert result.exit_code == 0, result.output
    return result.stdout


def report_json(pub: Path) -> dict[str, object]:
    return json.loads(run(pub, "report", ISSUE, "--json").stdout)  # type: ignore[no-any-return]


def test_a_scheduled_send_says_scheduled_not_sent(pub: Path, sendgrid_server: FakeSendGrid, when: datetime) -> None:
    output = schedule(pub, when)
    at = f"{when:%Y-%m-%d %H:%M} UTC"
    assert output.splitlines()[-1].startswith(f"sent 0, scheduled 3 for {at}, skipped 0, failed 0, in doubt 0,")
    batch_id = next(iter(sendgrid_server.batches))
    assert {(r.batch_id, r.send_at) for r in sendgrid_server.accepted} == {(batch_id, int(when.timestamp()))}
    assert report_json(pub) == {
        "counts": {"sent": 0, "failed": 0, "in_doubt": 0, "pending": 0, "skipped": 0, "scheduled": 3},
        "recipients": [{"email": email, "status": "scheduled", "message_id": "msg-1" if n < 2 else "msg-2"}
                       for n, email in enumerate(EMAILS)],
    }  # fmt: skip
    text = run(pub, "report", ISSUE).stdout.splitlines()
    assert text[1].endswith(f"via sendgrid, scheduled for {at} (batch {batch_id})")
    assert text[2:] == ["sent      0", "failed    0", "in doubt  0", "pending   0", "skipped   0", "scheduled 3"]
    # Once the time has come, the same ledger says sent.
    later = read_ledger(pub / LEDGER, now=when)
    assert later.counts() == {"sent": 3, "failed": 0, "in_doubt": 0, "pending": 0, "skipped": 0, "scheduled": 0}


def test_sending_again_before_the_time_sends_nobody_twice(
    pub: Path, sendgrid_server: FakeSendGrid, when: datetime
) -> None:
    schedule(pub, when)
    again = run(pub, "send", ISSUE, "--yes")
    assert again.exit_code == 0, again.output
    lines = again.stdout.splitlines()
    assert "            3 already scheduled" in lines and "nothing to send." in lines
    assert (
        lines[-1]
        == f"sent 0, scheduled 3 for {when:%Y-%m-%d %H:%M} UTC, skipped 0, failed 0, in doubt 0, pending 0; 0.0 s."
    )
    assert sendgrid_server.requests == 2  # the two batches of the scheduled send, nothing since


def test_a_cancelled_send_leaves_its_readers_waiting_for_a_new_schedule(
    pub: Path, sendgrid_server: FakeSendGrid, when: datetime
) -> None:
    schedule(pub, when)
    first = next(iter(sendgrid_server.batches))
    cancelled = run(pub, "send", ISSUE, "--cancel")
    assert cancelled.exit_code == 0, cancelled.output
    assert cancelled.stdout == (
        f"cancelled the scheduled send of 2015-03-16 (batch {first}): 3 reader(s) wait for the issue; "
        f"`newsletter send {ISSUE}` sends it to them (add --at WHEN to schedule it).\n"
    )
    assert sendgrid_server.cancelled_batches() == {first}
    text = run(pub, "report", ISSUE).stdout.splitlines()
    assert text[-6:] == ["sent      0", "failed    0", "in doubt  0", "pending   3", "skipped   0", "scheduled 0"]
    assert f"cancelled scheduled batch: {first}" in text

    later = when + timedelta(hours=1)
    output = schedule(pub, later)
    assert f"scheduled:  {later:%Y-%m-%d %H:%M} UTC" in output
    second = next(batch for batch in sendgrid_server.batches if batch != first)
    assert sorted(a for r in sendgrid_server.accepted if r.batch_id == second for a in r.addresses) == EMAILS
    assert report_json(pub)["counts"] == {
        "sent": 0, "failed": 0, "in_doubt": 0, "pending": 0, "skipped": 0, "scheduled": 3
    }  # fmt: skip
