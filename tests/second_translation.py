"""A second translation for side-by-side tests: KJV's John in plainer words, with gaps.

Built from the KJV rows the tests already have, so it costs a few milliseconds. It numbers John
3 its own way: 3:16 is missing, 3:17 is there but empty, and it has a 3:37 that KJV lacks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from core.bible.library import Library
from core.bible.text import plain
from storage.bible import NewTranslation

GAPPY = "GAPPY"
JOHN = 43
EXTRA = "This verse is only in the gappy translation."

_PLAINER = {"thee": "you", "thou": "you", "ye": "you", "thy": "your", "hath": "has",
            "unto": "to", "saith": "says", "verily": "truly", "believeth": "believes"}  # fmt: skip
_WORD = re.compile(r"\b(" + "|".join(_PLAINER) + r")\b", re.IGNORECASE)


def plainer(text: str) -> str:
    """KJV's words made plainer, so the two sides of a picture differ."""
    return _WORD.sub(lambda m: _PLAINER[m.group(1).lower()], plain(text))


def gappy_rows(
    kjv_rows: Iterable[tuple[int, int, int, str, str]],
) -> list[tuple[int, int, int, str, str]]:
    rows = []
    for book, chapter, verse, text, _plain in kjv_rows:
        if book != JOHN or (chapter, verse) == (3, 16):
            continue
        words = "" if (chapter, verse) == (3, 17) else plainer(text)
        rows.append((book, chapter, verse, words, words))
        if (chapter, verse) == (3, 36):
            rows.append((book, 3, 37, EXTRA, EXTRA))
    return rows


def add_gappy(library_db: Path, kjv_rows: Iterable[tuple[int, int, int, str, str]]) -> str:
    """Add GAPPY to the library at ``library_db``; returns its id."""
    library = Library.open(library_db)
    try:
        rows = gappy_rows(kjv_rows)
        info = NewTranslation(GAPPY, "Gappy Plain John", "en", "tests", "none")
        library.add(info, iter(rows), len(rows))
    finally:
        library.close()
    return GAPPY
