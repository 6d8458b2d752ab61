"""Illustrations' records, per-model duration stats and cached model lists (ledger database).

Images live in the ledger database because an image's row must commit in the same transaction
as the charge that pays for it (DESIGN.md section 5). Rows from before migration 3 carry no
transparency record (``file IS NULL``) and are never shown.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, fields
from datetime import datetime

from storage.ledger_db import ts


@dataclass(frozen=True, slots=True)
class ImageRow:
    id: str
    session_id: str
    created_at: str
    book: int
    chapter: int
    verse: int
    reference: str
    translation: str
    verse_text: str
    theme: str | None
    aspect_ratio: str
    prompt: str
    prompt_version: int
    prompt_inputs: str
    """JSON of the prompt's inputs."""
    provider: str
    model: str
    credits: int
    provider_cost: str | None
    """Decimal USD as text; None when the provider did not say."""
    duration_ms: int
    width: int
    height: int
    mime: str
    size: int
    sha256: str
    file: str
    """Path of the file relative to the images folder."""
    admin: bool


_COLUMNS = tuple(f.name for f in fields(ImageRow))
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM images"
_SHOWN = "file IS NOT NULL"


def _row(values: tuple[object, ...]) -> ImageRow:
    *rest, admin = values
    return ImageRow(*rest, bool(admin))  # type: ignore[arg-type, call-arg]


def insert_image(conn: sqlite3.Connection, row: ImageRow) -> None:
    """Inside the caller's transaction (the one that charges for it)."""
    values = tuple(getattr(row, c) for c in _COLUMNS)
    conn.execute(
        f"INSERT INTO images ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
        values,
    )


def get_image(conn: sqlite3.Connection, image_id: str) -> ImageRow | None:
    found = conn.execute(f"{_SELECT} WHERE id = ? AND {_SHOWN}", (image_id,)).fetchone()
    return _row(found) if found else None


def find_images(conn: sqlite3.Connection, prefix: str, limit: int = 2) -> list[ImageRow]:
    """Images whose id starts with ``prefix`` (for ids typed by hand)."""
    rows = conn.execute(
        f"{_SELECT} WHERE id >= ? AND id < ? AND {_SHOWN} ORDER BY id LIMIT ?",
        (prefix, prefix + "\uffff", limit),
    ).fetchall()
    return [_row(r) for r in rows]


def images_for_verse(
    conn: sqlite3.Connection, book: int, chapter: int, verse: int
) -> list[ImageRow]:
    """Newest first."""
    rows = conn.execute(
        f"{_SELECT} WHERE book = ? AND chapter = ? AND verse = ? AND {_SHOWN}"
        " ORDER BY created_at DESC, rowid DESC",
        (book, chapter, verse),
    ).fetchall()
    return [_row(r) for r in rows]


def verse_counts(conn: sqlite3.Connection, book: int, chapter: int) -> dict[int, int]:
    """How many illustrations each verse of a chapter has (verses without any are absent)."""
    rows = conn.execute(
        f"SELECT verse, count(*) FROM images WHERE book = ? AND chapter = ? AND {_SHOWN}"
        " GROUP BY verse",
        (book, chapter),
    ).fetchall()
    return {int(v): int(n) for v, n in rows}


def illustrated_chapters(conn: sqlite3.Connection, book: int) -> set[int]:
    rows = conn.execute(
        f"SELECT DISTINCT chapter FROM images WHERE book = ? AND {_SHOWN}", (book,)
    ).fetchall()
    return {int(r[0]) for r in rows}


def illustrated_books(conn: sqlite3.Connection) -> set[int]:
    rows = conn.execute(f"SELECT DISTINCT book FROM images WHERE {_SHOWN}").fetchall()
    return {int(r[0]) for r in rows}


def image_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute(f"SELECT count(*) FROM images WHERE {_SHOWN}").fetchone()[0])


def image_files(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(id, file) of every shown image."""
    return [(r[0], r[1]) for r in conn.execute(f"SELECT id, file FROM images WHERE {_SHOWN}")]


# model stats ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatRow:
    provider: str
    model: str
    resolution: str
    count: int
    avg_seconds: float


def get_stat(
    conn: sqlite3.Connection, provider: str, model: str, resolution: str
) -> StatRow | None:
    found = conn.execute(
        "SELECT provider, model, resolution, count, avg_seconds FROM model_stats"
        " WHERE provider = ? AND model = ? AND resolution = ?",
        (provider, model, resolution),
    ).fetchone()
    return StatRow(*found) if found else None


def put_stat(conn: sqlite3.Connection, stat: StatRow, now: datetime) -> None:
    conn.execute(
        "INSERT INTO model_stats (provider, model, resolution, count, avg_seconds, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (provider, model, resolution) DO UPDATE SET"
        " count = excluded.count, avg_seconds = excluded.avg_seconds,"
        " updated_at = excluded.updated_at",
        (stat.provider, stat.model, stat.resolution, stat.count, stat.avg_seconds, ts(now)),
    )


# model lists ---------------------------------------------------------------------------------


def get_model_list(conn: sqlite3.Connection, provider: str) -> tuple[datetime, str] | None:
    found = conn.execute(
        "SELECT fetched_at, body FROM model_lists WHERE provider = ?", (provider,)
    ).fetchone()
    return (datetime.fromisoformat(found[0]), found[1]) if found else None


def put_model_list(conn: sqlite3.Connection, provider: str, body: str, now: datetime) -> None:
    conn.execute(
        "INSERT INTO model_lists (provider, fetched_at, body) VALUES (?, ?, ?)"
        " ON CONFLICT (provider) DO UPDATE SET fetched_at = excluded.fetched_at,"
        " body = excluded.body",
        (provider, ts(now), body),
    )
