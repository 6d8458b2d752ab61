"""A verse's height counted without wrapping it is the height wrapping gives: the chapter view
sets its scroll range from the counts and wraps only the verses a frame shows, so a wrong count
would make the scroll bar and the places of verses jump once the rest is wrapped."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from rich._wrap import divide_line
from rich.console import Console
from rich.segment import Segment
from rich.text import Text
from textual.content import Content

from core.bible.library import Verse
from core.bible.references import VerseRef
from core.config import Config
from core.marks import VerseMarks
from tests.second_translation import GAPPY, add_gappy
from tests.tui.helpers import settle
from tests.tui.test_side_by_side import reader_of, turn_on
from tui.widgets.chapter_view import ChapterView
from tui.widgets.verse_line import verse_plain, verse_text
from tui.widgets.verse_pair import Beside
from tui.widgets.wrap_height import line_breaks, wrap, wrapped_height

WIDTHS = [1, 2, 7, 28, 29, 40, 56, 57, 76, 78, 116]
CONSOLE = Console(width=200, color_system=None)


def rich_height(text: str, width: int) -> int:
    return len(Text(text).wrap(CONSOLE, width))


def textual_height(text: str, width: int) -> int:
    return len(Content(text).wrap(width))


def odd_texts() -> list[str]:
    """Texts that take the slow roads: folded long words, runs of spaces, wide and non-ASCII
    characters, control characters, line breaks, empty lines."""
    rng = random.Random(14)
    alphabet = ["a", "bb", "ccc", "Lord", "\u6f22\u5b57", "\u00e9t\u00e9", "\u2691", "x" * 45]
    texts = ["", " ", "  lead", "trail  ", "a\n", "\nb", "a\n\nb", "one\x07bell", "x" * 130]
    # WEB's curly quotes, wide characters, an accent that takes no cell, a space no split finds.
    texts += [
        "3 God said, \u201cLet there be light,\u201d and there was light. God\u2019s own.",
        " ".join(["\u6f22\u5b57\u6f22"] * 30),
        " ".join(["cafe\u0301"] * 40),
        "no\u00a0break " * 12,
    ]
    for _ in range(300):
        words = [rng.choice(alphabet) for _ in range(rng.randint(1, 40))]
        gaps = [rng.choice([" ", " ", " ", "  ", "\n"]) for _ in words]
        texts.append("".join(w + g for w, g in zip(words, gaps, strict=True)))
    return texts


def test_counts_match_rich_and_textual_wrapping_of_real_verses(kjv_rows) -> None:
    # Genesis, the Psalms (short and very long verses) and Esther 8:9, the longest.
    verses = [row for row in kjv_rows if row[0] in (1, 19, 17)]
    for book, chapter, number, text, _plain in verses[::3]:
        plain = verse_text(Verse(VerseRef(book, chapter, number), text)).plain
        for width in WIDTHS:
            counted = wrapped_height(plain, width)
            assert counted == rich_height(plain, width) == textual_height(plain, width), (
                book,
                chapter,
                number,
                width,
            )


def test_a_verses_words_are_what_its_text_says(kjv_rows) -> None:
    # Verses are counted from their words alone and built as styled text when shown.
    marks = [VerseMarks(), VerseMarks(bookmark=True), VerseMarks(note=True, colour="yellow")]
    marks.append(VerseMarks(bookmark=True, note=True))
    bracketed = [row for row in kjv_rows if "[" in row[3]][:200]
    assert len(bracketed) == 200
    for book, chapter, number, text, _plain in [*bracketed, (1, 1, 1, "", "")]:
        verse = Verse(VerseRef(book, chapter, number), text)
        for mark in marks:
            assert verse_plain(verse, mark) == verse_text(verse, mark).plain


def test_counts_match_on_odd_texts() -> None:
    for text in odd_texts():
        for width in WIDTHS:
            counted = wrapped_height(text, width)
            assert counted == rich_height(text, width) == textual_height(text, width), (
                text,
                width,
            )


def test_breaks_are_rich_s_and_wrapped_lines_are_text_wrap_s(kjv_rows) -> None:
    """The lines a pair draws are broken where ``line_breaks`` says instead of by Rich's own
    loop: the same breaks, the same lines, the same spans (styles)."""
    verses = [
        verse_text(Verse(VerseRef(b, c, n), t), VerseMarks(bookmark=n % 3 == 0))
        for b, c, n, t, _ in kjv_rows
        if b == 19 and c < 30
    ]
    texts = verses + [Text(t) for t in odd_texts()] + [Text("dim", style="dim")]
    for text in texts:
        for width in WIDTHS:
            for line in text.plain.split("\n"):
                assert line_breaks(line, width) == divide_line(line, width), (line, width)
            ours, rich = wrap(text, CONSOLE, width), text.wrap(CONSOLE, width)
            assert [(line.plain, line.spans, line.style) for line in ours] == [
                (line.plain, line.spans, line.style) for line in rich
            ], (text.plain, width)


def test_a_tab_is_left_to_wrapping() -> None:
    assert wrapped_height("a\tb", 10) is None


@pytest.mark.parametrize("right_id", ["WEB", "GAPPY"])
def test_a_pair_counts_the_lines_it_draws(right_id: str) -> None:
    texts = odd_texts()[:80]
    rng = random.Random(3)
    for width in [1, 20, 40, 58, 59, 60, 80, 97, 116]:
        for _ in range(40):
            left, right = Text(rng.choice(texts)), Text(rng.choice(texts))
            pair = Beside(left, right, right_id)
            segments = CONSOLE.render(pair, CONSOLE.options.update_width(width))
            drawn = list(Segment.split_and_crop_lines(segments, width, include_new_lines=False))
            assert pair.height(width) == max(len(drawn), 1), (left.plain, right.plain, width)


@pytest.fixture
def gappy(config: Config, kjv_rows) -> str:
    return add_gappy(Path(config.paths.library_db), kjv_rows)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_a_new_chapters_scroll_range_stays_once_all_of_it_is_wrapped(
    app_factory, gappy, size
) -> None:
    app = app_factory("John 3:16")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await turn_on(pilot)
        reader = reader_of(app)
        assert reader.beside == GAPPY
        view = reader.query_one(ChapterView)
        for chapter in range(1, 8):
            await reader.go_to(VerseRef(43, chapter, 9))
            # Straight after the chapter arrives, before a frame: only counted so far.
            counted = view.virtual_size.height
            # Reading every verse wraps every verse: a miscount would move the ones after it.
            first = [line.virtual_region for line in view.lines()]
            assert [line.virtual_region for line in view.lines()] == first
            assert view.virtual_size.height == counted
            await settle(pilot)
            assert view.virtual_size.height == counted
            current = view.current_line()
            assert current is not None and current.verse.ref.verse == 9
            assert current.region, "the verse it opened at is on the screen"
