"""A provider's suppression lists into subscribers.csv, so nobody the provider knows to have left is mailed again.

SendGrid would drop those messages itself, but the list is ours: the editors see who bounced or complained, and
the other providers (smtp, outbox) must skip them too. Which lists there are and what each means is the
provider's knowledge (providers/sendgrid_suppressions.py); here they are merged and applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.config import Config
from newsletter.credentials import Credentials
from newsletter.errors import SendError
from newsletter.providers.base import Provider, SuppressionList
from newsletter.subscribers.status import more_final

BOUNCED = "bounced"
COMPLAINED = "complained"
UNSUBSCRIBED = "unsubscribed"
MAX_REASON = 200


@dataclass
class SyncResult:
    found: dict[str, int] = field(default_factory=dict)  # list name -> addresses on it
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)  # address -> (status, reason)
    updated: int = 0  # rows of subscribers.csv that changed

    def lines(self, subscribers_path: Path) -> list[str]:
        """What `newsletter suppressions sync` says: each list's size, then how many subscribers changed."""
        found = [f"{name}: {count}" for name, count in self.found.items()]
        return [*found, f"{subscribers_path}: {self.updated} subscriber(s) updated."]


def describe(listed: SuppressionList, detail: str) -> str:
    """The reason recorded in subscribers.csv: which provider's list, and its words when it gives any."""
    detail = " ".join(detail.split())
    text = f"{listed.source} {listed.name}".strip() + (f": {detail}" if detail else "")
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 3] + "..."


def merge_suppressions(lists: Sequence[SuppressionList]) -> dict[str, tuple[str, str]]:
    """The lists -> {address lowercased: (status, reason)}; pure."""
    merged: dict[str, tuple[str, str]] = {}
    for listed in lists:
        for email, detail in listed.entries:
            if "@" not in email:
                continue
            key = email.strip().lower()
            current = merged.get(key)
            # On several lists, the most final status wins, as in subscribers.csv (complained, bounced, unsubscribed).
            if current is None or more_final(listed.status, current[0]):
                merged[key] = (listed.status, describe(listed, detail))
    return merged


def sync_suppressions(provider: Provider, subscribers_path: Path) -> SyncResult:
    """Fetch every suppression list and mark those subscribers; sticky statuses are the subscribers module's rule."""
    from newsletter.subscribers.store import update_statuses

    lists = provider.fetch_suppressions()
    result = SyncResult(found={listed.name: len(listed.entries) for listed in lists})
    result.changes = merge_suppressions(lists)
    result.updated = update_statuses(subscribers_path, result.changes) if result.changes else 0
    return result


def sync_from_sendgrid(config: Config, credentials: Credentials) -> list[str]:
    """`newsletter suppressions sync`: SendGrid's lists into subscribers.csv, and the lines that say what changed."""
    if not credentials.sendgrid_key:
        raise SendError("SENDGRID_API_KEY is not set: the sync reads SendGrid's lists with it; set it first.")
    result = sync_suppressions(credentials.provider("sendgrid", config), config.subscribers_path)
    return result.lines(config.subscribers_path)
