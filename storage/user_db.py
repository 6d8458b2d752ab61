"""The reader's own things (bookmarks, highlights, notes, reading plans, the place read when
served): one SQLite file beside the ledger, never inside it, so no money rule touches them
and a damaged one never stops a payment.

Every row belongs to a session (DESIGN.md section 12): when Verselight is served, each visitor
keeps their own, and a session moved by ``session export/import`` takes them along (the token
names the session; the rows stay keyed by its id).

Each feature owns a *part* of the schema, with its own list of migrations, applied on first
use (``ensure_part``). Parts are independent: adding one never renumbers another's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from storage.ledger_db import LedgerConnection, is_damage, page_damage
from storage.ledger_db import transaction as _transaction
from storage.private import create_private_file, private_folder, tighten

FILE_NAME = "user.sqlite"


class UserDataError(Exception):
    """The user database cannot be used. ``str()`` is a sentence for the user."""


class UserDataDamaged(UserDataError):
    """The file failed SQLite's check: nothing may write to it."""


def connect(path: Path, *, timeout: float = 10.0) -> sqlite3.Connection:
    """Open (creating 0600 in a 0700 folder) the user database; refuse a damaged one."""
    try:
        private_folder(path.parent)
        created = create_private_file(path)
    except OSError as exc:
        raise UserDataError(
            f"Your notes and marks at {path} cannot be opened ({exc.strerror})."
        ) from exc
    if not created and path.stat().st_size:
        _check(path, timeout)
    try:
        conn = sqlite3.connect(
            path,
            timeout=timeout,
            isolation_level=None,
            check_same_thread=False,
            factory=LedgerConnection,
        )
        conn.busy_wait = timeout
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS parts (name TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        )
    except sqlite3.Error as exc:
        if is_damage(exc):
            raise UserDataDamaged(_damaged(path, str(exc))) from exc
        raise UserDataError(f"Your notes and marks at {path} cannot be used ({exc}).") from exc
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        tighten(name)
    return conn


def _damaged(path: Path, detail: str) -> str:
    return f"Your notes and marks at {path} are damaged ({detail}); the file was left untouched."


def _check(path: Path, timeout: float) -> None:
    uri = f"{path.absolute().as_uri()}?mode=ro"
    try:
        ro = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
        try:
            rows = ro.execute("PRAGMA quick_check").fetchall()
        finally:
            ro.close()
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            raise UserDataDamaged(_damaged(path, str(exc))) from exc
        raise UserDataError(f"Your notes and marks at {path} cannot be read ({exc}).") from exc
    problem = page_damage(rows)
    if problem:
        raise UserDataDamaged(_damaged(path, problem))


def ensure_part(conn: sqlite3.Connection, name: str, migrations: Sequence[Sequence[str]]) -> None:
    """Bring part ``name`` of the schema up to ``len(migrations)``; a part written by a newer
    Verselight is refused rather than misread."""
    wanted = len(migrations)
    if _version(conn, name) == wanted:
        return
    with transaction(conn):
        version = _version(conn, name)  # another process may have migrated meanwhile
        if version > wanted:
            raise UserDataError(
                f"Your {name} were saved by a newer Verselight; update this one to use them."
            )
        for statements in migrations[version:]:
            for statement in statements:
                conn.execute(statement)
        conn.execute(
            "INSERT INTO parts (name, version) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET version = excluded.version",
            (name, wanted),
        )


def _version(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT version FROM parts WHERE name = ?", (name,)).fetchone()
    return int(row[0]) if row else 0


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` with fair retries (the ledger's own, ``storage.ledger_db``)."""
    with _transaction(conn) as c:
        yield c
