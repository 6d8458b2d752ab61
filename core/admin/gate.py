"""Admin login with a lockout that survives restarts (DESIGN.md section 8).

Policy: 5 wrong passwords within 15 minutes lock admin login for 1 h; each further lockout
doubles the lock (2 h, 4 h, ...) up to 24 h. The lock is global, not per session: sessions
are free to make, so a per-session lock would stop nobody.

- Only failures after ``counting_from`` count. It moves to "now" at each lockout and each
  success, so the failures that caused one lock are not counted again towards the next.
- ``lockouts`` goes back to 0 only after a successful login: an attacker who waits out each
  lock keeps doubling it, while the real admin's success clears the history.
- While locked the password is not checked at all, so a lock also stops guessing.

Attempts are ordered by their times, so an attempt's time is never at or before the last
recorded attempt or ``counting_from``: if the clock reads earlier (stepped back, or frozen in a
test) the attempt is placed 1 microsecond later. Otherwise a clock set back after a success
would make every new failure look older than ``counting_from`` and never count.

Each attempt is one ``BEGIN IMMEDIATE`` transaction (lock check, password check, attempt,
lockout update, audit entry), so concurrent processes see one consistent count. The password
itself is never stored, logged or audited.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.admin import audit
from core.admin.passwords import Verifier
from core.billing.ledger import Ledger, UnknownSession
from storage import admin as store
from storage import ledger as db

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
FIRST_LOCK = timedelta(hours=1)
MAX_LOCK = timedelta(hours=24)


def lock_duration(lockouts: int) -> timedelta:
    """How long the ``lockouts``-th lockout (1-based) lasts: 1 h doubling, at most 24 h."""
    if lockouts >= 6:  # 2**5 h already passes the cap; avoid huge multipliers
        return MAX_LOCK
    return min(FIRST_LOCK * (1 << max(0, lockouts - 1)), MAX_LOCK)


def format_duration(delta: timedelta) -> str:
    """'59 min', '1 h', '2 h 30 min': started minutes count as whole ones (so '0 min' is never
    shown), ignoring the sub-second part."""
    minutes = max(1, math.ceil(int(delta.total_seconds()) / 60))
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h" if not minutes else f"{hours} h {minutes} min"


@dataclass(frozen=True, slots=True)
class LoginResult:
    ok: bool
    locked_for: timedelta | None
    """Set when login is (now) locked: how long until it may be tried again."""
    message: str


def _locked_message(left: timedelta) -> str:
    return f"Admin login is locked for {format_duration(left)} after too many wrong passwords."


class AdminGate:
    """Checks admin logins against ``verifier`` and keeps the lockout in the ledger database."""

    def __init__(self, ledger: Ledger, verifier: Verifier) -> None:
        self.ledger = ledger
        self.verifier = verifier

    def is_locked(self) -> timedelta | None:
        """How long login stays locked, or None if a password may be tried now."""
        row = store.get_lockout(self.ledger.conn)
        return self._left(row.locked_until, self.ledger.clock())

    @staticmethod
    def _left(locked_until: datetime | None, now: datetime) -> timedelta | None:
        if locked_until is None or now >= locked_until:
            return None
        return locked_until - now

    def login(self, session_id: str, password: str) -> LoginResult:
        """One attempt. A success makes the session admin for good (admin is sticky)."""
        conn = self.ledger.conn
        with db.transaction(conn):
            now = self.ledger.clock()  # read after taking the write lock, so attempts are ordered
            if db.get_session(conn, session_id) is None:
                raise UnknownSession(session_id)
            row = store.get_lockout(conn)
            left = self._left(row.locked_until, now)
            if left is not None:
                audit.write(
                    conn, now, "admin_login_locked", session_id, {"locked_until": row.locked_until}
                )
                return LoginResult(False, left, _locked_message(left))
            now = self._attempt_time(row, now)
            if self.verifier.check(password):
                store.record_attempt(conn, session_id, True, now)
                store.set_lockout(conn, 0, None, now)
                db.make_admin(conn, session_id, now)
                audit.write(
                    conn, now, "admin_login_ok", session_id, {"lockouts_before": row.lockouts}
                )
                return LoginResult(True, None, "Admin mode is on for this session.")
            return self._failed(session_id, row, now)

    def _attempt_time(self, row: store.LockoutRow, now: datetime) -> datetime:
        """``now``, or just after the last attempt / reset if the clock reads no later."""
        marks = [t for t in (store.last_attempt_at(self.ledger.conn), row.counting_from) if t]
        floor = max(marks, default=None)
        if floor is not None and now <= floor:
            return floor + timedelta(microseconds=1)
        return now

    def _failed(self, session_id: str, row: store.LockoutRow, now: datetime) -> LoginResult:
        conn = self.ledger.conn
        store.record_attempt(conn, session_id, False, now)
        since = now - WINDOW
        if row.counting_from is not None and row.counting_from > since:
            since = row.counting_from
        failures = store.failures_after(conn, since)
        if failures >= MAX_FAILURES:
            lockouts = row.lockouts + 1
            duration = lock_duration(lockouts)
            store.set_lockout(conn, lockouts, now + duration, now)
            audit.write(
                conn,
                now,
                "admin_login_failed",
                session_id,
                {
                    "failures": failures,
                    "lockout": lockouts,
                    "locked_for_min": int(duration.total_seconds() // 60),
                },
            )
            return LoginResult(
                False,
                duration,
                f"Wrong password. Admin login is now locked for {format_duration(duration)} "
                "after too many wrong passwords.",
            )
        remaining = MAX_FAILURES - failures
        audit.write(
            conn,
            now,
            "admin_login_failed",
            session_id,
            {"failures": failures, "tries_left": remaining},
        )
        tries = "1 try" if remaining == 1 else f"{remaining} tries"
        next_lock = format_duration(lock_duration(row.lockouts + 1))
        return LoginResult(
            False,
            None,
            f"Wrong password. {tries} left before admin login locks for {next_lock}.",
        )

    def unlock(self, by: str | None = None, how: str | None = None) -> store.LockoutRow:
        """The operator's way out of a lock (``verselight admin unlock``): clears the lock and
        the doubling, and is audited like a login. Returns the lockout as it was."""
        conn = self.ledger.conn
        with db.transaction(conn):
            now = self.ledger.clock()
            row = store.get_lockout(conn)
            last = store.last_attempt_at(conn)
            store.set_lockout(conn, 0, None, max(now, last) if last else now)
            audit.write(
                conn,
                now,
                "admin_unlock",
                by,
                {"locked_until": row.locked_until, "lockouts": row.lockouts}
                | ({"by": how} if how else {}),
            )
        return row
