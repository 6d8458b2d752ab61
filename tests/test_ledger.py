"""The credit ledger (DESIGN.md section 5): balances, holds, charges, purchases, limits, verify.

Every test works on a real SQLite file in its own temporary folder; time comes from an injected
clock so minutes, stale holds and UTC midnights pass without waiting. Corruptions are made with
raw SQL on a copy of a good ledger, never on the ledger under test's own connection.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from uuid import uuid4

import pytest

from core.billing.ledger import (
    BillingError,
    DailyCapReached,
    HoldGone,
    InsufficientCredits,
    Ledger,
    LedgerBusy,
    LedgerError,
    RateLimited,
    UnknownInvoice,
)
from core.billing.limits import Limits
from storage import invoices as inv
from storage import ledger as db
from tests.clock import ManualClock
from tests.invoice_rows import add_invoice

START = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock_start() -> datetime:
    return START


class Saver:
    """A ``save`` for ``Ledger.charge``: stores an image row and counts its calls."""

    def __init__(self, sid: str, clock: ManualClock, fail: bool = False) -> None:
        self.sid = sid
        self.clock = clock
        self.fail = fail
        self.calls = 0
        self.ids: list[str] = []

    def __call__(self, conn: sqlite3.Connection) -> str:
        self.calls += 1
        image_id = uuid4().hex
        conn.execute(
            "INSERT INTO images (id, session_id, created_at) VALUES (?, ?, ?)",
            (image_id, self.sid, db.ts(self.clock())),
        )
        if self.fail:
            raise RuntimeError("the image could not be stored")
        self.ids.append(image_id)
        return image_id


def new_sid() -> str:
    return uuid4().hex


def image_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM images").fetchone()[0])


def entry_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM entries").fetchone()[0])


def problems(ledger: Ledger) -> dict[str, list[str]]:
    """The checks of ``verify`` that found something, with the rows they named."""
    return {name: rows for name, rows in ledger.verify() if rows}


def raw(path: Path) -> sqlite3.Connection:
    """A plain connection with none of the ledger's settings (foreign keys off)."""
    return sqlite3.connect(path, isolation_level=None)


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "ledger.sqlite"


@pytest.fixture
def ledger(ledger_path: Path, clock: ManualClock) -> Iterator[Ledger]:
    led = Ledger.open(ledger_path, Limits(), clock)
    yield led
    led.close()


@pytest.fixture
def sid(ledger: Ledger, clock: ManualClock) -> str:
    s = new_sid()
    db.create_session(ledger.conn, s, clock())
    return s


def buy(ledger: Ledger, sid: str, credits: int = 300, payment_hash: str | None = None) -> str:
    payment_hash = payment_hash or uuid4().hex + uuid4().hex
    add_invoice(ledger, sid, payment_hash, credits)
    assert ledger.credit_purchase(payment_hash) is True
    return payment_hash


# -- balances and purchases ------------------------------------------------------------------


def test_a_new_session_has_nothing(ledger: Ledger, sid: str) -> None:
    bal = ledger.balance(sid)
    assert (bal.balance, bal.held, bal.available) == (0, 0, 0)
    assert ledger.history(sid) == []


def test_balance_is_the_sum_of_the_entries(ledger: Ledger, sid: str, clock: ManualClock) -> None:
    ledger.grant(sid, 50, "welcome")
    buy(ledger, sid, 300)
    clock.advance(seconds=1)
    hold = ledger.place_hold(sid, 40)
    ledger.charge(hold, Saver(sid, clock))
    ledger.adjust(sid, -15, "refund of a mistaken grant")
    ledger.adjust(sid, 5, "goodwill")
    kept = ledger.place_hold(sid, 20)  # held, not spent

    history = ledger.history(sid)
    assert sorted(e.kind for e in history) == ["adjust", "adjust", "charge", "grant", "purchase"]
    assert sum(e.amount for e in history) == 50 + 300 - 40 - 15 + 5
    bal = ledger.balance(sid)
    assert bal.balance == sum(e.amount for e in history)
    assert bal.held == kept.amount
    assert bal.available == bal.balance - 20
    assert problems(ledger) == {}


def test_balances_of_sessions_are_separate(ledger: Ledger, sid: str, clock: ManualClock) -> None:
    other = new_sid()
    db.create_session(ledger.conn, other, clock())
    ledger.grant(sid, 70, "one")
    ledger.grant(other, 9, "two")
    ledger.place_hold(other, 4)
    assert ledger.balance(sid).balance == 70
    assert ledger.balance(sid).held == 0
    assert (ledger.balance(other).balance, ledger.balance(other).held) == (9, 4)


