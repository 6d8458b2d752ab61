"""What one generation asks for (``Job``) and what the dialog shows before it (``Readiness``)."""

from __future__ import annotations

from dataclasses import dataclass

from core.bible.references import VerseRef
from core.generation.catalog import Offer
from core.sessions.tiers import Tier

__all__ = ["Job", "Readiness"]


@dataclass(frozen=True, slots=True)
class Readiness:
    """What the generate dialog shows for one model before anything happens."""

    tier: Tier
    balance: int
    available: int
    price: int
    allowed: bool
    reason: str | None
    """Why not, when not allowed: a sentence."""

    @property
    def missing(self) -> int:
        return max(0, self.price - self.available) if self.tier is Tier.PAID else 0

    @property
    def held(self) -> int:
        """Credits set aside by generations still in progress (this terminal's or another's)."""
        return self.balance - self.available

    @property
    def waiting_for_holds(self) -> bool:
        """Short only because generations in progress hold credits: the balance covers the
        price, so the answer is to wait for them, not to buy more."""
        return self.tier is Tier.PAID and self.available < self.price <= self.balance

    @property
    def balance_after(self) -> int:
        return self.balance if self.tier is Tier.ADMIN else self.balance - self.price


@dataclass(frozen=True, slots=True)
class Job:
    ref: VerseRef
    translation: str
    offer: Offer
    theme: str | None = None
    aspect_ratio: str = "16:9"
