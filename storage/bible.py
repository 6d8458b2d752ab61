"""The Bible library database: translations, their verses and a full-text index.

Each translation is imported in one transaction, so an interrupted import leaves nothing
behind. Its verses occupy one contiguous block of rowids, which lets a search stay inside one
translation with a cheap rowid range instead of a join. Reads use the plain ``sqlite3`` module:
the read path must start in well under 200 ms, and nothing here needs more.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# Search text rules and ranking SQL live in ``bible_search``; these names stay importable here.
from storage.bible_search import HITS, MAX_LIMIT, RANKED_AT_MOST, hits_sql
from storage.bible_search import MAX_QUERY as MAX_QUERY
from storage.bible_search import MAX_TERMS as MAX_TERMS
from storage.bible_search import BadQuery as BadQuery
from storage.bible_search import FtsQuery as FtsQuery
from storage.bible_search import SearchOrder as SearchOrder
from storage.bible_search import fts_query as fts_query

SCHEMA_VERSION = 2
"""1: the first schema. 2: the full-text index stems words (porter), so "water" finds "waters"."""

_FTS_TABLE = """
CREATE VIRTUAL TABLE IF NOT EXISTS verses_fts USING fts5(
    plain, content='verses', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
);
"""

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
    """Open (creating if needed) the library at ``path`` with the schema in place.

    When an existing library cannot be opened for writing (a read-only folder or mount, a
    full disk, a file we may only read) it is opened read-only instead: reading needs no
    writes. ``is_read_only`` tells the caller.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        if path.is_file():
            return _read_only(path, exc)
        raise LibraryError(f"The Bible library at {path} cannot be opened ({exc}).") from exc
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(_SCHEMA + _FTS_TABLE)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif version < SCHEMA_VERSION:
            migrate(conn)
        elif version > SCHEMA_VERSION:
            raise LibraryError(
                f"The Bible library at {path} was written by a newer Verselight; update this one."
            )
    except sqlite3.Error as exc:
        conn.close()
        code = getattr(exc, "sqlite_errorcode", None)
        if code in _DAMAGED_CODES:
            raise LibraryDamaged(f"The Bible library at {path} is damaged ({exc}).") from exc
        if code is not None and code & 0xFF in _CANNOT_WRITE_CODES and path.stat().st_size:
            return _read_only(path, exc)
        raise LibraryError(f"The Bible library at {path} cannot be opened ({exc}).") from exc
    except LibraryError:
        conn.close()
        raise
    return conn


_CANNOT_WRITE_CODES = {
    sqlite3.SQLITE_CANTOPEN,  # no -shm can be made beside a WAL database
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_PERM,
}


def _read_only(path: Path, why: BaseException) -> sqlite3.Connection:
    """The library opened for reading only, or ``LibraryError`` naming the first failure.

    ``mode=ro`` still shares SQLite's locks (it needs a ``-shm`` it can map or make);
    ``immutable=1`` is for read-only media, where nobody can be writing either.
    """
    for query in ("mode=ro", "immutable=1"):
        try:
            conn = sqlite3.connect(
                f"{path.absolute().as_uri()}?{query}",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error:
            continue
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error:
            conn.close()
            continue
        if not 1 <= version <= SCHEMA_VERSION:  # older ones search without word forms
            conn.close()
            break
        conn.execute("PRAGMA query_only = ON")
        return conn
    raise LibraryError(f"The Bible library at {path} cannot be opened ({why}).") from why


def is_read_only(conn: sqlite3.Connection) -> bool:
    """Whether ``connect`` had to fall back to reading only."""
    return bool(conn.execute("PRAGMA query_only").fetchone()[0])


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


def migrate(conn: sqlite3.Connection) -> bool:
    """Bring a library written by an older Verselight up to ``SCHEMA_VERSION``, once.

    Version 1 indexed words as typed; version 2 stems them. The index is rebuilt from the
    verses table in one transaction (about 0.4 s per translation), so a library is never left
    with half an index, and a second process waiting on the lock finds it done. A library
    that cannot be written (read-only file or folder) keeps its old index: search still works,
    without word forms, and the next start that can write migrates it. False in that case.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if _write_refused(exc):
            return False
        raise
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < 2:
            conn.execute("DROP TABLE IF EXISTS verses_fts")
            conn.execute(_FTS_TABLE)
            conn.execute("INSERT INTO verses_fts (verses_fts) VALUES ('rebuild')")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        conn.execute("ROLLBACK")
        if _write_refused(exc):
            return False
        raise
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return True


def _write_refused(exc: sqlite3.Error) -> bool:
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_READONLY


def search(
    conn: sqlite3.Connection,
    tr: TranslationRow,
    text: str,
    limit: int,
    offset: int = 0,
    order: SearchOrder = "relevance",
) -> tuple[int, bool, list[VerseRow]]:
    """(total hits, whether they are ranked, one page of hits) for ``text`` in one translation.

    Ranked puts verses holding the words as one phrase first, then FTS5's bm25 score (rarer
    words and shorter verses first). Unranked is canonical (Bible) order: when asked for, and
    past ``RANKED_AT_MOST`` hits.
    """
    query = fts_query(text)
    if query is None:
        return 0, False, []
    limit = max(0, min(limit, MAX_LIMIT))
    offset = max(0, min(offset, MAX_LIMIT))
    match = (query.match, tr.first_rowid, tr.last_rowid)
    total = conn.execute(HITS.replace("rowid", "count(*)", 1), match).fetchone()[0]
    if total == 0:
        return 0, False, []
    ranked = order == "relevance" and total <= RANKED_AT_MOST
    sql, params = hits_sql(query, tr.first_rowid, tr.last_rowid, ranked)
    ids = [r[0] for r in conn.execute(sql + " LIMIT ? OFFSET ?", (*params, limit, offset))]
    if not ids:
        return total, ranked, []
    marks = ",".join("?" * len(ids))
    found = {
        r[0]: VerseRow(*r[1:])
        for r in conn.execute(
            f"SELECT id, book, chapter, verse, text FROM verses WHERE id IN ({marks})", ids
        )
    }
    return total, ranked, [found[i] for i in ids if i in found]


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
