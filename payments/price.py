"""The BTC/USD price, asked of several no-key sources at once, exact and safe to quote with.

A Lightning invoice is priced in sats, so the dollar price of bitcoin decides how much a buyer
pays. One source can be down, slow, wrong or hijacked, so the price is taken from several
(Coinbase, Kraken, Bitstamp, CoinGecko) queried concurrently, each checked on its own, and only a
price that at least ``min_sources`` of them agree on is used:

1. Each source must answer ``200`` with a small JSON body (at most ``max_body_bytes``) within
   ``timeout_s``; its price must be a finite, positive decimal inside the sanity bounds
   ``[lowest, highest]``. Anything else drops that source, with a reason in plain words.
2. Outliers: the median of the good quotes is taken, and every quote further than
   ``outlier_fraction`` (5 %) of that median from it is dropped. With two sources this means they
   must agree within about 10 %; when half the quotes disagree with the other half, every quote is
   dropped and nothing is quoted, which is the safe answer when nobody can tell who is right.
3. At least ``min_sources`` quotes must remain; the price is the median of those (the mean of the
   two middle ones for an even count).

Money never touches a float: prices are ``Decimal`` parsed from the JSON text itself (CoinGecko's
JSON number included), and sats are computed with exact integer arithmetic.

``PriceCache`` keeps the last good quote for a short ``ttl`` so a burst of invoices costs one
round of requests, serves it a while longer only when a refresh fails, and refuses outright once
it is older than ``max_age`` (10 minutes): never an invoice on a stale price.

Where each source is asked and how its answer is read live in ``payments.price_sources``; the
exact dollars-to-sats sum in ``payments.sats``. Both stay importable from here.

This module belongs to the payments layer: it never imports ``textual`` or ``core``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, Inexact, localcontext
from typing import TYPE_CHECKING

from payments.price_sources import (
    DEFAULT_BASE_URLS,
    Source,
    SourceError,
    default_sources,
    parse_price,
)
from payments.sats import SATS_PER_BTC, sats_for_usd

if TYPE_CHECKING:
    import httpx

# httpx (with its CLI's click and rich) takes about 80 ms to import: it loads on the first
# price request, not when the reader starts.

logger = logging.getLogger("verselight.price")

Clock = Callable[[], datetime]
"""A callable returning an aware ``datetime``; injected so tests can move time by hand."""

UNAVAILABLE_MESSAGE = (
    "The bitcoin price cannot be fetched right now, so no invoice can be made. "
    "Try again in a minute."
)

DISAGREE_MESSAGE = (
    "The bitcoin price sources disagree right now, so no invoice can be made. "
    "Try again in a minute."
)


def utc_now() -> datetime:
    """The default clock: now, in UTC (aware)."""
    return datetime.now(UTC)


class PriceUnavailable(Exception):
    """No price can be trusted right now. ``str()`` is a sentence for the user; ``reasons`` says,
    per source, what went wrong (for logs and ``verselight doctor``, not for the buyer).

    ``outliers`` names the sources that answered but were dropped for being too far from the
    median; ``disagree`` is True when enough sources answered and only their disagreement stands
    in the way, which is a different thing to tell a buyer than "cannot be fetched".
    """

    def __init__(
        self,
        reasons: Mapping[str, str] | None = None,
        *,
        outliers: Mapping[str, Decimal] | None = None,
        disagree: bool = False,
    ) -> None:
        super().__init__(DISAGREE_MESSAGE if disagree else UNAVAILABLE_MESSAGE)
        self.reasons: dict[str, str] = dict(reasons or {})
        self.outliers: dict[str, Decimal] = dict(outliers or {})
        self.disagree = disagree


@dataclass(frozen=True)
class Quote:
    """An agreed price: the median of ``sources``; ``dropped`` names each source left out, and why."""

    price: Decimal
    sources: tuple[str, ...]
    fetched_at: datetime
    dropped: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceCheck:
    """One source's answer: its price, or the reason it gave none (what ``doctor`` shows)."""

    name: str
    price: Decimal | None
    reason: str | None
    elapsed_ms: int

    @property
    def ok(self) -> bool:
        return self.price is not None


@dataclass(frozen=True)
class PriceSettings:
    """The knobs of fetching and agreeing. Defaults suit a real network; tests shrink the times."""

    min_sources: int = 2
    lowest: Decimal = Decimal(1_000)
    highest: Decimal = Decimal(10_000_000)
    outlier_fraction: Decimal = Decimal("0.05")
    timeout_s: float = 3.0
    """Whole-request limit per source: connect, headers and body together."""
    deadline_s: float = 5.0
    """Limit for the whole round; a source still busy then is dropped."""
    max_body_bytes: int = 64 * 1024
    trust_env: bool = True
    """Honour proxy settings from the environment (httpx's ``trust_env``)."""

    def __post_init__(self) -> None:
        if self.min_sources < 1:
            raise ValueError("min_sources must be at least 1")
        if not (Decimal(0) < self.lowest < self.highest):
            raise ValueError("sanity bounds must satisfy 0 < lowest < highest")
        if self.outlier_fraction < 0:
            raise ValueError("outlier_fraction must not be negative")
        if self.timeout_s <= 0 or self.deadline_s <= 0 or self.max_body_bytes <= 0:
            raise ValueError("timeouts and the body cap must be positive")


