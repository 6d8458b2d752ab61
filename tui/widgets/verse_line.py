"""One verse of the chapter text, with its number and the translators' supplied words in italics."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from core.bible.library import Verse
from core.bible.text import segments


def verse_text(verse: Verse) -> Text:
    text = Text()
    text.append(f"{verse.ref.verse} ", style="bold")
    for seg in segments(verse.text):
        text.append(seg.text, style="italic" if seg.supplied else "")
    return text


class VerseLine(Static):
    """A verse in the chapter view; ``-current`` marks the one being read."""

    def __init__(self, verse: Verse) -> None:
        super().__init__(verse_text(verse), classes="verse", markup=False)
        self.verse = verse
