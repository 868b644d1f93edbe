"""`newsletter send` as library calls: send_issue owns the whole send of an issue; send_test_copy and
cancel_scheduled_send are its two siblings. The CLI parses options, calls one of them and prints what it is given.

A send: lock the issue's ledger, sync the provider's suppression lists, read the ledger and refuse a resume whose
content or provider changed, plan who gets the issue, show the plan and ask, take a batch id for a scheduled send,
run it (each batch's intent on disk before its request, its outcome after), close the provider. A dry run is the
same call with sending switched off: no provider, no lock, no sync, no question; nothing sent or recorded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from email.errors import MessageError
from pathlib import Path

from newsletter.clean import show as show_text
from newsletter.config import Config
from newsletter.errors import SendError
from newsletter.message.mime import build_reader_message
from newsletter.message.personalize import make_recipient
from newsletter.providers import able_to, provider_class
from newsletter.providers.base import Capabilities, Provider, describe_error
from newsletter.render.build import issue_content
from newsletter.render.html import RenderedIssue
from newsletter.sending.ledger import LedgerWriter, ledger_path, read_ledger
from newsletter.sending.ledger_entries import PENDING
from newsletter.sending.plan import SendOptions, SendPlan, check_resume, parse_when, plan_send
from newsletter.sending.run import SendSummary, lock_send, run_send, summary_of
from newsletter.sending.suppressions import SyncResult, sync_suppressions
from newsletter.subscribers.journal_apply import stream_current

TEST_PREFIX = "[TEST] "
DRY_RUN_LISTED = 20  # recipients a dry run names, before "... and N more"
# What each option needs of the provider (a field of providers.base.Capabilities), and what it is called.
NEEDS = (("sandbox", "sandbox", "send in sandbox mode"), ("send_at", "scheduling", "schedule a send"))

Progress = Callable[[int], AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True)
class SendRequest:
    """What to send and how: the issue rendered once (render_for_send), the provider's name, the options."""

    rendered: RenderedIssue
    provider: str
    options: SendOptions = field(default_factory=SendOptions)
    dry_run: bool = False


@dataclass
class SendResult:
    plan: SendPlan
    summary: SendSummary | None = None  # None when nothing ran: a dry run, or the editor said no
    synced: SyncResult | None = None
    declined: bool = False
    dry_run: bool = False
    stages: dict[str, float] = field(default_factory=dict)  # wall seconds of each step before the run


def render_for_send(issue_path: Path, config: Config) -> RenderedIssue:
    """Load and render the issue once; lint errors stop a send before anything goes out."""
    from newsletter.issue.load import load_issue
    from newsletter.render.check import check_issue, count
    from newsletter.render.html import render_issue

    issue = load_issue(issue_path)
    rendered = render_issue(issue, config)
    errors = count(check_issue(issue, rendered, config), "error")
    if errors:
        raise SendError(
            f"{issue_path} has {errors} error(s): run `newsletter check {issue_path}` and fix them before sending."
        )
    return rendered


def schedule_at(text: str, provider: str, now: datetime, local: tzinfo) -> int:
    """--at WHEN as epoch seconds, within how far ahead the provider schedules (plan.parse_when)."""
    kind = provider_class(provider)
    return parse_when(text, now, local, hours=kind.capabilities.schedule_hours, provider=kind.title)


def no_progress(total: int) -> AbstractContextManager[Callable[[int], None]]:
    return nullcontext(lambda count: None)


