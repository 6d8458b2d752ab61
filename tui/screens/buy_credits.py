"""Buy 300 credits for $3: a Lightning invoice as a QR code that settles by itself.

States: selection, loading, invoice (QR, text, sats and USD, countdown, waiting), success,
expired (offer a new invoice), error and unavailable. The invoice is made in a worker thread;
the payment backend's stream (LND's, or LNbits' websocket prompting a lookup) and a 3-second
poll watch it, and whichever sees the payment first credits it (the ledger credits once).
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, ContentSwitcher, Label, LoadingIndicator, Static

from core.billing.invoices import BUNDLE_CREDITS, BUNDLE_USD, Outcome, PendingInvoice
from core.billing.shop import PaymentError, Shop, Watching, expires_in
from tui.messages import InvoiceExpired, InvoiceOnScreen, PaymentSettled, SettlementReported
from tui.screens.quiet_repaints import QuietRepaints
from tui.widgets.qr_code import QrCode

OFFER = f"""\
[b]{BUNDLE_CREDITS} credits for ${BUNDLE_USD}[/b]

Pay with any Lightning wallet, or with Cash App: scan the code with the phone's camera. \
Credits arrive here by themselves a few seconds after you pay.

[dim]Alpha: Lightning is the only way to pay. No refunds. No accounts: """

OWNERS = {
    "terminal": "the credits belong to this terminal's session "
    "(move it with verselight session export).[/dim]",
    "key": "the credits belong to the SSH key you connected with.[/dim]",
    "guest": "the credits belong to this connection.[/dim]",
}
"""Whose the credits are: this terminal's, a served visitor's key's, or one connection's."""
SELECTION = OFFER + OWNERS["terminal"]

GUEST = """\
[b]You connected without an SSH key.[/b] Credits bought now stay with this connection only \
and are gone when you leave. To keep them, connect with a key next time \
([b]ssh-keygen -t ed25519[/b], then ssh again): the same key always finds the same credits.

