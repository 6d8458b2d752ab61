"""Two translations side by side in the reader: picked from the translation dialog, toggled with
`s`, aligned verse by verse (a verse one side lacks is a gap), in two columns on a wide terminal
and stacked on a narrow one, and every way of moving still works with it on."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.bible.compare import Pair
from core.bible.references import VerseRef
from core.config import Config
from tests.second_translation import EXTRA, GAPPY, add_gappy, plainer
from tests.tui.helpers import settle, shown_lines, toasts
from tests.tui.test_going_places import assert_comes_into_view, assert_in_view
from tests.tui.test_small_terminals import screen_lines, screen_words
from tui.screens.reader import ReaderScreen
from tui.screens.translations import TranslationsScreen
from tui.widgets.chapter_view import ChapterView
from tui.widgets.verse_strip import VerseStrip

JOHN_3_16 = VerseRef(43, 3, 16)


@pytest.fixture
def gappy(config: Config, kjv_rows) -> str:
    return add_gappy(Path(config.paths.library_db), kjv_rows)


def reader_of(app) -> ReaderScreen:
    (reader,) = [s for s in app.screen_stack if isinstance(s, ReaderScreen)]
    return reader


def top(app) -> object:
    """The screen on top (a call, so a type checker does not carry an earlier narrowing)."""
    return app.screen


def pairs(app) -> dict[int, Pair]:
    """The verses shown as pairs of two translations, by number."""
    return {line.pair.ref.verse: line.pair for line in shown_lines(reader_of(app)) if line.pair}


async def turn_on(pilot) -> None:
    """`s` the first time: the dialog asks which translation; Enter takes the one offered."""
    await pilot.press("s")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, TranslationsScreen) and dialog.pick_beside
    await pilot.press("enter")
    await settle(pilot)


async def test_s_with_one_translation_says_what_is_needed(app_factory) -> None:
    app = app_factory("John 3:16")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen) and app.screen.beside is None
        (said,) = [t for t in toasts(app) if "Side by side" in t]
        assert "only KJV is installed" in said and "translations add" in said
        assert not pairs(app)


async def test_side_by_side_aligns_verse_by_verse_with_gaps(app_factory, gappy) -> None:
    app = app_factory("John 3:16")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await turn_on(pilot)
        reader = reader_of(app)
        assert reader.beside == GAPPY and app.screen is reader
        shown = pairs(app)
        assert sorted(shown) == list(range(1, 38))  # KJV's 36 and GAPPY's own 3:37
        assert shown[16].left is not None and shown[16].right is None
        assert shown[17].right is None  # GAPPY leaves it empty
        assert shown[37].left is None
        assert shown[37].right is not None and shown[37].right.text == EXTRA
        assert [
            line.pair.ref.verse for line in shown_lines(reader) if line.current and line.pair
        ] == [16]
        assert "KJV | GAPPY" in screen_words(app)
        await assert_comes_into_view(pilot, app, JOHN_3_16)


async def test_wide_is_two_columns_narrow_is_stacked(app_factory, gappy, kjv_rows) -> None:
    kjv_15 = next(p for b, c, v, _t, p in kjv_rows if (b, c, v) == (43, 3, 15))
    app = app_factory("John 3:15")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await turn_on(pilot)
        # Side by side: each screen row holds the start of both verses.
        lines = screen_lines(app)
        (row,) = [line for line in lines if "15 That whosoever believeth" in line]
        assert "15 That whosoever believes" in row
        assert kjv_15 != plainer(kjv_15)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        await assert_comes_into_view(pilot, app, VerseRef(43, 3, 15))
        lines = screen_lines(app)
        (first,) = [i for i, line in enumerate(lines) if "15 That whosoever believeth" in line]
        assert "believes" not in lines[first]
        below = " ".join(lines[first + 1 : first + 5])
        assert "GAPPY 15 That whosoever believes" in below


async def test_moving_going_and_the_strip_work_side_by_side(app_factory, gappy) -> None:
    app = app_factory("John 3:16")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await turn_on(pilot)
        reader = reader_of(app)
        strip = reader.query_one(VerseStrip)
        await pilot.press("j")
        await settle(pilot)
        assert_in_view(app, VerseRef(43, 3, 17))
        assert strip.current == 17 and strip.count == 36
        await pilot.press("end")
        await settle(pilot)
        assert_in_view(app, VerseRef(43, 3, 36))
        await pilot.press("j")  # past KJV's last verse of the chapter: John 4:1
        await settle(pilot)
        assert_in_view(app, VerseRef(43, 4, 1))
        assert strip.count == 54 and strip.current == 1
        assert reader.query_one(ChapterView).shows("KJV", VerseRef(43, 4, 1), GAPPY)
        assert pairs(app)[1].right is not None
        await pilot.press("g", *"3:16", "enter")
        await settle(pilot)
        assert_in_view(app, JOHN_3_16)
        assert strip.current == 16 and strip.count == 36
        await pilot.press("k")
        await settle(pilot)
        assert_in_view(app, VerseRef(43, 3, 15))
        await pilot.press("g", *"Acts 2:1", "enter")
        await settle(pilot)
        assert_in_view(app, VerseRef(44, 2, 1))
        assert all(p.right is None for p in pairs(app).values())
        assert "(lacks this chapter)" in screen_words(app)


async def test_s_turns_it_off_and_on_again_without_asking(app_factory, gappy) -> None:
    app = app_factory("John 3:16")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await turn_on(pilot)
        reader = reader_of(app)
        await pilot.press("s")
        await settle(pilot)
        assert reader.beside is None and not pairs(app)
        assert len(shown_lines(reader)) == 36
        # The navigator is back (120 columns), so the text rewraps: the verse comes into view.
        await assert_comes_into_view(pilot, app, JOHN_3_16)
        assert "KJV | GAPPY" not in screen_words(app)
        await pilot.press("s")
        await settle(pilot)
        assert app.screen is reader and reader.beside == GAPPY
        assert len(pairs(app)) == 37
        await assert_comes_into_view(pilot, app, JOHN_3_16)


async def test_the_translation_dialog_picks_the_one_beside(app_factory, gappy) -> None:
    app = app_factory("John 3:16")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TranslationsScreen)
        assert "s beside" in screen_words(app)
        ids = [t.id for t in reader_of(app).ctx.library.translations()]
        # On the translation being read, `s` says to pick another and stays.
        await pilot.press("s")
        await settle(pilot)
        assert app.screen is dialog
        assert any("pick another translation" in t for t in toasts(app))
        await pilot.press("down" if ids.index(GAPPY) > ids.index("KJV") else "up", "s")
        await settle(pilot)
        reader = reader_of(app)
        assert top(app) is reader and reader.beside == GAPPY and reader.translation == "KJV"
        assert_in_view(app, JOHN_3_16)
        # Reading the one beside swaps them.
        await pilot.press("t")
        await settle(pilot)
        assert "\u25d0 GAPPY" in screen_words(app)
        await pilot.press("down" if ids.index(GAPPY) > ids.index("KJV") else "up", "enter")
        await settle(pilot)
        assert reader.translation == GAPPY and reader.beside == "KJV"
        shown = pairs(app)
        assert shown[16].left is None and shown[16].right is not None
        # GAPPY numbers John 3 up to 37, so 3:16 is kept: a gap on its side, KJV beside it.
        assert reader.ref == VerseRef(43, 3, 16)


async def test_side_by_side_is_remembered_with_the_place(app_factory, gappy, config) -> None:
    from core import reader_state

    app = app_factory("John 3:16")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await turn_on(pilot)
        await pilot.press("j")
        await settle(pilot)
    saved = reader_state.load(config.paths.reader_state)
    assert saved == reader_state.Position("KJV", VerseRef(43, 3, 17), GAPPY)
    again = app_factory()
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        reader = reader_of(again)
        assert reader.beside == GAPPY and len(pairs(again)) == 37
        assert_in_view(again, VerseRef(43, 3, 17))
        await pilot.press("s")  # off, and remembered off
        await settle(pilot)
    assert reader_state.load(config.paths.reader_state) == reader_state.Position(
        "KJV", VerseRef(43, 3, 17)
    )
    # Opened in another translation, the reader reads that one alone.
    reader_state.save(config.paths.reader_state, saved)
    third = app_factory("John 3:16", GAPPY)
    async with third.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert reader_of(third).beside is None and not pairs(third)


def test_a_place_saved_before_side_by_side_still_loads(tmp_path: Path) -> None:
    from core import reader_state

    path = tmp_path / "reader.json"
    path.write_text('{"translation": "KJV", "book": 43, "chapter": 3, "verse": 16}')
    assert reader_state.load(path) == reader_state.Position("KJV", JOHN_3_16, None)
    path.write_text('{"translation": "KJV", "book": 43, "chapter": 3, "verse": 16, "beside": 7}')
    assert reader_state.load(path) == reader_state.Position("KJV", JOHN_3_16, None)
    reader_state.save(path, reader_state.Position("KJV", JOHN_3_16, GAPPY))
    assert reader_state.load(path) == reader_state.Position("KJV", JOHN_3_16, GAPPY)


async def test_the_palette_offers_side_by_side(app_factory, gappy) -> None:
    from tests.tui.test_going_places import go_by_palette

    app = app_factory("John 3:16")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await go_by_palette(pilot, app, "side by", "Side by side")
        await settle(pilot)
        dialog = top(app)
        assert isinstance(dialog, TranslationsScreen) and dialog.pick_beside
        await pilot.press("enter")
        await settle(pilot)
        assert reader_of(app).beside == GAPPY
