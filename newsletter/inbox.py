"""`newsletter inbox`: turn the editor's mail into subscribes and unsubscribes, answer them, and remember what
was handled so a second run changes nothing.

The steps: read every new message from the source, classify it (inbox_rules, pure), apply the decisions to
subscribers.csv in one locked atomic write, send the answers (welcome, confirmation request, goodbye) through a
Provider, then mark the messages handled. A crash before the last step only means the same messages are read
again; applying a decision twice changes nothing the second time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from newsletter.config import Config
from newsletter.errors import NewsletterError
from newsletter.inbox_mail import Reply, build_reply, latest_issue_url
from newsletter.inbox_rules import Decision, Rules, classify
from newsletter.inbox_sources import Item, MailSource
from newsletter.providers.base import Provider
from newsletter.subscribers import STICKY, SubscriberList, editing, next_status, read_or_empty


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    result: str  # what happened, as the report says it
    replies: tuple[Reply, ...] = ()


@dataclass
class InboxReport:
    source: str
    outcomes: list[Outcome] = field(default_factory=list)
    already_done: int = 0  # messages an earlier run handled
    sent: list[str] = field(default_factory=list)  # "kind to address"
    failures: list[str] = field(default_factory=list)

    @property
    def acted_on(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.decision.action != "ignore"]


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


def _subscribe(subscribers: SubscriberList, d: Decision, now: datetime, config: Config) -> Outcome:
    number = subscribers.index_of(d.email)
    current = None if number is None else subscribers.status_of(number)
    if not d.authenticated:
        if current is None:
            # Anybody can ask for anybody's address: an unproven request stores no name, so a stranger's text
            # never becomes the name another reader's issues are addressed to.
            subscribers.add(d.email, "pending", now, source="inbox", consent=d.consent)
            return Outcome(d, f"{d.email} added as pending; confirmation requested", (Reply("confirm", d.email),))
        if current in ("pending", "unsubscribed"):
            # Only the reader can undo an unsubscribe: the confirmation's signed token proves it is them.
            return Outcome(d, f"{d.email} stays {current}; confirmation requested", (Reply("confirm", d.email),))
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


def apply_decision(subscribers: SubscriberList, d: Decision, now: datetime, config: Config) -> Outcome:
    """Apply one decision to the list in memory under the sticky rules; the answers to send are in the outcome."""
    if d.action == "subscribe":
        return _subscribe(subscribers, d, now, config)
    if d.action == "unsubscribe":
        return _unsubscribe(subscribers, d, now, config)
    verb = "refused" if d.action == "refuse" else "ignored"
    return Outcome(d, f"{verb}: {d.reason}")


def _classify_safely(raw: bytes, rules: Rules, ref: str) -> Decision:
    try:
        return classify(raw, rules)
    except Exception as error:  # one malformed message must not stop the whole inbox
        return Decision(f"unreadable:{ref}", "ignore", f"the message cannot be read ({type(error).__name__})")


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
    """Read, decide, apply, answer, remember. With `dry_run` nothing is written, sent or marked."""
    rules = rules_for(config, secret)
    report = InboxReport(source.label)
    pending: list[tuple[Item, Decision]] = []
    seen: set[str] = set()
    for item in source.fetch():
        decision = _classify_safely(item.raw, rules, item.ref)
        if source.is_done(decision.message_id) or decision.message_id in seen:
            report.already_done += 1
            continue
        seen.add(decision.message_id)
        pending.append((item, decision))
    moment = now()
    path = config.subscribers_path
    if dry_run:
        subscribers = read_or_empty(path)
        report.outcomes = [apply_decision(subscribers, d, moment, config) for _, d in pending]
        return report
    with editing(path) as subscribers:
        report.outcomes = [apply_decision(subscribers, d, moment, config) for _, d in pending]
    _send_replies(report, config, secret, provider, moment, latest_issue_url(config, sent_slugs or []))
    source.mark_processed([(item, d.message_id) for item, d in pending if d.action != "ignore"])
    source.finish()
    return report


def _send_replies(
    report: InboxReport, config: Config, secret: bytes, provider: Provider | None, moment: datetime, latest: str
) -> None:
    sent: set[tuple[str, str]] = set()
    for outcome in report.outcomes:
        for reply in outcome.replies:
            # One answer of a kind per address and run, however many times the reader wrote.
            if (reply.kind, reply.email.lower()) in sent:
                continue
            sent.add((reply.kind, reply.email.lower()))
            if provider is None:
                report.failures.append(f"{reply.kind} to {reply.email}: no provider to send it")
                continue
            try:
                provider.send_message(build_reply(config, secret, reply, date=moment, latest_url=latest))
            except NewsletterError as error:
                report.failures.append(f"{reply.kind} to {reply.email}: {error}")
                continue
            report.sent.append(f"{reply.kind} to {reply.email}")
