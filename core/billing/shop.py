"""Everything buying needs, put together once from the configuration: the payment backend (LND,
LNbits or NWC: exactly one), the price cache and the ledger path. When no backend is configured
(or several, or one wrongly) the shop exists but says why buying is unavailable, and everything
else keeps working.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from core.billing.invoices import InvoiceDesk, Outcome, PendingInvoice, Poller, Sweeper, Watcher
from core.billing.ledger import Ledger
from core.billing.ledger_watch import LedgerWatch
from core.clock import Clock, utc_now
from core.config import Config
from core.env_settings import ENV_PRICE_URLS as ENV_PRICE_URLS  # re-exported: tests name it here
from payments.backend import BackendConfigError, ErrorKind, PaymentBackend
from payments.backend import PaymentError as PaymentError  # re-exported: tui names them via core
from payments.backend_config import NOT_CONFIGURED as NO_BACKEND
from payments.backend_config import open_backend
from payments.price import PriceCache, default_sources, fetch_quote_sync

NOT_CONFIGURED = f"{NO_BACKEND} Reading and viewing work as usual."

OutcomeHandler = Callable[[str, Outcome], None]
ProblemHandler = Callable[[PaymentError | None], None]


@dataclass
class Watching:
    """The watchers on one invoice while its QR is on screen; ``stop()`` when it closes."""

    threads: list[Watcher | Poller | Sweeper | LedgerWatch] = field(default_factory=list)

    def stop(self) -> None:
        for thread in self.threads:
            thread.stop()


class Shop:
    def __init__(
        self,
        config: Config,
        backend: PaymentBackend | None,
        prices: PriceCache | None,
        unavailable: str | None,
        clock: Clock = utc_now,
    ) -> None:
        self.config = config
        self.backend = backend
        self.prices = prices
        self.unavailable = unavailable
        """Why buying cannot work here (a sentence), or None when it can."""
        self.clock = clock
        self.new_preimage: Callable[[], bytes] = lambda: secrets.token_bytes(32)
        """Where invoice preimages come from (tests fix it for stable pictures)."""
        self.ledger_only = False
        """Watch invoices in the ledger only: another process (the server's one watcher)
        follows the node and credits them (``ServiceOptions.watch_payments`` off)."""

    @property
    def available(self) -> bool:
        return self.unavailable is None

    def desk(self) -> InvoiceDesk:
        """A desk with its own ledger connection, for the calling thread."""
        if self.backend is None or self.prices is None:
            raise RuntimeError(self.unavailable or NOT_CONFIGURED)
        prices = self.prices
        ledger = Ledger.for_config(self.config, self.clock)
        return InvoiceDesk(ledger, self.backend, lambda: prices.get().price, self.new_preimage)

    def open_invoice(self, sid: str) -> PendingInvoice:
        """The session's invoice (see ``InvoiceDesk.open_invoice``). A key that can spend turns
        buying off for this run (``unavailable`` says why): no invoice is made with it."""
        desk = self.desk()
        try:
            return desk.open_invoice(sid)
        except PaymentError as exc:
            if exc.kind is ErrorKind.CAN_SPEND:
                self.unavailable = f"{exc.user_message} Buying is unavailable until that is fixed."
            raise
        finally:
            desk.ledger.close()

    def watch(
        self,
        invoice: PendingInvoice,
        on_outcome: OutcomeHandler,
        on_problem: ProblemHandler | None = None,
        poll_every_s: float = 3.0,
    ) -> Watching:
        """Watch one invoice two ways at once: the backend's single-invoice stream (instant) and
        a lookup every few seconds (in case the stream is down). Either may credit; the ledger
        credits once. With ``ledger_only``, the ledger row alone (``LedgerWatch``)."""
        if self.ledger_only:
            ledger_watch = LedgerWatch(
                lambda: Ledger.for_config(self.config, self.clock), invoice.payment_hash, on_outcome
            )
            ledger_watch.start()
            return Watching([ledger_watch])
        watching = Watching(
            [
                Watcher(
                    self.desk,
                    on_outcome,
                    on_problem,
                    payment_hash=invoice.payment_hash,
                    until=invoice.expires_at,
                ),
                Poller(self.desk, invoice.payment_hash, on_outcome, on_problem, poll_every_s),
            ]
        )
        for thread in watching.threads:
            thread.start()
        return watching

    def watch_all(
        self,
        on_outcome: OutcomeHandler,
        on_problem: ProblemHandler | None = None,
        poll_every_s: float = 3.0,
    ) -> Watching:
        """For the app's lifetime: the global stream from the last processed settle index and,
        when the backend cannot replay settlements, a sweep of every payable open invoice."""
        assert self.backend is not None, self.unavailable
        watching = Watching([Watcher(self.desk, on_outcome, on_problem)])
        if not self.backend.replays_settlements:
            watching.threads.append(Sweeper(self.desk, on_outcome, on_problem, poll_every_s))
        for thread in watching.threads:
            thread.start()
        return watching

    def recover(self) -> int:
        """Look up invoices left open by an earlier run; returns how many were credited now."""
        desk = self.desk()
        try:
            return desk.recover()
        finally:
            desk.ledger.close()

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()


def open_shop(config: Config, clock: Clock = utc_now) -> Shop:
    settings = config.payments
    try:
        backend = open_backend(settings.backend)
    except BackendConfigError as exc:
        return Shop(config, None, None, f"{exc} Buying is unavailable until that is fixed.", clock)
    if backend is None:
        return Shop(config, None, None, NOT_CONFIGURED, clock)
    if settings.price_urls_problem is not None:
        backend.close()
        problem = settings.price_urls_problem
        return Shop(
            config, None, None, f"{problem} Buying is unavailable until that is fixed.", clock
        )
    sources = default_sources(settings.price_urls)
    prices = PriceCache(lambda: fetch_quote_sync(sources, clock=clock), clock=clock)
    return Shop(config, backend, prices, None, clock)


def expires_in(invoice: PendingInvoice, now: datetime) -> int:
    """Whole seconds left to pay (never negative): for the countdown."""
    return max(0, int((invoice.expires_at - now).total_seconds()))
