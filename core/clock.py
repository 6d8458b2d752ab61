"""Time as the engine sees it. Everything that decides by time takes a ``Clock``, so tests can
walk through a lockout timeline or a UTC midnight without waiting for one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
