"""One verse of the chapter text, with its number, the translators' supplied words in italics,
and the reader's own marks: a flag when bookmarked, a pen when it has a note, a background
colour when highlighted (the colours are in reader.tcss)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.visual import VisualType
from textual.widgets import Static

from core.bible.library import Verse
from core.bible.text import segments
from core.marks import COLOURS, VerseMarks

_HIGHLIGHT_RULES = ("background", "color", "text_style", "border_left")

BOOKMARK = "\u2691"
"""After the verse number of a bookmarked verse."""
NOTE = "\u270e"
"""After the verse number of a verse with a note."""
NO_MARKS = VerseMarks()


def verse_text(verse: Verse, marks: VerseMarks = NO_MARKS) -> Text:
    text = Text()
    text.append(f"{verse.ref.verse} ", style="bold")
    glyphs = (BOOKMARK if marks.bookmark else "") + (NOTE if marks.note else "")
    if glyphs:
        text.append(f"{glyphs} ", style="bold")
    for seg in segments(verse.text):
        text.append(seg.text, style="italic" if seg.supplied else "")
    return text


def colour_class(colour: str) -> str:
    return f"-highlight-{colour}"


class VerseLine(Static):
    """A verse in the chapter view; one of them is the current verse.

    The current verse's look is set as inline styles copied from the ``verse-line--current``
    component class rather than by toggling a CSS class: a class change re-matches the whole
    stylesheet against the widget, which made each next-verse key press several times
    slower. The colours still come from the theme, through that component class.

    A highlighted verse keeps its highlight's background when it is current (the border and
    bold still say which verse is current). Marks change only when the reader makes one, so
    their class change costs nothing on next-verse.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"verse-line--current"}

    def __init__(
        self, verse: Verse, marks: VerseMarks = NO_MARKS, content: VisualType | None = None
    ) -> None:
        """``content`` is what to show when it is more than the verse (``VersePair``)."""
        classes = "verse"
        if marks.colour in COLOURS:
            classes += " " + colour_class(marks.colour)
        shown = verse_text(verse, marks) if content is None else content
        super().__init__(shown, classes=classes, markup=False)
        self.verse = verse
        self.marks = marks
        self.current = False

    def show(self, verse: Verse, marks: VerseMarks, content: VisualType | None = None) -> None:
        """Show another verse (of the next chapter): changing a line's text is far cheaper
        than removing the line and mounting a new one."""
        self.set_current(False)
        self.verse = verse
        if marks.colour != self.marks.colour:
            for colour in COLOURS:
                self.set_class(colour == marks.colour, colour_class(colour))
        self.marks = marks
        self.update(verse_text(verse, marks) if content is None else content)

    def marked_content(self) -> VisualType:
        """What the line shows, with its marks (``VersePair`` shows two translations)."""
        return verse_text(self.verse, self.marks)

    def set_marks(self, marks: VerseMarks) -> None:
        if marks == self.marks:
            return
        old, self.marks = self.marks, marks
        if old.colour != marks.colour:
            for colour in COLOURS:
                self.set_class(colour == marks.colour, colour_class(colour))
        self.update(self.marked_content())
        if self.current:
            self._look(True)

    def set_current(self, current: bool) -> None:
        if current == self.current:
            return
        self.current = current
        if self.is_mounted:  # else on mounting: the chapter's last verses mount after a frame
            self._look(current)
            self.refresh()

    def on_mount(self) -> None:
        if self.current:
            self._look(True)
            self.refresh()

    def _look(self, current: bool) -> None:
        styles = self.styles
        if current:
            look = self.get_component_styles("verse-line--current")
            for rule in _HIGHLIGHT_RULES:
                if rule == "background" and self.marks.colour is not None:
                    styles.clear_rule(rule)  # the highlight's colour shows through
                else:
                    setattr(styles, rule, getattr(look, rule))
        else:
            for rule in _HIGHLIGHT_RULES:
                styles.clear_rule(rule)