def test_a_purchase_is_credited_once_per_payment_hash(ledger: Ledger, sid: str) -> None:
    payment_hash = "ab" * 32
    add_invoice(ledger, sid, payment_hash, 300)
    assert ledger.balance(sid).balance == 0  # an invoice alone credits nothing
    assert ledger.credit_purchase(payment_hash) is True
    assert ledger.credit_purchase(payment_hash) is False
    assert ledger.credit_purchase(payment_hash) is False
    assert ledger.balance(sid).balance == 300
    purchases = [e for e in ledger.history(sid) if e.kind == "purchase"]
    assert [(e.amount, e.payment_hash) for e in purchases] == [(300, payment_hash)]
    invoice = inv.find(ledger.conn, payment_hash)
    assert invoice is not None
    assert invoice.state == "settled"
    assert problems(ledger) == {}


def test_a_second_connection_cannot_credit_the_same_hash_again(
    ledger: Ledger, ledger_path: Path, sid: str, clock: ManualClock
) -> None:
    payment_hash = buy(ledger, sid, 300)
    other = Ledger.open(ledger_path, Limits(), clock)
    try:
        assert other.credit_purchase(payment_hash) is False
    finally:
        other.close()
    assert ledger.balance(sid).balance == 300


def test_a_purchase_for_an_unknown_hash_is_refused(ledger: Ledger, sid: str) -> None:
    with pytest.raises(UnknownInvoice):
        ledger.credit_purchase("cd" * 32)
    assert entry_count(ledger.conn) == 0
    assert ledger.balance(sid).balance == 0
    assert inv.find(ledger.conn, "cd" * 32) is None


# -- holds and charges -----------------------------------------------------------------------


def test_a_hold_needs_enough_available_credits(ledger: Ledger, sid: str) -> None:
    ledger.grant(sid, 100, "start")
    first = ledger.place_hold(sid, 60)
    assert (first.session_id, first.amount) == (sid, 60)
    with pytest.raises(InsufficientCredits) as refused:
        ledger.place_hold(sid, 50)
    assert refused.value.missing == 10
    assert (refused.value.needed, refused.value.available) == (50, 40)
    assert "10 more needed" in str(refused.value)
    bal = ledger.balance(sid)
    assert (bal.balance, bal.held, bal.available) == (100, 60, 40)
    exact = ledger.place_hold(sid, 40)  # exactly what is available
    assert ledger.balance(sid).available == 0
    assert [h.id for h in ledger.open_holds(sid)] == [first.id, exact.id]


def test_a_hold_with_no_credits_reports_everything_missing(ledger: Ledger, sid: str) -> None:
    with pytest.raises(InsufficientCredits) as refused:
        ledger.place_hold(sid, 30)
    assert refused.value.missing == 30
    assert ledger.open_holds(sid) == []


def test_a_hold_must_be_positive(ledger: Ledger, sid: str) -> None:
    ledger.grant(sid, 10, "start")
    for amount in (0, -5):
        with pytest.raises(ValueError):
            ledger.place_hold(sid, amount)
    assert ledger.balance(sid).held == 0


def test_charge_closes_the_hold_and_writes_entry_and_image(
    ledger: Ledger, sid: str, clock: ManualClock
) -> None:
    ledger.grant(sid, 100, "start")
    hold = ledger.place_hold(sid, 30)
    save = Saver(sid, clock)
    entry_id = ledger.charge(hold, save)

    assert save.calls == 1
    charge = ledger.history(sid)[0]
    assert (charge.id, charge.kind, charge.amount, charge.image_id) == (
        entry_id,
        "charge",
        -30,
        save.ids[0],
    )
    row = _hold(ledger, hold.id)
    assert row is not None
    assert row.state == "charged"
    assert image_count(ledger.conn) == 1
    bal = ledger.balance(sid)
    assert (bal.balance, bal.held) == (70, 0)
    assert problems(ledger) == {}


def test_a_failing_save_writes_nothing_and_keeps_the_hold(
    ledger: Ledger, sid: str, clock: ManualClock
) -> None:
    ledger.grant(sid, 100, "start")
    hold = ledger.place_hold(sid, 30)
    before = entry_count(ledger.conn)
    save = Saver(sid, clock, fail=True)
    with pytest.raises(RuntimeError, match="could not be stored"):
        ledger.charge(hold, save)
    assert save.calls == 1
    assert entry_count(ledger.conn) == before
    assert image_count(ledger.conn) == 0  # the row save inserted was rolled back with it
    row = _hold(ledger, hold.id)
    assert row is not None
    assert row.state == "open"
    assert ledger.balance(sid).held == 30
    # The caller then releases it, as after any provider failure.
    assert ledger.release(hold) is True
    bal = ledger.balance(sid)
    assert (bal.balance, bal.held) == (100, 0)
    assert problems(ledger) == {}


