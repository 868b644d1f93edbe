"""Where `newsletter inbox` reads mail: an IMAP folder (imaps, or imap with STARTTLS), an mbox file or a Maildir.

Processed messages are remembered so a second run changes nothing: on IMAP they are flagged and moved to the
processed folder (messages that do not concern the newsletter stay where they are, unread state untouched, and
are not fetched again: the state file keeps the highest UID seen); in files their Message-IDs go to the state
file next to subscribers.csv. A Maildir's tmp/ (messages still being delivered) is never read.
"""

from __future__ import annotations

import imaplib
import json
import mailbox
import re
import ssl
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from newsletter.clean import show
from newsletter.errors import InboxError, UsageError
from newsletter.files import write_text_atomic

STATE_NAME = "inbox-state.json"
PROCESSED_KEYWORD = "$NewsletterProcessed"
_FETCH_CHUNK = 200
_UID = re.compile(rb"UID (\d+)")


@dataclass(frozen=True)
class Item:
    ref: str  # where the message is in its source: an IMAP UID, a Maildir or mbox key
    raw: bytes


@dataclass
class State:
    """What earlier runs did: Message-IDs handled from files, and per IMAP folder the highest UID seen."""

    processed: set[str] = field(default_factory=set)
    imap: dict[str, dict[str, int]] = field(default_factory=dict)


def load_state(path: Path) -> State:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return State()
    except (OSError, ValueError) as error:
        raise InboxError(f"{path}: cannot read the inbox state ({error}): fix or delete the file.") from None
    return State(set(data.get("processed", [])), dict(data.get("imap", {})))


