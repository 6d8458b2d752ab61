"""A plan's chapters cut into days, and the dates they fall on.

Chapters are split by verse count, not chapter count: a day's reading then takes about the
same time every day (Psalm 119 has 176 verses, Psalm 117 two; a chapter-count split of the
Psalms would give one day eighty times another). Chapters are never cut, and each day keeps
at least one, so the split stays a list of whole chapters a reader can find.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate, pairwise

from core.bible.books import book
from core.bible.references import VerseRef

Chapter = tuple[int, int]
"""(book number, chapter)."""


@dataclass(frozen=True, slots=True, order=True)
class Reading:
    """Chapters ``first`` to ``last`` of one book."""

    book: int
    first: int
    last: int

    def __str__(self) -> str:
        name = book(self.book).name
        if self.first == self.last:
            return f"{name} {self.first}"
        return f"{name} {self.first}-{self.last}"

    @property
    def start(self) -> VerseRef:
        """Where reading it begins."""
        return VerseRef(self.book, self.first, 1)

    @property
    def chapters(self) -> int:
        return self.last - self.first + 1


def chapters_of(books: Sequence[int]) -> list[Chapter]:
    """Every chapter of the books, in the order given."""
    return [(b, c) for b in books for c in range(1, book(b).chapters + 1)]


def verses(chapter: Chapter) -> int:
    b, c = chapter
    return book(b).verse_counts[c - 1]


def split(chapters: Sequence[Chapter], days: int) -> list[list[Chapter]]:
    """``chapters`` in order, cut into exactly ``days`` non-empty runs of about equal verses.

    Each cut goes where the running verse total comes nearest to its share of the whole,
    leaving at least one chapter for every day after it.
    """
    n = len(chapters)
    if not 1 <= days <= n:
        raise ValueError(f"{n} chapters cannot fill {days} days")
    totals = list(accumulate(verses(c) for c in chapters))  # totals[i]: verses up to i
    whole = totals[-1]
    cuts = [0]
    for day in range(1, days):
        target = whole * day / days
        low, high = cuts[-1] + 1, n - (days - day)
        # the first index whose total reaches the target, or its neighbour if nearer
        best = low
        for end in range(low, high + 1):
            best = end
            if totals[end - 1] >= target:
                if end > low and target - totals[end - 2] < totals[end - 1] - target:
                    best = end - 1
                break
        cuts.append(best)
    cuts.append(n)
    return [list(chapters[a:b]) for a, b in pairwise(cuts)]


def readings(chapters: Sequence[Chapter]) -> tuple[Reading, ...]:
    """Consecutive chapters of a book joined into one ``Reading``."""
    out: list[Reading] = []
    for b, c in chapters:
        if out and out[-1].book == b and out[-1].last == c - 1:
            out[-1] = Reading(b, out[-1].first, c)
        else:
            out.append(Reading(b, c, c))
    return tuple(out)


def portions(tracks: Sequence[Sequence[int]], days: int) -> list[tuple[Reading, ...]]:
    """Each day's readings: every track (a list of books) split over ``days`` on its own, so
    a plan of Psalms and Proverbs gives some of each every day."""
    per_track = [split(chapters_of(track), days) for track in tracks]
    return [tuple(r for parts in per_track for r in readings(parts[day])) for day in range(days)]


def describe_readings(found: Sequence[Reading]) -> str:
    """ "Genesis 50; Exodus 1-2"."""
    return "; ".join(str(r) for r in found)


def spread(count: int, days: int) -> list[int]:
    """Day offsets (0 = the first) for ``count`` portions spread in order over ``days``:
    as even as whole portions allow (two days' shares differ by one portion at most)."""
    return [i * days // count for i in range(count)]


def dates_from(start: date, count: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]
