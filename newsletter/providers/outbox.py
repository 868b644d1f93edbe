"""The outbox provider: every message becomes a .eml file, so the whole flow runs with nothing configured."""

from __future__ import annotations

import os
import re
import tempfile
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path


def safe_filename(email: str) -> str:
    """A file name for an address that is stable and cannot escape the folder."""
    return re.sub(r"[^A-Za-z0-9@._+-]", "_", email.lower()).lstrip(".") or "unnamed"


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder, fsync, rename: the file is old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class OutboxProvider:
    name = "outbox"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send_message(self, message: EmailMessage) -> str:
        _, address = parseaddr(str(message["To"]))
        path = self.directory / f"{safe_filename(address)}.eml"
        write_atomic(path, message.as_bytes())
        return str(message["Message-ID"] or path.name)
