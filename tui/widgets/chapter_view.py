"""The chapter's text, one widget per verse, the current verse highlighted and kept in view.

Moving within a chapter only swaps a class on two widgets and scrolls, so a key press costs a
few milliseconds however long the chapter; a new chapter rebuilds the verse widgets once. Only
the verses up to a screenful past the current one are mounted before the next frame; the rest
follow just after it (laying out the 31 verses of Genesis 1 cost the first frame 20-30 ms more
than the screenful it shows).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.containers import VerticalScroll
from textual.widgets import Static

from core.bible.library import Verse
from core.bible.references import VerseRef
from core.marks import VerseMarks
from tui.widgets.verse_line import NO_MARKS, VerseLine

if TYPE_CHECKING:
    from tui.widgets.verse_pair import Beside

LAYOUT_WAIT = 1.0
"""Seconds to wait for a new chapter's layout before giving up scrolling to the verse: the
command palette holds screen updates back for a while as it closes."""
LAYOUT_POLL = 0.01
"""How often to look while waiting (a timer, so waiting costs no CPU)."""


@dataclass(frozen=True, slots=True)
class Partner:
    """The translation shown beside the one being read, and its text of the chapter."""

    id: str
    name: str
    verses: list[Verse]
    left_name: str
    """The name of the translation being read, for the head of its column."""


class ChapterView(VerticalScroll, can_focus=False):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: dict[int, VerseLine] = {}
        self._chapter: tuple[str, str | None, int, int] | None = None
        self._current: VerseLine | None = None
        self._laid_out = False
        """False until a new chapter's verses have been through layout once."""
        self._layout_seen = False
        """Whether the screen was laid out since the chapter changed: until then the lines
        shown again keep the places they had in the last chapter."""
        self._wait_until = 0.0
        self._later: list[VerseLine] = []
        """The chapter's verses still to mount, below those on screen."""
        self._pool: list[VerseLine] = []
        """Every line mounted (or about to be), in order: the next chapter shows its verses
        in them, hiding those it does not need."""
        self._beside: str | None = None
        """The translation the lines show beside the first (None: lines of one)."""
        self._title: Static | None = None
        self._heads: Static | None = None

    def shows(self, translation: str, ref: VerseRef, beside: str | None = None) -> bool:
        return self._chapter == (translation, beside, ref.book, ref.chapter)

    async def show_chapter(
        self,
        translation: str,
        verses: list[Verse],
        marks: Mapping[int, VerseMarks] | None = None,
        partner: Partner | None = None,
        verse: int = 1,
    ) -> None:
        """Replace the text with a chapter (``verses`` in order, all from one chapter), to be
        read from ``verse``, with the reader's ``marks`` by verse number, and ``partner``'s
        text of it beside it, verse by verse."""
        marks = marks or {}
        first = verses[0].ref if verses else None
        beside = partner.id if partner else None
        self._chapter = (translation, beside, first.book, first.chapter) if first else None
        title = f"{first.book_info.name} {first.chapter}" if first else ""
        if self._current is not None:
            self._current.set_current(False)
        self._current = None
        self._laid_out = self._layout_seen = False
        if self._pool and (beside is None) == (self._beside is None):
            await self._reuse(title, verses, marks, partner, verse)
        else:
            await self._rebuild(title, verses, marks, partner, verse)
        self._beside = beside
        self.scroll_home(animate=False)

    async def _rebuild(
        self,
        title: str,
        verses: list[Verse],
        marks: Mapping[int, VerseMarks],
        partner: Partner | None,
        verse: int,
    ) -> None:
        """New lines for the chapter (the first, or one or two translations from now on)."""
        await self.remove_children()
        self._title = Static(title, classes="chapter-title")
        self._heads = None
        if partner is None:
            self._lines = {
                v.ref.verse: VerseLine(v, marks.get(v.ref.verse, NO_MARKS)) for v in verses
            }
        else:
            from core.bible.compare import align
            from tui.widgets.verse_pair import VersePair

            self._lines = {
                p.ref.verse: VersePair(p, partner.id, marks.get(p.ref.verse, NO_MARKS))
                for p in align(verses, partner.verses)
            }
            self._heads = Static(self._column_heads(partner), classes="column-heads")
        self._pool = list(self._lines.values())
        head, self._later = self._screenful(self._pool, verse)
        heads = [self._heads] if self._heads is not None else []
        await self.mount_all([self._title, *heads, *head])
        if self._later:
            self.call_after_refresh(self._mount_later, self._later)

    def _screenful(
        self, lines: list[VerseLine], verse: int
    ) -> tuple[list[VerseLine], list[VerseLine]]:
        """``lines`` split into those a screen read from ``verse`` can show, to mount before
        the next frame, and the rest, to mount after it."""
        # A verse takes two rows at least (its text and a margin): half the screen's rows
        # past ``verse`` fill whatever the scroll puts on screen.
        last = verse + self.app.size.height // 2 + 1
        return (
            [line for line in lines if line.verse.ref.verse <= last],
            [line for line in lines if line.verse.ref.verse > last],
        )

    async def _reuse(
        self,
        title: str,
        verses: list[Verse],
        marks: Mapping[int, VerseMarks],
        partner: Partner | None,
        verse: int,
    ) -> None:
        """Show the chapter in the lines already mounted, mounting only the lines a longer
        chapter needs and hiding those a shorter one does not: a new chapter then costs a
        layout and the frame, not tearing down and building dozens of widgets."""
        if self._later:  # the last chapter's rest, not mounted yet
            self._mount_later(self._later)
        assert self._title is not None
        self._title.update(title)
        pool = self._pool
        self._lines = {}
        if partner is None:
            for line, v in zip(pool, verses, strict=False):
                line.show(v, marks.get(v.ref.verse, NO_MARKS))
                self._lines[v.ref.verse] = line
            more = [VerseLine(v, marks.get(v.ref.verse, NO_MARKS)) for v in verses[len(pool) :]]
            count = len(verses)
        else:
            from core.bible.compare import align
            from tui.widgets.verse_pair import VersePair

            assert self._heads is not None
            self._heads.update(self._column_heads(partner))
            pairs = align(verses, partner.verses)
            for line, p in zip(pool, pairs, strict=False):
                assert isinstance(line, VersePair)
                line.show_pair(p, marks.get(p.ref.verse, NO_MARKS))
                self._lines[p.ref.verse] = line
            more = [
                VersePair(p, partner.id, marks.get(p.ref.verse, NO_MARKS))
                for p in pairs[len(pool) :]
            ]
            count = len(pairs)
        for i, line in enumerate(pool):
            line.display = i < count
        for line in more:
            self._lines[line.verse.ref.verse] = line
        pool.extend(more)
        now, self._later = self._screenful(more, verse)
        if now:
            await self.mount_all(now)
        if self._later:
            self.call_after_refresh(self._mount_later, self._later)

    @staticmethod
    def _column_heads(partner: Partner) -> Beside:
        from tui.widgets.verse_pair import column_heads

        return column_heads(partner.left_name, partner.id, partner.name, bool(partner.verses))

    def on_mount(self) -> None:
        self.screen.screen_layout_refresh_signal.subscribe(self, self._screen_laid_out, True)

    def _screen_laid_out(self, _: object) -> None:
        self._layout_seen = True

    def _mount_later(self, lines: list[VerseLine]) -> None:
        """Mount the rest of the chapter (unless another chapter came since)."""
        if lines is self._later:
            self._later = []
            self.mount_all(lines)

    def set_marks(self, marks: Mapping[int, VerseMarks]) -> None:
        """The reader's marks changed (one verse, usually): show them as they are now."""
        for number, line in self._lines.items():
            line.set_marks(marks.get(number, NO_MARKS))

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
        if line in self._later:  # a key got here before the rest of the chapter
            self._mount_later(self._later)
        if self._laid_out and line.virtual_region.height:
            # Highlighting does not change a verse's height, so its place is already known:
            # scroll in this same frame rather than costing a second one.
            self._turn_page_to(line)
        else:
            self._wait_until = time.monotonic() + LAYOUT_WAIT
            self.call_after_refresh(self._keep_in_view, line)

    def _turn_page_to(self, line: VerseLine) -> None:
        """Bring ``line`` into view the way a page turns: reading on past the bottom puts the
        verse at the top, with the screenful after it to read on; back past the top puts it
        at the bottom. The text stands still while the verse moves down the page (a scroll
        repaints the whole view, and text that shifts under every key press is hard to read)."""
        if self._in_view(line):
            return
        where = line.virtual_region
        if where.y > self.scroll_offset.y:
            self.scroll_to_widget(line, animate=False, top=True, immediate=True)
            return
        # Its bottom (and the margin under it) at the bottom of the view; its top when it is
        # taller than the view.
        height = self.scrollable_content_region.height
        self.scroll_to(
            y=max(0, min(where.y, where.bottom + 1 - height)), animate=False, immediate=True
        )

    def on_resize(self) -> None:
        # A new width rewraps every verse (and puts two translations in columns or stacks
        # them), which moves the current verse: bring it back into view once laid out.
        if self._current is not None:
            self._wait_until = time.monotonic() + LAYOUT_WAIT
            self.call_after_refresh(self._keep_in_view, self._current)

    def _keep_in_view(self, line: VerseLine) -> None:
        if line is not self._current:
            return
        waiting = time.monotonic() < self._wait_until
        if (not self._layout_seen or line.virtual_region.height == 0) and waiting:
            # Not laid out yet: the palette delays screen updates as it closes, so the
            # refresh after mounting a new chapter can come well before its layout.
            self.set_timer(LAYOUT_POLL, lambda: self._keep_in_view(line))
            return
        self._laid_out = True
        self.scroll_to_widget(line, animate=False, top=False, immediate=True)
        if waiting and not self._in_view(line):
            # The scroll range can lag the layout by a refresh, clamping the scroll short of
            # the verse: look again.
            self.set_timer(LAYOUT_POLL, lambda: self._keep_in_view(line))

    def _in_view(self, line: VerseLine) -> bool:
        top, height = self.scroll_offset.y, self.scrollable_content_region.height
        where = line.virtual_region
        return top <= where.y and where.bottom <= top + height
