"""Pytest fixtures for the fake LND. Load them with ``pytest_plugins = ["tests.fake_lnd.fixtures"]``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from payments.lnd import LndClient
from tests.fake_lnd.server import FakeLnd


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
