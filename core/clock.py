"""Time as the engine sees it. Everything that decides by time takes a ``Clock``, so tests can
walk through a lockout timeline or a UTC midnight without waiting for one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def local_today(clock: Clock) -> date:
    """The reader's calendar day: the clock's instant in this process's local time zone (a
    reading plan's "today" turns over at the reader's midnight, not UTC's)."""
    return clock().astimezone().date()
