"""subscribers.csv read into a SubscriberList, and its lock: what every command and the web journal's applier share.

store.py changes the list under this lock (with the journal folded in first); journal_apply.py folds the journal
under it. Both read the list here, so neither has to import the other's reading.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newsletter.errors import SubscriberError
from newsletter.files import hold_lock, lock_path
from newsletter.subscribers.csvbytes import decode_csv, holds_unsafe, read_bytes
from newsletter.subscribers.csvfile import parse_csv
from newsletter.subscribers.scan import SCAN_SLICE
from newsletter.subscribers.table import Subscriber, SubscriberList

LOCK_TIMEOUT = 60.0
# Looked up each time read_subscribers runs, so that a test can check rows in slices of a few.
_SCAN_SLICE = SCAN_SLICE


def read_subscribers(path: Path) -> SubscriberList:
    """Read and validate subscribers.csv; problems are listed in `.problems` and the rows stay."""
    data = read_bytes(path, "add a first subscriber with `newsletter subscribers add EMAIL`")
    # A million rows are 100 MB of bytes and as much again of text: neither may live on through the scan.
    text = decode_csv(path, data)
    unsafe = holds_unsafe(data)
    del data
    table = parse_csv(path, text, unsafe=unsafe)
    del text
    return SubscriberList(table, scan_slice=_SCAN_SLICE)


def active_subscribers(path: Path) -> list[Subscriber]:
    """Everyone to send to: valid rows with status active, in file order."""
    return read_subscribers(path).active()


def read_or_empty(path: Path) -> SubscriberList:
    """The list at `path`, or an empty one when there is no file yet (the first subscriber creates it)."""
    return read_subscribers(path) if path.exists() else SubscriberList(parse_csv(path, ""))


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """subscribers.csv's lock, the one every command (and the web journal's applier) takes before changing it.

    Not reentrant: a second `locked` in the same process waits for the first (and gives up after LOCK_TIMEOUT).
    """

    def busy(holder: str) -> SubscriberError:
        return SubscriberError(
            f"{path} is being changed by another newsletter command (it holds {lock_path(path)}): "
            "try again when that command has finished."
        )

    with hold_lock(path, timeout=LOCK_TIMEOUT, busy=busy, error=SubscriberError):
        # Under the lock no other writer is alive, so a temporary file left here was a killed writer's.
        for stale in path.parent.glob(f".{path.name}.*.tmp"):
            with contextlib.suppress(OSError):  # a read-only folder: the write itself will say so
                stale.unlink(missing_ok=True)
        yield
