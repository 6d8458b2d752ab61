"""Buying credits over Lightning: make the invoice, notice the payment, credit it exactly once,
whatever the backend (``payments.backend``: LND, LNbits or NWC).

The rules (DESIGN.md section 6):

- The quote (BTC/USD price, sats, credits) is frozen into the invoice row. With LND the row is
  written before the node hears of it, with our own preimage: a retry after a crash re-adds the
  same preimage; LND answers "already exists" and the same invoice is looked up instead of a
  second one being made. Backends that pick the hash themselves make the invoice first and the
  row is written before the QR is shown, so a crash between the two finds it again by its hash.
- Only the backend's SETTLED with the full amount (its own and our row's) credits, and the
  UNIQUE payment hash in the ledger makes any number of watchers credit once. A notification
  is only a ``Prompt`` to look the invoice up.
- Only the backend's CANCELED expires an invoice: the local clock never marks a paid invoice lost.
- With LND the settle index of every settlement processed is stored, so the global invoice
  stream resumes after a restart; other backends have their open invoices polled while payable
  (``Sweeper``) and swept at start.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum

from core.billing.ledger import Ledger, LedgerError
from payments.backend import (
    ErrorKind,
    InvoiceState,
    PaymentBackend,
    PaymentError,
    Prompt,
    Report,
)
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
    EXPIRED = "expired"  # the backend cancelled it (expiry): nothing was paid


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
    """Makes invoices and applies what the backend says about them. One per thread (own
    ledger connection); the backend is shared."""

    def __init__(
        self,
        ledger: Ledger,
        backend: PaymentBackend,
        price: Callable[[], Decimal],
        new_preimage: Callable[[], bytes] = lambda: secrets.token_bytes(32),
    ) -> None:
        self.ledger = ledger
        self.backend = backend
        self.price = price
        self.new_preimage = new_preimage

    # making ------------------------------------------------------------------------------

    def open_invoice(self, sid: str) -> PendingInvoice:
        """The session's invoice to pay: an unexpired one it already has, else a new one.

        Raises ``PriceUnavailable`` (no fresh price), ``RateLimited`` or ``PaymentError``.
        """
        now = self.ledger.clock()
        existing = inv.latest_open(self.ledger.conn, sid, now + timedelta(minutes=1))
        # A row left unfinished can be finished only with our preimage (LND); otherwise (the
        # operator switched backends) a new invoice is made.
        if existing is not None and (existing.payment_request or self.backend.own_preimage):
            return self._register(existing)
        btc_usd = self.price()
        sats = sats_for_usd(BUNDLE_USD, btc_usd)
        if not self.backend.own_preimage:
            return self._made_elsewhere(sid, sats, btc_usd, now)
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

    def _made_elsewhere(
        self, sid: str, sats: int, btc_usd: Decimal, now: datetime
    ) -> PendingInvoice:
        """A backend that picks the hash: make the invoice, then write its row (with the
        request) before anyone sees the QR. No preimage of ours: ``preimage_hex`` is empty."""
        self.ledger.check_invoice_allowed(sid)
        added = self.backend.create_invoice(sats, MEMO, int(EXPIRY.total_seconds()))
        payment_hash = added.payment_hash.hex()
        self.ledger.add_invoice(
            sid,
            payment_hash,
            BUNDLE_CREDITS,
            preimage_hex="",
            amount_sats=sats,
            usd=str(BUNDLE_USD),
            btc_usd=str(btc_usd),
            expires_at=now + EXPIRY,
            payment_request=added.payment_request,
        )
        row = inv.get(self.ledger.conn, payment_hash)
        assert row is not None
        return _pending(row)

    def _register(self, row: inv.LightningInvoice) -> PendingInvoice:
        """Make sure LND has the invoice (idempotent thanks to our preimage)."""
        if row.payment_request:
            return _pending(row)
        if not row.preimage_hex:
            raise PaymentError(
                ErrorKind.OTHER, "This invoice was never finished; ask for a new one."
            )
        preimage = bytes.fromhex(row.preimage_hex)
        expiry_s = int(EXPIRY.total_seconds())
        try:
            added = self.backend.create_invoice(row.amount_sats, MEMO, expiry_s, preimage)
            request = added.payment_request
        except PaymentError as exc:
            if exc.kind is not ErrorKind.EXISTS:
                raise
            request = self.backend.lookup(bytes.fromhex(row.payment_hash)).payment_request
        with db.transaction(self.ledger.conn):
            inv.set_request(self.ledger.conn, row.payment_hash, request)
        fresh = inv.get(self.ledger.conn, row.payment_hash)
        assert fresh is not None
        return _pending(fresh)

    # applying the backend's word ---------------------------------------------------------

    def apply(self, report: Report) -> Outcome:
        """Act on one report from the backend: a status it vouches for (a lookup, LND's stream),
        or a prompt, which is looked up first (a notification is never proof of payment)."""
        if isinstance(report, Prompt):
            if inv.get(self.ledger.conn, report.payment_hash.hex()) is None:
                return Outcome.WAITING  # not one of ours: nothing to look up
            return self.check(report.payment_hash.hex())
        status = report
        payment_hash = status.payment_hash.hex()
        row = inv.get(self.ledger.conn, payment_hash)
        if row is None:
            return Outcome.WAITING  # not one of ours (another app on the same node)
        if status.paid and status.amt_paid_msat >= row.amount_sats * 1000:
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
        """Ask the backend about one invoice now (the poll)."""
        return self.apply(self.backend.lookup(bytes.fromhex(payment_hash)))

    def recover(self) -> int:
        """At start: register invoices a crash left unregistered and look up every open one.

        Returns how many were credited now.
        """
        credited = 0
        for row in inv.open_invoices(self.ledger.conn):
            try:
                if self.backend.own_preimage:
                    self._register(row)
                elif not row.payment_request:
                    continue  # never finished: no invoice was shown, nothing can be paid
                if self.check(row.payment_hash) is Outcome.CREDITED:
                    credited += 1
            except PaymentError as exc:
                log.warning("could not look up invoice %s: %s", row.payment_hash[:16], exc)
                if not exc.retryable and exc.kind is not ErrorKind.NOT_FOUND:
                    raise
                if exc.retryable and not self.backend.replays_settlements:
                    break  # down or silent: the sweep goes on asking, without a wait per row
        return credited

    def payable(self, grace: timedelta) -> list[str]:
        """Hashes of the open invoices that can still be paid (or were, within ``grace``)."""
        now = self.ledger.clock()
        return [
            row.payment_hash
            for row in inv.open_invoices(self.ledger.conn)
            if row.payment_request and _aware(datetime.fromisoformat(row.expires_at)) + grace > now
        ]

    def settle_index(self) -> int:
        return inv.settle_index(self.ledger.conn)


def _aware(moment: datetime) -> datetime:
    """Ledger times are written in UTC with their offset; one without (edited by hand) is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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
    """A background thread feeding one backend stream to ``InvoiceDesk.apply``, reconnecting
    with backoff. ``stop()`` ends it promptly from any thread."""

    def __init__(
        self,
        desk_factory: Callable[[], InvoiceDesk],
        on_outcome: Callable[[str, Outcome], None] | None = None,
        on_problem: Callable[[PaymentError | None], None] | None = None,
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
                except PaymentError as exc:
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
            stream = desk.backend.watch_one(bytes.fromhex(self.payment_hash), max(remaining, 1.0))
        else:
            stream = desk.backend.watch_all(desk.settle_index())
        with self._stream_lock:
            self._stream = stream
        if self._halt.is_set():
            stream.cancel()
            return
        if self._on_problem:
            self._on_problem(None)  # connected: any earlier problem is over
        for report in stream:
            try:
                outcome = desk.apply(report)
            except PaymentError as exc:
                if exc.retryable:
                    raise
                # A prompt about an invoice the backend cannot show us: the poll and the
                # sweep keep asking; the stream goes on.
                log.warning("prompt for %s not checked: %s", report.payment_hash.hex()[:16], exc)
                continue
            if self._on_outcome and outcome is not Outcome.WAITING:
                self._on_outcome(report.payment_hash.hex(), outcome)
            if self._halt.is_set():
                return


class Poller(threading.Thread):
    """Looks one invoice up every few seconds while someone waits for it to be paid."""

    def __init__(
        self,
        desk_factory: Callable[[], InvoiceDesk],
        payment_hash: str,
        on_outcome: Callable[[str, Outcome], None],
        on_problem: Callable[[PaymentError | None], None] | None = None,
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
                except PaymentError as exc:
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


class Sweeper(threading.Thread):
    """Looks up every open invoice that can still be paid, every few seconds, for backends
    whose stream cannot replay what happened while nobody listened (LNbits, NWC): a dropped
    websocket or a wallet that never notifies still gets the payment credited within one
    round. Failures back off (up to ``max_backoff_s``) and are reported once per change."""

    def __init__(
        self,
        desk_factory: Callable[[], InvoiceDesk],
        on_outcome: Callable[[str, Outcome], None] | None = None,
        on_problem: Callable[[PaymentError | None], None] | None = None,
        every_s: float = POLL_EVERY_S,
        max_backoff_s: float = 30.0,
        grace: timedelta = timedelta(minutes=2),
    ) -> None:
        super().__init__(daemon=True, name="pay-sweep")
        self._desk_factory = desk_factory
        self._on_outcome = on_outcome
        self._on_problem = on_problem
        self.every_s = every_s
        self.max_backoff_s = max_backoff_s
        self.grace = grace
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        desk = _open_desk(self._desk_factory, self._halt)
        if desk is None:
            return
        wait = self.every_s
        try:
            while not self._halt.wait(wait):
                try:
                    self._round(desk)
                except PaymentError as exc:
                    if self._on_problem:
                        self._on_problem(exc)
                    wait = min(max(wait * 2, 1.0), self.max_backoff_s)
                    continue
                except LedgerError as exc:
                    log.warning("sweep could not read the ledger (%s); trying again", exc)
                    wait = min(max(wait * 2, 1.0), self.max_backoff_s)
                    continue
                wait = self.every_s
        finally:
            desk.ledger.close()

    def _round(self, desk: InvoiceDesk) -> None:
        for payment_hash in desk.payable(self.grace):
            if self._halt.is_set():
                return
            try:
                outcome = desk.check(payment_hash)
            except PaymentError as exc:
                if exc.retryable:
                    raise
                log.info("sweep: invoice %s: %s", payment_hash[:16], exc.kind)
                continue
            if self._on_outcome and outcome is not Outcome.WAITING:
                self._on_outcome(payment_hash, outcome)
