"""A model-based test of the credit ledger: random sequences of money operations on a real file.

Hypothesis drives holds, charges, releases, purchases, grants, adjustments, stale-hold sweeps
and the passing of time against two sessions, and keeps a plain-Python model of what every
balance, hold and limit should be. After every step the ledger must agree with the model and
``verify()`` must be clean.

The clock only moves by 7 s, 59 s, 61 s, 16 min, 6 h or a day and a second, so no two events
are ever exactly a minute apart: the model need not take a side on the rate limit's boundary
(see ``test_waiting_retry_after_is_enough`` in ``test_ledger.py`` for that).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from core.billing.ledger import (
    BillingError,
    DailyCapReached,
    Hold,
    HoldGone,
    InsufficientCredits,
    Ledger,
    RateLimited,
    UnknownInvoice,
)
from core.billing.limits import Limits
from storage import ledger as db
from tests.clock import ManualClock
from tests.invoice_rows import add_invoice

LIMITS = Limits(
    generations_per_minute=2,
    invoices_per_minute=1000,
    daily_credit_cap=400,
    stale_hold_age=timedelta(minutes=15),
)
START = datetime(2024, 2, 28, 23, 40, tzinfo=UTC)  # near a UTC midnight (and a leap day)
STEPS = [
    timedelta(seconds=7),
    timedelta(seconds=59),
    timedelta(seconds=61),
    timedelta(minutes=16),
    timedelta(hours=6),
    timedelta(days=1, seconds=1),
]


@dataclass
class ModelHold:
    hold: Hold
    placed_at: datetime
    state: str = "open"


class LedgerMachine(RuleBasedStateMachine):
    holds = Bundle("holds")
    invoices = Bundle("invoices")

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="verselight-ledger-machine-"))
        self.clock = ManualClock(START)
        self.ledger = Ledger.open(self.dir / "ledger.sqlite", LIMITS, self.clock)
        # Its holds stand for those of processes a restart cannot judge: the age decides.
        self.ledger.owner = "another-host:1:1"
        self.sids = [uuid4().hex, uuid4().hex]
        for sid in self.sids:
            db.create_session(self.ledger.conn, sid, self.clock())
        # the model
        self.balance = dict.fromkeys(self.sids, 0)
        self.model_holds: dict[int, ModelHold] = {}
        self.charges: list[tuple[str, datetime, int]] = []
        self.hold_times: dict[str, list[datetime]] = {sid: [] for sid in self.sids}
        self.invoice_of: dict[str, tuple[str, int]] = {}
        self.credited: set[str] = set()
        self.images_saved = 0

    def teardown(self) -> None:
        self.ledger.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # model helpers -----------------------------------------------------------------------

    def held(self, sid: str) -> int:
        return sum(
            m.hold.amount
            for m in self.model_holds.values()
            if m.state == "open" and m.hold.session_id == sid
        )

    def spent_today(self, sid: str) -> int:
        day = self.clock.now.date()
        charged = sum(a for s, at, a in self.charges if s == sid and at.date() == day)
        return charged + self.held(sid)

    def recent_holds(self, sid: str) -> int:
        window = self.clock.now - timedelta(minutes=1)
        return sum(1 for at in self.hold_times[sid] if at > window)

    def save(self, sid: str):
        calls: list[str] = []

        def save(conn):
            image_id = uuid4().hex
            conn.execute(
                "INSERT INTO images (id, session_id, created_at) VALUES (?, ?, ?)",
                (image_id, sid, db.ts(self.clock())),
            )
            calls.append(image_id)
            return image_id

        return save, calls

    # rules -------------------------------------------------------------------------------

    @initialize(start=st.lists(st.integers(0, 1500), min_size=2, max_size=2))
    def starting_credits(self, start: list[int]) -> None:
        for sid, amount in zip(self.sids, start, strict=True):
            if amount:
                self.ledger.grant(sid, amount, "welcome")
                self.balance[sid] += amount

    @rule(
        target=holds,
        who=st.integers(0, 1),
        amount=st.one_of(
            st.integers(1, 40),
            st.integers(41, 400),
            st.sampled_from(["available", "available+1", "cap", "cap+1"]),
        ),
    )
    def place_hold(self, who: int, amount: int | str):
        """Random amounts, and amounts exactly at (and one past) what is available or allowed."""
        sid = self.sids[who]
        available = self.balance[sid] - self.held(sid)
        if isinstance(amount, str):
            edge, _, plus = amount.partition("+")
            room = (
                available
                if edge == "available"
                else LIMITS.daily_credit_cap - self.spent_today(sid)
            )
            amount = max(1, room + int(plus or 0))
        if available < amount:
            with pytest.raises(InsufficientCredits) as refused:
                self.ledger.place_hold(sid, amount)
            assert refused.value.missing == amount - available
            event("hold: insufficient credits")
            return multiple()
        if self.recent_holds(sid) >= LIMITS.generations_per_minute:
            with pytest.raises(RateLimited) as limited:
                self.ledger.place_hold(sid, amount)
            assert 0 < limited.value.retry_after <= 60
            event("hold: rate limited")
            return multiple()
        if self.spent_today(sid) + amount > LIMITS.daily_credit_cap:
            with pytest.raises(DailyCapReached) as capped:
                self.ledger.place_hold(sid, amount)
            assert capped.value.spent == self.spent_today(sid)
            event("hold: daily cap")
            return multiple()
        hold = self.ledger.place_hold(sid, amount)
        assert (hold.session_id, hold.amount) == (sid, amount)
        assert hold.id not in self.model_holds
        self.model_holds[hold.id] = ModelHold(hold, self.clock.now)
        self.hold_times[sid].append(self.clock.now)
        event("hold: placed")
        return hold

    @rule(target=holds, who=st.integers(0, 1))
    def burst(self, who: int):
        """One credit at a time, once more than the rate limit allows."""
        placed = []
        for _ in range(LIMITS.generations_per_minute + 1):
            got = self.place_hold(who, 1)
            if isinstance(got, Hold):
                placed.append(got)
        return multiple(*placed)

    @rule()
    def restart_after_a_crash(self) -> None:
        """The process dies, and the next one starts after the stale age and sweeps holds."""
        self.ledger.close()
        self.clock.now += LIMITS.stale_hold_age + timedelta(seconds=1)
        self.ledger = Ledger.open(self.dir / "ledger.sqlite", LIMITS, self.clock)
        # Its holds stand for those of processes a restart cannot judge: the age decides.
        self.ledger.owner = "another-host:1:1"
        self.release_stale_holds()

    @rule(hold=holds)
    def charge(self, hold: Hold) -> None:
        model = self.model_holds[hold.id]
        save, calls = self.save(hold.session_id)
        if model.state != "open":
            with pytest.raises(HoldGone):
                self.ledger.charge(hold, save)
            assert calls == []
            event("charge: hold gone")
            return
        entry_id = self.ledger.charge(hold, save)
        assert len(calls) == 1
        latest = self.ledger.history(hold.session_id, limit=1)[0]
        assert (latest.id, latest.kind, latest.amount, latest.image_id) == (
            entry_id,
            "charge",
            -hold.amount,
            calls[0],
        )
        model.state = "charged"
        self.balance[hold.session_id] -= hold.amount
        self.charges.append((hold.session_id, self.clock.now, hold.amount))
        self.images_saved += 1
        event("charge: charged")

    @rule(hold=holds)
    def release(self, hold: Hold) -> None:
        model = self.model_holds[hold.id]
        assert self.ledger.release(hold) is (model.state == "open")
        if model.state == "open":
            model.state = "released"

    @rule()
    def release_stale_holds(self) -> None:
        """Holds older than the stale age are released, younger ones kept."""
        cutoff = self.clock.now - LIMITS.stale_hold_age
        stale = [m for m in self.model_holds.values() if m.state == "open" and m.placed_at < cutoff]
        assert self.ledger.release_stale_holds() == len(stale)
        for m in stale:
            m.state = "released"
        if stale:
            event("stale holds released")

    @rule(target=invoices, who=st.integers(0, 1), credits=st.sampled_from([300, 1, 45, 600]))
    def add_invoice(self, who: int, credits: int) -> str:
        sid = self.sids[who]
        payment_hash = uuid4().hex + uuid4().hex
        add_invoice(self.ledger, sid, payment_hash, credits)
        self.invoice_of[payment_hash] = (sid, credits)
        return payment_hash

    @rule(payment_hash=invoices)
    def credit_purchase(self, payment_hash: str) -> None:
        first = payment_hash not in self.credited
        assert self.ledger.credit_purchase(payment_hash) is first
        if first:
            sid, credits = self.invoice_of[payment_hash]
            self.balance[sid] += credits
            self.credited.add(payment_hash)
        else:
            event("purchase: already credited")

    @rule()
    def credit_unknown_invoice(self) -> None:
        with pytest.raises(UnknownInvoice):
            self.ledger.credit_purchase(uuid4().hex)

    @rule(who=st.integers(0, 1), amount=st.integers(1, 1000))
    def grant(self, who: int, amount: int) -> None:
        sid = self.sids[who]
        self.ledger.grant(sid, amount, "operator")
        self.balance[sid] += amount

    @rule(who=st.integers(0, 1), amount=st.one_of(st.integers(-400, -1), st.integers(1, 300)))
    def adjust(self, who: int, amount: int) -> None:
        sid = self.sids[who]
        if self.balance[sid] + amount < self.held(sid):
            with pytest.raises(BillingError):
                self.ledger.adjust(sid, amount, "correction")
            event("adjust: refused")
            return
        self.ledger.adjust(sid, amount, "correction")
        self.balance[sid] += amount

    @rule(step=st.sampled_from(STEPS))
    def advance_clock(self, step: timedelta) -> None:
        self.clock.now += step

    @precondition(lambda self: any(m.state == "open" for m in self.model_holds.values()))
    @rule(data=st.data())
    def release_from_another_connection(self, data: st.DataObject) -> None:
        """Another process (a second connection) releases an open hold."""
        open_ids = sorted(i for i, m in self.model_holds.items() if m.state == "open")
        hold_id = data.draw(st.sampled_from(open_ids))
        other = Ledger.open(self.dir / "ledger.sqlite", LIMITS, self.clock)
        try:
            assert other.release(hold_id) is True
        finally:
            other.close()
        self.model_holds[hold_id].state = "released"

    # invariants --------------------------------------------------------------------------

    @invariant()
    def verify_is_clean(self) -> None:
        assert {name: rows for name, rows in self.ledger.verify() if rows} == {}

    @invariant()
    def balances_match_the_model(self) -> None:
        for sid in self.sids:
            bal = self.ledger.balance(sid)
            assert bal.balance == self.balance[sid]
            assert bal.held == self.held(sid)
            assert bal.available >= 0
            assert bal.balance == sum(e.amount for e in self.ledger.history(sid))

    @invariant()
    def open_holds_match_the_model(self) -> None:
        for sid in self.sids:
            got = [h.id for h in self.ledger.open_holds(sid)]
            want = sorted(
                i
                for i, m in self.model_holds.items()
                if m.state == "open" and m.hold.session_id == sid
            )
            assert got == want

    @invariant()
    def every_payment_hash_is_credited_once(self) -> None:
        counts = dict(
            self.ledger.conn.execute(
                "SELECT payment_hash, count(*) FROM entries WHERE kind = 'purchase'"
                " GROUP BY payment_hash"
            ).fetchall()
        )
        assert counts == dict.fromkeys(self.credited, 1)

    @invariant()
    def one_image_per_charge(self) -> None:
        images = self.ledger.conn.execute("SELECT count(*) FROM images").fetchone()[0]
        assert images == self.images_saved == len(self.charges)


LedgerMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestLedgerMachine = LedgerMachine.TestCase
