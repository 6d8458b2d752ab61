"""``verselight plan``: a reading plan from the command line, the same one the reader shows
(per session, in the user database). Every failure is one sentence; usage mistakes exit 2."""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from cli.commands import PLAN_COMMAND
from cli.errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE, CliError
from cli.services import open_for_command
from core.printable import printable

if TYPE_CHECKING:
    from core.config import Config
    from core.plans import ActivePlan, PlanDay, PlanDefinition, ReadingPlans

P = TypeVar("P", bound=argparse.ArgumentParser)


def add_parser(sub: argparse._SubParsersAction[P]) -> None:
    p = sub.add_parser(PLAN_COMMAND, help="follow a reading plan: list, start, today, done, status")
    a = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a.add_parser("list", help="the built-in plans and their short names")
    s = a.add_parser(
        "start",
        help="start a built-in plan by name, or your own with --books and --days",
        description="Start a plan today: a built-in one by its short name (see plan list), or "
        "your own from books in the order given over a number of days. Chapters are split by "
        "verse count, so every day is about as long as the next.",
    )
    s.add_argument("name", nargs="?", metavar="NAME", help="year, nt90, psalms-proverbs, ...")
    s.add_argument("--books", nargs="+", metavar="BOOK", help="e.g. --books Mark John Acts")
    s.add_argument("--days", type=int, metavar="N", help="how many days (with --books)")
    s.add_argument(
        "--replace", action="store_true", help="stop the plan you are following and start this"
    )
    a.add_parser("today", help="today's readings and any days missed")
    a.add_parser("done", help="mark today's readings done (or the oldest missed day's)")
    a.add_parser("status", help="days done, how far behind, percent")
    c = a.add_parser(
        "catch-up",
        help="spread the missed days' readings over the next N days",
        description="Spread the readings of the days you missed, in order, over today and the "
        "next days, on top of each day's own: the plan still ends on the same day.",
    )
    c.add_argument("--days", type=int, required=True, metavar="N")
    a.add_parser(
        "shift",
        help="move the whole plan later by the days missed",
        description="Move every unread day of the plan later by the days you missed, so the "
        "oldest missed day is today's: the plan ends that much later.",
    )


def run(config: Config, args: argparse.Namespace) -> int:
    from core.plans import MAX_CATCH_UP_DAYS, PlanError, built_in, custom

    if args.action == "list":
        return _list()
    if args.action == "catch-up" and not 1 <= args.days <= MAX_CATCH_UP_DAYS:
        raise CliError(f"--days must be a whole number from 1 to {MAX_CATCH_UP_DAYS}.", EXIT_USAGE)
    definition = None
    if args.action == "start":
        if (args.name is None) == (args.books is None):
            raise CliError(
                "Name a plan (see verselight plan list) or give --books and --days, not both.",
                EXIT_USAGE,
            )
        try:
            if args.name is not None:
                if args.days is not None:
                    raise PlanError("--days goes with --books; the built-in plans have their own.")
                definition = built_in(args.name)
            else:
                if args.days is None:
                    raise PlanError("Say how many days with --days N.")
                definition = custom(args.books, args.days)
        except PlanError as exc:
            raise CliError(str(exc), EXIT_USAGE) from exc
    services = open_for_command(config, credits=True, gallery=False, first_run_import=False)
    try:
        from core.user_data import UserDataError

        try:
            plans = services.reading_plans()
        except (UserDataError, PlanError) as exc:
            raise CliError(str(exc)) from exc
        if plans is None:
            raise CliError(
                "Reading plans are unavailable: this terminal's session cannot be opened."
            )
        try:
            if definition is not None:
                return _start(plans, definition, args.replace)
            return _ACTIONS[args.action](plans, args)
        except PlanError as exc:
            raise CliError(str(exc), EXIT_USAGE if args.action == "start" else EXIT_ERROR) from exc
    finally:
        services.close()


def _list() -> int:
    from core.plans import BUILT_IN

    for plan in BUILT_IN:
        print(f"{plan.name:<16}{plan.days:>4} days  {plan.title}")
    print("\nStart one with: verselight plan start NAME")
    print("Or your own: verselight plan start --books Mark John --days 30")
    return EXIT_OK


def _day(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b}"


