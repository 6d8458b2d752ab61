"""Buying credits over Lightning: make the invoice, notice the payment, credit it exactly once.

The rules (DESIGN.md section 6):

- The quote (BTC/USD price, sats, credits) is frozen into the invoice row before LND hears of
  it, with our own preimage. A retry after a crash re-adds the same preimage; LND answers
  "already exists" and the same invoice is looked up instead of a second one being made.
- Only LND's SETTLED with ``amt_paid_msat >= value_msat`` credits, and the UNIQUE payment
  hash in the ledger makes any number of watchers credit once.
- Only LND's CANCELED expires an invoice: the local clock never marks a paid invoice lost.
- The settle index of every settlement processed is stored, so the global invoice stream
  resumes after a restart and payments made while the app was closed are credited.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum

from core.billing.ledger import Ledger, LedgerError
from payments.lnd import InvoiceState, InvoiceStatus, LndClient, LndError, LndErrorKind
from payments.price import sats_for_usd
from storage import invoices as inv
from storage import ledger as db

log = logging.getLogger("verselight.invoices")

BUNDLE_USD = Decimal("3")
BUNDLE_CREDITS = 300
MEMO = "Verselight: 300 credits"
EXPIRY = timedelta(minutes=15)
POLL_EVERY_S = 3.0


@dataclass(frozen=True, slots=True)
class PendingInvoice:
    """What the buy screen shows: the QR's invoice and the frozen quote."""

    payment_hash: str
    payment_request: str
    sats: int
    usd: Decimal
    btc_usd: Decimal
    credits: int
    expires_at: datetime


class Outcome(Enum):
    WAITING = "waiting"
    CREDITED = "credited"  # paid, and this call credited it
    ALREADY_CREDITED = "already"  # paid, credited before (by this or another watcher)
    EXPIRED = "expired"  # LND cancelled it (expiry): nothing was paid


def _pending(row: inv.LightningInvoice) -> PendingInvoice:
    assert row.payment_request is not None
    return PendingInvoice(
        payment_hash=row.payment_hash,
        payment_request=row.payment_request,
        sats=row.amount_sats,
        usd=Decimal(row.usd),
        btc_usd=Decimal(row.btc_usd),
        credits=row.credits,
        expires_at=datetime.fromisoformat(row.expires_at),
    )


class InvoiceDesk:
    """Makes invoices and applies what LND says about them. One per thread (own connection)."""

    def __init__(
        self,
        ledger: Ledger,
        lnd: LndClient,
        price: Callable[[], Decimal],
        new_preimage: Callable[[], bytes] = lambda: secrets.token_bytes(32),
    ) -> None:
        self.ledger = ledger
        self.lnd = lnd
        self.price = price
        self.new_preimage = new_preimage

    # making ------------------------------------------------------------------------------

    def open_invoice(self, sid: str) -> PendingInvoice:
        """The session's invoice to pay: an unexpired one it already has, else a new one.

        Raises ``PriceUnavailable`` (no fresh price), ``RateLimited`` or ``LndError``.
        """
        now = self.ledger.clock()
        existing = inv.latest_open(self.ledger.conn, sid, now + timedelta(minutes=1))
        if existing is not None:
            return self._register(existing)
        btc_usd = self.price()
        sats = sats_for_usd(BUNDLE_USD, btc_usd)
        preimage = self.new_preimage()
        payment_hash = hashlib.sha256(preimage).hexdigest()
        self.ledger.add_invoice(
            sid,
            payment_hash,
            BUNDLE_CREDITS,
            preimage_hex=preimage.hex(),
            amount_sats=sats,
            usd=str(BUNDLE_USD),
            btc_usd=str(btc_usd),
            expires_at=now + EXPIRY,
        )
        row = inv.get(self.ledger.conn, payment_hash)
        assert row is not None
        return self._register(row)

    def _register(self, row: inv.LightningInvoice) -> PendingInvoice:
        """Make sure LND has the invoice (idempotent thanks to our preimage)."""
        if row.payment_request:
            return _pending(row)
        preimage = bytes.fromhex(row.preimage_hex)
        expiry_s = int(EXPIRY.total_seconds())
        try:
            added = self.lnd.add_invoice(row.amount_sats, MEMO, expiry_s, preimage)
            request = added.payment_request
        except LndError as exc:
            if exc.kind is not LndErrorKind.EXISTS:
                raise
            request = self.lnd.lookup_invoice(bytes.fromhex(row.payment_hash)).payment_request
        with db.transaction(self.ledger.conn):
            inv.set_request(self.ledger.conn, row.payment_hash, request)
        fresh = inv.get(self.ledger.conn, row.payment_hash)
        assert fresh is not None
        return _pending(fresh)

    # applying LND's word -----------------------------------------------------------------

    def apply(self, status: InvoiceStatus) -> Outcome:
        """Act on one report from LND (a lookup or a stream message)."""
        payment_hash = status.payment_hash.hex()
        if inv.get(self.ledger.conn, payment_hash) is None:
            return Outcome.WAITING  # not one of ours (another app on the same node)
        if status.paid:
            credited = self.ledger.credit_purchase(payment_hash)
            if status.settle_index:
                with db.transaction(self.ledger.conn):
                    inv.advance_settle_index(self.ledger.conn, status.settle_index)
            if credited:
                log.info("credited invoice %s", payment_hash[:16])
            return Outcome.CREDITED if credited else Outcome.ALREADY_CREDITED
        if status.state is InvoiceState.CANCELED:
            with db.transaction(self.ledger.conn):
                inv.mark_expired(self.ledger.conn, payment_hash)
            return Outcome.EXPIRED
        return Outcome.WAITING

    def check(self, payment_hash: str) -> Outcome:
        """Ask LND about one invoice now (the 3-second poll)."""
        return self.apply(self.lnd.lookup_invoice(bytes.fromhex(payment_hash)))

    def recover(self) -> int:
        """At start: register invoices a crash left unregistered and look up every open one.

        Returns how many were credited now.
        """
        credited = 0
        for row in inv.open_invoices(self.ledger.conn):
            try:
                self._register(row)
                if self.check(row.payment_hash) is Outcome.CREDITED:
                    credited += 1
            except LndError as exc:
                log.warning("could not look up invoice %s: %s", row.payment_hash[:16], exc)
                if not exc.retryable and exc.kind is not LndErrorKind.NOT_FOUND:
                    raise
        return credited

    def settle_index(self) -> int:
        return inv.settle_index(self.ledger.conn)


