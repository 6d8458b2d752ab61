"""Selling through Nostr Wallet Connect: the adapter (``payments.nwc_backend``) over a real relay
on 127.0.0.1 (nostr-sdk's LocalRelay) and the wallet-service stand-in (``tests/nwc_stand_in``),
through the same desk, watchers, poll and sweep the app runs, with real ledger files.

Notifications signed by the wallet with the invoice's amount credit at once; anything else only
prompts a lookup; withheld notifications, a restarted relay and an app that was closed are all
caught by the poll and the sweep; any number of watchers credit exactly once.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import bolt11
import nostr_sdk as ns
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.main import main
from core.billing.invoices import MEMO, InvoiceDesk, Outcome, Poller, Sweeper, Watcher
from core.billing.ledger import Ledger
from core.billing.shop import open_shop
from core.config import load_config
from payments.backend import BackendConfigError, ErrorKind, InvoiceState, PaymentError, Prompt
from payments.backend_config import open_backend
from payments.nwc_backend import FORGOTTEN, NwcBackend
from payments.nwc_uri import parse_nwc_uri
from payments.price import sats_for_usd
from storage import invoices as inv
from storage import ledger as db
from tests.lnbits_server import wait_until
from tests.nwc_stand_in import LocalNostrRelay, StandInWallet
from tests.price_servers import PriceServers

PRICE = Decimal("97123.45")
SID = "ab" * 16
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def backends() -> Iterator[Callable[..., NwcBackend]]:
    """Makes ``NwcBackend``s for a stand-in's URI; every one is closed after the test."""
    made: list[NwcBackend] = []

    def make(service: StandInWallet, timeout: float = 5.0) -> NwcBackend:
        backend = NwcBackend(parse_nwc_uri(service.uri), timeout=timeout)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.sqlite"
    led = Ledger.open(path)
    db.create_session(led.conn, SID, led.clock())
    led.close()
    return path


class Desks:
    """Desks on one ledger file for the watcher threads; all closed after the test."""

    def __init__(self, path: Path, backend: NwcBackend) -> None:
        self.path = path
        self.backend = backend
        self.made: list[InvoiceDesk] = []
        self._lock = threading.Lock()

    def __call__(self) -> InvoiceDesk:
        desk = InvoiceDesk(Ledger.open(self.path), self.backend, lambda: PRICE)
        with self._lock:
            self.made.append(desk)
        return desk

    def close(self) -> None:
        for desk in self.made:
            desk.ledger.close()


@pytest.fixture
def desks(ledger_path: Path) -> Iterator[Callable[[NwcBackend], Desks]]:
    made: list[Desks] = []

    def make(backend: NwcBackend) -> Desks:
        factory = Desks(ledger_path, backend)
        made.append(factory)
        return factory

    yield make
    for factory in made:
        factory.close()


def balance(path: Path) -> int:
    led = Ledger.open(path)
    try:
        return led.balance(SID).balance
    finally:
        led.close()


def purchases(path: Path) -> list[str]:
    led = Ledger.open(path)
    try:
        rows = led.conn.execute("SELECT payment_hash FROM entries WHERE kind = 'purchase'")
        return [r[0] for r in rows]
    finally:
        led.close()


def running(*threads: Watcher | Poller | Sweeper) -> Callable[[], None]:
    """Start the threads; the returned function stops and joins them."""
    for thread in threads:
        thread.start()

    def stop() -> None:
        for thread in threads:
            thread.stop()
        for thread in threads:
            thread.join(5)

    return stop


def lookups(service: StandInWallet) -> int:
    return sum(1 for r in list(service.requests) if r.method == "lookup_invoice")


