"""The services object: one open, one close, and the switches a served process needs, against
real parts (the ledger file, the library, the fake LND node over TLS, stand-in price servers)."""

from __future__ import annotations

import os
import queue
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.billing.invoices import Outcome
from core.billing.ledger import Ledger
from core.config import Config, load_config
from core.generation.store import ExportError
from core.services import ServiceOptions, Services, open_services
from storage import ledger as db
from tests.price_servers import PriceServers
from tests.stand_ins import point_at_lightning

HOST_SID = "0575" + "0" * 28


@pytest.fixture
def config(
    tmp_path: Path, kjv_library_file: Path, copy_lib: Callable[[Path, Path], Path]
) -> Config:
    copy_lib(kjv_library_file, tmp_path / "data" / "library.sqlite")
    # The environment as the test set it (``lightning``, when a test asks for it first).
    return load_config(env={**os.environ, "VERSELIGHT_HOME": str(tmp_path)})


@pytest.fixture
def lightning(tmp_path: Path, fake_lnd, price_servers: PriceServers, monkeypatch) -> None:
    point_at_lightning(tmp_path, fake_lnd, price_servers, monkeypatch)


@pytest.fixture
def opened(config: Config) -> Iterator[Callable[..., Services]]:
    made: list[Services] = []

    def make(**options: object) -> Services:
        services = open_services(config, options=ServiceOptions(**options))  # type: ignore[arg-type]
        made.append(services)
        return services

    yield make
    for services in made:
        services.close()


def test_defaults_open_this_terminals_session_with_every_part(
    config: Config, opened: Callable[..., Services]
) -> None:
    services = opened()
    assert services.account is not None and services.gallery is not None
    assert config.paths.token_file.exists()  # the terminal's own session, remembered
    assert services.gallery.exports
    assert services.ctx.library.has("KJV")


def test_credits_later_opens_the_library_now_and_the_session_when_asked(
    config: Config,
) -> None:
    """The reader's way: its first frame needs the library only."""
    services = open_services(config, credits_later=True)
    try:
        assert services.ctx.library.has("KJV")
        assert services.credits_pending
        assert services.account is None and services.gallery is None
        assert not config.paths.token_file.exists() and not config.paths.ledger_db.exists()
        assert services.open_credits() == []  # a first run: nothing to tell
        assert not services.credits_pending
        assert services.account is not None and services.gallery is not None
        assert config.paths.token_file.exists()
        account = services.account
        assert services.open_credits() == [] and services.account is account  # once only
    finally:
        services.close()


def test_credits_later_says_why_once_when_the_ledger_cannot_be_used(config: Config) -> None:
    config.paths.ledger_db.parent.mkdir(parents=True, exist_ok=True)
    config.paths.ledger_db.write_bytes(b"not a database, and not empty" * 200)
    services = open_services(config, credits_later=True)
    try:
        (notice,) = services.open_credits()
        assert "damaged" in notice and services.notices == [notice]
        assert services.account is None and services.gallery is None
        assert services.open_credits() == []
    finally:
        services.close()


def test_a_given_session_is_used_and_no_token_file_is_written(
    config: Config, opened: Callable[..., Services]
) -> None:
    ledger = Ledger.open(config.paths.ledger_db)
    db.create_session(ledger.conn, HOST_SID, ledger.clock())
    ledger.grant(HOST_SID, 40, "test")
    ledger.close()
    services = opened(session_id=HOST_SID)
    assert services.account is not None
    assert services.account.session_id == HOST_SID
    assert services.account.state().balance.balance == 40
    assert not config.paths.token_file.exists()
    assert services.notices == []


def test_an_unknown_given_session_reads_without_credits(
    config: Config, opened: Callable[..., Services]
) -> None:
    services = opened(session_id="f" * 32)
    assert services.account is None and services.gallery is None
    assert services.generator() is None
    assert len(services.notices) == 1 and "Credits are unavailable" in services.notices[0]
    assert not config.paths.token_file.exists()


def test_export_switched_off_writes_nothing(
    config: Config, opened: Callable[..., Services], tmp_path: Path
) -> None:
    from core.generation.gallery import Illustration

    services = opened(allow_export=False)
    assert services.gallery is not None and not services.gallery.exports
    shown = Illustration.__new__(Illustration)  # refused before the illustration is read
    destination = tmp_path / "copy.png"
    with pytest.raises(ExportError, match="switched off"):
        services.gallery.export(shown, destination)
    assert not destination.exists()


def test_with_payments_watched_a_settlement_is_reported(
    lightning: None, fake_lnd, opened: Callable[..., Services]
) -> None:
    services = opened()
    assert services.account is not None
    reports: queue.Queue[tuple[str, Outcome]] = queue.Queue()
    assert services.recover_payments() == 0
    assert services.follow_payments(lambda h, o: reports.put((h, o)))
    invoice = services.shop.open_invoice(services.account.session_id)
    fake_lnd.settle(bytes.fromhex(invoice.payment_hash))
    assert reports.get(timeout=10) == (invoice.payment_hash, Outcome.CREDITED)
    assert services.account.state().balance.balance == 300
    services.close()  # stops the watcher; closing twice is harmless
    services.close()


def test_with_payments_not_watched_nothing_follows_the_node(
    lightning: None, fake_lnd, opened: Callable[..., Services]
) -> None:
    """A per-connection process: the host's watcher credits; this one starts none and does
    not even recover earlier invoices."""
    watched = opened()
    assert watched.account is not None
    invoice = watched.shop.open_invoice(watched.account.session_id)
    fake_lnd.settle(bytes.fromhex(invoice.payment_hash))  # paid while nothing watched
    served = opened(watch_payments=False, session_id=watched.account.session_id)
    assert not served.follows_payments
    assert served.recover_payments() == 0
    assert not served.follow_payments(lambda h, o: None)
    assert served.account is not None
    assert served.account.state().balance.balance == 0  # nobody credited it here
    assert watched.recover_payments() == 1  # the watching process does
    assert served.account.state().balance.balance == 300
