"""Where the LNbits wallet is and its invoice key: ``VERSELIGHT_LNBITS_URL`` and
``VERSELIGHT_LNBITS_INVOICE_KEY``, read once from the environment, a bad value one sentence.

The URL may carry a path prefix (LNbits behind a reverse proxy at ``/lnbits``) and a trailing
slash. Plain ``http`` is accepted only on loopback: elsewhere the key would cross the network in
clear text.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from payments.backend import BackendConfigError

ENV_URL = "VERSELIGHT_LNBITS_URL"
ENV_INVOICE_KEY = "VERSELIGHT_LNBITS_INVOICE_KEY"

DEFAULT_TIMEOUT_S = 10.0
MAX_KEY_CHARS = 256


@dataclass(frozen=True)
class LnbitsConfig:
    """The wallet's base URL (no trailing slash) and invoice key (kept out of ``repr``)."""

    url: str
    invoice_key: str = field(repr=False)
    timeout_s: float = DEFAULT_TIMEOUT_S

    @property
    def host(self) -> str:
        """The URL without its scheme, for sentences (the key is never in it)."""
        return self.url.split("://", 1)[1]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LnbitsConfig | None:
        """None when neither setting is present; ``BackendConfigError`` for one without the
        other or a value that cannot be used."""
        url = env.get(ENV_URL, "").strip()
        key = env.get(ENV_INVOICE_KEY, "").strip()
        if not url and not key:
            return None
        if not url or not key:
            missing = ENV_URL if not url else ENV_INVOICE_KEY
            raise BackendConfigError(
                f"LNbits is only partly configured: set {missing} as well "
                "(or none of the VERSELIGHT_LNBITS_ settings)."
            )
        if not (key.isascii() and key.isprintable() and " " not in key) or len(key) > MAX_KEY_CHARS:
            raise BackendConfigError(
                f"{ENV_INVOICE_KEY} does not look like an LNbits key: copy the wallet's "
                "invoice/read key again."
            )
        return cls(url=base_url(url), invoice_key=key)


def base_url(text: str) -> str:
    """The LNbits base URL without a trailing slash; ``BackendConfigError`` when unusable."""
    example = "for example https://lnbits.example.com or http://127.0.0.1:5000/lnbits"
    if not (text.isascii() and text.isprintable()) or " " in text:
        raise BackendConfigError(f"{ENV_URL} is not a URL: {example}.")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        raise BackendConfigError(f"{ENV_URL} is not a URL: {example}.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BackendConfigError(f"{ENV_URL} must start with https:// ({example}).")
    if parts.username is not None or parts.query or parts.fragment:
        raise BackendConfigError(
            f"{ENV_URL} must be only the LNbits address, with no user, query or fragment "
            f"({example}); the key goes in {ENV_INVOICE_KEY}."
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise BackendConfigError(
            f"{ENV_URL} must use https:// unless LNbits runs on this machine "
            "(plain http would send the key in clear text)."
        )
    return text.rstrip("/")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
