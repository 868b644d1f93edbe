"""The web app's work behind its answers: journal appends shared by concurrent requests, and the applier that folds
the journal into subscribers.csv and sends the emails those changes call for."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from newsletter.config import Config
from newsletter.errors import JournalError, NewsletterError
from newsletter.inbox.replies import latest_issue_url
from newsletter.subscribers.journal import Change, JournalWriter, has_pending
from newsletter.subscribers.journal_apply import apply_journal
from newsletter.subscribers.journal_done import Outcome, has_outcomes, take_outcomes
from newsletter.web.limits import RateLimiter
from newsletter.web.mail import build_confirmation, build_welcome

log = logging.getLogger("newsletter.web")

# The applier's child process: the server's import path, then apply_journal; its problems back as JSON.
_APPLY_CHILD = """
import json, os, sys
from pathlib import Path
os.nice(10)  # background work: the server's answers come first
sys.path[:0] = json.loads(sys.argv[1])
from newsletter.subscribers.journal_apply import apply_journal
print(json.dumps(apply_journal(Path(sys.argv[2]), Path(sys.argv[3])).problems))
"""


class Mailer(Protocol):
    """What the app needs of a provider (newsletter.providers): one complete message at a time."""

    def send_message(self, message: EmailMessage) -> str: ...


class JournalCommitter:
    """Group commit: the changes of all requests that arrive while one fdatasync runs share the next one, so a
    burst of one-click POSTs costs a few disk flushes instead of one each. Each request still gets its answer only
    once its own change is on disk."""

    def __init__(self, writer: JournalWriter) -> None:
        self.writer = writer
        self._waiting: list[tuple[Change, asyncio.Future[None]]] = []
        self._flushing = False

    async def append(self, change: Change) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((change, future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        await asyncio.shield(future)  # a client that hangs up does not take the write down with it

    async def _flush(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await asyncio.to_thread(self.writer.append, [change for change, _ in batch])
                except Exception as error:  # JournalError, or a bug: every waiting request must hear of it
                    for _, future in batch:
                        future.set_exception(error)
                else:
                    for _, future in batch:
                        future.set_result(None)
        finally:
            self._flushing = False


@dataclass
class Applier:
    """Folds the journal into subscribers.csv every `interval` seconds while something is pending (slower when an
    apply takes long: a million-row list is a few seconds' work), and mails the confirmations and welcomes that
    applied changes call for."""

    config: Config
    secret: bytes
    journal_dir: Path
    mailer: Mailer
    clock: Callable[[], datetime]
    interval: float
    mail_limit: RateLimiter
    slugs: Callable[[], list[str]]

    def apply_once(self) -> list[str]:
        """Apply the journal here; the problems found, also logged."""
        problems = apply_journal(self.config.subscribers_path, self.journal_dir, now=self.clock).problems
        for problem in problems:
            log.warning("journal: %s", problem)
        return problems

    def apply_in_child(self) -> list[str]:
        """Apply the journal in a fresh process of its own; the problems found, also logged.

        While serving, this keeps the worker's event loop responsive: reading and rewriting a large list is seconds
        of pure-Python work, which in a thread would hold the GIL and delay every answer meanwhile (at 50 clients
        it tripled the p99 of a one-click POST), and the child gives its memory back when it exits. A plain
        subprocess, not multiprocessing: a spawned child re-imports the server's main script, which for a script
        without a __main__ guard starts a second server.
        """
        done = subprocess.run(
            [sys.executable, "-c", _APPLY_CHILD, json.dumps(sys.path), str(self.config.subscribers_path),
             str(self.journal_dir)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
            raise JournalError(f"applying {self.journal_dir} failed in its own process: {last}")
        problems: list[str] = json.loads(done.stdout)
        for problem in problems:
            log.warning("journal: %s", problem)
        return problems

    def notify_once(self) -> int:
        """Send the emails that applied changes call for, whoever applied them (newsletter.subscribers.journal_done)."""
        return take_outcomes(self.journal_dir, self._send_mails)

    def _send_mails(self, outcomes: list[Outcome]) -> None:
        done: set[tuple[str, str]] = set()
        moment = self.clock()
        for outcome in outcomes:
            if outcome.status == "pending" and outcome.before in (None, "pending", "unsubscribed"):
                kind = "confirmation"
            elif outcome.status == "active" and outcome.after == "active" and self.config.inbox.send_welcome:
                kind = "welcome"
            else:
                continue  # bounced or complained readers, readers already active, and no welcome when it is off
            key = outcome.email.lower()
            if (kind, key) in done or not self.mail_limit.allow(key):
                continue
            done.add((kind, key))
            if kind == "confirmation":
                message = build_confirmation(self.config, self.secret, outcome.email, date=moment, seed=outcome.id)
            else:
                latest = latest_issue_url(self.config, self.slugs())
                message = build_welcome(
                    self.config, self.secret, outcome.email, date=moment, latest_url=latest, seed=outcome.id
                )
            try:
                self.mailer.send_message(message)
            except NewsletterError as error:  # not raised on: the others in the file must not go out twice
                log.warning("could not send the %s to %s: %s", kind, outcome.email, error)

    def _work(self) -> None:
        if has_pending(self.journal_dir):
            self.apply_in_child()
        if has_outcomes(self.journal_dir):
            self.notify_once()

    async def run(self, stop: asyncio.Event) -> None:
        gap = self.interval
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=gap)
                return
            except TimeoutError:
                pass
            began = time.monotonic()
            try:
                if not has_pending(self.journal_dir) and not has_outcomes(self.journal_dir):
                    continue
                await asyncio.to_thread(self._work)
            except NewsletterError as error:  # the list is locked by a long command, say: the changes wait
                log.warning("applying the journal: %s", error)
            except Exception:
                log.exception("applying the journal failed; the changes stay in the journal")
            gap = max(self.interval, 3 * (time.monotonic() - began))
