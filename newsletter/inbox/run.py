"""`newsletter inbox`: turn the editor's mail into subscribes and unsubscribes, answer them, and remember what
was handled so a second run changes nothing.

The steps: read every new message from the source, classify it (inbox_rules, pure), apply the decisions to
subscribers.csv in one locked atomic write (a message read as unsure is not acted on: it goes to the editor's
review list, inbox/review.py, in the same lock), send the answers (welcome, confirmation request, goodbye) through
a Provider, then mark the messages handled. A crash before the last step only means the same messages are read
again; applying a decision twice changes nothing the second time.

One message never stops the others (issue 8): reading, applying and answering fail per message, are reported
with its Message-ID, and leave that message unmarked, so it is read again next run; the rest is saved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from newsletter.clean import clean_line
from newsletter.config import Config
from newsletter.errors import NewsletterError
from newsletter.inbox.feedback import MailFeedback, describe_feedback
from newsletter.inbox.replies import Reply, build_reply, latest_issue_url
from newsletter.inbox.review import entry_for, load_review, review_path, save_review, with_added
from newsletter.inbox.rules import Decision, Rules, classify, message_key, parse_message
from newsletter.inbox.sources import Item, MailSource
from newsletter.providers.base import Provider
from newsletter.subscribers.forgotten import Forgotten, load_forgotten
from newsletter.subscribers.journal_apply import read_current
from newsletter.subscribers.status import STICKY, next_status
from newsletter.subscribers.store import editing
from newsletter.subscribers.table import SubscriberList


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    result: str  # what happened, as the report says it
    replies: tuple[Reply, ...] = ()
    failed: bool = False  # the message could not be read or applied: nothing changed for it


@dataclass(frozen=True)
class Failure:
    """One step that failed for one message: it is reported, and the message is read again next run."""

    message_id: str  # cleaned, as every field of a Decision
    what: str

    def __str__(self) -> str:
        return f"{self.message_id}: {self.what}"


@dataclass
class InboxReport:
    source: str
    outcomes: list[Outcome] = field(default_factory=list)
    already_done: int = 0  # messages an earlier run handled
    sent: list[str] = field(default_factory=list)  # "kind to address"
    failures: list[Failure] = field(default_factory=list)
    waiting: int = 0  # messages on the review list after this run, older ones included

    @property
    def acted_on(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.decision.action not in ("ignore", "unsure")]

    @property
    def for_review(self) -> list[Decision]:
        """The messages of this run that were read as unsure: not acted on, kept for the editor."""
        return [o.decision for o in self.outcomes if o.decision.action == "unsure" and not o.failed]


def rules_for(config: Config, secret: bytes) -> Rules:
    own = {config.newsletter.from_email.lower(), config.newsletter.reply_to.lower()} - {""}
    return Rules(frozenset(own), config.inbox.authserv_id, secret)


def _merged_consent(old: str, new: str) -> str:
    """The confirming message's record, keeping the original request it confirms under 'request'."""
    try:
        earlier = json.loads(old) if old.strip() else None
        record = json.loads(new)
    except ValueError:
        return new
    if isinstance(earlier, dict) and isinstance(record, dict) and earlier.get("message_id") != record.get("message_id"):
        record["request"] = earlier
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def _subscribe(
    subscribers: SubscriberList, d: Decision, now: datetime, config: Config, forgotten: Forgotten | None
) -> Outcome:
    number = subscribers.index_of(d.email)
    current = None if number is None else subscribers.status_of(number)
    if number is None and forgotten is not None and forgotten.holds(d.email):
        if not d.authenticated:
            # Forgotten at the reader's request: nothing of theirs is stored again until they prove the address
            return Outcome(d, f"{d.email} asked to be forgotten: not added; confirmation requested",
                           (Reply("confirm", d.email, seed=d.message_id),))  # fmt: skip
        forgotten.remove(d.email)  # the reader's own proven request: they come back
        outcome = _subscribe(subscribers, d, now, config, None)
        return replace(outcome, result=f"{outcome.result}, by their own request after being forgotten")
    if not d.authenticated:
        if current is None:
            # Anybody can ask for anybody's address: an unproven request stores no name, so a stranger's text
            # never becomes the name another reader's issues are addressed to.
            subscribers.add(d.email, "pending", now, source="inbox", consent=d.consent)
            asked = (Reply("confirm", d.email, seed=d.message_id),)
            return Outcome(d, f"{d.email} added as pending; confirmation requested", asked)
        if current in ("pending", "unsubscribed"):
            # Only the reader can undo an unsubscribe: the confirmation's signed token proves it is them.
            return Outcome(
                d, f"{d.email} stays {current}; confirmation requested", (Reply("confirm", d.email, seed=d.message_id),)
            )
        return Outcome(d, f"{d.email} is {current}: left as it is")
    after = next_status(current, "active", reader_request=True)
    welcome = (Reply("welcome", d.email, d.name, d.message_id),) if config.inbox.send_welcome else ()
    if number is None:
        subscribers.add(d.email, "active", now, name=d.name, source="inbox", consent=d.consent)
        return Outcome(d, f"{d.email} subscribed (active)", welcome)
    if after is None:
        return Outcome(d, f"{d.email} is {current}: left as it is")
    row = subscribers[number]
    values = {"status": "active", "consent": _merged_consent(row.consent, d.consent), "reason": ""}
    if current == "pending" and row.source == "inbox":
        # A pending row from the inbox was asked for by an unproven sender (older versions stored that sender's
        # display name): the name is the one the address itself gave when it proved it was them, or none.
        values["name"] = d.name
    elif d.name and not row.name:
        values["name"] = d.name
    subscribers.update(number, values, now)
    return Outcome(d, f"{d.email} subscribed (was {current}, now active)", welcome)


