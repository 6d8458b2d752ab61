"""The Bible library on real SQLite files: first-run import, atomicity, search, damage."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.bible.importers import kjv
from core.bible.library import BadQuery, Library, UnknownTranslation
from core.bible.navigation import next_verse, previous_chapter, previous_verse
from core.bible.references import BadReference, VerseRef, parse
from storage.bible import LibraryError, NewTranslation

ROOT = Path(__file__).resolve().parent.parent
V = VerseRef

LOVE_TOTAL = 418
"""KJV verses with a form of "love" (love, loved, loveth, lovest, loving, lovely...)."""

GEN_1_1 = "In the beginning God created the heaven and the earth."
JOHN_3_16 = (
    "For God so loved the world, that he gave his only begotten Son, that whosoever believeth "
    "in him should not perish, but have everlasting life."
)


def _info(tid: str, name: str = "Test translation") -> NewTranslation:
    return NewTranslation(id=tid, name=name, language="en", source="tests", license="none")


def _rows(*items: tuple[int, int, int, str]) -> list[tuple[int, int, int, str, str]]:
    return [(b, c, v, text, text) for b, c, v, text in items]


def _fts_integrity_ok(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("INSERT INTO verses_fts (verses_fts) VALUES ('integrity-check')")
    finally:
        conn.close()


# -- first-run import --------------------------------------------------------------------------


@pytest.mark.xdist_group("serial")  # timed or process-heavy (tests/conftest.py)
def test_first_run_import_brings_in_all_31102_kjv_verses(tmp_path: Path, count_rows) -> None:
    path = tmp_path / "library.sqlite"
    lib = Library.open(path)
    assert lib.notice is None
    assert lib.needs_first_run_import()
    assert lib.translations() == []
    reports: list[tuple[int, int]] = []
    started = time.perf_counter()
    t = lib.import_default(lambda done, total: reports.append((done, total)))
    elapsed = time.perf_counter() - started
    assert t.id == "KJV"
    assert t.verse_count == 31102
    assert not lib.needs_first_run_import()
    assert [x.id for x in lib.translations()] == ["KJV"]
    assert elapsed < 5, f"first-run import took {elapsed:.1f} s"
    # progress: more than one report, never decreasing, ending at 31102 of 31102
    assert len(reports) > 1
    assert [d for d, _ in reports] == sorted(d for d, _ in reports)
    assert {total for _, total in reports} == {31102}
    assert reports[-1] == (31102, 31102)
    lib.close()
    assert count_rows(path) == {"translations": 1, "verses": 31102, "verses_fts_docsize": 31102}
    _fts_integrity_ok(path)


@pytest.mark.parametrize(
    ("ref", "text"),
    [
        (V(1, 1, 1), GEN_1_1),
        (V(43, 3, 16), JOHN_3_16),
        (V(19, 23, 1), "The LORD [is] my shepherd; I shall not want."),
        (V(66, 22, 21), "The grace of our Lord Jesus Christ [be] with you all. Amen."),
    ],
    ids=str,
)
def test_known_verse_texts(kjv_library: Library, ref: VerseRef, text: str) -> None:
    verse = kjv_library.verse("KJV", ref)
    assert verse is not None
    assert verse.ref == ref
    assert verse.text == text


def test_supplied_words_keep_brackets_in_text_but_not_in_plain(kjv_library: Library) -> None:
    verse = kjv_library.verse("KJV", V(19, 23, 1))
    assert verse is not None
    assert "[is]" in verse.text
    assert verse.plain == "The LORD is my shepherd; I shall not want."
    assert "[" not in verse.plain and "]" not in verse.plain


def test_no_plain_text_has_brackets_or_a_leading_verse_number(kjv_library: Library) -> None:
    verses = kjv_library.passage("KJV", parse("Genesis"))
    assert len(verses) == 1533
    for v in verses:
        assert "[" not in v.plain and "]" not in v.plain, v.ref
        assert not re.match(r"\s*\d+\.", v.text), v.ref


def test_passages_return_the_verses_asked_for(kjv_library: Library) -> None:
    assert [v.ref.verse for v in kjv_library.passage("KJV", parse("Ps 23"))] == [1, 2, 3, 4, 5, 6]
    span = kjv_library.passage("KJV", parse("John 3:36-4:2"))
    assert [v.ref for v in span] == [V(43, 3, 36), V(43, 4, 1), V(43, 4, 2)]
    assert len(kjv_library.passage("KJV", parse("Revelation"))) == 404
    assert len(kjv_library.chapter("KJV", 19, 119)) == 176


def test_import_default_twice_does_not_duplicate(writable_kjv_library: Library, count_rows) -> None:
    lib = writable_kjv_library
    before = count_rows(lib.path)
    again = lib.import_default()
    assert again.id == "KJV"
    assert again.verse_count == 31102
    assert (
        count_rows(lib.path)
        == before
        == {
            "translations": 1,
            "verses": 31102,
            "verses_fts_docsize": 31102,
        }
    )
    assert lib.search("KJV", "love").total == LOVE_TOTAL


def test_adding_kjv_again_directly_is_refused_and_changes_nothing(
    writable_kjv_library: Library, count_rows
) -> None:
    lib = writable_kjv_library
    before = count_rows(lib.path)
    with pytest.raises(LibraryError):
        lib.add(kjv.INFO, kjv.verses(), 31102)
    assert count_rows(lib.path) == before


def test_reopening_a_library_does_not_import_again(
    writable_kjv_library: Library, count_rows
) -> None:
    path = writable_kjv_library.path
    writable_kjv_library.close()
    lib = Library.open(path)
    try:
        assert not lib.needs_first_run_import()
        assert lib.notice is None
    finally:
        lib.close()
    assert count_rows(path)["verses"] == 31102


# -- interrupted imports -----------------------------------------------------------------------


class Interrupted(Exception):
    pass


def _kjv_then_fail(after: int) -> Iterator[tuple[int, int, int, str, str]]:
    for i, row in enumerate(kjv.verses()):
        if i == after:
            raise Interrupted(f"stopped after {after} verses")
        yield row


def test_an_import_that_fails_midway_leaves_nothing_behind(tmp_path: Path, count_rows) -> None:
    path = tmp_path / "library.sqlite"
    lib = Library.open(path)
    with pytest.raises(Interrupted):
        lib.add(kjv.INFO, _kjv_then_fail(10_000), 31102)
    assert lib.translations() == []
    assert lib.needs_first_run_import()
    with pytest.raises(UnknownTranslation):
        lib.translation("KJV")
    assert count_rows(path) == {"translations": 0, "verses": 0, "verses_fts_docsize": 0}
    # and a clean import afterwards succeeds
    t = lib.import_default()
    assert t.verse_count == 31102
    assert lib.search("KJV", "son-in-law", order="bible").hits[0].ref == V(1, 19, 12)
    lib.close()
    assert count_rows(path) == {"translations": 1, "verses": 31102, "verses_fts_docsize": 31102}
    _fts_integrity_ok(path)


def test_a_failed_second_translation_leaves_the_first_intact(
    writable_kjv_library: Library, count_rows
) -> None:
    lib = writable_kjv_library
    before = count_rows(lib.path)

    def rows() -> Iterator[tuple[int, int, int, str, str]]:
        for i, (b, c, v, text, plain) in enumerate(kjv.verses()):
            if i == 5000:
                raise Interrupted
            yield b, c, v, "zyzzyva " + text, "zyzzyva " + plain

    with pytest.raises(Interrupted):
        lib.add(_info("TWO"), rows(), 31102)
    assert not lib.has("TWO")
    assert count_rows(lib.path) == before
    assert lib.search("KJV", "zyzzyva").total == 0
    assert lib.search("KJV", "love").total == LOVE_TOTAL
    lib.close()
    _fts_integrity_ok(lib.path)


def test_a_failing_progress_callback_rolls_the_import_back(tmp_path: Path, count_rows) -> None:
    lib = Library.open(tmp_path / "library.sqlite")

    def progress(done: int, total: int) -> None:
        if done >= 6000:
            raise Interrupted

    with pytest.raises(Interrupted):
        lib.import_default(progress)
    lib.close()
    assert count_rows(tmp_path / "library.sqlite") == {
        "translations": 0,
        "verses": 0,
        "verses_fts_docsize": 0,
    }


_KILLED_IMPORT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from core.bible.importers import kjv
    from core.bible.library import Library

    lib = Library.open(Path(sys.argv[1]))

    def rows():
        for i, row in enumerate(kjv.verses()):
            if i == 10_000:
                sys.stdout.write("killing\\n")
                sys.stdout.flush()
                os.kill(os.getpid(), signal.SIGKILL)
            yield row

    lib.add(kjv.INFO, rows(), 31102)
    print("import finished, which it never should")
    """
)


