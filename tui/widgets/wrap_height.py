"""Where a text's lines break at a width, and how many lines it takes, found fast.

Rich's ``Text.wrap`` and Textual's ``Content`` (what a ``Static`` paints) both break each line
of a text where ``rich._wrap.divide_line`` says, folding words wider than the line. The chapter
view needs every verse's height for its scroll range but paints only a screenful, so it counts
lines the same way and wraps only the verses it shows (a count costs a twentieth of a wrap);
the verses it shows side by side are wrapped with the same breaks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich._wrap import divide_line
from rich.cells import cell_len

if TYPE_CHECKING:
    from rich.console import Console
    from rich.containers import Lines
    from rich.text import Text


def wrapped_height(plain: str, width: int) -> int | None:
    """Lines ``plain`` takes wrapped to ``width`` cells (at least one); None when it holds a
    tab, whose width depends on where it falls (only wrapping it can tell)."""
    if "\t" in plain:
        return None
    width = max(width, 1)
    return sum(len(line_breaks(line, width)) + 1 for line in plain.split("\n"))


def line_breaks(line: str, width: int) -> list[int]:
    """Where ``divide_line`` breaks ``line`` (one line, no tabs) for ``width`` cells, four
    times faster for the usual verse (printable, words one space apart, none wider than the
    line): in a printable text a space is the only blank, so its words are what
    ``split(" ")`` gives. The loop is ``divide_line``'s, step for step (a word's space counts
    once another word follows); anything else goes to ``divide_line`` itself."""
    if not line.isprintable() or "  " in line or line.startswith(" ") or line.endswith(" "):
        return divide_line(line, width)
    breaks = []
    offset = 0
    start = 0
    measure = len if line.isascii() else cell_len
    for word in line.split(" "):
        length = measure(word)
        if width - offset >= length:
            offset += length + 1
        elif length > width:
            return divide_line(line, width)  # folded: as Rich folds it
        elif offset:
            breaks.append(start)
            offset = length + 1
        start += len(word) + 1
    return breaks


def wrap(text: Text, console: Console, width: int) -> Lines:
    """``text.wrap(console, width)``, with its lines broken where ``line_breaks`` says (Rich's
    ``Text.wrap`` spends half its time in ``divide_line``). A text it would treat otherwise
    (line breaks, tabs, its own justify, overflow or no_wrap) is left to it."""
    plain = text.plain
    if "\n" in plain or "\t" in plain or text.justify or text.overflow or text.no_wrap:
        return text.wrap(console, width)
    # What ``Text.wrap`` does with one line, left-justified ("default") and folded.
    lines = text.divide(line_breaks(plain, width))
    for line in lines:
        line.rstrip_end(width)
        line.truncate(width, overflow="fold")
    return lines