def point_at_nwc(
    service: StandInWallet, prices: PriceServers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment an operator sets for the wallet stand-in and the stand-in prices."""
    monkeypatch.setenv("VERSELIGHT_NWC_URI", service.uri)
    urls = prices.urls()
    monkeypatch.setenv("VERSELIGHT_PRICE_URLS", ",".join(f"{k}={v}" for k, v in urls.items()))


# -- the adapter ------------------------------------------------------------------------------


@pytest.mark.parametrize("nip44", [True, False], ids=["nip44-wallet", "nip04-only-wallet"])
def test_an_invoice_has_amount_memo_and_15_minutes_and_settles_when_paid(
    nwc_service, backends, nip44: bool
) -> None:
    service = nwc_service(nip44=nip44)
    backend = backends(service)
    added = backend.create_invoice(3089, MEMO, 900)
    decoded = bolt11.decode(added.payment_request)
    assert decoded.amount_msat == 3089 * 1000
    assert (decoded.description, decoded.expiry) == (MEMO, 900)
    assert bytes.fromhex(decoded.payment_hash) == added.payment_hash
    status = backend.lookup(added.payment_hash)
    assert (status.state, status.paid, status.value_msat) == (InvoiceState.OPEN, False, 3089000)
    service.settle(added.payment_hash.hex())
    status = backend.lookup(added.payment_hash)
    assert status.state is InvoiceState.SETTLED and status.paid
    assert status.amt_paid_msat == 3089000
    assert {r.encryption for r in service.requests} == {"nip44_v2" if nip44 else "nip04"}
    assert {r.method for r in service.requests} == {"make_invoice", "lookup_invoice"}


def test_the_setting_opens_an_nwc_backend_without_loading_nostr_sdk() -> None:
    """Reading the setting costs nothing: nostr-sdk and the connection wait for the first call."""
    script = (
        "import json, sys\n"
        "from payments.backend_config import open_backend\n"
        "b = open_backend({'VERSELIGHT_NWC_URI': sys.argv[1]})\n"
        "print(json.dumps([b.name, b.own_preimage, b.replays_settlements,"
        " 'nostr_sdk' in sys.modules]))\n"
    )
    uri = f"nostr+walletconnect://{'b8' * 32}?relay=ws://127.0.0.1:9&secret={'71' * 32}"
    proc = subprocess.run(
        [sys.executable, "-c", script, uri], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ["NWC", False, False, False]


def test_a_bad_uri_is_a_sentence_naming_the_setting() -> None:
    shop_env = {"VERSELIGHT_NWC_URI": f"nostr+walletconnect://{'b8' * 32}?secret={'71' * 32}"}
    with pytest.raises(BackendConfigError) as caught:
        open_backend(shop_env)
    text = str(caught.value)
    assert text.startswith("VERSELIGHT_NWC_URI: ") and "no relay" in text
    assert "71" * 32 not in text


# -- crediting --------------------------------------------------------------------------------


@pytest.mark.parametrize("nip44", [True, False], ids=["nip44-wallet", "nip04-only-wallet"])
def test_the_row_is_written_before_the_qr_and_a_notification_credits_300(
    nwc_service, backends, desks, ledger_path: Path, nip44: bool
) -> None:
    service = nwc_service(nip44=nip44)
    factory = desks(backends(service))
    desk = factory()
    pending = desk.open_invoice(SID)
    row = inv.get(desk.ledger.conn, pending.payment_hash)
    assert row is not None and row.payment_request == pending.payment_request
    assert row.preimage_hex == "" and row.amount_sats == sats_for_usd(Decimal(3), PRICE)
    outcomes: list[tuple[str, Outcome]] = []
    connected = threading.Event()
    watcher = Watcher(
        factory,
        lambda h, o: outcomes.append((h, o)),
        lambda problem: connected.set() if problem is None else None,
    )
    stop = running(watcher, Sweeper(factory, every_s=3600))  # the sweep is an hour away
    try:
        assert connected.wait(10), "the watcher did not start"
        service.settle(pending.payment_hash)
        wait_until(lambda: balance(ledger_path) == 300, 10, "the notification")
        # The watcher reports the outcome just after the credit's commit: wait for it too.
        wait_until(lambda: bool(outcomes), 10, "the watcher's report")
        assert outcomes == [(pending.payment_hash, Outcome.CREDITED)]
        # Signed by the wallet with the invoice's amount: proof, so no lookup was needed.
        assert lookups(service) == 0
    finally:
        stop()


def test_a_forged_notification_credits_nothing(
    nwc_service, backends, desks, ledger_path: Path
) -> None:
    service = nwc_service()
    backend = backends(service)
    factory = desks(backend)
    pending = factory().open_invoice(SID)
    outcomes: list[Outcome] = []
    connected = threading.Event()
    watcher = Watcher(
        factory,
        lambda h, o: outcomes.append(o),
        lambda problem: connected.set() if problem is None else None,
        payment_hash=pending.payment_hash,
    )
    stop = running(watcher)
    try:
        assert connected.wait(10), "the watcher did not start"
        # Another key: dropped as it arrives. The wallet's key with another amount: a prompt.
        service.send_notification(pending.payment_hash, signer=ns.Keys.generate())
        service.send_notification(pending.payment_hash, amount_msat=1000)
        wait_until(lambda: lookups(service) >= 1, 10, "the prompted lookup")
        assert balance(ledger_path) == 0 and outcomes == []
        assert purchases(ledger_path) == []
    finally:
        stop()


def test_a_notification_about_an_invoice_made_elsewhere_only_prompts(nwc_service, backends) -> None:
    """After a restart the adapter does not know the invoice's amount: a lookup decides."""
    service = nwc_service()
    made_here = backends(service)
    added = made_here.create_invoice(300, MEMO, 900)
    backend = backends(service)
    stream = backend.watch_all(0)
    try:
        service.settle(added.payment_hash.hex())
        report = next(stream)
    finally:
        stream.cancel()
    assert report == Prompt(added.payment_hash)


def test_withheld_notifications_are_credited_within_5_s_by_the_sweep(
    nwc_service, backends, desks, ledger_path: Path
) -> None:
    service = nwc_service(notify=False)
    factory = desks(backends(service))
    pending = factory().open_invoice(SID)
    stop = running(Watcher(factory), Sweeper(factory))  # as the app runs them, no dialog
    try:
        wait_until(lambda: lookups(service) >= 1, 10, "the first sweep")
        service.settle(pending.payment_hash)
        took = wait_until(lambda: balance(ledger_path) == 300, 5, "the sweep to credit")
        assert took < 5
        assert purchases(ledger_path) == [pending.payment_hash]
    finally:
        stop()


@pytest.mark.xdist_group("serial")
def test_relay_restarted_mid_wait_still_credits(
    nostr_relay: LocalNostrRelay, nwc_service, backends, desks, ledger_path: Path
) -> None:
    service = nwc_service()
    factory = desks(backends(service))
    pending = factory().open_invoice(SID)
    stop = running(
        Watcher(factory, payment_hash=pending.payment_hash),
        Poller(factory, pending.payment_hash, lambda h, o: None),
        Sweeper(factory),
    )
    try:
        nostr_relay.restart()  # everything it held is gone, the info event too
        service.publish_info()
        service.settle(pending.payment_hash)
        wait_until(lambda: balance(ledger_path) == 300, 10, "the credit after the restart")
        assert purchases(ledger_path) == [pending.payment_hash]
    finally:
        stop()


def test_a_forgotten_invoice_is_a_sentence_never_a_credit(
    nwc_service, backends, desks, ledger_path: Path
) -> None:
    service = nwc_service()
    factory = desks(backends(service))
    desk = factory()
    pending = desk.open_invoice(SID)
    service.settle(pending.payment_hash)  # even paid: the wallet then forgets it
    service.forget(pending.payment_hash)
    problems: list[PaymentError | None] = []
    poller = Poller(factory, pending.payment_hash, lambda h, o: None, problems.append, 0.1)
    stop = running(poller)
    try:
        wait_until(lambda: any(p is not None for p in problems), 10, "the sentence")
        problem = next(p for p in problems if p is not None)
        assert problem.kind is ErrorKind.NOT_FOUND and problem.user_message == FORGOTTEN
        assert desk.recover() == 0
        assert balance(ledger_path) == 0
    finally:
        stop()


def test_a_silent_wallet_is_a_sentence_within_15_s(
    nwc_service, ledger_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = nwc_service(silent=True)
    backend = open_backend({"VERSELIGHT_NWC_URI": service.uri})  # the timeout buying uses
    assert isinstance(backend, NwcBackend)
    started = time.monotonic()
    try:
        with pytest.raises(PaymentError) as caught:
            InvoiceDesk(Ledger.open(ledger_path), backend, lambda: PRICE).open_invoice(SID)
        assert time.monotonic() - started < 15
        assert caught.value.kind is ErrorKind.DEADLINE and caught.value.retryable
        assert caught.value.user_message == "The wallet did not answer within 10 s."
    finally:
        backend.close()


@pytest.mark.xdist_group("serial")
def test_relay_down_is_a_sentence_and_nothing_is_lost(
    nostr_relay: LocalNostrRelay, nwc_service, backends, desks, ledger_path: Path
) -> None:
    service = nwc_service()
    backend = backends(service, timeout=2.0)
    factory = desks(backend)
    pending = factory().open_invoice(SID)
    problems: list[PaymentError | None] = []
    poller = Poller(factory, pending.payment_hash, lambda h, o: None, problems.append, 0.5)
    stop = running(poller)
    try:
        nostr_relay.stop()
        wait_until(lambda: bool(problems) and problems[-1] is not None, 15, "the sentence")
        problem = problems[-1]
        assert problem is not None and problem.retryable
        assert problem.user_message == "No relay of the wallet can be reached."
        with pytest.raises(PaymentError):
            factory().open_invoice("ef" * 16)
        service.notify = False  # its relay is down: the news could not go out
        service.settle(pending.payment_hash)  # paid while Verselight cannot see it
        nostr_relay.start()
        service.publish_info()
        wait_until(lambda: balance(ledger_path) == 300, 15, "the credit after the relay is back")
    finally:
        stop()


def test_paid_while_closed_is_credited_at_the_next_start(
    verselight_home: Path,
    nwc_service,
    price_servers: PriceServers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from core.services import open_services

    service = nwc_service()
    point_at_nwc(service, price_servers, monkeypatch)
    services = open_services(load_config())
    assert services.account is not None
    sid = services.account.session_id
    pending = services.shop.open_invoice(sid)
    services.close()
    service.settle(pending.payment_hash)  # nobody is watching
    started = time.monotonic()
    services = open_services(load_config())
    try:
        assert services.recover_payments() == 1
        assert time.monotonic() - started < 10
        assert services.account is not None and services.account.ledger.balance(sid).balance == 300
        assert services.recover_payments() == 0  # a second sweep credits nothing more
    finally:
        services.close()


# -- doctor -----------------------------------------------------------------------------------


def doctor_line(capfd: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capfd.readouterr()
    code = main(["doctor"])
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    line = next(line for line in out.splitlines() if line[5:21].rstrip() == "payments")
    return code, line, out + err


def test_doctor_checks_nwc_and_warns_about_a_connection_that_can_pay(
    verselight_home: Path,
    nwc_service,
    price_servers: PriceServers,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    receive_only = nwc_service()
    point_at_nwc(receive_only, price_servers, monkeypatch)
    _, line, _ = doctor_line(capfd)
    assert line == "ok   payments         NWC: wallet answers through its relay (NIP-44)"
    assert [r.method for r in receive_only.requests] == ["lookup_invoice"]

    spender = nwc_service(nip44=False, methods=("make_invoice", "lookup_invoice", "pay_invoice"))
    point_at_nwc(spender, price_servers, monkeypatch)
    _, line, everything = doctor_line(capfd)
    assert line == (
        "ok   payments         NWC: wallet answers through its relay (NIP-04); warning: this "
        "connection may also pay (pay_invoice); a receive-only connection is safer"
    )
    assert parse_nwc_uri(spender.uri).secret not in everything
    assert "pay_invoice" not in {r.method for r in spender.requests}


def test_doctor_fails_for_a_wallet_that_refuses_or_a_bad_uri(
    verselight_home: Path,
    nwc_service,
    price_servers: PriceServers,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    point_at_nwc(nwc_service(refuse_with="UNAUTHORIZED"), price_servers, monkeypatch)
    code, line, _ = doctor_line(capfd)
    assert code == 1
    assert line == (
        "FAIL payments         NWC: The wallet does not accept this connection "
        "(it may have been revoked)."
    )
    monkeypatch.setenv("VERSELIGHT_NWC_URI", "https://wallet.example")
    code, line, _ = doctor_line(capfd)
    assert code == 1 and line.startswith("FAIL payments         NWC: VERSELIGHT_NWC_URI: ")
    shop = open_shop(load_config())
    assert not shop.available and "VERSELIGHT_NWC_URI" in (shop.unavailable or "")


# -- any number of watchers ---------------------------------------------------------------------


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kinds=st.lists(st.sampled_from(["all", "one", "poll", "sweep"]), min_size=1, max_size=6),
    notify=st.booleans(),
)
def test_any_number_of_watchers_credit_exactly_once(
    kinds: list[str], notify: bool, nwc_service, tmp_path: Path
) -> None:
    path = tmp_path / f"ledger-{time.monotonic_ns()}.sqlite"
    led = Ledger.open(path)
    db.create_session(led.conn, SID, led.clock())
    led.close()
    service = nwc_service(notify=notify)
    backend = NwcBackend(parse_nwc_uri(service.uri), timeout=5.0)
    factory = Desks(path, backend)
    pending = factory().open_invoice(SID)
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def seen(_: str, outcome: Outcome) -> None:
        with lock:
            outcomes.append(outcome)

    threads: list[Watcher | Poller | Sweeper] = []
    for kind in kinds:
        if kind == "all":
            threads.append(Watcher(factory, seen))
        elif kind == "one":
            threads.append(Watcher(factory, seen, payment_hash=pending.payment_hash))
        elif kind == "poll":
            threads.append(Poller(factory, pending.payment_hash, seen, every_s=0.2))
        else:
            threads.append(Sweeper(factory, seen, every_s=0.2))
    stop = running(*threads)
    try:
        service.settle(pending.payment_hash)
        # Nothing but a watcher's stream may have seen it: a lookup by the test settles it.
        if all(k in ("all", "one") for k in kinds) and not notify:
            assert factory().check(pending.payment_hash) is Outcome.CREDITED
        wait_until(lambda: balance(path) == 300, 10, "the credit")
        assert factory().check(pending.payment_hash) is Outcome.ALREADY_CREDITED
        assert balance(path) == 300
        assert purchases(path) == [pending.payment_hash]
        assert outcomes.count(Outcome.CREDITED) <= 1
    finally:
        stop()
        factory.close()
        backend.close()


def test_a_stream_its_watcher_dropped_is_let_go(nwc_service, backends) -> None:
    """A watcher that resubscribes after a failure drops its old stream without cancelling it:
    the backend must not keep it (and queue every notification for nobody) forever."""
    backend = backends(nwc_service())
    stream = backend.watch_all(0)
    dropped = weakref.ref(stream)
    del stream
    gc.collect()
    assert dropped() is None
