"""The session's credits: balance, every ledger entry, and credits currently held."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, Static

from core.account import Account
from tui.screens.quiet_repaints import QuietRepaints
from tui.widgets.credits_badge import badge_text

KIND_LABELS = {
    "purchase": "Bought",
    "charge": "Illustration",
    "grant": "Granted",
    "adjust": "Adjusted",
}


class HistoryScreen(QuietRepaints, ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape,q,c", "dismiss(None)", "Close")]

    def __init__(self, account: Account | None) -> None:
        super().__init__()
        self.account = account

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="history") as box:
            box.border_title = "Credits and history"
            if self.account is None:
                yield Static(
                    "Credits are unavailable in this run, so there is no history to show.",
                    id="summary",
                )
            else:
                yield Static("", id="summary")
                yield DataTable(id="entries", cursor_type="row", zebra_stripes=True)
                yield Label("", id="holds")
                with Horizontal(classes="choices"):
                    yield Button("Buy credits", id="buy-credits", variant="primary")
            yield Label("[b]Esc[/b] close", id="keys")

    @on(Button.Pressed, "#buy-credits")
    def _buy(self) -> None:
        self.dismiss(None)
        self.app.call_later(self.app.run_action, "buy_credits")

    def on_mount(self) -> None:
        if self.account is None:
            return
        state = self.account.state()
        self.query_one("#summary", Static).update(
            f"Session [b]{state.short_id}[/b]  \u00b7  {badge_text(state)}  \u00b7  "
            f"balance {state.balance.balance}"
        )
        table = self.query_one("#entries", DataTable)
        table.add_columns("When (UTC)", "What", "Credits", "Detail")
        entries = self.account.history()
        for e in entries:
            detail = e.note or (f"invoice {e.payment_hash[:12]}\u2026" if e.payment_hash else "")
            if e.image_id:
                detail = f"image {e.image_id[:12]}"
            table.add_row(
                e.at.strftime("%Y-%m-%d %H:%M"),
                KIND_LABELS.get(e.kind, e.kind),
                f"{e.amount:+d}",
                detail,
            )
        if not entries:
            table.display = False
            self.query_one("#summary", Static).update(
                f"Session [b]{state.short_id}[/b]  \u00b7  {badge_text(state)}\n\n"
                "No credits have moved in this session yet."
            )
        holds = self.account.open_holds()
        self.query_one("#holds", Label).update(
            "Held now: "
            + ", ".join(f"{h.amount} for {h.purpose} since {h.created_at[11:16]}" for h in holds)
            if holds
            else "No credits are held right now."
        )