@pytest.mark.xdist_group("serial")  # timed or process-heavy (tests/conftest.py)
def test_a_process_killed_during_import_leaves_no_half_built_library(
    tmp_path: Path, count_rows
) -> None:
    path = tmp_path / "library.sqlite"
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_IMPORT, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -9, proc.stderr
    assert proc.stdout == "killing\n"
    lib = Library.open(path)
    assert lib.notice is None, "a killed import must not look like a damaged library"
    assert lib.translations() == []
    assert lib.needs_first_run_import()
    assert count_rows(path) == {"translations": 0, "verses": 0, "verses_fts_docsize": 0}
    t = lib.import_default()
    assert t.verse_count == 31102
    assert lib.verse("KJV", V(43, 3, 16)).text == JOHN_3_16  # type: ignore[union-attr]
    lib.close()
    assert count_rows(path) == {"translations": 1, "verses": 31102, "verses_fts_docsize": 31102}
    _fts_integrity_ok(path)


# -- search ------------------------------------------------------------------------------------

_NO_WORDS = ['"', "*", "-", "(", ")", "^", "", "   ", '""', "()", "-*^", ":", "''"]


@pytest.mark.parametrize("query", _NO_WORDS, ids=repr)
def test_search_without_words_finds_nothing_and_does_not_raise(
    kjv_library: Library, query: str
) -> None:
    results = kjv_library.search("KJV", query)
    assert results.total == 0
    assert results.hits == []


