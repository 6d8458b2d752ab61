"""Two translations verse by verse, for the side-by-side reader and ``read --compare``.

Verses are matched by book, chapter and verse number and never remapped: where two
translations number a passage differently (WEB ends Romans 14 with verses 24-26, KJV at 14:23),
each keeps its own numbering and a verse one of them lacks is a gap on its side. A verse a
translation leaves empty (a module that folds it into its neighbour) is a gap as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from core.bible.library import Library, Verse
from core.bible.references import Passage, VerseRef

LAST_VERSE = 10_000
"""Past the last verse of any chapter: a chapter asked for is the whole chapter on both sides."""


@dataclass(frozen=True, slots=True)
class Pair:
    """One verse number and what each translation has there (None: nothing, a gap)."""

    ref: VerseRef
    left: Verse | None
    right: Verse | None


def align(left: Iterable[Verse], right: Iterable[Verse]) -> list[Pair]:
    """Every verse number either side has, in Bible order, with each side's verse there."""
    lefts = {v.ref: v for v in left}
    rights = {v.ref: v for v in right}
    return [
        Pair(ref, _said(lefts.get(ref)), _said(rights.get(ref)))
        for ref in sorted(lefts.keys() | rights.keys())
    ]


def _said(verse: Verse | None) -> Verse | None:
    return verse if verse is not None and verse.plain else None


def whole_chapters(passage: Passage) -> Passage:
    """The passage as another translation should be asked for it: a chapter or book named
    whole is whole in that translation's numbering too (its chapter may run longer)."""
    if passage.kind in ("chapter", "book"):
        return replace(passage, end=replace(passage.end, verse=LAST_VERSE))
    return passage


def compare_passages(
    library: Library, tid: str, other: str, passages: Iterable[Passage]
) -> list[Pair]:
    """``passages`` (read in ``tid``'s numbering) in ``tid`` and ``other``, aligned."""
    left: list[Verse] = []
    right: list[Verse] = []
    for p in passages:
        left += library.passage(tid, whole_chapters(p))
        right += library.passage(other, whole_chapters(p))
    return align(left, right)
