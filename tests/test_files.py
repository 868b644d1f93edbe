"""Atomic writes keep the file's mode, and a new file gets the usual permissions, not mkstemp's 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from newsletter.files import write_atomic, write_if_changed


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
