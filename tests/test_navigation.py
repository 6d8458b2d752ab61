"""Moving verse by verse, chapter by chapter and book by book, across every boundary."""

from __future__ import annotations

import pytest

from core.bible.books import BOOKS, TOTAL_VERSES, book
from core.bible.navigation import (
    clamp,
    next_book,
    next_chapter,
    next_verse,
    previous_book,
    previous_chapter,
    previous_verse,
)
from core.bible.references import KJV_VERSIFICATION, VerseRef

V = VerseRef
GEN_1_1 = V(1, 1, 1)
REV_22_21 = V(66, 22, 21)


class OnlyBooks:
    """A versification that has only some books, each with KJV numbering."""

    def __init__(self, numbers: range | list[int]) -> None:
        self.numbers = set(numbers)

    def verse_counts(self, book_number: int) -> tuple[int, ...] | None:
        return book(book_number).verse_counts if book_number in self.numbers else None


NT_ONLY = OnlyBooks(range(40, 67))
OT_ONLY = OnlyBooks(range(1, 40))


def _all_refs() -> list[VerseRef]:
    return [
        V(b.number, c, v)
        for b in BOOKS
        for c in range(1, b.chapters + 1)
        for v in range(1, b.verse_counts[c - 1] + 1)
    ]


# -- the ends ----------------------------------------------------------------------------------


def test_genesis_1_1_has_no_previous_verse_chapter_or_book() -> None:
    assert previous_verse(GEN_1_1) is None
    assert previous_chapter(GEN_1_1) is None
    assert previous_book(GEN_1_1) is None


def test_revelation_22_21_has_no_next_verse_chapter_or_book() -> None:
    assert next_verse(REV_22_21) is None
    assert next_chapter(REV_22_21) is None
    assert next_book(REV_22_21) is None


def test_anywhere_in_the_last_book_has_no_next_book() -> None:
    assert next_book(V(66, 1, 1)) is None
    assert next_chapter(V(66, 22, 1)) is None


def test_anywhere_in_the_first_book_has_no_previous_book() -> None:
    assert previous_book(V(1, 50, 26)) is None


# -- verse steps -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("here", "after"),
    [
        (V(1, 1, 1), V(1, 1, 2)),
        (V(1, 1, 31), V(1, 2, 1)),
        (V(1, 50, 26), V(2, 1, 1)),
        (V(39, 4, 6), V(40, 1, 1)),
        (V(19, 119, 175), V(19, 119, 176)),
        (V(19, 119, 176), V(19, 120, 1)),
        (V(31, 1, 21), V(32, 1, 1)),
        (V(64, 1, 14), V(65, 1, 1)),
        (V(65, 1, 25), V(66, 1, 1)),
    ],
    ids=str,
)
def test_next_and_previous_verse_cross_boundaries(here: VerseRef, after: VerseRef) -> None:
    assert next_verse(here) == after
    assert previous_verse(after) == here


def test_genesis_50_26_goes_to_exodus_1_1() -> None:
    assert next_verse(V(1, 50, 26)) == V(2, 1, 1)
    assert previous_verse(V(2, 1, 1)) == V(1, 50, 26)


def test_malachi_4_6_goes_to_matthew_1_1_and_back() -> None:
    assert next_verse(V(39, 4, 6)) == V(40, 1, 1)
    assert previous_verse(V(40, 1, 1)) == V(39, 4, 6)


def test_chapter_end_goes_to_next_chapter() -> None:
    assert next_verse(V(43, 3, 36)) == V(43, 4, 1)
    assert previous_verse(V(43, 4, 1)) == V(43, 3, 36)


# -- chapter and book steps --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("here", "expected"),
    [
        (V(43, 3, 16), V(43, 4, 1)),
        (V(1, 50, 1), V(2, 1, 1)),
        (V(1, 50, 26), V(2, 1, 1)),
        (V(39, 4, 6), V(40, 1, 1)),
        (V(31, 1, 5), V(32, 1, 1)),
        (V(66, 21, 27), V(66, 22, 1)),
    ],
    ids=str,
)
def test_next_chapter(here: VerseRef, expected: VerseRef) -> None:
    assert next_chapter(here) == expected


@pytest.mark.parametrize(
    ("here", "expected"),
    [
        (V(43, 3, 16), V(43, 2, 1)),
        (V(2, 1, 5), V(1, 50, 1)),
        (V(40, 1, 1), V(39, 4, 1)),
        (V(32, 1, 1), V(31, 1, 1)),
        (V(19, 1, 3), V(18, 42, 1)),
        (V(1, 2, 9), V(1, 1, 1)),
    ],
    ids=str,
)
def test_previous_chapter(here: VerseRef, expected: VerseRef) -> None:
    assert previous_chapter(here) == expected


@pytest.mark.parametrize(
    ("here", "forward", "back"),
    [
        (V(1, 10, 3), V(2, 1, 1), None),
        (V(2, 5, 3), V(3, 1, 1), V(1, 1, 1)),
        (V(39, 4, 6), V(40, 1, 1), V(38, 1, 1)),
        (V(40, 1, 1), V(41, 1, 1), V(39, 1, 1)),
        (V(65, 1, 25), V(66, 1, 1), V(64, 1, 1)),
        (V(66, 22, 21), None, V(65, 1, 1)),
    ],
    ids=str,
)
def test_next_and_previous_book(
    here: VerseRef, forward: VerseRef | None, back: VerseRef | None
) -> None:
    assert next_book(here) == forward
    assert previous_book(here) == back


# -- whole walks -------------------------------------------------------------------------------


