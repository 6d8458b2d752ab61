"""App-level messages, named for what happened.

How they travel: whoever knows something happened posts to the app (``app.post_message``,
safe from any thread, so LND's watcher threads use it too); the app's handler hands a fresh
copy to every screen on its stack (``VerselightApp.broadcast``), and screens that care listen
with ``on_...`` handlers. Nobody reaches into another screen.

Why messages and not ``textual.signal.Signal``: a signal would need every screen to reach the
app's signal objects (through an untyped ``self.app`` or a global), and it calls subscribers
inside ``publish``, so one failing screen would break the settlement handler that published.
A message runs in each screen's own queue, with the ordinary handlers and error handling.
Messages posted to the app do not reach screens by themselves, hence the broadcast; these do
not bubble, so a screen's copy never comes back to the app.

Settlements follow the one-queue pattern: every watcher (the app's stream, the buy dialog's
stream and poll) reports each outcome as ``SettlementReported`` to the app, whose one handler
turns it into ``PaymentSettled`` / ``InvoiceExpired`` and ``CreditsChanged``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:  # the invoices module loads LND's gRPC client: not before it is needed
    from core.billing.invoices import Outcome
    from core.generation.gallery import Illustration


class AppMessage(Message, bubble=False):
    """A message about the whole app, broadcast to the screens. Never bubbles: a screen's
    copy going back up to the app would be broadcast again, for ever."""

    def __init_subclass__(cls, **options: Any) -> None:
        # Textual sets ``bubble=True`` on every subclass unless told otherwise.
        super().__init_subclass__(**{**options, "bubble": False})


class SettlementReported(AppMessage):
    """A watcher's word about an invoice (any outcome), for the app's settlement handler."""

    def __init__(self, payment_hash: str, outcome: Outcome) -> None:
        super().__init__()
        self.payment_hash = payment_hash
        self.outcome = outcome


class PaymentSettled(AppMessage):
    """An invoice was paid and its credits are in the ledger (``credited_now``: by this
    report; otherwise an earlier one or another process credited it)."""

    def __init__(self, payment_hash: str, credited_now: bool) -> None:
        super().__init__()
        self.payment_hash = payment_hash
        self.credited_now = credited_now


class InvoiceExpired(AppMessage):
    """LND cancelled an unpaid invoice: nothing was paid."""

    def __init__(self, payment_hash: str) -> None:
        super().__init__()
        self.payment_hash = payment_hash


class InvoiceOnScreen(AppMessage):
    """The buy dialog shows this invoice (None: it shows none any more), so the app does not
    announce that payment a second time."""

    def __init__(self, payment_hash: str | None) -> None:
        super().__init__()
        self.payment_hash = payment_hash


class CreditsChanged(AppMessage):
    """This process moved credits (a purchase, a hold placed or released, a charge): show the
    balance now rather than at the next ledger poll."""


class IllustrationSaved(AppMessage):
    """An illustration was made, paid for and saved."""

    def __init__(self, illustration: Illustration) -> None:
        super().__init__()
        self.illustration = illustration
