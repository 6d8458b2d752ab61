"""The ledger database: sessions, the append-only credit ledger, holds and rate events.

The database itself keeps the money rules, so no code path can forget one:

- ``entries`` is append-only (triggers refuse UPDATE and DELETE).
- Each session's ``balance`` and ``held`` are maintained by triggers in the same transaction
  as the entry or hold that changes them, and CHECK constraints refuse any transaction that
  would leave ``balance < 0`` or ``held > balance``.
- A payment hash can be credited once (UNIQUE), a hold charged once (UNIQUE hold_id).

Every money movement is one ``BEGIN IMMEDIATE`` transaction. ``ledger --verify`` recomputes
everything from the entries and holds and compares (see ``verify``).

Its neighbours: ``ledger_db`` (connection, integrity check, transactions), ``ledger_schema``
(migrations), ``ledger_verify``, ``admin`` (lockout and audit), ``invoices``, ``images``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

# The connection, schema, audit and verification live in their own modules; callers keep
# using ``storage.ledger`` for all of it (``X as X`` marks a re-export).
from storage.admin import AuditRow as AuditRow
from storage.admin import audit as audit
from storage.admin import audit_rows as audit_rows
from storage.ledger_db import LedgerBusy as LedgerBusy
from storage.ledger_db import LedgerConnection as LedgerConnection
from storage.ledger_db import LedgerDamaged as LedgerDamaged
from storage.ledger_db import LedgerError as LedgerError
from storage.ledger_db import check_integrity as check_integrity
from storage.ledger_db import connect as connect
from storage.ledger_db import data_version as data_version
from storage.ledger_db import file_of as file_of
from storage.ledger_db import is_damage as is_damage
from storage.ledger_db import page_damage as page_damage
from storage.ledger_db import transaction as transaction
from storage.ledger_db import ts as ts
from storage.ledger_schema import MIGRATIONS as MIGRATIONS
from storage.ledger_schema import SCHEMA_VERSION as SCHEMA_VERSION
from storage.ledger_verify import SCHEMA_CHECK as SCHEMA_CHECK
from storage.ledger_verify import VERIFY_CHECKS as VERIFY_CHECKS
from storage.ledger_verify import verify as verify

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