@pytest.mark.parametrize(
    ("query", "word"),
    [("NEAR(", "near"), ("AND", "and"), ("OR", "or"), ("NOT", "not"), ("love*", "love")],
)
def test_search_treats_fts_keywords_as_plain_words(
    kjv_library: Library, query: str, word: str
) -> None:
    results = kjv_library.search("KJV", query, limit=200)
    assert results.total > 0
    for v in results.hits:
        assert _has_form(word, v.plain), (v.ref, v.plain)


def test_search_star_is_not_a_prefix_wildcard(kjv_library: Library) -> None:
    assert kjv_library.search("KJV", "love*").total == kjv_library.search("KJV", "love").total
    assert kjv_library.search("KJV", "lov*").total == kjv_library.search("KJV", "lov").total
    assert kjv_library.search("KJV", "lov").total < LOVE_TOTAL


def test_search_col_colon_term_is_words_not_a_column_filter(
    kjv_library: Library, kjv_rows: list[tuple[int, int, int, str, str]]
) -> None:
    assert kjv_library.search("KJV", "col:term").total == 0
    # "plain" is the indexed column's name; it must be a word, not a column filter
    results = kjv_library.search("KJV", "plain:way", limit=100, order="bible")
    expected = _brute_force(kjv_rows, ["plain", "way"])
    assert expected
    found = [v.ref for v in results.hits]
    assert set(expected) <= set(found)
    assert all(_has_form("plain", v.plain) and _has_form("way", v.plain) for v in results.hits)


def test_search_lords_with_an_apostrophe(kjv_library: Library) -> None:
    results = kjv_library.search("KJV", "Lord's", limit=500)
    assert results.total > 100
    assert all(re.search(r"\bLord['\u2019]s\b", v.plain, re.IGNORECASE) for v in results.hits)
    curly = kjv_library.search("KJV", "Lord\u2019s")
    assert curly.total == results.total


def test_search_son_in_law_finds_genesis_19_12(kjv_library: Library) -> None:
    results = kjv_library.search("KJV", "son-in-law", order="bible")
    assert results.total > 0
    assert results.hits[0].ref == V(1, 19, 12)


