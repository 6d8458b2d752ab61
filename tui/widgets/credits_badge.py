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

    _shown: str | None = None

    def show_pending(self) -> None:
        """Until the account is open (just after the reader's first frame)."""
        self._shown = PENDING
        self.update(PENDING)
        self.set_classes("-pending")

    def show(self, state: AccountState | None) -> None:
        """Asked at every ledger change the reader notices, most of which leave the badge as
        it was: then it is not touched, as a repaint would lay out the screen again, and
        under a dialog send a whole column of the dialog once more."""
        text = badge_text(state)
        tier = "unavailable" if state is None else state.tier.name.lower()
        if text == self._shown and self.has_class(f"-{tier}"):
            return
        self._shown = text
        self.update(text)
        self.set_classes(f"-{tier}")

    def on_click(self, event: Click) -> None:
        event.stop()
        self.post_message(self.Pressed())
