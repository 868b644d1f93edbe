"""The outbox provider: every message becomes a .eml file, so the whole flow runs with nothing configured."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.clean import show
from newsletter.clock import utc_now
from newsletter.files import write_atomic
from newsletter.message.content import Recipient
from newsletter.message.mime import build_reader_message
from newsletter.providers.base import BatchResult, DeliveryOnly, Mailing, RecipientResult, check_headers, describe_error

if TYPE_CHECKING:
    from newsletter.config import Config

_UNSAFE_IN_NAME = re.compile(r"[^a-z0-9@._+-]")
_NUMBERED = re.compile(r"\.[0-9]+$")  # what send_message's <name>.2.eml, <name>.3.eml... end with
NAME_CHARS = 100  # of the address kept in a file name; the whole name stays far under 255 bytes


def safe_filename(email: str) -> str:
    """A file name for an address: stable, one per address (addresses equal but for case are one reader), and
    inside the folder. An ordinary address is its own name; any other ("a!b@", "a#b@" and "a_b@" would all be
    "a_b@") gets a hash of the address after a "~", which no ordinary name holds, so no two addresses share a
    name and none takes the name of another's second message (<name>.2.eml)."""
    address = email.lower()
    readable = _UNSAFE_IN_NAME.sub("_", address).lstrip(".")[:NAME_CHARS]
    if readable == address and readable and not _NUMBERED.search(readable):
        return readable
    digest = hashlib.sha256(address.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{readable or 'unnamed'}~{digest}"


class OutboxProvider(DeliveryOnly):
    name = "outbox"
    title = "the outbox"

    def __init__(
        self, directory: Path, *, config: Config | None = None, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.directory = directory
        self.config = config
        self.clock = clock
        self.max_batch = config.send.batch_size if config else 1000

    def send_message(self, message: EmailMessage) -> str:
        """One file per message: <address>.eml, then <address>.2.eml, ... so that a confirmation followed by a
        welcome to the same reader keeps both, in order."""
        check_headers(message)
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
        folder = self.directory / mailing.content.key
        results: dict[str, RecipientResult] = {}
        date = self.clock()
        for recipient in recipients:
            try:
                message = build_reader_message(self.config, mailing.content, recipient, date)
                data = message.as_bytes()
            except Exception as error:  # this reader's address or values (a non-ASCII local part, say): them alone
                reason = f"cannot write a message to {show(recipient.email)} ({describe_error(error)})"
                results[recipient.email.lower()] = RecipientResult("failed", reason=reason)
                continue
            path = folder / f"{safe_filename(recipient.email)}.eml"
            try:
                write_atomic(path, data)
            except OSError as error:
                reason = f"cannot write {path} ({error.strerror or error}): free space or fix the folder's permissions"
                for rest in recipients:
                    results.setdefault(rest.email.lower(), RecipientResult("failed", reason=reason))
                return BatchResult("failed", reason=reason, recipients=results, fatal=f"{reason}.")
            results[recipient.email.lower()] = RecipientResult("sent", message_id=str(message["Message-ID"]))
        return BatchResult("sent", recipients=results)  # per reader in `recipients`; "sent" for none left out

    def close(self) -> None:
        pass
