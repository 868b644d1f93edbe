"""What applied changes did, kept until the web app has acted on it (mailed the confirmation or the welcome).

apply_journal may run in the web app or in a command; either way the outcomes of the changes it applied are
recorded with the apply itself (in its intent, see newsletter.subscribers.journal_apply) and written to
journal/done/<batch>.jsonl as the apply completes. The web app's background task takes them from there, so the
emails a change calls for go out whoever applied it, and only once its effect on the list is known: a bounced
reader who signs up again is not written to.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from newsletter.files import claim_file, write_atomic

DONE_DIR = "done"


class Outcome(NamedTuple):
    """One applied change: its id, address and status asked for, and the row's status before and after (None:
    not listed before / unchanged)."""

    id: str
    email: str
    status: str
    before: str | None
    after: str | None


def encode_outcomes(outcomes: Sequence[Outcome]) -> list[list[str | None]]:
    return [list(outcome) for outcome in outcomes]


def write_outcomes(journal_dir: Path, batch: str, records: Sequence[Sequence[str | None]]) -> None:
    """journal/done/<batch>.jsonl, written whole or not at all."""
    if records:
        lines = b"".join(json.dumps(list(record), ensure_ascii=False).encode("utf-8") + b"\n" for record in records)
        write_atomic(journal_dir / DONE_DIR / f"{batch}.jsonl", lines)


def has_outcomes(journal_dir: Path) -> bool:
    folder = journal_dir / DONE_DIR
    return folder.is_dir() and any(folder.glob("*.jsonl"))


def take_outcomes(journal_dir: Path, handle: Callable[[list[Outcome]], None]) -> int:
    """Hand each file of outcomes to `handle`, then delete it; returns how many files were handled.

    Several workers may call this at once: a file is handled by the one that holds its flock. If `handle` raises
    or the process dies, the file stays for the next call: an email may then go out twice, never not at all.
    """
    handled = 0
    for path in sorted((journal_dir / DONE_DIR).glob("*.jsonl")):
        with claim_file(path) as mine:
            if not mine:
                continue  # another worker is on it, or handled and deleted it while we waited
            records = [json.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
            handle([Outcome(*record) for record in records])
            path.unlink()
            handled += 1
    return handled
