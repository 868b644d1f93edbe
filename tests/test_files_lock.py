"""The one file lock (newsletter.files.hold_lock): `<file>.lock` beside the file, exclusive across processes and
within one, the holder's pid for messages, and the lock file gone once released, without ever letting two holders
in (a waiter whose file was deleted under it tries again instead of counting its lock)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import newsletter.files as files
from newsletter.errors import NewsletterError, SendError
from newsletter.files import claim_file, hold_lock, lock_path


def busy(holder: str) -> NewsletterError:
    return SendError(f"held by pid {holder}")


def test_the_lock_is_file_dot_lock_and_is_gone_once_released(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    with hold_lock(path, timeout=0, busy=busy):
        assert sorted(p.name for p in tmp_path.iterdir()) == ["subscribers.csv.lock"]
        assert lock_path(path).read_text() == str(os.getpid())
    assert list(tmp_path.iterdir()) == []


def test_a_second_holder_in_the_same_process_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    path = tmp_path / "2015-03-16.jsonl"
    with (
        hold_lock(path, timeout=0, busy=busy),
        pytest.raises(SendError, match=rf"^held by pid {os.getpid()}$"),
        hold_lock(path, timeout=0.2, busy=busy),
    ):
        pass  # pragma: no cover
    with hold_lock(path, timeout=0, busy=busy):  # released: free again
        pass


def test_another_process_waits_for_the_lock_then_takes_it(tmp_path: Path) -> None:
    path = tmp_path / "issue.yaml"
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from newsletter.errors import NewsletterError
        from newsletter.files import hold_lock
        with hold_lock(Path({str(path)!r}), timeout=30, busy=NewsletterError):
            print("got it", flush=True)
        """
    )
    with hold_lock(path, timeout=0, busy=busy):
        child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        # The child cannot have the lock while we hold it: it is still waiting (or starting) when we let go.
        assert child.poll() is None or child.returncode != 0
    out, _ = child.communicate(timeout=60)
    assert (child.returncode, out) == (0, "got it\n")
    assert list(tmp_path.iterdir()) == []


def test_a_waiter_that_locks_a_file_deleted_under_it_does_not_count_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race that keeps filelock from deleting its lock files: our waiter opened the lock file, the holder
    deleted it on release, a third process created and locked a new one, and only then did our waiter's flock on
    the deleted file succeed. That lock must not count: the waiter tries the new file, which is held."""
    path = tmp_path / "subscribers.csv"
    lock = lock_path(path)
    real_lock_fd = files.lock_fd
    third: list[int] = []

    def racing(fd: int, *, wait: bool = False) -> bool:
        if not third:
            lock.unlink()  # the old holder's release
            third.append(os.open(lock, os.O_RDWR | os.O_CREAT))  # the third process takes the new file
            fcntl.flock(third[0], fcntl.LOCK_EX)
        return real_lock_fd(fd, wait=wait)  # our flock on the deleted file succeeds

    monkeypatch.setattr(files, "lock_fd", racing)
    try:
        with pytest.raises(SendError, match="held by pid"), hold_lock(path, timeout=0.2, busy=busy):
            pass  # pragma: no cover
        assert lock.exists()  # the third process's file: not deleted by the waiter that gave up
    finally:
        for fd in third:
            os.close(fd)


def test_a_claimed_file_is_claimed_once_and_a_deleted_one_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_bytes(b"[]\n")
    with claim_file(path) as mine, claim_file(path) as other:
        assert (mine, other) == (True, False)
    with claim_file(path) as mine:
        path.unlink()
        assert mine
    with claim_file(path) as mine:
        assert not mine
