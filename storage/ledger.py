"""The ledger database: sessions, the append-only credit ledger, holds, invoices, admin state.

The database itself keeps the money rules, so no code path can forget one:

- ``entries`` is append-only (triggers refuse UPDATE and DELETE).
- Each session's ``balance`` and ``held`` are maintained by triggers in the same transaction
  as the entry or hold that changes them, and CHECK constraints refuse any transaction that
  would leave ``balance < 0`` or ``held > balance``.
- A payment hash can be credited once (UNIQUE), a hold charged once (UNIQUE hold_id).

Every money movement is one ``BEGIN IMMEDIATE`` transaction. ``ledger --verify`` recomputes
everything from the entries and holds and compares (see ``verify``).
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from storage.private import create_private_file, private_folder, tighten

# Each migration is a list of statements, applied in one transaction; the database's
# ``user_version`` is the number of migrations applied.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE sessions (
            id            TEXT PRIMARY KEY,
            created_at    TEXT NOT NULL,
            last_seen_at  TEXT NOT NULL,
            is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
            admin_since   TEXT,
            balance       INTEGER NOT NULL DEFAULT 0,
            held          INTEGER NOT NULL DEFAULT 0,
            CHECK (balance >= 0),
            CHECK (held >= 0 AND held <= balance)
        )""",
        """CREATE TABLE invoices (
            payment_hash  TEXT PRIMARY KEY,
            session_id    TEXT NOT NULL REFERENCES sessions(id),
            credits       INTEGER NOT NULL CHECK (credits > 0),
            state         TEXT NOT NULL DEFAULT 'open'
                          CHECK (state IN ('open', 'settled', 'expired')),
            created_at    TEXT NOT NULL,
            settled_at    TEXT
        )""",
        "CREATE INDEX invoices_by_session ON invoices (session_id, created_at)",
        """CREATE TABLE images (
            id            TEXT PRIMARY KEY,
            session_id    TEXT NOT NULL REFERENCES sessions(id),
            created_at    TEXT NOT NULL
        )""",
        """CREATE TABLE holds (
            id            INTEGER PRIMARY KEY,
            session_id    TEXT NOT NULL REFERENCES sessions(id),
            amount        INTEGER NOT NULL CHECK (amount > 0),
            purpose       TEXT NOT NULL,
            state         TEXT NOT NULL DEFAULT 'open'
                          CHECK (state IN ('open', 'charged', 'released')),
            created_at    TEXT NOT NULL,
            closed_at     TEXT
        )""",
        "CREATE INDEX holds_open ON holds (state, created_at)",
        "CREATE INDEX holds_by_session ON holds (session_id, created_at)",
        """CREATE TABLE entries (
            id            INTEGER PRIMARY KEY,
            session_id    TEXT NOT NULL REFERENCES sessions(id),
            kind          TEXT NOT NULL CHECK (kind IN ('purchase', 'charge', 'grant', 'adjust')),
            amount        INTEGER NOT NULL CHECK (amount != 0),
            payment_hash  TEXT UNIQUE REFERENCES invoices(payment_hash),
            hold_id       INTEGER UNIQUE REFERENCES holds(id),
            image_id      TEXT REFERENCES images(id),
            note          TEXT,
            created_at    TEXT NOT NULL,
            CHECK (kind != 'purchase' OR (amount > 0 AND payment_hash IS NOT NULL)),
            CHECK (kind != 'charge'
                   OR (amount < 0 AND hold_id IS NOT NULL AND image_id IS NOT NULL)),
            CHECK (kind != 'grant' OR amount > 0),
            CHECK (kind = 'purchase' OR payment_hash IS NULL),
            CHECK (kind = 'charge' OR (hold_id IS NULL AND image_id IS NULL))
        )""",
        "CREATE INDEX entries_by_session ON entries (session_id, id)",
        "CREATE INDEX charges_by_day ON entries (session_id, kind, created_at)",
        """CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
           BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END""",
        """CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
           BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END""",
        """CREATE TRIGGER entries_balance AFTER INSERT ON entries
           BEGIN UPDATE sessions SET balance = balance + NEW.amount WHERE id = NEW.session_id;
           END""",
        """CREATE TRIGGER holds_placed AFTER INSERT ON holds WHEN NEW.state = 'open'
           BEGIN UPDATE sessions SET held = held + NEW.amount WHERE id = NEW.session_id; END""",
        """CREATE TRIGGER holds_closed AFTER UPDATE OF state ON holds
           WHEN OLD.state = 'open' AND NEW.state != 'open'
           BEGIN UPDATE sessions SET held = held - OLD.amount WHERE id = OLD.session_id; END""",
        """CREATE TRIGGER holds_final BEFORE UPDATE OF state ON holds
           WHEN OLD.state != 'open'
           BEGIN SELECT RAISE(ABORT, 'a closed hold cannot change'); END""",
        """CREATE TABLE rate_events (
            session_id    TEXT NOT NULL,
            kind          TEXT NOT NULL,
            at            TEXT NOT NULL
        )""",
        "CREATE INDEX rate_events_recent ON rate_events (session_id, kind, at)",
        """CREATE TABLE admin_attempts (
            id            INTEGER PRIMARY KEY,
            at            TEXT NOT NULL,
            session_id    TEXT,
            ok            INTEGER NOT NULL CHECK (ok IN (0, 1))
        )""",
        """CREATE TABLE admin_lockout (
            id            INTEGER PRIMARY KEY CHECK (id = 1),
            lockouts      INTEGER NOT NULL DEFAULT 0,
            locked_until  TEXT,
            counting_from TEXT
        )""",
        "INSERT INTO admin_lockout (id, lockouts) VALUES (1, 0)",
        """CREATE TABLE audit (
            id            INTEGER PRIMARY KEY,
            at            TEXT NOT NULL,
            session_id    TEXT,
            event         TEXT NOT NULL,
            detail        TEXT NOT NULL DEFAULT ''
        )""",
    ],
    # 2: one charge per image; each session's spending per UTC day kept by a trigger (the
    # daily cap reads one row); Lightning invoices carry their frozen quote, our preimage and
    # LND's request; the settle index of the last LND settlement processed lets a restart
    # resume LND's invoice stream from it.
    [
        "CREATE UNIQUE INDEX charges_once_per_image ON entries (image_id)"
        " WHERE image_id IS NOT NULL",
        "DROP INDEX charges_by_day",
        """CREATE TABLE daily_spend (
            session_id    TEXT NOT NULL,
            day           TEXT NOT NULL,
            credits       INTEGER NOT NULL,
            PRIMARY KEY (session_id, day)
        ) WITHOUT ROWID""",
        """INSERT INTO daily_spend (session_id, day, credits)
           SELECT session_id, substr(created_at, 1, 10), -sum(amount) FROM entries
           WHERE kind = 'charge' GROUP BY 1, 2""",
        """CREATE TRIGGER entries_daily_spend AFTER INSERT ON entries WHEN NEW.kind = 'charge'
           BEGIN
             INSERT INTO daily_spend (session_id, day, credits)
             VALUES (NEW.session_id, substr(NEW.created_at, 1, 10), -NEW.amount)
             ON CONFLICT (session_id, day) DO UPDATE SET credits = credits - NEW.amount;
           END""",
        "ALTER TABLE invoices ADD COLUMN preimage_hex TEXT",
        "ALTER TABLE invoices ADD COLUMN payment_request TEXT",
        "ALTER TABLE invoices ADD COLUMN amount_sats INTEGER",
        "ALTER TABLE invoices ADD COLUMN usd TEXT",
        "ALTER TABLE invoices ADD COLUMN btc_usd TEXT",
        "ALTER TABLE invoices ADD COLUMN expires_at TEXT",
        """CREATE TABLE lnd_cursor (
            id            INTEGER PRIMARY KEY CHECK (id = 1),
            settle_index  INTEGER NOT NULL DEFAULT 0
        )""",
        "INSERT INTO lnd_cursor (id, settle_index) VALUES (1, 0)",
    ],
    # 3: illustrations. Each image row carries the whole transparency record of DESIGN.md
    # section 7 (rows from before this migration have none and are not shown); holds name the
    # process that placed them, so a crash's holds are released at the next start without
    # waiting for them to grow stale; per-model duration stats for the ETA; a day-long cache
    # of provider model lists.
    [
        *(
            f"ALTER TABLE images ADD COLUMN {column}"
            for column in (
                "book INTEGER",
                "chapter INTEGER",
                "verse INTEGER",
                "reference TEXT",
                "translation TEXT",
                "verse_text TEXT",
                "theme TEXT",
                "aspect_ratio TEXT",
                "prompt TEXT",
                "prompt_version INTEGER",
                "prompt_inputs TEXT",
                "provider TEXT",
                "model TEXT",
                "credits INTEGER CHECK (credits IS NULL OR credits >= 0)",
                "provider_cost TEXT",
                "duration_ms INTEGER",
                "width INTEGER",
                "height INTEGER",
                "mime TEXT",
                "size INTEGER",
                "sha256 TEXT",
                "file TEXT",
                "admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1))",
            )
        ),
        "CREATE INDEX images_by_verse ON images (book, chapter, verse, created_at)",
        "ALTER TABLE holds ADD COLUMN owner TEXT",
        """CREATE TABLE model_stats (
            provider      TEXT NOT NULL,
            model         TEXT NOT NULL,
            resolution    TEXT NOT NULL,
            count         INTEGER NOT NULL CHECK (count > 0),
            avg_seconds   REAL NOT NULL CHECK (avg_seconds >= 0),
            updated_at    TEXT NOT NULL,
            PRIMARY KEY (provider, model, resolution)
        ) WITHOUT ROWID""",
        """CREATE TABLE model_lists (
            provider      TEXT PRIMARY KEY,
            fetched_at    TEXT NOT NULL,
            body          TEXT NOT NULL
        )""",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)


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


