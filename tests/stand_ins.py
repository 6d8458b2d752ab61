"""One fixture per stand-in server, loaded for every test from ``tests/conftest.py``.

The servers themselves live next to what they imitate (``tests/price_servers.py``,
``tests/image_servers.py``, ``tests/fake_lnd/``); their fixtures live here so that no test module
imports a fixture or keeps its own copy. Every server listens on an ephemeral port of 127.0.0.1,
so tests running in parallel (pytest-xdist) never share one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from payments.lnd import LndClient
from tests.fake_lnd.server import FakeLnd
from tests.image_servers import Running, StandIn
from tests.lnbits_server import LnbitsServer, Wallet
from tests.price_servers import PriceServers

if TYPE_CHECKING:  # nostr-sdk loads only for the tests that use the NWC stand-ins
    from tests.nwc_stand_in import LocalNostrRelay, LoopThread, StandInWallet


@pytest.fixture
def price_servers() -> Iterator[PriceServers]:
    """Four stand-in price servers, all answering ``AGREED_PRICE``; stopped after the test."""
    servers = PriceServers()
    try:
        servers.start()
        yield servers
    finally:
        servers.stop()


def _serve(flavour: str) -> Iterator[StandIn]:
    running = Running(flavour)
    try:
        running.start()
        yield running.stand_in
    finally:
        running.stop()


@pytest.fixture
def openrouter_server() -> Iterator[StandIn]:
    """An OpenRouter stand-in answering OK; ``base_url`` ends in ``/api/v1``."""
    yield from _serve("openrouter")


@pytest.fixture
def images_server() -> Iterator[StandIn]:
    """An OpenAI-style Images API stand-in answering OK; ``base_url`` ends in ``/v1``."""
    yield from _serve("images")


@pytest.fixture
def fake_lnd() -> Iterator[FakeLnd]:
    """A running fake node. ``fake_lnd.config()`` is an ``LndConfig`` pointing at it (its
    ``tls_cert`` and invoice ``macaroon_hex`` are also attributes of the fake)."""
    fake = FakeLnd()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def lnd_client(fake_lnd: FakeLnd) -> Iterator[LndClient]:
    """An ``LndClient`` connected to ``fake_lnd`` with the invoice macaroon."""
    client = LndClient(fake_lnd.config())
    try:
        yield client
    finally:
        client.close()


def point_at_lightning(
    folder: Path, fake_lnd: FakeLnd, price_servers: PriceServers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Set the environment the way an operator would for the fake node and the stand-in price
    servers (the node's certificate written into ``folder``)."""
    cert = folder / "tls.cert"
    cert.write_bytes(fake_lnd.tls_cert)
    monkeypatch.setenv("VERSELIGHT_LND_HOST", fake_lnd.host)
    monkeypatch.setenv("VERSELIGHT_LND_TLS_CERT", str(cert))
    monkeypatch.setenv("VERSELIGHT_LND_MACAROON", fake_lnd.macaroon_hex)
    urls = price_servers.urls()
    monkeypatch.setenv("VERSELIGHT_PRICE_URLS", ",".join(f"{k}={v}" for k, v in urls.items()))


@pytest.fixture(scope="session")
def lnbits_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LnbitsServer]:
    """One real LNbits (FakeWallet) for the session, set up, with a funded payer wallet. Tests
    that use it are in the "serial" xdist group, so one worker starts it once."""
    server = LnbitsServer(tmp_path_factory.mktemp("lnbits"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lnbits_wallet(lnbits_server: LnbitsServer) -> Wallet:
    """A shop wallet of its own for one test: no other test's invoices or notifications."""
    return lnbits_server.new_wallet("shop")


def point_at_lnbits(
    server: LnbitsServer,
    key: str,
    price_servers: PriceServers,
    monkeypatch: pytest.MonkeyPatch,
    url: str | None = None,
) -> None:
    """Set the environment the way an operator would for an LNbits wallet and the stand-in
    price servers."""
    monkeypatch.setenv("VERSELIGHT_LNBITS_URL", url or server.url)
    monkeypatch.setenv("VERSELIGHT_LNBITS_INVOICE_KEY", key)
    urls = price_servers.urls()
    monkeypatch.setenv("VERSELIGHT_PRICE_URLS", ",".join(f"{k}={v}" for k, v in urls.items()))


@pytest.fixture(scope="session")
def nostr_loop() -> Iterator[LoopThread]:
    """One event loop thread for the relays and wallet stand-ins of a test process."""
    from tests.nwc_stand_in import LoopThread

    loop = LoopThread()
    try:
        yield loop
    finally:
        loop.stop()


@pytest.fixture
def nostr_relay(nostr_loop: LoopThread) -> Iterator[LocalNostrRelay]:
    """A real Nostr relay on 127.0.0.1 (nostr-sdk's LocalRelay); ``restart()`` keeps its port."""
    from tests.nwc_stand_in import LocalNostrRelay

    relay = LocalNostrRelay(nostr_loop)
    try:
        yield relay
    finally:
        relay.stop()


@pytest.fixture
def nwc_service(
    nostr_loop: LoopThread, nostr_relay: LocalNostrRelay
) -> Iterator[Callable[..., StandInWallet]]:
    """Makes NWC wallet stand-ins (on ``nostr_relay`` unless ``relays=`` says otherwise; other
    knobs as ``StandInWallet`` takes them); all are stopped after the test."""
    from tests.nwc_stand_in import StandInWallet

    made: list[StandInWallet] = []

    def make(relays: list[str] | None = None, **knobs: Any) -> StandInWallet:
        wallet = StandInWallet(nostr_loop, relays or [nostr_relay.url], **knobs)
        made.append(wallet)
        return wallet

    try:
        yield make
    finally:
        for wallet in made:
            wallet.stop()
