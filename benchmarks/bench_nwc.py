"""Issue 13's speed targets with Nostr Wallet Connect: a real relay on 127.0.0.1 (nostr-sdk's
LocalRelay) and the wallet-service stand-in the tests use (``tests/nwc_stand_in.py``), with the
stand-in price servers.

(a) Buy pressed -> QR painted, with the price cached: at most 300 ms. The real app, headless,
    driven exactly as ``bench_payments`` drives it for LND (``qr_runs``: ``b``, ``enter`` on
    "Get a $3 invoice", the clock stops at the first frame showing the new invoice's QR), with
    ``VERSELIGHT_NWC_URI``: each "new" run asks the wallet for an invoice over the relay and
    writes its row before the QR is shown.

(b) The wallet marks the invoice paid -> credited in the ledger, ``RUNS`` payments each way, with
    the watchers the app runs: the app's lifetime watcher (the wallet's notifications and the
    sweep of open invoices every 3 s) and the dialog's (notifications about its invoice and its
    3 s poll). The start is the moment just before the stand-in marks the invoice settled, the
    end the first ``on_outcome`` for it (called after the credit's transaction committed).
    - with notifications (``payment_received`` signed by the wallet): target p99 <= 500 ms;
    - without (a wallet that never notifies): only the poll and the sweep can credit:
      target p99 <= 5 s.

``BENCH_NWC_RUNS`` changes the number of payments (default 100 each way).
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from _common import Row, child_env, median, ms, report, temp_home
from bench_payments import environ, qr_runs

from core.billing.invoices import Outcome
from core.billing.shop import ENV_PRICE_URLS, open_shop
from core.config import load_config
from storage import ledger as db
from tests.nwc_stand_in import LocalNostrRelay, LoopThread, StandInWallet
from tests.price_servers import PriceServers

RUNS = int(os.environ.get("BENCH_NWC_RUNS", "100"))
WAIT_S = 15.0


def p99(xs: list[float]) -> float:
    ordered = sorted(xs)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


@contextmanager
def relay() -> Iterator[tuple[LoopThread, LocalNostrRelay]]:
    loop = LoopThread()
    running = LocalNostrRelay(loop)
    try:
        yield loop, running
    finally:
        running.stop()
        loop.stop()


@contextmanager
def wallet(loop: LoopThread, on: LocalNostrRelay, notify: bool) -> Iterator[StandInWallet]:
    service = StandInWallet(loop, [on.url], notify=notify)
    try:
        yield service
    finally:
        service.stop()


def env_for(home: Path, service: StandInWallet, prices: PriceServers) -> dict[str, str]:
    env = child_env(home)
    env.update(
        {
            "VERSELIGHT_NWC_URI": service.uri,
            ENV_PRICE_URLS: ",".join(f"{n}={u}" for n, u in prices.urls().items()),
        }
    )
    return env


def _allow_many_invoices(home: Path) -> None:
    config_file = home / "config" / "config.toml"
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text("[limits]\ninvoices_per_minute = 1000\n", encoding="utf-8")


def measure_qr(service: StandInWallet, prices: PriceServers) -> dict[str, list[float]]:
    from tui.app import make_app

    with temp_home() as home:
        _allow_many_invoices(home)
        with environ(env_for(home, service, prices)):
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
        now = time.monotonic()
        if outcome not in (Outcome.CREDITED, Outcome.ALREADY_CREDITED):
            return
        with self._lock:
            self.at.setdefault(payment_hash, now)
            event = self.events.setdefault(payment_hash, threading.Event())
        event.set()


def measure_settlement(service: StandInWallet, prices: PriceServers) -> list[float]:
    delays: list[float] = []
    with temp_home(with_kjv=False) as home:
        _allow_many_invoices(home)
        shop = open_shop(load_config(env_for(home, service, prices)))
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
                    start = time.monotonic()
                    service.settle(invoice.payment_hash)
                    if not done.wait(WAIT_S):
                        raise TimeoutError("no credit")
                finally:
                    dialog.stop()
                delays.append(credits.at[invoice.payment_hash] - start)
        finally:
            lifetime.stop()
            for thread in lifetime.threads:
                thread.join(WAIT_S)
            desk.ledger.close()
            shop.close()
    return delays


def run() -> list[Row]:
    prices = PriceServers()
    prices.start()
    try:
        with relay() as (loop, on):
            with wallet(loop, on, notify=True) as service:
                qr = measure_qr(service, prices)
                notified = measure_settlement(service, prices)
            with wallet(loop, on, notify=False) as service:
                polled = measure_settlement(service, prices)
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
        ("wallet never notifies (poll + sweep)", polled, 5000.0),
    ):
        rows += [
            Row(f"{label}: paid -> credited, p50 of {len(delays)}", ms(median(delays)), "ms"),
            Row(f"{label}: paid -> credited, p99", ms(p99(delays)), "ms", target),
            Row(f"{label}: paid -> credited, max", ms(max(delays)), "ms"),
        ]
    return rows


if __name__ == "__main__":
    report("Issue 13: buying through Nostr Wallet Connect (local relay, wallet stand-in)", run())