def test_search_words_are_anded(kjv_library: Library) -> None:
    results = kjv_library.search("KJV", "faith hope charity")
    assert [v.ref for v in results.hits] == [V(46, 13, 13)]
    assert results.total == 1


def test_search_with_quotes_in_the_query(kjv_library: Library) -> None:
    results = kjv_library.search("KJV", '"faith" "hope" "charity"')
    assert [v.ref for v in results.hits] == [V(46, 13, 13)]


def test_search_does_not_find_bracket_markup(kjv_library: Library) -> None:
    assert kjv_library.search("KJV", "[is]").total == kjv_library.search("KJV", "is").total


def _has_form(word: str, text: str) -> bool:
    """Whether ``text`` has a word that starts like ``word`` (love: loved, loving, loveth)."""
    stem = word[:-1] if word.endswith("e") and len(word) > 3 else word
    return re.search(rf"\b{re.escape(stem)}\w*", text, re.IGNORECASE) is not None


def _brute_force(rows: list[tuple[int, int, int, str, str]], words: list[str]) -> list[VerseRef]:
    """Verses whose plain text has every word (case-insensitive, whole words), by regex."""
    patterns = [re.compile(rf"\b{re.escape(w)}\b", re.IGNORECASE) for w in words]
    return [V(b, c, v) for b, c, v, _text, plain in rows if all(p.search(plain) for p in patterns)]


@pytest.mark.parametrize("word", ["faith", "charity", "love", "Jesus", "shepherd"])
def test_search_totals_match_a_brute_force_count(
    kjv_library: Library, kjv_rows: list[tuple[int, int, int, str, str]], word: str
) -> None:
    exact = _brute_force(kjv_rows, [word])
    forms = [V(b, c, v) for b, c, v, _t, plain in kjv_rows if _has_form(word, plain)]
    results = kjv_library.search("KJV", word, limit=10_000, order="bible")
    found = [v.ref for v in results.hits]
    assert results.total == len(found)
    assert set(exact) <= set(found) <= set(forms)
    assert found == sorted(found)


def test_search_two_words_matches_brute_force(
    kjv_library: Library, kjv_rows: list[tuple[int, int, int, str, str]]
) -> None:
    exact = _brute_force(kjv_rows, ["faith", "love"])
    forms = [
        V(b, c, v)
        for b, c, v, _t, plain in kjv_rows
        if _has_form("faith", plain) and _has_form("love", plain)
    ]
    results = kjv_library.search("KJV", "love faith", limit=1000, order="bible")
    found = [v.ref for v in results.hits]
    assert results.total == len(found)
    assert set(exact) <= set(found) <= set(forms)


def test_search_in_bible_order_is_canonical(kjv_library: Library) -> None:
    results = kjv_library.search("KJV", "light", limit=10_000, order="bible")
    assert not results.ranked
    refs = [v.ref for v in results.hits]
    assert len(refs) == results.total > 200
    assert refs == sorted(refs)
    assert refs[0].book == 1


def test_search_pages_continue_where_the_last_stopped(kjv_library: Library) -> None:
    whole = kjv_library.search("KJV", "love", limit=1000)
    pages = [kjv_library.search("KJV", "love", limit=50, offset=o) for o in range(0, 450, 50)]
    assert all(p.total == whole.total for p in pages)
    assert [v.ref for p in pages for v in p.hits] == [v.ref for v in whole.hits]
    assert len(pages[0].hits) == 50


def test_search_limit_caps_hits_but_not_total(kjv_library: Library) -> None:
    results = kjv_library.search("KJV", "love", limit=5)
    assert len(results.hits) == 5
    assert results.total == LOVE_TOTAL


def test_search_is_case_insensitive(kjv_library: Library) -> None:
    assert (
        kjv_library.search("KJV", "LORD").total
        == kjv_library.search("KJV", "lord").total
        == kjv_library.search("KJV", "Lord").total
    )


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=40))
def test_property_search_never_raises(kjv_library: Library, text: str) -> None:
    results = kjv_library.search("KJV", text, limit=3)
    assert results.total >= len(results.hits)
    assert len(results.hits) <= 3