def test_a_save_returning_no_stored_image_is_refused(
    ledger: Ledger, sid: str, clock: ManualClock
) -> None:
    """A ``save`` that forgets to store the image: the foreign key refuses the charge."""
    ledger.grant(sid, 100, "start")
    hold = ledger.place_hold(sid, 30)
    with pytest.raises(sqlite3.IntegrityError):
        ledger.charge(hold, lambda conn: "no-such-image")
    row = _hold(ledger, hold.id)
    assert row is not None
    assert row.state == "open"
    assert ledger.balance(sid).balance == 100
    assert problems(ledger) == {}


def test_charging_a_released_hold_is_hold_gone(
    ledger: Ledger, sid: str, clock: ManualClock
) -> None:
    ledger.grant(sid, 100, "start")
    hold = ledger.place_hold(sid, 30)
    assert ledger.release(hold) is True
    save = Saver(sid, clock)
    with pytest.raises(HoldGone) as gone:
        ledger.charge(hold, save)
    assert gone.value.hold_id == hold.id
    assert save.calls == 0
    assert image_count(ledger.conn) == 0
    assert [e.kind for e in ledger.history(sid)] == ["grant"]
    bal = ledger.balance(sid)
    assert (bal.balance, bal.held) == (100, 0)


def test_release_is_idempotent(ledger: Ledger, sid: str) -> None:
    ledger.grant(sid, 100, "start")
    hold = ledger.place_hold(sid, 30)
    assert ledger.release(hold) is True
    assert ledger.release(hold) is False
    assert ledger.release(hold.id) is False
    bal = ledger.balance(sid)
    assert (bal.balance, bal.held) == (100, 0)
    assert ledger.release(987_654) is False  # a hold that never existed
    assert problems(ledger) == {}


def test_a_hold_is_charged_once(ledger: Ledger, sid: str, clock: ManualClock) -> None:
    ledger.grant(sid, 100, "start")
    hold = ledger.place_hold(sid, 30)
    ledger.charge(hold, Saver(sid, clock))
    second = Saver(sid, clock)
    with pytest.raises(HoldGone):
        ledger.charge(hold, second)
    assert second.calls == 0
    assert ledger.release(hold) is False  # a charged hold cannot be released either
    assert ledger.balance(sid).balance == 70
    assert image_count(ledger.conn) == 1
    assert problems(ledger) == {}


def test_an_image_cannot_be_charged_twice(ledger: Ledger, sid: str, clock: ManualClock) -> None:
    """A ``save`` that names an image already charged is refused by the schema (a UNIQUE
    index on the charge's image), so the second hold stays open and nothing is charged."""
    ledger.grant(sid, 100, "start")
    save = Saver(sid, clock)
    ledger.charge(ledger.place_hold(sid, 10), save)
    second = ledger.place_hold(sid, 10)
    with pytest.raises((sqlite3.IntegrityError, BillingError)):
        ledger.charge(second, lambda conn: save.ids[0])
    assert ledger.balance(sid).balance == 90
    assert [h.id for h in ledger.open_holds(sid)] == [second.id]
    assert problems(ledger) == {}


# -- stale holds -----------------------------------------------------------------------------


def test_stale_holds_are_released_and_younger_ones_kept(
    ledger: Ledger, sid: str, clock: ManualClock
) -> None:
    age = ledger.limits.stale_hold_age
    assert age == timedelta(minutes=15)
    # Holds of a process this one cannot judge (another host): they wait for the age.
    ledger.owner = "another-host:1:1"
    ledger.grant(sid, 100, "start")
    old = ledger.place_hold(sid, 10)
    clock.advance(minutes=5)
    young = ledger.place_hold(sid, 20)
    clock.advance(minutes=10)  # `old` is now exactly 15 minutes old: not older than the age
    assert ledger.release_stale_holds() == 0
    clock.advance(microseconds=1)
    assert ledger.release_stale_holds() == 1
    assert [h.id for h in ledger.open_holds(sid)] == [young.id]
    assert ledger.balance(sid).held == 20
    with pytest.raises(HoldGone):
        ledger.charge(old, Saver(sid, clock))
    ledger.charge(young, Saver(sid, clock))  # the young one still works
    clock.advance(hours=1)
    assert ledger.release_stale_holds() == 0
    bal = ledger.balance(sid)
    assert (bal.balance, bal.held) == (80, 0)
    assert problems(ledger) == {}


# -- rate limits and the daily cap -----------------------------------------------------------


def test_five_generations_a_minute(ledger: Ledger, sid: str, clock: ManualClock) -> None:
    ledger.grant(sid, 400, "start")
    first_at = clock()
    for _ in range(5):
        ledger.release(ledger.place_hold(sid, 1))
        clock.advance(seconds=10)
    # now = first + 50 s: the 6th in the minute is refused
    with pytest.raises(RateLimited) as limited:
        ledger.place_hold(sid, 1)
    assert limited.value.retry_after == pytest.approx(10.0)
    assert "at most 5 a minute" in str(limited.value)
    assert ledger.open_holds(sid) == []
    # A refusal is not counted: still refused, and the wait shrinks as time passes.
    clock.advance(seconds=6)
    with pytest.raises(RateLimited) as again:
        ledger.place_hold(sid, 1)
    assert again.value.retry_after == pytest.approx(4.0)
    # Just over a minute after the first, its slot is free again (but only that one).
    clock.now = first_at + timedelta(minutes=1, microseconds=1)
    ledger.place_hold(sid, 1)
    with pytest.raises(RateLimited):
        ledger.place_hold(sid, 1)


