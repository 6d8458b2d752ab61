"""Every way of going somewhere puts the verse in view: `g`, the palette, a search result."""

from __future__ import annotations

import pytest
from textual.command import CommandList

from core.bible.references import VerseRef
from tests.tui.conftest import settle, wait_for
from tui.screens.reader import ReaderScreen
from tui.widgets.chapter_view import ChapterView
from tui.widgets.verse_line import VerseLine

SIZES = [(80, 24), (100, 32)]
JOHN_3_16 = VerseRef(43, 3, 16)


def assert_in_view(app, ref: VerseRef) -> None:
    """The verse is the reader's place, highlighted, and its lines are inside the visible part
    of the chapter's scroll view (on screen, not merely scrolled to in the header)."""
    reader = app.screen
    assert isinstance(reader, ReaderScreen), reader
    assert reader.ref == ref
    view = reader.query_one(ChapterView)
    (line,) = [v for v in reader.query(VerseLine) if v.verse.ref == ref]
    assert line.current
    visible = view.content_region
    assert visible.height > 0
    assert line.region.height > 0, "the verse is not on screen"
    assert visible.contains_region(line.region), (line.region, visible)


@pytest.mark.parametrize("size", SIZES)
async def test_g_puts_the_verse_in_view(app_factory, size):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("g", *"John 3:16", "enter")
        await settle(pilot)
        assert_in_view(app, JOHN_3_16)


@pytest.mark.parametrize("size", SIZES)
async def test_the_palette_puts_the_verse_in_view(app_factory, size):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"John 3:16")
        commands = app.screen.query_one(CommandList)
        await wait_for(
            pilot,
            lambda: (
                commands.option_count > 0
                and "Go to John 3:16" in str(commands.get_option_at_index(0).prompt)
            ),
            "the palette to offer John 3:16",
        )
        await pilot.press("enter")
        await settle(pilot)
        assert_in_view(app, JOHN_3_16)


@pytest.mark.parametrize("size", SIZES)
async def test_the_palette_within_the_same_chapter_puts_the_verse_in_view(app_factory, size):
    app = app_factory("John 3:1")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"16")
        commands = app.screen.query_one(CommandList)
        await wait_for(
            pilot,
            lambda: (
                commands.option_count > 0
                and "Go to John 3:16" in str(commands.get_option_at_index(0).prompt)
            ),
            "the palette to offer John 3:16",
        )
        await pilot.press("enter")
        await settle(pilot)
        assert_in_view(app, JOHN_3_16)


@pytest.mark.parametrize("size", SIZES)
async def test_a_search_result_puts_the_verse_in_view(app_factory, size):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("slash", *'"so loved the world"')
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert_in_view(app, JOHN_3_16)
