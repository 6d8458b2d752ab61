"""How many readers start at once.

A reader's start (Textual's first layout and frames) takes a few hundred milliseconds of CPU.
Twenty visitors arriving together on a two-core host, all started at once, share the cores
twenty ways: each waits for nearly all the others, and switching between twenty processes
costs CPU of its own (measured with ``benchmarks/bench_serve.py``: 20 at once were all painted
in 7-10 s, and every visitor waited nearly that long). Started a few at a time, as many as
the machine has cores, the first visitors see their reader in well under a second and the
last sooner than before.

A reader keeps its place until it says its first whole frame is painted
(``ReaderProcess.ready``), it ends, or ``HOLD_S`` passes: one that never says so does not
keep the others waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

HOLD_S = 5.0


class Starting(Protocol):
    @property
    def ready(self) -> asyncio.Future[None]: ...


S = TypeVar("S", bound=Starting)


class StartGate:
    def __init__(self, width: int, hold_s: float = HOLD_S) -> None:
        self.width = width
        self._slots = asyncio.Semaphore(width)
        self._hold_s = hold_s
        self._holding: set[asyncio.Future[None]] = set()
        self.waiting = 0
        """Readers waiting for their turn to start."""

    async def start(self, begin: Callable[[], Awaitable[S]]) -> S:
        """``begin()`` once fewer than ``width`` readers are starting; the reader it gives
        back holds its place until it is ready."""
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        try:
            started = await begin()
        except BaseException:
            self._slots.release()
            raise
        holding = asyncio.ensure_future(self._hold(started.ready))
        self._holding.add(holding)  # the loop keeps only weak references to tasks
        holding.add_done_callback(self._holding.discard)
        return started

    async def _hold(self, ready: asyncio.Future[None]) -> None:
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(ready), self._hold_s)
        finally:
            self._slots.release()
