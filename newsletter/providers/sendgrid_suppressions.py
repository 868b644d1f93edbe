"""SendGrid's suppression lists, read as the provider interface hands them over (base.SuppressionList).

SendGrid keeps the addresses it will not deliver to on five global lists (paged) and, with an unsubscribe group,
one list per group (not paged). What each list means for a subscriber is SendGrid's knowledge and stays here;
turning the lists into subscribers.csv changes is the send's (sending/suppressions.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from newsletter.errors import ProviderError
from newsletter.providers.base import SuppressionList

SOURCE = "SendGrid"
# (list name, endpoint, subscriber status): the order is the order of the summary.
LISTS = (
    ("bounces", "/v3/suppression/bounces", "bounced"),
    ("blocks", "/v3/suppression/blocks", "bounced"),
    ("invalid emails", "/v3/suppression/invalid_emails", "bounced"),
    ("spam reports", "/v3/suppression/spam_reports", "complained"),
    ("global unsubscribes", "/v3/suppression/unsubscribes", "unsubscribed"),
)
GROUP = "group unsubscribes"
PAGE_SIZE = 500  # SendGrid's most per page


class Client(Protocol):
    """What the lists are read through: SendGridProvider's calls other than mail/send."""

    def request_json(
        self, method: str, path: str, *, body: Any = None, query: Mapping[str, Any] | None = None
    ) -> Any: ...

    def bounded(self, work: str) -> AbstractContextManager[None]:
        """Every call inside ends within one overall time limit (see providers/sendgrid.py)."""
        ...


def read_list(name: str, status: str, items: Sequence[Any]) -> SuppressionList:
    """A list as SendGrid answers it: {"email", "reason", ...} objects, or bare addresses (group lists). An item
    without an address stays, as "", so that the count is SendGrid's."""
    entries = []
    for item in items:
        email = item.get("email") if isinstance(item, dict) else item
        reason = str(item.get("reason") or "") if isinstance(item, dict) else ""
        entries.append((email if isinstance(email, str) else "", reason))
    return SuppressionList(name, status, entries, SOURCE)


def get_pages(client: Client, path: str, *, page_size: int = PAGE_SIZE) -> list[Any]:
    """Every item of a paged list endpoint (limit/offset, at most 500 per page)."""
    items: list[Any] = []
    offset = 0
    while True:
        page = client.request_json("GET", path, query={"limit": page_size, "offset": offset})
        if not isinstance(page, list):
            raise ProviderError(f"SendGrid answered GET {path} with something other than a list.")
        items.extend(page)
        if len(page) < page_size:
            return items
        offset += page_size


def fetch_suppressions(client: Client, asm_group_id: int) -> list[SuppressionList]:
    """Every global list, and the unsubscribe group's when there is one."""
    # Bounded as a whole: a slow SendGrid answering every page just in time would otherwise hold the sync (and the
    # send it precedes) for as long as it likes.
    with client.bounded("reading SendGrid's suppression lists"):
        lists = [read_list(name, status, get_pages(client, path)) for name, path, status in LISTS]
        if asm_group_id:
            # Not paged: the endpoint returns the group's addresses as one list of strings.
            items = client.request_json("GET", f"/v3/asm/groups/{asm_group_id}/suppressions") or []
            lists.append(read_list(f"{GROUP} ({asm_group_id})", "unsubscribed", items))
    return lists