def save_state(path: Path, state: State) -> None:
    data = {"processed": sorted(state.processed), "imap": state.imap}
    write_text_atomic(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


class MailSource(Protocol):
    label: str

    def fetch(self) -> Iterator[Item]: ...

    def is_done(self, message_id: str) -> bool: ...

    def mark_processed(self, done: list[tuple[Item, str]]) -> None:
        """Remember (item, message id) pairs that were acted on."""
        ...

    def finish(self, failed: Sequence[Item] = ()) -> None:
        """After a run: record how far it read, short of the first message that `failed` (read again next run)."""
        ...

    def close(self) -> None: ...


class FileSource:
    """An mbox file or a Maildir; handled Message-IDs are kept in the state."""

    def __init__(self, box: mailbox.Mailbox, label: str, state: State, state_path: Path) -> None:
        self.box, self.label, self.state, self.state_path = box, label, state, state_path

    def fetch(self) -> Iterator[Item]:
        for key in sorted(self.box.keys()):
            yield Item(str(key), self.box.get_bytes(key))

    def is_done(self, message_id: str) -> bool:
        return message_id in self.state.processed

    def mark_processed(self, done: list[tuple[Item, str]]) -> None:
        self.state.processed.update(message_id for _, message_id in done)

    def finish(self, failed: Sequence[Item] = ()) -> None:
        # Failed messages are not in `processed`, so the next run reads them again anyway.
        save_state(self.state_path, self.state)

    def close(self) -> None:
        self.box.close()


def open_maildir(path: Path, state: State, state_path: Path) -> FileSource:
    if not (path / "cur").is_dir() or not (path / "new").is_dir():
        raise InboxError(f"{path} is not a Maildir (it needs cur/ and new/ folders): check the path.")
    # mailbox.Maildir lists new/ and cur/ only: a message in tmp/ is still being written.
    return FileSource(mailbox.Maildir(path, factory=None, create=False), f"Maildir {path}", state, state_path)


def open_mbox(path: Path, state: State, state_path: Path) -> FileSource:
    if not path.is_file():
        raise InboxError(f"{path} does not exist or is not a file: check the mbox path.")
    with path.open("rb") as handle:
        start = handle.read(5)
    if start and start != b"From ":
        raise InboxError(f"{path} is not an mbox file (it must start with a 'From ' line): check the path.")
    return FileSource(mailbox.mbox(path, factory=None, create=False), f"mbox {path}", state, state_path)


@dataclass(frozen=True)
class ImapAddress:
    secure: bool  # imaps: TLS from the start; imap: STARTTLS before logging in
    host: str
    port: int
    user: str
    folder: str

    @property
    def label(self) -> str:
        scheme = "imaps" if self.secure else "imap"
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:/*")


def _holds_password(url: str) -> bool:
    """Whether the user part of `url` has a colon, read leniently: a URL with a typo in its scheme or slashes can
    still hold a password, and an error message must not repeat it."""
    text = unicodedata.normalize("NFKC", url).strip()  # urllib reads a full-width colon as ':' too
    scheme = _SCHEME.match(text)
    for candidate in (text, text[scheme.end() :] if scheme else ""):
        authority = re.split(r"[/?#\\]", candidate, maxsplit=1)[0]
        if ":" in authority.rpartition("@")[0]:
            return True
    return False


def parse_imap_url(url: str) -> ImapAddress:
    """imaps://USER@HOST[:PORT]/FOLDER or imap://... (STARTTLS); the password never goes in the URL, and an error
    never repeats a URL that holds one."""
    if _holds_password(url):
        raise InboxError(
            "the IMAP URL holds a password: remove it from the URL and set NEWSLETTER_IMAP_PASSWORD instead."
        )
    shown = show(url)
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed IPv6 bracket, or a host that NFKC changes
        raise InboxError(f"'{shown}' is not a valid URL: write imaps://USER@HOST/FOLDER.") from None
    if parts.scheme not in ("imap", "imaps"):
        raise InboxError(f"'{shown}' is not an IMAP URL: write imaps://USER@HOST/FOLDER (or imap:// for STARTTLS).")
    if not parts.username or not parts.hostname:
        raise InboxError(f"'{shown}' names no user or host: write imaps://USER@HOST/FOLDER (user as %40-escaped).")
    try:
        port = parts.port or (993 if parts.scheme == "imaps" else 143)
    except ValueError:
        raise InboxError(f"'{shown}' has an invalid port: write a number after the host, as in HOST:993.") from None
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return ImapAddress(parts.scheme == "imaps", parts.hostname, port, unquote(parts.username), folder)


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapSource:
    """One IMAP folder. Messages are fetched with BODY.PEEK so nothing is marked read."""

    def __init__(
        self,
        address: ImapAddress,
        password: str,
        processed_folder: str,
        state: State,
        state_path: Path,
        *,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.address, self.processed_folder = address, processed_folder
        self.state, self.state_path = state, state_path
        self.label = address.label
        self.highest = 0
        context = ssl_context or ssl.create_default_context()
        where = f"{address.host}:{address.port}"
        try:
            if address.secure:
                self.client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    address.host, address.port, ssl_context=context, timeout=timeout
                )
            else:
                self.client = imaplib.IMAP4(address.host, address.port, timeout=timeout)
                if "STARTTLS" not in self.client.capabilities:
                    raise InboxError(f"the IMAP server {where} does not offer STARTTLS: use an imaps:// URL.")
                self.client.starttls(ssl_context=context)
        except (OSError, imaplib.IMAP4.error) as error:
            raise InboxError(f"cannot connect to the IMAP server {where} ({error}): check [inbox] imap_url.") from None
        try:
            self.client.login(address.user, password)
        except imaplib.IMAP4.error:
            self.client.shutdown()
            raise InboxError(
                f"the IMAP server {where} refused the login of {address.user}: check the user name in the URL "
                "and NEWSLETTER_IMAP_PASSWORD."
            ) from None
        status, _ = self.client.select(_quote(address.folder))
        if status != "OK":
            self.close()
            raise InboxError(f"the IMAP folder '{show(address.folder)}' cannot be opened: check the folder in the URL.")
        validity = self.client.response("UIDVALIDITY")[1]
        self.validity = int(validity[0]) if validity and validity[0] else 0
        permanent = self.client.response("PERMANENTFLAGS")[1]
        # Servers that take no keywords of ours (no \* in PERMANENTFLAGS) get the processed mail marked read.
        self.flag = PROCESSED_KEYWORD if permanent and permanent[0] and b"\\*" in permanent[0] else "\\Seen"

    def _command(self, *args: str) -> list[object]:
        try:
            status, data = self.client.uid(*args)
        except (OSError, imaplib.IMAP4.error) as error:
            raise InboxError(f"{self.label}: the IMAP command {args[0]} failed ({error}).") from None
        if status != "OK":
            raise InboxError(f"{self.label}: the IMAP server answered {args[0]} with {status}: {data!r}.")
        return list(data)

    def fetch(self) -> Iterator[Item]:
        seen = self.state.imap.get(self.label, {})
        start = seen.get("last_uid", 0) + 1 if seen.get("uidvalidity") == self.validity else 1
        found = self._command("SEARCH", f"UID {start}:*")
        uids = sorted(int(uid) for uid in (found[0] or b"").split() if int(uid) >= start)  # type: ignore[attr-defined]
        for first in range(0, len(uids), _FETCH_CHUNK):
            chunk = ",".join(str(uid) for uid in uids[first : first + _FETCH_CHUNK])
            for entry in self._command("FETCH", chunk, "(UID BODY.PEEK[])"):
                if isinstance(entry, tuple) and len(entry) == 2:
                    match = _UID.search(entry[0])
                    if match:
                        uid = int(match.group(1))
                        self.highest = max(self.highest, uid)
                        yield Item(str(uid), entry[1])

    def is_done(self, message_id: str) -> bool:
        return False  # processed messages were moved out of this folder

    def mark_processed(self, done: list[tuple[Item, str]]) -> None:
        if not done:
            return
        uids = ",".join(item.ref for item, _ in done)
        self._command("STORE", uids, "+FLAGS", f"({self.flag})")
        self.client.create(_quote(self.processed_folder))  # answers NO when it exists, which is fine
        if "MOVE" in self.client.capabilities:
            self._command("MOVE", uids, _quote(self.processed_folder))
            return
        self._command("COPY", uids, _quote(self.processed_folder))
        self._command("STORE", uids, "+FLAGS", "(\\Deleted)")
        if "UIDPLUS" in self.client.capabilities:
            self._command("EXPUNGE", uids)  # only ours: the editor's own deleted messages stay until they expunge
        else:
            self.client.expunge()

    def finish(self, failed: Sequence[Item] = ()) -> None:
        # A failed message stays in the folder unflagged: stop the mark just before it, so the next run fetches
        # it again (with the editor's other mail after it, which is classified again and left alone again).
        last = min([self.highest, *(int(item.ref) - 1 for item in failed)])
        if self.highest:
            self.state.imap[self.label] = {"uidvalidity": self.validity, "last_uid": last}
        save_state(self.state_path, self.state)

    def close(self) -> None:
        try:
            self.client.close()
            self.client.logout()
        except (OSError, imaplib.IMAP4.error):
            pass


def open_source(
    state_path: Path,
    *,
    mbox: Path | None = None,
    maildir: Path | None = None,
    imap_url: str = "",
    imap_password: str = "",
    processed_folder: str = "",
) -> MailSource:
    """The source `newsletter inbox` reads: an mbox file, else a Maildir, else an IMAP folder (`imap_url`: the
    option's or [inbox] imap_url), with what earlier runs handled, from `state_path`."""
    memory = load_state(state_path)
    if mbox is not None:
        return open_mbox(mbox, memory, state_path)
    if maildir is not None:
        return open_maildir(maildir, memory, state_path)
    if not imap_url:
        raise UsageError("give --imap URL, --mbox FILE or --maildir DIR, or set [inbox] imap_url.")
    address = parse_imap_url(imap_url)
    if not imap_password:
        raise InboxError("NEWSLETTER_IMAP_PASSWORD is not set: set it to the mailbox password.")
    return ImapSource(address, imap_password, processed_folder, memory, state_path)
