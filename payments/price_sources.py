"""The BTC/USD price sources: where each is asked, and how its answer is read, exactly.

Each source's JSON is parsed with every number as a ``Decimal`` and its price checked on its own
(a plain, finite, positive decimal of sane length); ``payments.price`` asks them all at once and
decides which to believe.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

DEFAULT_BASE_URLS: Mapping[str, str] = {
    "coinbase": "https://api.coinbase.com",
    "kraken": "https://api.kraken.com",
    "bitstamp": "https://www.bitstamp.net",
    "coingecko": "https://api.coingecko.com",
}

# A plain decimal as the exchanges write it: no sign, exponent, spaces or underscores (all of
# which ``Decimal()`` would otherwise accept), and few enough digits that sums stay exact.
_PLAIN_DECIMAL = re.compile(r"[0-9]{1,15}(\.[0-9]{1,15})?")
_MAX_DIGITS = 30


class SourceError(Exception):
    """One source failed; ``reason`` says how, in plain words and without the response body."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- Sources -------------------------------------------------------------------------------------


def _dig(doc: object, *keys: str) -> object:
    """``doc[k1][k2]...``, or a ``SourceError`` naming the missing path (never the body)."""
    node = doc
    for depth, key in enumerate(keys):
        if not isinstance(node, dict) or key not in node:
            raise SourceError(f"the answer has no {'.'.join(keys[: depth + 1])}")
        node = node[key]
    return node


def _coinbase(doc: object) -> object:
    return _dig(doc, "data", "amount")


def _kraken(doc: object) -> object:
    """Kraken names the pair ``XXBTZUSD`` although we ask for ``XBTUSD``: take the only pair."""
    errors = doc.get("error") if isinstance(doc, dict) else None
    if errors:
        first = errors[0] if isinstance(errors, list) else errors
        raise SourceError(f"Kraken reported an error: {str(first)[:80]!r}")
    result = _dig(doc, "result")
    if not isinstance(result, dict) or len(result) != 1:
        count = len(result) if isinstance(result, dict) else 0
        raise SourceError(f"the answer has {count} pairs in result, expected exactly one")
    (ticker,) = result.values()
    closes = ticker.get("c") if isinstance(ticker, dict) else None
    if not isinstance(closes, list) or not closes:
        raise SourceError("the answer has no last trade price (result.*.c[0])")
    return closes[0]


def _bitstamp(doc: object) -> object:
    return _dig(doc, "last")


def _coingecko(doc: object) -> object:
    return _dig(doc, "bitcoin", "usd")


@dataclass(frozen=True)
class Source:
    """A price source: where to ask (``base_url`` + ``path``) and where its answer keeps the price."""

    name: str
    base_url: str
    path: str
    extract: Callable[[object], object]

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + self.path


_PATHS_AND_EXTRACTORS: Mapping[str, tuple[str, Callable[[object], object]]] = {
    "coinbase": ("/v2/prices/BTC-USD/spot", _coinbase),
    "kraken": ("/0/public/Ticker?pair=XBTUSD", _kraken),
    "bitstamp": ("/api/v2/ticker/btcusd/", _bitstamp),
    "coingecko": ("/api/v3/simple/price?ids=bitcoin&vs_currencies=usd", _coingecko),
}


def default_sources(base_urls: Mapping[str, str] | None = None) -> tuple[Source, ...]:
    """The four known sources; ``base_urls`` overrides some or all of their base URLs by name
    (a mirror, a proxy, or a stand-in server in tests). With overrides naming only some sources,
    only those are returned, so tests and operators can pick a subset."""
    chosen = dict(DEFAULT_BASE_URLS) if base_urls is None else dict(base_urls)
    unknown = set(chosen) - set(_PATHS_AND_EXTRACTORS)
    if unknown:
        raise ValueError(f"unknown price sources: {', '.join(sorted(unknown))}")
    return tuple(
        Source(name, chosen[name], *_PATHS_AND_EXTRACTORS[name])
        for name in _PATHS_AND_EXTRACTORS
        if name in chosen
    )


# --- Parsing ----------------------------------------------------------------------------------------


def _reject_constant(name: str) -> object:
    raise SourceError(f"the answer holds {name}, not a number")


def _load_json(body: bytes) -> object:
    """JSON with every number as an exact ``Decimal``; NaN/Infinity literals refused."""
    if body.lstrip()[:1] == b"<":
        raise SourceError("answered with HTML, not JSON")
    try:
        return json.loads(
            body, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant
        )
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise SourceError("answered with something that is not JSON") from exc


def _to_decimal(value: object) -> Decimal:
    """A price from a JSON string ("97123.45") or a JSON number; anything else is refused."""
    if isinstance(value, str):
        if value.startswith("-"):
            raise SourceError("the price is negative")
        if not _PLAIN_DECIMAL.fullmatch(value):
            raise SourceError("the price is not a plain decimal number")
        return Decimal(value)
    if isinstance(value, Decimal):
        return value
    raise SourceError(f"the price is a JSON {type(value).__name__}, not a number")


def _check_number(price: Decimal) -> Decimal:
    if not price.is_finite():
        raise SourceError("the price is not a finite number")
    if price <= 0:
        raise SourceError("the price is not positive")
    if len(price.as_tuple().digits) > _MAX_DIGITS:
        raise SourceError("the price has too many digits")
    return price


def parse_price(source: Source, body: bytes) -> Decimal:
    """The price in one source's response body, exact, or a ``SourceError`` saying why not."""
    return _check_number(_to_decimal(source.extract(_load_json(body))))