def _check_bounds(price: Decimal, settings: PriceSettings) -> Decimal:
    if not settings.lowest <= price <= settings.highest:
        raise SourceError(
            f"the price {price} is outside the sanity bounds {settings.lowest}..{settings.highest}"
        )
    return price


# --- Fetching -------------------------------------------------------------------------------------


async def _read_body(client: httpx.AsyncClient, url: str, limit: int) -> bytes:
    """The body of a ``200`` answer, read no further than ``limit`` bytes (after decompression)."""
    async with client.stream("GET", url) as response:
        if response.status_code != 200:
            raise SourceError(f"answered HTTP {response.status_code}")
        if "html" in response.headers.get("content-type", "").lower():
            raise SourceError("answered with HTML, not JSON")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise SourceError(f"the answer is larger than {limit} bytes")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > limit:
                raise SourceError(f"the answer is larger than {limit} bytes")
        return bytes(body)


async def _ask(client: httpx.AsyncClient, source: Source, settings: PriceSettings) -> Decimal:
    """One source's checked price; every failure becomes a ``SourceError`` with a reason."""
    import httpx

    try:
        async with asyncio.timeout(settings.timeout_s):
            body = await _read_body(client, source.url, settings.max_body_bytes)
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise SourceError(f"no answer within {settings.timeout_s:g} s") from exc
    except httpx.ConnectError as exc:
        raise SourceError("could not connect (refused, unreachable or TLS failure)") from exc
    except httpx.HTTPError as exc:
        raise SourceError(f"the request failed ({type(exc).__name__})") from exc
    return _check_bounds(parse_price(source, body), settings)


async def _check_one(
    client: httpx.AsyncClient, source: Source, settings: PriceSettings
) -> SourceCheck:
    """Ask one source and never raise: a broken source must not break the others."""
    started = time.monotonic()
    price: Decimal | None = None
    reason: str | None = None
    try:
        price = await _ask(client, source, settings)
    except SourceError as exc:
        reason = exc.reason
    except Exception as exc:  # a surprise in one source is that source's failure, not ours
        reason = f"unexpected error ({type(exc).__name__})"
        logger.debug("price source %s raised", source.name, exc_info=True)
    elapsed_ms = round((time.monotonic() - started) * 1000)
    if reason is not None:
        logger.warning("price source %s failed: %s", source.name, reason)
    else:
        logger.debug("price source %s: %s in %d ms", source.name, price, elapsed_ms)
    return SourceCheck(source.name, price, reason, elapsed_ms)


def _late(source: Source, settings: PriceSettings) -> SourceCheck:
    reason = f"no answer within the {settings.deadline_s:g} s deadline"
    logger.warning("price source %s failed: %s", source.name, reason)
    return SourceCheck(source.name, None, reason, round(settings.deadline_s * 1000))


def _client(settings: PriceSettings) -> httpx.AsyncClient:
    import httpx

    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.timeout_s),
        headers={"Accept": "application/json", "User-Agent": "verselight"},
        follow_redirects=False,
        trust_env=settings.trust_env,
    )


def _as_tuple(sources: Source | Iterable[Source]) -> tuple[Source, ...]:
    chosen = (sources,) if isinstance(sources, Source) else tuple(sources)
    names = [source.name for source in chosen]
    if len(set(names)) != len(names):
        raise ValueError("price source names must be unique")
    return chosen


