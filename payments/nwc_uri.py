"""The Nostr Wallet Connect URI (NIP-47): which wallet, on which relays, with which key.

``nostr+walletconnect://<wallet pubkey>?relay=<url>&relay=<url>&secret=<hex>&lud16=<address>``.
Wallets write the relay parameter percent-encoded or not (some twice); every relay given is used.
The secret is the key Verselight signs requests with: it never appears in a ``repr``, a log line or
an error message, so errors name the part that is wrong, never the text that was given.
Plain Python (no nostr-sdk), so checking a setting costs nothing.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

ENV_URI = "VERSELIGHT_NWC_URI"

_SCHEMES = ("nostr+walletconnect:", "nostrwalletconnect:")
"""NIP-47's scheme, and the spelling without "+" that some older wallets wrote."""

_MAX_URI_CHARS = 4096
"""A URI with a handful of relays is a few hundred characters."""


class NwcUriError(ValueError):
    """The NWC URI cannot be used (one sentence that never repeats the URI: it holds a secret)."""


@dataclass(frozen=True)
class NwcUri:
    """A parsed NWC URI; the secret is kept out of ``repr``."""

    wallet_pubkey: str
    """The wallet service's public key, 64 lower-case hex characters."""
    relays: tuple[str, ...]
    """Every relay the URI names, in its order, without repeats."""
    secret: str = field(repr=False)
    """Verselight's own secret key for this connection, 64 lower-case hex characters."""
    lud16: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> NwcUri | None:
        """``VERSELIGHT_NWC_URI`` parsed; None when it is unset or blank."""
        text = env.get(ENV_URI, "").strip()
        return parse_nwc_uri(text) if text else None


def parse_nwc_uri(text: str) -> NwcUri:
    """Read a ``nostr+walletconnect://`` URI, or raise ``NwcUriError`` with one sentence."""
    text = text.strip()
    if not text:
        raise NwcUriError("The NWC URI is empty.")
    if len(text) > _MAX_URI_CHARS:
        raise NwcUriError(f"The NWC URI is longer than {_MAX_URI_CHARS} characters.")
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise NwcUriError("The NWC URI contains spaces or control characters.")
    lowered = text.lower()
    scheme = next((s for s in _SCHEMES if lowered.startswith(s)), None)
    if scheme is None:
        raise NwcUriError("The NWC URI must start with nostr+walletconnect://.")
    rest = text[len(scheme) :].removeprefix("//")
    head, _, query = rest.partition("?")
    wallet = head.rstrip("/").lower()
    if not _is_hex_key(wallet):
        raise NwcUriError("The NWC URI's wallet key must be 64 hex characters.")

    relays: list[str] = []
    relay_count = 0
    secrets: list[str] = []
    lud16: str | None = None
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        name = unquote(name).lower()
        value = unquote(value)
        if name == "relay":
            relay = _relay_url(value, number=relay_count + 1)
            relay_count += 1
            if relay not in relays:
                relays.append(relay)
        elif name == "secret":
            secrets.append(value.lower())
        elif name == "lud16" and value:
            lud16 = value
    if not relays:
        raise NwcUriError("The NWC URI names no relay (relay=wss://...).")
    if not secrets:
        raise NwcUriError("The NWC URI has no secret.")
    if len(secrets) > 1:
        raise NwcUriError("The NWC URI has more than one secret.")
    secret = secrets[0]
    if not _is_hex_key(secret):
        raise NwcUriError("The NWC URI's secret must be 64 hex characters.")
    if secret == wallet:
        raise NwcUriError("The NWC URI's secret repeats the wallet's public key.")
    return NwcUri(wallet_pubkey=wallet, relays=tuple(relays), secret=secret, lud16=lud16)


def _is_hex_key(value: str) -> bool:
    return len(value) == 64 and all(ch in string.hexdigits for ch in value)


def _relay_url(value: str, number: int) -> str:
    """One relay parameter as a ``ws://`` or ``wss://`` URL (decoded again if it came encoded twice).

    The error counts the relay instead of quoting it: whatever was pasted might hold the secret.
    """
    if value.lower().startswith(("ws%3a", "wss%3a")):
        value = unquote(value)
    try:
        parts = urlsplit(value)
        usable = parts.scheme.lower() in ("ws", "wss") and bool(parts.hostname)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        usable = False
    if not usable:
        raise NwcUriError(f"The NWC URI's relay number {number} is not a ws:// or wss:// address.")
    return value
