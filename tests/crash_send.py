"""`newsletter ARGS...` with a send that SIGKILLs itself the n-th time it reaches a checkpoint, for the crash tests:

    python tests/crash_send.py POINT[:N] ARGS...

The shipped CLI has no such hook: this harness hands one to the library's send (send_issue's `checkpoint`) and then
runs newsletter.cli.main as `python -m newsletter` would. The points are run_send's durable steps: start, snapshot,
skipped, intent, response, outcome.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
from collections.abc import Callable


def kill_at(target: str, nth: int) -> Callable[[str], None]:
    """A checkpoint that kills this process (SIGKILL: nothing is flushed or cleaned up) the nth time at `target`."""
    reached = [0]
    lock = threading.Lock()

    def checkpoint(point: str) -> None:
        if point == target:
            with lock:
                reached[0] += 1
                if reached[0] == nth:
                    os.kill(os.getpid(), signal.SIGKILL)

    return checkpoint


def main() -> None:
    target, _, nth = sys.argv[1].partition(":")
    from newsletter.sending import send

    send.send_issue = functools.partial(send.send_issue, checkpoint=kill_at(target, int(nth or "1")))
    sys.argv = ["newsletter", *sys.argv[2:]]
    from newsletter.cli import main as newsletter

    newsletter()


if __name__ == "__main__":
    main()
