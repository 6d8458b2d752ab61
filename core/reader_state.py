"""Where the reader was, so the next start opens at the same verse.

The file is tiny JSON in the state dir, replaced atomically (``core.files``); a missing or
unreadable file simply means "start at Genesis 1:1", never an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core.bible.references import VerseRef
from core.files import write_atomic
from storage.files import read_regular

MAX_STATE_BYTES = 64 * 1024
"""The file is about 60 bytes; whatever is bigger is not ours."""


@dataclass(frozen=True, slots=True)
class Position:
    translation: str
    ref: VerseRef
    beside: str | None = None
    """The translation read side by side with ``translation``, if any."""


def load(path: Path) -> Position | None:
    try:
        data = json.loads(read_regular(path, MAX_STATE_BYTES).data.decode("utf-8"))
        ref = VerseRef(int(data["book"]), int(data["chapter"]), int(data["verse"]))
        beside = data.get("beside")
        return Position(str(data["translation"]), ref, beside if isinstance(beside, str) else None)
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
    if position.beside:
        body["beside"] = position.beside
    data = json.dumps(body).encode("utf-8")
    write_atomic(path, data, temp_prefix=".reader-", temp_suffix=".json")
