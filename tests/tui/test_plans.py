"""The reading plan in the reader: "Today's reading" at start (once a day once waved away),
the plan screen (progress, jump to a reading, mark done, catch up, shift, start a plan)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from textual.widgets import Input

from core.bible.references import VerseRef
from core.clock import local_today
from core.config import Config
from core.plans import ActivePlan, ReadingPlans, built_in
from core.user_data import open_user_data
from tests.clock import ManualClock
from tests.tui.helpers import KNOWN_SID, SNAPSHOT_TIME, settle, shown_lines, toasts
from tui.app import make_app
from tui.screens.plan import PlanScreen
from tui.screens.reader import ReaderScreen
from tui.screens.todays_reading import TodaysReadingScreen
from tui.widgets.chapter_view import ChapterView


def start_plan(config: Config, name: str = "nt90", days_ago: int = 0) -> None:
    """The known session starts ``name`` ``days_ago`` days before the snapshot time."""
    data = open_user_data(config, KNOWN_SID)
    try:
        clock = ManualClock(SNAPSHOT_TIME - timedelta(days=days_ago))
        ReadingPlans(data, clock).start(built_in(name))
    finally:
        data.close()


def plan_now(config: Config, clock: ManualClock) -> ActivePlan:
    data = open_user_data(config, KNOWN_SID)
    try:
        plan = ReadingPlans(data, clock).active()
    finally:
        data.close()
    assert plan is not None
    return plan


def reading_at(app, ref: VerseRef) -> None:
    """The reader is at ``ref``, its line the current one and on screen."""
    reader = app.screen
    assert isinstance(reader, ReaderScreen), reader
    assert reader.ref == ref
    (line,) = [v for v in shown_lines(reader) if v.verse.ref == ref]
    assert line.current
    assert reader.query_one(ChapterView).content_region.contains_region(line.region)


async def test_todays_reading_greets_once_a_day(
    config: Config, known_session: Callable[..., object]
) -> None:
    known_session()
    start_plan(config)
    clock = ManualClock(SNAPSHOT_TIME)
    app = make_app(config, "John 3:16", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TodaysReadingScreen)
        assert "Matthew 1-4" in str(app.screen.query_one("#today").render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
    again = make_app(config, "John 3:16", clock=clock)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(again.screen, ReaderScreen), "shown again the day it was waved away"
    clock.advance(days=1)
    tomorrow = make_app(config, "John 3:16", clock=clock)
    async with tomorrow.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(tomorrow.screen, TodaysReadingScreen)


async def test_read_now_goes_to_the_reading(
    config: Config, known_session: Callable[..., object]
) -> None:
    known_session()
    start_plan(config, "psalms-proverbs")
    app = make_app(config, "John 3:16", clock=ManualClock(SNAPSHOT_TIME))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # "Read now" has the focus
        await settle(pilot)
        reading_at(app, VerseRef(19, 1, 1))


async def test_no_plan_no_greeting_and_no_file(config: Config, known_session) -> None:
    known_session()
    app = make_app(config, "John 3:16", clock=ManualClock(SNAPSHOT_TIME))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
    assert not config.paths.user_db.exists()


async def test_start_a_plan_from_the_plan_screen(config: Config, known_session) -> None:
    known_session()
    clock = ManualClock(SNAPSHOT_TIME)
    app = make_app(config, "John 3:16", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PlanScreen)
        await pilot.press("down", "enter")  # the second plan: the New Testament in 90 days
        await settle(pilot)
        assert plan_now(config, clock).name == "nt90"
        await pilot.press("enter")  # today's first reading
        await settle(pilot)
        reading_at(app, VerseRef(40, 1, 1))


async def test_mark_done_jump_and_shift(config: Config, known_session) -> None:
    known_session()
    start_plan(config, days_ago=3)
    clock = ManualClock(SNAPSHOT_TIME)
    app = make_app(config, "John 3:16", clock=clock)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("p")  # from "Today's reading": the plan
        await settle(pilot)
        assert isinstance(app.screen, PlanScreen)
        assert "behind by 3 days" in str(app.screen.query_one("#summary").render())
        await pilot.press("d")
        await settle(pilot)
        assert [d.day for d in plan_now(config, clock).days if d.done] == [4]
        await pilot.press("d")
        await settle(pilot)
        assert [d.day for d in plan_now(config, clock).days if d.done] == [1, 4]
        assert any("reading marked done: Matthew 1-4" in t for t in toasts(app))
        await pilot.press("s")
        await settle(pilot)
        plan = plan_now(config, clock)
        # day 2 is today's now; day 4, read today, stays where it was
        assert plan.behind == 0 and [d.day for d in plan.todays] == [2, 4]
        await pilot.press("down", "enter")  # the second row: day 4's reading
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.ref.book == 40 and app.screen.ref.chapter > 4


async def test_catch_up_over_the_days_typed(config: Config, known_session) -> None:
    known_session()
    start_plan(config, days_ago=4)
    clock = ManualClock(SNAPSHOT_TIME)
    app = make_app(config, "John 3:16", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("escape", "p")
        await settle(pilot)
        field = app.screen.query_one("#catch-up-days", Input)
        assert field.value == "4"
        field.value = "2"
        await pilot.press("c")
        await settle(pilot)
        plan = plan_now(config, clock)
        assert plan.behind == 0
        today = local_today(clock)
        assert [d.day for d in plan.todays] == [1, 2, 5]
        assert {d.due for d in plan.days if d.day in (3, 4)} == {today + timedelta(days=1)}
