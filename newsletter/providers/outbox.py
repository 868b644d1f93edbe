"""The outbox provider: every message becomes a .eml file, so the whole flow runs with nothing configured."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

from newsletter.files import write_atomic


def safe_filename(email: str) -> str:
    """A file name for an address that is stable and cannot escape the folder."""
    return re.sub(r"[^A-Za-z0-9@._+-]", "_", email.lower()).lstrip(".") or "unnamed"


class OutboxProvider:
    name = "outbox"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send_message(self, message: EmailMessage) -> str:
        _, address = parseaddr(str(message["To"]))
        path = self.directory / f"{safe_filename(address)}.eml"
        write_atomic(path, message.as_bytes())
        return str(message["Message-ID"] or path.name)