def test_waiting_retry_after_is_enough(ledger: Ledger, sid: str, clock: ManualClock) -> None:
    """Waiting exactly ``retry_after`` seconds is enough: the window is the minute before now,
    not including its first instant."""
    ledger.grant(sid, 400, "start")
    for _ in range(5):
        ledger.place_hold(sid, 1)
    with pytest.raises(RateLimited) as limited:
        ledger.place_hold(sid, 1)
    assert limited.value.retry_after == pytest.approx(60.0)
    clock.advance(seconds=limited.value.retry_after)
    ledger.place_hold(sid, 1)  # RateLimited(retry_after=0.0) here


def test_ten_invoices_a_minute(ledger: Ledger, sid: str, clock: ManualClock) -> None:
    hashes = [uuid4().hex for _ in range(12)]
    for h in hashes[:10]:
        add_invoice(ledger, sid, h, 300)
        clock.advance(seconds=1)
    with pytest.raises(RateLimited) as limited:
        add_invoice(ledger, sid, hashes[10], 300)
    assert limited.value.retry_after == pytest.approx(50.0)
    assert "invoices" in str(limited.value)
    assert inv.find(ledger.conn, hashes[10]) is None
    # Another session has its own allowance; generations are counted apart from invoices.
    other = new_sid()
    db.create_session(ledger.conn, other, clock())
    add_invoice(ledger, other, hashes[11], 300)
    ledger.grant(sid, 10, "start")
    ledger.place_hold(sid, 1)
    clock.advance(seconds=51)
    add_invoice(ledger, sid, hashes[10], 300)


def test_the_daily_cap_counts_charged_and_held(
    ledger: Ledger, sid: str, clock: ManualClock
) -> None:
    assert ledger.limits.daily_credit_cap == 500
    ledger.grant(sid, 2000, "start")
    for _ in range(4):
        ledger.charge(ledger.place_hold(sid, 100), Saver(sid, clock))
        clock.advance(seconds=20)
    held = ledger.place_hold(sid, 100)  # 400 charged + 100 held = 500: at the cap
    clock.advance(seconds=20)
    with pytest.raises(DailyCapReached) as capped:
        ledger.place_hold(sid, 1)
    assert (capped.value.cap, capped.value.spent) == (500, 500)
    assert "midnight UTC" in str(capped.value)
    ledger.release(held)  # released credits were not spent
    clock.advance(seconds=20)
    with pytest.raises(DailyCapReached):
        ledger.place_hold(sid, 101)
    ledger.place_hold(sid, 100)
    assert ledger.balance(sid).balance == 1600


def test_the_daily_cap_resets_at_utc_midnight(ledger: Ledger, sid: str, clock: ManualClock) -> None:
    clock.now = datetime(2024, 3, 10, 23, 0, tzinfo=UTC)
    ledger.grant(sid, 2000, "start")
    for _ in range(5):
        ledger.charge(ledger.place_hold(sid, 100), Saver(sid, clock))
        clock.advance(minutes=1)
    clock.now = datetime(2024, 3, 10, 23, 59, 59, 999_999, tzinfo=UTC)
    with pytest.raises(DailyCapReached):
        ledger.place_hold(sid, 1)
    clock.now = datetime(2024, 3, 11, 0, 0, tzinfo=UTC)
    hold = ledger.place_hold(sid, 500)  # a new UTC day: the whole cap again
    ledger.charge(hold, Saver(sid, clock))
    clock.advance(minutes=1)
    with pytest.raises(DailyCapReached):
        ledger.place_hold(sid, 1)
    assert ledger.balance(sid).balance == 1000


def test_the_daily_cap_is_per_utc_day_whatever_the_clock_zone(
    ledger: Ledger, sid: str, clock: ManualClock
) -> None:
    """The daily cap's day is the UTC day, whatever the clock's time zone."""
    plus10 = timezone(timedelta(hours=10))
    ledger.grant(sid, 2000, "start")
    clock.now = datetime(2024, 3, 10, 10, 0, tzinfo=UTC).astimezone(plus10)
    ledger.charge(ledger.place_hold(sid, 500), Saver(sid, clock))
    clock.now = datetime(2024, 3, 10, 23, 30, tzinfo=UTC).astimezone(plus10)
    with pytest.raises(DailyCapReached):
        ledger.place_hold(sid, 100)


# -- the database's own rules ----------------------------------------------------------------


