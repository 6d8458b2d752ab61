"""A one-line strip of the chapter's verse numbers, the current one highlighted, a dot after
each verse that has illustrations, and the numbers of the verses the reader marked (bookmark,
highlight or note) in the marked style (reader.tcss).

Long chapters (Psalm 119 has 176 verses) show a window around the current verse with arrows
saying there is more, so the strip always fits one line at any width.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

MARK = "\u25cf"
"""The dot the onboarding screen promises beside illustrated verses."""
_CURRENT = Style(bold=True, reverse=True)


class VerseStrip(Widget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"verse-strip--marked"}

    count: reactive[int] = reactive(0)
    current: reactive[int] = reactive(1)
    marked: reactive[frozenset[int]] = reactive(frozenset())
    """Verses with illustrations."""
    user_marked: reactive[frozenset[int]] = reactive(frozenset())
    """Verses the reader bookmarked, highlighted or wrote a note on."""

    def set_chapter(
        self,
        count: int,
        current: int,
        marked: Collection[int] = (),
        user_marked: Collection[int] | None = None,
    ) -> None:
        """``user_marked`` None leaves the reader's marks as they are (same chapter)."""
        self.count = count
        self.current = current
        self.marked = frozenset(marked)
        if user_marked is not None:
            self.user_marked = frozenset(user_marked)

    def render(self) -> Text:
        width = max(self.size.width, 10)
        cell = len(str(self.count)) + 1
        fits = max(1, (width - 4) // cell)
        start = max(1, min(self.current - fits // 2, self.count - fits + 1))
        end = min(self.count, start + fits - 1)
        user = self.get_component_rich_style("verse-strip--marked") if self.user_marked else None
        text = Text("\u2039 " if start > 1 else "  ", style="dim", no_wrap=True)
        for n in range(start, end + 1):
            label = str(n).rjust(cell - 1)
            if n == self.current:
                mine = user is not None and n in self.user_marked
                text.append(label, style=user + _CURRENT if mine and user else _CURRENT)
            elif user is not None and n in self.user_marked:
                text.append(label, style=user)
            else:
                text.append(label, style="dim" if n % 5 else "")
            if n in self.marked:
                text.append(MARK, style="bold")
            else:
                text.append(" ")
        if end < self.count:
            text.append("\u203a", style="dim")
        return text
