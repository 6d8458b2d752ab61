"""The reading plan: progress, today's readings and the days missed (Enter reads one), mark
done, and the two ways back on track. Without a plan, the built-in plans to start one."""

from __future__ import annotations

from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from core.bible.references import VerseRef
from core.plans import BUILT_IN, ActivePlan, PlanDay, PlanError, ReadingPlans, built_in
from tui.screens.quiet_repaints import QuietRepaints

KEYS = "[b]Enter[/b] read  [b]d[/b] done  [b]c[/b] catch up  [b]s[/b] shift  [b]Esc[/b] close"
KEYS_NO_PLAN = "[b]\u2191\u2193[/b] choose  [b]Enter[/b] start this plan  [b]Esc[/b] close"


def day_label(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b}"


def progress_line(plan: ActivePlan) -> str:
    """Days done and behind; where the plan ends on the next line."""
    behind = (
        f"  \u00b7  [b]behind by {plan.behind} day{'s' if plan.behind != 1 else ''}[/b]"
        if plan.behind
        else ""
    )
    return (
        f"{plan.done_count} of {plan.total} days done ({plan.percent}%){behind}\n"
        f"Ends {day_label(plan.ends_on)} {plan.ends_on.year}."
    )


class PlanScreen(QuietRepaints, ModalScreen[VerseRef | None]):
    """Dismisses with the start of the reading chosen, or None."""

    CSS_PATH = ["dialogs.tcss", "plan.tcss"]
    BINDINGS = [
        Binding("escape,q", "dismiss(None)", "Close"),
        Binding("d", "done", "Mark done"),
        Binding("c", "catch_up", "Catch up"),
        Binding("s", "shift", "Shift"),
    ]

    def __init__(self, plans: ReadingPlans) -> None:
        super().__init__()
        self.plans = plans
        self.plan: ActivePlan | None = None
        self._places: dict[str, VerseRef] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="plan") as box:
            box.border_title = "Reading plan"
            yield Static("", id="summary")
            yield OptionList(id="readings")
            with Horizontal(id="plan-actions"):
                yield Button("Mark done", id="done", variant="primary", compact=True)
                yield Button("Catch up", id="catch-up", compact=True)
                yield Label("over", classes="word")
                yield Input(
                    id="catch-up-days", type="integer", max_length=3, compact=True, value="1"
                )
                yield Label("days", classes="word")
                yield Button("Shift", id="shift", compact=True)
            yield Label(KEYS, id="keys")

    def on_mount(self) -> None:
        self.show()
        self.query_one(OptionList).focus()

    def show(self) -> None:
        """Everything as the database says now."""
        try:
            self.plan = plan = self.plans.active()
        except PlanError as exc:
            self.notify(str(exc), severity="error")
            self.plan = plan = None
        summary = self.query_one("#summary", Static)
        options = self.query_one(OptionList)
        options.clear_options()
        self._places = {}
        live = plan is not None and not plan.finished
        self.query_one("#plan-actions").display = live
        self.query_one("#keys", Label).update(KEYS if live else KEYS_NO_PLAN)
        if plan is None or plan.finished:
            done = f"[b]{plan.title}[/b]: every day is done.\n" if plan else ""
            summary.update(f"{done}Start a plan (one at a time; its days begin today):")
            for p in BUILT_IN:
                options.add_option(Option(f"{p.title} ({p.days} days)", id=f"start:{p.name}"))
            options.highlighted = 0
            return
        summary.update(f"[b]{plan.title}[/b]\n{progress_line(plan)}")
        self._list(options, plan)
        missed = self.query_one("#catch-up-days", Input)
        missed.value = str(max(plan.behind, 1))
        for name in ("#catch-up", "#shift"):
            self.query_one(name, Button).disabled = not plan.behind
        self.query_one("#done", Button).disabled = not (
            plan.missed or any(not d.done for d in plan.todays)
        )

    def _list(self, options: OptionList, plan: ActivePlan) -> None:
        def add(when: str, day: PlanDay, note: str = "") -> None:
            mark = "  \u2713 done" if day.done else note
            for reading in day.readings:
                key = f"read:{len(self._places)}"
                self._places[key] = reading.start
                options.add_option(Option(f"{when:<12}{reading}{mark}", id=key))

        for day in plan.todays:
            add("Today", day)
        if not plan.todays:
            options.add_option(Option(f"{'Today':<12}nothing due", disabled=True))
        for day in plan.missed:
            add(f"{day_label(day.due)}", day)
        if not plan.missed and plan.next_up is not None:
            add(day_label(plan.next_up.due), plan.next_up, "  (next)")
        if options.option_count:
            options.highlighted = 0

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        key = event.option.id or ""
        if key.startswith("start:"):
            self._start(key.removeprefix("start:"))
        elif key in self._places:
            self.dismiss(self._places[key])

    def _start(self, name: str) -> None:
        try:
            plan = self.plans.start(built_in(name), replace=True)
        except PlanError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"Started {plan.title}. Enter opens today's reading.")
        self.show()

    @on(Button.Pressed, "#done")
    def action_done(self) -> None:
        if self.plan is None or self.plan.finished:
            return
        try:
            marked = self.plans.mark_done()
        except PlanError as exc:
            self.notify(str(exc), severity="error")
            return
        if not marked:
            self.notify("Nothing to mark: today's reading is done and no day is missed.")
        else:
            which = "Today's" if marked[0].due == self.plan.today else day_label(marked[0].due)
            readings = "; ".join(str(r) for d in marked for r in d.readings)
            self.notify(f"{which} reading marked done: {readings}.")
        self.show()

    @on(Button.Pressed, "#catch-up")
    def action_catch_up(self) -> None:
        if self.plan is None or not self.plan.behind:
            self.notify("You are not behind: there is nothing to catch up.")
            return
        text = self.query_one("#catch-up-days", Input).value.strip()
        try:
            plan = self.plans.catch_up(int(text) if text.isdigit() else 0)
        except PlanError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(
            f"Missed readings spread over {text} day(s); the plan still ends "
            f"{day_label(plan.ends_on)}."
        )
        self.show()

    @on(Button.Pressed, "#shift")
    def action_shift(self) -> None:
        if self.plan is None or not self.plan.behind:
            self.notify("You are not behind: there is nothing to shift.")
            return
        try:
            by = self.plans.shift()
        except PlanError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"The plan moved {by} day{'s' if by != 1 else ''} later.")
        self.show()

    @on(Input.Submitted, "#catch-up-days")
    def _catch_up_typed(self) -> None:
        self.action_catch_up()
