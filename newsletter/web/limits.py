"""Rate limits kept in memory, per worker process.

With several uvicorn workers each keeps its own counts, so a client may get up to workers x the limit; that is
enough to stop one client flooding the sign-up form or one address being mailed over and over, and needs no shared
store. A restart forgets the counts.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    """At most `limit` events per key in any window of `window` seconds (a fixed window per key)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float], *, max_keys: int = 100_000) -> None:
        self.limit, self.window, self.clock, self.max_keys = limit, window, clock, max_keys
        self._counts: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Count one event for `key`; False when it is over the limit (then it is not counted)."""
        now = self.clock()
        start, count = self._counts.get(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        if count >= self.limit:
            return False
        self._counts[key] = (start, count + 1)
        self._counts.move_to_end(key)
        # A flood of distinct keys (spoofed addresses) must not grow memory without bound: the least recently
        # counted keys go first, which can only make the limit looser for them, never stricter.
        while len(self._counts) > self.max_keys:
            self._counts.popitem(last=False)
        return True

    def retry_after(self, key: str) -> int:
        """Whole seconds until `key` may act again."""
        start, _ = self._counts.get(key, (self.clock(), 0))
        return max(1, int(start + self.window - self.clock()) + 1)
