"""The send ledger's per-recipient statuses, packed: what `read_ledger` replays a ledger into.

A resumed million-reader send holds every recipient's status next to its subscribers and its plan; one object and
one key string per reader would cost some 190 MB of the send's 500 MB budget, so `Entries` stores them as columns.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from itertools import accumulate
from typing import NamedTuple

SENT = "sent"
FAILED = "failed"
IN_DOUBT = "in_doubt"
PENDING = "pending"
SKIPPED = "skipped"
SCHEDULED = "scheduled"  # accepted by the provider for a later time (--at) that has not come yet
STATUSES = (SENT, FAILED, IN_DOUBT, PENDING, SKIPPED, SCHEDULED)
OUTCOMES = (SENT, FAILED, IN_DOUBT)


class Entry(NamedTuple):
    """One recipient's derived status: a read-only copy made when asked for (Entries keeps them packed)."""

    email: str  # as the subscriber wrote it
    status: str
    reason: str = ""
    message_id: str = ""
    batch: int = 0  # of the latest intent naming it (0: none)


# Entry from a 5-tuple without Entry.__new__'s Python frame: half the cost, and `send` makes one per subscriber.
_make_entry = partial(tuple.__new__, Entry)
STATUS_CODE = {status: code for code, status in enumerate(STATUSES)}
SENT_CODE, FAILED_CODE, IN_DOUBT_CODE, PENDING_CODE, SKIPPED_CODE, SCHEDULED_CODE = range(len(STATUSES))


