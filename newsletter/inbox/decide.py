"""`newsletter inbox --review`: the editor decides, one by one, the messages the inbox kept for review.

A decision to subscribe or unsubscribe is applied exactly as an automatic one would have been (inbox/run.py's
apply_decision: the same authentication rules, the same sticky statuses, the same answers to the reader): the
editor's decision replaces only the reading of the words. An unauthenticated sender therefore still gets a
confirmation request first. The consent record is the message's own (who, when, the authentication verdict, how
the words were read) and names the editor's decision. "ignore" takes the message off the list and changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from newsletter.clean import clean_line
from newsletter.config import Config
from newsletter.errors import InboxError, NewsletterError
from newsletter.inbox.replies import Reply, build_reply
from newsletter.inbox.review import ReviewEntry, load_review, review_path, save_review
from newsletter.inbox.rules import Decision
from newsletter.inbox.run import apply_decision
from newsletter.providers.base import Provider
from newsletter.subscribers.forgotten import load_forgotten
from newsletter.subscribers.store import editing

CHOICES = ("subscribe", "unsubscribe", "ignore")


@dataclass
class Reviewed:
    """What one decision did: the result as the report says it, the answers sent and those that failed."""

    entry: ReviewEntry
    choice: str
    result: str
    sent: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def pending_reviews(config: Config) -> list[ReviewEntry]:
    """The messages waiting for the editor, oldest first."""
    return load_review(review_path(config.subscribers_path))


def editor_decision(entry: ReviewEntry, choice: str, now: datetime) -> Decision:
    """The Decision an automatic reading would have made, had it read `choice`, with the consent record naming
    the editor's decision."""
    try:
        record = json.loads(entry.consent) if entry.consent.strip() else {}
    except ValueError:
        record = {}
    if not isinstance(record, dict):
        record = {}
    record["decision"] = f"{choice}: the editor's decision on review, {now.isoformat(timespec='seconds')}"
    consent = json.dumps(record, ensure_ascii=False, sort_keys=True)
    reason = f"{choice} (the editor's decision on review)"
    return Decision(entry.message_id, choice, reason, entry.email, entry.name, entry.authenticated, entry.proof,
                    consent, entry.subject, entry.reason, entry.evidence)  # fmt: skip


def decide_review(
    config: Config,
    secret: bytes,
    provider: Provider | None,
    message_id: str,
    choice: str,
    *,
    now: datetime,
    latest_url: str = "",
) -> Reviewed:
    """Apply the editor's `choice` for the message `message_id` of the review list, take it off the list (both
    under the subscribers.csv lock), then send the answer an automatic decision would have sent."""
    if choice not in CHOICES:
        raise InboxError(f"'{choice}' is not a decision: choose one of {', '.join(CHOICES)}.")
    path = config.subscribers_path
    kept = review_path(path)
    replies: tuple[Reply, ...] = ()
    with editing(path) as subscribers:
        entries = load_review(kept)
        entry = next((entry for entry in entries if entry.message_id == message_id), None)
        if entry is None:
            raise InboxError(
                f"{kept}: no message {clean_line(message_id, 250)} waits for review (another command may have "
                "decided it): run `newsletter inbox --review` again to see the list."
            )
        if choice == "ignore":
            reviewed = Reviewed(entry, choice, "left alone (the editor's decision)")
        else:
            forgotten = load_forgotten(path, secret)
            outcome = apply_decision(subscribers, editor_decision(entry, choice, now), now, config, forgotten)
            forgotten.save()
            reviewed = Reviewed(entry, choice, outcome.result)
            replies = outcome.replies
        save_review(kept, [other for other in entries if other.message_id != message_id])
    for reply in replies:
        try:
            if provider is None:
                raise NewsletterError("no provider to send it")
            provider.send_message(build_reply(config, secret, reply, date=now, latest_url=latest_url))
        except Exception as error:  # a provider's own exceptions too: the decision itself is saved
            text = str(error) if isinstance(error, NewsletterError) else f"{type(error).__name__}: {error}"
            reviewed.failures.append(
                f"the {reply.kind} email to {reply.email} could not be sent ({clean_line(text, 300).rstrip('.')})"
            )
            continue
        reviewed.sent.append(f"{reply.kind} to {reply.email}")
    return reviewed
