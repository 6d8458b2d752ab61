"""First-run welcome: what Verselight is, what the marks mean, and the alpha's constraints."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

WELCOME = """\
[b]Read the Bible verse by verse[/b], offline, and look at the illustrations made for each \
verse. Reading and looking are free.

[b]\u25cf[/b] A dot beside a verse number means that verse has illustrations.

[b]Illustrations cost credits[/b]: $3 buys 300, paid with a Lightning invoice you scan \
from a phone wallet or Cash App.

[dim]This is an alpha:[/dim]
  \u2022 Lightning is the only way to pay.
  \u2022 No refunds.
  \u2022 No accounts: credits live in this terminal's session \
(move it with [b]verselight session export[/b])."""


class OnboardingScreen(ModalScreen[str]):
    """Dismisses with "buy" or "browse"."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "dismiss('browse')", "Browse free")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="onboarding") as box:
            box.border_title = "Welcome to Verselight"
            yield Static(WELCOME, id="welcome")
            with Horizontal(id="choices"):
                yield Button("Buy credits", id="buy", variant="primary")
                yield Button("Browse free", id="browse")

    def on_mount(self) -> None:
        self.query_one("#browse", Button).focus()

    @on(Button.Pressed)
    def _chosen(self, event: Button.Pressed) -> None:
        self.dismiss("buy" if event.button.id == "buy" else "browse")
