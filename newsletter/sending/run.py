"""The run of a send: the plan's recipients to the provider, exactly once, resumable from the ledger after any failure.

plan.plan_send decides who gets the issue in this run; run_send does it: batches go to the provider from a few
worker threads, each batch's intent fsynced in the ledger before its request and its outcome after. Whatever stops
a run (a kill, a refused key, Ctrl-C), the ledger says exactly who has the issue. send.send_issue runs the steps
around it (lock, suppressions, resume check, plan, confirmation).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from newsletter.clean import show as show_text
from newsletter.clock import utc_now
from newsletter.config import Config
from newsletter.errors import SendError
from newsletter.files import hold_lock
from newsletter.message.readers import Personalizer, Readers
from newsletter.providers.base import BatchResult, Mailing, Provider, RecipientResult, describe_error
from newsletter.render.build import issue_content
from newsletter.sending.ledger import LedgerState, LedgerWriter
from newsletter.sending.ledger_entries import FAILED, IN_DOUBT, SCHEDULED, SENT
from newsletter.sending.plan import SendPlan, content_parts


@dataclass
class SendSummary:
    sent: int  # everyone who has the issue now, earlier runs included
    failed: int
    in_doubt: int
    pending: int
    skipped: dict[str, int]
    elapsed: float
    sent_now: int = 0
    held_by_limit: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    fatal: str = ""  # the provider's refusal that stopped the run
    scheduled: int = 0  # everyone whose copy the provider holds for send_at, earlier runs included
    send_at: int | None = None  # epoch seconds of the scheduled copies

    @property
    def complete(self) -> bool:
        """Everyone meant to get the issue (all but those --limit held back) has it."""
        return self.failed == 0 and self.in_doubt == 0 and self.pending <= self.held_by_limit and not self.fatal


def summary_of(plan: SendPlan, elapsed: float = 0.0) -> SendSummary:
    """The summary of a run that sends nobody: what the ledger already held."""
    return SendSummary(
        sent=plan.already_sent,
        failed=plan.held_failed,
        in_doubt=plan.held_in_doubt,
        pending=plan.held_by_limit,
        skipped=plan.skipped,
        elapsed=elapsed,
        held_by_limit=plan.held_by_limit,
        scheduled=plan.already_scheduled,
        send_at=plan.send_at,
    )


def make_recipients(
    personalizer: Personalizer, members: Sequence[tuple[str, str]]
) -> tuple[Readers, dict[str, RecipientResult]]:
    """The batch's readers, and those whose values cannot be made (failed alone, with the reason)."""
    readers = Readers(personalizer, members)
    failed = {
        key: RecipientResult(
            FAILED, reason=f"cannot personalise the issue for {show_text(email)} ({describe_error(error)})"
        )
        for key, (email, error) in readers.unmade.items()
    }
    return readers, failed