def send_issue(
    config: Config,
    request: SendRequest,
    provider: Callable[[], Provider],
    *,
    secret: bytes,
    now: Callable[[], datetime],
    confirm: Callable[[str], bool],
    show: Callable[[str], None] = lambda line: None,
    progress: Progress = no_progress,
    checkpoint: Callable[[str], None] = lambda point: None,
) -> SendResult:
    """Send the issue to every active subscriber it has not reached yet, exactly once; resumable after anything.

    `provider` sets up the provider (not called for a dry run); `show` receives each line the editor reads before
    the run (the sync, the plan); `confirm` the question, and nothing is sent unless it says yes; `progress(total)`
    opens a display that the run advances by the recipients each batch settles; `checkpoint` is called at each
    durable step of the run (the crash tests kill the process there)."""
    rendered, options = request.rendered, request.options
    kind = provider_class(request.provider)
    _check_options(request, kind.capabilities)
    ledger = ledger_path(config.sends_dir, rendered.issue.slug, sandbox=options.sandbox)
    stages: dict[str, float] = {}
    sender = None if request.dry_run else provider()
    try:
        with nullcontext() if sender is None else lock_send(ledger):
            synced = None
            if sender is not None and kind.capabilities.suppression_lists:
                with _timed(stages, "suppressions sync"):
                    synced = sync_suppressions(sender, config.subscribers_path)
                found = sum(synced.found.values())
                show(f"suppressions: {found} listed at {kind.title}, {synced.updated} subscriber(s) updated.")
            with _timed(stages, "read ledger"):
                state = read_ledger(ledger, now=now())
                check_resume(state, rendered, request.provider, rendered.issue.path)
            with _timed(stages, "read subscribers + plan"):
                # A part at a time, the web's pending changes folded in: the plan keeps what it needs of each row.
                plan = plan_send(rendered, stream_current(config.subscribers_path), state, request.provider, options)
            for line in describe_plan(plan, show=0 if sender else DRY_RUN_LISTED):
                show(line)
            if sender is None:
                if kind.capabilities.suppression_lists:
                    sync = "`newsletter suppressions sync` does it"
                    show(f"{kind.title}'s suppressions are not synced by a dry run: {sync}.")
                return SendResult(plan, dry_run=True, stages=stages)
            if not plan.to_send and not plan.new_skips:
                show("nothing to send.")
                return SendResult(plan, summary_of(plan), synced, stages=stages)
            question = f"Send '{rendered.subject}' to {len(plan.to_send)} recipient(s) via {request.provider}?"
            if plan.to_send and not confirm(question):
                return SendResult(plan, None, synced, declined=True, stages=stages)
            if plan.to_send and plan.send_at is not None and not plan.batch_id:
                plan.batch_id = sender.create_batch_id()
            with LedgerWriter(ledger) as writer, progress(len(plan.to_send)) as advance:
                summary = run_send(
                    plan,
                    sender,
                    writer,
                    state,
                    config=config,
                    secret=secret,
                    concurrency=config.send.concurrency,
                    now=now,
                    progress=advance,
                    checkpoint=checkpoint,
                )
            return SendResult(plan, summary, synced, stages=stages)
    finally:
        if sender is not None:
            sender.close()


def _check_options(request: SendRequest, capabilities: Capabilities) -> None:
    """A SendError when the request asks the provider for something it cannot do (cli.py says it as a usage error
    before it gets here)."""
    for option, capability, what in NEEDS:
        if getattr(request.options, option) and not getattr(capabilities, capability):
            raise SendError(
                f"the {request.provider} provider cannot {what}: send with {' or '.join(able_to(capability))}."
            )


@contextmanager
def _timed(stages: dict[str, float], name: str) -> Iterator[None]:
    """The wall seconds of the block, in stages[name] (the benchmark prints them)."""
    began = time.perf_counter()
    try:
        yield
    finally:
        stages[name] = time.perf_counter() - began


def send_test_copy(
    rendered: RenderedIssue,
    config: Config,
    provider: Provider,
    secret: bytes,
    to_email: str,
    *,
    now: Callable[[], datetime],
) -> str:
    """One copy, subject prefixed [TEST], to `to_email`; nothing is recorded. Returns the provider's message id.

    Each copy has a Message-ID of its own (the time is in it): the issue's own ids are one per reader, and Gmail
    shows one message per Message-ID, so a second test copy, or the issue itself after a test, would not show."""
    recipient = make_recipient(config, secret, to_email, "")
    try:
        moment = now()
        content = issue_content(rendered, config)
        content = replace(content, key=f"{content.key}.test-{moment.astimezone(UTC):%Y%m%dT%H%M%S.%f}")
        message = build_reader_message(config, content, recipient, moment, subject_prefix=TEST_PREFIX)
    except (ValueError, MessageError) as error:
        raise SendError(
            f"cannot build the test copy to {show_text(to_email)} ({describe_error(error)}): give one plain address to "
            f"--test, and check [newsletter] from_email, from_name and reply_to in {config.path}."
        ) from None
    return provider.send_message(message)


