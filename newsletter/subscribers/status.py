"""A subscriber's status: the five there are, which of them are sticky, which is more final, and who may be mailed.

Every rule about statuses lives here: subscribers.csv (reading, editing, importing, the web journal), the
suppressions sync and the send's plan all ask this module, so that no two of them can disagree about a reader.
"""

from __future__ import annotations

STATUSES = ("active", "pending", "unsubscribed", "bounced", "complained")
# The reader has left: no import, `add` or suppressions sync makes them active again (only their own request can,
# and only from unsubscribed), and while any row of an address says so, the address is not mailed.
STICKY = frozenset({"unsubscribed", "bounced", "complained"})
# A status only ever moves to a more final one: a bounce does not hide a spam complaint.
SEVERITY = {"active": 0, "pending": 0, "unsubscribed": 1, "bounced": 2, "complained": 3}


def next_status(current: str | None, wanted: str, *, reader_request: bool = False) -> str | None:
    """The status after a request for `wanted`, or None when the row stays as it is.

    `current` None means the address is not in the list. Only `reader_request` (the reader's own authenticated
    request or a signed confirmation) turns an unsubscribed address active; bounced and complained never change
    back, and pending never replaces anything.
    """
    if wanted not in SEVERITY:
        raise ValueError(f"unknown status {wanted!r}")
    if current is None:
        return wanted
    if wanted == current or wanted == "pending":
        return None
    if wanted == "active":
        return "active" if current == "pending" or (current == "unsubscribed" and reader_request) else None
    return wanted if SEVERITY[wanted] > SEVERITY[current] else None


def more_final(status: str, other: str) -> bool:
    """True when `status` outranks `other` (complained over bounced over unsubscribed over the rest)."""
    return SEVERITY[status] > SEVERITY[other]


class Screen:
    """Who may be mailed, decided row by row in file order (`judge`), then once every row is seen (`blocked`).

    A row with a problem never speaks for its address; the first valid row of an address does, and only an active
    one may be mailed; and an address that any row marks as gone (a repeated row, an invalid one) is not mailed
    whatever its first row says. SubscriberList.active and the send's plan both decide through this one class.
    """

    __slots__ = ("blocked", "duplicates", "invalid", "seen")

    def __init__(self) -> None:
        self.seen: set[str] = set()  # addresses whose first valid row was judged
        self.blocked: set[str] = set()  # addresses a row marks as gone
        self.invalid: dict[str, str] = {}  # address key -> the address as written, for rows with a problem
        self.duplicates = 0

    def judge(self, key: str, email: str, status: str, problem: str) -> str | None:
        """The status word of the row that speaks for `key` (lowercased `email`), or None for a row that does not
        (invalid, or repeating an address seen before). "active" may be mailed unless the key ends up blocked."""
        word = status.strip().lower()
        if problem or "@" not in email:
            if word in STICKY:
                self.blocked.add(key)
            self.invalid.setdefault(key, email)
            return None
        if key in self.seen:
            self.duplicates += 1
            if word in STICKY:
                self.blocked.add(key)
            return None
        self.seen.add(key)
        return word
