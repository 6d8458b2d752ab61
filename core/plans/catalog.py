"""The plans a reader can start: the built-in ones by short name, and custom ones made from
a list of books and a number of days.

M'Cheyne's calendar is not carried: its table splits chapters into verse ranges (Psalm 119
over several days) and must match the published calendar exactly, which a chapter-based
schedule cannot promise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.bible.books import BOOKS, by_osis
from core.bible.references import BadReference, resolve_book
from core.plans.schedule import Reading, chapters_of, portions
from core.printable import echo

MAX_DAYS = 3650
"""The longest plan (ten years): a typo guard."""


class PlanError(Exception):
    """A plan cannot be started or changed. ``str()`` is one sentence for the reader."""


@dataclass(frozen=True, slots=True)
class PlanDefinition:
    name: str
    """The short name (``year``), or ``custom``."""
    title: str
    description: str
    tracks: tuple[tuple[int, ...], ...]
    """Book numbers of each track; every track is spread over the whole plan."""
    days: int

    def portions(self) -> list[tuple[Reading, ...]]:
        """Each day's readings, day 1 first."""
        return portions(self.tracks, self.days)


def _books(first: str, last: str) -> tuple[int, ...]:
    a, b = by_osis(first), by_osis(last)
    assert a is not None and b is not None
    return tuple(range(a.number, b.number + 1))


BUILT_IN: tuple[PlanDefinition, ...] = (
    PlanDefinition(
        "year",
        "The whole Bible in a year",
        "Genesis to Revelation in 365 days, about 85 verses a day.",
        (_books("Gen", "Rev"),),
        365,
    ),
    PlanDefinition(
        "nt90",
        "The New Testament in 90 days",
        "Matthew to Revelation in 90 days, about 88 verses a day.",
        (_books("Matt", "Rev"),),
        90,
    ),
    PlanDefinition(
        "psalms-proverbs",
        "Psalms and Proverbs in a month",
        "Every day some Psalms and a chapter of Proverbs: both books in 31 days.",
        (_books("Ps", "Ps"), _books("Prov", "Prov")),
        31,
    ),
)


def built_in(name: str) -> PlanDefinition:
    """The built-in plan called ``name`` (case does not matter)."""
    for plan in BUILT_IN:
        if plan.name == name.strip().lower():
            return plan
    names = ", ".join(p.name for p in BUILT_IN)
    raise PlanError(f'There is no plan called "{echo(name, 30)}"; the plans are {names}.')


def custom(book_names: Sequence[str], days: int) -> PlanDefinition:
    """A plan through ``book_names`` (names or abbreviations, in the order given) in
    ``days`` days."""
    found: list[int] = []
    for name in book_names:
        for part in name.split(","):
            if not part.strip():
                continue
            try:
                number = resolve_book(part).number
            except BadReference as exc:
                raise PlanError(str(exc)) from exc
            if number in found:
                raise PlanError(f"{BOOKS[number - 1].name} is in the list twice.")
            found.append(number)
    if not found:
        raise PlanError("Name at least one book, such as --books Mark or --books Gen Exod.")
    chapters = len(chapters_of(found))
    if not 1 <= days <= min(chapters, MAX_DAYS):
        most = min(chapters, MAX_DAYS)
        raise PlanError(
            f"--days must be a whole number from 1 to {most} for these books"
            f" ({chapters} chapters: at least one a day)."
        )
    names = [BOOKS[n - 1].name for n in found]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    plural = "day" if days == 1 else "days"
    return PlanDefinition(
        "custom",
        f"{shown} in {days} {plural}",
        f"{len(found)} book(s), {chapters} chapters, in {days} {plural}.",
        (tuple(found),),
        days,
    )