# -- more than one translation -----------------------------------------------------------------

_SMALL = _rows(
    (1, 1, 1, "At first the maker shaped the sky and the land, xylophone."),
    (1, 1, 2, "The land was empty and love was near."),
    (43, 3, 1, "There was a teacher named Nicodemus."),
    (43, 3, 2, "He came by night."),
    (43, 3, 3, "Love answered him, xylophone."),
)


def test_search_stays_inside_the_chosen_translation(writable_kjv_library: Library) -> None:
    lib = writable_kjv_library
    lib.add(_info("TST"), _SMALL, len(_SMALL))
    assert lib.search("KJV", "xylophone").total == 0
    assert lib.search("KJV", "love").total == LOVE_TOTAL
    small = lib.search("TST", "xylophone", order="bible")
    assert [v.ref for v in small.hits] == [V(1, 1, 1), V(43, 3, 3)]
    love = lib.search("TST", "love", order="bible")
    assert love.total == 2
    assert [v.text for v in love.hits] == [_SMALL[1][3], _SMALL[4][3]]
    assert lib.search("tst", "love").total == 2


def test_search_stays_inside_a_translation_added_before_kjv(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "library.sqlite")
    lib.add(_info("TST"), _SMALL, len(_SMALL))
    lib.import_default()
    assert lib.search("TST", "love").total == 2
    assert lib.search("KJV", "love").total == LOVE_TOTAL
    assert lib.search("KJV", "xylophone").total == 0
    lib.close()


def test_a_removed_translation_leaves_no_search_hits_for_the_next(
    writable_kjv_library: Library,
) -> None:
    lib = writable_kjv_library
    lib.add(_info("TST"), _SMALL, len(_SMALL))
    assert lib.remove("TST")
    assert not lib.remove("TST")
    lib.add(_info("NEW"), _rows((1, 1, 1, "Quite different words.")), 1)
    assert lib.search("NEW", "xylophone").total == 0
    assert lib.search("NEW", "different").total == 1
    assert lib.search("KJV", "love").total == LOVE_TOTAL
    lib.close()
    _fts_integrity_ok(lib.path)


def test_translations_are_listed_with_their_verse_counts(writable_kjv_library: Library) -> None:
    lib = writable_kjv_library
    lib.add(_info("TST", "Tiny"), _SMALL, len(_SMALL))
    listed = {t.id: (t.name, t.verse_count) for t in lib.translations()}
    assert listed == {"KJV": ("King James Version (1769)", 31102), "TST": ("Tiny", 5)}


# -- unknown translations ----------------------------------------------------------------------


def test_unknown_translation_message_lists_installed_ids(writable_kjv_library: Library) -> None:
    lib = writable_kjv_library
    lib.add(_info("TST"), _SMALL, len(_SMALL))
    for call in (
        lambda: lib.translation("NOPE"),
        lambda: lib.search("NOPE", "love"),
        lambda: lib.parse("John 3:16", "NOPE"),
        lambda: lib.versification("NOPE"),
    ):
        with pytest.raises(UnknownTranslation) as info:
            call()
        message = str(info.value)
        assert "NOPE" in message
        assert "KJV" in message and "TST" in message
        assert message.splitlines() == [message]


def test_unknown_translation_in_an_empty_library_says_none(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "library.sqlite")
    with pytest.raises(UnknownTranslation, match="none yet"):
        lib.translation("KJV")
    lib.close()


def test_translation_ids_are_case_insensitive(kjv_library: Library) -> None:
    assert kjv_library.translation("kjv").id == "KJV"
    assert kjv_library.has("Kjv")


# -- versification -----------------------------------------------------------------------------


def test_kjv_versification_matches_the_book_table(kjv_library: Library) -> None:
    from core.bible.books import BOOKS

    v = kjv_library.versification("KJV")
    for b in BOOKS:
        assert v.verse_counts(b.number) == b.verse_counts, b.name


