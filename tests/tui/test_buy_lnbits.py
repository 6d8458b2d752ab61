"""Buying credits through the real app with a real LNbits wallet (FakeWallet): the QR decodes to
the invoice LNbits made, paying it from another wallet turns the dialog to success with 300
credits, and a key that can spend makes no invoice and says buying is unavailable."""

from __future__ import annotations

from pathlib import Path

import bolt11
import pytest
from textual.widgets import Static

from core.billing.ledger import Ledger
from core.config import load_config
from payments.lnbits import SPENDING_KEY
from tests.lnbits_server import LnbitsServer, Wallet
from tests.price_servers import PriceServers
from tests.qr_raster import decode_screen
from tests.stand_ins import point_at_lnbits
from tests.tui.helpers import get_invoice, settle, wait_for
from tui.app import make_app
from tui.screens.buy_credits import BuyCreditsScreen
from tui.widgets.qr_code import QrCode

pytestmark = pytest.mark.xdist_group("serial")  # shares the session's one LNbits


async def test_pay_with_the_dialog_open_adds_300_credits(
    home: Path,
    lnbits_server: LnbitsServer,
    lnbits_wallet: Wallet,
    price_servers: PriceServers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    point_at_lnbits(lnbits_server, lnbits_wallet.inkey, price_servers, monkeypatch)
    app = make_app(load_config(), "John 3:16")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        screen = await get_invoice(pilot)
        assert screen.state == "invoice", str(screen.query_one("#error-text", Static).render())
        invoice = screen.invoice
        assert invoice is not None and screen.query_one(QrCode).shows_code
        assert decode_screen(app) == ["lightning:" + invoice.payment_request.upper()]
        decoded = bolt11.decode(invoice.payment_request)
        assert decoded.amount_msat == invoice.sats * 1000
        assert (decoded.description, decoded.expiry) == ("Verselight: 300 credits", 900)
        # The row was written before the QR was shown.
        ledger = Ledger.open(load_config().paths.ledger_db)
        try:
            row = ledger.conn.execute(
                "SELECT payment_request FROM invoices WHERE payment_hash = ?",
                (invoice.payment_hash,),
            ).fetchone()
        finally:
            ledger.close()
        assert row == (invoice.payment_request,)

        lnbits_server.pay(invoice.payment_request)
        await wait_for(pilot, lambda: screen.state == "success", "the payment to be seen")
        assert "300 credits were added" in str(screen.query_one("#success-text").render())
        assert app.account is not None
        sid = app.account.session_id
    ledger = Ledger.open(load_config().paths.ledger_db)
    try:
        assert ledger.balance(sid).balance == 300
        assert [n for n, rows in ledger.verify() if rows] == []
    finally:
        ledger.close()


async def test_a_spending_key_makes_no_invoice_and_buying_is_unavailable(
    home: Path,
    lnbits_server: LnbitsServer,
    lnbits_wallet: Wallet,
    price_servers: PriceServers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    point_at_lnbits(lnbits_server, lnbits_wallet.adminkey, price_servers, monkeypatch)
    app = make_app(load_config(), "John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await get_invoice(pilot)
        assert screen.state == "unavailable"
        text = str(screen.query_one("#unavailable-text", Static).render())
        assert SPENDING_KEY.split(":")[0] in text and "Buying is unavailable" in text
        assert screen.invoice is None
        # Opening the dialog again goes straight to the sentence.
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        again = app.screen
        assert isinstance(again, BuyCreditsScreen) and again.state == "unavailable"
    ledger = Ledger.open(load_config().paths.ledger_db)
    try:
        assert ledger.conn.execute("SELECT count(*) FROM invoices").fetchone() == (0,)
    finally:
        ledger.close()
