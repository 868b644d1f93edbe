"""`newsletter inbox` and `newsletter inbox --review` as one call each: cli.py parses the options and supplies the
terminal (lines out, the editor's decision in); everything else happens here and below.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from newsletter.config import Config
from newsletter.credentials import Credentials
from newsletter.errors import InboxError, UsageError
from newsletter.inbox.decide import decide_review, pending_reviews
from newsletter.inbox.replies import latest_issue_url
from newsletter.inbox.report import describe_entry, describe_inbox, describe_reviewed, inbox_problem, review_problem
from newsletter.inbox.run import run_inbox
from newsletter.inbox.sources import STATE_NAME, open_source
from newsletter.providers import delivered_phrase
from newsletter.sending.ledger import sent_slugs


@dataclass(frozen=True)
class InboxCommand:
    """The command line's options, by their names there."""

    imap_url: str | None = None
    mbox_path: Path | None = None
    maildir_path: Path | None = None
    dry_run: bool = False
    review: bool = False


def run_inbox_command(
    config: Config,
    command: InboxCommand,
    credentials: Credentials,
    *,
    show: Callable[[str], None],
    ask: Callable[[], str],
    now: Callable[[], datetime],
) -> None:
    """Read the mailbox and act on what it asks, or (--review) let the editor decide each message kept for review
    (`ask` gives the decision: subscribe, unsubscribe, ignore or skip). Ends with an InboxError when some message
    or answer failed."""
    sources = (command.imap_url, command.mbox_path, command.maildir_path)
    if sum(source is not None for source in sources) > 1:
        raise UsageError("give one of --imap, --mbox and --maildir.")
    if command.review and (command.dry_run or any(sources)):
        raise UsageError("--review reads only the review list: give it alone.")
    # Every source, dry run included: the inbox verifies tokens, and the development key is published, so
    # anybody could sign a confirm or unsubscribe token with it (and the answers go through a real provider).
    secret, _ = credentials.secret(required=True)
    if command.review:
        review_inbox(config, credentials, secret, show=show, ask=ask, now=now)
        return
    source = open_source(
        config.subscribers_path.with_name(STATE_NAME),
        mbox=command.mbox_path,
        maildir=command.maildir_path,
        imap_url=command.imap_url or config.inbox.imap_url,
        imap_password=credentials.imap_password,
        processed_folder=config.inbox.processed_folder,
    )
    provider = None if command.dry_run else credentials.transactional_provider(config)
    with contextlib.closing(source):
        report = run_inbox(
            source, config, secret, provider, now=now, dry_run=command.dry_run, sent_slugs=sent_slugs(config.sends_dir)
        )
    for line in describe_inbox(report, dry_run=command.dry_run, delivered=delivered_phrase(provider)):
        show(line)
    problem = inbox_problem(report, dry_run=command.dry_run)
    if problem:
        raise InboxError(problem)


def review_inbox(
    config: Config,
    credentials: Credentials,
    secret: bytes,
    *,
    show: Callable[[str], None],
    ask: Callable[[], str],
    now: Callable[[], datetime],
) -> None:
    """Each message kept for review, then the editor's decision: subscribe, unsubscribe, ignore, or skip."""
    entries = pending_reviews(config)
    if not entries:
        show("Nothing to review.")
        return
    provider = credentials.transactional_provider(config)
    latest = latest_issue_url(config, sent_slugs(config.sends_dir))
    failed = 0
    for number, entry in enumerate(entries, 1):
        show("\n".join(describe_entry(entry, number, len(entries))))
        choice = ask()
        if choice != "skip":
            done = decide_review(config, secret, provider, entry.message_id, choice, now=now(), latest_url=latest)
            show("\n".join(describe_reviewed(done, delivered=delivered_phrase(provider))))
            failed += bool(done.failures)
    show(f"{len(pending_reviews(config))} message(s) left on the review list.")
    if failed:
        raise InboxError(review_problem(failed))