def test_entries_are_append_only(ledger: Ledger, ledger_path: Path, sid: str) -> None:
    ledger.grant(sid, 100, "start")
    conn = raw(ledger_path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE entries SET amount = 1000000")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE entries SET note = 'edited'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM entries")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("DELETE FROM entries WHERE session_id = ?", (sid,))
    finally:
        conn.close()
    assert [(e.kind, e.amount, e.note) for e in ledger.history(sid)] == [("grant", 100, "start")]


def test_a_closed_hold_cannot_be_reopened(ledger: Ledger, ledger_path: Path, sid: str) -> None:
    ledger.grant(sid, 100, "start")
    hold = ledger.place_hold(sid, 30)
    ledger.release(hold)
    conn = raw(ledger_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="closed hold"):
            conn.execute("UPDATE holds SET state = 'open' WHERE id = ?", (hold.id,))
    finally:
        conn.close()
    assert ledger.balance(sid).held == 0


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO entries (session_id, kind, amount, note, created_at)"
        " VALUES (:sid, 'adjust', -101, 'raw', '2024-03-10T12:00:00.000000+00:00')",
        "INSERT INTO entries (session_id, kind, amount, note, created_at)"
        " VALUES (:sid, 'adjust', -71, 'raw, below held', '2024-03-10T12:00:00.000000+00:00')",
        "INSERT INTO sessions (id, created_at, last_seen_at, balance)"
        " VALUES ('f00d', '2024-03-10', '2024-03-10', -1)",
        "UPDATE sessions SET balance = -1 WHERE id = :sid",
        "UPDATE sessions SET held = balance + 1 WHERE id = :sid",
        "INSERT INTO holds (session_id, amount, purpose, created_at)"
        " VALUES (:sid, 71, 'raw', '2024-03-10T12:00:00.000000+00:00')",
        "INSERT INTO entries (session_id, kind, amount, note, created_at)"
        " VALUES (:sid, 'grant', -5, 'negative grant', '2024-03-10T12:00:00.000000+00:00')",
        "INSERT INTO entries (session_id, kind, amount, hold_id, image_id, created_at)"
        " VALUES (:sid, 'charge', 5, 1, 'x', '2024-03-10T12:00:00.000000+00:00')",
    ],
    ids=[
        "adjust below zero",
        "adjust below held",
        "negative new session",
        "negative balance",
        "held over balance",
        "hold over available",
        "negative grant",
        "positive charge",
    ],
)
def test_check_constraints_refuse_raw_sql(
    ledger: Ledger, ledger_path: Path, sid: str, statement: str
) -> None:
    ledger.grant(sid, 100, "start")
    ledger.place_hold(sid, 30)
    conn = raw(ledger_path)
    try:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(statement, {"sid": sid})
    finally:
        conn.close()
    bal = ledger.balance(sid)
    assert (bal.balance, bal.held) == (100, 30)
    assert problems(ledger) == {}


def test_adjust_below_held_is_refused(ledger: Ledger, sid: str) -> None:
    ledger.grant(sid, 100, "start")
    ledger.place_hold(sid, 30)
    with pytest.raises(BillingError, match="below"):
        ledger.adjust(sid, -71, "too much")
    with pytest.raises(BillingError):
        ledger.adjust(sid, -500, "far too much")
    assert ledger.balance(sid).balance == 100
    ledger.adjust(sid, -70, "down to what is held")
    bal = ledger.balance(sid)
    assert (bal.balance, bal.held, bal.available) == (30, 30, 0)
    with pytest.raises(ValueError):
        ledger.adjust(sid, 0, "nothing")
    assert [e.kind for e in ledger.history(sid)] == ["adjust", "grant"]
    assert problems(ledger) == {}


def test_a_grant_must_be_positive(ledger: Ledger, sid: str) -> None:
    for amount in (0, -1):
        with pytest.raises(ValueError):
            ledger.grant(sid, amount, "no")
    assert ledger.history(sid) == []


# -- verify ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Good:
    """A closed ledger with a bit of everything, and the ids the corruptions aim at."""

    path: Path
    a: str  # grant, purchase, a charge, a released and an open hold, an open invoice
    b: str  # a grant and a charge
    c: str  # nothing at all
    charge_entry: int
    charged_hold: int
    image: str
    open_hold: int
    purchase_entry: int
    open_invoice: str


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Good:
    path = tmp_path_factory.mktemp("good") / "ledger.sqlite"
    clock = ManualClock(START)
    led = Ledger.open(path, Limits(), clock)
    a, b, c = new_sid(), new_sid(), new_sid()
    for s in (a, b, c):
        db.create_session(led.conn, s, clock())
    led.grant(a, 100, "start")
    buy(led, a, 300, "aa" * 32)
    save = Saver(a, clock)
    charged = led.place_hold(a, 40)
    charge_entry = led.charge(charged, save)
    led.release(led.place_hold(a, 5))
    open_hold = led.place_hold(a, 20)
    add_invoice(led, a, "bb" * 32, 300)
    led.grant(b, 50, "start")
    led.charge(led.place_hold(b, 10), Saver(b, clock))
    purchase_entry = next(e.id for e in led.history(a) if e.kind == "purchase")
    assert problems(led) == {}
    led.close()
    assert not path.with_name(path.name + "-wal").exists()
    return Good(
        path,
        a,
        b,
        c,
        charge_entry,
        charged.id,
        save.ids[0],
        open_hold.id,
        purchase_entry,
        "bb" * 32,
    )


