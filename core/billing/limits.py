"""Operator-set limits on what one session may do, with the defaults of DESIGN.md section 5."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class Limits:
    generations_per_minute: int = 5
    invoices_per_minute: int = 10
    daily_credit_cap: int = 500
    """Credits one session may spend per UTC day (charged plus held); admin is exempt."""
    stale_hold_age: timedelta = timedelta(minutes=15)
    """Holds older than this are left by a crash and are released at start."""
