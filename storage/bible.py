"""The Bible library database: translations, their verses and a full-text index.

Each translation is imported in one transaction, so an interrupted import leaves nothing
behind. Its verses occupy one contiguous block of rowids, which lets a search stay inside one
translation with a cheap rowid range instead of a join. Reads use the plain ``sqlite3`` module:
the read path must start in well under 200 ms, and nothing here needs more.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    id           TEXT PRIMARY KEY COLLATE NOCASE,
    name         TEXT NOT NULL,
    language     TEXT NOT NULL,
    source       TEXT NOT NULL,
    license      TEXT NOT NULL,
    first_rowid  INTEGER NOT NULL,
    last_rowid   INTEGER NOT NULL,
    verse_count  INTEGER NOT NULL,
    imported_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS verses (
    id           INTEGER PRIMARY KEY,
    translation  TEXT NOT NULL COLLATE NOCASE,
    book         INTEGER NOT NULL,
    chapter      INTEGER NOT NULL,
    verse        INTEGER NOT NULL,
    text         TEXT NOT NULL,
    plain        TEXT NOT NULL,
    UNIQUE (translation, book, chapter, verse)
);
CREATE VIRTUAL TABLE IF NOT EXISTS verses_fts USING fts5(
    plain, content='verses', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
"""


class LibraryError(Exception):
    """The library file cannot be used. ``str()`` is a sentence for the user."""


class LibraryDamaged(LibraryError):
    """The file is not a database or is corrupt: safe to set aside and rebuild.

    Kept apart from other failures (permissions, a locked file, a newer schema), where the
    file is fine and must be left exactly as it is.
    """


_DAMAGED_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}


@dataclass(frozen=True, slots=True)
class TranslationRow:
    id: str
    name: str
    language: str
    source: str
    license: str
    first_rowid: int
    last_rowid: int
    verse_count: int
    imported_at: str


@dataclass(frozen=True, slots=True)
class VerseRow:
    book: int
    chapter: int
    verse: int
    text: str


@dataclass(frozen=True, slots=True)
class NewTranslation:
    """What an importer knows about a translation before its verses are written."""

    id: str
    name: str
    language: str
    source: str
    license: str


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the library at ``path`` with the schema in place."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise LibraryError(f"The Bible library at {path} cannot be opened ({exc}).") from exc
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(_SCHEMA)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif version > SCHEMA_VERSION:
            raise LibraryError(
                f"The Bible library at {path} was written by a newer Verselight; update this one."
            )
    except sqlite3.Error as exc:
        conn.close()
        if getattr(exc, "sqlite_errorcode", None) in _DAMAGED_CODES:
            raise LibraryDamaged(f"The Bible library at {path} is damaged ({exc}).") from exc
        raise LibraryError(f"The Bible library at {path} cannot be opened ({exc}).") from exc
    except LibraryError:
        conn.close()
        raise
    return conn


def translations(conn: sqlite3.Connection) -> list[TranslationRow]:
    rows = conn.execute(
        "SELECT id, name, language, source, license, first_rowid, last_rowid, verse_count,"
        " imported_at FROM translations ORDER BY id"
    ).fetchall()
    return [TranslationRow(*r) for r in rows]


def translation(conn: sqlite3.Connection, tid: str) -> TranslationRow | None:
    row = conn.execute(
        "SELECT id, name, language, source, license, first_rowid, last_rowid, verse_count,"
        " imported_at FROM translations WHERE id = ?",
        (tid,),
    ).fetchone()
    return TranslationRow(*row) if row else None


def verse_counts(conn: sqlite3.Connection, tid: str) -> dict[int, tuple[int, ...]]:
    """Book number -> verse count per chapter, as the translation numbers them."""
    rows = conn.execute(
        "SELECT book, chapter, max(verse) FROM verses WHERE translation = ?"
        " GROUP BY book, chapter ORDER BY book, chapter",
        (tid,),
    ).fetchall()
    out: dict[int, list[int]] = {}
    for bk, ch, last in rows:
        chapters = out.setdefault(bk, [])
        chapters.extend([0] * (ch - 1 - len(chapters)))
        chapters.append(last)
    return {bk: tuple(chs) for bk, chs in out.items()}


def book_verse_counts(conn: sqlite3.Connection, tid: str, book: int) -> tuple[int, ...] | None:
    """One book's verse count per chapter (None when the translation lacks the book)."""
    rows = conn.execute(
        "SELECT chapter, max(verse) FROM verses WHERE translation = ? AND book = ?"
        " GROUP BY chapter ORDER BY chapter",
        (tid, book),
    ).fetchall()
    if not rows:
        return None
    chapters: list[int] = []
    for ch, last in rows:
        chapters.extend([0] * (ch - 1 - len(chapters)))
        chapters.append(last)
    return tuple(chapters)


def chapter(conn: sqlite3.Connection, tid: str, book: int, chapter_no: int) -> list[VerseRow]:
    rows = conn.execute(
        "SELECT book, chapter, verse, text FROM verses"
        " WHERE translation = ? AND book = ? AND chapter = ? ORDER BY verse",
        (tid, book, chapter_no),
    ).fetchall()
    return [VerseRow(*r) for r in rows]


