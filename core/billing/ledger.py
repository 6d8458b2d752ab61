"""Credits: balances, holds, charges, purchases and grants, with the rules of DESIGN.md section 5.

Every method that moves money is one SQLite transaction. Refusals are exceptions whose
``str()`` is a sentence for the user; the database's own constraints are the last word, so a
race that slips past a pre-check still cannot make a balance negative or credit twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from core.billing.early_check import has_had_sessions as has_had_sessions
from core.billing.limits import Limits
from core.billing.owners import current_owner, status
from core.clock import Clock, utc_now
from core.config import Config
from core.sessions.tiers import Refusal, spend_refusal, tier_of
from storage import invoices as inv
from storage import ledger as db
from storage.ledger import LedgerBusy, LedgerDamaged, LedgerError

__all__ = [
    "Balance",
    "BillingError",
    "DailyCapReached",
    "Entry",
    "Hold",
    "HoldGone",
    "InsufficientCredits",
    "Ledger",
    "LedgerBusy",
    "LedgerDamaged",
    "LedgerError",
    "RateLimited",
    "UnknownInvoice",
    "UnknownSession",
]


class BillingError(Exception):
    """A money operation was refused. ``str()`` is a sentence for the user."""


class InsufficientCredits(BillingError):
    def __init__(self, needed: int, available: int) -> None:
        self.needed = needed
        self.available = available
        self.missing = needed - available
        super().__init__(
            f"This needs {needed} credits and {available} are available: "
            f"{self.missing} more needed."
        )


class RateLimited(BillingError):
    def __init__(self, what: str, limit: int, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(
            f"Too many {what}: at most {limit} a minute. Try again in {max(1, round(retry_after))} s."
        )


class DailyCapReached(BillingError):
    def __init__(self, cap: int, spent: int, amount: int) -> None:
        self.cap = cap
        self.spent = spent
        super().__init__(
            f"This would pass today's limit of {cap} credits ({spent} already spent or held). "
            "The limit resets at midnight UTC."
        )


class HoldGone(BillingError):
    """The hold was released or charged before this charge: the result must be discarded."""

    def __init__(self, hold_id: int) -> None:
        self.hold_id = hold_id
        super().__init__(
            "The credits set aside for this were released before it finished, so nothing was "
            "charged and the result was discarded."
        )


class UnknownInvoice(BillingError):
    def __init__(self, payment_hash: str) -> None:
        super().__init__(f"No invoice with payment hash {payment_hash[:16]}... is known here.")


class UnknownSession(BillingError):
    def __init__(self, sid: str) -> None:
        super().__init__(f"No session {sid[:8]}... in the ledger.")


@dataclass(frozen=True, slots=True)
class Balance:
    balance: int
    held: int

    @property
    def available(self) -> int:
        return self.balance - self.held


@dataclass(frozen=True, slots=True)
class Hold:
    id: int
    session_id: str
    amount: int


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    kind: str
    amount: int
    at: datetime
    note: str | None
    payment_hash: str | None
    image_id: str | None


@contextmanager
def reading(conn: sqlite3.Connection) -> Iterator[None]:
    """Turn SQLite's errors on a read (a damaged page met after start) into ``LedgerError``."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        path = db.file_of(conn)
        if db.is_damage(exc):
            raise LedgerDamaged(path, str(exc)) from exc
        raise LedgerError(f"The credit ledger at {path} could not be read ({exc}).") from exc


def _entry(row: db.EntryRow) -> Entry:
    return Entry(
        row.id,
        row.kind,
        row.amount,
        datetime.fromisoformat(row.created_at),
        row.note,
        row.payment_hash,
        row.image_id,
    )


