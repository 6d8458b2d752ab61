"""What a session may do, from its admin flag and balance (DESIGN 4).

The tier is derived, never stored: storing it would let it drift from the balance. Admin is a
sticky flag on the session row, so it wins whatever the balance does.
"""

from __future__ import annotations

from enum import Enum


class Tier(Enum):
    FREE = "free"
    """Browse and view saved images; cannot generate."""
    PAID = "paid"
    """Credits > 0: generate while the available credits cover the model's cost."""
    ADMIN = "admin"
    """No credit checks (rate limits still apply)."""


def tier_of(is_admin: bool, balance: int) -> Tier:
    if is_admin:
        return Tier.ADMIN
    return Tier.PAID if balance > 0 else Tier.FREE


class Refusal(Enum):
    """Why a session may not spend credits on something now."""

    FREE_TIER = "free tier"
    """No credits at all: a free session only reads and looks."""
    SHORT = "short"
    """The available credits do not cover the cost."""
    DAILY_CAP = "daily cap"
    """Today's charges and open holds plus this cost would pass the daily cap."""


def spend_refusal(
    tier: Tier, available: int, cost: int, spent_today: int = 0, daily_cap: int | None = None
) -> Refusal | None:
    """THE rule for spending credits (DESIGN 4 and 5): the generate dialog's readiness and the
    ledger's ``place_hold`` both ask it, so the pre-check and the real check cannot drift.

    Admin: always (no credit checks). Free: never. Paid: when ``available`` (balance minus
    open holds, so two generations cannot both count the same credits) covers ``cost`` and,
    for a priced action, ``spent_today`` (charged today plus held) plus ``cost`` stays within
    ``daily_cap`` (no cap when None). None means allowed.
    """
    if cost < 0:
        raise ValueError("a cost cannot be negative")
    if tier is Tier.ADMIN:
        return None
    if tier is Tier.FREE:
        return Refusal.FREE_TIER
    if available < cost:
        return Refusal.SHORT
    if daily_cap is not None and cost > 0 and spent_today + cost > daily_cap:
        return Refusal.DAILY_CAP
    return None
