"""When a provider tries a request again, and how long it waits first: one policy for every provider's loop.

Only a request that left nothing sent is tried again (a refused connection, a 5xx that accepted nothing, a 4xx
from an SMTP server); a request that may have been delivered is "in doubt" and never retried here. A rate limit
(SendGrid's 429) is waited out until the time the provider names, a bounded number of times.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Retry:
    """How a provider waits before retrying a request nothing came of (5xx, refused connection).

    Injected so tests run without sleeping and with reproducible jitter.
    """

    attempts: int = 5  # retries after the first try
    base: float = 1.0  # seconds before the first retry
    cap: float = 30.0  # no single wait longer than this
    rate_limit_waits: int = 20  # rate-limit answers tolerated per request before it counts as failed
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    jitter: Callable[[], float] = random.random  # uniform in [0, 1)

    def backoff(self, attempt: int) -> float:
        """Exponential, capped, with "equal jitter": half fixed, half random, so parallel senders spread out."""
        delay = min(self.cap, self.base * 2.0**attempt)
        return delay / 2 + self.jitter() * delay / 2

    def until_reset(self, reset: str | None, waits: int) -> float:
        """The wait for a rate limit that lifts at `reset` (epoch seconds, as the provider wrote it), plus up to a
        second of jitter so parallel requests spread; backoff when the provider named no time."""
        try:
            at = float(reset or "")
        except ValueError:
            return self.backoff(waits)
        return min(self.cap * 10, max(0.0, at - self.clock())) + self.jitter()

    def start(self, sleep: Callable[[float], None] | None = None) -> Tries:
        """The count of one request's tries; `sleep` replaces the policy's own (a caller with a deadline)."""
        return Tries(self, sleep or self.sleep)


@dataclass
class Tries:
    """One request's tries under a Retry: the failures that sent nothing and the rate-limit waits, so far."""

    retry: Retry
    sleep: Callable[[float], None]
    failures: int = 0
    waits: int = 0

    def again_after_failure(self) -> bool:
        """After a try that sent nothing: wait and say True, or say False when the retries are used up."""
        if self.failures >= self.retry.attempts:
            return False
        self.sleep(self.retry.backoff(self.failures))
        self.failures += 1
        return True

    def again_after_rate_limit(self, reset: str | None) -> bool:
        """After a rate-limit answer: wait until `reset` and say True, or say False when the waits are used up."""
        if self.waits >= self.retry.rate_limit_waits:
            return False
        self.sleep(self.retry.until_reset(reset, self.waits))
        self.waits += 1
        return True
