"""What `newsletter inbox` and `newsletter inbox --review` print: lines built from their reports, so that cli.py
only parses options, makes one call and prints.

Message-IDs, names, subjects and reasons come from strangers' mail: they were cleaned where they were read, and
every line here shows them escaped as well (clean.show), so nothing in a message can move the editor's cursor.
"""

from __future__ import annotations

from newsletter.clean import show
from newsletter.inbox.decide import Reviewed
from newsletter.inbox.review import ReviewEntry
from newsletter.inbox.run import InboxReport


def describe_inbox(report: InboxReport, *, dry_run: bool, delivered: str) -> list[str]:
    """The run's lines: each request acted on (and why its words were read so), the answers, the failures, the
    messages kept for review, and the summary. `delivered` begins an answer's line ("sent", or where the outbox
    wrote it)."""
    prefix = "would: " if dry_run else ""
    lines: list[str] = []
    for outcome in report.outcomes:
        decision = outcome.decision
        if (dry_run or decision.action != "ignore") and not outcome.failed and decision.action != "unsure":
            lines.append(f"{prefix}{show(decision.message_id)}: {show(outcome.result)}")
            if decision.reading:  # why the words were read as a request, for the editor to check
                lines.append(f'  read as: {show(decision.reading)}: "{show(decision.evidence)}"')
    lines += [f"{delivered} {show(line)}" for line in report.sent]
    lines += [f"failed: {show(str(failure))}" for failure in report.failures]
    unsure = report.for_review
    if unsure:
        keeping = "would be kept" if dry_run else "kept"
        lines.append(f"not acted on, {keeping} for review (`newsletter inbox --review` decides them):")
        lines += [
            f"  {show(d.email)}, subject '{show(d.subject)}': \"{show(d.evidence)}\" ({show(d.reason)})" for d in unsure
        ]
    ignored = len(report.outcomes) - len(report.acted_on) - len(unsure)
    kept = f"{len(unsure)} for review, " if unsure else ""
    lines.append(
        f"{'dry run: ' if dry_run else ''}{show(report.source)}: {len(report.outcomes)} new message(s), "
        f"{len(report.acted_on)} about the newsletter, {kept}{ignored} left alone, {report.already_done} handled "
        "before."
    )
    if report.waiting > len(unsure):
        lines.append(f"{report.waiting} message(s) on the review list: `newsletter inbox --review` decides them.")
    return lines


def inbox_problem(report: InboxReport, *, dry_run: bool) -> str:
    """The error the run ends with when some messages could not be fully handled, or ''."""
    if not report.failures:
        return ""
    count = len({failure.message_id for failure in report.failures})
    done = "" if dry_run else "; everything else was saved and these are read again on the next run"
    return (
        f"{count} message(s) could not be fully handled (the 'failed:' lines above){done}: fix the cause or move "
        "them out of the mailbox."
    )


def describe_entry(entry: ReviewEntry, number: int, total: int) -> list[str]:
    """One message kept for review, as the editor sees it before deciding."""
    proof = "authenticated" if entry.authenticated else "not authenticated: a confirmation is asked first"
    name = f"{show(entry.name)} " if entry.name else ""
    return [
        f"{number} of {total}: {show(entry.message_id)}, read {show(entry.read_at)}",
        f"  from:    {name}<{show(entry.email)}> ({proof})",
        f"  subject: {show(entry.subject)}",
        f'  wrote:   "{show(entry.evidence)}"',
        f"  unsure:  {show(entry.reason)}",
    ]


def describe_reviewed(done: Reviewed, *, delivered: str) -> list[str]:
    """What the editor's decision did, and the answers it sent or could not send."""
    return [
        f"  {show(done.result)}",
        *(f"  {delivered} {show(line)}" for line in done.sent),
        *(f"  failed: {show(line)}" for line in done.failures),
    ]


def review_problem(failed: int) -> str:
    """The error a review ends with when some answers could not be sent, or ''."""
    if not failed:
        return ""
    return (
        f"{failed} answer(s) could not be sent (the 'failed:' lines above); the decisions are saved: write to these "
        "readers by hand, or ask them to write again."
    )
