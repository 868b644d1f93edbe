"""Writing files so that a crash leaves the old version or the new one, never a mix.

A disk that is full, read-only or locked (an immutable file or folder), or a folder where the file should be, is
the editor's to fix, not a bug: every failure of the file system here becomes a NewsletterError naming the file,
what went wrong and the fix. No temporary file is left behind and the old file stays whole, because the new
version only ever replaces it by one rename.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
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
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as error:
        raise NewsletterError(
            f"{path} was written, but its folder could not be flushed to disk ({error.strerror}): "
            "check the disk before relying on the file."
        ) from error


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
