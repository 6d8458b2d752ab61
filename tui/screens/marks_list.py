"""Every bookmark, highlight and note of the session, each marked as which, in Bible order or
newest first; Enter goes to one (through the reader's ``go_to``, like every other way of moving)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from core.bible.references import VerseRef
from core.marks import Mark, Marks, MarksError, label
from tui.screens.quiet_repaints import QuietRepaints
from tui.widgets.verse_line import BOOKMARK, NOTE

GLYPHS = {"bookmark": BOOKMARK, "note": NOTE, "highlight": "\u2588"}
NOTE_WIDTH = 18
"""Characters of a note's first line in the list: the row fits an 80-column terminal."""
EMPTY = "No notes, bookmarks or highlights yet: on a verse press m, y or a."


class MarksListScreen(QuietRepaints, ModalScreen[VerseRef | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape,q,M", "dismiss(None)", "Close"),
        Binding("o", "toggle_order", "Order"),
    ]

    def __init__(self, marks: Marks) -> None:
        super().__init__()
        self.marks = marks
        self.newest_first = False
        self._refs: list[VerseRef] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="marks") as box:
            box.border_title = "Notes, bookmarks and highlights"
            yield Static("", id="summary")
            yield DataTable(id="mark-list", cursor_type="row", zebra_stripes=True)
            yield Label("[b]Enter[/b] go there  [b]o[/b] order  [b]Esc[/b] close", id="keys")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("What", "Verse", "Saved", "Note or colour")
        self._fill()
        table.focus()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        summary = self.query_one("#summary", Static)
        try:
            found = self.marks.all(newest_first=self.newest_first)
        except MarksError as exc:
            summary.update(str(exc))
            table.display = False
            return
        self._refs = [m.ref for m in found]
        for mark in found:
            table.add_row(*_row(mark))
        table.display = bool(found)
        order = "newest first" if self.newest_first else "in Bible order"
        summary.update(f"{len(found)} in all, {order}." if found else EMPTY)

    def action_toggle_order(self) -> None:
        self.newest_first = not self.newest_first
        self._fill()

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(self._refs[event.cursor_row])


def _row(mark: Mark) -> tuple[Text, str, str, Text]:
    what = Text(f"{GLYPHS[mark.kind]} {label(mark).split(' ')[0]}")
    if mark.kind == "note" and mark.note:
        lines = mark.note.strip().split("\n")
        cut = len(lines) > 1 or len(lines[0]) > NOTE_WIDTH
        detail = Text(lines[0][:NOTE_WIDTH] + ("\u2026" if cut else ""))
    else:
        detail = Text(mark.colour or "")
    return what, mark.ref.short, f"{mark.saved_at:%Y-%m-%d}", detail
