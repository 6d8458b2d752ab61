"""Every reader key, through the real app and Pilot."""

from __future__ import annotations

import pytest
from textual.geometry import Region

from core.bible.references import VerseRef
from tests.tui.helpers import settle, shown_lines, toasts
from tui.screens.reader import ReaderScreen
from tui.widgets.chapter_view import ChapterView, ShownVerse
from tui.widgets.verse_strip import VerseStrip


def reader(app) -> ReaderScreen:
    screen = app.screen
    assert isinstance(screen, ReaderScreen), f"expected the reader, got {screen!r}"
    return screen


def current_line(app) -> ShownVerse:
    lines = [line for line in shown_lines(app.screen) if line.current]
    assert len(lines) == 1
    line = app.screen.query_one(ChapterView).current_line()
    assert line == lines[0]
    return lines[0]


async def test_opens_at_genesis_the_first_time(app_factory):
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert reader(app).ref == VerseRef(1, 1, 1)
        assert current_line(app).verse.text.startswith("In the beginning God created")


async def test_opens_at_the_reference_given(app_factory):
    app = app_factory("jn 3 16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert reader(app).ref == VerseRef(43, 3, 16)
        assert "God so loved the world" in current_line(app).verse.text
        strip = app.screen.query_one(VerseStrip)
        assert (strip.count, strip.current) == (36, 16)


@pytest.mark.parametrize(
    ("start", "keys", "expected"),
    [
        ("John 3:16", ["j"], (43, 3, 17)),
        ("John 3:16", ["down", "down"], (43, 3, 18)),
        ("John 3:16", ["k"], (43, 3, 15)),
        ("John 3:16", ["up"], (43, 3, 15)),
        ("John 3:16", ["l"], (43, 4, 1)),
        ("John 3:16", ["right"], (43, 4, 1)),
        ("John 3:16", ["right_square_bracket"], (43, 4, 1)),
        ("John 3:16", ["h"], (43, 2, 1)),
        ("John 3:16", ["left"], (43, 2, 1)),
        ("John 3:16", ["left_square_bracket"], (43, 2, 1)),
        ("John 3:16", ["right_curly_bracket"], (44, 1, 1)),
        ("John 3:16", ["shift+right"], (44, 1, 1)),
        ("John 3:16", ["left_curly_bracket"], (42, 1, 1)),
        ("John 3:16", ["shift+left"], (42, 1, 1)),
        ("John 3:16", ["end"], (43, 3, 36)),
        ("John 3:16", ["home"], (43, 3, 1)),
        ("Gen 50:26", ["j"], (2, 1, 1)),
        ("Exod 1:1", ["k"], (1, 50, 26)),
        ("Mal 4:6", ["j"], (40, 1, 1)),
        ("Gen 1:1", ["k"], (1, 1, 1)),
        ("Rev 22:21", ["j"], (66, 22, 21)),
        ("Gen 1:1", ["h"], (1, 1, 1)),
        ("Rev 22:1", ["l"], (66, 22, 1)),
    ],
)
async def test_movement_keys(app_factory, start, keys, expected):
    app = app_factory(start)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)
        assert reader(app).ref == VerseRef(*expected)
        assert current_line(app).verse.ref == VerseRef(*expected)
        assert app.screen.query_one(VerseStrip).current == expected[2]


