"""Which payment backend sells credits here: exactly one of LND, LNbits and Nostr Wallet Connect,
chosen by which settings are present.

An operator sets one backend's ``VERSELIGHT_*`` settings. None set: buying is unavailable (and
says how to set one up). Several set: that is a mistake to name, not a choice to guess, so
buying is unavailable and doctor's payments line fails naming them. Each adapter reads and
checks its own settings (``payments.lnd_config``, ``payments.lnbits_config``, and the NWC
adapter's parser) and is loaded only when it is the one chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from payments.backend import BackendConfigError, PaymentBackend
from payments.lnbits_config import ENV_INVOICE_KEY as ENV_LNBITS_INVOICE_KEY
from payments.lnbits_config import ENV_URL as ENV_LNBITS_URL
from payments.lnd_config import ENV_HOST, ENV_MACAROON, ENV_TLS_CERT
from payments.nwc_uri import ENV_URI as ENV_NWC_URI


@dataclass(frozen=True, slots=True)
class Kind:
    """One backend an operator can choose: its name and the settings that choose it."""

    name: str
    settings: tuple[str, ...]
    open: Callable[[Mapping[str, str]], PaymentBackend]
    """Read the settings and make the client (no network call); ``BackendConfigError`` when
    the settings cannot be used."""


def _open_lnd(env: Mapping[str, str]) -> PaymentBackend:
    from payments.lnd import LndClient, LndConfig

    config = LndConfig.from_env(env)
    assert config is not None  # chosen because one of its settings is set
    return LndClient(config)


def _open_lnbits(env: Mapping[str, str]) -> PaymentBackend:
    from payments.lnbits import LnbitsClient
    from payments.lnbits_config import LnbitsConfig

    config = LnbitsConfig.from_env(env)
    assert config is not None
    return LnbitsClient(config)


def _open_nwc(env: Mapping[str, str]) -> PaymentBackend:
    """Parse ``VERSELIGHT_NWC_URI`` (plain Python: one sentence per mistake) and wrap the wallet
    as a backend; the connection (and nostr-sdk) opens at its first call."""
    from payments.nwc_backend import NwcBackend
    from payments.nwc_uri import NwcUri, NwcUriError

    try:
        uri = NwcUri.from_env(env)
    except NwcUriError as exc:
        raise BackendConfigError(f"{ENV_NWC_URI}: {exc}") from None
    assert uri is not None  # chosen because its setting is set
    return NwcBackend(uri)


KINDS: tuple[Kind, ...] = (
    Kind("LND", (ENV_HOST, ENV_TLS_CERT, ENV_MACAROON), _open_lnd),
    Kind("LNbits", (ENV_LNBITS_URL, ENV_LNBITS_INVOICE_KEY), _open_lnbits),
    Kind("NWC", (ENV_NWC_URI,), _open_nwc),
)

NOT_CONFIGURED = (
    "Buying credits needs a payment backend, and none is configured here: set LND's "
    "VERSELIGHT_LND_HOST, VERSELIGHT_LND_TLS_CERT and VERSELIGHT_LND_MACAROON, or LNbits' "
    "VERSELIGHT_LNBITS_URL and VERSELIGHT_LNBITS_INVOICE_KEY, or VERSELIGHT_NWC_URI "
    "(see the README)."
)


def chosen(env: Mapping[str, str]) -> list[Kind]:
    """The backends with at least one setting present (blank values do not count)."""
    return [k for k in KINDS if any(env.get(name, "").strip() for name in k.settings)]


def too_many(kinds: list[Kind]) -> str:
    """The sentence for several backends set at once."""
    names = [k.name for k in kinds]
    listed = ", ".join(names[:-1]) + f" and {names[-1]}"
    return (
        f"Only one payment backend may be configured, and {listed} are: "
        "keep the settings of one and unset the others."
    )


def open_backend(env: Mapping[str, str]) -> PaymentBackend | None:
    """The configured backend's client, or None when none is configured.

    Raises ``BackendConfigError`` (a sentence) when several are, or the one set cannot be used.
    """
    kinds = chosen(env)
    if not kinds:
        return None
    if len(kinds) > 1:
        raise BackendConfigError(too_many(kinds))
    return kinds[0].open(env)