def _unsubscribe(subscribers: SubscriberList, d: Decision, now: datetime, config: Config) -> Outcome:
    number = subscribers.index_of(d.email)
    current = None if number is None else subscribers.status_of(number)
    if current is None or current in STICKY:
        return Outcome(d, f"{d.email} is {current or 'not in the list'}: left as it is")
    if not d.authenticated:
        return Outcome(
            d, f"{d.email} stays {current}; confirmation of the unsubscribe requested",
            (Reply("confirm_unsubscribe", d.email, in_reply_to=d.message_id),),
        )  # fmt: skip
    subscribers.set_status(d.email, "unsubscribed", f"reader's request {d.message_id} ({d.proof})", now)
    goodbye = (Reply("goodbye", d.email, d.name, d.message_id),) if config.inbox.send_goodbye else ()
    return Outcome(d, f"{d.email} unsubscribed (was {current})", goodbye)


def apply_decision(
    subscribers: SubscriberList, d: Decision, now: datetime, config: Config, forgotten: Forgotten | None = None
) -> Outcome:
    """Apply one decision to the list in memory under the sticky rules; the answers to send are in the outcome.
    `forgotten`: the readers who asked to be forgotten, whom only their own authenticated request adds again."""
    if d.action == "subscribe":
        return _subscribe(subscribers, d, now, config, forgotten)
    if d.action == "unsubscribe":
        return _unsubscribe(subscribers, d, now, config)
    if d.action == "unsure":
        return Outcome(d, f"for review, not acted on: {d.reason}")
    verb = "refused" if d.action == "refuse" else "ignored"
    return Outcome(d, f"{verb}: {d.reason}")


def _describe(error: Exception) -> str:
    """An error as one clean line for the report: exceptions from the email package or a provider can quote the
    message's own text."""
    text = str(error) if isinstance(error, NewsletterError) else f"{type(error).__name__}: {error}"
    return clean_line(text, 300).rstrip(".")


def _classify_safely(raw: bytes, rules: Rules) -> tuple[Decision, str]:
    """The decision, and '' or what went wrong: one malformed message must not stop the whole inbox."""
    try:
        return classify(raw, rules), ""
    except Exception as error:
        try:
            message_id = message_key(parse_message(raw), raw)
        except Exception:
            message_id = "sha256:" + hashlib.sha256(raw).hexdigest()
        why = f"the message cannot be read ({_describe(error)})"
        return Decision(message_id, "ignore", why), why


def _feedback_safely(raw: bytes, desk: MailFeedback) -> tuple[Decision, str] | None:
    """A bounce or complaint as a 'feedback' decision (issue 11), or None for every other message. Read before the
    rules, which leave bounces and reports alone; a message this reading cannot take goes to the rules."""
    try:
        message_id = message_key(parse_message(raw), raw)
        feedback = desk.read(raw, message_id)
    except Exception:
        return None
    if feedback is None:
        return None
    email = feedback.verified[1] if feedback.verified else ", ".join(feedback.emails)
    return Decision(message_id, "feedback", describe_feedback(feedback), clean_line(email, 300)), ""


def _apply_feedback_safely(
    desk: MailFeedback, subscribers: SubscriberList, d: Decision, now: datetime
) -> tuple[Outcome, str]:
    try:
        return Outcome(d, desk.apply(subscribers, d.message_id, now)), ""
    except Exception as error:
        why = f"{d.reason} cannot be applied ({_describe(error)})"
        return Outcome(d, f"failed: {why}", failed=True), why


def _apply_safely(
    subscribers: SubscriberList, d: Decision, now: datetime, config: Config, forgotten: Forgotten | None
) -> tuple[Outcome, str]:
    try:
        return apply_decision(subscribers, d, now, config, forgotten), ""
    except Exception as error:
        why = f"the {d.action} of {d.email or 'the sender'} cannot be applied ({_describe(error)})"
        return Outcome(d, f"failed: {why}", failed=True), why


