"""Bookmarks, highlights and notes in the reader: the keys, how they show (text, verse strip,
navigator), the note editor, the list that jumps, and a damaged user database."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from rich.color import Color
from textual.widgets import DataTable

from core.bible.references import VerseRef
from core.billing.ledger import Ledger
from core.config import Config
from core.marks import Marks, VerseMarks
from core.user_data import UserData
from storage.user_db import connect
from tests.clock import ManualClock
from tests.tui.helpers import KNOWN_SID, SNAPSHOT_TIME, settle, toasts, wait_for
from tui.app import VerselightApp
from tui.screens.marks_list import MarksListScreen
from tui.screens.note import NoteScreen
from tui.screens.reader import ReaderScreen
from tui.widgets.chapter_view import CURRENT_BAR, ChapterView, ShownVerse
from tui.widgets.navigator import USER_MARK, Navigator
from tui.widgets.verse_line import BOOKMARK, NOTE
from tui.widgets.verse_strip import VerseStrip

JOHN_3_16 = VerseRef(43, 3, 16)


def saved_marks(config: Config) -> Marks:
    """The known session's marks, read straight from the user database."""
    return Marks(UserData(connect(config.paths.user_db), KNOWN_SID), ManualClock(SNAPSHOT_TIME))


def line(app: VerselightApp, verse: int) -> ShownVerse:
    """The verse of the chapter shown, as the chapter view paints it."""
    shown = app.screen.query_one(ChapterView).lines()
    (found,) = [line for line in shown if line.verse.ref.verse == verse]
    return found


def highlight_of(app: VerselightApp, colour: str) -> Color | None:
    """The background a verse highlighted in ``colour`` is painted on."""
    view = app.screen.query_one(ChapterView)
    return view.get_component_rich_style(f"chapter-view--highlight-{colour}").bgcolor


def label_of(app: VerselightApp, *names: str) -> str:
    node = app.screen.query_one(Navigator).root
    for name in names:
        for testament_or_child in node.children:
            if str(testament_or_child.label).startswith(name):
                node = testament_or_child
                break
        else:
            for testament in node.children:
                for child in testament.children:
                    if str(child.label).startswith(name):
                        node = child
                        break
    return str(node.label)


async def test_bookmark_highlight_and_note_show_in_text_strip_and_navigator(
    app_factory: Callable[..., VerselightApp], config: Config, known_session: Callable[..., Ledger]
) -> None:
    app = app_factory("John 3:16")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        assert line(app, 16).text.startswith("16 For God")
        await pilot.press("m")
        await pilot.press("y", "y")  # yellow, then green
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen), "the note editor")
        await pilot.press(*"Whosoever", "enter", *"believeth")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen), "the reader")
        await settle(pilot)

        assert "Note on John 3:16 saved." in toasts(app)
        assert "John 3:16 highlighted green." in toasts(app)
        verse = line(app, 16)
        assert verse.text.startswith(f"16 {BOOKMARK}{NOTE} For God")
        # Green, and it stays green while it is the current verse (bold, with its bar).
        assert verse.current and verse.gutter == CURRENT_BAR and verse.style.bold
        assert verse.marks.colour == "green"
        assert verse.style.bgcolor == highlight_of(app, "green") != highlight_of(app, "yellow")
        assert line(app, 15).style.bgcolor != highlight_of(app, "green")
        assert app.screen.query_one(VerseStrip).user_marked == {16}
        assert label_of(app, "John").endswith(USER_MARK)
        assert not label_of(app, "Genesis").endswith(USER_MARK)
        assert label_of(app, "John", "Chapter 3").endswith(USER_MARK)
        assert not label_of(app, "John", "Chapter 4").endswith(USER_MARK)

        await pilot.press("m")  # off again, in the text too
        await settle(pilot)
        assert line(app, 16).text.startswith(f"16 {NOTE} For God")
    marks = saved_marks(config)
    assert marks.in_chapter(43, 3) == {16: VerseMarks(bookmark=False, colour="green", note=True)}
    assert marks.note(JOHN_3_16) == "Whosoever\nbelieveth"


async def test_an_emptied_note_is_kept_until_saved_then_deleted(
    app_factory: Callable[..., VerselightApp], config: Config, known_session: Callable[..., Ledger]
) -> None:
    saved_marks(config).set_note(JOHN_3_16, "KJV", "first thoughts")
    app = app_factory("John 3:16")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen), "the note editor")
        editor = app.screen
        assert isinstance(editor, NoteScreen) and editor.text == "first thoughts"
        await pilot.press("ctrl+u")  # the whole line: the note is empty now
        await pilot.press("escape")  # unsaved changes: asked once more
        assert isinstance(app.screen, NoteScreen)
        assert "Esc again to discard" in str(app.screen.query_one("#keys").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen), "the reader")
        assert saved_marks(config).note(JOHN_3_16) == "first thoughts"

        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen), "the note editor")
        await pilot.press("ctrl+u", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen), "the reader")
        await settle(pilot)
        assert "Note on John 3:16 deleted." in toasts(app)
        assert not line(app, 16).text.startswith(f"16 {NOTE}")
    assert saved_marks(config).note(JOHN_3_16) is None


async def test_the_list_shows_each_kind_and_enter_goes_there(
    app_factory: Callable[..., VerselightApp], config: Config, known_session: Callable[..., Ledger]
) -> None:
    clock = ManualClock(SNAPSHOT_TIME)
    marks = Marks(UserData(connect(config.paths.user_db), KNOWN_SID), clock)
    marks.toggle_bookmark(VerseRef(19, 23, 1), "KJV")
    clock.advance(days=1)
    marks.set_note(VerseRef(45, 8, 28), "KJV", "all things")
    app = app_factory("John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("M")
        await wait_for(pilot, lambda: isinstance(app.screen, MarksListScreen), "the list")
        await settle(pilot)
        table = app.screen.query_one("#mark-list", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[:2] for r in rows] == [
            [f"{BOOKMARK} Bookmark", "Ps 23:1"],
            [f"{NOTE} Note", "Rom 8:28"],
        ]
        assert rows[0][2] == "2026-11-25" and rows[1][2:] == ["2026-11-26", "all things"]
        await pilot.press("o")  # newest first: the note made a day later, then the bookmark
        await settle(pilot)
        assert [str(table.get_row_at(i)[1]) for i in range(2)] == ["Rom 8:28", "Ps 23:1"]
        assert "newest first" in str(app.screen.query_one("#summary").render())
        await pilot.press("o")  # Bible order again
        await settle(pilot)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen), "the reader")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen) and reader.ref == VerseRef(45, 8, 28)
        assert line(app, 28).text.startswith(f"28 {NOTE} And we know")


async def test_a_damaged_user_database_is_one_sentence_and_reading_goes_on(
    app_factory: Callable[..., VerselightApp], config: Config, known_session: Callable[..., Ledger]
) -> None:
    path = config.paths.user_db
    path.write_bytes(b"this is no database " * 400)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    app = app_factory("John 3:16")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        (damaged,) = [t for t in toasts(app) if "notes and marks" in t]
        assert "damaged" in damaged and "left untouched" in damaged and "\n" not in damaged
        await pilot.press("j", "m", "y", "a")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen) and app.screen.ref == VerseRef(43, 3, 17)
        assert "Bookmarks, highlights and notes cannot be used in this run." in toasts(app)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
