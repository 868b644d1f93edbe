"""The outbox provider: every message becomes a .eml file, so the whole flow runs with nothing configured."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.files import write_atomic
from newsletter.providers.base import BatchResult, Mailing, Recipient, RecipientResult, build_recipient_message

if TYPE_CHECKING:
    from newsletter.config import Config


def safe_filename(email: str) -> str:
    """A file name for an address that is stable and cannot escape the folder."""
    return re.sub(r"[^A-Za-z0-9@._+-]", "_", email.lower()).lstrip(".") or "unnamed"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OutboxProvider:
    name = "outbox"

    def __init__(
        self, directory: Path, *, config: Config | None = None, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        self.directory = directory
        self.config = config
        self.clock = clock
        self.max_batch = config.send.batch_size if config else 1000

    def send_message(self, message: EmailMessage) -> str:
        """One file per message: <address>.eml, then <address>.2.eml, ... so that a confirmation followed by a
        welcome to the same reader keeps both, in order."""
        _, address = parseaddr(str(message["To"]))
        base = safe_filename(address)
        path = self.directory / f"{base}.eml"
        number = 1
        while path.exists():
            number += 1
            path = self.directory / f"{base}.{number}.eml"
        write_atomic(path, message.as_bytes())
        return str(message["Message-ID"] or path.name)

    def send_batch(self, mailing: Mailing, recipients: Sequence[Recipient]) -> BatchResult:
        """One .eml per reader under <directory>/<issue>/; a file that cannot be written stops the send."""
        if self.config is None:
            raise TypeError("OutboxProvider needs config= to send an issue")
        folder = self.directory / mailing.rendered.issue.slug
        results: dict[str, RecipientResult] = {}
        date = self.clock()
        for recipient in recipients:
            try:
                message = build_recipient_message(self.config, mailing, recipient, date)
            except ValueError as error:  # the email package's header defects: a non-ASCII local part, say
                reason = f"cannot write a message to {recipient.email} ({error})"
                results[recipient.email.lower()] = RecipientResult("failed", reason=reason)
                continue
            path = folder / f"{safe_filename(recipient.email)}.eml"
            try:
                write_atomic(path, message.as_bytes())
            except OSError as error:
                reason = f"cannot write {path} ({error.strerror or error}): free space or fix the folder's permissions"
                for rest in recipients:
                    results.setdefault(rest.email.lower(), RecipientResult("failed", reason=reason))
                return BatchResult("failed", reason=reason, recipients=results, fatal=f"{reason}.")
            results[recipient.email.lower()] = RecipientResult("sent", message_id=str(message["Message-ID"]))
        return BatchResult("sent", recipients=results)  # per reader in `recipients`; "sent" for none left out

    def close(self) -> None:
        pass