def run_inbox(
    source: MailSource,
    config: Config,
    secret: bytes,
    provider: Provider | None,
    *,
    now: Callable[[], datetime],
    dry_run: bool = False,
    sent_slugs: list[str] | None = None,
) -> InboxReport:
    """Read, decide, apply, answer, remember. With `dry_run` nothing is written, sent or marked.

    Each step fails alone, per message: a message that cannot be read, applied or answered is reported in
    `failures` with its Message-ID and is not marked handled (it is read again next run); every other message's
    change, answer and mark is kept.
    """
    rules = rules_for(config, secret)
    report = InboxReport(source.label)
    pending: list[tuple[Item, Decision, str]] = []
    seen: set[str] = set()
    desk = MailFeedback(config.events_path, secret)
    for item in source.fetch():
        decision, unreadable = _feedback_safely(item.raw, desk) or _classify_safely(item.raw, rules)
        if not unreadable and (source.is_done(decision.message_id) or decision.message_id in seen):
            report.already_done += 1
            continue
        seen.add(decision.message_id)
        pending.append((item, decision, unreadable))
    moment = now()
    path = config.subscribers_path
    failed: list[Item] = []

    def apply_all(subscribers: SubscriberList, forgotten: Forgotten) -> None:
        for item, decision, unreadable in pending:
            why = unreadable
            if unreadable:
                outcome = Outcome(decision, f"failed: {unreadable}", failed=True)
            elif decision.action == "feedback":
                outcome, why = _apply_feedback_safely(desk, subscribers, decision, moment)
            else:
                outcome, why = _apply_safely(subscribers, decision, moment, config, forgotten)
            report.outcomes.append(outcome)
            if why:
                report.failures.append(Failure(decision.message_id, why))
                failed.append(item)

    if dry_run:
        apply_all(read_current(path, missing_ok=True), load_forgotten(path, secret))
        report.waiting = _keep_for_review(path, report, moment, save=False)
        return report
    with editing(path) as subscribers:
        forgotten = load_forgotten(path, secret)
        apply_all(subscribers, forgotten)
        forgotten.save()  # a forgotten reader who proved the address is forgotten no more
        # under the list's lock, so that two runs never lose each other's entries
        report.waiting = _keep_for_review(path, report, moment, save=True)
    failed += _save_feedback(report, desk, pending, moment)
    latest = latest_issue_url(config, sent_slugs or [])
    items = [item for item, _, _ in pending]
    failed += _send_replies(report, items, config, secret, provider, moment, latest)
    unfinished = {id(item) for item in failed}
    source.mark_processed(
        [(item, o.decision.message_id) for item, o in zip(items, report.outcomes, strict=True)
         if o.decision.action != "ignore" and id(item) not in unfinished]
    )  # fmt: skip
    source.finish(failed)
    return report


def _keep_for_review(path: Path, report: InboxReport, moment: datetime, *, save: bool) -> int:
    """Add this run's unsure messages to the review list next to `path`; how many entries it then holds."""
    kept = review_path(path)
    before = load_review(kept)
    after = with_added(before, [entry_for(decision, moment) for decision in report.for_review])
    if save and len(after) != len(before):
        save_review(kept, after)
    return len(after)


def _save_feedback(
    report: InboxReport, desk: MailFeedback, pending: list[tuple[Item, Decision, str]], moment: datetime
) -> list[Item]:
    """Keep the run's verified bounces and complaints as events; if that fails, their messages are read again."""
    try:
        desk.save(moment)
    except NewsletterError as error:
        bounces = [(item, d) for item, d, _ in pending if d.action == "feedback" and d.message_id in desk.found]
        for _, decision in bounces:
            report.failures.append(
                Failure(decision.message_id, f"{decision.reason} was not recorded ({_describe(error)})")
            )
        return [item for item, _ in bounces]
    return []


def _send_replies(
    report: InboxReport,
    items: list[Item],
    config: Config,
    secret: bytes,
    provider: Provider | None,
    moment: datetime,
    latest: str,
) -> list[Item]:
    """Build and send every answer, each on its own; the items whose answer failed."""
    sent: set[tuple[str, str]] = set()
    failed: list[Item] = []
    for item, outcome in zip(items, report.outcomes, strict=True):
        for reply in outcome.replies:
            # One answer of a kind per address and run, however many times the reader wrote.
            if (reply.kind, reply.email.lower()) in sent:
                continue
            sent.add((reply.kind, reply.email.lower()))
            why = ""
            try:
                message = build_reply(config, secret, reply, date=moment, latest_url=latest)
            except Exception as error:
                why = f"the {reply.kind} email to {reply.email} cannot be written ({_describe(error)})"
            else:
                try:
                    if provider is None:
                        raise NewsletterError("no provider to send it")
                    provider.send_message(message)
                except Exception as error:  # a provider's own exceptions too: the next reader's answer still goes
                    why = f"the {reply.kind} email to {reply.email} could not be sent ({_describe(error)})"
            if why:
                report.failures.append(Failure(outcome.decision.message_id, why))
                failed.append(item)
                continue
            report.sent.append(f"{reply.kind} to {reply.email}")
    return failed
