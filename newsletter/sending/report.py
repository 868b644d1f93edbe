"""What `newsletter report ISSUE` prints: the send ledger's counts and recipients, and the damaged lines it had to
leave out (which `newsletter send` stops at instead)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from newsletter.errors import SendError
from newsletter.sending.ledger import LedgerState, format_report, iter_report_json, ledger_path, read_ledger


@dataclass(frozen=True)
class LedgerReport:
    slug: str
    ledger: Path
    state: LedgerState

    def chunks(self, *, as_json: bool) -> Iterator[str]:
        """The report in pieces to print as they come (a million recipients' JSON is never one string)."""
        if as_json:
            yield from iter_report_json(self.state)
            return
        yield f"{self.slug}: {self.ledger}\n"
        for line in format_report(self.state):
            yield f"{line}\n"

    def warnings(self) -> list[str]:
        return [
            f"warning: {self.ledger}:{number}: the send ledger is damaged ({problem}): left out above."
            for number, problem in self.state.damaged
        ]

    @property
    def problem(self) -> str:
        """The error the report ends with when lines were damaged, or ''."""
        if not self.state.damaged:
            return ""
        return (
            f"{self.ledger}: {len(self.state.damaged)} damaged line(s), so the report may be incomplete and "
            "`newsletter send` will not continue this issue: restore the ledger from a backup; do not edit it by hand."
        )


def open_report(sends_dir: Path, slug: str, *, sandbox: bool = False) -> LedgerReport:
    """The issue's ledger, read for a report: what the undamaged lines say, and each damaged one named."""
    ledger = ledger_path(sends_dir, slug, sandbox=sandbox)
    if not ledger.exists():
        raise SendError(f"{ledger} does not exist: {slug} has not been sent (send it with `newsletter send`).")
    return LedgerReport(slug, ledger, read_ledger(ledger, skip_damaged=True))
