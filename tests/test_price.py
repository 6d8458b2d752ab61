"""The BTC/USD price: parsing each source exactly, agreeing on a median, surviving bad sources,
asking concurrently, caching without ever quoting a stale price, and sats rounded up exactly.

Network tests talk to the stand-in servers in ``tests/price_servers.py`` on 127.0.0.1 only.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal, Inexact, localcontext
from functools import partial

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.price import (
    UNAVAILABLE_MESSAGE,
    PriceCache,
    PriceSettings,
    PriceUnavailable,
    Quote,
    Source,
    SourceCheck,
    SourceError,
    aggregate,
    check,
    check_sources,
    default_sources,
    fetch_quote,
    fetch_quote_sync,
    median,
    parse_price,
    sats_for_usd,
)
from tests.clock import ManualClock
from tests.price_servers import AGREED_PRICE, Behaviour, PriceServers

NAMES = ("coinbase", "kraken", "bitstamp", "coingecko")
AGREED = Decimal(AGREED_PRICE)
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock_start() -> datetime:
    return T0


# Short times so failures are quick; the slow stand-in waits far longer than the client does.
FAST = PriceSettings(timeout_s=0.5, deadline_s=3.0, trust_env=False)
SLOW_FOREVER = 30.0


def sources(servers: PriceServers, *names: str) -> tuple[Source, ...]:
    return default_sources(servers.urls(*names))


# --- Parsing each source ----------------------------------------------------------------------

SOURCE = {source.name: source for source in default_sources()}


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        ("coinbase", b'{"data": {"amount": "97123.45", "currency": "USD"}}', "97123.45"),
        (
            "kraken",
            b'{"error": [], "result": {"XXBTZUSD": {"c": ["97123.40000", "0.1"]}}}',
            "97123.4",
        ),
        # The key is whatever Kraken calls the pair: accept the only one.
        ("kraken", b'{"error": [], "result": {"XBTUSD": {"c": ["97000.1", "1"]}}}', "97000.1"),
        ("bitstamp", b'{"last": "97123", "open": "1"}', "97123"),
        ("coingecko", b'{"bitcoin": {"usd": 97123.45}}', "97123.45"),
        ("coingecko", b'{"bitcoin": {"usd": 97123}}', "97123"),
        ("coingecko", b'{"bitcoin": {"usd": 9.712345e4}}', "97123.45"),
        # Kraken without an "error" member is still read (the price is checked anyway).
        ("kraken", b'{"result": {"XXBTZUSD": {"c": ["97123.45"]}}}', "97123.45"),
        # Digits a float would lose survive exactly.
        ("coingecko", b'{"bitcoin": {"usd": 97123.123456789012345}}', "97123.123456789012345"),
    ],
)
def test_each_source_is_parsed_exactly(name: str, body: bytes, expected: str) -> None:
    price = parse_price(SOURCE[name], body)
    assert type(price) is Decimal
    assert price == Decimal(expected)


@pytest.mark.parametrize(
    ("name", "body", "reason"),
    [
        ("coinbase", b'{"data": {}}', "no data.amount"),
        ("coinbase", b'["data"]', "no data"),
        ("coinbase", b'{"data": {"amount": "NaN"}}', "not a plain decimal"),
        ("coinbase", b'{"data": {"amount": "Infinity"}}', "not a plain decimal"),
        ("coinbase", b'{"data": {"amount": "-97123.45"}}', "negative"),
        ("coinbase", b'{"data": {"amount": "1e5"}}', "not a plain decimal"),
        ("coinbase", b'{"data": {"amount": "97_123"}}', "not a plain decimal"),
        ("coinbase", b'{"data": {"amount": " 97123"}}', "not a plain decimal"),
        ("coinbase", b'{"data": {"amount": ""}}', "not a plain decimal"),
        ("coinbase", b'{"data": {"amount": true}}', "JSON bool"),
        ("coinbase", b'{"data": {"amount": null}}', "JSON NoneType"),
        ("coinbase", b'{"data": {"amount": ["1"]}}', "JSON list"),
        ("bitstamp", b'{"last": "0"}', "not positive"),
        ("bitstamp", b'{"last": "0.0"}', "not positive"),
        ("bitstamp", b"", "not JSON"),
        ("bitstamp", b'{"last": "97123"', "not JSON"),
        ("bitstamp", b"\xff\xfe\x00garbage", "not JSON"),
        ("bitstamp", b"[" * 100_000, "not JSON"),
        ("bitstamp", b"  <html><body>Cloudflare</body></html>", "HTML"),
        ("coingecko", b'{"bitcoin": {"usd": NaN}}', "NaN, not a number"),
        ("coingecko", b'{"bitcoin": {"usd": Infinity}}', "Infinity, not a number"),
        ("coingecko", b'{"bitcoin": {"usd": -97123.45}}', "not positive"),
        (
            "coingecko",
            b'{"bitcoin": {"usd": 1.0000000000000000000000000000001}}',
            "too many digits",
        ),
        ("coingecko", b'{"bitcoin": {"eur": 90000}}', "no bitcoin.usd"),
        ("kraken", b'{"error": ["EQuery:Unknown asset pair"]}', "Kraken reported an error"),
        ("kraken", b'{"error": [], "result": {}}', "0 pairs"),
        ("kraken", b'{"error": [], "result": {"A": {"c": ["1"]}, "B": {"c": ["2"]}}}', "2 pairs"),
        ("kraken", b'{"error": [], "result": {"XXBTZUSD": {"c": []}}}', "no last trade price"),
        ("kraken", b'{"error": [], "result": {"XXBTZUSD": {"a": ["1"]}}}', "no last trade price"),
        ("kraken", b'{"error": [], "result": {"XXBTZUSD": ["1"]}}', "no last trade price"),
        ("kraken", b'{"error": [], "result": []}', "0 pairs"),
    ],
)
def test_bad_bodies_fail_with_a_reason(name: str, body: bytes, reason: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse_price(SOURCE[name], body)
    assert reason in caught.value.reason


def test_default_sources_use_the_documented_endpoints() -> None:
    urls = {source.name: source.url for source in default_sources()}
    assert urls == {
        "coinbase": "https://api.coinbase.com/v2/prices/BTC-USD/spot",
        "kraken": "https://api.kraken.com/0/public/Ticker?pair=XBTUSD",
        "bitstamp": "https://www.bitstamp.net/api/v2/ticker/btcusd/",
        "coingecko": "https://api.coingecko.com/api/v3/simple/price?ids=bitcoin&vs_currencies=usd",
    }
    assert [s.url for s in default_sources({"bitstamp": "http://mirror/"})] == [
        "http://mirror/api/v2/ticker/btcusd/"
    ]
    with pytest.raises(ValueError, match="unknown price sources: binance"):
        default_sources({"binance": "https://api.binance.com"})


# --- Agreeing ---------------------------------------------------------------------------------


def ok(name: str, price: str) -> SourceCheck:
    return SourceCheck(name, Decimal(price), None, 1)


def failed(name: str, reason: str) -> SourceCheck:
    return SourceCheck(name, None, reason, 1)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["3"], "3"),
        (["3", "1", "2"], "2"),
        (["1", "2"], "1.5"),
        (["97123.45", "97123.46"], "97123.455"),
        (
            ["97000.000000000000000001", "97000.000000000000000002", "1", "100000000"],
            "97000.0000000000000000015",
        ),
    ],
)
def test_median_is_exact(values: list[str], expected: str) -> None:
    result = median([Decimal(v) for v in values])
    assert type(result) is Decimal
    assert result == Decimal(expected)


def test_median_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        median([])


def test_two_sources_within_ten_percent_agree() -> None:
    """Each is 4 % from their mean, inside the 5 % rule."""
    quote = aggregate([ok("a", "96000"), ok("b", "103680")], PriceSettings(), T0)
    assert quote.price == Decimal("99840")
    assert quote.sources == ("a", "b")


def test_two_sources_that_disagree_give_no_price() -> None:
    with pytest.raises(PriceUnavailable) as caught:
        aggregate([ok("a", "90000"), ok("b", "110000")], PriceSettings(), T0)
    assert set(caught.value.reasons) == {"a", "b"}


def test_an_even_split_gives_no_price() -> None:
    """Half say 97,000 and half 50,000: nobody can tell who is right, so nothing is quoted."""
    checks = [ok("a", "97000"), ok("b", "97001"), ok("c", "50000"), ok("d", "50001")]
    with pytest.raises(PriceUnavailable):
        aggregate(checks, PriceSettings(), T0)


def test_outlier_rule_is_five_percent_of_the_median_inclusive() -> None:
    checks = [ok("a", "100000"), ok("b", "100000"), ok("c", "105000"), ok("d", "94999.99")]
    quote = aggregate(checks, PriceSettings(), T0)
    assert quote.sources == ("a", "b", "c")
    assert quote.price == Decimal("100000")
    assert "5% from the median 100000" in quote.dropped["d"]


def test_min_sources_is_configurable() -> None:
    checks = [ok("a", "97000"), failed("b", "down")]
    with pytest.raises(PriceUnavailable):
        aggregate(checks, PriceSettings(), T0)
    quote = aggregate(checks, PriceSettings(min_sources=1), T0)
    assert quote == Quote(Decimal("97000"), ("a",), T0, {"b": "down"})


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_sources": 0},
        {"lowest": Decimal(0)},
        {"lowest": Decimal(5), "highest": Decimal(5)},
        {"outlier_fraction": Decimal("-0.01")},
        {"timeout_s": 0},
        {"deadline_s": -1},
        {"max_body_bytes": 0},
    ],
)
def test_nonsense_settings_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        PriceSettings(**kwargs)  # type: ignore[arg-type]


# --- Fetching from the stand-in servers -------------------------------------------------------


def test_four_agreeing_sources_give_the_exact_median(price_servers: PriceServers) -> None:
    for name, price in zip(NAMES, ("97000", "97100.5", "97200", "97300.25"), strict=True):
        price_servers[name].price = price
    quote = fetch_quote_sync(sources(price_servers), FAST, clock=lambda: T0)
    assert type(quote.price) is Decimal
    assert quote.price == Decimal("97150.25")
    assert quote.sources == NAMES
    assert quote.dropped == {}
    assert quote.fetched_at == T0
    assert price_servers.requests() == dict.fromkeys(NAMES, 1)


async def test_fetch_quote_is_awaitable(price_servers: PriceServers) -> None:
    quote = await fetch_quote(sources(price_servers), FAST)
    assert quote.price == AGREED
    assert quote.fetched_at.tzinfo is not None


def test_an_outlier_is_dropped_and_named(price_servers: PriceServers) -> None:
    price_servers["kraken"].price = "97100"
    price_servers["bitstamp"].price = "97200"
    price_servers["coingecko"].price = "120000"
    quote = fetch_quote_sync(sources(price_servers), FAST)
    assert quote.price == Decimal("97123.45")  # median of 97100, 97123.45, 97200
    assert quote.sources == ("coinbase", "kraken", "bitstamp")
    assert list(quote.dropped) == ["coingecko"]
    assert "120000" in quote.dropped["coingecko"]


FAILURES = {
    Behaviour.GARBAGE: "not a plain decimal",
    Behaviour.HTML: "HTML",
    Behaviour.HTML_AS_JSON: "HTML",
    Behaviour.INVALID_JSON: "not JSON",
    Behaviour.ERROR_500: "HTTP 500",
    Behaviour.OVERSIZED: "larger than 65536 bytes",
    Behaviour.OVERSIZED_STREAM: "larger than 65536 bytes",
    Behaviour.DOWN: "could not connect",
}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("behaviour", list(FAILURES))
def test_a_failing_source_is_dropped_with_a_reason(
    price_servers: PriceServers, behaviour: Behaviour, name: str
) -> None:
    price_servers[name].behaviour = behaviour
    quote = fetch_quote_sync(sources(price_servers), FAST)
    assert quote.price == AGREED
    assert quote.sources == tuple(n for n in NAMES if n != name)
    assert list(quote.dropped) == [name]
    assert FAILURES[behaviour] in quote.dropped[name]


@pytest.mark.xdist_group("serial")  # timed or process-heavy (tests/conftest.py)
def test_a_source_slower_than_the_timeout_is_dropped(price_servers: PriceServers) -> None:
    price_servers["bitstamp"].behaviour = Behaviour.SLOW
    price_servers["bitstamp"].delay = SLOW_FOREVER
    started = time.perf_counter()
    quote = fetch_quote_sync(sources(price_servers), FAST)
    elapsed = time.perf_counter() - started
    assert quote.price == AGREED
    assert quote.dropped == {"bitstamp": "no answer within 0.5 s"}
    assert elapsed < FAST.timeout_s + 1.0


@pytest.mark.xdist_group("serial")  # timed or process-heavy (tests/conftest.py)
def test_the_overall_deadline_cuts_the_round_short(price_servers: PriceServers) -> None:
    price_servers["kraken"].behaviour = Behaviour.SLOW
    price_servers["kraken"].delay = SLOW_FOREVER
    settings = PriceSettings(timeout_s=10, deadline_s=0.3, trust_env=False)
    started = time.perf_counter()
    quote = fetch_quote_sync(sources(price_servers), settings)
    elapsed = time.perf_counter() - started
    assert quote.dropped == {"kraken": "no answer within the 0.3 s deadline"}
    assert quote.price == AGREED
    assert elapsed < 2.0


@pytest.mark.xdist_group("serial")  # timed or process-heavy (tests/conftest.py)
def test_sources_are_asked_concurrently(price_servers: PriceServers) -> None:
    """Two sources each taking D answer in well under 2 D together."""
    delay = 0.5
    for name in ("coinbase", "kraken"):
        price_servers[name].behaviour = Behaviour.SLOW
        price_servers[name].delay = delay
    settings = PriceSettings(timeout_s=5, deadline_s=5, trust_env=False)
    started = time.perf_counter()
    quote = fetch_quote_sync(sources(price_servers, "coinbase", "kraken"), settings)
    elapsed = time.perf_counter() - started
    assert quote.sources == ("coinbase", "kraken")
    assert delay <= elapsed < 1.6 * delay


def test_fewer_than_two_good_sources_give_no_price(price_servers: PriceServers) -> None:
    price_servers["coinbase"].behaviour = Behaviour.DOWN
    price_servers["kraken"].behaviour = Behaviour.ERROR_500
    price_servers["bitstamp"].behaviour = Behaviour.HTML
    with pytest.raises(PriceUnavailable) as caught:
        fetch_quote_sync(sources(price_servers), FAST)
    assert str(caught.value) == UNAVAILABLE_MESSAGE
    assert set(caught.value.reasons) == {"coinbase", "kraken", "bitstamp"}


def test_all_sources_down_give_no_price(price_servers: PriceServers) -> None:
    for name in NAMES:
        price_servers[name].behaviour = Behaviour.DOWN
    with pytest.raises(PriceUnavailable) as caught:
        fetch_quote_sync(sources(price_servers), FAST)
    assert len(caught.value.reasons) == 4


def test_a_price_outside_the_sanity_bounds_is_rejected(price_servers: PriceServers) -> None:
    price_servers["kraken"].price = "999.99"
    price_servers["bitstamp"].price = "10000000.01"
    quote = fetch_quote_sync(sources(price_servers), FAST)
    assert quote.sources == ("coinbase", "coingecko")
    assert "outside the sanity bounds 1000..10000000" in quote.dropped["kraken"]
    assert "outside the sanity bounds" in quote.dropped["bitstamp"]


def test_sanity_bounds_are_configurable(price_servers: PriceServers) -> None:
    settings = PriceSettings(highest=Decimal(50_000), timeout_s=0.5, trust_env=False)
    with pytest.raises(PriceUnavailable) as caught:
        fetch_quote_sync(sources(price_servers), settings)
    assert all("sanity bounds" in reason for reason in caught.value.reasons.values())


def test_check_reports_each_source_for_doctor(price_servers: PriceServers) -> None:
    price_servers["kraken"].behaviour = Behaviour.ERROR_500
    price_servers["coingecko"].price = "500"
    results = check(sources(price_servers), FAST)
    assert [r.name for r in results] == list(NAMES)
    by_name = {r.name: r for r in results}
    assert by_name["coinbase"].ok and by_name["coinbase"].price == AGREED
    assert not by_name["kraken"].ok and by_name["kraken"].reason == "answered HTTP 500"
    assert (
        by_name["coingecko"].reason is not None and "sanity bounds" in by_name["coingecko"].reason
    )
    assert all(r.elapsed_ms >= 0 for r in results)


def test_check_takes_a_single_source(price_servers: PriceServers) -> None:
    (bitstamp,) = sources(price_servers, "bitstamp")
    (result,) = check(bitstamp, FAST)
    assert result == SourceCheck("bitstamp", AGREED, None, result.elapsed_ms)


async def test_duplicate_source_names_are_refused(price_servers: PriceServers) -> None:
    twice = sources(price_servers, "kraken") * 2
    with pytest.raises(ValueError, match="unique"):
        await check_sources(twice, FAST)


@pytest.mark.parametrize("behaviour", [Behaviour.GARBAGE, Behaviour.HTML, Behaviour.OVERSIZED])
def test_response_bodies_are_never_logged(
    price_servers: PriceServers, behaviour: Behaviour, caplog: pytest.LogCaptureFixture
) -> None:
    price_servers["kraken"].behaviour = behaviour
    with caplog.at_level(logging.DEBUG, logger="verselight.price"):
        fetch_quote_sync(sources(price_servers), FAST)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "kraken failed" in logged
    for fragment in ("lots", "Bad Gateway", '"pad"', "XXBTZUSD"):
        assert fragment not in logged
    assert all(r.levelno != logging.INFO for r in caplog.records)


# --- Caching ----------------------------------------------------------------------------------


@pytest.fixture
def cache(price_servers: PriceServers, clock: ManualClock) -> PriceCache:
    fetcher = partial(fetch_quote_sync, sources(price_servers), FAST, clock)
    return PriceCache(fetcher, clock, ttl=timedelta(seconds=45), max_age=timedelta(minutes=10))


def test_cache_serves_within_ttl_without_a_request(
    cache: PriceCache, clock: ManualClock, price_servers: PriceServers
) -> None:
    first = cache.get()
    assert price_servers.total_requests() == 4
    clock.advance(seconds=44.999)
    assert cache.get() is first
    assert price_servers.total_requests() == 4


def test_cache_refetches_after_ttl(
    cache: PriceCache, clock: ManualClock, price_servers: PriceServers
) -> None:
    first = cache.get()
    price_servers["coinbase"].price = "97200"
    price_servers["kraken"].price = "97200"
    clock.advance(seconds=45)
    second = cache.get()
    assert price_servers.total_requests() == 8
    assert second.fetched_at == T0 + timedelta(seconds=45)
    assert (first.price, second.price) == (AGREED, Decimal("97161.725"))


def test_cache_serves_the_old_quote_when_a_refresh_fails_within_max_age(
    cache: PriceCache, clock: ManualClock, price_servers: PriceServers
) -> None:
    first = cache.get()
    for name in NAMES:
        price_servers[name].behaviour = Behaviour.ERROR_500
    clock.advance(seconds=45)
    assert cache.get() is first
    clock.advance(minutes=9, seconds=14.999)  # 9:59.999 after the fetch
    assert cache.get() is first
    assert price_servers.total_requests() == 12  # each call past the ttl tried again


def test_cache_refuses_a_quote_ten_minutes_old(
    cache: PriceCache, clock: ManualClock, price_servers: PriceServers
) -> None:
    cache.get()
    for name in NAMES:
        price_servers[name].behaviour = Behaviour.DOWN
    clock.advance(minutes=10)
    with pytest.raises(PriceUnavailable) as caught:
        cache.get()
    assert str(caught.value) == UNAVAILABLE_MESSAGE
    # Sources back: a fresh quote, and the cache works again.
    for name in NAMES:
        price_servers[name].behaviour = Behaviour.OK
    assert cache.get().fetched_at == clock()


def test_cache_with_nothing_cached_and_no_sources_refuses(clock: ManualClock) -> None:
    def broken() -> Quote:
        raise PriceUnavailable({"coinbase": "down"})

    with pytest.raises(PriceUnavailable):
        PriceCache(broken, clock).get()


def test_cache_distrusts_a_quote_from_the_future(clock: ManualClock) -> None:
    """A clock that jumped back must not make an old quote look young for hours."""
    fetched = [Quote(AGREED, ("a", "b"), clock() + timedelta(hours=2))]

    def fetcher() -> Quote:
        if fetched:
            return fetched.pop()
        raise PriceUnavailable()

    cache = PriceCache(fetcher, clock)
    cache.get()
    with pytest.raises(PriceUnavailable):
        cache.get()


def test_cache_needs_an_aware_clock() -> None:
    cache = PriceCache(lambda: Quote(AGREED, ("a",), T0), lambda: datetime(2026, 11, 1))
    with pytest.raises(ValueError, match="aware"):
        cache.get()


def test_cache_refuses_a_ttl_beyond_max_age() -> None:
    with pytest.raises(ValueError):
        PriceCache(lambda: Quote(AGREED, (), T0), ttl=timedelta(minutes=11))


# --- Sats ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("usd", "price", "sats"),
    [
        ("3", "97123.45", 3089),  # 3088.85...: rounded up
        ("3", "97123.450000", 3089),  # trailing zeros change nothing
        ("3", "60000", 5000),  # exact: no extra sat
        ("3", "97000", 3093),
        ("3", "12345.67", 24301),
        ("0.07", "7000", 1000),  # exactly 1000; floats say 1000.0000000000001 -> 1001
        ("1", "100000000", 1),  # $1 per sat
        ("1", "100000001", 1),  # just under one sat: still one
        ("1.00", "99999999", 2),  # just over one sat: two
        ("0.01", "9999999.99999999", 1),
        ("0", "97123.45", 0),
        ("300", "1000", 30_000_000),
    ],
)
def test_sats_for_usd_table(usd: str, price: str, sats: int) -> None:
    result = sats_for_usd(Decimal(usd), Decimal(price))
    assert type(result) is int
    assert result == sats


@pytest.mark.parametrize(
    ("usd", "price", "error"),
    [
        (3.0, Decimal("97123.45"), TypeError),
        (Decimal(3), 97123.45, TypeError),
        (Decimal("NaN"), Decimal("97123.45"), TypeError),
        (Decimal(3), Decimal("Infinity"), TypeError),
        (Decimal(-3), Decimal("97123.45"), ValueError),
        (Decimal(3), Decimal(0), ValueError),
        (Decimal(3), Decimal(-1), ValueError),
    ],
)
def test_sats_for_usd_refuses_floats_and_nonsense(usd: object, price: object, error: type) -> None:
    with pytest.raises(error):
        sats_for_usd(usd, price)  # type: ignore[arg-type]


@given(
    usd=st.decimals(min_value="0.01", max_value="10000", places=2),
    price=st.decimals(min_value="1000", max_value="10000000", places=8),
)
def test_sats_cover_the_dollars_and_one_less_would_not(usd: Decimal, price: Decimal) -> None:
    sats = sats_for_usd(usd, price)
    with localcontext() as ctx:  # exact products, or the test fails loudly
        ctx.prec = 100
        ctx.traps[Inexact] = True
        assert sats * price / 100_000_000 >= usd
        assert (sats - 1) * price / 100_000_000 < usd