@dataclass(frozen=True)
class Cancelled:
    batch_id: str
    pending: int  # readers waiting for the issue now (the cancelled copies among them): the next send reaches them


def cancel_scheduled_send(
    config: Config, slug: str, provider: Callable[[], Provider], *, sandbox: bool = False, now: Callable[[], datetime]
) -> Cancelled:
    """Cancel the issue's scheduled send at the provider and record it in the ledger: its readers are pending
    again, so that a later send (now, or scheduled anew) reaches them."""
    ledger = ledger_path(config.sends_dir, slug, sandbox=sandbox)
    with lock_send(ledger):
        sender = provider()
        try:
            schedule = read_ledger(ledger, now=now()).schedule
            if schedule is None:
                raise SendError(f"{ledger}: no scheduled send of {slug} to cancel (schedule one with --at WHEN).")
            batch_id = schedule[1]
            sender.cancel_scheduled(batch_id)
        finally:
            sender.close()
        with LedgerWriter(ledger) as writer:
            writer.append({"type": "cancel", "batch_id": batch_id, "at": now().isoformat(timespec="seconds")})
        pending = read_ledger(ledger, now=now()).counts()[PENDING]
    return Cancelled(batch_id, pending)


def describe_plan(plan: SendPlan, *, show: int = 0) -> list[str]:
    """What the editor confirms: subject, recipients, provider, content hash, and what the ledger already holds."""
    skipped = sum(plan.skipped.values())
    reasons = ", ".join(f"{reason} {n}" for reason, n in plan.skipped.items())
    lines = [
        f"issue:      {plan.rendered.issue.slug}: {plan.rendered.subject}",
        f"recipients: {len(plan.to_send)} to send now via {plan.provider}",
        f"content:    sha256 {plan.rendered.content_hash[:16]}",
    ]
    if plan.send_at is not None:
        lines.append(f"scheduled:  {datetime.fromtimestamp(plan.send_at, UTC):%Y-%m-%d %H:%M} UTC")
    if plan.options.sandbox:
        lines.append(f"sandbox:    {provider_class(plan.provider).title} validates, delivers nothing")
    held = [
        (plan.already_sent, "already sent"),
        (plan.already_scheduled, "already scheduled"),
        (plan.held_failed, "failed before (resend with --retry-failed)"),
        (plan.held_in_doubt, "in doubt (resend with --resend-in-doubt)"),
        (plan.held_by_limit, "held back by --limit"),
        (skipped, f"skipped ({reasons})"),
        (plan.duplicates, "duplicate rows ignored"),
    ]
    lines.extend(f"            {n} {text}" for n, text in held if n)
    for email, name in plan.to_send[:show]:
        lines.append(f"  {show_text(email)}" + (f" ({show_text(name)})" if name else ""))
    if show and len(plan.to_send) > show:
        lines.append(f"  ... and {len(plan.to_send) - show} more")
    return lines


def describe_summary(summary: SendSummary) -> str:
    """The line a send ends with."""
    skipped = sum(summary.skipped.values())
    reasons = ", ".join(f"{reason} {n}" for reason, n in summary.skipped.items())
    scheduled = ""
    if summary.scheduled and summary.send_at is not None:
        scheduled = (
            f"scheduled {summary.scheduled} for {datetime.fromtimestamp(summary.send_at, UTC):%Y-%m-%d %H:%M} UTC, "
        )
    return (
        f"sent {summary.sent}, {scheduled}skipped {skipped}{f' ({reasons})' if reasons else ''}, "
        f"failed {summary.failed}, in doubt {summary.in_doubt}, pending {summary.pending}; {summary.elapsed:.1f} s."
    )


def unfinished(summary: SendSummary, issue: str) -> str:
    """Why the send did not reach everyone it meant to ('' when it did): the provider's refusal, or what to run."""
    if summary.fatal:
        return summary.fatal
    if summary.complete:
        return ""
    return (
        f"not everyone has the issue (failed {summary.failed}, in doubt {summary.in_doubt}, pending "
        f"{summary.pending - summary.held_by_limit}): see `newsletter report {issue}`, then run the send again "
        "(with --retry-failed for failed recipients, --resend-in-doubt for those in doubt)."
    )
