"""The header's credits badge: tier and balance, or why credits are unavailable."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.events import Click
from textual.message import Message
from textual.widgets import Static

from core.sessions.tiers import Tier

if TYPE_CHECKING:
    from core.account import AccountState

PENDING = "Credits \u2026"


def badge_text(state: AccountState | None) -> str:
    if state is None:
        return "Credits unavailable"
    if state.tier is Tier.ADMIN:
        return "Admin"
    credits = state.balance.available
    noun = "credit" if credits == 1 else "credits"
    held = f" ({state.balance.held} held)" if state.balance.held else ""
    label = "Paid" if state.tier is Tier.PAID else "Free"
    return f"{label} \u00b7 {credits} {noun}{held}"


class CreditsBadge(Static):
    class Pressed(Message):
        """The reader clicked the badge: offer to buy credits."""

    def show_pending(self) -> None:
        """Until the account is open (just after the reader's first frame)."""
        self.update(PENDING)
        self.set_classes("-pending")

    def show(self, state: AccountState | None) -> None:
        self.update(badge_text(state))
        tier = "unavailable" if state is None else state.tier.name.lower()
        self.set_classes(f"-{tier}")

    def on_click(self, event: Click) -> None:
        event.stop()
        self.post_message(self.Pressed())
