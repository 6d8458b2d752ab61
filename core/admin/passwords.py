"""Admin password hashing with ``hashlib.scrypt``, compared in constant time.

A hash is stored as ``scrypt$<n>$<r>$<p>$<salt b64>$<key b64>`` so the cost can be raised later
without breaking hashes already in config files: verification always uses the parameters
written in the string, never the current defaults.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from core.config import Config

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32
MAX_PASSWORD_CHARS = 1024
"""Longer passwords are refused before scrypt runs, so nobody can make us hash megabytes."""
MAX_SCRYPT_MEMORY = 256 * 1024 * 1024
"""A hash whose parameters would need more memory than this (128 * n * r) is refused."""

HOW_TO_CONFIGURE = (
    "Set VERSELIGHT_ADMIN_PASSWORD in the environment, or put "
    'admin_password_hash = "..." in the config file, made with `verselight admin hash`.'
)


class AdminError(Exception):
    """Admin mode cannot be used as asked. ``str()`` is a sentence for the user."""


class AdminNotConfigured(AdminError):
    def __init__(self) -> None:
        super().__init__(f"Admin mode is not configured. {HOW_TO_CONFIGURE}")


class AdminConfigError(AdminError):
    """The configured password hash cannot be used."""


class PasswordTooLong(AdminError):
    def __init__(self) -> None:
        super().__init__(
            f"The admin password must be at most {MAX_PASSWORD_CHARS} characters long."
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    # maxmem must cover 128 * n * r (plus p blocks); the default of 32 MiB would refuse
    # stronger hashes that ``_parse`` accepts.
    maxmem = 128 * r * (n + p + 2) + 1024 * 1024
    return hashlib.scrypt(
        password.encode("utf-8", "surrogatepass"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        dklen=dklen,
        maxmem=maxmem,
    )


def hash_password(password: str, *, n: int = N, r: int = R, p: int = P) -> str:
    """A new salted hash of ``password`` (a different string every call)."""
    if not password:
        raise AdminError("The admin password cannot be empty.")
    if len(password) > MAX_PASSWORD_CHARS:
        raise PasswordTooLong()
    problem = _parameter_problem(n, r, p)
    if problem:
        raise ValueError(problem)
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, n, r, p, KEY_BYTES)
    return f"{SCHEME}${n}${r}${p}${_b64(salt)}${_b64(key)}"


@dataclass(frozen=True, slots=True)
class _Parsed:
    n: int
    r: int
    p: int
    salt: bytes = field(repr=False)
    key: bytes = field(repr=False)


def _malformed(why: str) -> AdminConfigError:
    return AdminConfigError(
        f"The admin password hash in the config file is not usable ({why}); "
        "make a new one with `verselight admin hash`."
    )


def _parameter_problem(n: int, r: int, p: int) -> str | None:
    """Why these scrypt parameters are refused, or None: a hash cannot make us spend
    unbounded memory or time."""
    if n < 2 or n & (n - 1):
        return "n must be a power of 2"
    if not 1 <= r <= 64 or not 1 <= p <= 16:
        return "r or p is out of range"
    if 128 * n * r > MAX_SCRYPT_MEMORY:
        return "its parameters need too much memory"
    return None


def _parse(encoded: str) -> _Parsed:
    parts = encoded.strip().split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise _malformed("expected scrypt$n$r$p$salt$key")
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        key = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        raise _malformed("a number or base64 part is broken") from None
    problem = _parameter_problem(n, r, p)
    if problem:
        raise _malformed(problem)
    if len(salt) < 8 or len(key) < 16:
        raise _malformed("the salt or key is too short")
    return _Parsed(n, r, p, salt, key)


def verify_password(password: str, encoded: str) -> bool:
    """True if ``password`` matches ``encoded``. A malformed hash raises ``AdminConfigError``."""
    parsed = _parse(encoded)
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    candidate = _scrypt(password, parsed.salt, parsed.n, parsed.r, parsed.p, len(parsed.key))
    return hmac.compare_digest(candidate, parsed.key)


@dataclass(frozen=True, slots=True)
class Verifier:
    """Checks admin passwords against one hash, checked for form when it is made.

    A password from the environment is hashed once at start with a fresh salt, so checking
    it is the same constant-time scrypt comparison as checking a configured hash.
    """

    encoded: str = field(repr=False)

    def __post_init__(self) -> None:
        _parse(self.encoded)

    @classmethod
    def from_password(cls, password: str) -> Verifier:
        return cls(hash_password(password))

    @classmethod
    def from_config(cls, config: Config) -> Verifier:
        """The environment's password wins over the config file's hash, as in ``Config``."""
        if config.admin_password:
            return cls.from_password(config.admin_password)
        if config.admin_password_hash:
            return cls(config.admin_password_hash)
        raise AdminNotConfigured()

    def check(self, password: str) -> bool:
        return verify_password(password, self.encoded)
