"""What `subscribers list`, `export` and `stats` show: subscribers.csv as text for the terminal, or as a clean CSV,
with the web journal's pending changes in (journal_apply.read_current), as `send` sees the list.

Cells are a stranger's text: every line meant for the terminal is escaped here (clean.show), so an escape sequence
in a reader's name cannot reach the editor's screen. The export is clean by construction (imports.export_csv).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from newsletter.clean import show_lines
from newsletter.files import write_text_atomic
from newsletter.subscribers.imports import export_csv, subscriber_stats
from newsletter.subscribers.journal_apply import read_current

PROBLEMS_SHOWN = 20


@dataclass
class Shown:
    """A command's output: `text` for standard output as it is, `notes` and `problems` for standard error."""

    text: str = ""
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the rows subscribers.csv reports, each kept as it is


def list_subscribers(path: Path, status: str | None = None) -> Shown:
    """One line per row (of `status`, where "invalid" means the rows with a problem): email, name, status."""
    subscribers = read_current(path)
    lines = []
    for row in subscribers:
        shown = row.status if row.valid else "invalid"
        if status is None or shown == status:
            lines.append(f"{show_lines(row.email)}\t{show_lines(row.name)}\t{shown}\n")
    return Shown("".join(lines), problems=subscribers.problems)


def export_subscribers(path: Path, target: Path | None = None, status: str | None = None) -> Shown:
    """The valid rows (of `status`) as a clean CSV: as the output, or written atomically to `target`."""
    subscribers = read_current(path)
    text = export_csv(subscribers, status or "")
    if target is None:
        return Shown(text, problems=subscribers.problems)
    write_text_atomic(target, text)
    return Shown("", [f"wrote {text.count(chr(10)) - 1} subscribers to {target}"], subscribers.problems)


def count_subscribers(path: Path) -> Shown:
    """Rows per status, then joined, left and the total by month."""
    subscribers = read_current(path)
    stats = subscriber_stats(subscribers)
    lines = [f"{status:<13}{count:>9}\n" for status, count in stats.counts.items()]
    if stats.months:
        lines.append(f"\n{'month':<9}{'joined':>8}{'left':>8}{'total':>9}\n")
        lines += [f"{month:<9}{joined:>8}{left:>8}{total:>9}\n" for month, joined, left, total in stats.months]
    return Shown("".join(lines), problems=subscribers.problems)


def problem_lines(problems: list[str], limit: int = PROBLEMS_SHOWN) -> list[str]:
    """The first `limit` problems as warnings for the terminal, and how many more there are."""
    lines = [f"warning: {show_lines(problem)}" for problem in problems[:limit]]
    if len(problems) > limit:
        lines.append(
            f"warning: ... and {len(problems) - limit} more problems (every row is kept; invalid ones are never "
            "sent to)."
        )
    return lines
