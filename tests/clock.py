"""The one stand-in clock of the test suite: time that moves only when the test says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

DEFAULT_START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class ManualClock:
    """A clock (a callable giving an aware ``datetime``) that a test moves by hand.

    ``advance(timedelta(hours=1))`` and ``advance(hours=1)`` both move it; ``now`` may also be set.
    """

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta | None = None, /, **parts: float) -> None:
        self.now += (delta or timedelta()) + timedelta(**parts)
