"""First-run welcome: what Verselight is, what the marks mean, and the alpha's constraints."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from tui.screens.quiet_repaints import QuietRepaints

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


class OnboardingScreen(QuietRepaints, ModalScreen[str]):
    """Dismisses with "buy" or "browse"."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "dismiss('browse')", "Browse free"),
        Binding("down", "scroll(1)", "Scroll", show=False),
        Binding("up", "scroll(-1)", "Scroll", show=False),
    ]

    def compose(self) -> ComposeResult:
        # The dialog scrolls and its footer is docked, so at 80x24 the welcome text scrolls
        # while the choices and the keys that leave stay on screen.
        with VerticalScroll(id="dialog", classes="onboarding") as box:
            box.border_title = "Welcome to Verselight"
            with Vertical(id="footer"):
                with Horizontal(id="choices"):
                    yield Button("Buy credits", id="buy", variant="primary")
                    yield Button("Browse free", id="browse")
                yield Label(
                    "[b]\u2191\u2193[/b] scroll  [b]Tab[/b] switch  [b]Enter[/b] choose  [b]Esc[/b] browse free",
                    id="keys",
                )
            yield Static(WELCOME, id="welcome")

    def on_mount(self) -> None:
        self.query_one("#browse", Button).focus()

    def action_scroll(self, lines: int) -> None:
        """The buttons hold the focus, so the arrows scroll the text from here."""
        self.query_one("#dialog", VerticalScroll).scroll_relative(y=lines, animate=False)

    @on(Button.Pressed)
    def _chosen(self, event: Button.Pressed) -> None:
        self.dismiss("buy" if event.button.id == "buy" else "browse")
