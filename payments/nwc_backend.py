"""The Nostr Wallet Connect adapter of ``payments.backend.PaymentBackend``: ``NwcWallet`` (one
connection to the wallet through its relays) seen as a backend.

- The wallet picks the hash (``own_preimage`` False) and its notifications replay nothing that
  happened while nobody listened (``replays_settlements`` False): open invoices are polled and
  swept, and a notification is only a speed-up.
- A notification is proof only when the wallet's own key signed it (``NwcWallet`` drops every
  other) and it names the amount of an invoice this process made (``NwcNotification.proves``):
  then the stream yields a settled ``InvoiceStatus``; anything else is a ``Prompt`` to look the
  invoice up. ``lookup`` is the word that credits.
- The wallet connection opens at the first call, not when the settings are read: nostr-sdk
  (0.3 s to import) and its loop thread cost nothing until buying, doctor or a watcher needs
  them, and a wallet that cannot be reached then is a sentence, tried again at the next call.
- One reader hands every notification to every open stream (the app's lifetime watcher and a
  dialog's watcher both see it): ``NwcWallet`` has one queue, and a notification taken by one
  stream would be missing from the other.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import weakref
from collections import OrderedDict

from payments.backend import (
    AddedInvoice,
    CancelsOnExit,
    ClosesOnExit,
    ErrorKind,
    InvoiceState,
    InvoiceStatus,
    PaymentError,
    Prompt,
    Report,
)
from payments.nwc import (
    DEFAULT_TIMEOUT_S,
    NwcError,
    NwcInfo,
    NwcNotification,
    NwcRefused,
    NwcTimeout,
    NwcUnavailable,
    NwcUri,
    NwcUriError,
    NwcWallet,
)
from payments.nwc import InvoiceState as NwcState

__all__ = ["CAN_SPEND_WARNING", "FORGOTTEN", "NotificationStream", "NwcBackend"]

log = logging.getLogger("verselight.payments.nwc")

FORGOTTEN = (
    "The NWC wallet no longer knows this invoice (it may have been restarted); "
    "nothing was credited for it. Do not pay it: ask for a new one."
)
CAN_SPEND_WARNING = (
    "warning: this connection may also pay ({methods}); a receive-only connection is safer"
)
CLOSED = "The NWC wallet connection was closed."

_STATES = {
    NwcState.PENDING: InvoiceState.OPEN,
    NwcState.SETTLED: InvoiceState.SETTLED,
    NwcState.EXPIRED: InvoiceState.CANCELED,
    NwcState.FAILED: InvoiceState.CANCELED,
}
"""The wallet's word -> ours; NOT_FOUND is an error, anything else UNKNOWN (never paid)."""

_REFUSAL_KINDS = {
    "UNAUTHORIZED": ErrorKind.AUTH,
    "RESTRICTED": ErrorKind.PERMISSION,
    "NOT_IMPLEMENTED": ErrorKind.PERMISSION,
    "NOT_FOUND": ErrorKind.NOT_FOUND,
    "RATE_LIMITED": ErrorKind.UNAVAILABLE,
    "INTERNAL": ErrorKind.UNAVAILABLE,
}
_REMEMBERED = 1024
"""Amounts of the invoices made here, newest kept: what a notification must name to prove one."""
_WAKE_S = 0.5
"""How often a waiting stream looks at its deadline and whether it was cancelled."""


def _payment_error(exc: NwcError | NwcUriError) -> PaymentError:
    """The client's sentence (ours, never the wallet's words or the secret) with a kind."""
    if isinstance(exc, NwcTimeout):
        kind = ErrorKind.DEADLINE
    elif isinstance(exc, NwcUnavailable):
        kind = ErrorKind.UNAVAILABLE
    elif isinstance(exc, NwcRefused):
        kind = _REFUSAL_KINDS.get(exc.code, ErrorKind.OTHER)
    elif isinstance(exc, NwcError) and exc.retryable:
        kind = ErrorKind.UNAVAILABLE
    else:
        kind = ErrorKind.OTHER
    text = FORGOTTEN if kind is ErrorKind.NOT_FOUND else str(exc)
    if str(exc) == "The wallet connection was closed.":
        kind, text = ErrorKind.CANCELLED, CLOSED
    return PaymentError(kind, text)


