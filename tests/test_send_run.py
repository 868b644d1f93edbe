"""The send loop itself, with a scripted provider: what it records when a batch is refused or a worker breaks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest
from send_support import SECRET, Sub, make_rendered, readers

from conftest import ROOT
from newsletter.config import load_config
from newsletter.message.content import Recipient
from newsletter.providers import capabilities_of
from newsletter.providers.base import BatchResult, Mailing, RecipientResult
from newsletter.sending.ledger import INTERRUPTED, LedgerWriter, read_ledger
from newsletter.sending.plan import SendOptions, plan_send
from newsletter.sending.run import run_send

BASE = load_config(ROOT / "newsletter.toml")
ONE_CLICK = replace(BASE, unsubscribe=replace(BASE.unsubscribe, url="https://www.indiawrites.org/u?list=1"))


class Scripted:
    """A provider whose answers the test writes: one BatchResult (or exception) per batch, in order."""

    name = "sendgrid"
    capabilities = capabilities_of("sendgrid")
    max_batch = 2

    def __init__(self, *answers: BatchResult | Exception) -> None:
        self.answers = list(answers)
        self.batches: list[list[str]] = []

    def send_batch(self, mailing: Mailing, recipients: Sequence[Recipient]) -> BatchResult:
        self.batches.append([r.email for r in recipients])
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def send_message(self, message: EmailMessage) -> str:
        raise NotImplementedError

    def close(self) -> None:
        pass


def send(tmp_path: Path, provider: Scripted, rows: list[Sub]):  # type: ignore[no-untyped-def]
    ledger = tmp_path / "2015-03-16.jsonl"
    state = read_ledger(ledger)
    plan = plan_send(make_rendered(), rows, state, "sendgrid", SendOptions())
    progress: list[int] = []
    with LedgerWriter(ledger) as writer:
        summary = run_send(
            plan, provider, writer, state, config=BASE, secret=SECRET, concurrency=1, progress=progress.append
        )
    return summary, read_ledger(ledger), progress


def test_a_refusal_stops_at_that_batch(tmp_path: Path) -> None:
    provider = Scripted(
        BatchResult("sent", message_id="m1"),
        BatchResult("failed", reason="SendGrid answered 400", fatal="SendGrid answered 400: bad."),
        BatchResult("sent", message_id="never"),
    )
    summary, state, progress = send(tmp_path, provider, readers(6))
    assert provider.batches == [
        ["reader00000@example.org", "reader00001@example.org"],
        ["reader00002@example.org", "reader00003@example.org"],
    ]
    assert summary.fatal == "SendGrid answered 400: bad."
    assert (summary.sent, summary.failed, summary.in_doubt, summary.pending) == (2, 2, 0, 2)
    assert not summary.complete and progress == [2, 2]
    assert state.counts() == {"sent": 2, "failed": 2, "in_doubt": 0, "pending": 2, "skipped": 0}


def test_per_recipient_results_are_counted_and_recorded(tmp_path: Path) -> None:
    provider = Scripted(
        BatchResult(
            "sent",
            recipients={
                "reader00000@example.org": RecipientResult("sent", "<a@x>"),
                "reader00001@example.org": RecipientResult("in_doubt", "<b@x>", "dropped after the data"),
            },
        )
    )
    summary, state, _ = send(tmp_path, provider, readers(2))
    assert (summary.sent, summary.in_doubt) == (1, 1)
    entry = state.entries["reader00001@example.org"]
    assert (entry.status, entry.message_id, entry.reason) == ("in_doubt", "<b@x>", "dropped after the data")
    assert state.entries["reader00000@example.org"].message_id == "<a@x>"


def test_a_broken_worker_stops_the_send_and_its_batch_stays_in_doubt(tmp_path: Path) -> None:
    provider = Scripted(BatchResult("sent"), RuntimeError("bug"), BatchResult("sent"))
    with pytest.raises(RuntimeError, match="bug"):
        send(tmp_path, provider, readers(6))
    state = read_ledger(tmp_path / "2015-03-16.jsonl")
    assert state.counts() == {"sent": 2, "failed": 0, "in_doubt": 2, "pending": 2, "skipped": 0}
    assert state.entries["reader00002@example.org"].reason == INTERRUPTED
    assert len(provider.batches) == 2
