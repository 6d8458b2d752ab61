"""Opening the ledger database: integrity check, migrations, and the one way to write.

``connect`` checks an existing file before anything may write to it and applies
``storage.ledger_schema.MIGRATIONS``; ``transaction`` is the ``BEGIN IMMEDIATE`` every money
movement runs in, with fair retries while another process holds the lock.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from storage.ledger_schema import MIGRATIONS, SCHEMA_VERSION
from storage.private import create_private_file, private_folder, tighten


class LedgerError(Exception):
    """The ledger database cannot be used. ``str()`` is a sentence for the user."""


class LedgerConnection(sqlite3.Connection):
    """A connection that knows how long its writers may wait for the lock."""

    busy_wait: float = 10.0


def ts(moment: datetime) -> str:
    """The one text form of a time in this database: UTC, microseconds, sortable as text."""
    if moment.tzinfo is None:
        raise ValueError("ledger times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def connect(path: Path, *, timeout: float = 10.0, empty_ok: bool = True) -> sqlite3.Connection:
    """Open the ledger, creating or migrating it. Refuses files it cannot trust.

    An existing file is checked (``check_integrity``) before anything may write to it, so a
    damaged ledger is never written, not even by SQLite's own WAL set-up or a checkpoint.
    ``empty_ok=False`` says this installation already had sessions: an empty file is then
    damage (``LedgerDamaged``), not a first run, and is left untouched.
    """
    try:
        private_folder(path.parent)
        created = create_private_file(path)
    except OSError as exc:
        raise LedgerError(
            f"The credit ledger at {path} cannot be opened ({_os_words(exc)})."
        ) from exc
    if not created:
        check_integrity(path, timeout=timeout, empty_ok=empty_ok)
    try:
        conn = sqlite3.connect(
            path,
            timeout=timeout,
            isolation_level=None,
            check_same_thread=False,
            factory=LedgerConnection,
        )
        conn.busy_wait = timeout
    except (OSError, sqlite3.Error) as exc:
        raise LedgerError(f"The credit ledger at {path} cannot be opened ({exc}).") from exc
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        if conn.execute("PRAGMA user_version").fetchone()[0] > SCHEMA_VERSION:
            raise LedgerError(
                f"The credit ledger at {path} was written by a newer Verselight; update this one."
            )
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        # WAL + NORMAL: every commit survives an app crash and the database is always
        # consistent; a power cut may lose the last commits whole (never half of one).
        conn.execute("PRAGMA synchronous = NORMAL")
        _migrate(conn, path)
    except sqlite3.Error as exc:
        conn.close()
        if is_damage(exc):
            raise LedgerDamaged(path, str(exc)) from exc
        raise LedgerError(f"The credit ledger at {path} cannot be used ({exc}).") from exc
    except LedgerError:
        conn.close()
        raise
    for name in (path, *_companions(path)):  # files an older version made with the umask's mode
        tighten(name)
    return conn


def _companions(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def _os_words(exc: OSError) -> str:
    return (exc.strerror or exc.__class__.__name__).rstrip(".").lower()


class LedgerDamaged(LedgerError):
    """The file failed SQLite's integrity check, is not a database, or is empty where a ledger
    must exist. Nothing may write to it: it is evidence, and may still be recoverable."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(
            f"The credit ledger at {path} is damaged ({detail}); it was left untouched."
        )


_DAMAGE_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_checked: set[tuple[str, int, int, int, int]] = set()
"""Files that passed ``check_integrity`` in this process, by path, device, inode, size and
modification time: the start-up path opens the ledger several times and checks it once."""
_checked_lock = threading.Lock()


def is_damage(exc: sqlite3.Error) -> bool:
    """Whether SQLite's error says the file itself is corrupt (not busy, locked or missing)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _DAMAGE_CODES


def check_integrity(path: Path, *, timeout: float = 10.0, empty_ok: bool = True) -> None:
    """Raise ``LedgerDamaged`` unless ``path`` passes ``PRAGMA quick_check``.

    The check runs on a read-only connection (``mode=ro``), which can neither write the file
    nor checkpoint its ``-wal`` into it. ``quick_check`` reads every page of a 100,000-entry
    ledger in 30-55 ms (``benchmarks/bench_ledger_check.py``), so it runs at start, once
    per process and file version.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        raise LedgerError(
            f"The credit ledger at {path} cannot be read ({_os_words(exc)})."
        ) from exc
    if st.st_size == 0:
        if empty_ok:
            return
        raise LedgerDamaged(path, "it is empty, yet this installation has sessions")
    key = (str(path.absolute()), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    with _checked_lock:
        if key in _checked:
            return
    problems = _quick_check(path, timeout)
    if problems:
        raise LedgerDamaged(path, problems)
    with _checked_lock:
        _checked.add(key)


def _quick_check(path: Path, timeout: float) -> str | None:
    """What ``quick_check`` finds wrong (its first line), or None when the file is sound."""
    uri = f"{path.absolute().as_uri()}?mode=ro"
    try:
        ro = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise LedgerError(f"The credit ledger at {path} cannot be read ({exc}).") from exc
    try:
        ro.execute("PRAGMA mmap_size = 268435456")  # a read-only mapping: fewer copies
        rows = ro.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            return str(exc)
        raise LedgerError(f"The credit ledger at {path} cannot be read ({exc}).") from exc
    finally:
        ro.close()
    return page_damage(rows)


CONSTRAINT_LINES = ("CHECK constraint failed", "NULL value in ")


def page_damage(rows: list[tuple[object, ...]]) -> str | None:
    """The first line of ``quick_check``'s answer that speaks of damaged pages or indexes, or
    None. Rows that break a CHECK or NOT NULL constraint (a hand edit, not damage) are left
    to ``verify``, which names them."""
    for (line,) in rows:
        text = " ".join(str(line).split())
        if text != "ok" and not text.startswith(CONSTRAINT_LINES):
            return f"integrity check: {text[:100]}"
    return None


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    with transaction(conn):
        # Another process may have migrated while we waited for the write lock.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")


class LedgerBusy(LedgerError):
    """Another process held the ledger's write lock for the whole wait."""


_BUSY_SLICE_MS = 2


def _begin(conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, retried with short random pauses until the connection's timeout.

    SQLite's own busy handler backs off to 100 ms naps, so under contention one process can
    starve for seconds while others take the lock again and again. Short jittered retries
    keep the waiting fair.
    """
    wait = getattr(conn, "busy_wait", 10.0)
    deadline = time.monotonic() + wait
    conn.execute(f"PRAGMA busy_timeout = {_BUSY_SLICE_MS}")
    try:
        _begin_with_retries(conn, deadline)
    finally:
        # Other statements (reads while another connection closes) wait SQLite's way.
        conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")


def _begin_with_retries(conn: sqlite3.Connection, deadline: float) -> None:
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise LedgerBusy(
                    "The credit ledger is busy (another Verselight is writing to it); "
                    "nothing was changed. Try again in a moment."
                ) from exc
            time.sleep(random.uniform(0.0002, 0.002))


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on any error."""
    _begin(conn)
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def file_of(conn: sqlite3.Connection) -> Path:
    """The file behind ``conn`` (for messages)."""
    for _, name, file in conn.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return Path(file)
    return Path("?")


def data_version(conn: sqlite3.Connection) -> int:
    """Changes whenever another connection commits: a cheap way to notice outside writes."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0])