_CONSTRAINT_LINES = ("CHECK constraint failed", "NULL value in ")


def page_damage(rows: list[tuple[object, ...]]) -> str | None:
    """The first line of ``quick_check``'s answer that speaks of damaged pages or indexes, or
    None. Rows that break a CHECK or NOT NULL constraint (a hand edit, not damage) are left
    to ``verify``, which names them."""
    for (line,) in rows:
        text = " ".join(str(line).split())
        if text != "ok" and not text.startswith(_CONSTRAINT_LINES):
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


# sessions ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: str
    created_at: str
    last_seen_at: str
    is_admin: bool
    admin_since: str | None
    balance: int
    held: int


_SESSION_COLS = "id, created_at, last_seen_at, is_admin, admin_since, balance, held"


def create_session(conn: sqlite3.Connection, sid: str, now: datetime) -> SessionRow:
    with transaction(conn):
        conn.execute(
            "INSERT INTO sessions (id, created_at, last_seen_at) VALUES (?, ?, ?)",
            (sid, ts(now), ts(now)),
        )
    row = get_session(conn, sid)
    assert row is not None
    return row


def get_session(conn: sqlite3.Connection, sid: str) -> SessionRow | None:
    row = conn.execute(f"SELECT {_SESSION_COLS} FROM sessions WHERE id = ?", (sid,)).fetchone()
    if row is None:
        return None
    return SessionRow(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6])