class NwcBackend(ClosesOnExit):
    """One NWC wallet connection as a payment backend. Thread-safe."""

    name = "NWC"
    own_preimage = False
    replays_settlements = False

    def __init__(self, uri: NwcUri, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.uri = uri
        self.timeout = timeout
        self._lock = threading.Lock()
        self._wallet: NwcWallet | None = None
        self._closed = False
        self._streams: weakref.WeakSet[NotificationStream] = weakref.WeakSet()
        """Weak: a stream its watcher dropped without cancelling (it resubscribes after a
        failed lookup) leaves with its queue instead of collecting every notification."""
        self._amounts: OrderedDict[str, int] = OrderedDict()

    # PaymentBackend -----------------------------------------------------------------------

    def check(self) -> str:
        """The wallet answers a lookup and offers what Verselight needs; a connection that may
        also pay works but is named in a warning (the line stays ok: it can sell)."""
        wallet = self._connected()
        try:
            info = wallet.check()
        except NwcError as exc:
            raise _payment_error(exc) from None
        return describe(info, len(self.uri.relays))

    def info(self) -> NwcInfo:
        """What the wallet advertises for this connection (read once)."""
        try:
            return self._connected().info()
        except NwcError as exc:
            raise _payment_error(exc) from None

    def create_invoice(
        self, sats: int, memo: str, expiry_s: int, preimage: bytes | None = None
    ) -> AddedInvoice:
        if preimage is not None:
            raise ValueError("an NWC wallet picks the preimage itself")
        try:
            made = self._connected().make_invoice(sats, memo, expiry_s)
        except NwcError as exc:
            raise _payment_error(exc) from None
        with self._lock:
            self._amounts[made.payment_hash] = made.amount_msat
            if len(self._amounts) > _REMEMBERED:
                self._amounts.popitem(last=False)
        return AddedInvoice(bytes.fromhex(made.payment_hash), made.bolt11)

    def lookup(self, payment_hash: bytes) -> InvoiceStatus:
        try:
            found = self._connected().lookup_invoice(payment_hash.hex())
        except NwcError as exc:
            raise _payment_error(exc) from None
        if found.state is NwcState.NOT_FOUND:
            raise PaymentError(ErrorKind.NOT_FOUND, FORGOTTEN)
        state = _STATES.get(found.state, InvoiceState.UNKNOWN)
        settled = state is InvoiceState.SETTLED
        return InvoiceStatus(
            payment_hash=payment_hash,
            state=state,
            value_msat=found.amount_msat,
            amt_paid_msat=found.amount_msat if settled else 0,
            payment_request=found.bolt11,
            settle_date=(found.settled_at or 0) if settled else 0,
        )

    def watch_one(self, payment_hash: bytes, deadline_s: float) -> NotificationStream:
        """Reports about one invoice from the wallet's notifications, until it is proven paid
        or ``deadline_s``."""
        return self._stream(payment_hash, deadline_s)

    def watch_all(self, cursor: int) -> NotificationStream:
        """Reports about every invoice the wallet notifies (no cursor: nothing is replayed)."""
        return self._stream(None, None)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            wallet, self._wallet = self._wallet, None
            streams = list(self._streams)
        for stream in streams:
            stream.cancel()
        if wallet is not None:
            wallet.close()

    # the rest -----------------------------------------------------------------------------

    def _connected(self) -> NwcWallet:
        """The wallet connection, opened at the first call (and again after one that failed)."""
        with self._lock:
            if self._closed:
                raise PaymentError(ErrorKind.CANCELLED, CLOSED)
            if self._wallet is None:
                try:
                    self._wallet = NwcWallet(self.uri, timeout=self.timeout)
                except (NwcError, NwcUriError) as exc:
                    raise _payment_error(exc) from None
                threading.Thread(
                    target=self._hand_out, args=(self._wallet,), name="nwc-notes", daemon=True
                ).start()
            return self._wallet

    def _stream(self, only: bytes | None, deadline_s: float | None) -> NotificationStream:
        self._connected()  # a wallet that cannot be opened fails here; the watcher retries
        stream = NotificationStream(self, only, deadline_s)
        with self._lock:
            self._streams.add(stream)
        return stream

    def _forget_stream(self, stream: NotificationStream) -> None:
        with self._lock:
            self._streams.discard(stream)

    def _hand_out(self, wallet: NwcWallet) -> None:
        """Every notification from the wallet, as a report, to every open stream."""
        for note in wallet.notifications():
            report = self._report(note)
            with self._lock:
                streams = list(self._streams)
            for stream in streams:
                stream.offer(report)

    def _report(self, note: NwcNotification) -> Report:
        """A settled status when the notification proves the payment of an invoice made here;
        otherwise a prompt to look it up."""
        payment_hash = bytes.fromhex(note.payment_hash)
        with self._lock:
            amount_msat = self._amounts.get(note.payment_hash)
        if amount_msat is None or not note.proves(amount_msat):
            log.info("a notification about %s only prompts a lookup", note.payment_hash[:16])
            return Prompt(payment_hash)
        return InvoiceStatus(
            payment_hash=payment_hash,
            state=InvoiceState.SETTLED,
            value_msat=amount_msat,
            amt_paid_msat=note.amount_msat,
            settle_date=note.settled_at or 0,
        )


def describe(info: NwcInfo, relays: int) -> str:
    """Doctor's words for a connection that works."""
    where = "its relay" if relays == 1 else f"{relays} relays"
    encryption = "NIP-44" if info.encryption == "nip44_v2" else "NIP-04"
    text = f"wallet answers through {where} ({encryption})"
    if not info.notifies_payments:
        text += "; it sends no payment notifications, so open invoices are polled"
    if info.can_spend:
        methods = ", ".join(sorted(info.spending_methods))
        text += "; " + CAN_SPEND_WARNING.format(methods=methods)
    return text


class NotificationStream(CancelsOnExit):
    """The wallet's notifications as a ``ReportStream``: iterating blocks until a report, the
    deadline or ``cancel()`` (any thread); it never fails (the wallet reconnects its relays)."""

    def __init__(self, backend: NwcBackend, only: bytes | None, deadline_s: float | None) -> None:
        self._backend = backend
        self._only = only
        self._deadline = None if deadline_s is None else time.monotonic() + deadline_s
        self._reports: queue.Queue[Report] = queue.Queue()
        self._cancelled = threading.Event()
        self._proven = False

    def offer(self, report: Report) -> None:
        if self._only is None or report.payment_hash == self._only:
            self._reports.put(report)

    def __iter__(self) -> NotificationStream:
        return self

    def __next__(self) -> Report:
        while True:
            if self._cancelled.is_set() or self._proven:
                self.cancel()
                raise StopIteration
            wait = _WAKE_S
            if self._deadline is not None:
                left = self._deadline - time.monotonic()
                if left <= 0:
                    self.cancel()
                    raise StopIteration
                wait = min(wait, left)
            try:
                report = self._reports.get(timeout=wait)
            except queue.Empty:
                continue
            if self._only is not None and isinstance(report, InvoiceStatus) and report.paid:
                self._proven = True  # this invoice is settled: nothing more to watch for
            return report

    def cancel(self) -> None:
        self._cancelled.set()
        self._backend._forget_stream(self)