class Timings:
    """Seconds spent per stage, summed over worker threads (they overlap: compare, don't add to wall time)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, stage: str, seconds: float) -> None:
        with self._lock:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds


def snapshot_digest(emails: Sequence[str]) -> str:
    """sha256 of the addresses, lowercased, one per line: what a run meant to send to, in a few bytes."""
    digest = hashlib.sha256()
    for start in range(0, len(emails), 10_000):  # in slices: one joined string of a million would cost 50 MB
        digest.update("".join(f"{email.lower()}\n" for email in emails[start : start + 10_000]).encode("utf-8"))
    return digest.hexdigest()


def start_record(plan: SendPlan, run: int, now: datetime) -> dict[str, Any]:
    return {
        "type": "start",
        "run": run,
        "at": now.isoformat(timespec="seconds"),
        "issue": plan.rendered.issue.slug,
        "provider": plan.provider,
        "content_hash": plan.rendered.content_hash,
        "parts": content_parts(plan.rendered),
        "recipients": len(plan.snapshot),
        "recipients_sha256": snapshot_digest(plan.snapshot),
        "send_at": plan.send_at,
        "batch_id": plan.batch_id,
        "options": {
            "limit": plan.options.limit,
            "retry_failed": plan.options.retry_failed,
            "resend_in_doubt": plan.options.resend_in_doubt,
        },
    }


def run_send(
    plan: SendPlan,
    provider: Provider,
    writer: LedgerWriter,
    state: LedgerState,
    *,
    config: Config,
    secret: bytes,
    concurrency: int,
    now: Callable[[], datetime] = utc_now,
    progress: Callable[[int], None] = lambda n: None,
    checkpoint: Callable[[str], None] = lambda point: None,
) -> SendSummary:
    """Send the plan, recording everything in the ledger. A provider's refusal stops the run: summary.fatal."""
    started = time.perf_counter()
    timings = Timings()
    run = len(state.runs) + 1
    writer.append(start_record(plan, run, now()))
    checkpoint("start")
    writer.append_chunked("recipients", "emails", plan.snapshot, {"run": run})
    checkpoint("snapshot")
    writer.append_chunked("skipped", "recipients", ([e, r] for e, r in plan.new_skips), {"run": run})
    checkpoint("skipped")
    content = issue_content(plan.rendered, config)
    mailing = Mailing(content, sandbox=plan.options.sandbox, send_at=plan.send_at, batch_id=plan.batch_id)
    counts = {SENT: 0, FAILED: 0, IN_DOUBT: 0, SCHEDULED: 0}
    # What the provider accepts for a time still to come is scheduled, not sent (a resumed run of a scheduled send
    # whose time has passed sends at once).
    accepted = SCHEDULED if plan.send_at is not None and plan.send_at > now().timestamp() else SENT
    counts_lock = threading.Lock()
    fatal: list[str] = []
    # Bounces of mail the provider hands to the recipients' servers itself come back to the editor's mailbox, where
    # `newsletter inbox` reads them by this header (issue 11); a provider that reports them itself needs none.
    feedback_issue = "" if provider.capabilities.bounce_reports else plan.rendered.issue.slug

    personalizer = Personalizer(config, secret, feedback_issue)

    def send_one(batch: int, members: Sequence[tuple[str, str]]) -> None:
        began = time.perf_counter()
        recipients, unmade = make_recipients(personalizer, members)
        timings.add("personalize", time.perf_counter() - began)
        _timed(timings, "ledger", writer.append, _intent(run, batch, [email for email, _ in members]))
        checkpoint("intent")
        began = time.perf_counter()
        if recipients:
            result = provider.send_batch(mailing, recipients)
        else:
            result = BatchResult(FAILED, reason="no reader of the batch could be personalised")
        if unmade:
            result = replace(result, recipients={**result.recipients, **unmade})
        timings.add("provider", time.perf_counter() - began)
        checkpoint("response")
        _timed(timings, "ledger", writer.append, _outcome(run, batch, result))
        checkpoint("outcome")
        with counts_lock:
            if not result.recipients:  # one outcome for all (SendGrid): no lookup per reader of a million
                counts[accepted if result.status == SENT else result.status] += len(members)
            else:
                for email, _ in members:
                    override = result.recipients.get(email.lower())
                    status = override.status if override else result.status
                    counts[accepted if status == SENT else status] += 1
        if result.fatal:
            fatal.append(result.fatal)
        progress(len(members))

    attempted = 0
    interrupted = False
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="send") as pool:
        inflight: set[Future[None]] = set()
        try:
            for batch, members in enumerate(_chunks(plan.to_send, provider.max_batch), start=state.next_batch):
                while len(inflight) >= concurrency:
                    done, inflight = wait(inflight, return_when=FIRST_COMPLETED)
                    _raise_unexpected(done)
                if fatal:  # a refusal: no further batch; those in flight are recorded as they finish
                    break
                inflight.add(pool.submit(send_one, batch, members))
                attempted += len(members)
        except KeyboardInterrupt:
            interrupted = True  # let the batches already out finish and be recorded, then stop
        finally:
            done, _ = wait(inflight)
        _raise_unexpected(done)
    if interrupted:
        raise KeyboardInterrupt
    provider_seconds = getattr(provider, "timings", None)
    if isinstance(provider_seconds, dict):
        timings.seconds.update(provider_seconds)
    summary = SendSummary(
        sent=plan.already_sent + counts[SENT],
        failed=plan.held_failed + counts[FAILED],
        in_doubt=plan.held_in_doubt + counts[IN_DOUBT],
        pending=plan.held_by_limit + len(plan.to_send) - attempted,
        skipped=plan.skipped,
        elapsed=time.perf_counter() - started,
        sent_now=counts[SENT],
        held_by_limit=plan.held_by_limit,
        timings=timings.seconds,
        fatal=fatal[0] if fatal else "",
        scheduled=plan.already_scheduled + counts[SCHEDULED],
        send_at=plan.send_at,
    )
    return summary


def _timed(timings: Timings, stage: str, func: Callable[[dict[str, Any]], None], record: dict[str, Any]) -> None:
    began = time.perf_counter()
    func(record)
    timings.add(stage, time.perf_counter() - began)


def _raise_unexpected(done: set[Future[None]]) -> None:
    """A bug or an I/O error in a worker (the ledger's disk) stops the send: its batch stays in doubt."""
    for future in done:
        error = future.exception()
        if error is not None:
            raise error


def _chunks(items: Sequence[tuple[str, str]], size: int) -> Iterator[Sequence[tuple[str, str]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _intent(run: int, batch: int, emails: list[str]) -> dict[str, Any]:
    return {"type": "intent", "run": run, "batch": batch, "emails": emails}


def _outcome(run: int, batch: int, result: BatchResult) -> dict[str, Any]:
    record: dict[str, Any] = {"type": "outcome", "run": run, "batch": batch, "status": result.status}
    if result.message_id:
        record["message_id"] = result.message_id
    if result.reason:
        record["reason"] = result.reason
    if result.recipients:
        record["recipients"] = {
            key: [r.status, r.message_id, r.reason]
            for key, r in result.recipients.items()
            if (r.status, r.message_id, r.reason) != (result.status, result.message_id, result.reason)
        }
    return record


@contextmanager
def lock_send(ledger: Path) -> Iterator[None]:
    """One send per ledger at a time: a second `newsletter send` of the issue refuses at once, naming the first."""
    ledger.parent.mkdir(parents=True, exist_ok=True)

    def busy(holder: str) -> SendError:
        return SendError(
            f"another send of {ledger.stem} is running (pid {holder}): wait for it to finish, or stop that process."
        )

    with hold_lock(ledger, timeout=0, busy=busy, error=SendError):
        yield
