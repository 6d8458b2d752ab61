"""Where the LND node is and how to prove who we are: settings, certificate and macaroon.

Read once from the environment (``VERSELIGHT_LND_*``); the certificate and macaroon files go
through ``storage.files`` (regular files only, size caps), and a bad setting is one sentence.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from payments.backend import BackendConfigError
from storage.files import UnreadableFile, read_regular, why

ENV_HOST = "VERSELIGHT_LND_HOST"
ENV_TLS_CERT = "VERSELIGHT_LND_TLS_CERT"
ENV_MACAROON = "VERSELIGHT_LND_MACAROON"

MAX_TLS_CERT_BYTES = 256 * 1024
"""A node's tls.cert is under 1 KiB; even a long chain stays far below this."""
MAX_MACAROON_BYTES = 64 * 1024
"""invoice.macaroon is about 100-300 bytes."""

DEFAULT_TIMEOUT_S = 10.0


class LndConfigError(BackendConfigError):
    """The LND settings are incomplete or point at files that cannot be read (a sentence)."""


@dataclass(frozen=True)
class LndConfig:
    """Where the node is and how to prove who we are. The macaroon is kept out of ``repr``."""

    host: str
    tls_cert: bytes = field(repr=False)
    macaroon_hex: str = field(repr=False)
    timeout_s: float = DEFAULT_TIMEOUT_S

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LndConfig | None:
        """Read ``VERSELIGHT_LND_HOST``, ``..._TLS_CERT`` (path) and ``..._MACAROON`` (path or hex).

        None when none of them is set (buying is then unavailable); ``LndConfigError`` when only
        some are set or a file cannot be read, so a typo is reported instead of silently turning
        payments off.
        """
        values = {
            name: env.get(name, "").strip() for name in (ENV_HOST, ENV_TLS_CERT, ENV_MACAROON)
        }
        if not any(values.values()):
            return None
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise LndConfigError(
                f"Lightning is only partly configured: set {' and '.join(missing)} as well "
                "(or none of the VERSELIGHT_LND_ settings)."
            )
        host = values[ENV_HOST]
        _, colon, port = host.rpartition(":")
        if not (
            colon
            and host.isascii()
            and host.isprintable()
            and port.isdigit()
            and len(port) <= 5
            and 0 < int(port) < 65536
            and " " not in host
        ):
            raise LndConfigError(f"{ENV_HOST} must be host:port, for example localhost:10009.")
        return cls(
            host=host,
            tls_cert=load_tls_cert(values[ENV_TLS_CERT]),
            macaroon_hex=load_macaroon(values[ENV_MACAROON]),
        )


def load_tls_cert(path: str) -> bytes:
    """The node's ``tls.cert`` (PEM) as bytes, for use as the TLS trust root."""
    cert_path = Path(path).expanduser()
    try:
        data = read_regular(cert_path, MAX_TLS_CERT_BYTES).data
    except FileNotFoundError as exc:
        raise LndConfigError(
            f"Cannot read the LND TLS certificate {cert_path}: {why(exc)}."
        ) from None
    except UnreadableFile as exc:
        raise LndConfigError(
            f"Cannot read the LND TLS certificate {cert_path}: {exc.reason}."
        ) from None
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise LndConfigError(f"The LND TLS certificate {cert_path} is not a PEM certificate.")
    return data


def load_macaroon(value: str) -> str:
    """A macaroon as lower-case hex, from hex text or from the path of a macaroon file.

    Text made only of hex digits is taken as the macaroon itself; anything else is a path whose
    bytes are hex-encoded, as LND expects in the ``macaroon`` metadata.
    """
    value = value.strip()
    if value and len(value) % 2 == 0 and all(c in string.hexdigits for c in value):
        if len(value) > 2 * MAX_MACAROON_BYTES:
            raise LndConfigError(
                f"The macaroon in {ENV_MACAROON} is longer than any LND makes; check the value."
            )
        return value.lower()
    mac_path = Path(value).expanduser()
    try:
        data = read_regular(mac_path, MAX_MACAROON_BYTES).data
    except FileNotFoundError as exc:
        raise LndConfigError(f"Cannot read the LND macaroon file {mac_path}: {why(exc)}.") from None
    except UnreadableFile as exc:
        raise LndConfigError(
            f"Cannot read the LND macaroon file {mac_path}: {exc.reason}."
        ) from None
    if not data:
        raise LndConfigError(f"The LND macaroon file {mac_path} is empty.")
    return data.hex()