def test_versification_reflects_the_translations_own_rows(writable_kjv_library: Library) -> None:
    lib = writable_kjv_library
    lib.add(_info("TST"), _SMALL, len(_SMALL))
    v = lib.versification("TST")
    assert v.verse_counts(1) == (2,)
    assert v.verse_counts(2) is None
    assert v.verse_counts(66) is None
    counts = v.verse_counts(43)
    assert counts is not None
    assert len(counts) == 3 and counts[2] == 3
    assert lib.parse("Gen 1:2", "TST").start == V(1, 1, 2)
    assert lib.parse("Genesis", "TST").end == V(1, 1, 2)
    with pytest.raises(BadReference, match="Exodus"):
        lib.parse("Exodus 1:1", "TST")
    with pytest.raises(BadReference, match="verses 1 to 2"):
        lib.parse("Gen 1:3", "TST")
    assert lib.parse("Gen 1:3", "KJV").start == V(1, 1, 3)


def test_a_longer_numbering_is_kept(writable_kjv_library: Library) -> None:
    # A translation that numbers Malachi with 3 chapters (as some do) keeps its numbering
    # and one that has a verse KJV lacks (3 John 1:15) can be read there.
    lib = writable_kjv_library
    rows = _rows((39, 3, 24, "Last of Malachi here."), (64, 1, 15, "Peace be to thee."))
    rows = [*_rows(*[(39, c, 1, "x") for c in (1, 2, 3)]), *rows]
    lib.add(_info("OTH"), sorted(rows), len(rows))
    v = lib.versification("OTH")
    assert len(v.verse_counts(39) or ()) == 3
    assert lib.parse("3 John 15", "OTH").start == V(64, 1, 15)
    with pytest.raises(BadReference):
        lib.parse("3 John 15", "KJV")
    with pytest.raises(BadReference, match="chapter 4"):
        lib.parse("Mal 4:6", "OTH")


def test_navigation_in_a_translation_lacking_chapters_stays_on_verses_it_has(
    writable_kjv_library: Library,
) -> None:
    # TST has John 3 but not John 1-2; stepping back from John 3:1 must not land on a verse
    # that does not exist (such as "John 2:0" or "John 1:1").
    lib = writable_kjv_library
    lib.add(_info("TST"), _SMALL, len(_SMALL))
    v = lib.versification("TST")
    assert previous_verse(V(43, 3, 1), v) == V(1, 1, 2)
    assert previous_chapter(V(43, 3, 1), v) == V(1, 1, 1)
    assert next_verse(V(1, 1, 2), v) == V(43, 3, 1)


# -- damaged library files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "junk",
    [b"junk", b"this is not a sqlite database\x00\xff" * 300, os.urandom(8192)],
    ids=["tiny", "text", "random"],
)
def test_a_damaged_library_is_moved_aside_and_a_new_one_works(tmp_path: Path, junk: bytes) -> None:
    path = tmp_path / "data" / "library.sqlite"
    path.parent.mkdir(parents=True)
    path.write_bytes(junk)
    lib = Library.open(path)
    try:
        assert lib.notice is not None
        assert "damaged" in lib.notice
        assert lib.notice.splitlines() == [lib.notice]
        asides = [p for p in path.parent.iterdir() if p.name.startswith("library.sqlite.damaged")]
        assert len(asides) == 1
        assert asides[0].name in lib.notice
        assert asides[0].read_bytes() == junk
        assert lib.needs_first_run_import()
        lib.import_default()
        assert lib.verse("KJV", V(1, 1, 1)).text == GEN_1_1  # type: ignore[union-attr]
        assert lib.search("KJV", "charity hope").total == 1
    finally:
        lib.close()
    again = Library.open(path)
    assert again.notice is None
    assert again.has("KJV")
    again.close()


def test_moving_a_damaged_library_aside_never_overwrites_an_earlier_one(tmp_path: Path) -> None:
    # Earlier damaged copies (as left by a damaged library found moments ago) must survive.
    path = tmp_path / "library.sqlite"
    now = datetime.now(UTC)
    earlier: dict[Path, bytes] = {}
    for seconds in range(-2, 6):
        stamp = (now + timedelta(seconds=seconds)).strftime("%Y%m%d-%H%M%S")
        p = path.with_name(f"{path.name}.damaged-{stamp}")
        earlier[p] = f"earlier damaged library {stamp}".encode()
        p.write_bytes(earlier[p])
    path.write_bytes(b"newly damaged junk" * 100)
    lib = Library.open(path)
    lib.close()
    for p, content in earlier.items():
        assert p.read_bytes() == content, f"{p.name} was overwritten"
    kept = [p for p in tmp_path.iterdir() if p.read_bytes() == b"newly damaged junk" * 100]
    assert len(kept) == 1


