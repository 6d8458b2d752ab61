"""SQL for admin login attempts, the single lockout row and the audit log (tables made in
``storage.ledger_schema``).

The lockout functions are meant to run inside ``storage.ledger.transaction`` so that reading the
lockout, recording the attempt and updating the lockout are one atomic step: two processes
guessing at once cannot both slip past the fifth failure.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from storage.ledger_db import ts


@dataclass(frozen=True, slots=True)
class LockoutRow:
    lockouts: int
    """Lockouts since the last successful login; each one doubles the next lock."""
    locked_until: datetime | None
    counting_from: datetime | None
    """Failures at or before this time no longer count towards a lock."""


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def record_attempt(conn: sqlite3.Connection, sid: str | None, ok: bool, now: datetime) -> None:
    conn.execute(
        "INSERT INTO admin_attempts (at, session_id, ok) VALUES (?, ?, ?)",
        (ts(now), sid, int(ok)),
    )


def last_attempt_at(conn: sqlite3.Connection) -> datetime | None:
    at = conn.execute("SELECT max(at) FROM admin_attempts").fetchone()[0]
    return _time(at)


def failures_after(conn: sqlite3.Connection, after: datetime) -> int:
    """Failed attempts strictly after ``after`` (from any session: the lock is global)."""
    count = conn.execute(
        "SELECT count(*) FROM admin_attempts WHERE ok = 0 AND at > ?", (ts(after),)
    ).fetchone()[0]
    return int(count)


def get_lockout(conn: sqlite3.Connection) -> LockoutRow:
    row = conn.execute(
        "SELECT lockouts, locked_until, counting_from FROM admin_lockout WHERE id = 1"
    ).fetchone()
    if row is None:  # the migration inserts it; a missing row means "never locked"
        return LockoutRow(0, None, None)
    return LockoutRow(int(row[0]), _time(row[1]), _time(row[2]))


def set_lockout(
    conn: sqlite3.Connection,
    lockouts: int,
    locked_until: datetime | None,
    counting_from: datetime | None,
) -> None:
    conn.execute(
        "INSERT INTO admin_lockout (id, lockouts, locked_until, counting_from)"
        " VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET lockouts = excluded.lockouts,"
        " locked_until = excluded.locked_until, counting_from = excluded.counting_from",
        (
            lockouts,
            ts(locked_until) if locked_until else None,
            ts(counting_from) if counting_from else None,
        ),
    )


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
