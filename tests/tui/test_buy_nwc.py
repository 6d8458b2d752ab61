"""Buying credits through the real app with a Nostr Wallet Connect wallet (the stand-in on a real
local relay): the QR decodes to the invoice the wallet made, the row is written before it shows,
and the wallet settling it (with its notification, or without: the poll) turns the dialog to
success with 300 credits."""

from __future__ import annotations

from pathlib import Path

import bolt11
import pytest
from textual.widgets import Static

from core.billing.ledger import Ledger
from core.config import load_config
from tests.price_servers import PriceServers
from tests.qr_raster import decode_screen
from tests.tui.helpers import get_invoice, settle, wait_for
from tui.app import make_app
from tui.widgets.qr_code import QrCode


@pytest.mark.parametrize("notify", [True, False], ids=["notified", "polled"])
async def test_pay_with_the_dialog_open_adds_300_credits(
    home: Path,
    nwc_service,
    price_servers: PriceServers,
    monkeypatch: pytest.MonkeyPatch,
    notify: bool,
) -> None:
    service = nwc_service(notify=notify)
    monkeypatch.setenv("VERSELIGHT_NWC_URI", service.uri)
    urls = price_servers.urls()
    monkeypatch.setenv("VERSELIGHT_PRICE_URLS", ",".join(f"{k}={v}" for k, v in urls.items()))
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
        assert list(service.invoices) == [invoice.payment_hash]
        ledger = Ledger.open(load_config().paths.ledger_db)
        try:
            row = ledger.conn.execute(
                "SELECT payment_request FROM invoices WHERE payment_hash = ?",
                (invoice.payment_hash,),
            ).fetchone()
        finally:
            ledger.close()
        assert row == (invoice.payment_request,)  # written before the QR was shown

        service.settle(invoice.payment_hash)
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
