"""One verse of the chapter text, with its number, the translators' supplied words in italics,
and the reader's own marks: a flag when bookmarked, a pen when it has a note (a highlight's
background colour is the chapter view's, from reader.tcss)."""

from __future__ import annotations

from rich.text import Text

from core.bible.library import Verse
from core.bible.text import segments
from core.marks import VerseMarks

BOOKMARK = "\u2691"
"""After the verse number of a bookmarked verse."""
NOTE = "\u270e"
"""After the verse number of a verse with a note."""
NO_MARKS = VerseMarks()


def verse_text(verse: Verse, marks: VerseMarks = NO_MARKS) -> Text:
    text = Text()
    text.append(f"{verse.ref.verse} ", style="bold")
    glyphs = _glyphs(marks)
    if glyphs:
        text.append(f"{glyphs} ", style="bold")
    for seg in segments(verse.text):
        text.append(seg.text, style="italic" if seg.supplied else "")
    return text


def verse_plain(verse: Verse, marks: VerseMarks = NO_MARKS) -> str:
    """What ``verse_text`` says, without its styles and without building it: the chapter
    view counts every verse's lines from this and builds the text of those it shows."""
    glyphs = _glyphs(marks)
    # ``segments`` drops the brackets and keeps everything else, in order.
    words = verse.text.replace("[", "").replace("]", "")
    return f"{verse.ref.verse} {glyphs} {words}" if glyphs else f"{verse.ref.verse} {words}"


def _glyphs(marks: VerseMarks) -> str:
    return (BOOKMARK if marks.bookmark else "") + (NOTE if marks.note else "")
