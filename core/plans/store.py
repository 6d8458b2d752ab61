"""The SQL of reading plans: the "plans" part of the user database. Every statement is
filtered by session: a visitor never reads or changes another visitor's plan."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from core.plans.schedule import Reading
from core.user_data import UserData

PART = "plans"
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE plan_runs (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL,
            name TEXT NOT NULL,
            title TEXT NOT NULL,
            started_on TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            dismissed_on TEXT,
            created_at TEXT NOT NULL
        )""",
        "CREATE UNIQUE INDEX plan_runs_one_active ON plan_runs (session_id) WHERE active = 1",
        """CREATE TABLE plan_days (
            run_id INTEGER NOT NULL REFERENCES plan_runs (id) ON DELETE CASCADE,
            day INTEGER NOT NULL,
            due TEXT NOT NULL,
            readings TEXT NOT NULL,
            done_at TEXT,
            PRIMARY KEY (run_id, day)
        )""",
    ),
)


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    name: str
    title: str
    started_on: date
    dismissed_on: date | None


@dataclass(frozen=True, slots=True)
class DayRow:
    day: int
    """1 for the plan's first day's portion, in reading order."""
    due: date
    readings: tuple[Reading, ...]
    done_at: datetime | None


def _encode(found: Sequence[Reading]) -> str:
    return json.dumps([[r.book, r.first, r.last] for r in found], separators=(",", ":"))


def _decode(text: str) -> tuple[Reading, ...]:
    return tuple(Reading(int(b), int(f), int(la)) for b, f, la in json.loads(text))


def active_run(data: UserData) -> RunRow | None:
    row = data.conn.execute(
        "SELECT id, name, title, started_on, dismissed_on FROM plan_runs"
        " WHERE session_id = ? AND active = 1",
        (data.session_id,),
    ).fetchone()
    if row is None:
        return None
    dismissed = date.fromisoformat(row[4]) if row[4] else None
    return RunRow(row[0], row[1], row[2], date.fromisoformat(row[3]), dismissed)


def days_of(data: UserData, run_id: int) -> list[DayRow]:
    rows = data.conn.execute(
        "SELECT d.day, d.due, d.readings, d.done_at FROM plan_days d"
        " JOIN plan_runs r ON r.id = d.run_id"
        " WHERE d.run_id = ? AND r.session_id = ? ORDER BY d.day",
        (run_id, data.session_id),
    ).fetchall()
    return [
        DayRow(
            day,
            date.fromisoformat(due),
            _decode(found),
            datetime.fromisoformat(done) if done else None,
        )
        for day, due, found, done in rows
    ]


def start_run(
    conn: sqlite3.Connection,
    session_id: str,
    name: str,
    title: str,
    days: Iterable[tuple[date, Sequence[Reading]]],
    started_on: date,
    now: datetime,
) -> int:
    """Inside the caller's transaction: end the session's active plan (kept, inactive) and
    start this one."""
    conn.execute(
        "UPDATE plan_runs SET active = 0 WHERE session_id = ? AND active = 1", (session_id,)
    )
    cursor = conn.execute(
        "INSERT INTO plan_runs (session_id, name, title, started_on, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (session_id, name, title, started_on.isoformat(), now.isoformat()),
    )
    run_id = cursor.lastrowid
    assert run_id is not None
    conn.executemany(
        "INSERT INTO plan_days (run_id, day, due, readings) VALUES (?, ?, ?, ?)",
        [(run_id, i, due.isoformat(), _encode(found)) for i, (due, found) in enumerate(days, 1)],
    )
    return run_id


def _owned(conn: sqlite3.Connection, session_id: str, run_id: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM plan_runs WHERE id = ? AND session_id = ? AND active = 1",
        (run_id, session_id),
    ).fetchone()
    return row is not None


def mark_done(
    conn: sqlite3.Connection, session_id: str, run_id: int, days: Sequence[int], now: datetime
) -> int:
    """Inside the caller's transaction; how many of ``days`` were not done before."""
    if not _owned(conn, session_id, run_id):
        return 0
    changed = 0
    for day in days:
        changed += conn.execute(
            "UPDATE plan_days SET done_at = ? WHERE run_id = ? AND day = ? AND done_at IS NULL",
            (now.isoformat(), run_id, day),
        ).rowcount
    return changed


def move(conn: sqlite3.Connection, session_id: str, run_id: int, dues: dict[int, date]) -> None:
    """Inside the caller's transaction: give days new due dates."""
    if not _owned(conn, session_id, run_id):
        return
    conn.executemany(
        "UPDATE plan_days SET due = ? WHERE run_id = ? AND day = ?",
        [(due.isoformat(), run_id, day) for day, due in dues.items()],
    )


def dismiss(conn: sqlite3.Connection, session_id: str, run_id: int, on: date) -> None:
    conn.execute(
        "UPDATE plan_runs SET dismissed_on = ? WHERE id = ? AND session_id = ?",
        (on.isoformat(), run_id, session_id),
    )
