"""Reading plans: the schedule (property tests), progress per session in a real user
database, catch-up and shift, and the reader's local day."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.bible.books import BOOKS, TOTAL_CHAPTERS
from core.clock import local_today
from core.plans import (
    BUILT_IN,
    ActivePlan,
    PlanError,
    Reading,
    ReadingPlans,
    built_in,
    custom,
    describe_readings,
)
from core.plans.schedule import chapters_of, readings, split, spread, verses
from core.user_data import UserData
from storage.user_db import connect
from tests.clock import ManualClock

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _flat(days: list[tuple[Reading, ...]]) -> list[tuple[int, int]]:
    return [(r.book, c) for day in days for r in day for c in range(r.first, r.last + 1)]


# -- the schedule -------------------------------------------------------------------------------

books_lists = st.lists(st.integers(1, 66), min_size=1, max_size=8, unique=True)


@settings(max_examples=150, deadline=None)
@given(books=books_lists, data=st.data())
def test_a_split_reads_every_chapter_once_in_order_over_exactly_n_days(books, data):
    chapters = chapters_of(books)
    days = data.draw(st.integers(1, len(chapters)), label="days")
    parts = split(chapters, days)
    assert len(parts) == days
    assert all(parts), "a day without reading"
    assert [c for part in parts for c in part] == chapters


@settings(max_examples=100, deadline=None)
@given(books=books_lists, data=st.data())
def test_a_custom_plan_covers_its_books_in_the_order_given(books, data):
    names = [BOOKS[b - 1].name for b in books]
    days = data.draw(st.integers(1, len(chapters_of(books))), label="days")
    plan = custom(names, days)
    found = plan.portions()
    assert len(found) == days
    assert _flat(found) == chapters_of(books)


def test_the_split_follows_verse_counts_not_chapter_counts():
    # Psalms over 30 days by chapter count would give Psalm 119 (176 verses) four
    # neighbours; by verses it is a day on its own.
    parts = split(chapters_of([19]), 30)
    (alone,) = [p for p in parts if (19, 119) in p]
    assert alone == [(19, 119)]
    sizes = [sum(verses(c) for c in p) for p in parts]
    assert max(sizes) <= 2 * min(sizes) + 176


def test_the_built_in_plans():
    year, nt90, pp = (built_in(n) for n in ("year", "NT90", "psalms-proverbs"))
    assert [p.name for p in BUILT_IN] == ["year", "nt90", "psalms-proverbs"]
    assert len(year.portions()) == 365
    assert len(_flat(year.portions())) == TOTAL_CHAPTERS == 1189
    assert _flat(nt90.portions()) == chapters_of(range(40, 67))
    assert len(nt90.portions()) == 90
    days = pp.portions()
    assert len(days) == 31
    # every day has Psalms and exactly one chapter of Proverbs, the chapter of the day
    for n, day in enumerate(days, 1):
        assert day[0].book == 19 and day[-1] == readings([(20, n)])[0]
    assert describe_readings(days[0]) == "Psalms 1-8; Proverbs 1"
    assert describe_readings(year.portions()[0]) == "Genesis 1-3"


def test_bad_plans_are_one_sentence():
    with pytest.raises(PlanError, match='no plan called "weekly"; the plans are year'):
        built_in("weekly")
    with pytest.raises(PlanError, match="no book called"):
        custom(["Hezekiah"], 3)
    with pytest.raises(PlanError, match="from 1 to 16"):
        custom(["Mark"], 17)
    with pytest.raises(PlanError, match="from 1 to 16"):
        custom(["Mark"], 0)
    with pytest.raises(PlanError, match="twice"):
        custom(["Mark", "mk"], 3)
    assert custom(["Mark,Luke"], 5).tracks == ((41, 42),)


@given(count=st.integers(1, 400), days=st.integers(1, 400))
def test_spread_is_in_order_even_and_within_the_days(count, days):
    offsets = spread(count, days)
    assert offsets == sorted(offsets) and len(offsets) == count
    assert offsets[0] >= 0 and offsets[-1] < days
    per_day = [offsets.count(d) for d in range(days)]
    assert max(per_day) - min(per_day) <= 1


# -- progress in the user database ---------------------------------------------------------------


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "user.sqlite"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def _plans(path: Path, clock: ManualClock, session: str = "s1") -> ReadingPlans:
    return ReadingPlans(UserData(connect(path), session), clock)


def _now(plans: ReadingPlans) -> ActivePlan:
    plan = plans.active()
    assert plan is not None
    return plan


def test_start_today_done_and_status(db_path, clock):
    plans = _plans(db_path, clock)
    assert plans.active() is None  # none yet
    plan = plans.start(built_in("nt90"))
    today = local_today(clock)
    assert plan.started_on == today and plan.ends_on == today + timedelta(days=89)
    assert [describe_readings(d.readings) for d in plan.todays] == ["Matthew 1-4"]
    assert plan.greets_today
    marked = plans.mark_done()
    assert [d.day for d in marked] == [1]
    assert plans.mark_done() == ()  # today's is done, nothing missed
    plan = _now(plans)
    assert plan.today_done and not plan.greets_today
    assert (plan.done_count, plan.behind, plan.percent) == (1, 0, 1)


def test_missed_days_then_done_marks_today_first_then_the_oldest_missed(db_path, clock):
    plans = _plans(db_path, clock)
    plans.start(built_in("year"))
    clock.advance(days=3)
    plan = _now(plans)
    assert [d.day for d in plan.missed] == [1, 2, 3]
    assert [d.day for d in plan.todays] == [4]
    assert [d.day for d in plans.mark_done()] == [4]
    assert [d.day for d in plans.mark_done()] == [1]
    assert _now(plans).behind == 2


def test_one_active_plan_replace_keeps_nothing_of_the_old_progress(db_path, clock):
    plans = _plans(db_path, clock)
    plans.start(built_in("year"))
    plans.mark_done()
    with pytest.raises(PlanError, match="add --replace"):
        plans.start(built_in("nt90"))
    plan = plans.start(built_in("nt90"), replace=True)
    assert (plan.name, plan.done_count, plan.total) == ("nt90", 0, 90)


def test_a_finished_plan_is_replaced_without_asking(db_path, clock):
    plans = _plans(db_path, clock)
    plans.start(custom(["Jude"], 1))
    plans.mark_done()
    assert _now(plans).finished
    assert plans.start(custom(["Obadiah"], 1)).title == "Obadiah in 1 day"


def test_each_session_keeps_its_own_plan(db_path, clock):
    mine, yours = _plans(db_path, clock, "me"), _plans(db_path, clock, "you")
    mine.start(built_in("year"))
    assert yours.active() is None
    yours.start(built_in("nt90"))
    yours.mark_done()
    assert _now(mine).done_count == 0 and _now(mine).name == "year"
    assert _now(yours).done_count == 1


@settings(max_examples=60, deadline=None)
@given(missed=st.integers(1, 40), over=st.integers(1, 60), done_first=st.integers(0, 5))
def test_catch_up_keeps_every_reading_and_the_end_date(tmp_path_factory, missed, over, done_first):
    path = tmp_path_factory.mktemp("catch") / "user.sqlite"
    clock = ManualClock(START)
    plans = _plans(path, clock)
    plans.start(built_in("year"))
    for _ in range(done_first):  # read ahead a little, then stop
        plans.mark_done()
        clock.advance(days=1)
    clock.advance(days=missed)
    before = _now(plans)
    assert before.behind == missed
    after = plans.catch_up(over)
    assert sorted(d.readings for d in after.days) == sorted(d.readings for d in before.days)
    assert after.done_count == before.done_count and after.behind == 0
    assert after.ends_on == before.ends_on  # a year outlasts any catch-up drawn here
    moved = {d.day: d.due for d in after.days if d.day in {m.day for m in before.missed}}
    today = local_today(clock)
    assert all(today <= due < today + timedelta(days=over) for due in moved.values())
    order = [moved[d.day] for d in before.missed]
    assert order == sorted(order)  # still read in plan order
    path.unlink()


def test_shift_moves_every_unread_day_by_the_days_missed(db_path, clock):
    plans = _plans(db_path, clock)
    plans.start(built_in("nt90"))
    plans.mark_done()
    clock.advance(days=5)  # days 2..5 missed, day 6 is today
    before = _now(plans)
    assert before.behind == 4
    assert plans.shift() == 4
    after = _now(plans)
    assert after.behind == 0
    assert [d.day for d in after.todays] == [2]
    assert after.ends_on == before.ends_on + timedelta(days=4)
    assert after.days[0].due == before.days[0].due  # a day already read stays where it was
    with pytest.raises(PlanError, match="not behind"):
        plans.shift()
    with pytest.raises(PlanError, match="not behind"):
        plans.catch_up(3)


def test_dismissing_today_lasts_until_tomorrow(db_path, clock):
    plans = _plans(db_path, clock)
    plans.start(built_in("year"))
    plans.dismiss_today()
    assert not _now(plans).greets_today
    clock.advance(days=1)
    assert _now(plans).greets_today


def test_no_plan_is_a_sentence(db_path, clock):
    plans = _plans(db_path, clock)
    for act in (plans.mark_done, plans.shift, lambda: plans.catch_up(2)):
        with pytest.raises(PlanError, match="no reading plan yet"):
            act()


@pytest.fixture
def time_zone() -> Iterator[None]:
    before = os.environ.get("TZ")
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.parametrize(
    ("zone", "day"),
    [("Pacific/Auckland", date(2026, 3, 2)), ("America/New_York", date(2026, 3, 1))],
)
def test_today_is_the_readers_local_day(time_zone, db_path, zone, day):
    os.environ["TZ"] = zone
    time.tzset()
    clock = ManualClock(datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    plans = _plans(db_path, clock)
    assert plans.start(built_in("year")).started_on == day
