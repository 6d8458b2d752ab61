""" "Today's reading", shown when the reader opens on a day whose plan reading is not done.
Closing it in any way waves it away until tomorrow."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from core.plans import ActivePlan
from tui.screens.plan import progress_line
from tui.screens.quiet_repaints import QuietRepaints


class TodaysReadingScreen(QuietRepaints, ModalScreen[str]):
    """Dismisses with "read" (go to the first reading), "plan" (open the plan) or "later"."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "dismiss('later')", "Not now"),
        Binding("p", "dismiss('plan')", "Plan", show=False),
    ]

    def __init__(self, plan: ActivePlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        lines = [f"[b]{plan.title}[/b]", progress_line(plan), ""]
        lines += [f"  [b]{r}[/b]" for d in plan.todays if not d.done for r in d.readings]
        if plan.behind:
            lines += [
                "",
                f"You missed {plan.behind} day{'s' if plan.behind != 1 else ''}: the plan "
                "can spread them over the next days, or move itself later.",
            ]
        with Vertical(id="dialog", classes="todays-reading") as box:
            box.border_title = "Today's reading"
            yield Static("\n".join(lines), id="today")
            with Horizontal(id="choices"):
                yield Button("Read now", id="read", variant="primary")
                yield Button("Plan", id="plan")
                yield Button("Not now", id="later")
            yield Label(
                "[b]Tab[/b] switch  [b]Enter[/b] choose  [b]p[/b] plan  "
                "[b]Esc[/b] not now (until tomorrow)",
                id="keys",
            )

    def on_mount(self) -> None:
        self.query_one("#read", Button).focus()

    @on(Button.Pressed)
    def _chosen(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "later")