"""

UNAVAILABLE_TO_VISITORS = (
    "Buying credits is not available on this server right now. Reading and viewing work as usual."
)

CLOSE_KEYS = "[b]Esc[/b] or [b]q[/b] close"

STATE_KEYS: dict[str, str] = {
    "selection": f"[b]Enter[/b] get the invoice  {CLOSE_KEYS}",
    "loading": CLOSE_KEYS,
    "invoice": f"[b]y[/b] copy invoice  {CLOSE_KEYS}",
    "success": "[b]Enter[/b] done",
    "expired": f"[b]Enter[/b] new invoice  {CLOSE_KEYS}",
    "error": f"[b]Enter[/b] try again  {CLOSE_KEYS}",
    "unavailable": CLOSE_KEYS,
}
"""Each state's keys, shown in the dialog's bottom border so they stay visible at any size."""

PRIMARY_BUTTON: dict[str, str] = {
    "selection": "get-invoice",
    "success": "done",
    "expired": "new-invoice",
    "error": "retry",
}
"""The button that has the focus after the dialog enters each state, so Enter presses it."""


def _clock_text(seconds: int) -> str:
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


class BuyCreditsScreen(QuietRepaints, ModalScreen[bool]):
    """Dismisses with True when credits were bought."""

    CSS_PATH = "buy_credits.tcss"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        # q closes the dialog rather than quitting: a payment made afterwards is still credited.
        Binding("q", "close", "Close", show=False),
        Binding("y", "copy_invoice", "Copy invoice", show=False),
    ]

    def __init__(self, shop: Shop, session_id: str, *, owner: str = "terminal") -> None:
        super().__init__()
        self.owner = owner
        """``terminal``, ``key`` (served) or ``guest`` (served without a key: the first step
        says first that the credits will not follow)."""
        self.shop = shop
        self.session_id = session_id
        self.invoice: PendingInvoice | None = None
        self._watching: Watching | None = None
        self._bought = False

    def compose(self) -> ComposeResult:
        with Vertical(id="buy") as box:
            box.border_title = "Buy credits"
            with ContentSwitcher(initial="selection", id="states"):
                with Vertical(id="selection"):
                    guest = GUEST if self.owner == "guest" else ""
                    yield Static(guest + OFFER + OWNERS[self.owner], id="offer")
                    with Horizontal(classes="choices"):
                        yield Button(
                            f"Get a ${BUNDLE_USD} invoice", id="get-invoice", variant="primary"
                        )
                with Vertical(id="loading"):
                    yield LoadingIndicator()
                    yield Label("Getting the bitcoin price and making your invoice...")
                with Horizontal(id="invoice"):
                    yield QrCode("lnbc1", id="qr")
                    with Vertical(id="invoice-side"):
                        yield Static("", id="amount")
                        yield Static("", id="countdown")
                        yield Static("Waiting for payment...", id="waiting")
                        yield Static("", id="too-small")
                        yield Static("", id="invoice-text")
                with Vertical(id="success"):
                    yield Static("", id="success-text")
                    with Horizontal(classes="choices"):
                        yield Button("Done", id="done", variant="success")
                with Vertical(id="expired"):
                    yield Static(
                        "This invoice expired before it was paid. Nothing was charged.",
                        id="expired-text",
                    )
                    with Horizontal(classes="choices"):
                        yield Button("New invoice", id="new-invoice", variant="primary")
                with Vertical(id="error"):
                    yield Static("", id="error-text")
                    with Horizontal(classes="choices"):
                        yield Button("Try again", id="retry", variant="primary")
                with Vertical(id="unavailable"):
                    yield Static("", id="unavailable-text")

    def on_mount(self) -> None:
        self._app = self.app  # for the watchers' threads, which may report after the app ends
        if not self.shop.available:
            # A visitor served over SSH cannot fix the host's set-up: the operator's sentence
            # (which settings to set) is for the host's log and ``doctor``, not for them.
            why = self.shop.unavailable if self.owner == "terminal" else UNAVAILABLE_TO_VISITORS
            self.query_one("#unavailable-text", Static).update(why or "")
            self._show("unavailable")
        else:
            self._show("selection")
        self.set_interval(1.0, self._tick)

    def _show(self, state: str) -> None:
        self.query_one("#states", ContentSwitcher).current = state
        dialog = self.query_one("#buy", Vertical)
        dialog.set_class(state == "invoice", "-invoice")
        dialog.border_subtitle = STATE_KEYS[state]
        primary = PRIMARY_BUTTON.get(state)
        if primary is None:
            self.set_focus(None)
        else:
            self.query_one(f"#{primary}", Button).focus()

    @property
    def state(self) -> str:
        return self.query_one("#states", ContentSwitcher).current or ""

    # making the invoice ------------------------------------------------------------------

    @on(Button.Pressed, "#get-invoice, #new-invoice, #retry")
    def _get_invoice(self) -> None:
        self._show("loading")
        self._make_invoice()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _make_invoice(self) -> None:
        try:
            invoice = self.shop.open_invoice(self.session_id)
        except Exception as exc:  # every refusal below is a sentence for the user
            self.app.call_from_thread(self._failed, _sentence(exc))
            return
        self.app.call_from_thread(self._show_invoice, invoice)

    def _failed(self, message: str) -> None:
        if not self.shop.available:  # e.g. an LNbits key that can spend: no retry helps
            self.query_one("#unavailable-text", Static).update(self.shop.unavailable or message)
            self._show("unavailable")
            return
        self.query_one("#error-text", Static).update(message)
        self._show("error")

    def _show_invoice(self, invoice: PendingInvoice) -> None:
        self.invoice = invoice
        self.query_one(QrCode).invoice = invoice.payment_request
        self.query_one("#amount", Static).update(
            f"[b]{invoice.sats:,} sats[/b]\n= ${invoice.usd} at ${invoice.btc_usd:,.2f}/BTC\n"
            f"for {invoice.credits} credits"
        )
        self.query_one("#invoice-text", Static).update(invoice.payment_request)
        self.query_one("#waiting", Static).update("Waiting for payment...")
        self._show("invoice")
        self._tick()
        self._stop_watching()
        self.app.post_message(InvoiceOnScreen(invoice.payment_hash))
        self._watching = self.shop.watch(
            invoice, self._outcome_from_thread, self._problem_from_thread
        )

    # watching ----------------------------------------------------------------------------

    def _outcome_from_thread(self, payment_hash: str, outcome: Outcome) -> None:
        # Into the app's one settlement handler, which answers with PaymentSettled or
        # InvoiceExpired (and tells the other screens the credits changed).
        self._app.post_message(SettlementReported(payment_hash, outcome))

    def on_payment_settled(self, event: PaymentSettled) -> None:
        outcome = Outcome.CREDITED if event.credited_now else Outcome.ALREADY_CREDITED
        self._outcome(event.payment_hash, outcome)

    def on_invoice_expired(self, event: InvoiceExpired) -> None:
        self._outcome(event.payment_hash, Outcome.EXPIRED)

    def _problem_from_thread(self, problem: PaymentError | None) -> None:
        self.app.call_from_thread(self._problem, problem)

    def _outcome(self, payment_hash: str, outcome: Outcome) -> None:
        if self.invoice is None or payment_hash != self.invoice.payment_hash:
            return
        if outcome in (Outcome.CREDITED, Outcome.ALREADY_CREDITED):
            self._stop_watching()
            self._bought = True
            self.query_one("#success-text", Static).update(
                f"[b]Paid. {self.invoice.credits} credits were added.[/b]\n\nThank you."
            )
            self._show("success")
        elif outcome is Outcome.EXPIRED and self.state == "invoice":
            self._stop_watching()
            self._show("expired")

    def _problem(self, problem: PaymentError | None) -> None:
        if self.state != "invoice":
            return
        if problem is None:
            text = "Waiting for payment..."
        elif problem.kind == "not_found":  # a wallet that forgot it: the sentence says what to do
            text = problem.user_message
        else:
            text = f"{problem.user_message} Still watching; a payment will not be lost."
        self.query_one("#waiting", Static).update(text)

    def _tick(self) -> None:
        if self.invoice is None or self.state != "invoice":
            return
        left = expires_in(self.invoice, self.shop.clock())
        self.query_one("#countdown", Static).update(f"Expires in {_clock_text(left)}")

    def _stop_watching(self) -> None:
        if self._watching is not None:
            self._watching.stop()
            self._watching = None

    # the rest ----------------------------------------------------------------------------

    @on(QrCode.Hidden)
    def _qr_hidden(self, event: QrCode.Hidden) -> None:
        # The code itself says how big the terminal must be; this says what to do meanwhile.
        self.query_one("#too-small", Static).update(
            "Meanwhile, paste the invoice below into your wallet ([b]y[/b] copies it)."
        )
        self.set_class(True, "-too-small")

    @on(QrCode.Shown)
    def _qr_shown(self) -> None:
        self.query_one("#too-small", Static).update("")
        self.set_class(False, "-too-small")

    def action_copy_invoice(self) -> None:
        if self.invoice is None:
            return
        self.app.copy_to_clipboard(self.invoice.payment_request)
        self.notify("Invoice copied. Paste it into your Lightning wallet.")

    @on(Button.Pressed, "#done")
    def action_close(self) -> None:
        self._stop_watching()
        self.dismiss(self._bought)

    def on_unmount(self) -> None:
        self._stop_watching()
        if self.invoice is not None:
            self.app.post_message(InvoiceOnScreen(None))


def _sentence(exc: Exception) -> str:
    message = getattr(exc, "user_message", None) or str(exc)
    return message or "The invoice could not be made. Try again in a minute."
