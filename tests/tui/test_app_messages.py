"""App-level messages through the real app (Pilot): a watcher's report from its own thread goes
through the app's one settlement handler and reaches every screen on the stack, the reader
behind a dialog included; nothing bounces back; the app runs on given services."""

from __future__ import annotations

import threading

from textual.app import ComposeResult
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from core.billing.invoices import Outcome
from core.config import Config
from core.services import open_services
from tests.tui.helpers import settle, toasts, wait_for
from tui.app import make_app
from tui.messages import (
    CreditsChanged,
    InvoiceExpired,
    InvoiceOnScreen,
    PaymentSettled,
)
from tui.screens.reader import ReaderScreen
from tui.widgets.credits_badge import CreditsBadge

HASH = "ab" * 32


class Listener(ModalScreen[None]):
    """A dialog on top of the reader that writes down the app messages it hears."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[Message] = []

    def compose(self) -> ComposeResult:
        yield Static("listening")

    def on_payment_settled(self, event: PaymentSettled) -> None:
        self.heard.append(event)

    def on_credits_changed(self, event: CreditsChanged) -> None:
        self.heard.append(event)

    def on_invoice_expired(self, event: InvoiceExpired) -> None:
        self.heard.append(event)


def report_from_a_thread(app, payment_hash: str, outcome: Outcome) -> None:
    thread = threading.Thread(target=app.report_settlement, args=(payment_hash, outcome))
    thread.start()
    thread.join()


async def test_a_settlement_reaches_every_screen_and_is_announced_once(app_factory):
    app = app_factory("John 3:16")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        # Granted on the reader's own connection: its ledger poll cannot see this commit,
        # so only CreditsChanged can bring the badge up to date.
        app.account.ledger.grant(app.account.session_id, 300, "test")
        listener = Listener()
        await app.push_screen(listener)
        report_from_a_thread(app, HASH, Outcome.CREDITED)
        await wait_for(pilot, lambda: len(listener.heard) == 2, "the messages")
        settled, changed = listener.heard
        assert isinstance(settled, PaymentSettled) and settled.payment_hash == HASH
        assert settled.credited_now and isinstance(changed, CreditsChanged)
        badge = reader.query_one(CreditsBadge)
        await wait_for(pilot, lambda: "300 credits" in str(badge.render()), "the badge")
        messages = toasts(app)
        assert messages.count("Payment received: 300 credits were added.") == 1

        # The same payment reported again (the dialog's own watcher): no second notice.
        report_from_a_thread(app, HASH, Outcome.ALREADY_CREDITED)
        await wait_for(pilot, lambda: len(listener.heard) == 4, "the second report")
        again = listener.heard[2]
        assert isinstance(again, PaymentSettled)
        assert not again.credited_now
        await settle(pilot)
        assert len(listener.heard) == 4  # nothing bounced back to be broadcast again
        messages = toasts(app)
        assert messages.count("Payment received: 300 credits were added.") == 1


async def test_the_payment_shown_in_the_buy_dialog_is_not_announced_again(app_factory):
    app = app_factory("John 3:16")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        listener = Listener()
        await app.push_screen(listener)
        app.post_message(InvoiceOnScreen(HASH))
        report_from_a_thread(app, HASH, Outcome.CREDITED)
        report_from_a_thread(app, "cd" * 32, Outcome.EXPIRED)
        await wait_for(pilot, lambda: len(listener.heard) == 3, "the messages")
        expired = listener.heard[2]
        assert isinstance(expired, InvoiceExpired) and expired.payment_hash == "cd" * 32
        assert not any("Payment received" in n for n in toasts(app))
        # Unknown or waiting invoices say nothing to anyone.
        report_from_a_thread(app, "ef" * 32, Outcome.WAITING)
        await settle(pilot)
        assert len(listener.heard) == 3


async def test_the_app_runs_on_given_services_and_leaves_them_open(config: Config):
    services = open_services(config)
    try:
        app = make_app(config, "John 3:16", services=services)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, ReaderScreen)
            assert app.account is services.account
            assert app.screen.account is services.account
        assert services.account is not None
        assert services.account.state().session_id == services.account.session_id  # still open
    finally:
        services.close()