def sessions_with_prefix(conn: sqlite3.Connection, prefix: str, limit: int = 2) -> list[str]:
    """Ids starting with ``prefix`` (lowercase hex), at most ``limit``: one index range."""
    rows = conn.execute(
        "SELECT id FROM sessions WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
        (prefix, prefix + "g", limit),
    ).fetchall()
    return [r[0] for r in rows]


def has_sessions(conn: sqlite3.Connection) -> bool:
    return bool(conn.execute("SELECT EXISTS (SELECT 1 FROM sessions)").fetchone()[0])


def touch_session(conn: sqlite3.Connection, sid: str, now: datetime) -> None:
    conn.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?", (ts(now), sid))


def make_admin(conn: sqlite3.Connection, sid: str, now: datetime) -> None:
    """Admin is sticky: once set it is never cleared by anything in this module."""
    conn.execute(
        "UPDATE sessions SET is_admin = 1, admin_since = coalesce(admin_since, ?) WHERE id = ?",
        (ts(now), sid),
    )


# holds and entries ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HoldRow:
    id: int
    session_id: str
    amount: int
    purpose: str
    state: str
    created_at: str
    closed_at: str | None


@dataclass(frozen=True, slots=True)
class EntryRow:
    id: int
    session_id: str
    kind: str
    amount: int
    payment_hash: str | None
    hold_id: int | None
    image_id: str | None
    note: str | None
    created_at: str