async def test_current_verse_stays_in_view_through_a_long_chapter(app_factory):
    app = app_factory("Ps 119:1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(60):
            await pilot.press("j")
        await settle(pilot)
        view = app.screen.query_one(ChapterView)
        line = current_line(app)
        assert line.verse.ref == VerseRef(19, 119, 61)
        assert view.scroll_y > 0
        top, bottom = view.scroll_y, view.scroll_y + view.scrollable_content_region.height
        assert top <= line.virtual_region.y and line.virtual_region.bottom <= bottom + 1


async def test_reading_past_the_page_turns_it(app_factory):
    """Next verse past the bottom puts that verse at the top (the text does not creep up a
    verse per key); previous verse back past the top puts it at the bottom; a key within the
    page leaves the text where it is."""
    app = app_factory("Ps 119:1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(ChapterView)
        turned_at = None
        for _ in range(20):
            before = view.scroll_y
            await pilot.press("j")
            await settle(pilot)
            if view.scroll_y != before:
                turned_at = current_line(app)
                break
        assert turned_at is not None, "twenty verses and the page never turned"
        assert turned_at.virtual_region.y == view.scroll_y  # at the top of the new page
        page = view.scroll_y
        await pilot.press("j")
        await settle(pilot)
        assert view.scroll_y == page
        await pilot.press("k", "k")
        await settle(pilot)
        back = current_line(app)
        assert view.scroll_y < page
        view_bottom = view.scroll_y + view.scrollable_content_region.height
        assert back.virtual_region.bottom <= view_bottom
        assert view_bottom - back.virtual_region.bottom <= 1  # its margin: at the bottom


async def test_a_long_chapter_then_a_short_one_show_every_verse_and_only_theirs(app_factory):
    """Psalm 119's 176 verses after Genesis 1's 31, then Psalm 118's 29: each chapter shows
    all its verses and nothing of the last one, a key reaching its end (End, before any frame)
    still shows the verse, and the view is as tall as the chapter it shows."""
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = reader(app)
        view = screen.query_one(ChapterView)
        assert [line.verse.ref for line in shown_lines(view)] == [
            VerseRef(1, 1, v) for v in range(1, 32)
        ]
        await screen.go_to(VerseRef(19, 119, 1))
        await screen.action_last_verse()
        await settle(pilot)
        assert [line.verse.ref.verse for line in shown_lines(view)] == list(range(1, 177))
        line = current_line(app)
        assert line.verse.ref == VerseRef(19, 119, 176)
        visible = view.content_region
        assert line.region.height > 0 and visible.contains_region(line.region)
        await screen.go_to(VerseRef(19, 118, 1))
        await settle(pilot)
        shown = shown_lines(view)
        assert [line.verse.ref for line in shown] == [VerseRef(19, 118, v) for v in range(1, 30)]
        assert shown[0].text.startswith("1 O give thanks unto the LORD")
        assert current_line(app).verse.ref == VerseRef(19, 118, 1)
        # Title (3 lines), then each verse's lines and the blank line after it.
        assert view.virtual_size.height == 3 + sum(v.virtual_region.height + 1 for v in shown)


async def test_next_verse_repaints_only_the_two_verses(app_factory):
    """Moving within the page repaints the lines of the verse left and the verse reached, not
    the whole view (a key press stays cheap however long the chapter)."""
    app = app_factory("Ps 119:1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = reader(app).query_one(ChapterView)
        before, after = shown_lines(view)[:2]
        repainted: list[Region] = []
        refresh = view.refresh

        def watch(
            *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False
        ) -> ChapterView:
            repainted.extend(regions or [view.size.region])  # no region: all of it
            return refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

        view.refresh = watch  # type: ignore[method-assign]
        assert view.scroll_y == 0  # the lines of the view are the lines on screen
        await pilot.press("j")
        await settle(pilot)
        assert current_line(app).verse.ref == VerseRef(19, 119, 2)
        lines = sorted((r.y, r.height) for r in repainted)
        assert lines == sorted(
            (v.virtual_region.y, v.virtual_region.height) for v in (before, after)
        )


async def test_bad_reference_on_start_says_why_and_opens_anyway(app_factory):
    app = app_factory("Hezekiah 4:2")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        assert reader(app).ref == VerseRef(1, 1, 1)
        messages = toasts(app)
        assert any('no book called "Hezekiah"' in m for m in messages)


async def test_unknown_translation_on_start_says_why(app_factory):
    app = app_factory("John 1:1", translation="NOPE")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        assert reader(app).translation == "KJV"
        assert any('"NOPE"' in m for m in toasts(app))


async def test_quitting_remembers_the_place(app_factory):
    app = app_factory("Ruth 1:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("j", "q")
    again = app_factory()
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert reader(again).ref == VerseRef(8, 1, 17)


async def test_help_opens_and_closes(app_factory):
    app = app_factory("John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        from tui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert reader(app).ref == VerseRef(43, 3, 16)


async def test_navigator_hidden_at_80_shown_at_120_and_toggled_with_n(app_factory):
    from tui.widgets.navigator import Navigator

    app = app_factory("John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # Hidden, so not made: the first frame does not pay for it.
        assert not app.screen.query(Navigator)
        await pilot.press("n")
        await settle(pilot)
        nav = app.screen.query_one(Navigator)
        assert nav.display and nav.has_focus
        # Made as it is shown, opened at the chapter being read.
        assert nav.cursor_node is not None and nav.cursor_node.label.plain == "Chapter 3"
        assert nav.cursor_node.parent is not None and nav.cursor_node.parent.label.plain == "John"
    wide = app_factory("John 3:16")
    async with wide.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        nav = wide.screen.query_one(Navigator)
        assert nav.display
        await pilot.press("n")
        await settle(pilot)
        assert not nav.display
        # Hidden, it does not follow the reader; shown again, it opens where the reader is.
        await pilot.press("l")
        await settle(pilot)
        assert reader(wide).ref == VerseRef(43, 4, 1)
        await pilot.press("n")
        await settle(pilot)
        assert nav.display
        assert nav.cursor_node is not None and nav.cursor_node.label.plain == "Chapter 4"
        assert nav.cursor_node.parent is not None and nav.cursor_node.parent.label.plain == "John"


async def test_navigator_opens_a_chapter_and_a_verse(app_factory):
    from tui.widgets.navigator import Navigator

    app = app_factory("John 3:16")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        nav = app.screen.query_one(Navigator)
        nav.focus()
        # The cursor starts on John 3 (revealed); one down is John 4.
        assert nav.cursor_node is not None and nav.cursor_node.label.plain == "Chapter 3"
        await pilot.press("down", "enter")
        await settle(pilot)
        assert reader(app).ref == VerseRef(43, 4, 1)
        # Chapter 4 is now expanded: its first child is verse 1, the next verse 2.
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert reader(app).ref == VerseRef(43, 4, 2)
        await pilot.press("escape", "j")
        await settle(pilot)
        assert reader(app).ref == VerseRef(43, 4, 3)
