"""Every way of going somewhere puts the verse in view: `g`, the palette, a search result."""

from __future__ import annotations

import pytest
from textual.command import CommandList

from core.bible.references import VerseRef
from tests.tui.helpers import settle, shown_lines, toasts, wait_for
from tui.screens.reader import ReaderScreen
from tui.widgets.chapter_view import ChapterView

SIZES = [(80, 24), (100, 32)]
JOHN_3_16 = VerseRef(43, 3, 16)


def _on_screen(app, ref: VerseRef) -> bool:
    reader = app.screen
    if not isinstance(reader, ReaderScreen) or reader.ref != ref:
        return False
    lines = [v for v in shown_lines(reader) if v.verse.ref == ref]
    visible = reader.query_one(ChapterView).content_region
    return (
        len(lines) == 1 and lines[0].region.height > 0 and visible.contains_region(lines[0].region)
    )


async def go_by_palette(pilot, app, typed: str, offered: str) -> None:
    """Type into the command palette, wait until its first command is ``offered``, run it."""
    await pilot.press("ctrl+p", *typed)
    commands = app.screen.query_one(CommandList)
    await wait_for(
        pilot,
        lambda: (
            commands.option_count > 0 and offered in str(commands.get_option_at_index(0).prompt)
        ),
        f"the palette to offer {offered}",
    )
    await pilot.press("enter")


async def assert_comes_into_view(pilot, app, ref: VerseRef) -> None:
    """As ``assert_in_view``, once the palette has let the screen update (it holds updates
    back for a moment as it closes, and the chapter view scrolls when the layout arrives)."""
    await wait_for(pilot, lambda: _on_screen(app, ref), f"{ref} on screen")
    assert_in_view(app, ref)


def assert_in_view(app, ref: VerseRef) -> None:
    """The verse is the reader's place, highlighted, and its lines are inside the visible part
    of the chapter's scroll view (on screen, not merely scrolled to in the header)."""
    reader = app.screen
    assert isinstance(reader, ReaderScreen), reader
    assert reader.ref == ref
    view = reader.query_one(ChapterView)
    (line,) = [v for v in shown_lines(reader) if v.verse.ref == ref]
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
        await go_by_palette(pilot, app, "John 3:16", "Go to John 3:16")
        await settle(pilot)
        await assert_comes_into_view(pilot, app, JOHN_3_16)


@pytest.mark.parametrize("size", SIZES)
async def test_the_palette_within_the_same_chapter_puts_the_verse_in_view(app_factory, size):
    app = app_factory("John 3:1")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await go_by_palette(pilot, app, "16", "Go to John 3:16")
        await settle(pilot)
        await assert_comes_into_view(pilot, app, JOHN_3_16)


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


async def test_g_with_a_translation_name_reads_there(app_factory, with_tiny_translation):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g", *"John 3:16 (TINY)")
        await settle(pilot)
        shown = str(app.screen.query_one("#preview").render())
        assert "John 3:16 (TINY)" in shown and "Tiny John 3:16." in shown
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.translation == "TINY"
        assert_in_view(app, JOHN_3_16)
        (line,) = [v for v in shown_lines(app.screen) if v.current]
        assert line.verse.text == "Tiny John 3:16."


async def test_g_with_an_unknown_translation_name_says_so(app_factory):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g", *"John 3:16 ESV")
        await settle(pilot)
        preview = app.screen.query_one("#preview")
        assert preview.has_class("-error")
        assert 'no translation "ESV"' in str(preview.render())


async def test_g_with_a_verse_list_goes_to_its_first_verse(app_factory):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g", *"Jn 3:16,18")
        await settle(pilot)
        assert "John 3:16, 18" in str(app.screen.query_one("#preview").render())
        await pilot.press("enter")
        await settle(pilot)
        assert_in_view(app, JOHN_3_16)


async def test_the_palette_with_a_translation_name(app_factory, with_tiny_translation):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await go_by_palette(pilot, app, "jn 3 16 tiny", "Go to John 3:16 (TINY)")
        await settle(pilot)
        assert app.screen.translation == "TINY"
        await assert_comes_into_view(pilot, app, JOHN_3_16)


async def test_the_reader_starts_in_a_translation_named_after_the_reference(
    app_factory, with_tiny_translation
):
    app = app_factory("John 3:16 TINY")  # verselight John 3:16 TINY
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.translation == "TINY"
        assert_in_view(app, JOHN_3_16)


async def test_the_reader_starts_anyway_when_the_named_translation_is_missing(app_factory):
    app = app_factory("John 3:16 ESV")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        assert app.screen.translation == "KJV"
        assert any('no translation "ESV"' in n for n in toasts(app))
