"""Invoices for ledger tests, written the way the shop writes them (``Ledger.add_invoice``,
with a frozen quote and a preimage), without a Lightning node."""

from __future__ import annotations

from datetime import timedelta

from core.billing.ledger import Ledger


def add_invoice(ledger: Ledger, sid: str, payment_hash: str, credits: int = 300) -> None:
    """An invoice of ``credits`` as the shop records one: 3 USD at 100,000 USD/BTC."""
    ledger.add_invoice(
        sid,
        payment_hash,
        credits,
        preimage_hex="00" * 32,
        amount_sats=3000,
        usd="3",
        btc_usd="100000",
        expires_at=ledger.clock() + timedelta(minutes=15),
    )
