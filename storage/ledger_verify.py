"""``ledger --verify``: every money invariant recomputed from the entries and holds.

Each check is one query that returns the rows breaking it, so a healthy ledger answers with
empty lists and a broken one names the sessions, entries and holds at fault.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from storage.ledger_db import (
    CONSTRAINT_LINES,
    LedgerDamaged,
    LedgerError,
    file_of,
    is_damage,
    page_damage,
)


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
            broken = [str(r[0]) for r in rows if str(r[0]).startswith(CONSTRAINT_LINES)]
            checks = [(name, _rows(conn, sql, fmt)) for name, sql, fmt in VERIFY_CHECKS]
            return [(SCHEMA_CHECK, broken), *checks]
        finally:
            conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            raise LedgerDamaged(path, str(exc)) from exc
        raise LedgerError(f"The credit ledger at {path} could not be read ({exc}).") from exc
