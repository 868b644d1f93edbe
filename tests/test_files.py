"""Atomic writes keep the file's mode, and a new file gets the usual permissions, not mkstemp's 0600.

A disk that refuses (full, read-only, an immutable file or folder, a folder where the file should be) gives a
NewsletterError naming the file and the fix; the old file stays whole and no temporary file is left. The full and
read-only disks are real: small tmpfs mounts (root only; elsewhere these tests skip with the reason).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import require
from newsletter.errors import NewsletterError
from newsletter.files import describe_os_error, write_atomic, write_if_changed

AGAIN = "then run the command again (nothing was changed)."


def test_new_file_gets_umask_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "a.txt", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_existing_mode_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_bytes(b"old")
    path.chmod(0o640)
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_write_if_changed_leaves_an_unchanged_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "index.html"
    assert write_if_changed(path, b"same") is True
    before = path.stat().st_mtime_ns
    assert write_if_changed(path, b"same") is False
    assert path.stat().st_mtime_ns == before


@contextmanager
def small_disk(where: Path, size: str = "64k") -> Iterator[Path]:
    """A real tmpfs of `size` mounted at `where`, unmounted afterwards."""
    where.mkdir()
    mounted = (
        os.geteuid() == 0
        and shutil.which("mount") is not None
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)], capture_output=True
        ).returncode
        == 0
    )
    require(mounted, "mounting a small tmpfs needs root and mount(8) (a container without CAP_SYS_ADMIN cannot)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


def fill(disk: Path) -> None:
    """Take every free block of `disk`."""
    with (disk / "fill").open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC
    assert os.statvfs(disk).f_bavail == 0


@contextmanager
def immutable(path: Path) -> Iterator[Path]:
    """`path` with the immutable flag set (chattr +i): not even root may change, replace or add to it."""
    done = shutil.which("chattr") is not None and subprocess.run(["chattr", "+i", str(path)]).returncode == 0
    require(done, "chattr +i needs root, chattr(1) and a file system that keeps the flag (ext4, tmpfs)")
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_full_disk_is_a_one_line_error_and_the_old_file_stays(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        path = disk / "subscribers.csv"
        path.write_bytes(b"email\na@example.org\n")
        fill(disk)
        with pytest.raises(NewsletterError) as caught:
            write_atomic(path, b"email\n" + b"b@example.org\n" * 2000)
        assert str(caught.value) == (
            f"cannot write {path}: the disk is full (No space left on device): free some space, {AGAIN}"
        )
        assert path.read_bytes() == b"email\na@example.org\n"
        assert sorted(p.name for p in disk.iterdir()) == ["fill", "subscribers.csv"]


def test_a_read_only_disk_is_a_one_line_error(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        path = disk / "subscribers.csv"
        path.write_bytes(b"old")
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        with pytest.raises(NewsletterError) as caught:
            write_atomic(path, b"new")
        assert str(caught.value) == (
            f"cannot write {path}: the disk is mounted read-only (Read-only file system): remount it read-write "
            f"or work on a copy, {AGAIN}"
        )
        assert path.read_bytes() == b"old"


IMMUTABLE = (
    "not allowed (Operation not permitted): make the file and its folder writable by this user (`lsattr` shows an "
    "immutable one, `chattr -i` clears it)"
)


def test_an_immutable_file_or_folder_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_bytes(b"old")
    with immutable(path):
        with pytest.raises(NewsletterError) as caught:
            write_atomic(path, b"new")
        assert str(caught.value) == f"cannot write {path}: {IMMUTABLE}, {AGAIN}"
        assert path.read_bytes() == b"old"
        assert [p.name for p in tmp_path.iterdir()] == ["subscribers.csv"]  # the temporary file is gone
    with immutable(tmp_path):
        with pytest.raises(NewsletterError) as caught:
            write_atomic(path, b"new")
        assert str(caught.value) == f"cannot write {path}: {IMMUTABLE}, {AGAIN}"
    assert path.read_bytes() == b"old"


def test_a_folder_where_the_file_should_be_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "subscribers.csv").mkdir()
    with pytest.raises(NewsletterError) as caught:
        write_atomic(tmp_path / "subscribers.csv", b"new")
    assert str(caught.value) == (
        f"cannot write {tmp_path / 'subscribers.csv'}: it is a folder, not a file (Is a directory): move the folder "
        f"out of the way, {AGAIN}"
    )
    (tmp_path / "export").write_text("a file")
    with pytest.raises(NewsletterError) as caught:
        write_atomic(tmp_path / "export" / "out.csv", b"new")
    assert str(caught.value) == (
        f"cannot write {tmp_path / 'export' / 'out.csv'}: part of the path is a file, not a folder (File exists): "
        f"check the path, {AGAIN}"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "subscribers.csv"]


def test_a_failing_disk_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_bytes(b"old")

    def failing_fsync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)  # the lowest boundary: the system call
    with pytest.raises(NewsletterError) as caught:
        write_atomic(path, b"new")
    assert str(caught.value) == (
        f"cannot write {path}: Input/output error: check the disk and the folder, then run the command again "
        "(nothing was changed)."
    )
    assert [p.name for p in tmp_path.iterdir()] == ["subscribers.csv"]
    assert path.read_bytes() == b"old"


def test_a_file_this_user_may_not_read_is_a_one_line_error(tmp_path: Path) -> None:
    error = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "subscribers.csv"))
    assert describe_os_error(tmp_path / "subscribers.csv", error, "read") == (
        f"cannot read {tmp_path / 'subscribers.csv'}: not allowed (Permission denied): make the file readable by "
        "this user, then run the command again"
    )
