"""The chapter's text as one widget that paints only the lines on screen (Textual's line API).

A new chapter is wrapped once for the view's width into strips (title, column heads, each
verse's lines and the blank line after it) and every frame paints only the visible ones from
them. One widget per verse, as before, cost Textual a layout of 30-50 widgets and a second
frame from their resize events on every chapter change (40-65 ms of CPU); a key press within
the chapter repaints just the lines of the two verses it changes.

Only the verses a frame shows are wrapped before it: the others' heights are counted (which
is all the scroll range needs, at a twentieth of the cost) and they are wrapped just after the
chapter's first frame, so a new chapter paints after wrapping a screenful, not all of it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import RenderOptions, visualize

from core.bible.library import Verse
from core.bible.references import VerseRef
from core.marks import COLOURS, VerseMarks
from tui.widgets.verse_line import NO_MARKS, verse_plain, verse_text
from tui.widgets.wrap_height import wrapped_height

if TYPE_CHECKING:
    from core.bible.compare import Pair
    from tui.widgets.verse_pair import Beside

CURRENT_BAR = "\u258c"
"""The left gutter of the current verse (the left edge of Textual's ``outer`` border)."""
MARGIN = 1
"""Blank lines after each verse."""


@dataclass(frozen=True, slots=True)
class Partner:
    """The translation shown beside the one being read, and its text of the chapter."""

    id: str
    name: str
    verses: list[Verse]
    left_name: str
    """The name of the translation being read, for the head of its column."""


@dataclass(frozen=True, slots=True)
class ShownVerse:
    """A verse as the view shows it, for tests and anything that asks where a verse is."""

    verse: Verse
    """The first translation's verse (blank where a pair's first translation lacks it)."""
    pair: Pair | None
    marks: VerseMarks
    current: bool
    virtual_region: Region
    """Its lines (not the blank one after them) among the view's lines."""
    region: Region
    """Those lines on the screen; empty when none of them is in the visible part."""
    text: str
    """What its lines say, joined by spaces."""
    style: Style
    """The style its text is painted on (colours, bold)."""
    gutter: str
    """The cell left of its text: a bar on the current verse."""


@dataclass(slots=True)
class _Row:
    verse: Verse
    pair: Pair | None
    marks: VerseMarks
    height: int = 0
    """How many lines it takes at the text's width."""
    lines: list[Strip] | None = None
    """The verse wrapped to the text's width, padded, without the row's colours; None until
    it is first painted or the rest of the chapter is wrapped."""
    content: Text | Beside | None = None
    """What it says, with its marks and styles (built when it is first wrapped)."""


@dataclass
class Prepared:
    """A chapter made ready before it is asked for (``ChapterView.prepare``): its rows and
    each row's height at the width the view had then."""

    key: tuple[str, str | None, int, int]
    verses: list[Verse]
    partner: Partner | None
    marks: Mapping[int, VerseMarks]
    rows: list[_Row]
    width: int
    """The view's text width the heights were counted for."""


class ChapterView(ScrollView, can_focus=False):
    class Settled(Message):
        """A new chapter's first frame is painted and the rest of it wrapped: the time to
        get ready for the next key."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "chapter-view--title",
        "chapter-view--heads",
        "chapter-view--current",
        "chapter-view--bar",
        *(f"chapter-view--highlight-{colour}" for colour in COLOURS),
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._chapter: tuple[str, str | None, int, int] | None = None
        self._title = ""
        self._partner: Partner | None = None
        self._heads: Beside | None = None
        self._rows: list[_Row] = []
        self._index: dict[int, int] = {}
        """Row of each verse number."""
        self._current: int | None = None
        """The current verse's row."""
        self._width = 0
        """The width the chapter is wrapped for (0: not yet)."""
        self._head: list[tuple[Strip, str | None]] = []
        """The lines above the first verse, each with its component class."""
        self._starts: list[int] = []
        """The first line of each row."""
        self._painted: dict[int, Strip] = {}
        """Lines painted since the text or its look last changed, by line."""
        self._looks: dict[tuple[str | None, bool], tuple[Style, Segment]] = {}
        """Each verse look (highlight colour, current) worked out since the styles changed."""
        self._base: Style | None = None
        """The view's own style, since the styles changed (it walks the ancestors)."""
        self._counted = False
        """Some verses are counted, not wrapped: wrap them once a frame has been painted."""
        self._fresh = False
        """A new chapter: its verse is scrolled into view from the top, not paged to."""
        self._jumped = False
        """The current verse came with a new chapter and the reader has not moved since: a
        resize (the navigator going as side by side comes on) places it from the top again,
        as the new chapter did, not from where the text had been scrolled to."""

    # the reader's API ----------------------------------------------------------------------

    def shows(self, translation: str, ref: VerseRef, beside: str | None = None) -> bool:
        return self._chapter == (translation, beside, ref.book, ref.chapter)

    def prepare(
        self,
        translation: str,
        verses: list[Verse],
        marks: Mapping[int, VerseMarks] | None = None,
        partner: Partner | None = None,
    ) -> Prepared | None:
        """The chapter ``show_chapter`` would show, with its verses aligned and counted at the
        view's width now: the reader prepares the next chapter while nobody is pressing a key,
        and showing it then costs only the painting. None before the view has a width."""
        if not verses or self._full_width() <= 0:
            return None
        marks = marks or {}
        width = self._prepared_width()
        rows = self._new_rows(verses, marks, partner)
        for row in rows:
            self._measure(row, width, partner)
        first = verses[0].ref
        key = (translation, partner.id if partner else None, first.book, first.chapter)
        return Prepared(key, verses, partner, marks, rows, width)

    def fits(self, prepared: Prepared) -> bool:
        """Whether ``prepared`` was counted for the view's width now."""
        return prepared.width == self._prepared_width()

    def _prepared_width(self) -> int:
        return self._text_width(max(1, self._full_width() - self._bar_width()))

    async def show_chapter(
        self,
        translation: str,
        verses: list[Verse],
        marks: Mapping[int, VerseMarks] | None = None,
        partner: Partner | None = None,
        verse: int = 1,
        prepared: Prepared | None = None,
    ) -> None:
        """Replace the text with a chapter (``verses`` in order, all from one chapter), to be
        read from ``verse``, with the reader's ``marks`` by verse number, and ``partner``'s
        text of it beside it, verse by verse. ``prepared`` (from ``prepare``) is used when
        it is this chapter, with these marks, at this width."""
        marks = marks or {}
        first = verses[0].ref if verses else None
        beside = partner.id if partner else None
        self._chapter = (translation, beside, first.book, first.chapter) if first else None
        self._title = f"{first.book_info.name} {first.chapter}" if first else ""
        self._partner = partner
        self._heads = None
        if partner is not None:
            from tui.widgets.verse_pair import column_heads

            self._heads = column_heads(
                partner.left_name, partner.id, partner.name, bool(partner.verses)
            )
        counted = (
            prepared is not None
            and prepared.key == self._chapter
            and prepared.verses == verses
            and prepared.partner == partner
            and prepared.marks == marks
        )
        self._rows = (
            prepared.rows if prepared and counted else self._new_rows(verses, marks, partner)
        )
        self._index = {row.verse.ref.verse: i for i, row in enumerate(self._rows)}
        self._current = None
        self._fresh = self._jumped = True
        self._wrap(counted=prepared.width if prepared and counted else None)
        self.scroll_to(y=0, animate=False, immediate=True, force=True)
        self.refresh()

    @staticmethod
    def _new_rows(
        verses: list[Verse], marks: Mapping[int, VerseMarks], partner: Partner | None
    ) -> list[_Row]:
        if partner is None:
            return [_Row(v, None, marks.get(v.ref.verse, NO_MARKS)) for v in verses]
        from core.bible.compare import align

        return [
            _Row(p.left or Verse(p.ref, ""), p, marks.get(p.ref.verse, NO_MARKS))
            for p in align(verses, partner.verses)
        ]

    def set_marks(self, marks: Mapping[int, VerseMarks]) -> None:
        """The reader's marks changed (one verse, usually): show them as they are now."""
        changed = False
        for row in self._rows:
            now = marks.get(row.verse.ref.verse, NO_MARKS)
            if now != row.marks:
                row.marks = now
                row.content = row.lines = None
                if self._width:
                    self._measure(row, self._text_width(self._width), self._partner)
                changed = True
        if changed:
            self._counted = True
            self._place()
            self.refresh()

    def highlight(self, verse: int) -> None:
        row = self._index.get(verse)
        if row == self._current:
            return
        old, self._current = self._current, row
        for changed in (old, row):
            if changed is not None and self._width:
                start, height = self._starts[changed], self._rows[changed].height
                for y in range(start, start + height):
                    self._painted.pop(y, None)
                self.refresh_lines(start, height)
        if row is None or not self._width:
            return  # in view once the view has a size (on_resize)
        if self._fresh:
            self._fresh = False
            self._scroll_into_view(row)
        else:
            self._jumped = False
            self._turn_page_to(row)

    # what tests (and anything else) can read ------------------------------------------------

    def lines(self) -> list[ShownVerse]:
        """Every verse of the chapter as shown, in order."""
        return [self._shown(i) for i in range(len(self._rows))]

    def current_line(self) -> ShownVerse | None:
        return None if self._current is None else self._shown(self._current)

    def _shown(self, i: int) -> ShownVerse:
        row = self._rows[i]
        where = self._virtual_region(i) if self._width else Region()
        visible = self.scrollable_content_region
        on_screen = where.translate(visible.offset - self.scroll_offset)
        if not on_screen.overlaps(visible):
            on_screen = Region()
        current = i == self._current
        style, gutter = self._row_look(row, current)
        return ShownVerse(
            row.verse,
            row.pair,
            row.marks,
            current,
            where,
            on_screen,
            " ".join(" ".join(line.text.split()) for line in self._lines(i)) if self._width else "",
            style,
            gutter.text,
        )

    # layout ---------------------------------------------------------------------------------

    def _full_width(self) -> int:
        """The width of the text without a scroll bar (``size`` is inside the padding)."""
        return self.size.width

    def _view_height(self) -> int:
        return self.scrollable_content_region.height

    @staticmethod
    def _text_width(width: int) -> int:
        """A verse's text leaves a cell for its gutter and one at its right."""
        return max(1, width - 2)

    def _bar_width(self) -> int:
        """The cells a scroll bar takes when the chapter does not fit."""
        return self.styles.scrollbar_size_vertical if self.styles.overflow_y == "auto" else 0

    def _wrap(self, counted: int | None = None) -> None:
        """Wrap the chapter for the view's width: for the width left by a scroll bar, and
        again for the full width when it all fits without one. ``counted``: the text width
        the rows' heights were already counted for (a prepared chapter)."""
        full = self._full_width()
        if full <= 0:
            self._width = 0
            self._painted.clear()
            return
        height = self.size.height
        bar = self._bar_width()
        self._wrap_for(max(1, full - bar), counted)
        if bar and self._starts and self._total() <= height:
            self._wrap_for(full)

    def _wrap_for(self, width: int, counted: int | None = None) -> None:
        self._width = width
        text_width = self._text_width(width)
        head: list[tuple[Strip, str | None]] = []
        blank = Strip.blank(width)
        # The title, with a cell and a line of padding all round.
        head.append((blank, None))
        for strip in self._strips(Text(self._title), text_width):
            head.append((Strip.join([Strip.blank(1), strip, Strip.blank(1)]), "title"))
        head.append((blank, None))
        if self._heads is not None:
            for strip in self._strips(self._heads, text_width):
                head.append((Strip.join([Strip.blank(1), strip, Strip.blank(1)]), "heads"))
            head.append((blank, None))
        self._head = head
        if counted != text_width:
            for row in self._rows:
                row.lines = None
                self._measure(row, text_width, self._partner)
        self._counted = True
        self._place()

    def _measure(self, row: _Row, width: int, partner: Partner | None) -> None:
        """Count the lines ``row`` takes at ``width`` from its words (building its text and
        wrapping it only when counting cannot tell)."""
        if row.pair is None:
            height = wrapped_height(verse_plain(row.verse, row.marks), width)
        else:
            from tui.widgets.verse_pair import pair_height

            pair = row.pair
            left = verse_plain(pair.left, row.marks) if pair.left else ""
            right = verse_plain(pair.right) if pair.right else ""
            assert partner is not None
            height = pair_height(left, right, partner.id, width)
        if height is None:
            row.lines = self._strips(self._content(row, partner), width)
            height = len(row.lines)
        row.height = max(height, 1)

    def _lines(self, i: int) -> list[Strip]:
        """Row ``i``'s lines, wrapped now if they were only counted so far."""
        row = self._rows[i]
        if row.lines is None:
            row.lines = self._strips(
                self._content(row, self._partner), self._text_width(self._width)
            )
            if len(row.lines) != row.height:
                # Counted wrong (never seen): the wrapped lines are what shows.
                row.height = len(row.lines)
                self._place()
                self.refresh()
        return row.lines

    def _wrap_rest(self) -> None:
        """Wrap the verses the last frame did not show, so that scrolling and paging through
        the chapter paint from wrapped lines as before."""
        if self._width and not self._counted:
            for i in range(len(self._rows)):
                self._lines(i)
            self.post_message(self.Settled())

    def _content(self, row: _Row, partner: Partner | None) -> Text | Beside:
        if row.content is None:
            row.content = self._build(row, partner)
        return row.content

    @staticmethod
    def _build(row: _Row, partner: Partner | None) -> Text | Beside:
        if row.pair is None:
            return verse_text(row.verse, row.marks)
        from tui.widgets.verse_pair import Beside

        # The reader's marks belong to the verse: they show on the first translation's side.
        pair = row.pair
        left = verse_text(pair.left, row.marks) if pair.left else Text()
        right = verse_text(pair.right) if pair.right else Text()
        assert partner is not None
        return Beside(left, right, partner.id)

    def _strips(self, content: Text | Beside, width: int) -> list[Strip]:
        """``content`` wrapped to ``width`` (a text as Textual wraps a ``Static``'s), padded."""
        if isinstance(content, Text):
            # What ``Visual.to_strips`` does for a ``Static``, less its look-ups for text
            # selection, links and alignment, none of which the chapter has (a third of the
            # time it took).
            visual = visualize(self, content, markup=False)
            # The styles are the rules a Visual reads, as ``to_strips`` passes them.
            options = RenderOptions(self._get_style, self.styles)  # type: ignore[arg-type]
            strips = [
                strip.extend_cell_length(width)
                for strip in visual.render_strips(width, None, VisualStyle(), options)
            ]
        else:
            strips = [Strip(line, width) for line in content.lines(self.app.console, width)]
        return strips or [Strip.blank(width)]

    def _place(self) -> None:
        """Where each verse starts, and the view's height, from the wrapped lines."""
        y = len(self._head)
        starts = []
        for row in self._rows:
            starts.append(y)
            y += row.height + MARGIN
        self._starts = starts
        self._painted.clear()
        size = Size(self._width, y)
        if size != self.virtual_size:
            # Setting ``virtual_size`` asks for a layout of the whole screen (10-15 ms of a
            # chapter change); the view's own size does not change with its text, so only its
            # scroll range and bar are brought up to date.
            self.set_reactive(ChapterView.virtual_size, size)
            self._scroll_update(size)

    def _total(self) -> int:
        return self.virtual_size.height

    def _virtual_region(self, i: int) -> Region:
        return Region(0, self._starts[i], self._width, self._rows[i].height)

    # painting -------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._painted.clear()
        self._looks.clear()
        self._base = None

    def _base_style(self) -> Style:
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)
        if self._counted:
            # After this frame is on the screen (Textual paints a frame in one go).
            self._counted = False
            self.call_later(self._wrap_rest)
        return lines

    def render_line(self, y: int) -> Strip:
        line = y + self.scroll_offset.y
        strip = self._painted.get(line)
        if strip is None:
            strip = self._paint(line)
            self._painted[line] = strip
        return strip

    def _paint(self, line: int) -> Strip:
        base = self._base_style()
        width = self._width or self._full_width()
        if not self._width or line >= self._total():
            return Strip.blank(width, base)
        if line < len(self._head):
            strip, look = self._head[line]
            if look is not None:
                base = self.get_component_rich_style(f"chapter-view--{look}")
            return strip.apply_style(base)
        i = bisect_right(self._starts, line) - 1
        row = self._rows[i]
        k = line - self._starts[i]
        lines = self._lines(i) if k < row.height else []
        if k >= len(lines):
            return Strip.blank(width, base)
        style, gutter = self._row_look(row, i == self._current)
        # The gutter, the text in the row's style and a cell after it, as one strip (joining
        # three made four: a Strip is costly to make, and a frame paints dozens of lines).
        text = lines[k]
        segments = [gutter, *Segment.apply_style(text, style), Segment(" ", style)]
        return Strip(segments, text.cell_length + 2)

    def _row_look(self, row: _Row, current: bool) -> tuple[Style, Segment]:
        """The style of a verse's text and its gutter cell: the current verse is bold on the
        accent with a bar at its left, keeping its highlight's colour when it has one."""
        key = (row.marks.colour, current)
        look = self._looks.get(key)
        if look is None:
            look = self._looks[key] = self._work_out_look(row.marks.colour, current)
        return look

    def _work_out_look(self, colour: str | None, current: bool) -> tuple[Style, Segment]:
        style = self._base_style()
        if colour in COLOURS:
            style = self.get_component_rich_style(f"chapter-view--highlight-{colour}")
        if not current:
            return style, Segment(" ", style)
        look = self.get_component_rich_style("chapter-view--current")
        if colour in COLOURS:
            look += Style(bgcolor=style.bgcolor)
        bar = self.get_component_rich_style("chapter-view--bar")
        return look, Segment(CURRENT_BAR, Style(color=bar.color, bgcolor=look.bgcolor))

    # scrolling ------------------------------------------------------------------------------

    def _in_view(self, i: int) -> bool:
        top, height = self.scroll_offset.y, self._view_height()
        where = self._virtual_region(i)
        return top <= where.y and where.bottom <= top + height

    def _turn_page_to(self, i: int) -> None:
        """Bring verse row ``i`` into view the way a page turns: reading on past the bottom
        puts the verse at the top, with the screenful after it to read on; back past the top
        puts it at the bottom. The text stands still while the verse moves down the page (a
        scroll repaints the whole view, and text that shifts under every key press is hard to
        read)."""
        if self._in_view(i):
            return
        where = self._virtual_region(i)
        if where.y > self.scroll_offset.y:
            y = where.y
        else:
            # Its bottom (and the margin under it) at the bottom of the view; its top when it
            # is taller than the view.
            y = max(0, min(where.y, where.bottom + MARGIN - self._view_height()))
        self.scroll_to(y=y, animate=False, immediate=True, force=True)

    def _scroll_into_view(self, i: int) -> None:
        """Scroll as little as brings verse row ``i`` and the blank line under it into view
        (its top when it is taller than the view)."""
        if self._in_view(i):
            return
        where = self._virtual_region(i)
        height = self._view_height()
        if where.y < self.scroll_offset.y or where.height + MARGIN > height:
            y = where.y
        else:
            y = where.bottom + MARGIN - height
        self.scroll_to(y=y, animate=False, immediate=True, force=True)

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        # A chapter scrolled to its verse before its first layout scrolls with no bar shown
        # yet, so the bar, appearing, would not know where the text is.
        if shown:
            self.vertical_scrollbar.position = self.scroll_y

    def on_resize(self) -> None:
        # A new width rewraps every verse (and puts two translations in columns or stacks
        # them), which moves the current verse: bring it back into view.
        self._wrap()
        self.refresh()
        if self._current is not None and self._width:
            self._fresh = False
            if self._jumped:
                self.scroll_to(y=0, animate=False, immediate=True, force=True)
            self._scroll_into_view(self._current)