class Entries:
    """Every recipient the ledger names, keyed by fold_case(email), in first-seen order: a read-only mapping of Entry.

    Packed, because a resumed million-reader send holds all of them next to its subscribers and its plan: one Entry
    object and one key string per reader cost some 190 MB, over the send's 500 MB budget. Here the addresses are
    joined BLOCK to a string with an array of ends, each field is a column (a byte or an int per reader; reasons and
    message ids stored once each and referred to by number), and the index from key to row is an open-addressing
    hash table of rows (an array, linear probing, half empty at most) with each row's hash kept for the compare and
    the resize: some 60 bytes per reader in all."""

    BLOCK = 1024
    __slots__ = (
        "_blocks",
        "_ends",
        "_hashes",
        "_mask",
        "_open",
        "_slots",
        "_text_codes",
        "batch",
        "message_id",
        "reason",
        "status",
        "texts",
    )

    def __init__(self) -> None:
        self._blocks: list[str] = []  # BLOCK addresses each, joined
        self._ends: list[array[int]] = []  # per block, where each address ends
        self._open: list[str] = []  # the addresses after the last full block
        self._hashes = array("q")  # per row: hash of its key
        self._slots = array("i", [-1]) * 8  # the table: a row, or -1 for an empty slot
        self._mask = 7
        self.status = bytearray()  # per row: index in STATUSES
        self.reason = array("I")  # per row: index in texts
        self.message_id = array("I")  # per row: index in texts
        self.batch = array("I")  # per row: the batch of its latest intent (0: none)
        self.texts: list[str] = [""]  # reasons and message ids, each once
        self._text_codes: dict[str, int] = {"": 0}

    def text_code(self, text: str) -> int:
        code = self._text_codes.get(text)
        if code is None:
            code = self._text_codes[text] = len(self.texts)
            self.texts.append(text)
        return code

    def email_at(self, row: int) -> str:
        block, at = divmod(row, self.BLOCK)
        if block == len(self._blocks):
            return self._open[at]
        ends = self._ends[block]
        return self._blocks[block][ends[at - 1] if at else 0 : ends[at]]

    def locate(self, emails: Iterable[str]) -> array[int]:
        """The row of each address, in order; an address not here yet gets a new row, pending.

        One loop with everything in local names: a replay calls this for millions of addresses, and a method call
        per address (find, then add) made it twice as slow."""
        rows = array("I")
        slots, hashes, mask = self._slots, self._hashes, self._mask
        blocks, ends_of, size = self._blocks, self._ends, self.BLOCK
        for email in emails:
            key = email if email.islower() else email.lower()
            wanted = hash(key)
            slot = wanted & mask
            while (row := slots[slot]) >= 0:
                if hashes[row] == wanted:
                    block, at = divmod(row, size)
                    if block == len(blocks):
                        known = self._open[at]
                    else:
                        ends = ends_of[block]
                        known = blocks[block][ends[at - 1] if at else 0 : ends[at]]
                    if known == key or known.lower() == key:
                        break
                slot = (slot + 1) & mask
            else:
                row = len(hashes)
                if 2 * (row + 1) > len(slots):
                    self._resize(4 * len(slots))
                    slots, mask = self._slots, self._mask
                    slot = wanted & mask
                    while slots[slot] >= 0:
                        slot = (slot + 1) & mask
                slots[slot] = row
                hashes.append(wanted)
                self._open.append(email)
                if len(self._open) == size:
                    self._ends.append(array("I", accumulate(map(len, self._open))))
                    self._blocks.append("".join(self._open))
                    self._open = []
            rows.append(row)
        added = len(hashes) - len(self.status)  # the new rows' columns, in one go: pending, no reason, no batch
        self.status.extend(bytes([PENDING_CODE]) * added)
        for column in (self.reason, self.message_id, self.batch):
            column.extend(array("I", [0]) * added)
        return rows

    def _resize(self, size: int) -> None:
        slots, mask = array("i", [-1]) * size, size - 1
        for row, wanted in enumerate(self._hashes):
            slot = wanted & mask
            while slots[slot] >= 0:
                slot = (slot + 1) & mask
            slots[slot] = row
        self._slots, self._mask = slots, mask

    def entry(self, row: int) -> Entry:
        texts = self.texts
        status, reason, message_id = STATUSES[self.status[row]], texts[self.reason[row]], texts[self.message_id[row]]
        return _make_entry((self.email_at(row), status, reason, message_id, self.batch[row]))

    def rows(self, status: int) -> Iterator[int]:
        """The rows with that status, in order."""
        found = self.status.find(status)
        while found >= 0:
            yield found
            found = self.status.find(status, found + 1)

    def emails(self) -> Iterator[str]:
        """Every address as first written, in row order."""
        for text, ends in zip(self._blocks, self._ends, strict=True):
            start = 0
            for end in ends:
                yield text[start:end]
                start = end
        yield from self._open

    def get(self, key: str, default: Entry | None = None) -> Entry | None:
        """The entry of `key` (a folded address). Probes the table inline: `send` asks once per subscriber."""
        if not self.status:
            return default
        wanted = hash(key)
        slots, hashes, mask = self._slots, self._hashes, self._mask
        slot = wanted & mask
        while (row := slots[slot]) >= 0:
            if hashes[row] == wanted:
                block, at = divmod(row, self.BLOCK)
                if block == len(self._blocks):
                    email = self._open[at]
                else:
                    ends = self._ends[block]
                    email = self._blocks[block][ends[at - 1] if at else 0 : ends[at]]
                if email == key or email.lower() == key:
                    texts = self.texts
                    status, reason = STATUSES[self.status[row]], texts[self.reason[row]]
                    return _make_entry((email, status, reason, texts[self.message_id[row]], self.batch[row]))
            slot = (slot + 1) & mask
        return default

    def __getitem__(self, key: str) -> Entry:
        entry = self.get(key)
        if entry is None:
            raise KeyError(key)
        return entry

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __len__(self) -> int:
        return len(self.status)

    def __iter__(self) -> Iterator[str]:
        return (email if email.islower() else email.lower() for email in self.emails())

    def keys(self) -> Iterator[str]:
        return iter(self)

    def values(self) -> Iterator[Entry]:
        texts = self.texts.__getitem__
        statuses = map(STATUSES.__getitem__, self.status)
        columns = zip(
            self.emails(), statuses, map(texts, self.reason), map(texts, self.message_id), self.batch, strict=True
        )
        return map(_make_entry, columns)

    def items(self) -> Iterator[tuple[str, Entry]]:
        for entry in self.values():
            email = entry.email
            yield (email if email.islower() else email.lower()), entry

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Entries | Mapping):
            return len(self) == len(other) and dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a dict

    def __repr__(self) -> str:
        return f"Entries({dict(self.items())!r})"


def fold_case(email: str) -> str:
    """The address compared case-insensitively. An address already in lower case is its own key, the same object:
    at a million readers a second copy of every address would cost some 75 MB."""
    return email if email.islower() else email.lower()