def _readings(day: PlanDay) -> str:
    from core.plans import describe_readings

    return describe_readings(day.readings)


def _start(plans: ReadingPlans, definition: PlanDefinition, replace: bool) -> int:
    plan = plans.start(definition, replace=replace)
    print(
        f'Started "{plan.title}": {plan.total} days, ending {_day(plan.ends_on)} {plan.ends_on.year}.'
    )
    for day in plan.todays:
        print(f"Today: {_readings(day)}")
    return EXIT_OK


def _need(plans: ReadingPlans) -> ActivePlan:
    from core.plans import PlanError

    plan = plans.active()
    if plan is None:
        raise PlanError(
            "There is no reading plan yet; see verselight plan list, then plan start NAME."
        )
    return plan


def _today(plans: ReadingPlans, _: argparse.Namespace) -> int:
    plan = _need(plans)
    print(f"{plan.title}, {_day(plan.today)}")
    if plan.finished:
        print("Every day of this plan is done. Well done!")
        return EXIT_OK
    if not plan.todays:
        print("Today: nothing due.")
    for day in plan.todays:
        mark = "  (done)" if day.done else ""
        print(f"Today (day {day.day}): {_readings(day)}{mark}")
    missed = plan.missed
    if missed:
        noun = "day" if len(missed) == 1 else "days"
        print(f"Missed ({len(missed)} {noun}):")
        for day in missed:
            print(f"  {_day(day.due)} (day {day.day}): {_readings(day)}")
        print(
            "Catch up with: verselight plan catch-up --days N, or move the plan later with: "
            "verselight plan shift"
        )
    elif not plan.todays and plan.next_up is not None:
        print(f"Next: {_day(plan.next_up.due)}: {_readings(plan.next_up)}")
    return EXIT_OK


def _done(plans: ReadingPlans, _: argparse.Namespace) -> int:
    before = _need(plans)
    if before.finished:
        print("Every day of this plan is done; start another with verselight plan start.")
        return EXIT_OK
    marked = plans.mark_done()
    if not marked:
        today = "today's reading is done" if before.todays else "nothing is due today"
        print(f"Nothing to mark: {today} and no day is missed.")
        return EXIT_OK
    plan = _need(plans)
    when = "today's" if marked[0].due == plan.today else f"{_day(marked[0].due)}'s"
    shown = "; ".join(_readings(d) for d in marked)
    print(f"Marked {when} reading done: {shown}. {_progress(plan)}")
    return EXIT_OK


def _progress(plan: ActivePlan) -> str:
    behind = (
        f", behind by {plan.behind} day{'s' if plan.behind != 1 else ''}" if plan.behind else ""
    )
    return f"{plan.done_count} of {plan.total} days done ({plan.percent}%){behind}."


def _status(plans: ReadingPlans, _: argparse.Namespace) -> int:
    plan = _need(plans)
    print(printable(plan.title))
    print(
        f"Started {_day(plan.started_on)} {plan.started_on.year}; ends {_day(plan.ends_on)} {plan.ends_on.year}."
    )
    print(_progress(plan))
    if plan.finished:
        print("Every day of this plan is done.")
    elif plan.behind:
        print("Catch up: verselight plan catch-up --days N, or shift: verselight plan shift")
    return EXIT_OK


def _catch_up(plans: ReadingPlans, args: argparse.Namespace) -> int:
    before = _need(plans).behind
    plan = plans.catch_up(args.days)
    noun = "day" if before == 1 else "days"
    print(
        f"The {before} missed {noun} are spread over the next {args.days} day(s); "
        f"the plan still ends {_day(plan.ends_on)} {plan.ends_on.year}."
    )
    for day in plan.todays:
        print(f"Today: {_readings(day)}")
    return EXIT_OK


def _shift(plans: ReadingPlans, _: argparse.Namespace) -> int:
    by = plans.shift()
    plan = _need(plans)
    print(
        f"The plan moved {by} day{'s' if by != 1 else ''} later; it now ends "
        f"{_day(plan.ends_on)} {plan.ends_on.year}."
    )
    for day in plan.todays:
        print(f"Today: {_readings(day)}")
    return EXIT_OK


_ACTIONS = {
    "today": _today,
    "done": _done,
    "status": _status,
    "catch-up": _catch_up,
    "shift": _shift,
}
