"""Bounces and complaints in the editor's mailbox, for `newsletter inbox` (issue 11): read with read_feedback,
decided with decide_feedback against the list and the reader's earlier feedback, applied to subscribers.csv, and
kept in the events file (newsletter.feedback.events) for the next decision and for `newsletter stats`.

Only feedback whose X-Newsletter-Feedback token verifies changes anybody (see newsletter.inbox.bounces): a hard
bounce marks that reader bounced, a complaint complained, and soft bounces on three different issues bounced; a
single soft bounce is counted. Feedback without a valid token is reported to the editor and changes nothing.
Verified feedback is kept as an event under 'mail:<Message-ID of the report>', so reading the same report again
(a run that failed before marking it) counts it once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from newsletter.clean import clean_line
from newsletter.feedback.events import BOUNCE, SOFT_BOUNCE, SPAMREPORT, Event, feedback_history, record_events
from newsletter.inbox.bounces import COMPLAINT, HARD, SOFT, Decision, Feedback, decide_feedback, read_feedback
from newsletter.subscribers.table import SubscriberList

SOURCE = "inbox"
EVENT_OF = {HARD: BOUNCE, SOFT: SOFT_BOUNCE, COMPLAINT: SPAMREPORT}
KIND_OF = {event: kind for kind, event in EVENT_OF.items()}
REASON_LIMIT = 300


class _Listed:
    """The email_keys on the list, as decide_feedback asks for them."""

    def __init__(self, subscribers: SubscriberList) -> None:
        self.subscribers = subscribers

    def __contains__(self, email: object) -> bool:
        return isinstance(email, str) and self.subscribers.index_of(email) is not None


def describe_feedback(feedback: Feedback) -> str:
    """A few words for the inbox's report: 'a hard bounce (rfc3464) for reader@example.org'."""
    who = ", ".join(feedback.emails) or "an address the report does not give"
    return f"a {feedback.kind.replace('_', ' ')} ({feedback.format}) for {who}"


@dataclass
class MailFeedback:
    """One inbox run's bounces and complaints: found as the messages are read, applied with the other decisions
    under the list's lock, and kept as events (save) once the list is written."""

    events_path: Path
    secret: bytes
    found: dict[str, Feedback] = field(default_factory=dict)  # the report's Message-ID -> what it says
    events: list[Event] = field(default_factory=list)  # verified feedback of this run, saved by save()
    _history: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def read(self, raw: bytes, message_id: str) -> Feedback | None:
        """The bounce or complaint `raw` is, remembered under `message_id`; None when it is neither."""
        feedback = read_feedback(raw, secret=self.secret)
        if feedback is not None:
            self.found[message_id] = feedback
        return feedback

    def history(self, email: str) -> list[tuple[str, str]]:
        """The reader's verified feedback so far, (issue, kind): the events file, then this run's."""
        key = email.lower()
        if key not in self._history:
            kept = feedback_history(self.events_path, [key]).get(key, [])
            self._history[key] = [(issue, KIND_OF[event]) for issue, event in kept]
        return self._history[key]

    def apply(self, subscribers: SubscriberList, message_id: str, now: datetime) -> str:
        """Apply the feedback read under `message_id` to the list in memory; what happened, for the report."""
        feedback = self.found[message_id]
        email = feedback.verified[1] if feedback.verified else ""
        history = self.history(email) if email else []
        decision = decide_feedback(feedback, listed=_Listed(subscribers), history=history)
        if decision.outcome == "reported":
            who = decision.email or "an address the report does not give"
            return f"reported, nothing changed: {decision.reason} for {who}"
        event_id = f"mail:{message_id}"
        if all(event.id != event_id for event in self.events):
            self.events.append(self._event(event_id, feedback, decision, now))
            history.append((decision.issue, decision.kind))
        if decision.outcome == "not listed":
            return f"{decision.email} is not in the list: {decision.reason}"
        if decision.outcome == "counted":
            issues = len({issue for issue, kind in history if kind == SOFT})
            return f"{decision.email}: {decision.reason} ({issues} of 3 issues)"
        reason = _reason(feedback, decision, event_id)
        before, after = subscribers.set_status(decision.email, decision.outcome, reason, now)
        if after is None:
            return f"{decision.email} is {before}: left as it is ({decision.reason})"
        return f"{decision.email} {after} (was {before}): {decision.reason}"

    def _event(self, event_id: str, feedback: Feedback, decision: Decision, now: datetime) -> Event:
        details = {"format": feedback.format, "status": feedback.status, "diagnostic": feedback.diagnostic,
                   "feedback_type": feedback.feedback_type, "reporter": feedback.reporter}  # fmt: skip
        detail = json.dumps({k: v for k, v in details.items() if v}, ensure_ascii=False, sort_keys=True)
        return Event(event_id, decision.issue, decision.email.lower(), EVENT_OF[decision.kind],
                     int(now.timestamp()), "", SOURCE, detail)  # fmt: skip

    def save(self, now: datetime) -> int:
        """Keep this run's verified feedback in the events file; how many events were new."""
        return record_events(self.events_path, self.events, received=int(now.timestamp()))


def _reason(feedback: Feedback, decision: Decision, event_id: str) -> str:
    said = " ".join(part for part in (feedback.status, feedback.diagnostic) if part)
    text = f"{decision.reason}" + (f": {said}" if said else "")
    if len(text) > 200:
        text = text[:200] + "..."
    return clean_line(f"{text} [{event_id}]", REASON_LIMIT)