_HOLD_COLS = "id, session_id, amount, purpose, state, created_at, closed_at"
_ENTRY_COLS = "id, session_id, kind, amount, payment_hash, hold_id, image_id, note, created_at"


def insert_hold(
    conn: sqlite3.Connection,
    sid: str,
    amount: int,
    purpose: str,
    now: datetime,
    owner: str | None = None,
) -> int:
    cur = conn.execute(
        "INSERT INTO holds (session_id, amount, purpose, created_at, owner) VALUES (?, ?, ?, ?, ?)",
        (sid, amount, purpose, ts(now), owner),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


def get_hold(conn: sqlite3.Connection, hold_id: int) -> HoldRow | None:
    row = conn.execute(f"SELECT {_HOLD_COLS} FROM holds WHERE id = ?", (hold_id,)).fetchone()
    return HoldRow(*row) if row else None


def close_hold(conn: sqlite3.Connection, hold_id: int, state: str, now: datetime) -> bool:
    """Close an open hold as 'charged' or 'released'; False if it was not open."""
    cur = conn.execute(
        "UPDATE holds SET state = ?, closed_at = ? WHERE id = ? AND state = 'open'",
        (state, ts(now), hold_id),
    )
    return cur.rowcount == 1


def open_hold_owners(conn: sqlite3.Connection) -> list[tuple[int, str | None, str]]:
    """(hold id, owner, created_at) of every open hold."""
    return [
        (r[0], r[1], r[2])
        for r in conn.execute(
            "SELECT id, owner, created_at FROM holds WHERE state = 'open'"
        ).fetchall()
    ]


def insert_entry(
    conn: sqlite3.Connection,
    sid: str,
    kind: str,
    amount: int,
    now: datetime,
    *,
    payment_hash: str | None = None,
    hold_id: int | None = None,
    image_id: str | None = None,
    note: str | None = None,
) -> int:
    cur = conn.execute(
        "INSERT INTO entries (session_id, kind, amount, payment_hash, hold_id, image_id, note,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (sid, kind, amount, payment_hash, hold_id, image_id, note, ts(now)),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


def entries(conn: sqlite3.Connection, sid: str, limit: int = 1000) -> list[EntryRow]:
    rows = conn.execute(
        f"SELECT {_ENTRY_COLS} FROM entries WHERE session_id = ? ORDER BY id DESC LIMIT ?",
        (sid, limit),
    ).fetchall()
    return [EntryRow(*r) for r in rows]


def open_holds(conn: sqlite3.Connection, sid: str) -> list[HoldRow]:
    rows = conn.execute(
        f"SELECT {_HOLD_COLS} FROM holds WHERE session_id = ? AND state = 'open' ORDER BY id",
        (sid,),
    ).fetchall()
    return [HoldRow(*r) for r in rows]


def charged_on(conn: sqlite3.Connection, sid: str, moment: datetime) -> int:
    """Credits charged to the session on ``moment``'s UTC day (kept by a trigger)."""
    row = conn.execute(
        "SELECT credits FROM daily_spend WHERE session_id = ? AND day = ?",
        (sid, ts(moment)[:10]),
    ).fetchone()
    return int(row[0]) if row else 0


# rate limits ---------------------------------------------------------------------------------


def nth_newest_event(
    conn: sqlite3.Connection, sid: str, kind: str, after: datetime, n: int
) -> str | None:
    """The time of the session's ``n``-th newest ``kind`` event after ``after``, or None when
    there are fewer than ``n``: one index seek, however busy the minute was."""
    row = conn.execute(
        "SELECT at FROM rate_events WHERE session_id = ? AND kind = ? AND at > ?"
        " ORDER BY at DESC LIMIT 1 OFFSET ?",
        (sid, kind, ts(after), n - 1),
    ).fetchone()
    return row[0] if row else None


def add_event(conn: sqlite3.Connection, sid: str, kind: str, now: datetime) -> None:
    conn.execute(
        "INSERT INTO rate_events (session_id, kind, at) VALUES (?, ?, ?)", (sid, kind, ts(now))
    )


def prune_events(conn: sqlite3.Connection, before: datetime) -> None:
    conn.execute("DELETE FROM rate_events WHERE at < ?", (ts(before),))


# audit ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: str
    session_id: str | None
    event: str
    detail: str


def audit(
    conn: sqlite3.Connection, event: str, sid: str | None, detail: str, now: datetime
) -> None:
    conn.execute(
        "INSERT INTO audit (at, session_id, event, detail) VALUES (?, ?, ?, ?)",
        (ts(now), sid, event, detail),
    )


def audit_rows(conn: sqlite3.Connection, limit: int = 1000) -> list[AuditRow]:
    rows = conn.execute(
        "SELECT id, at, session_id, event, detail FROM audit ORDER BY id DESC LIMIT ?", (limit,)
    ).fetchall()
    return [AuditRow(*r) for r in rows]


# verification --------------------------------------------------------------------------------


def _rows(conn: sqlite3.Connection, sql: str, fmt: Callable[..., str]) -> list[str]:
    return [fmt(*r) for r in conn.execute(sql).fetchall()]


VERIFY_CHECKS: list[tuple[str, str, Callable[..., str]]] = [
    (
        "balance is the sum of the session's entries",
        """SELECT s.id, s.balance, coalesce(sum(e.amount), 0) FROM sessions s
           LEFT JOIN entries e ON e.session_id = s.id GROUP BY s.id
           HAVING s.balance != coalesce(sum(e.amount), 0)""",
        lambda sid, stored, real: f"session {sid}: stored balance {stored}, entries sum to {real}",
    ),
    (
        "balance >= 0",
        "SELECT id, balance FROM sessions WHERE balance < 0",
        lambda sid, bal: f"session {sid}: balance {bal}",
    ),
    (
        "held is the sum of open holds",
        """SELECT s.id, s.held, coalesce(sum(h.amount), 0) FROM sessions s
           LEFT JOIN holds h ON h.session_id = s.id AND h.state = 'open' GROUP BY s.id
           HAVING s.held != coalesce(sum(h.amount), 0)""",
        lambda sid, stored, real: f"session {sid}: stored held {stored}, open holds sum to {real}",
    ),
    (
        "available = balance - open holds >= 0",
        "SELECT id, balance, held FROM sessions WHERE balance - held < 0",
        lambda sid, bal, held: f"session {sid}: balance {bal} but {held} held",
    ),
    (
        "every purchase references one settled invoice of its session, for its credits",
        """SELECT e.id, e.payment_hash, coalesce(i.state, 'missing') FROM entries e
           LEFT JOIN invoices i ON i.payment_hash = e.payment_hash
           WHERE e.kind = 'purchase' AND (i.payment_hash IS NULL OR i.state != 'settled'
                 OR i.session_id != e.session_id OR i.credits != e.amount)""",
        lambda eid, ph, state: f"entry {eid}: purchase of invoice {ph} (invoice {state})",
    ),
    (
        "every settled invoice is credited once",
        """SELECT i.payment_hash FROM invoices i LEFT JOIN entries e
           ON e.payment_hash = i.payment_hash AND e.kind = 'purchase'
           WHERE i.state = 'settled' AND e.id IS NULL""",
        lambda ph: f"invoice {ph}: settled but never credited",
    ),
    (
        "every charge references one saved image and one charged hold of the same amount",
        """SELECT e.id, e.image_id, e.hold_id FROM entries e
           LEFT JOIN images im ON im.id = e.image_id
           LEFT JOIN holds h ON h.id = e.hold_id
           WHERE e.kind = 'charge' AND (im.id IS NULL OR h.id IS NULL OR h.state != 'charged'
                 OR h.amount != -e.amount OR h.session_id != e.session_id)""",
        lambda eid, img, hold: f"entry {eid}: charge for image {img} / hold {hold} does not match",
    ),
    (
        "every charged hold has its charge entry",
        """SELECT h.id FROM holds h LEFT JOIN entries e ON e.hold_id = h.id
           WHERE h.state = 'charged' AND e.id IS NULL""",
        lambda hid: f"hold {hid}: charged but no charge entry",
    ),
    (
        "a charged image belongs to the session charged for it",
        """SELECT e.id, e.image_id FROM entries e JOIN images im ON im.id = e.image_id
           WHERE e.kind = 'charge' AND im.session_id != e.session_id""",
        lambda eid, img: f"entry {eid}: image {img} belongs to another session",
    ),
    (
        "daily spending totals match the charges",
        """SELECT d.session_id, d.day, d.credits, coalesce(c.total, 0) FROM daily_spend d
           LEFT JOIN (SELECT session_id, substr(created_at, 1, 10) AS day, -sum(amount) AS total
                      FROM entries WHERE kind = 'charge' GROUP BY 1, 2) c
           ON c.session_id = d.session_id AND c.day = d.day
           WHERE d.credits != coalesce(c.total, 0)""",
        lambda sid, day, stored, real: f"session {sid} on {day}: {stored} recorded, {real} charged",
    ),
    (
        "images are charged at most once",
        """SELECT image_id, count(*) FROM entries WHERE kind = 'charge'
           GROUP BY image_id HAVING count(*) > 1""",
        lambda img, n: f"image {img}: charged {n} times",
    ),
]


SCHEMA_CHECK = "every row meets the schema's CHECK and NOT NULL constraints"


def verify(conn: sqlite3.Connection) -> list[tuple[str, list[str]]]:
    """Each invariant with the rows that break it (empty lists when all hold).

    SQLite's ``quick_check`` comes first, every time: invariants computed from damaged pages
    prove nothing, so a file that fails it raises ``LedgerDamaged`` and is never called
    healthy. The checks run in one read transaction, so they see one consistent snapshot.
    """
    path = file_of(conn)
    try:
        conn.execute("BEGIN")
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
            damage = page_damage(rows)
            if damage:
                raise LedgerDamaged(path, damage)
            broken = [str(r[0]) for r in rows if str(r[0]).startswith(_CONSTRAINT_LINES)]
            checks = [(name, _rows(conn, sql, fmt)) for name, sql, fmt in VERIFY_CHECKS]
            return [(SCHEMA_CHECK, broken), *checks]
        finally:
            conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            raise LedgerDamaged(path, str(exc)) from exc
        raise LedgerError(f"The credit ledger at {path} could not be read ({exc}).") from exc


def file_of(conn: sqlite3.Connection) -> Path:
    """The file behind ``conn`` (for messages)."""
    for _, name, file in conn.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return Path(file)
    return Path("?")


def data_version(conn: sqlite3.Connection) -> int:
    """Changes whenever another connection commits: a cheap way to notice outside writes."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0])