CORRUPTIONS: dict[str, tuple[Callable[[Good], list[str]], str, Callable[[Good], str]]] = {
    # name: (raw SQL to run on a copy, the check that must report it, what it must name)
    "stored balance changed": (
        lambda g: [f"UPDATE sessions SET balance = balance + 7 WHERE id = '{g.a}'"],
        "balance is the sum of the session's entries",
        lambda g: f"session {g.a}: stored balance 367, entries sum to 360",
    ),
    "entry amount edited (append-only trigger dropped)": (
        lambda g: [
            "DROP TRIGGER entries_append_only_update",
            f"UPDATE entries SET amount = 301 WHERE id = {g.purchase_entry}",
        ],
        "every purchase references one settled invoice of its session, for its credits",
        lambda g: f"entry {g.purchase_entry}: purchase of invoice {'aa' * 32}",
    ),
    "negative balance": (
        lambda g: [
            "PRAGMA ignore_check_constraints = ON",
            f"UPDATE sessions SET balance = -5 WHERE id = '{g.c}'",
        ],
        "balance >= 0",
        lambda g: f"session {g.c}: balance -5",
    ),
    "stored held changed": (
        lambda g: [f"UPDATE sessions SET held = held + 1 WHERE id = '{g.a}'"],
        "held is the sum of open holds",
        lambda g: f"session {g.a}: stored held 21, open holds sum to 20",
    ),
    "held over balance": (
        lambda g: [
            "PRAGMA ignore_check_constraints = ON",
            f"UPDATE sessions SET held = balance + 10 WHERE id = '{g.b}'",
        ],
        "available = balance - open holds >= 0",
        lambda g: f"session {g.b}: balance 40 but 50 held",
    ),
    "purchase of an unsettled invoice": (
        lambda g: [
            "INSERT INTO invoices (payment_hash, session_id, credits, created_at)"
            f" VALUES ('{'cc' * 32}', '{g.b}', 300, '2024-03-10T12:00:00.000000+00:00')",
            "INSERT INTO entries (id, session_id, kind, amount, payment_hash, created_at)"
            f" VALUES (900, '{g.b}', 'purchase', 300, '{'cc' * 32}',"
            " '2024-03-10T12:00:00.000000+00:00')",
        ],
        "every purchase references one settled invoice of its session, for its credits",
        lambda g: f"entry 900: purchase of invoice {'cc' * 32} (invoice open)",
    ),
    "purchase of no invoice at all": (
        lambda g: [
            "INSERT INTO entries (id, session_id, kind, amount, payment_hash, created_at)"
            f" VALUES (901, '{g.b}', 'purchase', 300, '{'dd' * 32}',"
            " '2024-03-10T12:00:00.000000+00:00')",
        ],
        "every purchase references one settled invoice of its session, for its credits",
        lambda g: f"entry 901: purchase of invoice {'dd' * 32} (invoice missing)",
    ),
    "settled invoice never credited": (
        lambda g: [
            f"UPDATE invoices SET state = 'settled' WHERE payment_hash = '{g.open_invoice}'"
        ],
        "every settled invoice is credited once",
        lambda g: f"invoice {g.open_invoice}: settled but never credited",
    ),
    "charged image deleted": (
        lambda g: [f"DELETE FROM images WHERE id = '{g.image}'"],
        "every charge references one saved image and one charged hold of the same amount",
        lambda g: f"entry {g.charge_entry}: charge for image {g.image} / hold {g.charged_hold}",
    ),
    "charged hold's amount changed": (
        lambda g: [f"UPDATE holds SET amount = 41 WHERE id = {g.charged_hold}"],
        "every charge references one saved image and one charged hold of the same amount",
        lambda g: f"entry {g.charge_entry}: charge for image {g.image} / hold {g.charged_hold}",
    ),
    "hold charged without an entry": (
        lambda g: [f"UPDATE holds SET state = 'charged' WHERE id = {g.open_hold}"],
        "every charged hold has its charge entry",
        lambda g: f"hold {g.open_hold}: charged but no charge entry",
    ),
    "charged image moved to another session": (
        lambda g: [f"UPDATE images SET session_id = '{g.b}' WHERE id = '{g.image}'"],
        "a charged image belongs to the session charged for it",
        lambda g: f"entry {g.charge_entry}: image {g.image} belongs to another session",
    ),
    "daily spending total edited": (
        lambda g: [f"UPDATE daily_spend SET credits = credits + 1 WHERE session_id = '{g.b}'"],
        "daily spending totals match the charges",
        lambda g: f"session {g.b} on ",
    ),
    "image charged twice": (
        lambda g: [
            "DROP INDEX charges_once_per_image",
            "INSERT INTO holds (id, session_id, amount, purpose, state, created_at)"
            f" VALUES (800, '{g.a}', 3, 'raw', 'charged', '2024-03-10T12:00:00.000000+00:00')",
            "INSERT INTO entries (session_id, kind, amount, hold_id, image_id, created_at)"
            f" VALUES ('{g.a}', 'charge', -3, 800, '{g.image}',"
            " '2024-03-10T12:00:00.000000+00:00')",
        ],
        "images are charged at most once",
        lambda g: f"image {g.image}: charged 2 times",
    ),
}


