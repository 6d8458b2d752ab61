"""Where the reader was, so the next start opens at the same verse.

The file is tiny JSON in the state dir, written atomically; a missing or unreadable file simply
means "start at Genesis 1:1", never an error.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.bible.references import VerseRef
from storage.files import read_regular

MAX_STATE_BYTES = 64 * 1024
"""The file is about 60 bytes; whatever is bigger is not ours."""


@dataclass(frozen=True, slots=True)
class Position:
    translation: str
    ref: VerseRef


def load(path: Path) -> Position | None:
    try:
        data = json.loads(read_regular(path, MAX_STATE_BYTES).data.decode("utf-8"))
        ref = VerseRef(int(data["book"]), int(data["chapter"]), int(data["verse"]))
        return Position(str(data["translation"]), ref)
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


def save(path: Path, position: Position) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    r = position.ref
    body = {
        "translation": position.translation,
        "book": r.book,
        "chapter": r.chapter,
        "verse": r.verse,
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".reader-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(body, fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