def test_walking_next_verse_from_genesis_visits_every_verse_in_order() -> None:
    walked = [GEN_1_1]
    here = GEN_1_1
    while (following := next_verse(here)) is not None:
        here = following
        walked.append(here)
        assert len(walked) <= TOTAL_VERSES, "walked past the end"
    assert len(walked) == 31102
    assert walked[-1] == REV_22_21
    assert walked == _all_refs()


def test_walking_previous_verse_from_revelation_visits_every_verse_in_reverse() -> None:
    walked = [REV_22_21]
    here = REV_22_21
    while (preceding := previous_verse(here)) is not None:
        here = preceding
        walked.append(here)
        assert len(walked) <= TOTAL_VERSES, "walked past the start"
    assert len(walked) == 31102
    assert walked[-1] == GEN_1_1
    assert walked == _all_refs()[::-1]


def test_walking_next_chapter_visits_all_1189_chapters() -> None:
    here: VerseRef | None = GEN_1_1
    seen = []
    while here is not None:
        assert here.verse == 1
        seen.append((here.book, here.chapter))
        here = next_chapter(here)
    assert len(seen) == 1189
    assert seen == [(b.number, c) for b in BOOKS for c in range(1, b.chapters + 1)]


def test_walking_previous_chapter_from_the_last_visits_all_1189_chapters() -> None:
    here: VerseRef | None = V(66, 22, 1)
    seen = []
    while here is not None:
        seen.append((here.book, here.chapter))
        here = previous_chapter(here)
    assert seen == [(b.number, c) for b in BOOKS for c in range(1, b.chapters + 1)][::-1]


def test_walking_books_visits_all_66_both_ways() -> None:
    here: VerseRef | None = GEN_1_1
    forward = []
    while here is not None:
        forward.append(here.book)
        here = next_book(here)
    assert forward == list(range(1, 67))
    here = V(66, 1, 1)
    back = []
    while here is not None:
        back.append(here.book)
        here = previous_book(here)
    assert back == list(range(66, 0, -1))


# -- versifications that lack books ------------------------------------------------------------


def test_new_testament_only_starts_at_matthew_and_walks_through_it() -> None:
    assert previous_verse(V(40, 1, 1), NT_ONLY) is None
    assert previous_chapter(V(40, 1, 1), NT_ONLY) is None
    assert previous_book(V(40, 1, 1), NT_ONLY) is None
    assert next_verse(V(66, 22, 21), NT_ONLY) is None
    here: VerseRef | None = V(40, 1, 1)
    count = 0
    while here is not None:
        assert 40 <= here.book <= 66
        count += 1
        here = next_verse(here, NT_ONLY)
    assert count == sum(sum(book(n).verse_counts) for n in range(40, 67))


def test_old_testament_only_ends_at_malachi() -> None:
    assert next_verse(V(39, 4, 6), OT_ONLY) is None
    assert next_chapter(V(39, 4, 1), OT_ONLY) is None
    assert next_book(V(39, 1, 1), OT_ONLY) is None


def test_missing_books_in_the_middle_are_skipped() -> None:
    # Genesis, John and Revelation only.
    v = OnlyBooks([1, 43, 66])
    assert next_verse(V(1, 50, 26), v) == V(43, 1, 1)
    assert previous_verse(V(43, 1, 1), v) == V(1, 50, 26)
    assert next_chapter(V(43, 21, 3), v) == V(66, 1, 1)
    assert previous_chapter(V(66, 1, 1), v) == V(43, 21, 1)
    assert next_book(V(1, 3, 3), v) == V(43, 1, 1)
    assert previous_book(V(66, 5, 5), v) == V(43, 1, 1)
    assert next_book(V(43, 1, 1), v) == V(66, 1, 1)


# -- clamp -------------------------------------------------------------------------------------


def test_clamp_keeps_a_verse_that_exists() -> None:
    assert clamp(V(43, 3, 16), KJV_VERSIFICATION) == V(43, 3, 16)
    assert clamp(V(66, 22, 21), KJV_VERSIFICATION) == V(66, 22, 21)


def test_clamp_pulls_a_verse_past_the_chapter_end_back_to_the_last_verse() -> None:
    assert clamp(V(43, 3, 99), KJV_VERSIFICATION) == V(43, 3, 36)


def test_clamp_pulls_a_chapter_past_the_book_end_back_to_the_last_chapter() -> None:
    assert clamp(V(43, 30, 1), KJV_VERSIFICATION) == V(43, 21, 1)
    assert clamp(V(43, 30, 99), KJV_VERSIFICATION) == V(43, 21, 25)


def test_clamp_moves_from_a_missing_book_to_the_next_present_one() -> None:
    assert clamp(V(19, 23, 1), NT_ONLY) == V(40, 1, 1)
    assert clamp(V(1, 1, 1), NT_ONLY) == V(40, 1, 1)


def test_clamp_from_after_the_last_present_book_goes_to_its_last_verse() -> None:
    # "The nearest verse that exists": after Malachi, in an OT-only numbering, that is Mal 4:6,
    # the verse just before Revelation 22:21 in canonical order, not Malachi 1:1.
    assert clamp(V(66, 22, 21), OT_ONLY) == V(39, 4, 6)


def test_clamp_result_always_exists() -> None:
    for v in (KJV_VERSIFICATION, NT_ONLY, OT_ONLY, OnlyBooks([19])):
        for ref in (V(1, 1, 1), V(19, 200, 300), V(40, 1, 1), V(66, 22, 21), V(31, 9, 9)):
            got = clamp(ref, v)
            counts = v.verse_counts(got.book)
            assert counts is not None, (ref, got)
            assert 1 <= got.chapter <= len(counts)
            assert 1 <= got.verse <= counts[got.chapter - 1]