def test_verify_is_clean_on_a_good_ledger(good: Good) -> None:
    led = Ledger.open(good.path, Limits(), ManualClock(START))
    try:
        checks = led.verify()
    finally:
        led.close()
    assert len(checks) == len(db.VERIFY_CHECKS) + 1 == 12
    assert checks[0][0] == db.SCHEMA_CHECK
    assert all(rows == [] for _, rows in checks), checks


def test_every_verify_check_is_exercised() -> None:
    covered = {check for _, check, _ in CORRUPTIONS.values()}
    assert covered == {name for name, _, _ in db.VERIFY_CHECKS}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_verify_names_the_broken_rows(good: Good, tmp_path: Path, corruption: str) -> None:
    statements, check, named = CORRUPTIONS[corruption]
    copy = tmp_path / "ledger.sqlite"
    shutil.copyfile(good.path, copy)
    conn = raw(copy)
    try:
        for statement in statements(good):
            conn.execute(statement)
    finally:
        conn.close()
    led = Ledger.open(copy, Limits(), ManualClock(START))
    try:
        found = problems(led)
    finally:
        led.close()
    assert check in found, found
    assert any(row.startswith(named(good)) for row in found[check]), found[check]
    # The original is untouched and still clean.
    led = Ledger.open(good.path, Limits(), ManualClock(START))
    try:
        assert problems(led) == {}
    finally:
        led.close()


# -- files it cannot trust, and a busy database ----------------------------------------------


def _file_state(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.parent.iterdir())}


