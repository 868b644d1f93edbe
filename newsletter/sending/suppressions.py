"""SendGrid's suppression lists into subscribers.csv, so nobody SendGrid knows to have left is mailed again.

SendGrid would drop those messages itself, but the list is ours: the editors see who bounced or complained, and
the other providers (smtp, outbox) must skip them too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from newsletter.subscribers.status import more_final

BOUNCED = "bounced"
COMPLAINED = "complained"
UNSUBSCRIBED = "unsubscribed"
# (list name, endpoint, subscriber status): the order is the order of the summary.
LISTS = (
    ("bounces", "/v3/suppression/bounces", BOUNCED),
    ("blocks", "/v3/suppression/blocks", BOUNCED),
    ("invalid emails", "/v3/suppression/invalid_emails", BOUNCED),
    ("spam reports", "/v3/suppression/spam_reports", COMPLAINED),
    ("global unsubscribes", "/v3/suppression/unsubscribes", UNSUBSCRIBED),
)
GROUP = "group unsubscribes"
MAX_REASON = 200


class SuppressionSource(Protocol):
    def get_pages(self, path: str, *, page_size: int = 500) -> list[Any]: ...
    def request_json(
        self, method: str, path: str, *, body: Any = None, query: Mapping[str, Any] | None = None
    ) -> Any: ...
    def bounded(self, work: str) -> AbstractContextManager[None]:
        """Every call inside ends within one overall time limit (see providers/sendgrid.py)."""
        ...


@dataclass
class SyncResult:
    found: dict[str, int] = field(default_factory=dict)  # list name -> addresses on it
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)  # address -> (status, reason)
    updated: int = 0  # rows of subscribers.csv that changed


def describe(list_name: str, item: Any) -> str:
    """The reason recorded in subscribers.csv: which SendGrid list, and SendGrid's words when it gives any."""
    detail = str(item.get("reason") or "").strip() if isinstance(item, dict) else ""
    text = f"SendGrid {list_name}" + (f": {' '.join(detail.split())}" if detail else "")
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 3] + "..."


def merge_suppressions(lists: Sequence[tuple[str, str, Sequence[Any]]]) -> dict[str, tuple[str, str]]:
    """(list name, status, items) -> {address lowercased: (status, reason)}; pure."""
    merged: dict[str, tuple[str, str]] = {}
    for list_name, status, items in lists:
        for item in items:
            email = item.get("email") if isinstance(item, dict) else item
            if not isinstance(email, str) or "@" not in email:
                continue
            key = email.strip().lower()
            current = merged.get(key)
            # On several lists, the most final status wins, as in subscribers.csv (complained, bounced, unsubscribed).
            if current is None or more_final(status, current[0]):
                merged[key] = (status, describe(list_name, item))
    return merged


def fetch_suppressions(source: SuppressionSource, asm_group_id: int) -> list[tuple[str, str, Sequence[Any]]]:
    # Bounded as a whole: a slow SendGrid answering every page just in time would otherwise hold the sync (and the
    # send it precedes) for as long as it likes.
    with source.bounded("reading SendGrid's suppression lists"):
        lists: list[tuple[str, str, Sequence[Any]]] = [
            (name, status, source.get_pages(path)) for name, path, status in LISTS
        ]
        if asm_group_id:
            # Not paged: the endpoint returns the group's addresses as one list of strings.
            items = source.request_json("GET", f"/v3/asm/groups/{asm_group_id}/suppressions") or []
            lists.append((f"{GROUP} ({asm_group_id})", UNSUBSCRIBED, items))
    return lists


def sync_suppressions(source: SuppressionSource, subscribers_path: Path, asm_group_id: int) -> SyncResult:
    """Fetch every suppression list and mark those subscribers; sticky statuses are the subscribers module's rule."""
    from newsletter.subscribers.store import update_statuses

    lists = fetch_suppressions(source, asm_group_id)
    result = SyncResult(found={name: len(items) for name, _, items in lists})
    result.changes = merge_suppressions(lists)
    result.updated = update_statuses(subscribers_path, result.changes) if result.changes else 0
    return result
