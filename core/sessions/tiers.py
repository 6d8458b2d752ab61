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


def can_generate(tier: Tier, available: int, cost: int) -> bool:
    """The tier pre-check before a hold: admin always, paid when ``available >= cost``, free never.

    ``available`` is balance minus open holds, so two generations cannot both count the same
    credits. The hold itself is the real check; this one only spares the user a doomed attempt.
    """
    if cost < 0:
        raise ValueError("a cost cannot be negative")
    if tier is Tier.ADMIN:
        return True
    if tier is Tier.PAID:
        return available >= cost
    return False
