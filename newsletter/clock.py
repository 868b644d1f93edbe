"""The one clock: library code takes `now`/`clock` arguments that default to utc_now, so tests inject a fixed time
and output stays byte-stable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