def test_a_ledger_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    led = Ledger.open(path, Limits(), ManualClock(START))
    led.close()
    conn = raw(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(LedgerError, match="newer"):
        Ledger.open(path, Limits(), ManualClock(START))
    conn = raw(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 99
    finally:
        conn.close()


def test_a_refused_newer_ledger_is_left_untouched(tmp_path: Path) -> None:
    """A ledger refused as newer is left byte for byte as it was (not even switched to WAL)."""
    path = tmp_path / "ledger.sqlite"
    conn = raw(path)
    conn.execute("CREATE TABLE from_the_future (x)")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = _file_state(path)
    with pytest.raises(LedgerError, match="newer"):
        Ledger.open(path, Limits(), ManualClock(START))
    assert _file_state(path) == before


def test_a_corrupt_file_is_refused_and_left_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    junk = bytes(range(256)) * 16 + os.urandom(4096)
    path.write_bytes(junk)
    with pytest.raises(LedgerError) as refused:
        Ledger.open(path, Limits(), ManualClock(START))
    assert str(path) in str(refused.value)
    assert "Traceback" not in str(refused.value)
    assert path.read_bytes() == junk
    assert [p.name for p in tmp_path.iterdir()] == ["ledger.sqlite"]  # no -wal / -shm left


def test_a_text_file_is_refused_and_left_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    path.write_text("this is not a ledger\n" * 100, encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(LedgerError):
        Ledger.open(path, Limits(), ManualClock(START))
    assert path.read_bytes() == before


def test_a_locked_database_refuses_without_losing_anything(
    ledger: Ledger, ledger_path: Path, sid: str, clock: ManualClock
) -> None:
    """Opening works (WAL readers are not blocked by a writer), reads work, and every money
    call waits ``timeout`` for the write lock and then refuses with ``LedgerBusy``, a sentence
    for the user. Nothing is written and nothing is lost; once the lock goes, the same calls
    succeed."""
    ledger.grant(sid, 100, "start")
    payment_hash = "ee" * 32
    add_invoice(ledger, sid, payment_hash, 300)
    hold = ledger.place_hold(sid, 30)

    blocker = raw(ledger_path)
    blocker.execute("BEGIN IMMEDIATE")
    blocker.execute("INSERT INTO audit (at, event) VALUES ('2024', 'uncommitted write')")
    busy = Ledger(db.connect(ledger_path, timeout=0.2), Limits(), clock)
    try:
        assert busy.balance(sid).balance == 100  # reading is not blocked
        save = Saver(sid, clock)
        calls: list[Callable[[], object]] = [
            lambda: busy.place_hold(sid, 10),
            lambda: busy.charge(hold, save),
            lambda: busy.release(hold),
            lambda: busy.credit_purchase(payment_hash),
            lambda: add_invoice(busy, sid, "ff" * 32, 300),
            lambda: busy.grant(sid, 5, "x"),
            lambda: busy.adjust(sid, -5, "x"),
            lambda: busy.release_stale_holds(),
        ]
        for call in calls:
            start = time.perf_counter()
            with pytest.raises(LedgerBusy) as refused:
                call()
            assert "busy" in str(refused.value) and "nothing was changed" in str(refused.value)
            assert time.perf_counter() - start >= 0.15  # it waited for the lock
            assert not busy.conn.in_transaction
        assert save.calls == 0
        assert busy.verify() == [(db.SCHEMA_CHECK, [])] + [
            (name, []) for name, _, _ in db.VERIFY_CHECKS
        ]

        blocker.execute("ROLLBACK")
        # Nothing was written or lost, and the same connection works now.
        bal = busy.balance(sid)
        assert (bal.balance, bal.held) == (100, 30)
        assert busy.credit_purchase(payment_hash) is True
        busy.charge(hold, Saver(sid, clock))
        assert busy.balance(sid).balance == 370
    finally:
        if blocker.in_transaction:
            blocker.execute("ROLLBACK")
        blocker.close()
        busy.close()
    assert problems(ledger) == {}


def test_a_ledger_opened_by_two_connections_sees_each_others_writes(
    ledger: Ledger, ledger_path: Path, sid: str, clock: ManualClock
) -> None:
    other = Ledger.open(ledger_path, Limits(), clock)
    try:
        version = ledger.data_version()
        other.grant(sid, 12, "from elsewhere")
        assert ledger.data_version() != version
        assert ledger.balance(sid).balance == 12
    finally:
        other.close()


# -- migrations ------------------------------------------------------------------------------


def test_a_version_1_ledger_is_migrated_with_its_history(tmp_path: Path) -> None:
    """A ledger written before migration 2 keeps every entry, gains the daily totals of the
    charges it already had, and passes verify."""
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in db.MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    sid = "ab" * 16
    when = "2026-11-24T10:00:00.000000+00:00"
    conn.execute(
        "INSERT INTO sessions (id, created_at, last_seen_at) VALUES (?, ?, ?)", (sid, when, when)
    )
    conn.execute(
        "INSERT INTO entries (session_id, kind, amount, note, created_at) VALUES (?, 'grant', 50, 'x', ?)",
        (sid, when),
    )
    conn.execute(
        "INSERT INTO holds (session_id, amount, purpose, created_at) VALUES (?, 7, 'generation', ?)",
        (sid, when),
    )
    conn.execute("UPDATE holds SET state = 'charged', closed_at = ? WHERE id = 1", (when,))
    conn.execute(
        "INSERT INTO images (id, session_id, created_at) VALUES ('img', ?, ?)", (sid, when)
    )
    conn.execute(
        "INSERT INTO entries (session_id, kind, amount, hold_id, image_id, created_at)"
        " VALUES (?, 'charge', -7, 1, 'img', ?)",
        (sid, when),
    )
    conn.close()

    led = Ledger.open(path)
    try:
        assert led.conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
        assert led.balance(sid).balance == 43
        assert db.charged_on(led.conn, sid, datetime(2026, 11, 24, 23, tzinfo=UTC)) == 7
        assert problems(led) == {}
    finally:
        led.close()


def test_opening_while_others_close_waits_instead_of_failing(tmp_path: Path) -> None:
    """A connection that closes after writing locks the file for a moment while it tidies the
    WAL; a ledger opened just then must wait for it, not report the ledger unusable."""
    import threading

    path = tmp_path / "ledger.sqlite"
    Ledger.open(path).close()
    failures: list[Exception] = []

    def churn(worker: int) -> None:
        for i in range(120):
            try:
                led = Ledger.open(path)
                if i % 2:
                    db.create_session(led.conn, f"{worker:02d}{i:030d}", led.clock())
                led.close()
            except Exception as exc:  # any failure is the bug
                failures.append(exc)

    threads = [threading.Thread(target=churn, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def _hold(ledger: Ledger, hold_id: int) -> db.HoldRow | None:
    """The hold's row as stored (production reads holds only through the ledger's methods)."""
    row = ledger.conn.execute(
        "SELECT id, session_id, amount, purpose, state, created_at, closed_at FROM holds"
        " WHERE id = ?",
        (hold_id,),
    ).fetchone()
    return db.HoldRow(*row) if row else None
