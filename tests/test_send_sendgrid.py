"""Whole sends through SendGrid (a local server speaking its v3 API), as send_issue runs them: exactly once under
faults, suppressions synced first, refusals, sandbox, scheduling; and the command line's own messages."""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from send_support import CLOCK, ISSUE, FakeTime, Sub, fast_retry, make_publication, readers, run, send
from sendgrid_fake import API_KEY, FakeSendGrid, Fault

from newsletter.config import load_config
from newsletter.errors import ProviderError, SendError
from newsletter.providers.sendgrid import SendGridProvider
from newsletter.sending.ledger import ledger_path, read_ledger
from newsletter.sending.send import cancel_scheduled_send, unfinished


def faulty(index: int, body: object) -> Fault | None:
    """Every tenth request faulted, cycling through every way a request can go wrong."""
    if index % 10 != 3:
        return None
    kinds = [
        Fault.rate_limit(reset_at=0),
        Fault.status(500),
        Fault.status(502),
        Fault.status(503),
        Fault.close_after(),
        Fault.close_after(reset=True),
        Fault.close_before(),
        Fault.slow(2.0, accept=True),
        Fault.slow(2.0),
    ]
    return kinds[(index // 10) % len(kinds)]


def test_exactly_once_under_faults(tmp_path: Path, sendgrid_server: FakeSendGrid) -> None:
    rows = readers(5000)
    config = make_publication(
        tmp_path,
        rows,
        send={"batch_size": 50, "concurrency": 4},
        sendgrid={"host": sendgrid_server.url, "timeout": 0.5},
    )
    sendgrid_server.faults = faulty
    ledger = ledger_path(config.sends_dir, "2015-03-16")
    totals: list[int] = []
    done: list[int] = []

    @contextmanager
    def progress(total: int) -> Iterator[Callable[[int], None]]:
        totals.append(total)
        yield done.append

    sent = send(tmp_path, "sendgrid", sendgrid_key=API_KEY, retry=fast_retry(FakeTime()), progress=progress)
    summary = sent.result.summary
    assert summary is not None and summary.fatal == "" and sum(done) == 5000 and totals == [5000]

    delivered = Counter(sendgrid_server.delivered_addresses())
    assert max(delivered.values()) == 1, "an address was accepted twice"
    assert sendgrid_server.rejections == []
    assert len(sendgrid_server.injected) >= 10  # 10% of over 100 requests

    ledger_state = read_ledger(ledger)
    by_status: dict[str, set[str]] = {}
    for key, entry in ledger_state.entries.items():
        by_status.setdefault(entry.status, set()).add(key)
    in_doubt = by_status.get("in_doubt", set())
    assert set(by_status) <= {"sent", "in_doubt"}
    assert by_status["sent"] <= set(delivered)  # sent: SendGrid has it, once
    assert set(delivered) - by_status["sent"] <= in_doubt  # nothing delivered that the ledger does not know of
    assert by_status["sent"] | in_doubt == {row.email for row in rows}
    assert in_doubt and len(in_doubt) % 50 == 0  # whole batches: close_*, slow
    assert (summary.sent, summary.in_doubt, summary.failed, summary.pending) == (
        5000 - len(in_doubt),
        len(in_doubt),
        0,
        0,
    )

    # The message id recorded per recipient is the one SendGrid answered for the request that carried it.
    message_ids = {a: record.message_id for record in sendgrid_server.accepted for a in record.addresses}
    assert all(ledger_state.entries[a].message_id == message_ids[a] for a in by_status["sent"])

    # A plain resume sends nobody again; --resend-in-doubt then completes the list (at the editor's risk).
    again = send(tmp_path, "sendgrid", sendgrid_key=API_KEY, retry=fast_retry(FakeTime()))
    assert again.result.plan.to_send == [] and again.asked == []
    sendgrid_server.faults = None
    resent = send(tmp_path, "sendgrid", sendgrid_key=API_KEY, retry=fast_retry(FakeTime()), resend_in_doubt=True)
    assert len(resent.result.plan.to_send) == len(in_doubt)
    summary = resent.result.summary
    assert summary is not None and summary.complete and summary.sent == 5000
    assert set(sendgrid_server.delivered_addresses()) == {row.email for row in rows}


# --- whole sends, and the command line ----------------------------------------------------------------------------


ROWS = [Sub("asha@example.org", "Asha"), Sub("ravi@example.org", "Ravi"), Sub("selvi@example.org", "Selvi")]


@pytest.fixture
def pub(tmp_path: Path, sendgrid_server: FakeSendGrid, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_publication(tmp_path, ROWS, send={"batch_size": 2, "concurrency": 1}, sendgrid={"host": sendgrid_server.url})
    monkeypatch.setenv("SENDGRID_API_KEY", API_KEY)
    return tmp_path


def report(pub: Path, *args: str) -> dict[str, object]:
    return json.loads(run(pub, "report", ISSUE, "--json", *args).stdout)  # type: ignore[no-any-return]


def test_suppressions_are_synced_before_sending(pub: Path, sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.load_suppressions("bounces", ["ravi@example.org", "stranger@example.org"])
    sent = send(pub, "sendgrid", sendgrid_key=API_KEY)
    assert sent.result.summary is not None and sent.result.summary.complete
    assert sent.output[0] == "suppressions: 2 listed at SendGrid, 1 subscriber(s) updated."
    assert sent.output[-1] == "sent 2, skipped 1 (bounced 1), failed 0, in doubt 0, pending 0; N s."
    assert sorted(sendgrid_server.delivered_addresses()) == ["asha@example.org", "selvi@example.org"]
    assert ",bounced," in (pub / "subscribers.csv").read_text().splitlines()[2]
    assert report(pub)["counts"] == {"sent": 2, "failed": 0, "in_doubt": 0, "pending": 0, "skipped": 1}


def test_wrong_key_fails_before_anything_is_sent(pub: Path, sendgrid_server: FakeSendGrid) -> None:
    with pytest.raises(ProviderError) as error:
        send(pub, "sendgrid", sendgrid_key="SG.wrong")
    assert str(error.value) == (
        "SendGrid answered 401 Unauthorized to GET /v3/suppression/bounces: The provided authorization grant "
        "is invalid, expired, or revoked. Set SENDGRID_API_KEY to a valid SendGrid API key."
    )
    assert sendgrid_server.requests == 0 and not (pub / "sends" / "2015-03-16.jsonl").exists()


def test_missing_key(pub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ProviderError) as error:
        send(pub, "sendgrid", sendgrid_key="")
    assert str(error.value) == "SENDGRID_API_KEY is not set: set it in the environment, or send with --provider outbox."
    monkeypatch.delenv("SENDGRID_API_KEY")
    result = run(pub, "send", ISSUE, "--provider", "sendgrid", "--yes")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: SENDGRID_API_KEY is not set: set it in the environment, or send with --provider outbox.\n"
    )


def test_a_refused_request_stops_the_send_and_the_ledger_stays_exact(pub: Path, sendgrid_server: FakeSendGrid) -> None:
    rows = [*ROWS[:2], Sub("long@example.org", "x" * 10_001), Sub("last@example.org")]
    (pub / "subscribers.csv").write_text(
        "email,name,status\n" + "".join(f"{r.email},{r.name},active\n" for r in rows), encoding="utf-8"
    )

    def revoke_the_key_after_the_first_request(index: int, body: object) -> None:
        if index == 0:
            del sendgrid_server.keys[API_KEY]

    sendgrid_server.faults = revoke_the_key_after_the_first_request
    summary = send(pub, "sendgrid", sendgrid_key=API_KEY).result.summary
    assert summary is not None and unfinished(summary, ISSUE) == (
        "SendGrid answered 401 Unauthorized to POST /v3/mail/send: The provided authorization grant is "
        "invalid, expired, or revoked. Set SENDGRID_API_KEY to a valid SendGrid API key."
    )
    assert sendgrid_server.delivered_addresses() == ["asha@example.org", "ravi@example.org"]
    statuses = {r["email"]: r["status"] for r in report(pub)["recipients"]}  # type: ignore[index, union-attr]
    assert statuses == {
        "asha@example.org": "sent",
        "ravi@example.org": "sent",
        "long@example.org": "failed",
        "last@example.org": "failed",
    }


def test_sandbox_has_its_own_ledger(pub: Path, sendgrid_server: FakeSendGrid) -> None:
    sent = send(pub, "sendgrid", sendgrid_key=API_KEY, sandbox=True)
    assert sent.result.summary is not None and sent.result.summary.complete
    assert "sandbox:    SendGrid validates, delivers nothing" in sent.output
    assert sendgrid_server.delivered_addresses() == []
    assert sorted(a for r in sendgrid_server.sandboxed for a in r.addresses) == [r.email for r in ROWS]
    assert not (pub / "sends" / "2015-03-16.jsonl").exists()
    assert report(pub, "--sandbox")["counts"] == {"sent": 3, "failed": 0, "in_doubt": 0, "pending": 0, "skipped": 0}


def test_schedule_then_cancel_then_send_now(pub: Path, sendgrid_server: FakeSendGrid) -> None:
    when = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    scheduled = send(pub, "sendgrid", sendgrid_key=API_KEY, send_at=int(when.timestamp()))
    assert scheduled.result.summary is not None and scheduled.result.summary.complete
    assert f"scheduled:  {when:%Y-%m-%d %H:%M} UTC" in scheduled.output
    # Not sent yet: the summary and the report say scheduled.
    assert scheduled.output[-1] == (
        f"sent 0, scheduled 3 for {when:%Y-%m-%d %H:%M} UTC, skipped 0, failed 0, in doubt 0, pending 0; N s."
    )
    scheduled_counts = {"sent": 0, "failed": 0, "in_doubt": 0, "pending": 0, "skipped": 0, "scheduled": 3}
    assert report(pub)["counts"] == scheduled_counts
    batch_id = next(iter(sendgrid_server.batches))
    assert {(r.batch_id, r.send_at) for r in sendgrid_server.accepted} == {(batch_id, int(when.timestamp()))}

    cancelled = run(pub, "send", ISSUE, "--cancel")
    assert cancelled.exit_code == 0
    assert cancelled.stdout == (
        f"cancelled the scheduled send of 2015-03-16 (batch {batch_id}): 3 reader(s) wait for the issue; "
        f"`newsletter send {ISSUE}` sends it to them (add --at WHEN to schedule it).\n"
    )
    assert sendgrid_server.cancelled_batches() == {batch_id}
    assert sendgrid_server.delivered_addresses() == []  # held by the cancel
    assert report(pub)["counts"] == {"sent": 0, "failed": 0, "in_doubt": 0, "pending": 3, "skipped": 0, "scheduled": 0}
    config = load_config(pub / "newsletter.toml")
    provider = functools.partial(SendGridProvider, config, API_KEY)
    with pytest.raises(SendError) as error:
        cancel_scheduled_send(config, "2015-03-16", provider, now=lambda: CLOCK)
    assert str(error.value) == (
        f"{pub / 'sends' / '2015-03-16.jsonl'}: no scheduled send of 2015-03-16 to cancel (schedule one with "
        "--at WHEN)."
    )

    # A plain send reaches the readers the cancel left waiting.
    now = send(pub, "sendgrid", sendgrid_key=API_KEY)
    assert now.result.summary is not None and now.result.summary.complete
    assert now.output[-1] == "sent 3, skipped 0, failed 0, in doubt 0, pending 0; N s."
    assert sorted(sendgrid_server.delivered_addresses()) == [r.email for r in ROWS]
    assert report(pub)["counts"] == {"sent": 3, "failed": 0, "in_doubt": 0, "pending": 0, "skipped": 0, "scheduled": 0}


def test_test_copy_through_sendgrid(pub: Path, sendgrid_server: FakeSendGrid) -> None:
    result = run(pub, "send", ISSUE, "--test")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "sent a test copy of 'Putin to meet top aide to Chinese president' to editor@indiawrites.org via sendgrid "
        "(msg-1).\n"
    )
    assert sendgrid_server.delivered_addresses() == ["editor@indiawrites.org"]
    body = sendgrid_server.accepted[0].body
    assert body is not None and body["subject"] == "[TEST] Putin to meet top aide to Chinese president"
    assert "%%" not in body["content"][0]["value"] and "%%" not in body["content"][1]["value"]
    assert body["personalizations"][0]["headers"]["List-Unsubscribe"].startswith("<mailto:editor@indiawrites.org?")
    assert not (pub / "sends" / "2015-03-16.jsonl").exists()


def test_a_dry_run_sets_up_no_provider_and_syncs_nothing(pub: Path, sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.load_suppressions("bounces", ["ravi@example.org"])
    dry = send(pub, "sendgrid", dry_run=True, sendgrid_key="")  # no key: a provider set up would refuse
    assert dry.shown[-4:] == [
        "  asha@example.org (Asha)",
        "  ravi@example.org (Ravi)",
        "  selvi@example.org (Selvi)",
        "SendGrid's suppressions are not synced by a dry run: `newsletter suppressions sync` does it.",
    ]
    assert dry.result.summary is None and dry.result.synced is None
    assert sendgrid_server.requests == 0 and sendgrid_server.calls == []
    assert ",bounced," not in (pub / "subscribers.csv").read_text() and not (pub / "sends").exists()