async def check_sources(
    sources: Source | Iterable[Source] | None = None, settings: PriceSettings | None = None
) -> tuple[SourceCheck, ...]:
    """Ask every source at once; each answers within ``timeout_s`` or the round's ``deadline_s``.
    Results come back in the order the sources were given."""
    chosen = _as_tuple(default_sources() if sources is None else sources)
    settings = settings or PriceSettings()
    async with _client(settings) as client:
        tasks = [asyncio.create_task(_check_one(client, source, settings)) for source in chosen]
        done, pending = await asyncio.wait(tasks, timeout=settings.deadline_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    return tuple(
        task.result() if task in done else _late(source, settings)
        for task, source in zip(tasks, chosen, strict=True)
    )


def check(
    sources: Source | Iterable[Source] | None = None, settings: PriceSettings | None = None
) -> tuple[SourceCheck, ...]:
    """Health of each source for ``verselight doctor``: its price, or why it gave none.
    Synchronous (runs its own event loop): do not call it from inside a running loop."""
    return asyncio.run(check_sources(sources, settings))


# --- Agreeing -------------------------------------------------------------------------------------


def median(values: Sequence[Decimal]) -> Decimal:
    """The exact median; for an even count the mean of the two middle values. The arithmetic
    runs with room to spare and traps ``Inexact``, so it can never round silently."""
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    with localcontext() as ctx:
        ctx.prec = 100
        ctx.traps[Inexact] = True
        return (ordered[middle - 1] + ordered[middle]) / 2


def _outliers(prices: Mapping[str, Decimal], fraction: Decimal) -> dict[str, str]:
    """Sources further than ``fraction`` of the median from it, each with the reason."""
    centre = median(list(prices.values()))
    return {
        name: f"the price {price} is more than {(fraction * 100).normalize():f}% from the median {centre}"
        for name, price in prices.items()
        if abs(price - centre) > centre * fraction
    }


def aggregate(
    checks: Iterable[SourceCheck], settings: PriceSettings, fetched_at: datetime
) -> Quote:
    """One price from many answers (rules in the module docstring), or ``PriceUnavailable``."""
    checks = tuple(checks)
    dropped = {c.name: c.reason or "no price" for c in checks if c.price is None}
    good = {c.name: c.price for c in checks if c.price is not None}
    outliers: dict[str, str] = {}
    if len(good) >= settings.min_sources:
        outliers = _outliers(good, settings.outlier_fraction)
        dropped |= outliers
    kept = {name: price for name, price in good.items() if name not in dropped}
    if len(kept) < settings.min_sources:
        logger.warning(
            "no BTC/USD price: %d of %d sources agree, %d needed",
            len(kept),
            len(checks),
            settings.min_sources,
        )
        raise PriceUnavailable(
            dropped,
            outliers={name: good[name] for name in outliers},
            disagree=len(good) >= settings.min_sources,
        )
    for name, reason in dropped.items():
        logger.debug("price source %s dropped: %s", name, reason)
    return Quote(median(list(kept.values())), tuple(kept), fetched_at, dropped)


async def fetch_quote(
    sources: Iterable[Source] | None = None,
    settings: PriceSettings | None = None,
    clock: Clock = utc_now,
) -> Quote:
    """The BTC/USD price agreed by the sources right now, or ``PriceUnavailable``."""
    settings = settings or PriceSettings()
    checks = await check_sources(sources, settings)
    return aggregate(checks, settings, clock())


def fetch_quote_sync(
    sources: Iterable[Source] | None = None,
    settings: PriceSettings | None = None,
    clock: Clock = utc_now,
) -> Quote:
    """``fetch_quote`` for callers without an event loop (a worker thread, the CLI). It runs its
    own loop, so it must not be called from inside a running one: await ``fetch_quote`` there."""
    return asyncio.run(fetch_quote(sources, settings, clock))


# --- Caching --------------------------------------------------------------------------------------


class PriceCache:
    """The last good quote, reused so a burst of invoices costs one round of requests.

    - younger than ``ttl``: served as is, no request;
    - ``ttl`` or older: refreshed; if the refresh fails, the old quote is still served while it is
      younger than ``max_age`` (the price rarely moves much in minutes, and refusing to sell
      because one refresh failed would be worse);
    - ``max_age`` or older (or dated in the future, if the clock jumped back) and no fresh quote:
      ``PriceUnavailable``. An invoice is never priced from a quote older than ``max_age``.

    Age is ``clock() - quote.fetched_at``, so give the fetcher the same clock. ``get`` is
    thread-safe; concurrent callers wait for one refresh instead of each starting their own.
    """

    def __init__(
        self,
        fetcher: Callable[[], Quote],
        clock: Clock = utc_now,
        ttl: timedelta = timedelta(seconds=45),
        max_age: timedelta = timedelta(minutes=10),
    ) -> None:
        if not timedelta(0) < ttl <= max_age:
            raise ValueError("need 0 < ttl <= max_age")
        self._fetcher = fetcher
        self._clock = clock
        self._ttl = ttl
        self._max_age = max_age
        self._quote: Quote | None = None
        self._lock = threading.Lock()

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the clock must return an aware datetime")
        return now

    def _younger_than(self, limit: timedelta) -> Quote | None:
        """The cached quote if its age is in ``[0, limit)``: a quote dated in the future means the
        clock went back, and its true age is unknown."""
        now = self._now()
        if self._quote is None:
            return None
        return self._quote if timedelta(0) <= now - self._quote.fetched_at < limit else None

    def get(self) -> Quote:
        """A quote no older than ``max_age``, fetching when the cached one is past ``ttl``."""
        with self._lock:
            fresh = self._younger_than(self._ttl)
            if fresh is not None:
                return fresh
            try:
                self._quote = self._fetcher()
                return self._quote
            except PriceUnavailable as exc:
                fallback = self._younger_than(self._max_age)  # measured after the failed try
                if fallback is None:
                    raise
                logger.warning(
                    "price refresh failed (%s); serving the quote from %s",
                    "; ".join(f"{k}: {v}" for k, v in exc.reasons.items()) or "no reason",
                    fallback.fetched_at.isoformat(),
                )
                return fallback


__all__ = [
    "DEFAULT_BASE_URLS",
    "SATS_PER_BTC",
    "UNAVAILABLE_MESSAGE",
    "Clock",
    "PriceCache",
    "PriceSettings",
    "PriceUnavailable",
    "Quote",
    "Source",
    "SourceCheck",
    "SourceError",
    "aggregate",
    "check",
    "check_sources",
    "default_sources",
    "fetch_quote",
    "fetch_quote_sync",
    "median",
    "parse_price",
    "sats_for_usd",
]
