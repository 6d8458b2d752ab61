"""Selling through a real LNbits (1.6.2, FakeWallet, one server for the session): the adapter's
calls, a key that can spend refused, notifications only prompting lookups, the poll and the
start-up sweep crediting what notifications missed, a wallet that is down, silent or forgot an
invoice, and any number of watchers crediting exactly once. Real ledger files throughout."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import bolt11
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.main import main
from core.billing.invoices import MEMO, InvoiceDesk, Outcome, Poller, Sweeper, Watcher
from core.billing.ledger import Ledger
from core.billing.shop import open_shop
from core.config import load_config
from payments.backend import (
    BackendConfigError,
    ErrorKind,
    InvoiceState,
    InvoiceStatus,
    PaymentError,
)
from payments.backend_config import open_backend
from payments.lnbits import SPENDING_KEY, LnbitsClient
from payments.lnbits_config import LnbitsConfig, base_url
from payments.price import sats_for_usd
from storage import invoices as inv
from storage import ledger as db
from tests.lnbits_server import LnbitsServer, Wallet, wait_until
from tests.price_servers import PriceServers
from tests.stand_ins import point_at_lnbits
from tests.tcp_proxy import Mode, PrefixProxy, TcpProxy

pytestmark = pytest.mark.xdist_group("serial")

PRICE = Decimal("97123.45")
SID = "cd" * 16


def client_for(server: LnbitsServer, key: str, url: str | None = None) -> LnbitsClient:
    return LnbitsClient(LnbitsConfig(url=url or server.url, invoice_key=key, timeout_s=5.0))


class CountingClient(LnbitsClient):
    """The real client, counting its lookups so a test can wait for one to have happened."""

    lookups = 0

    def lookup(self, payment_hash: bytes) -> InvoiceStatus:
        status = super().lookup(payment_hash)
        self.lookups += 1
        return status


@pytest.fixture
def home(verselight_home: Path) -> Path:
    return verselight_home


@pytest.fixture
def shop_client(lnbits_server: LnbitsServer, lnbits_wallet: Wallet) -> Iterator[LnbitsClient]:
    client = client_for(lnbits_server, lnbits_wallet.inkey)
    yield client
    client.close()


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.sqlite"
    led = Ledger.open(path)
    db.create_session(led.conn, SID, led.clock())
    led.close()
    return path


@pytest.fixture
def proxy(lnbits_server: LnbitsServer) -> Iterator[TcpProxy]:
    port = int(lnbits_server.url.rsplit(":", 1)[1])
    running = TcpProxy("127.0.0.1", port)
    yield running
    running.close()


def desk_factory(ledger_path: Path, client: LnbitsClient, made: list[InvoiceDesk]):
    def make() -> InvoiceDesk:
        desk = InvoiceDesk(Ledger.open(ledger_path), client, lambda: PRICE)
        made.append(desk)
        return desk

    return make


def balance(ledger_path: Path) -> int:
    led = Ledger.open(ledger_path)
    try:
        return led.balance(SID).balance
    finally:
        led.close()


def purchases(ledger_path: Path) -> list[str]:
    led = Ledger.open(ledger_path)
    try:
        rows = led.conn.execute("SELECT payment_hash FROM entries WHERE kind = 'purchase'")
        return [r[0] for r in rows]
    finally:
        led.close()


# -- the adapter ------------------------------------------------------------------------------


def test_an_invoice_has_amount_memo_and_15_minutes_and_settles_when_paid(
    lnbits_server: LnbitsServer, shop_client: LnbitsClient
) -> None:
    added = shop_client.create_invoice(3089, MEMO, 900)
    decoded = bolt11.decode(added.payment_request)
    assert decoded.amount_msat == 3089 * 1000
    assert decoded.description == MEMO
    assert decoded.expiry == 900
    assert bytes.fromhex(decoded.payment_hash) == added.payment_hash
    status = shop_client.lookup(added.payment_hash)
    assert (status.state, status.paid, status.value_msat) == (InvoiceState.OPEN, False, 3089000)
    lnbits_server.pay(added.payment_request)
    status = shop_client.lookup(added.payment_hash)
    assert status.state is InvoiceState.SETTLED and status.paid
    assert status.amt_paid_msat == 3089000


def test_an_unknown_hash_is_not_found_in_a_sentence(shop_client: LnbitsClient) -> None:
    with pytest.raises(PaymentError) as caught:
        shop_client.lookup(bytes(32))
    assert caught.value.kind is ErrorKind.NOT_FOUND and not caught.value.retryable
    assert "no longer knows this invoice" in caught.value.user_message


def test_another_wallets_invoice_is_never_its_word(
    lnbits_server: LnbitsServer, shop_client: LnbitsClient
) -> None:
    other = lnbits_server.new_wallet("other")
    with client_for(lnbits_server, other.inkey) as theirs:
        added = theirs.create_invoice(10, MEMO, 900)
    lnbits_server.pay(added.payment_request)
    with pytest.raises(PaymentError) as caught:
        shop_client.lookup(added.payment_hash)
    assert caught.value.kind is ErrorKind.NOT_FOUND
    # A key LNbits does not know gets an answer without details: never taken as paid.
    with client_for(lnbits_server, "0" * 32) as unknown, pytest.raises(PaymentError) as refused:
        unknown.lookup(added.payment_hash)
    assert refused.value.kind is ErrorKind.AUTH


def test_a_key_that_can_spend_is_refused_and_makes_no_invoice(
    lnbits_server: LnbitsServer, lnbits_wallet: Wallet
) -> None:
    with client_for(lnbits_server, lnbits_wallet.adminkey) as admin:
        with pytest.raises(PaymentError) as caught:
            admin.check()
        assert caught.value.kind is ErrorKind.CAN_SPEND
        assert caught.value.user_message == SPENDING_KEY
        with pytest.raises(PaymentError):
            admin.create_invoice(100, MEMO, 900)
    with httpx.Client(base_url=lnbits_server.url) as http:
        made = http.get("/api/v1/payments", headers={"X-Api-Key": lnbits_wallet.inkey}).json()
    assert made == []
    with client_for(lnbits_server, lnbits_wallet.inkey) as inkey:
        assert "can only receive" in inkey.check()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://127.0.0.1:5000/", "http://127.0.0.1:5000"),
        ("https://pay.example.com/lnbits/", "https://pay.example.com/lnbits"),
        ("http://localhost:5000/prefix", "http://localhost:5000/prefix"),
        ("http://[::1]:5000", "http://[::1]:5000"),
    ],
)
def test_the_url_may_carry_a_prefix_and_a_trailing_slash(given: str, expected: str) -> None:
    assert base_url(given) == expected


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("http://pay.example.com", "must use https:// unless LNbits runs on this machine"),
        ("ftp://127.0.0.1", "must start with https://"),
        ("https://user:pw@pay.example.com", "no user, query or fragment"),
        ("https://pay.example.com/?x=1", "no user, query or fragment"),
        ("not a url", "is not a URL"),
    ],
)
def test_a_bad_url_is_one_sentence(given: str, words: str) -> None:
    with pytest.raises(BackendConfigError) as caught:
        base_url(given)
    assert words in str(caught.value)


def test_a_path_prefix_reaches_the_api_under_it(
    lnbits_server: LnbitsServer, lnbits_wallet: Wallet
) -> None:
    """LNbits behind a reverse proxy at /lnbits/ (trailing slash given): every call carries
    the prefix."""
    proxy = PrefixProxy(lnbits_server.url, "/lnbits")
    try:
        config = LnbitsConfig.from_env(
            {
                "VERSELIGHT_LNBITS_URL": f"http://127.0.0.1:{proxy.port}/lnbits/",
                "VERSELIGHT_LNBITS_INVOICE_KEY": lnbits_wallet.inkey,
            }
        )
        assert config is not None
        with LnbitsClient(config) as client:
            added = client.create_invoice(21, MEMO, 900)
            assert client.lookup(added.payment_hash).state is InvoiceState.OPEN
        assert proxy.paths == [
            "/lnbits/api/v1/wallet",
            "/lnbits/api/v1/payments",
            f"/lnbits/api/v1/payments/{added.payment_hash.hex()}",
        ]
    finally:
        proxy.close()


def test_several_backends_set_are_refused_naming_them() -> None:
    env = {
        "VERSELIGHT_LND_HOST": "localhost:10009",
        "VERSELIGHT_LNBITS_URL": "http://127.0.0.1:5000",
        "VERSELIGHT_NWC_URI": "nostr+walletconnect://x",
    }
    with pytest.raises(BackendConfigError) as caught:
        open_backend(env)
    assert "LND, LNbits and NWC" in str(caught.value)


# -- crediting ------------------------------------------------------------------------------


def test_the_row_is_written_before_the_qr_and_a_notification_credits_fast(
    lnbits_server: LnbitsServer, shop_client: LnbitsClient, ledger_path: Path
) -> None:
    made: list[InvoiceDesk] = []
    factory = desk_factory(ledger_path, shop_client, made)
    desk = factory()
    pending = desk.open_invoice(SID)
    row = inv.get(desk.ledger.conn, pending.payment_hash)
    assert row is not None and row.payment_request == pending.payment_request
    assert row.preimage_hex == "" and row.amount_sats == sats_for_usd(Decimal(3), PRICE)
    outcomes: list[tuple[str, Outcome]] = []
    connected = threading.Event()
    # The wallet's websocket alone (the poll is an hour away): a notification prompts a lookup.
    watcher = Watcher(
        factory,
        lambda h, o: outcomes.append((h, o)),
        lambda problem: connected.set() if problem is None else None,
    )
    sweeper = Sweeper(factory, every_s=3600)
    watcher.start()
    sweeper.start()
    try:
        assert connected.wait(10), "the websocket did not connect"
        lnbits_server.pay(pending.payment_request)  # settled by the time it returns
        # The sweep is an hour away: only the notification's prompted lookup can credit. (The
        # speed is the benchmark's: under a loaded machine a timing here would be flaky.)
        wait_until(lambda: balance(ledger_path) == 300, 15, "the notification")
        # Both of LNbits' websockets (the invoice's and the wallet's) announce the payment: the
        # first lookup credits, a second one finds it already credited and adds nothing.
        assert outcomes[0] == (pending.payment_hash, Outcome.CREDITED)
        assert all(o == (pending.payment_hash, Outcome.ALREADY_CREDITED) for o in outcomes[1:])
    finally:
        watcher.stop()
        sweeper.stop()
        watcher.join(5)
        sweeper.join(5)
        for d in made:
            d.ledger.close()


def test_a_forged_notification_credits_nothing(
    lnbits_server: LnbitsServer, lnbits_wallet: Wallet, ledger_path: Path
) -> None:
    client = CountingClient(
        LnbitsConfig(url=lnbits_server.url, invoice_key=lnbits_wallet.inkey, timeout_s=5.0)
    )
    made: list[InvoiceDesk] = []
    factory = desk_factory(ledger_path, client, made)
    pending = factory().open_invoice(SID)
    connected = threading.Event()
    outcomes: list[Outcome] = []
    watcher = Watcher(
        factory,
        lambda h, o: outcomes.append(o),
        lambda problem: connected.set() if problem is None else None,
        payment_hash=pending.payment_hash,
    )
    watcher.start()
    try:
        assert connected.wait(10), "the websocket did not connect"
        # Anyone who knows the hash may post to its websocket; the watcher only looks it up.
        with httpx.Client(base_url=lnbits_server.url) as http:
            sent = http.post(f"/api/v1/ws/{pending.payment_hash}", params={"data": "paid"})
        assert sent.json()["sent"] is True
        wait_until(lambda: client.lookups >= 1, 5, "the prompted lookup")
        assert balance(ledger_path) == 0 and outcomes == []
    finally:
        watcher.stop()
        watcher.join(5)
        client.close()
        for d in made:
            d.ledger.close()


def test_websockets_dropped_the_poll_credits_within_5_s(
    lnbits_server: LnbitsServer, lnbits_wallet: Wallet, proxy: TcpProxy, ledger_path: Path
) -> None:
    proxy.set_mode(Mode.NO_WEBSOCKETS)
    client = client_for(lnbits_server, lnbits_wallet.inkey, proxy.url)
    made: list[InvoiceDesk] = []
    factory = desk_factory(ledger_path, client, made)
    pending = factory().open_invoice(SID)
    problems: list[PaymentError | None] = []
    # No dialog: the app's lifetime watcher (websocket refused) and its sweep of open invoices.
    watcher = Watcher(factory, on_problem=problems.append)
    sweeper = Sweeper(factory)
    watcher.start()
    sweeper.start()
    try:
        wait_until(lambda: any(p is not None for p in problems), 10, "the websocket to fail")
        lnbits_server.pay(pending.payment_request)
        wait_until(lambda: balance(ledger_path) == 300, 5, "the poll to credit")
        assert purchases(ledger_path) == [pending.payment_hash]
    finally:
        for thread in (watcher, sweeper):
            thread.stop()
        for thread in (watcher, sweeper):
            thread.join(5)
        client.close()
        for d in made:
            d.ledger.close()


def test_paid_while_closed_is_credited_at_the_next_start(
    home: Path,
    lnbits_server: LnbitsServer,
    lnbits_wallet: Wallet,
    price_servers: PriceServers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from core.services import open_services

    point_at_lnbits(lnbits_server, lnbits_wallet.inkey, price_servers, monkeypatch)
    services = open_services(load_config())
    assert services.account is not None
    sid = services.account.session_id
    pending = services.shop.open_invoice(sid)
    services.close()
    lnbits_server.pay(pending.payment_request)  # nobody is watching
    started = time.monotonic()
    services = open_services(load_config())
    try:
        assert services.recover_payments() == 1
        assert time.monotonic() - started < 10
        assert services.account is not None and services.account.ledger.balance(sid).balance == 300
        assert services.recover_payments() == 0  # a second sweep credits nothing more
    finally:
        services.close()


def test_a_forgotten_invoice_is_a_sentence_never_a_credit(
    shop_client: LnbitsClient, ledger_path: Path
) -> None:
    made: list[InvoiceDesk] = []
    factory = desk_factory(ledger_path, shop_client, made)
    desk = factory()
    pending = desk.open_invoice(SID)
    # LNbits' FakeWallet forgets pending invoices on restart: a row whose hash it never knew.
    forgotten = "ee" * 32
    with db.transaction(desk.ledger.conn):
        desk.ledger.conn.execute(
            "UPDATE invoices SET payment_hash = ? WHERE payment_hash = ?",
            (forgotten, pending.payment_hash),
        )
    problems: list[PaymentError | None] = []
    poller = Poller(factory, forgotten, lambda h, o: None, problems.append, every_s=0.1)
    poller.start()
    try:
        wait_until(lambda: any(p is not None for p in problems), 5, "the sentence")
        problem = next(p for p in problems if p is not None)
        assert problem.kind is ErrorKind.NOT_FOUND
        assert "nothing was credited" in problem.user_message
        assert desk.recover() == 0
        assert balance(ledger_path) == 0
    finally:
        poller.stop()
        poller.join(5)
        for d in made:
            d.ledger.close()


def test_lnbits_down_is_a_sentence_and_nothing_is_lost(
    lnbits_server: LnbitsServer, lnbits_wallet: Wallet, proxy: TcpProxy, ledger_path: Path
) -> None:
    client = client_for(lnbits_server, lnbits_wallet.inkey, proxy.url)
    made: list[InvoiceDesk] = []
    factory = desk_factory(ledger_path, client, made)
    pending = factory().open_invoice(SID)
    problems: list[PaymentError | None] = []
    poller = Poller(factory, pending.payment_hash, lambda h, o: None, problems.append, 0.5)
    poller.start()
    try:
        proxy.set_mode(Mode.DOWN)
        wait_until(lambda: bool(problems) and problems[-1] is not None, 15, "the sentence")
        assert problems[-1] is not None
        assert problems[-1].user_message == "The LNbits wallet cannot be reached right now."
        with pytest.raises(PaymentError):
            factory().open_invoice("ef" * 16)
        lnbits_server.pay(pending.payment_request)  # paid while Verselight cannot see it
        proxy.set_mode(Mode.PASS)
        wait_until(lambda: balance(ledger_path) == 300, 10, "the credit after LNbits is back")
    finally:
        poller.stop()
        poller.join(5)
        client.close()
        for d in made:
            d.ledger.close()


def test_a_silent_lnbits_is_a_sentence_within_15_s(
    lnbits_server: LnbitsServer, lnbits_wallet: Wallet, proxy: TcpProxy, ledger_path: Path
) -> None:
    proxy.set_mode(Mode.SILENT)
    config = LnbitsConfig.from_env(
        {"VERSELIGHT_LNBITS_URL": proxy.url, "VERSELIGHT_LNBITS_INVOICE_KEY": lnbits_wallet.inkey}
    )
    assert config is not None
    client = LnbitsClient(config)  # the timeout buying uses
    started = time.monotonic()
    try:
        with pytest.raises(PaymentError) as caught:
            InvoiceDesk(Ledger.open(ledger_path), client, lambda: PRICE).open_invoice(SID)
        assert time.monotonic() - started < 15
        assert caught.value.user_message == "The LNbits wallet did not answer in time."
    finally:
        client.close()


# -- doctor -------------------------------------------------------------------------------------


def doctor_line(capfd: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capfd.readouterr()
    code = main(["doctor"])
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    line = next(line for line in out.splitlines() if line[5:21].rstrip() == "payments")
    return code, line, out + err


def test_doctor_names_lnbits_and_refuses_a_spending_key(
    home: Path,
    lnbits_server: LnbitsServer,
    lnbits_wallet: Wallet,
    price_servers: PriceServers,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    point_at_lnbits(lnbits_server, lnbits_wallet.inkey, price_servers, monkeypatch)
    _, line, _ = doctor_line(capfd)
    host = lnbits_server.url.split("://")[1]
    assert (
        line == f"ok   payments         LNbits: wallet at {host} answers; the key can only receive"
    )
    monkeypatch.setenv("VERSELIGHT_LNBITS_INVOICE_KEY", lnbits_wallet.adminkey)
    code, line, everything = doctor_line(capfd)
    assert code == 1
    assert line == f"FAIL payments         LNbits: {SPENDING_KEY}"
    assert lnbits_wallet.adminkey not in everything


def test_doctor_fails_when_lnbits_is_down_or_several_backends_are_set(
    home: Path,
    lnbits_server: LnbitsServer,
    lnbits_wallet: Wallet,
    price_servers: PriceServers,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    point_at_lnbits(lnbits_server, lnbits_wallet.inkey, price_servers, monkeypatch, url)
    code, line, _ = doctor_line(capfd)
    assert code == 1
    assert line == "FAIL payments         LNbits: The LNbits wallet cannot be reached right now."
    monkeypatch.setenv("VERSELIGHT_NWC_URI", "nostr+walletconnect://x")
    code, line, _ = doctor_line(capfd)
    assert code == 1
    assert line == (
        "FAIL payments         Only one payment backend may be configured, and LNbits and NWC "
        "are: keep the settings of one and unset the others."
    )
    shop = open_shop(load_config())
    assert not shop.available and "LNbits and NWC" in (shop.unavailable or "")


# -- any number of watchers ---------------------------------------------------------------------


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kinds=st.lists(st.sampled_from(["all", "one", "poll", "sweep"]), min_size=1, max_size=6))
def test_any_number_of_watchers_credit_exactly_once(
    kinds: list[str], lnbits_server: LnbitsServer, lnbits_wallet: Wallet, tmp_path: Path
) -> None:
    path = tmp_path / f"ledger-{time.monotonic_ns()}.sqlite"
    led = Ledger.open(path)
    db.create_session(led.conn, SID, led.clock())
    led.close()
    client = client_for(lnbits_server, lnbits_wallet.inkey)
    made: list[InvoiceDesk] = []
    factory = desk_factory(path, client, made)
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
    for thread in threads:
        thread.start()
    try:
        lnbits_server.pay(pending.payment_request)
        wait_until(lambda: balance(path) == 300, 10, "the credit")
        assert factory().check(pending.payment_hash) is Outcome.ALREADY_CREDITED
        assert balance(path) == 300
        assert purchases(path) == [pending.payment_hash]
        assert outcomes.count(Outcome.CREDITED) <= 1
    finally:
        for thread in threads:
            thread.stop()
        for thread in threads:
            thread.join(5)
        client.close()
        for d in made:
            d.ledger.close()
