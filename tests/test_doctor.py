"""`verselight doctor` through the real entry point, against a running fake LND (gRPC over TLS)
and the stand-in price servers (real HTTP on 127.0.0.1): one line a check, exit 1 only when
buying cannot work, plain sentences, no secret and no traceback."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from cli.main import main
from core.billing.shop import ENV_PRICE_URLS
from payments.lnd import ENV_HOST, ENV_MACAROON, ENV_TLS_CERT
from payments.price import (
    DISAGREE_MESSAGE,
    PriceUnavailable,
    default_sources,
    fetch_quote_sync,
)
from tests.fake_lnd import FakeLnd
from tests.image_servers import Behaviour as ImageBehaviour
from tests.image_servers import StandIn
from tests.price_servers import Behaviour, PriceServers

LND_VARS = (ENV_HOST, ENV_TLS_CERT, ENV_MACAROON)
SOURCES = ("coinbase", "kraken", "bitstamp", "coingecko")
CHECKS = (
    "library", "ledger", "sessions", "payments", *(f"price {s}" for s in SOURCES), "prices",
    "openrouter", "image files", "serve",
)  # fmt: skip
CANNOT_BUY = "Buying credits cannot work until the FAIL lines above are fixed."
ALL_GOOD = "Everything needed to read and to sell credits works."


@dataclass
class Doctor:
    code: int
    out: str
    err: str
    checks: dict[str, tuple[bool, str]]
    """area -> (ok, text), one entry per check line."""

    def line(self, area: str) -> tuple[bool, str]:
        return self.checks[area]


@pytest.fixture
def home(verselight_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """VERSELIGHT_HOME in tmp_path with KJV in place, and none of the user's settings."""
    for name in ("VERSELIGHT_SESSION_SECRET", "VERSELIGHT_ADMIN_PASSWORD", ENV_PRICE_URLS):
        monkeypatch.delenv(name, raising=False)
    for name in (*LND_VARS, "OPENROUTER_API_KEY", "VERSELIGHT_OPENROUTER_URL"):
        monkeypatch.delenv(name, raising=False)
    for name in ("VERSELIGHT_IMAGES_URL", "VERSELIGHT_IMAGES_KEY", "VERSELIGHT_IMAGES_MODELS"):
        monkeypatch.delenv(name, raising=False)
    return verselight_home


def use_node(monkeypatch: pytest.MonkeyPatch, fake: FakeLnd, tmp_path: Path) -> None:
    cert = tmp_path / "tls.cert"
    cert.write_bytes(fake.tls_cert)
    monkeypatch.setenv(ENV_HOST, fake.host)
    monkeypatch.setenv(ENV_TLS_CERT, str(cert))
    monkeypatch.setenv(ENV_MACAROON, fake.macaroon_hex)


def use_prices(monkeypatch: pytest.MonkeyPatch, servers: PriceServers) -> None:
    """Point at the stand-ins; call after setting behaviours (a DOWN source's URL changes)."""
    urls = ",".join(f"{name}={url}" for name, url in servers.urls().items())
    monkeypatch.setenv(ENV_PRICE_URLS, urls)


def doctor(capfd: pytest.CaptureFixture[str]) -> Doctor:
    """Run `verselight doctor`; check the output's shape common to every case."""
    capfd.readouterr()
    code = main(["doctor"])
    out, err = capfd.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    check_lines = out.splitlines()
    if code == 0:
        assert check_lines.pop() == ALL_GOOD and CANNOT_BUY not in err
    else:
        assert ALL_GOOD not in out and CANNOT_BUY in err
    checks: dict[str, tuple[bool, str]] = {}
    for line in check_lines:
        mark, area, text = line[:4].rstrip(), line[5:21].rstrip(), line[22:]
        assert mark in ("ok", "FAIL"), line
        assert line[4] == " " and line[21] == " " and text.strip() == text and text, line
        assert area not in checks, f"two lines for {area}"
        checks[area] = (mark == "ok", text)
    assert tuple(checks) == CHECKS
    macaroon = os.environ.get(ENV_MACAROON, "")
    if macaroon:
        assert macaroon not in out and macaroon not in err, "the macaroon was printed"
    return Doctor(code, out, err, checks)


