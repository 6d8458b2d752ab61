"""Buying credits through the real app: fake LND over TLS, stand-in price servers, the QR code
rasterised from the screenshot and decoded as a phone would."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import bolt11
import pytest
from textual.widgets import Static

from core.billing.invoices import PendingInvoice
from core.billing.ledger import Ledger
from core.config import load_config
from payments.price import DISAGREE_MESSAGE
from tests.clock import ManualClock
from tests.price_servers import PriceServers
from tests.qr_raster import decode_screen
from tests.stand_ins import point_at_lightning
from tests.tui.helpers import settle, toasts, wait_for
from tui.app import make_app
from tui.screens.buy_credits import BuyCreditsScreen
from tui.screens.reader import ReaderScreen
from tui.widgets.credits_badge import CreditsBadge
from tui.widgets.qr_code import QrCode

INVOICE_TIME = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


@pytest.fixture
def lightning(home: Path, fake_lnd, price_servers: PriceServers, monkeypatch) -> Path:
    """Point the app at the fake node and the stand-in price servers."""
    point_at_lightning(home, fake_lnd, price_servers, monkeypatch)
    return home


def buy_screen(app) -> BuyCreditsScreen:
    assert isinstance(app.screen, BuyCreditsScreen)
    return app.screen


def shown_invoice(screen: BuyCreditsScreen) -> PendingInvoice:
    """The invoice the dialog shows (there is one from the invoice state on)."""
    assert screen.invoice is not None
    return screen.invoice


async def open_invoice(pilot) -> BuyCreditsScreen:
    await pilot.press("b")
    await settle(pilot)
    screen = buy_screen(pilot.app)
    assert screen.state == "selection"
    await pilot.click("#get-invoice")
    await wait_for(pilot, lambda: screen.state in ("invoice", "error"), "the invoice")
    await settle(pilot)
    assert screen.state == "invoice", str(screen.query_one("#error-text", Static).render())
    return screen


async def test_scan_the_qr_pay_and_see_300_credits(lightning, fake_lnd):
    app = make_app(load_config(), "John 3:16")
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await settle(pilot)
        screen = await open_invoice(pilot)
        invoice = screen.invoice
        assert invoice is not None and screen.query_one(QrCode).shows_code

        # What a phone sees: the screenshot rasterised and decoded.
        assert decode_screen(app) == ["lightning:" + invoice.payment_request.upper()]
        decoded = bolt11.decode(invoice.payment_request)
        assert decoded.amount_msat == invoice.sats * 1000
        assert decoded.expiry == 900
        assert decoded.description == "Verselight: 300 credits"
        amount = str(screen.query_one("#amount", Static).render())
        assert f"{invoice.sats:,} sats" in amount and "$3" in amount
        assert str(screen.query_one("#countdown", Static).render()).startswith("Expires in 1")

        fake_lnd.settle(bytes.fromhex(invoice.payment_hash))
        await wait_for(pilot, lambda: screen.state == "success", "the payment to be seen")
        assert "300 credits were added" in str(screen.query_one("#success-text").render())
        # The success state's button exists only once that state has been laid out and
        # painted; a click before that lands on nothing.
        await settle(pilot)
        await pilot.click("#done")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen), "the dialog to close")
        badge = app.screen.query_one(CreditsBadge)
        await wait_for(pilot, lambda: "300 credits" in str(badge.render()), "the badge")
        assert app.account is not None
        sid = app.account.session_id
    ledger = Ledger.open(load_config().paths.ledger_db)
    try:
        assert ledger.balance(sid).balance == 300
        assert [n for n, rows in ledger.verify() if rows] == []
    finally:
        ledger.close()


async def test_copy_key_puts_the_invoice_on_the_clipboard(lightning):
    app = make_app(load_config(), "John 3:16")
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await settle(pilot)
        screen = await open_invoice(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.clipboard == shown_invoice(screen).payment_request
        assert any("Invoice copied" in m for m in toasts(app))


async def test_expired_invoice_offers_a_new_one(lightning, fake_lnd):
    app = make_app(load_config(), "John 3:16")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        screen = await open_invoice(pilot)
        first = shown_invoice(screen)
        fake_lnd.expire(bytes.fromhex(first.payment_hash))
        await wait_for(pilot, lambda: screen.state == "expired", "the expiry")
        await pilot.click("#new-invoice")
        await wait_for(pilot, lambda: screen.state == "invoice", "a new invoice")
        assert shown_invoice(screen).payment_hash != first.payment_hash


async def test_node_down_shows_an_error_and_try_again_works(lightning, fake_lnd):
    app = make_app(load_config(), "John 3:16")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        fake_lnd.stop()
        await pilot.press("b")
        await settle(pilot)
        screen = buy_screen(app)
        await pilot.click("#get-invoice")
        await wait_for(pilot, lambda: screen.state == "error", "the error")
        text = str(screen.query_one("#error-text", Static).render())
        assert text == "The Lightning node cannot be reached right now."
        fake_lnd.start()

        async def retry() -> bool:
            await pilot.click("#retry")
            await wait_for(pilot, lambda: screen.state in ("invoice", "error"), "an answer")
            return screen.state == "invoice"

        for _ in range(50):  # the client reconnects within about a second
            if await retry():
                break
        assert screen.state == "invoice"


async def test_sources_that_disagree_are_called_a_disagreement(lightning, price_servers):
    for name, price in (("coinbase", "97000"), ("kraken", "97000")):
        price_servers[name].price = price
    for name in ("bitstamp", "coingecko"):
        price_servers[name].price = "110000"
    app = make_app(load_config(), "John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b", "enter")
        screen = buy_screen(app)
        await wait_for(pilot, lambda: screen.state == "error", "the refusal")
        said = str(screen.query_one("#error-text", Static).render())
        assert said == DISAGREE_MESSAGE
        assert "cannot be fetched" not in said


async def test_too_small_terminal_says_how_big_and_still_shows_the_invoice(lightning):
    app = make_app(load_config(), "John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_invoice(pilot)
        assert not screen.query_one(QrCode).shows_code
        assert "Make the terminal at least" in str(screen.query_one(QrCode).render())
        assert "paste the invoice below" in str(screen.query_one("#too-small").render())
        assert shown_invoice(screen).payment_request in str(
            screen.query_one("#invoice-text").render()
        )
        assert decode_screen(app) == []


def fixed_preimage() -> bytes:
    return hashlib.sha256(b"snapshot preimage").digest()


BUY_SCENES = [
    (state, size)
    for state in ["selection", "loading", "invoice", "success", "expired", "error"]
    for size in [(80, 24), (100, 32)]
] + [("invoice", (80, 31)), ("invoice", (100, 40))]


@pytest.mark.parametrize(
    ("state", "size"), BUY_SCENES, ids=[f"{s}-{w}x{h}" for s, (w, h) in BUY_SCENES]
)
def test_buy_modal_snapshots(snap_compare, lightning, fake_lnd, state, size):
    fake_lnd.now = lambda: int(INVOICE_TIME.timestamp())
    clock = ManualClock(INVOICE_TIME)
    app = make_app(load_config(), "John 3:16", clock=clock)

    async def run_before(pilot):
        await settle(pilot)
        assert app.shop is not None
        app.shop.new_preimage = fixed_preimage
        await pilot.press("b")
        await settle(pilot)
        screen = buy_screen(app)
        if state == "selection":
            return
        if state == "loading":
            screen._show("loading")
            await settle(pilot)
            return
        if state == "error":
            fake_lnd.stop()
        await pilot.click("#get-invoice")
        await wait_for(pilot, lambda: screen.state in ("invoice", "error"), "an answer")
        if state == "success":
            fake_lnd.settle(bytes.fromhex(shown_invoice(screen).payment_hash))
            await wait_for(pilot, lambda: screen.state == "success", "success")
        if state == "expired":
            fake_lnd.expire(bytes.fromhex(shown_invoice(screen).payment_hash))
            await wait_for(pilot, lambda: screen.state == "expired", "expiry")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (100, 32)], ids=["80x24", "100x32"])
def test_buy_modal_unavailable_snapshot(snap_compare, home, monkeypatch, size):
    for name in ("VERSELIGHT_LND_HOST", "VERSELIGHT_LND_TLS_CERT", "VERSELIGHT_LND_MACAROON"):
        monkeypatch.delenv(name, raising=False)
    app = make_app(load_config(), "John 3:16", clock=ManualClock(INVOICE_TIME))

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_buy_modal_too_small_snapshot(snap_compare, lightning, fake_lnd):
    fake_lnd.now = lambda: int(INVOICE_TIME.timestamp())
    app = make_app(load_config(), "John 3:16", clock=ManualClock(INVOICE_TIME))

    async def run_before(pilot):
        await settle(pilot)
        assert app.shop is not None
        app.shop.new_preimage = fixed_preimage
        await open_invoice(pilot)
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_paid_while_the_app_was_closed_is_credited_at_the_next_start(lightning, fake_lnd):
    app = make_app(load_config(), "John 3:16")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        invoice = shown_invoice(await open_invoice(pilot))
        assert app.account is not None
        sid = app.account.session_id
    fake_lnd.settle(bytes.fromhex(invoice.payment_hash))  # paid from the phone, app closed

    again = make_app(load_config(), "John 3:16")
    async with again.run_test(size=(100, 40), notifications=True) as pilot:
        await settle(pilot)
        badge = again.screen.query_one(CreditsBadge)
        await wait_for(pilot, lambda: "300 credits" in str(badge.render()), "the late credit")
        assert again.account is not None and again.account.session_id == sid
        assert any("made earlier was credited" in m for m in toasts(again))
