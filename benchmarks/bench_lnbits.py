"""Issue 13's speed targets with a real LNbits (1.6.2, FakeWallet, started as the tests start it:
``tests/lnbits_server.py``, from the venv ``.ci/run`` makes) and the stand-in price servers.

(a) Buy pressed -> QR painted, with the price cached: at most 300 ms. The real app, headless,
    driven exactly as ``bench_payments`` drives it for LND (``qr_runs``: ``b``, ``enter`` on
    "Get a $3 invoice", the clock stops at the first frame showing the new invoice's QR), with
    the ``VERSELIGHT_LNBITS_*`` settings: each "new" run makes an invoice at LNbits and writes
    its row before the QR is shown.

(b) LNbits marks the invoice paid -> credited in the ledger, ``RUNS`` payments each way, with
    the watchers the app runs: the app's lifetime watcher (the wallet's websocket and the sweep
    of open invoices every 3 s) and the dialog's (the invoice's websocket and its 3 s poll).
    The start is LNbits' own record of the settlement (the payment's ``updated_at``, read back
    with the invoice key: the same machine's clock), the end the first ``on_outcome`` for it
    (called after the credit's transaction committed). A buyer pays from another LNbits wallet
    (an internal payment, settled within the pay call).
    - with notifications: target p99 <= 500 ms;
    - without: a TCP proxy in front of LNbits cuts every websocket, so only the poll and the
      sweep can credit: target p99 <= 5 s.

``BENCH_LNBITS_RUNS`` changes the number of payments (default 100 each way).
"""

from __future__ import annotations

import asyncio
import math
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx
from _common import Row, child_env, median, ms, report, temp_home
from bench_payments import environ, qr_runs

from core.billing.invoices import Outcome
from core.billing.shop import ENV_PRICE_URLS, open_shop
from core.config import load_config
from storage import ledger as db
from tests.lnbits_server import LnbitsServer, Wallet
from tests.price_servers import PriceServers
from tests.tcp_proxy import Mode, TcpProxy

RUNS = int(os.environ.get("BENCH_LNBITS_RUNS", "100"))
WAIT_S = 15.0


def p99(xs: list[float]) -> float:
    ordered = sorted(xs)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


@contextmanager
def lnbits() -> Iterator[LnbitsServer]:
    with tempfile.TemporaryDirectory(prefix="verselight-bench-lnbits-") as folder:
        server = LnbitsServer(Path(folder))
        server.start()
        try:
            yield server
        finally:
            server.stop()


def env_for(home: Path, url: str, wallet: Wallet, prices: PriceServers) -> dict[str, str]:
    env = child_env(home)
    env.update(
        {
            "VERSELIGHT_LNBITS_URL": url,
            "VERSELIGHT_LNBITS_INVOICE_KEY": wallet.inkey,
            ENV_PRICE_URLS: ",".join(f"{n}={u}" for n, u in prices.urls().items()),
        }
    )
    return env


def measure_qr(server: LnbitsServer, prices: PriceServers) -> dict[str, list[float]]:
    from tui.app import make_app

    with temp_home() as home:
        config_file = home / "config" / "config.toml"
        config_file.parent.mkdir(parents=True, exist_ok=True)
        config_file.write_text("[limits]\ninvoices_per_minute = 1000\n", encoding="utf-8")
        wallet = server.new_wallet("bench-qr")
        with environ(env_for(home, server.url, wallet, prices)):
            config = load_config()
            app = make_app(config, "John 3:16")
            runs = asyncio.run(qr_runs(app, config.paths.ledger_db))
    return {kind: [r.to_qr for r in found] for kind, found in runs.items()}