class Ledger:
    """One connection to the ledger database. Use one per thread or process."""

    def __init__(self, conn: sqlite3.Connection, limits: Limits, clock: Clock) -> None:
        self.conn = conn
        self.limits = limits
        self.clock = clock
        self.owner: str | None = current_owner()
        """Written on each hold placed, so the next start can tell whether its process lives."""

    @classmethod
    def open(
        cls,
        path: Path,
        limits: Limits | None = None,
        clock: Clock = utc_now,
        *,
        empty_ok: bool = True,
    ) -> Ledger:
        return cls(db.connect(path, empty_ok=empty_ok), limits or Limits(), clock)

    @classmethod
    def for_config(cls, config: Config, clock: Clock = utc_now) -> Ledger:
        """The installation's ledger. Once it has had sessions, an empty file is damage."""
        return cls.open(
            config.paths.ledger_db, config.limits, clock, empty_ok=not has_had_sessions(config)
        )

    def close(self) -> None:
        self.conn.close()

    def data_version(self) -> int:
        return db.data_version(self.conn)

    # reading -----------------------------------------------------------------------------

    def balance(self, sid: str) -> Balance:
        with reading(self.conn):
            row = db.get_session(self.conn, sid)
        if row is None:
            raise UnknownSession(sid)
        return Balance(row.balance, row.held)

    def history(self, sid: str, limit: int = 1000) -> list[Entry]:
        with reading(self.conn):
            return [_entry(r) for r in db.entries(self.conn, sid, limit)]

    def open_holds(self, sid: str) -> list[db.HoldRow]:
        with reading(self.conn):
            return db.open_holds(self.conn, sid)

    # holds -------------------------------------------------------------------------------

    def place_hold(self, sid: str, amount: int, purpose: str = "generation") -> Hold:
        """Set ``amount`` credits aside, if available and within the limits."""
        if amount <= 0:
            raise ValueError("a hold must be for a positive number of credits")
        now = self.clock()
        with db.transaction(self.conn):
            row = self._session(sid)
            available = row.balance - row.held
            spent = db.charged_on(self.conn, sid, now) + row.held
            # A hold spends credits, so it is judged as a paying session's whatever the admin
            # flag (admin generations place no hold). Running short is said before the rate
            # limit counts the attempt, the daily cap after, as always.
            tier = tier_of(False, row.balance)
            cap = self.limits.daily_credit_cap
            refusal = spend_refusal(tier, available, amount, spent, cap)
            if refusal in (Refusal.FREE_TIER, Refusal.SHORT):
                raise InsufficientCredits(amount, available)
            self._admit(sid, purpose, self.limits.generations_per_minute, "generations", now)
            if refusal is Refusal.DAILY_CAP:
                raise DailyCapReached(cap, spent, amount)
            hold_id = db.insert_hold(self.conn, sid, amount, purpose, now, self.owner)
        return Hold(hold_id, sid, amount)

    def _admit(self, sid: str, kind: str, limit: int, what: str, now: datetime) -> None:
        """Count one ``kind`` event against a per-minute limit, or refuse (inside a transaction)."""
        self._refuse_if_limited(sid, kind, limit, what, now)
        db.add_event(self.conn, sid, kind, now)

    def _refuse_if_limited(self, sid: str, kind: str, limit: int, what: str, now: datetime) -> None:
        window = now - timedelta(minutes=1)
        limiting = db.nth_newest_event(self.conn, sid, kind, window, limit)
        if limiting is not None:
            frees_at = datetime.fromisoformat(limiting) + timedelta(minutes=1)
            raise RateLimited(what, limit, (frees_at - now).total_seconds())

    def check_invoice_allowed(self, sid: str) -> None:
        """Refuse (``RateLimited``) before a backend is asked for an invoice it picks the hash
        of, so a refused invoice is never made there; ``add_invoice`` then counts it."""
        self._refuse_if_limited(
            sid, "invoice", self.limits.invoices_per_minute, "invoices", self.clock()
        )

    def admit(self, sid: str, kind: str, limit: int, what: str) -> None:
        """A rate limit on its own transaction (admin generations, invoices)."""
        with db.transaction(self.conn):
            self._admit(sid, kind, limit, what, self.clock())

    def charge(self, hold: Hold, save: Callable[[sqlite3.Connection], str]) -> int:
        """Charge a hold in ONE transaction with ``save``, which stores the result and returns
        its image id. If the hold is no longer open, nothing is saved or charged and
        ``HoldGone`` is raised: the caller must discard what it made. Returns the entry id.
        """
        now = self.clock()
        with db.transaction(self.conn):
            if not db.close_hold(self.conn, hold.id, "charged", now):
                raise HoldGone(hold.id)
            image_id = save(self.conn)
            return db.insert_entry(
                self.conn, hold.session_id, "charge", -hold.amount, now, hold_id=hold.id,
                image_id=image_id,
            )  # fmt: skip

    def release(self, hold: Hold | int) -> bool:
        """Give the held credits back. Safe to call twice; False if it was no longer open."""
        hold_id = hold if isinstance(hold, int) else hold.id
        with db.transaction(self.conn):
            return db.close_hold(self.conn, hold_id, "released", self.clock())

    def release_stale_holds(self) -> int:
        """Release holds a crashed process left behind: at once when its process is surely
        gone; after ``stale_hold_age`` when it cannot be judged (another host, older code).
        A hold whose process surely still runs is never taken from it: that generation may
        yet succeed, and releasing its hold would throw away an image already paid for."""
        now = self.clock()
        cutoff = db.ts(now - self.limits.stale_hold_age)
        released = 0
        with db.transaction(self.conn):
            for hold_id, owner, created_at in db.open_hold_owners(self.conn):
                state = status(owner)
                if state == "dead" or (state == "unknown" and created_at < cutoff):
                    released += db.close_hold(self.conn, hold_id, "released", now)
            db.prune_events(self.conn, now - timedelta(days=1))
        return released

    # credits in --------------------------------------------------------------------------

    def add_invoice(
        self,
        sid: str,
        payment_hash: str,
        credits: int,
        *,
        preimage_hex: str,
        amount_sats: int,
        usd: str,
        btc_usd: str,
        expires_at: datetime,
        payment_request: str | None = None,
    ) -> None:
        """Record an invoice we issue, with its frozen quote and our preimage (empty when the
        backend picked the hash, and then with its request), within the invoices-per-minute
        limit: one transaction, and the only way an invoice row is made."""
        now = self.clock()
        with db.transaction(self.conn):
            self._admit(sid, "invoice", self.limits.invoices_per_minute, "invoices", now)
            inv.insert(
                self.conn, payment_hash=payment_hash, sid=sid, credits=credits,
                preimage_hex=preimage_hex, amount_sats=amount_sats, usd=usd, btc_usd=btc_usd,
                now=now, expires_at=expires_at, payment_request=payment_request,
            )  # fmt: skip

    def credit_purchase(self, payment_hash: str) -> bool:
        """Credit a settled invoice. True if credited now, False if it already was.

        The UNIQUE payment hash on entries is what makes this once-only, whatever the number
        of watchers racing to call it.
        """
        now = self.clock()
        try:
            with db.transaction(self.conn):
                invoice = inv.find(self.conn, payment_hash)
                if invoice is None:
                    raise UnknownInvoice(payment_hash)
                inv.mark_settled(self.conn, payment_hash, now)
                db.insert_entry(
                    self.conn, invoice.session_id, "purchase", invoice.credits, now,
                    payment_hash=payment_hash,
                )  # fmt: skip
        except sqlite3.IntegrityError as exc:
            if "entries.payment_hash" in str(exc):
                return False
            raise
        return True

    def grant(self, sid: str, amount: int, note: str) -> int:
        if amount <= 0:
            raise ValueError("a grant must be positive")
        with db.transaction(self.conn):
            self._session(sid)
            return db.insert_entry(self.conn, sid, "grant", amount, self.clock(), note=note)

    def _session(self, sid: str) -> db.SessionRow:
        row = db.get_session(self.conn, sid)
        if row is None:
            raise UnknownSession(sid)
        return row

    def adjust(self, sid: str, amount: int, note: str) -> int:
        """An operator's correction; refused if it would take the balance below what is held."""
        if amount == 0:
            raise ValueError("an adjustment must change the balance")
        try:
            with db.transaction(self.conn):
                self._session(sid)
                return db.insert_entry(self.conn, sid, "adjust", amount, self.clock(), note=note)
        except sqlite3.IntegrityError as exc:
            raise BillingError(
                "That adjustment would take the balance below zero or below what is held."
            ) from exc

    # checking ----------------------------------------------------------------------------

    def verify(self) -> list[tuple[str, list[str]]]:
        return db.verify(self.conn)
