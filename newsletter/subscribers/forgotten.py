"""Readers who asked to be forgotten (`newsletter subscribers forget`): all that is kept of them is a keyed hash of
the address, HMAC-SHA256 with NEWSLETTER_SECRET, in forgotten.json next to subscribers.csv. It cannot be turned
back into the address, nor checked against a guessed one, without the secret; with it, an import or an unproven
inbox request for the same address is recognised and refused, so nobody is silently added back. The reader's own
authenticated request (an aligned DKIM or SPF pass, or the signed confirmation link) still subscribes them, and
takes the hash off the list.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.errors import SubscriberError
from newsletter.files import write_text_atomic
from newsletter.subscribers.addresses import email_key
from newsletter.tokens import DEV_SECRET

FORGOTTEN_NAME = "forgotten.json"
_VERSION = 1
_PURPOSE = b"forgotten reader\n"  # keeps these hashes apart from every other use of the secret


def forgotten_path(subscribers_path: Path) -> Path:
    return subscribers_path.with_name(FORGOTTEN_NAME)


def forget_key(secret: bytes, email: str) -> str:
    """The keyed hash kept of a forgotten address (its case-insensitive identity, as email_key gives it)."""
    return hmac.new(secret, _PURPOSE + email_key(email).encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass
class Forgotten:
    """The keyed hashes of forgotten readers, and the secret they are keyed with."""

    path: Path
    secret: bytes
    hashes: dict[str, str] = field(default_factory=dict)  # hash -> when it was forgotten (ISO 8601)
    changed: bool = False

    def holds(self, email: str) -> bool:
        return bool(self.hashes) and forget_key(self.secret, email) in self.hashes

    def when(self, email: str) -> str:
        """When the address was forgotten ('' when it was not)."""
        return self.hashes.get(forget_key(self.secret, email), "") if self.hashes else ""

    def add(self, email: str, when: str) -> None:
        key = forget_key(self.secret, email)
        if key not in self.hashes:
            self.hashes[key] = when
            self.changed = True

    def remove(self, email: str) -> bool:
        """Take the address off (the reader asked to come back, proven); whether it was there."""
        if self.hashes.pop(forget_key(self.secret, email), None) is None:
            return False
        self.changed = True
        return True

    def save(self) -> None:
        if self.changed:
            data = {"version": _VERSION, "hmac": "sha256", "hashes": dict(sorted(self.hashes.items()))}
            write_text_atomic(self.path, json.dumps(data, indent=1) + "\n")
            self.changed = False


def load_forgotten(subscribers_path: Path, secret: bytes | None) -> Forgotten:
    """forgotten.json next to `subscribers_path` (none forgotten when it does not exist).

    The hashes are keyed with the publication's secret: without it (or with the published development key) they
    cannot be checked, so a list that holds any is refused rather than read as if nobody were forgotten."""
    path = forgotten_path(subscribers_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Forgotten(path, secret or DEV_SECRET)
    except (OSError, ValueError) as error:
        raise SubscriberError(
            f"{path}: cannot read the forgotten readers ({error}): restore it from a backup."
        ) from None
    hashes = data.get("hashes") if isinstance(data, dict) else None
    if not isinstance(hashes, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in hashes.items()):
        raise SubscriberError(f"{path}: the forgotten readers' hashes are damaged: restore the file from a backup.")
    if hashes and (secret is None or secret == DEV_SECRET):
        raise SubscriberError(
            f"{path} holds readers who asked to be forgotten, keyed with NEWSLETTER_SECRET: set it (the same secret "
            "as when they were forgotten), then run the command again."
        )
    return Forgotten(path, secret or DEV_SECRET, dict(hashes))
