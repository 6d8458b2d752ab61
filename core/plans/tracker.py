"""One session's reading plan as a reader sees it: today's readings, the days missed, what is
done, and the two ways back on track (catch up, or shift the plan).

Each portion of a plan (a plan day's readings) has its own due date. Starting a plan dates
portion N on day N; catching up re-dates only the missed portions, over the next days;
shifting moves every unread portion later by the days missed. So the plan's readings never
change, only when they fall, and "done" is a fact about a portion, not a date.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from core.clock import Clock, local_today
from core.plans import store
from core.plans.catalog import PlanDefinition, PlanError
from core.plans.schedule import Reading, dates_from, spread
from core.user_data import UserData, UserDataError

MAX_CATCH_UP_DAYS = 365


@dataclass(frozen=True, slots=True)
class PlanDay:
    day: int
    """The portion's place in the plan (1 = the first day's readings)."""
    due: date
    readings: tuple[Reading, ...]
    done: bool


@dataclass(frozen=True, slots=True)
class ActivePlan:
    name: str
    title: str
    started_on: date
    today: date
    days: tuple[PlanDay, ...]
    dismissed_on: date | None

    @property
    def total(self) -> int:
        return len(self.days)

    @property
    def done_count(self) -> int:
        return sum(d.done for d in self.days)

    @property
    def percent(self) -> int:
        """Whole percent of the plan's days done (100 only when all are)."""
        return self.done_count * 100 // self.total

    @property
    def todays(self) -> tuple[PlanDay, ...]:
        return tuple(d for d in self.days if d.due == self.today)

    @property
    def today_done(self) -> bool:
        """True when today has readings and all are done."""
        return bool(self.todays) and all(d.done for d in self.todays)

    @property
    def missed(self) -> tuple[PlanDay, ...]:
        """Unread portions due before today, oldest first."""
        late = [d for d in self.days if not d.done and d.due < self.today]
        return tuple(sorted(late, key=lambda d: (d.due, d.day)))

    @property
    def behind(self) -> int:
        """Days of the plan missed (unread portions due before today)."""
        return len(self.missed)

    @property
    def finished(self) -> bool:
        return self.done_count == self.total

    @property
    def ends_on(self) -> date:
        return max(d.due for d in self.days)

    @property
    def next_up(self) -> PlanDay | None:
        """The first unread portion due after today."""
        later = [d for d in self.days if not d.done and d.due > self.today]
        return min(later, key=lambda d: (d.due, d.day)) if later else None

    @property
    def greets_today(self) -> bool:
        """Show "Today's reading" at start: today has unread readings and the reader has not
        waved it away today."""
        return bool(self.todays) and not self.today_done and self.dismissed_on != self.today


class ReadingPlans:
    """The session's plan in the user database, with ``clock`` telling the day."""

    def __init__(self, data: UserData, clock: Clock) -> None:
        self.data = data
        self.clock = clock
        with self._guard():
            data.ensure(store.PART, store.MIGRATIONS)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise PlanError(f"Your reading plan cannot be read or saved ({exc}).") from exc
        except UserDataError as exc:
            raise PlanError(str(exc)) from exc

    def today(self) -> date:
        return local_today(self.clock)

    def active(self) -> ActivePlan | None:
        with self._guard():
            run = store.active_run(self.data)
            if run is None:
                return None
            rows = store.days_of(self.data, run.id)
        days = tuple(PlanDay(r.day, r.due, r.readings, r.done_at is not None) for r in rows)
        return ActivePlan(run.name, run.title, run.started_on, self.today(), days, run.dismissed_on)

    def _run_id(self) -> int:
        run = store.active_run(self.data)
        if run is None:
            raise PlanError("There is no reading plan yet; start one with: plan start year.")
        return run.id

    def start(self, plan: PlanDefinition, *, replace: bool = False) -> ActivePlan:
        """Start ``plan`` today. A plan under way (not finished) is replaced only when asked;
        the old one is kept in the database, inactive."""
        current = self.active()
        if current is not None and not current.finished and not replace:
            raise PlanError(
                f'You are following "{current.title}" ({current.done_count} of {current.total}'
                " days done); add --replace to start this one instead."
            )
        today = self.today()
        found = plan.portions()
        with self._guard(), self.data.writing() as conn:
            store.start_run(
                conn,
                self.data.session_id,
                plan.name,
                plan.title,
                zip(dates_from(today, len(found)), found, strict=True),
                today,
                self.clock(),
            )
        started = self.active()
        assert started is not None
        return started

    def mark_done(self) -> tuple[PlanDay, ...]:
        """Mark today's readings done or, when they are (or there are none), the oldest missed
        day's. Returns the portions marked; none when nothing was left to mark."""
        with self._guard(), self.data.writing() as conn:  # read and write as one
            plan = self._need()
            chosen = tuple(d for d in plan.todays if not d.done)
            if not chosen and plan.missed:
                oldest = plan.missed[0].due
                chosen = tuple(d for d in plan.missed if d.due == oldest)
            if chosen:
                store.mark_done(
                    conn, self.data.session_id, self._run_id(), [d.day for d in chosen],
                    self.clock(),
                )  # fmt: skip
        return chosen

    def catch_up(self, days: int) -> ActivePlan:
        """Spread the missed portions, in order, over today and the ``days - 1`` days after,
        on top of what those days already hold: the plan still ends when it did (unless the
        days asked for reach past its end)."""
        if not 1 <= days <= MAX_CATCH_UP_DAYS:
            raise PlanError(f"Catch up over 1 to {MAX_CATCH_UP_DAYS} days.")
        with self._guard(), self.data.writing() as conn:
            plan = self._need()
            missed = plan.missed
            if not missed:
                raise PlanError("You are not behind: there is nothing to catch up.")
            offsets = spread(len(missed), days)
            dues = {
                d.day: plan.today + timedelta(days=o) for d, o in zip(missed, offsets, strict=True)
            }
            store.move(conn, self.data.session_id, self._run_id(), dues)
        return self._need()

    def shift(self) -> int:
        """Move every unread portion later by the days missed, so the oldest missed one is
        today's; how many days the plan moved."""
        with self._guard(), self.data.writing() as conn:
            plan = self._need()
            if not plan.missed:
                raise PlanError("You are not behind: there is nothing to shift.")
            by = (plan.today - plan.missed[0].due).days
            dues = {d.day: d.due + timedelta(days=by) for d in plan.days if not d.done}
            store.move(conn, self.data.session_id, self._run_id(), dues)
        return by

    def dismiss_today(self) -> None:
        """The reader waved "Today's reading" away: not shown again today."""
        with self._guard(), self.data.writing() as conn:
            store.dismiss(conn, self.data.session_id, self._run_id(), self.today())

    def _need(self) -> ActivePlan:
        plan = self.active()
        if plan is None:
            raise PlanError("There is no reading plan yet; start one with: plan start year.")
        return plan
