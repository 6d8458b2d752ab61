"""The generate dialog's progress: the model, a bar against the ETA, elapsed time and cancel.

The bar fills towards ``FILL_LIMIT`` over the ETA and waits there: it never claims to be done
before the image has arrived. The dialog owns the clock and the worker; this pane only shows.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, ProgressBar, Static

from core.generation.catalog import Offer
from core.generation.stats import Eta
from tui.generate_text import elapsed_text, fill, made_by


class ProgressPane(Vertical):
    """The progress state of the generate dialog (its Cancel button is handled by the dialog)."""

    def compose(self) -> ComposeResult:
        yield Static("", id="progress-model")
        yield ProgressBar(total=100, show_eta=False, show_percentage=False, id="bar")
        yield Static("", id="elapsed")
        yield Static("", id="progress-note")
        with Horizontal(classes="choices"):
            yield Button("Cancel", id="stop", variant="warning")

    def begin(self, offer: Offer, theme: str, aspect: str, note: str) -> None:
        """Name the model, theme and shape, say what happens to the credits, offer Cancel."""
        self.query_one("#progress-model", Static).update(
            Content.assemble((made_by(offer), "bold"), f"\n{theme} \u00b7 {aspect}")
        )
        self.query_one("#progress-note", Static).update(Content(note))
        self.query_one("#stop", Button).display = True

    def tick(self, elapsed: float, eta: Eta) -> None:
        self.query_one("#bar", ProgressBar).update(progress=fill(elapsed, eta))
        self.query_one("#elapsed", Static).update(elapsed_text(elapsed, eta))

    def done(self, message: str) -> None:
        """The image is saved while something covers the dialog: say so, nothing to cancel."""
        self.query_one("#bar", ProgressBar).update(progress=100)
        self.query_one("#elapsed", Static).update(Content(f"Done: {message}"))
        self.query_one("#stop", Button).display = False
