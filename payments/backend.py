"""What every payment backend (LND, LNbits, Nostr Wallet Connect) does for Verselight, in one
interface, and the few types they all speak.

Deciding what a payment means (credits, the ledger) happens in ``core``; a backend only makes
invoices, says what it knows about one, and reports that something happened. The rules every
adapter keeps (DESIGN.md section 6, issue 13):

- An invoice always carries its amount (Cash App offers its dollar balance only then), the memo
  and an expiry.
- ``lookup`` is the word that credits: an ``InvoiceStatus`` whose ``paid`` is true. A backend's
  own authenticated stream may yield statuses too (LND's, over TLS with the macaroon), but a
  notification anyone could have sent (LNbits' websocket, a Nostr event not signed by the
  wallet) is only a ``Prompt``: the watcher then looks the invoice up.
- A stream may end or fail at any time; the watcher resumes it with backoff. Backends whose
  stream cannot replay what happened while nobody listened (``replays_settlements`` False) have
  every open invoice polled while it can be paid, and swept at start.
- An invoice the backend does not know (a wallet that forgot it) is ``ErrorKind.NOT_FOUND``:
  a sentence, never a credit.
- Every failure is a ``PaymentError``: a kind a caller can act on and a sentence for people
  with no secret and no backend details in it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self


class InvoiceState(enum.Enum):
    """Where an invoice stands. LND's ``Invoice.InvoiceState`` numbers; other backends map onto
    them (an expired invoice is CANCELED: there is no EXPIRED)."""

    OPEN = 0
    SETTLED = 1
    CANCELED = 2
    ACCEPTED = 3
    UNKNOWN = -1  # a state newer than we know: never treated as paid


@dataclass(frozen=True)
class AddedInvoice:
    """A new invoice: enough to show the QR and to watch for payment."""

    payment_hash: bytes
    payment_request: str
    add_index: int = 0
    """LND's add index; 0 for backends that have none."""


@dataclass(frozen=True)
class InvoiceStatus:
    """One invoice as the backend reports it (a lookup, or a trusted stream message).

    The fields after ``amt_paid_msat`` are LND's; other backends fill what they know.
    """

    payment_hash: bytes
    state: InvoiceState
    value_msat: int
    amt_paid_msat: int
    add_index: int = 0
    settle_index: int = 0
    """LND's settle index (the global stream resumes after it); 0 for other backends."""
    payment_request: str = ""
    memo: str = ""
    creation_date: int = 0
    settle_date: int = 0
    expiry_s: int = 0

    @property
    def paid(self) -> bool:
        """SETTLED with at least the asked amount: the only thing that counts as paid.

        The local clock never decides, and a partial payment is not a payment.
        """
        return (
            self.state is InvoiceState.SETTLED
            and self.value_msat > 0
            and self.amt_paid_msat >= self.value_msat
        )


@dataclass(frozen=True)
class Prompt:
    """Something may have happened to this invoice: look it up. Never proof of payment."""

    payment_hash: bytes


Report = InvoiceStatus | Prompt
"""What a backend's stream yields: a status it vouches for, or a prompt to look one up."""


class ErrorKind(enum.StrEnum):
    """What went wrong, in terms a caller can act on."""

    UNAVAILABLE = "unavailable"  # backend down, starting, TLS mismatch, connection dropped
    DEADLINE = "deadline"  # no answer before the call's deadline
    AUTH = "auth"  # credentials missing or not accepted
    PERMISSION = "permission"  # credentials valid but not allowed to handle invoices
    CAN_SPEND = "can_spend"  # credentials that could spend: refused, Verselight only receives
    LOCKED = "locked"  # wallet locked
    NOT_FOUND = "not_found"  # unknown payment hash (a wallet that forgot the invoice)
    EXISTS = "exists"  # an invoice with our preimage already exists: look it up instead
    CANCELLED = "cancelled"  # the call was cancelled
    OTHER = "other"


class PaymentError(Exception):
    """A failed backend call: ``kind`` for code, ``user_message`` (no secrets) for people."""

    def __init__(self, kind: ErrorKind, user_message: str) -> None:
        self.kind = kind
        self.user_message = user_message
        super().__init__(user_message)

    @property
    def retryable(self) -> bool:
        """True only when trying again later may help: the backend was unreachable or slow."""
        return self.kind in (ErrorKind.UNAVAILABLE, ErrorKind.DEADLINE)


class ReportStream(Protocol):
    """Reports from one backend stream. Iterating blocks; it raises ``PaymentError`` when the
    stream fails and stops when the backend ends it or ``cancel()`` (any thread) was called."""

    def __iter__(self) -> ReportStream: ...

    def __next__(self) -> Report: ...

    def cancel(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class PaymentBackend(Protocol):
    """One place invoices are made and paid. Thread-safe: the UI's worker, the watchers and
    the poller call one backend at once, each call with its own deadline."""

    name: str
    """How people know it: "LND", "LNbits" or "NWC" (doctor's payments line, sentences)."""
    own_preimage: bool
    """True when invoices are made with our own preimage (LND): the row is written first and a
    retry finds the same invoice. False: the backend picks the hash, and the row is written
    right after the invoice is made, before the QR is shown."""
    replays_settlements: bool
    """True when ``watch_all(cursor)`` replays every settlement after ``cursor`` (LND), so open
    invoices need not be polled once nobody waits on them."""

    def create_invoice(
        self, sats: int, memo: str, expiry_s: int, preimage: bytes | None = None
    ) -> AddedInvoice:
        """Make an invoice for ``sats`` (always set). ``preimage`` only when ``own_preimage``."""
        ...

    def lookup(self, payment_hash: bytes) -> InvoiceStatus:
        """The invoice's current state; ``ErrorKind.NOT_FOUND`` for an unknown hash."""
        ...

    def watch_one(self, payment_hash: bytes, deadline_s: float) -> ReportStream:
        """Reports about one invoice until it settles or is cancelled, or ``deadline_s``."""
        ...

    def watch_all(self, cursor: int) -> ReportStream:
        """Reports about every invoice, resumed after ``cursor`` (the last settle index stored;
        backends with no cursor ignore it)."""
        ...

    def check(self) -> str:
        """What works, as doctor's payments line says it; ``PaymentError`` when it does not
        (down, key refused, a key that can spend)."""
        ...

    def close(self) -> None:
        """Release connections; open streams end."""
        ...


class BackendConfigError(Exception):
    """The payment settings cannot be used (a sentence naming the setting): buying is then
    unavailable with that sentence, and doctor's payments line fails with it."""


class ClosesOnExit:
    """``with client:`` closes it: every backend's client."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class CancelsOnExit:
    """``with stream:`` cancels it: every backend's invoice stream."""

    def cancel(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()
