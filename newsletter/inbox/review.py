"""The editor's review list: messages `newsletter inbox` could read neither as a request nor as clearly not one
(intent's "unsure"). They are never acted on and never dropped: each is kept in inbox-review.json, next to
subscribers.csv, with what the editor needs to decide it (sender, subject, the sentence that made it unsure, why,
and the authentication verdict and consent record an automatic decision would have used), until
`newsletter inbox --review` decides it (inbox/decide.py).

The file is JSON, written atomically (temporary file, fsync, rename) by whoever holds the subscribers.csv lock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path

from newsletter.errors import InboxError
from newsletter.files import write_text_atomic
from newsletter.inbox.rules import Decision

REVIEW_NAME = "inbox-review.json"
_VERSION = 1


@dataclass(frozen=True)
class ReviewEntry:
    """One message waiting for the editor. Every text field is a clean line, as in the Decision it came from."""

    message_id: str
    email: str
    name: str
    subject: str
    evidence: str  # the sentence that made it unsure, as the reader wrote it
    reason: str  # why it is unsure
    authenticated: bool
    proof: str
    consent: str  # the consent record an automatic decision would have written (JSON)
    read_at: str  # when the inbox read it (ISO 8601)


def review_path(subscribers_path: Path) -> Path:
    return subscribers_path.with_name(REVIEW_NAME)


def entry_for(decision: Decision, now: datetime) -> ReviewEntry:
    return ReviewEntry(
        decision.message_id,
        decision.email,
        decision.name,
        decision.subject,
        decision.evidence,
        decision.reason,
        decision.authenticated,
        decision.proof,
        decision.consent,
        now.isoformat(timespec="seconds"),
    )


def load_review(path: Path) -> list[ReviewEntry]:
    """The entries of the review list at `path`, oldest first; none when the file does not exist."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as error:
        raise InboxError(
            f"{path}: cannot read the review list ({error}): restore it from a backup, or move it away to start an "
            "empty one (the messages in it are still in the mailbox)."
        ) from None
    names = {field.name for field in fields(ReviewEntry)}
    entries: list[ReviewEntry] = []
    for number, item in enumerate(data.get("entries", []) if isinstance(data, dict) else [], 1):
        if not isinstance(item, dict) or not names <= item.keys():
            raise InboxError(
                f"{path}: entry {number} of the review list is damaged (it needs {', '.join(sorted(names))}): "
                "restore the file from a backup, or remove that entry."
            )
        entries.append(ReviewEntry(**{name: item[name] for name in names}))
    return entries


def save_review(path: Path, entries: Iterable[ReviewEntry]) -> None:
    data = {"version": _VERSION, "entries": [asdict(entry) for entry in entries]}
    write_text_atomic(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def with_added(entries: list[ReviewEntry], added: Iterable[ReviewEntry]) -> list[ReviewEntry]:
    """`entries` and the new ones, each message once (a message read again keeps its first entry)."""
    known = {entry.message_id for entry in entries}
    result = list(entries)
    for entry in added:
        if entry.message_id not in known:
            known.add(entry.message_id)
            result.append(entry)
    return result
