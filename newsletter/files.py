"""Writing files so that a crash leaves the old version or the new one, never a mix; and the one file lock.

A disk that is full, read-only or locked (an immutable file or folder), or a folder where the file should be, is
the editor's to fix, not a bug: every failure of the file system here becomes a NewsletterError naming the file,
what went wrong and the fix. No temporary file is left behind and the old file stays whole, because the new
version only ever replaces it by one rename.

Locks are flock(2) locks. `hold_lock` guards a file by `<file>.lock` beside it (subscribers.csv, a send ledger, an
issue being edited) and deletes that lock file on release; `claim_file` locks a file itself (the web journal's
files, whose lock says that a writer is still using them).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from newsletter.errors import NewsletterError

_AGAIN = "then run the command again"


def describe_os_error(path: Path, error: OSError, doing: str = "write") -> str:
    """One sentence for an OSError met while `doing` something to `path`: what happened and the fix."""
    reason = error.strerror or type(error).__name__
    code = error.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        fix = f"the disk is full ({reason}): free some space, {_AGAIN}"
    elif code == errno.EROFS:
        fix = f"the disk is mounted read-only ({reason}): remount it read-write or work on a copy, {_AGAIN}"
    elif code in (errno.EACCES, errno.EPERM) and doing == "read":
        fix = f"not allowed ({reason}): make the file readable by this user, {_AGAIN}"
    elif code in (errno.EACCES, errno.EPERM):
        fix = (
            f"not allowed ({reason}): make the file and its folder writable by this user "
            f"(`lsattr` shows an immutable one, `chattr -i` clears it), {_AGAIN}"
        )
    elif code == errno.EISDIR:
        fix = f"it is a folder, not a file ({reason}): move the folder out of the way, {_AGAIN}"
    elif code in (errno.ENOTDIR, errno.EEXIST):  # EEXIST: mkdir of a folder where a file is
        fix = f"part of the path is a file, not a folder ({reason}): check the path, {_AGAIN}"
    elif code == errno.ENOENT:
        fix = f"its folder does not exist ({reason}): check the path or create the folder, {_AGAIN}"
    else:
        fix = f"{reason}: check the disk and the folder, {_AGAIN}"
    return f"cannot {doing} {path}: {fix}"


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder, fsync, rename (atomic on POSIX).

    Raises NewsletterError when the file system refuses; `path` then still holds its old content.
    """
    try:
        _replace(path, data)
    except OSError as error:
        raise NewsletterError(describe_os_error(path, error) + " (nothing was changed).") from error
    # The rename itself is durable only once the folder's entry is on disk.
    try:
        fsync_dir(path.parent)
    except OSError as error:
        raise NewsletterError(
            f"{path} was written, but its folder could not be flushed to disk ({error.strerror}): "
            "check the disk before relying on the file."
        ) from error


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries to disk: a file created or renamed in it survives a crash only then."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            # mkstemp creates the file 0600; keep the mode the file had, or give a new one the usual 0666 & ~umask,
            # so a spreadsheet or a web server can still read what we rewrite.
            os.fchmod(handle.fileno(), _mode_for(path))
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_text_atomic(path: Path, text: str) -> None:
    write_atomic(path, text.encode("utf-8"))


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically write `data` unless the file already holds exactly it; True when written."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except OSError as error:
        raise NewsletterError(describe_os_error(path, error, "read") + ".") from error
    write_atomic(path, data)
    return True


LOCK_SUFFIX = ".lock"
_POLL = 0.05  # seconds between two tries for a lock another process holds
# Some file systems answer EACCES where others answer EWOULDBLOCK for a lock held elsewhere.
_HELD = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES})


def lock_path(path: Path) -> Path:
    """The lock file that guards `path`: `<file>.lock` beside it."""
    return path.with_name(path.name + LOCK_SUFFIX)


def lock_fd(fd: int, *, wait: bool = False) -> bool:
    """flock `fd` exclusively; without `wait`, False at once when another open file holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in _HELD and not wait:
            return False
        raise
    return True


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


@contextmanager
def hold_lock(
    path: Path,
    *,
    timeout: float,
    busy: Callable[[str], NewsletterError],
    error: type[NewsletterError] = NewsletterError,
) -> Iterator[None]:
    """Hold `<path>.lock` while the block runs, waiting up to `timeout` seconds (0: not at all) for another holder;
    then raise `busy(pid)` with the holder's process id as it wrote it ("unknown" if it did not yet).

    The lock file is deleted on release, so a folder is not left with one per file ever locked. filelock's
    UnixFileLock keeps its file because deleting it is a race (tox-dev/filelock #27, #574): a waiter that opened
    the old file would lock it after the delete while a third process locks a new file of the same name. Here every
    holder deletes the file before it unlocks, and every taker checks after flock that the file it locked is still
    the one at the path, and tries again if not: the waiter's lock on a deleted file never counts. All of the
    project's locks go through this function, so every process follows that rule.
    """
    lock = lock_path(path)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as problem:
            raise error(describe_os_error(lock, problem, "create the lock") + " (nothing was changed).") from None
        try:
            if lock_fd(fd):
                if _same_file(fd, lock):
                    break
                os.close(fd)  # its holder deleted it as we locked it: the lock now is a new file
                continue
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
        if time.monotonic() >= deadline:
            raise busy(_holder(lock))
        time.sleep(_POLL)
    try:
        with contextlib.suppress(OSError):  # for people and messages only (a full disk may refuse it): the lock is
            os.ftruncate(fd, 0)  # the flock, not the text
            os.write(fd, str(os.getpid()).encode("ascii"))
        yield
    finally:
        # Only our own file (someone may have deleted it by hand); in a read-only folder the next taker reuses it.
        with contextlib.suppress(OSError):
            if _same_file(fd, lock):
                lock.unlink()
        os.close(fd)


def _holder(lock: Path) -> str:
    try:
        return lock.read_text(encoding="ascii", errors="replace").strip() or "unknown"
    except OSError:
        return "unknown"


@contextmanager
def claim_file(path: Path) -> Iterator[bool]:
    """Lock `path` itself while the block runs: True when this process holds it, False when another one does or the
    file was deleted (by a holder that was done with it) before it could be locked."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        yield False
        return
    try:
        yield lock_fd(fd) and os.fstat(fd).st_nlink > 0
    finally:
        os.close(fd)


def shown_path(path: Path) -> str:
    """`path` as a command shows it: relative to the current folder when it is inside it, else as it is."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
