"""Who gets an issue in this run of `newsletter send`: decided from subscribers.csv and the ledger, without I/O.

Every subscriber counts once (the first row of an address speaks for it), in file order. Sent stays sent; failed
and in-doubt recipients are resent only when asked (--retry-failed, --resend-in-doubt); a resume refuses when the
rendered content or the provider is not the one the send began with.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import accumulate, islice
from pathlib import Path
from typing import Protocol, overload

from newsletter.errors import SendError
from newsletter.render.html import RenderedIssue
from newsletter.sending.ledger import LedgerState
from newsletter.sending.ledger_entries import FAILED, IN_DOUBT, PENDING, SCHEDULED, SENT, SKIPPED, fold_case
from newsletter.subscribers.status import Screen

REMOVED = "no longer in subscribers.csv"
INVALID = "invalid row in subscribers.csv"
CONFLICT = "listed twice, once as gone"
# Why a subscriber is skipped, by status ("pending" would read as the ledger's own status).
SKIP_REASONS = {"pending": "unconfirmed"}


class Subscriber(Protocol):
    @property
    def email(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...


class Recipients(Sequence[tuple[str, str]]):
    """(email, name) pairs in file order, packed: every BLOCK pairs become one string and an array of field ends.

    A million pairs as tuples of two strings take some 200 MB; packed they take their characters and 8 bytes
    each, which keeps a million-reader send under its memory budget. A slice is a plain list (a batch)."""

    BLOCK = 1024
    __slots__ = ("_blocks", "_count", "_open")

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._blocks: list[tuple[str, array[int]]] = []
        self._open: list[str] = []  # email, name, email, name... of the pairs not packed yet
        self._count = 0
        for email, name in pairs:
            self.append(email, name)

    def append(self, email: str, name: str) -> None:
        fields = self._open
        fields.append(email)
        fields.append(name)
        self._count += 1
        if len(fields) == 2 * self.BLOCK:
            self._blocks.append(("".join(fields), array("L", accumulate(map(len, fields)))))
            self._open = []

    def head(self, count: int) -> Recipients:
        """The first `count` pairs (all of them when there are fewer)."""
        return self if count >= self._count else Recipients(islice(self, max(0, count)))

    def _pairs(self, block: int, first: int, stop: int) -> Iterator[tuple[str, str]]:
        """Pairs first..stop-1 of one block (the last, open one included)."""
        if block == len(self._blocks):
            fields = self._open
            for at in range(2 * first, 2 * stop, 2):
                yield fields[at], fields[at + 1]
            return
        text, ends = self._blocks[block]
        start = ends[2 * first - 1] if first else 0
        for at in range(2 * first, 2 * stop, 2):
            middle, end = ends[at], ends[at + 1]
            yield text[start:middle], text[middle:end]
            start = end

    def _range(self, start: int, stop: int) -> Iterator[tuple[str, str]]:
        size = self.BLOCK
        while start < stop:
            block, first = divmod(start, size)
            last = min(size, first + stop - start)
            yield from self._pairs(block, first, last)
            start += last - first

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return self._range(0, self._count)

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> tuple[str, str]: ...
    @overload
    def __getitem__(self, index: slice) -> list[tuple[str, str]]: ...
    def __getitem__(self, index: int | slice) -> tuple[str, str] | list[tuple[str, str]]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._count)
            if step == 1:
                return list(self._range(start, max(start, stop)))
            return [self[at] for at in range(start, stop, step)]
        at = index + self._count if index < 0 else index
        if not 0 <= at < self._count:
            raise IndexError("recipient index out of range")
        return next(self._range(at, at + 1))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Recipients | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=False))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return f"Recipients({list(self)!r})"


@dataclass(frozen=True)
class SendOptions:
    limit: int | None = None
    retry_failed: bool = False
    resend_in_doubt: bool = False
    sandbox: bool = False
    send_at: int | None = None  # epoch seconds (--at)


@dataclass
class SendPlan:
    """Who gets the issue in this run, and what the ledger already says about everyone else."""

    rendered: RenderedIssue
    provider: str
    options: SendOptions
    to_send: Recipients  # (email, name), in file order
    snapshot: list[str]  # every distinct active address, recorded so `report` can list who is pending
    new_skips: list[tuple[str, str]]  # (address, reason) not yet in the ledger with that reason
    skipped: dict[str, int]  # reason -> count, this run's view
    already_sent: int = 0
    already_scheduled: int = 0  # accepted for a later time (--at) that has not come yet: never sent again
    held_failed: int = 0  # failed before; resent only with --retry-failed
    held_in_doubt: int = 0  # in doubt; resent only with --resend-in-doubt
    held_by_limit: int = 0
    duplicates: int = 0
    resuming: bool = False
    send_at: int | None = None
    batch_id: str = ""


def content_parts(rendered: RenderedIssue) -> dict[str, str]:
    """A hash per part, so a refused resume can say what changed."""
    return {
        name: hashlib.sha256(value.encode("utf-8")).hexdigest()
        for name, value in (("subject", rendered.subject), ("html", rendered.html), ("text", rendered.text))
    }


def check_resume(state: LedgerState, rendered: RenderedIssue, provider: str, where: Path) -> None:
    """Refuse to continue a send whose content or provider is not the one it began with."""
    start = state.start
    if start is None:
        return
    began = str(start.get("at", "?"))
    if start.get("content_hash") != rendered.content_hash:
        parts = content_parts(rendered)
        before = start.get("parts", {})
        changed = [name for name in parts if before.get(name) != parts[name]] or ["content"]
        raise SendError(
            f"{where}: the rendered issue changed since its send began at {began} ({', '.join(changed)} differ): "
            f"restore the issue and templates as they were to resume, or move {state.path} aside to start over "
            "(readers already sent would get it twice)."
        )
    if start.get("provider") != provider:
        raise SendError(
            f"{state.path}: this send began with the {start.get('provider')} provider at {began}: resume it with "
            f"--provider {start.get('provider')} (for sendgrid, is SENDGRID_API_KEY set?)."
        )


def plan_send(
    rendered: RenderedIssue,
    subscribers: Iterable[Subscriber],
    state: LedgerState,
    provider: str,
    options: SendOptions,
) -> SendPlan:
    """Decide, without I/O, who is sent to now: one pass over the rows, every address counted once, in file order."""
    plan = SendPlan(rendered, provider, options, Recipients(), [], [], {}, resuming=bool(state.runs))
    held = {SENT: True, SCHEDULED: True, FAILED: not options.retry_failed, IN_DOUBT: not options.resend_in_doubt}
    screen = Screen()  # who may be mailed: the subscribers' rule, the same SubscriberList.active follows
    selected = Recipients()
    for subscriber in subscribers:
        email = subscriber.email.strip()
        key = fold_case(email)
        status_word = screen.judge(key, email, subscriber.status, getattr(subscriber, "problem", ""))
        if status_word is None:
            continue
        if status_word != "active":
            _skip(plan, state, email, SKIP_REASONS.get(status_word, status_word or "no status"))
            continue
        plan.snapshot.append(email)
        entry = state.entries.get(key)
        if entry is not None and held.get(entry.status, False):
            _count_held(plan, entry.status)
        else:
            selected.append(email, subscriber.name)
    plan.duplicates = screen.duplicates
    if screen.blocked:
        selected = _unblocked(plan, state, selected, screen.blocked, held)
    seen = screen.seen
    for key, email in screen.invalid.items():
        if key not in seen:
            seen.add(key)
            _skip(plan, state, email, INVALID)
    for key, entry in state.entries.items():
        if key in seen:
            continue
        if entry.status in (PENDING, FAILED):
            _skip(plan, state, entry.email, REMOVED)
        elif entry.status == SKIPPED:
            plan.skipped[entry.reason] = plan.skipped.get(entry.reason, 0) + 1
        else:
            _count_held(plan, entry.status)
    limit = len(selected) if options.limit is None else max(0, options.limit)
    plan.to_send = selected.head(limit)
    plan.held_by_limit = len(selected) - len(plan.to_send)
    plan.skipped = dict(sorted(plan.skipped.items()))
    _apply_schedule(plan, state, options)
    return plan


def _skip(plan: SendPlan, state: LedgerState, email: str, reason: str) -> None:
    entry = state.entries.get(email.lower())
    if entry is not None and entry.status in (SENT, SCHEDULED, IN_DOUBT):
        _count_held(plan, entry.status)  # it went out before the reader left: the ledger keeps saying so
        return
    plan.skipped[reason] = plan.skipped.get(reason, 0) + 1
    if entry is None or entry.status != SKIPPED or entry.reason != reason:
        plan.new_skips.append((email, reason))


def _unblocked(
    plan: SendPlan,
    state: LedgerState,
    selected: Recipients,
    blocked: set[str],
    held: dict[str, bool],
) -> Recipients:
    """Drop addresses that one row lists as active and another as unsubscribed, bounced or complained."""
    for email in plan.snapshot:
        if email.lower() in blocked:
            entry = state.entries.get(email.lower())
            if entry is not None and held.get(entry.status, False):
                _uncount_held(plan, entry.status)  # counted in the first pass; _skip counts it again if it stays
            _skip(plan, state, email, CONFLICT)
    plan.snapshot = [email for email in plan.snapshot if email.lower() not in blocked]
    return Recipients(item for item in selected if item[0].lower() not in blocked)


def _uncount_held(plan: SendPlan, status: str) -> None:
    if status == SENT:
        plan.already_sent -= 1
    elif status == SCHEDULED:
        plan.already_scheduled -= 1
    elif status == FAILED:
        plan.held_failed -= 1
    elif status == IN_DOUBT:
        plan.held_in_doubt -= 1


def _apply_schedule(plan: SendPlan, state: LedgerState, options: SendOptions) -> None:
    schedule = state.schedule
    if schedule is None:
        plan.send_at = options.send_at
        return
    if options.send_at is not None and options.send_at != schedule[0]:
        raise SendError(
            f"{state.path}: this send is scheduled for {_utc(schedule[0])} (batch {schedule[1]}): resume it "
            "without --at (or with the same time), or cancel it first with --cancel."
        )
    plan.send_at, plan.batch_id = schedule


def _count_held(plan: SendPlan, status: str | None) -> None:
    if status == SENT:
        plan.already_sent += 1
    elif status == SCHEDULED:
        plan.already_scheduled += 1
    elif status == FAILED:
        plan.held_failed += 1
    elif status == IN_DOUBT:
        plan.held_in_doubt += 1


def parse_when(text: str, now: datetime, local: tzinfo, *, hours: int, provider: str) -> int:
    """--at WHEN: ISO 8601 date and time (local time unless it has an offset), at most `hours` ahead (as far as
    `provider`, named as a sentence names it, schedules)."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SendError(
            f"--at '{text}' is not a date and time: write it as YYYY-MM-DD HH:MM (local time) or with an offset, "
            "e.g. 2015-03-16T09:00+05:30."
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=local)
    if when <= now:
        raise SendError(f"--at {when.isoformat()} is in the past: give a time in the next {hours} hours.")
    if when - now > timedelta(hours=hours):
        raise SendError(
            f"--at {when.isoformat()} is more than {hours} hours ahead: {provider} schedules at most {hours} hours out."
        )
    return int(when.timestamp())


def _utc(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")
