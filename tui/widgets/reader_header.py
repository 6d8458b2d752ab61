"""The top line: app name, where you are, the translation, and room for the credits badge."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from tui.widgets.credits_badge import CreditsBadge


class ReaderHeader(Horizontal):
    def compose(self) -> ComposeResult:
        yield Static("Verselight", id="app-title")
        yield Static("", id="location")
        yield Static("", id="translation")
        yield CreditsBadge("", id="credits-badge")

    def show(self, location: str, translation: str) -> None:
        # The location's width is fixed (1fr): only a new translation id can change the layout.
        self.query_one("#location", Static).update(location, layout=False)
        shown = self.query_one("#translation", Static)
        if shown.content != translation:
            shown.update(translation)
