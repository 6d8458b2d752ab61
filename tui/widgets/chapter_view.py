"""The chapter's text, one widget per verse, the current verse highlighted and kept in view.

Moving within a chapter only swaps a class on two widgets and scrolls, so a key press costs a
few milliseconds however long the chapter; a new chapter rebuilds the verse widgets once.
"""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Static

from core.bible.library import Verse
from core.bible.references import VerseRef
from tui.widgets.verse_line import VerseLine

LAYOUT_TRIES = 20
"""Refreshes to wait for a new chapter's layout before scrolling to the current verse."""


class ChapterView(VerticalScroll, can_focus=False):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: dict[int, VerseLine] = {}
        self._chapter: tuple[str, int, int] | None = None
        self._current: VerseLine | None = None
        self._laid_out = False
        """False until a new chapter's verses have been through layout once."""

    def shows(self, translation: str, ref: VerseRef) -> bool:
        return self._chapter == (translation, ref.book, ref.chapter)

    async def show_chapter(self, translation: str, verses: list[Verse]) -> None:
        """Replace the text with a chapter (``verses`` in order, all from one chapter)."""
        await self.remove_children()
        self._lines = {v.ref.verse: VerseLine(v) for v in verses}
        self._current = None
        self._laid_out = False
        first = verses[0].ref if verses else None
        self._chapter = (translation, first.book, first.chapter) if first else None
        title = f"{first.book_info.name} {first.chapter}" if first else ""
        await self.mount_all([Static(title, classes="chapter-title"), *self._lines.values()])
        self.scroll_home(animate=False)

    def highlight(self, verse: int) -> None:
        line = self._lines.get(verse)
        if line is self._current:
            return
        if self._current is not None:
            self._current.set_current(False)
        self._current = line
        if line is None:
            return
        line.set_current(True)
        if self._laid_out:
            # Highlighting does not change a verse's height, so its place is already known:
            # scroll in this same frame rather than costing a second one.
            self.scroll_to_widget(line, animate=False, top=False, immediate=True)
        else:
            self.call_after_refresh(self._keep_in_view, line)

    def _keep_in_view(self, line: VerseLine, tries: int = LAYOUT_TRIES) -> None:
        if line is not self._current:
            return
        if line.virtual_region.height == 0 and tries > 0:
            # Not laid out yet: the palette delays screen updates as it closes, so the
            # refresh after mounting a new chapter can come before its layout.
            self.call_after_refresh(self._keep_in_view, line, tries - 1)
            return
        self._laid_out = True
        self.scroll_to_widget(line, animate=False, top=False, immediate=True)
