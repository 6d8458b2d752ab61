"""New connections per address per minute: a sliding window in memory (one host, one process)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 60.0


class RateLimit:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}

    def allow(self, address: str) -> bool:
        now = self._clock()
        times = self._seen.setdefault(address, deque())
        while times and now - times[0] >= WINDOW_S:
            times.popleft()
        if len(times) >= self.per_minute:
            return False
        times.append(now)
        if len(self._seen) > 10_000:  # forget quiet addresses: memory stays bounded
            for key in [k for k, v in self._seen.items() if not v or now - v[-1] >= WINDOW_S]:
                del self._seen[key]
        return True
