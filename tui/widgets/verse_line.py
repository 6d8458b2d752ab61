"""One verse of the chapter text, with its number and the translators' supplied words in italics."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.widgets import Static

from core.bible.library import Verse
from core.bible.text import segments

_HIGHLIGHT_RULES = ("background", "color", "text_style", "border_left")


def verse_text(verse: Verse) -> Text:
    text = Text()
    text.append(f"{verse.ref.verse} ", style="bold")
    for seg in segments(verse.text):
        text.append(seg.text, style="italic" if seg.supplied else "")
    return text


class VerseLine(Static):
    """A verse in the chapter view; one of them is the current verse.

    The highlight is set as inline styles copied from the ``verse-line--current`` component
    class rather than by toggling a CSS class: a class change re-matches the whole
    stylesheet against the widget, which made each next-verse key press several times
    slower. The colours still come from the theme, through that component class.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"verse-line--current"}

    def __init__(self, verse: Verse) -> None:
        super().__init__(verse_text(verse), classes="verse", markup=False)
        self.verse = verse
        self.current = False

    def set_current(self, current: bool) -> None:
        if current == self.current:
            return
        self.current = current
        if self.is_mounted:  # else on mounting: the chapter's last verses mount after a frame
            self._show_current()

    def on_mount(self) -> None:
        if self.current:
            self._show_current()

    def _show_current(self) -> None:
        current = self.current
        styles = self.styles
        if current:
            look = self.get_component_styles("verse-line--current")
            for rule in _HIGHLIGHT_RULES:
                setattr(styles, rule, getattr(look, rule))
        else:
            for rule in _HIGHLIGHT_RULES:
                styles.clear_rule(rule)
        self.refresh()