def _open_desk(factory: Callable[[], InvoiceDesk], halt: threading.Event) -> InvoiceDesk | None:
    """A desk for a watcher thread; a ledger that is busy for a moment is tried again, so a
    watcher never dies of it. None when told to stop first."""
    backoff = 0.1
    while not halt.is_set():
        try:
            return factory()
        except LedgerError as exc:
            log.warning("watcher could not open the ledger (%s); trying again", exc)
            halt.wait(backoff)
            backoff = min(backoff * 2, 5.0)
    return None


class Watcher(threading.Thread):
    """A background thread feeding one LND stream to ``InvoiceDesk.apply``, reconnecting with
    backoff. ``stop()`` ends it promptly from any thread."""

    def __init__(
        self,
        desk_factory: Callable[[], InvoiceDesk],
        on_outcome: Callable[[str, Outcome], None] | None = None,
        on_problem: Callable[[LndError | None], None] | None = None,
        *,
        payment_hash: str | None = None,
        until: datetime | None = None,
        max_backoff_s: float = 30.0,
    ) -> None:
        super().__init__(daemon=True, name=f"lnd-watch-{(payment_hash or 'all')[:8]}")
        self._desk_factory = desk_factory
        self._on_outcome = on_outcome
        self._on_problem = on_problem
        self.payment_hash = payment_hash
        self.until = until
        self.max_backoff_s = max_backoff_s
        self._halt = threading.Event()
        self._stream_lock = threading.Lock()
        self._stream: object | None = None

    def stop(self) -> None:
        self._halt.set()
        with self._stream_lock:
            stream = self._stream
        cancel = getattr(stream, "cancel", None)
        if cancel is not None:
            cancel()

    @property
    def stopped(self) -> bool:
        return self._halt.is_set()

    def run(self) -> None:
        desk = _open_desk(self._desk_factory, self._halt)
        if desk is None:
            return
        backoff = 1.0
        try:
            while not self._halt.is_set():
                try:
                    self._follow(desk)
                    backoff = 1.0
                    if self.payment_hash is not None:
                        return  # the single-invoice stream ended (settled or cancelled)
                except LndError as exc:
                    if self._halt.is_set():
                        return
                    if self._on_problem:
                        self._on_problem(exc)
                    self._halt.wait(backoff)
                    backoff = min(backoff * 2, self.max_backoff_s)
        finally:
            desk.ledger.close()

    def _follow(self, desk: InvoiceDesk) -> None:
        if self.payment_hash is not None:
            remaining = (self.until - desk.ledger.clock()).total_seconds() if self.until else 900.0
            stream = desk.lnd.subscribe_single(
                bytes.fromhex(self.payment_hash), max(remaining, 1.0)
            )
        else:
            stream = desk.lnd.subscribe_invoices(desk.settle_index())
        with self._stream_lock:
            self._stream = stream
        if self._halt.is_set():
            stream.cancel()
            return
        if self._on_problem:
            self._on_problem(None)  # connected: any earlier problem is over
        for status in stream:
            outcome = desk.apply(status)
            if self._on_outcome and outcome is not Outcome.WAITING:
                self._on_outcome(status.payment_hash.hex(), outcome)
            if self._halt.is_set():
                return


class Poller(threading.Thread):
    """Looks one invoice up every few seconds while someone waits for it to be paid."""

    def __init__(
        self,
        desk_factory: Callable[[], InvoiceDesk],
        payment_hash: str,
        on_outcome: Callable[[str, Outcome], None],
        on_problem: Callable[[LndError | None], None] | None = None,
        every_s: float = POLL_EVERY_S,
    ) -> None:
        super().__init__(daemon=True, name=f"lnd-poll-{payment_hash[:8]}")
        self._desk_factory = desk_factory
        self.payment_hash = payment_hash
        self._on_outcome = on_outcome
        self._on_problem = on_problem
        self.every_s = every_s
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        desk = _open_desk(self._desk_factory, self._halt)
        if desk is None:
            return
        try:
            while not self._halt.wait(self.every_s):
                try:
                    outcome = desk.check(self.payment_hash)
                except LndError as exc:
                    if self._on_problem:
                        self._on_problem(exc)
                    continue
                if self._on_problem:
                    self._on_problem(None)
                if outcome is not Outcome.WAITING:
                    self._on_outcome(self.payment_hash, outcome)
                    return
        finally:
            desk.ledger.close()