class Credits:
    """The wall-clock time of the first credit report per payment hash."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.at: dict[str, float] = {}
        self.events: dict[str, threading.Event] = {}

    def expect(self, payment_hash: str) -> threading.Event:
        with self._lock:
            return self.events.setdefault(payment_hash, threading.Event())

    def __call__(self, payment_hash: str, outcome: Outcome) -> None:
        now = time.time()
        if outcome not in (Outcome.CREDITED, Outcome.ALREADY_CREDITED):
            return
        with self._lock:
            self.at.setdefault(payment_hash, now)
            event = self.events.setdefault(payment_hash, threading.Event())
        event.set()


def settled_at(server: LnbitsServer, wallet: Wallet, payment_hash: str) -> float:
    """When LNbits recorded the payment as settled (its own clock: this machine's)."""
    with httpx.Client(base_url=server.url, timeout=10) as http:
        answer = http.get(f"/api/v1/payments/{payment_hash}", headers={"X-Api-Key": wallet.inkey})
    details = answer.json()["details"]
    assert details["status"] == "success", details["status"]
    return datetime.fromisoformat(details["updated_at"]).timestamp()


def measure_settlement(server: LnbitsServer, prices: PriceServers, notify: bool) -> list[float]:
    port = int(server.url.rsplit(":", 1)[1])
    proxy = TcpProxy("127.0.0.1", port)
    if not notify:
        proxy.set_mode(Mode.NO_WEBSOCKETS)
    wallet = server.new_wallet("bench-settle")
    delays: list[float] = []
    try:
        with temp_home(with_kjv=False) as home:
            config_file = home / "config" / "config.toml"
            config_file.parent.mkdir(parents=True, exist_ok=True)
            config_file.write_text("[limits]\ninvoices_per_minute = 1000\n", encoding="utf-8")
            config = load_config(env_for(home, proxy.url, wallet, prices))
            shop = open_shop(config)
            assert shop.available, shop.unavailable
            desk = shop.desk()
            sid = "be" * 16
            db.create_session(desk.ledger.conn, sid, desk.ledger.clock())
            credits = Credits()
            lifetime = shop.watch_all(credits)
            try:
                for _ in range(RUNS):
                    invoice = desk.open_invoice(sid)
                    done = credits.expect(invoice.payment_hash)
                    dialog = shop.watch(invoice, credits)
                    try:
                        server.pay(invoice.payment_request)
                        if not done.wait(WAIT_S):
                            raise TimeoutError("no credit")
                    finally:
                        dialog.stop()
                    start = settled_at(server, wallet, invoice.payment_hash)
                    delays.append(credits.at[invoice.payment_hash] - start)
            finally:
                lifetime.stop()
                for thread in lifetime.threads:
                    thread.join(WAIT_S)
                desk.ledger.close()
                shop.close()
    finally:
        proxy.close()
    return delays


def run() -> list[Row]:
    prices = PriceServers()
    prices.start()
    try:
        with lnbits() as server:
            qr = measure_qr(server, prices)
            notified = measure_settlement(server, prices, notify=True)
            polled = measure_settlement(server, prices, notify=False)
    finally:
        prices.stop()
    rows = []
    for kind in ("new", "reopen"):
        times = qr[kind]
        rows += [
            Row(f"{kind} invoice: get-invoice -> QR painted, median of {len(times)}",
                ms(median(times)), "ms", 300.0),
            Row(f"{kind} invoice: get-invoice -> QR painted, max", ms(max(times)), "ms", 300.0),
        ]  # fmt: skip
    for label, delays, target in (
        ("with notifications", notified, 500.0),
        ("websockets cut (poll + sweep)", polled, 5000.0),
    ):
        rows += [
            Row(f"{label}: paid -> credited, p50 of {len(delays)}", ms(median(delays)), "ms"),
            Row(f"{label}: paid -> credited, p99", ms(p99(delays)), "ms", target),
            Row(f"{label}: paid -> credited, max", ms(max(delays)), "ms"),
        ]
    return rows


if __name__ == "__main__":
    report("Issue 13: buying through LNbits (real LNbits, FakeWallet)", run())