def test_a_library_from_a_newer_verselight_is_refused_not_moved(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(LibraryError, match="newer"):
        Library.open(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["library.sqlite"]


# -- what people mean: phrases, word forms, relevance ------------------------------------------


def test_living_water_finds_the_living_waters_verses_first(kjv_library: Library) -> None:
    results = kjv_library.search("KJV", "living water", limit=10)
    assert results.ranked
    top = [v.ref for v in results.hits[:8]]
    for ref in (V(22, 4, 15), V(24, 17, 13), V(38, 14, 8), V(43, 4, 10)):
        assert ref in top, (ref, top)
    # Leviticus 14's "living bird ... running water" has both words, but not as a phrase.
    everything = [v.ref for v in kjv_library.search("KJV", "living water", limit=100).hits]
    assert V(3, 14, 6) in everything
    assert everything.index(V(3, 14, 6)) > everything.index(V(43, 4, 10))


def test_a_quoted_phrase_matches_only_the_phrase(kjv_library: Library) -> None:
    loose = kjv_library.search("KJV", "living water", limit=100)
    phrase = kjv_library.search("KJV", '"living water"', limit=100)
    assert 0 < phrase.total < loose.total
    assert V(3, 14, 6) not in [v.ref for v in phrase.hits]
    for v in phrase.hits:
        assert re.search(r"\bliving waters?\b", v.plain, re.IGNORECASE), (v.ref, v.plain)


def test_unquoted_words_must_all_appear(kjv_library: Library) -> None:
    for v in kjv_library.search("KJV", "living water", limit=100).hits:
        assert _has_form("liv", v.plain) and _has_form("water", v.plain), v.ref


@pytest.mark.parametrize(
    ("query", "form"),
    [("water", "waters"), ("believe", "believeth"), ("believe", "believed"), ("love", "loveth")],
)
def test_a_word_finds_its_other_forms(kjv_library: Library, query: str, form: str) -> None:
    found = kjv_library.search("KJV", query, limit=10_000, order="bible")
    with_form = [v for v in found.hits if re.search(rf"\b{form}\b", v.plain, re.IGNORECASE)]
    assert len(with_form) >= 5
    assert found.total == len(found.hits)


def test_believe_finds_john_3_16_which_says_believeth(kjv_library: Library) -> None:
    refs = [v.ref for v in kjv_library.search("KJV", "believe", limit=10_000).hits]
    assert V(43, 3, 16) in refs


def test_relevance_and_bible_order_hold_the_same_verses(kjv_library: Library) -> None:
    ranked = kjv_library.search("KJV", "shepherd", limit=1000)
    bible = kjv_library.search("KJV", "shepherd", limit=1000, order="bible")
    assert ranked.ranked and not bible.ranked
    assert ranked.total == bible.total == len(bible.hits)
    assert sorted(v.ref for v in ranked.hits) == [v.ref for v in bible.hits]
    assert [v.ref for v in ranked.hits] != [v.ref for v in bible.hits]


def test_very_common_words_come_in_bible_order(kjv_library: Library) -> None:
    results = kjv_library.search("KJV", "the", limit=50)
    assert results.total > 20_000
    assert not results.ranked
    refs = [v.ref for v in results.hits]
    assert refs == sorted(refs) and refs[0] == V(1, 1, 1)


@pytest.mark.parametrize("limit", [10**20, -(10**20), 2**63])
def test_search_with_huge_limits_does_not_overflow(kjv_library: Library, limit: int) -> None:
    results = kjv_library.search("KJV", "charity", limit=limit, offset=limit)
    assert results.total > 0


def test_long_or_wordy_queries_are_refused_in_a_sentence(kjv_library: Library) -> None:
    for text in ("love " * 4000, " ".join(f"w{i}" for i in range(40))):
        start = time.perf_counter()
        with pytest.raises(BadQuery) as caught:
            kjv_library.search("KJV", text)
        assert time.perf_counter() - start < 0.5
        assert "\n" not in str(caught.value) and str(caught.value).endswith(".")
    assert kjv_library.search("KJV", "love love love love love").total == LOVE_TOTAL


def test_an_old_library_gets_a_stemmed_index_once(
    kjv_library_file: Path, tmp_path: Path, copy_lib, count_rows
) -> None:
    path = copy_lib(kjv_library_file, tmp_path / "old" / "library.sqlite")
    conn = sqlite3.connect(path)
    conn.executescript(
        "DROP TABLE verses_fts;"
        "CREATE VIRTUAL TABLE verses_fts USING fts5(plain, content='verses',"
        " content_rowid='id', tokenize='unicode61 remove_diacritics 2');"
        "INSERT INTO verses_fts (verses_fts) VALUES ('rebuild');"
        "PRAGMA user_version = 1;"
    )
    conn.close()
    lib = Library.open(path)
    try:
        assert lib.search("KJV", "love").total == LOVE_TOTAL
    finally:
        lib.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'verses_fts'").fetchone()
        assert "porter" in sql[0]
    finally:
        conn.close()
    assert count_rows(path)["verses_fts_docsize"] == 31102
    _fts_integrity_ok(path)


# -- references naming a translation -----------------------------------------------------------


def test_a_trailing_translation_name_reads_in_that_translation(
    writable_kjv_library: Library,
) -> None:
    lib = writable_kjv_library
    lib.add(_info("TST"), _SMALL, len(_SMALL))
    assert lib.locate("John 3:3 TST", "KJV") == ("TST", (parse("John 3:3"),))
    assert lib.locate("John 3:3 (tst)", "KJV")[0] == "TST"
    assert lib.locate("Rom 8:28 KJV", "TST") == ("KJV", (parse("Rom 8:28"),))
    assert lib.locate("Eph 2:8,9 KJV", "TST")[1][1].start == V(49, 2, 9)
    assert lib.locate("Song of Songs 2", "KJV") == ("KJV", (parse("Song 2"),))
    assert lib.locate("Genesis", "KJV")[0] == "KJV"
    # John 3:16 exists in KJV but not in the small translation's own numbering
    with pytest.raises(BadReference, match="verses 1 to 3"):
        lib.locate("John 3:16 TST", "KJV")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Rom 8:28 ESV", UnknownTranslation),
        ("John 3:16 (WEB)", UnknownTranslation),
        ("Nothing 3:16 KJV", BadReference),
        ("John 3:99 KJV", BadReference),
    ],
)
def test_a_trailing_name_that_is_not_installed_is_one_sentence(
    kjv_library: Library, text: str, error: type[Exception]
) -> None:
    with pytest.raises(error) as caught:
        kjv_library.locate(text, "KJV")
    assert "\n" not in str(caught.value)


def test_an_old_library_that_cannot_be_written_keeps_searching_without_word_forms(
    kjv_library_file: Path, tmp_path: Path, copy_lib
) -> None:
    from storage.bible import migrate

    path = copy_lib(kjv_library_file, tmp_path / "old" / "library.sqlite")
    conn = sqlite3.connect(path)
    conn.executescript(
        "PRAGMA journal_mode = DELETE; DROP TABLE verses_fts;"
        "CREATE VIRTUAL TABLE verses_fts USING fts5(plain, content='verses',"
        " content_rowid='id', tokenize='unicode61 remove_diacritics 2');"
        "INSERT INTO verses_fts (verses_fts) VALUES ('rebuild');"
        "PRAGMA user_version = 1;"
    )
    conn.close()
    before = path.read_bytes()
    ro = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    try:
        assert migrate(ro) is False
        assert (
            ro.execute("SELECT count(*) FROM verses_fts WHERE verses_fts MATCH 'love'").fetchone()[
                0
            ]
            == 281
        )
    finally:
        ro.close()
    assert path.read_bytes() == before