@pytest.fixture
def ready(
    home: Path,
    fake_lnd: FakeLnd,
    price_servers: PriceServers,
    openrouter_server: StandIn,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> FakeLnd:
    """Everything set up to sell credits and make images: the fake node, all four price
    sources and an OpenRouter stand-in."""
    use_node(monkeypatch, fake_lnd, tmp_path)
    use_prices(monkeypatch, price_servers)
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-doctor")
    monkeypatch.setenv("VERSELIGHT_OPENROUTER_URL", openrouter_server.base_url)
    return fake_lnd


def test_all_good_is_one_ok_line_per_check_and_exit_0(
    ready: FakeLnd, home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    got = doctor(capfd)
    assert got.code == 0
    assert all(ok for ok, _ in got.checks.values()), got.out
    assert got.line("library") == (True, "translations: KJV")
    assert got.line("payments") == (
        True,
        f"LND: node at {ready.host} answers and accepts the macaroon",
    )
    assert got.line("prices") == (True, "4 sources agree: $97,123.45")
    assert got.line("openrouter") == (
        True,
        "3 image model(s), 1 priced; default google/gemini-2.5-flash-image 5 credits",
    )
    assert got.line("image files") == (True, "0 stored, each with its record")
    assert "sk-or-doctor" not in got.out + got.err
    for name in SOURCES:
        assert got.line(f"price {name}")[1].startswith("$97,123.45 (")
    secret = (home / "data" / "session.secret").read_text().strip()
    for text in (got.out, got.err):
        assert ready.macaroon_hex not in text
        assert ready.macaroon_hex.upper() not in text
        assert secret not in text
        assert "BEGIN CERTIFICATE" not in text


def test_lightning_not_configured_names_the_three_settings(
    home: Path,
    price_servers: PriceServers,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    use_prices(monkeypatch, price_servers)
    got = doctor(capfd)
    assert got.code == 1
    ok, text = got.line("payments")
    assert not ok
    assert text.startswith("not configured")
    for name in LND_VARS:
        assert name in text
    # Everything else is fine: reading keeps working.
    assert all(ok for area, (ok, _) in got.checks.items() if area not in ("payments", "openrouter"))


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        ((ENV_HOST,), "VERSELIGHT_LND_TLS_CERT and VERSELIGHT_LND_MACAROON"),
        ((ENV_HOST, ENV_TLS_CERT), "VERSELIGHT_LND_MACAROON"),
        ((ENV_MACAROON,), "VERSELIGHT_LND_HOST and VERSELIGHT_LND_TLS_CERT"),
    ],
)
def test_half_configured_lightning_says_what_is_missing(
    ready: FakeLnd,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    present: tuple[str, ...],
    missing: str,
) -> None:
    for name in LND_VARS:
        if name not in present:
            monkeypatch.delenv(name)
    got = doctor(capfd)
    assert got.code == 1
    assert got.line("payments") == (
        False,
        f"LND: Lightning is only partly configured: set {missing} as well "
        "(or none of the VERSELIGHT_LND_ settings).",
    )


@pytest.mark.parametrize(
    ("macaroon", "sentence"),
    [
        ("unknown", "The Lightning node did not accept Verselight's macaroon."),
        ("router", "The macaroon Verselight uses is not allowed to handle invoices."),
    ],
)
def test_a_wrong_macaroon_is_a_plain_sentence(
    ready: FakeLnd,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    macaroon: str,
    sentence: str,
) -> None:
    wrong = os.urandom(64).hex() if macaroon == "unknown" else ready.router_macaroon_hex
    monkeypatch.setenv(ENV_MACAROON, wrong)
    got = doctor(capfd)
    assert got.code == 1
    assert got.line("payments") == (False, f"LND: {sentence}")
    for text in (got.out, got.err):
        assert wrong not in text and ready.macaroon_hex not in text


def test_a_stopped_node_cannot_be_reached(
    ready: FakeLnd, capfd: pytest.CaptureFixture[str]
) -> None:
    ready.stop()
    got = doctor(capfd)
    assert got.code == 1
    ok, text = got.line("payments")
    assert not ok and "cannot be reached" in text
    assert text == "LND: The Lightning node cannot be reached right now."
    assert ready.host not in text


def test_one_price_source_down_is_reported_but_buying_still_works(
    ready: FakeLnd,
    price_servers: PriceServers,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    price_servers["kraken"].behaviour = Behaviour.DOWN
    use_prices(monkeypatch, price_servers)
    got = doctor(capfd)
    assert got.code == 0
    ok, reason = got.line("price kraken")
    assert not ok and reason and reason != "no answer"
    assert "Traceback" not in reason and "\n" not in reason
    assert got.line("prices") == (True, "3 sources agree: $97,123.45")
    assert [area for area, (ok, _) in got.checks.items() if not ok] == ["price kraken"]


def test_an_outlier_is_named_and_the_others_still_quote(
    ready: FakeLnd,
    price_servers: PriceServers,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    price_servers["coingecko"].price = "110000"
    use_prices(monkeypatch, price_servers)
    got = doctor(capfd)
    assert got.code == 0
    assert got.line("price coingecko") == (
        False,
        "$110,000 is an outlier: more than 5% from the median $97,123.45",
    )
    assert got.line("prices") == (
        True,
        "3 sources agree: $97,123.45; coingecko $110,000 left out as too far from the others",
    )
    # Buying prices the invoice by the same rule, at the same price.
    quote = fetch_quote_sync(default_sources(price_servers.urls()))
    assert quote.price == Decimal("97123.45") and "coingecko" in quote.dropped


def test_two_against_two_is_a_disagreement_exactly_as_buying_sees_it(
    ready: FakeLnd,
    price_servers: PriceServers,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    for name, price in (("coinbase", "97000"), ("kraken", "97000")):
        price_servers[name].price = price
    for name in ("bitstamp", "coingecko"):
        price_servers[name].price = "110000"
    use_prices(monkeypatch, price_servers)
    got = doctor(capfd)
    assert got.code == 1
    assert got.line("prices") == (
        False,
        "the sources disagree (coinbase $97,000, kraken $97,000, bitstamp $110,000, "
        "coingecko $110,000: more than 5% from their median $103,500), so no invoice can be "
        "priced; 2 must agree",
    )
    assert got.line("price kraken") == (
        False,
        "$97,000 is an outlier: more than 5% from the median $103,500",
    )
    with pytest.raises(PriceUnavailable) as refused:
        fetch_quote_sync(default_sources(price_servers.urls()))
    assert str(refused.value) == DISAGREE_MESSAGE
    assert "cannot be fetched" not in str(refused.value)
    assert refused.value.disagree


def test_three_price_sources_down_is_exit_1(
    ready: FakeLnd,
    price_servers: PriceServers,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    price_servers["coinbase"].behaviour = Behaviour.DOWN
    price_servers["kraken"].behaviour = Behaviour.ERROR_500
    price_servers["coingecko"].behaviour = Behaviour.HTML
    use_prices(monkeypatch, price_servers)
    got = doctor(capfd)
    assert got.code == 1
    assert got.line("prices") == (False, "only 1 source(s) answered; 2 are needed to quote")
    assert got.line("price bitstamp")[0]
    for name in ("coinbase", "kraken", "coingecko"):
        ok, reason = got.line(f"price {name}")
        assert not ok and reason
    assert got.line("price kraken")[1] == "answered HTTP 500"


def test_a_bad_price_source_name_is_a_fail_line(
    ready: FakeLnd,
    price_servers: PriceServers,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    urls = ",".join(f"{n}={u}" for n, u in price_servers.urls("coinbase", "kraken").items())
    monkeypatch.setenv(ENV_PRICE_URLS, f"{urls},binance=http://127.0.0.1:9")
    capfd.readouterr()
    code = main(["doctor"])
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    assert code == 1 and CANNOT_BUY in err
    lines = out.splitlines()
    prices = [line for line in lines if line.startswith("FAIL prices ")]
    assert len(prices) == 1, out
    assert "VERSELIGHT_PRICE_URLS" in prices[0] and "'binance' is not one" in prices[0]
    # No source was asked: the setting is wrong as a whole.
    assert price_servers.total_requests() == 0
    assert not [line for line in lines if line[5:].startswith("price ")]
    assert [line[:4].rstrip() for line in lines[:4]] == ["ok"] * 4  # library .. payments


def test_image_providers_and_files_are_checked_but_do_not_block_buying(
    ready: FakeLnd,
    home: Path,
    openrouter_server: StandIn,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    openrouter_server.behaviour = ImageBehaviour.UNAUTHORIZED_401
    images = home / "data" / "images" / "ab"
    images.mkdir(parents=True)
    stray = images / ("ab" + "0" * 30 + ".png")
    stray.write_bytes(b"left by a crash")
    hour_ago = time.time() - 3600  # older than a generation still in flight
    os.utime(stray, (hour_ago, hour_ago))
    got = doctor(capfd)
    assert got.code == 0
    ok, text = got.line("openrouter")
    assert not ok and "OPENROUTER_API_KEY" in text
    ok, text = got.line("image files")
    assert not ok and "1 image file(s) with no record" in text


def test_openrouter_not_configured_says_which_setting(
    ready: FakeLnd, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENROUTER_API_KEY")
    got = doctor(capfd)
    assert got.code == 0
    assert got.line("openrouter") == (
        False,
        "not configured: set OPENROUTER_API_KEY to generate with it",
    )
