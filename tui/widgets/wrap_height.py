"""How many lines a text takes wrapped to a width, counted without wrapping it.

Rich's ``Text.wrap`` and Textual's ``Content`` (what a ``Static`` paints) both break each line
of a text where ``rich._wrap.divide_line`` says, folding words wider than the line. The chapter
view needs every verse's height for its scroll range but paints only a screenful, so it counts
lines the same way and wraps only the verses it shows: a count costs a twentieth of a wrap.
"""

from __future__ import annotations

from rich._wrap import divide_line
from rich.cells import cell_len


def wrapped_height(plain: str, width: int) -> int | None:
    """Lines ``plain`` takes wrapped to ``width`` cells (at least one); None when it holds a
    tab, whose width depends on where it falls (only wrapping it can tell)."""
    if "\t" in plain:
        return None
    return sum(_line_height(line, max(width, 1)) for line in plain.split("\n"))


def _line_height(line: str, width: int) -> int:
    """``len(divide_line(line, width)) + 1``, for the usual verse (printable, words one space
    apart, none wider than the line) without building the list: in a printable text a space
    is the only blank, so its words are what ``split(" ")`` gives. The loop is
    ``divide_line``'s, step for step (a word's space counts once another word follows)."""
    if not line.isprintable() or "  " in line or line.startswith(" ") or line.endswith(" "):
        return len(divide_line(line, width)) + 1
    count = 1
    offset = 0
    for length in map(len if line.isascii() else cell_len, line.split(" ")):
        if width - offset >= length:
            offset += length + 1
        elif length > width:
            return len(divide_line(line, width)) + 1  # folded: as Rich folds it
        elif offset:
            count += 1
            offset = length + 1
    return count