def span(
    conn: sqlite3.Connection, tid: str, start: tuple[int, int, int], end: tuple[int, int, int]
) -> list[VerseRow]:
    """Verses from ``start`` to ``end`` inclusive, each a (book, chapter, verse) triple."""
    rows = conn.execute(
        "SELECT book, chapter, verse, text FROM verses WHERE translation = ?"
        " AND (book, chapter, verse) >= (?, ?, ?) AND (book, chapter, verse) <= (?, ?, ?)"
        " ORDER BY book, chapter, verse",
        (tid, *start, *end),
    ).fetchall()
    return [VerseRow(*r) for r in rows]


_TOKEN_RE = re.compile(r"\w+(?:['\u2019\-]\w+)*", re.UNICODE)


def fts_query(text: str) -> str | None:
    """The user's words as FTS5 phrases ANDed together; None when there is nothing to find.

    Every word is wrapped in double quotes, so ``Lord's``, ``son-in-law``, ``*`` or ``NEAR(``
    are searched as text and can never be read as query syntax.
    """
    words = _TOKEN_RE.findall(text)
    if not words:
        return None
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def search(
    conn: sqlite3.Connection, tr: TranslationRow, text: str, limit: int, offset: int = 0
) -> tuple[int, list[VerseRow]]:
    """(total hits, one page of hits in canonical order) for ``text`` in one translation."""
    query = fts_query(text)
    if query is None:
        return 0, []
    bounds = (tr.first_rowid, tr.last_rowid)
    total = conn.execute(
        "SELECT count(*) FROM verses WHERE id IN (SELECT rowid FROM verses_fts"
        " WHERE verses_fts MATCH ? AND rowid BETWEEN ? AND ?)",
        (query, *bounds),
    ).fetchone()[0]
    rows = conn.execute(
        "SELECT book, chapter, verse, text FROM verses WHERE id IN (SELECT rowid FROM verses_fts"
        " WHERE verses_fts MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid LIMIT ? OFFSET ?)"
        " ORDER BY id",
        (query, *bounds, limit, offset),
    ).fetchall()
    return total, [VerseRow(*r) for r in rows]


def import_translation(
    conn: sqlite3.Connection,
    info: NewTranslation,
    verses: Iterable[tuple[int, int, int, str, str]],
    progress: Callable[[int], None] | None = None,
) -> TranslationRow:
    """Write a whole translation in one transaction: all of it lands, or none of it.

    ``verses`` yields (book, chapter, verse, text, plain) in canonical order; ``progress`` is
    told how many verses have been written so far.
    """
    now = datetime.now(UTC).isoformat(timespec="seconds")
    conn.execute("BEGIN IMMEDIATE")
    try:
        if translation(conn, info.id) is not None:
            raise LibraryError(f"A translation called {info.id} is already in the library.")
        first = (conn.execute("SELECT coalesce(max(id), 0) FROM verses").fetchone()[0]) + 1
        sql = (
            "INSERT INTO verses (id, translation, book, chapter, verse, text, plain)"
            " VALUES (?,?,?,?,?,?,?)"
        )
        batch: list[tuple[int, str, int, int, int, str, str]] = []
        written = 0
        for row in verses:
            batch.append((first + written + len(batch), info.id, *row))
            if len(batch) >= 2000:
                conn.executemany(sql, batch)
                written += len(batch)
                batch.clear()
                if progress:
                    progress(written)
        conn.executemany(sql, batch)
        written += len(batch)
        if written == 0:
            raise LibraryError(f"{info.id} has no verses to import.")
        last = first + written - 1
        conn.execute(
            "INSERT INTO verses_fts (rowid, plain) SELECT id, plain FROM verses"
            " WHERE id BETWEEN ? AND ?",
            (first, last),
        )
        conn.execute(
            "INSERT INTO translations VALUES (?,?,?,?,?,?,?,?,?)",
            (
                info.id,
                info.name,
                info.language,
                info.source,
                info.license,
                first,
                last,
                written,
                now,
            ),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    if progress:
        progress(written)
    return TranslationRow(
        info.id, info.name, info.language, info.source, info.license, first, last, written, now
    )


def remove_translation(conn: sqlite3.Connection, tid: str) -> bool:
    """Delete a translation and its index entries in one transaction; False if it was absent."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        tr = translation(conn, tid)
        if tr is None:
            conn.execute("ROLLBACK")
            return False
        conn.execute(
            "INSERT INTO verses_fts (verses_fts, rowid, plain) SELECT 'delete', id, plain"
            " FROM verses WHERE id BETWEEN ? AND ?",
            (tr.first_rowid, tr.last_rowid),
        )
        conn.execute("DELETE FROM verses WHERE translation = ?", (tr.id,))
        conn.execute("DELETE FROM translations WHERE id = ?", (tr.id,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return True
