"""Session tokens: a JWT signed with HS256 carrying ``sid``, ``iat`` and ``exp`` (DESIGN 4).

The token is the TUI's cookie. ``read`` accepts HS256 only: the header is checked before any
verification so ``alg: none`` and algorithm switching are refused with a message that says so,
and ``algorithms=["HS256"]`` makes pyjwt refuse them again. Expiry is judged against the ``now``
passed in, not pyjwt's own clock, so tests can walk past ``exp`` without waiting.

Every refusal is a ``TokenProblem`` whose ``str()`` is a sentence for the user; no message ever
quotes the token or the session id in it.
"""

from __future__ import annotations

import re
import secrets
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal


def _without_asymmetric_backend() -> bool:
    """Hide ``cryptography`` from pyjwt's import when it is not loaded yet; True if hidden.

    pyjwt imports ``cryptography`` when it is installed, for RSA and EC keys, and that takes
    0.2-2 s on this project's machines: more than the whole reader needs to paint. Tokens
    here are HS256 only (``hmac`` from the standard library, through pyjwt), so pyjwt is let
    believe the optional backend is absent (its own ``ModuleNotFoundError`` path). Code that
    needs ``cryptography`` later (the SSH server) imports it as usual.
    """
    if "cryptography" in sys.modules:
        return False
    sys.modules["cryptography"] = None  # type: ignore[assignment]  # import raises ModuleNotFoundError
    return True


_hidden = _without_asymmetric_backend()
try:
    import jwt
finally:
    if _hidden and sys.modules.get("cryptography", False) is None:
        del sys.modules["cryptography"]

ALGORITHM = "HS256"
MAX_TOKEN_CHARS = 8192
"""Far more than a real token (about 150 characters); anything longer is not ours."""
_SIGNATURE_CHARS = 43
"""An HMAC-SHA256 is 32 bytes: 43 base64url characters without padding."""
CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a token's ``iat`` may lie: clocks of one installation's terminals
drift by seconds, not days. A token issued later than that was not issued by this clock."""
LATEST_TIME = 253402300799
"""9999-12-31 23:59:59 UTC. ``iat`` and ``exp`` outside 0..this are not times we write."""
_SID = re.compile(r"[0-9a-f]{32}")
_SHOWABLE_ALG = re.compile(r"[A-Za-z0-9+_-]{1,16}")

ProblemKind = Literal[
    "missing", "unreadable", "malformed", "signature", "algorithm", "expired", "claims", "unknown"
]


class SessionError(Exception):
    """A session could not be resumed, exported or imported. ``str()`` is a sentence."""


class TokenProblem(SessionError):
    """A token that grants nothing. ``kind`` is for code, ``reason`` (and ``str()``) for people."""

    def __init__(self, kind: ProblemKind, reason: str) -> None:
        self.kind: ProblemKind = kind
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class Claims:
    sid: str
    iat: int
    exp: int


def new_sid() -> str:
    """A fresh anonymous session id: 128 random bits as 32 lowercase hex characters."""
    return secrets.token_hex(16)


def is_sid(value: object) -> bool:
    return isinstance(value, str) and _SID.fullmatch(value) is not None


def issue(sid: str, secret: bytes, now: datetime, ttl: timedelta) -> str:
    """A token for ``sid`` valid from ``now`` for ``ttl``."""
    if not is_sid(sid):
        raise ValueError("a session id is 32 lowercase hex characters")
    seconds = int(ttl.total_seconds())
    if seconds <= 0:
        raise ValueError("sessions must stay valid for at least a day (session_days >= 1)")
    iat = int(now.timestamp())
    return jwt.encode({"sid": sid, "iat": iat, "exp": iat + seconds}, secret, ALGORITHM)


def read(token: str, secret: bytes, now: datetime) -> Claims:
    """The claims of a token this installation signed and that has not expired, or TokenProblem."""
    token = token.strip()
    if not token:
        raise TokenProblem("malformed", "The session token is empty.")
    if len(token) > MAX_TOKEN_CHARS or not token.isascii() or token.count(".") != 2:
        raise _damaged()
    alg = _header_alg(token)
    if alg != ALGORITHM:
        raise _wrong_algorithm(alg)
    if len(token.rsplit(".", 1)[1]) != _SIGNATURE_CHARS:
        raise _damaged()
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "verify_aud": False,
                "verify_iss": False,
                "verify_sub": False,
                "verify_jti": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise TokenProblem(
            "signature",
            "The session token's signature does not match: it was changed, "
            "or it was made by another Verselight installation.",
        ) from None
    except jwt.InvalidAlgorithmError:
        raise _wrong_algorithm(alg) from None
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError):
        raise _damaged() from None
    claims = _claims(payload)
    if claims.iat > now.timestamp() + CLOCK_SKEW.total_seconds():
        day = datetime.fromtimestamp(claims.iat, UTC).date().isoformat()
        raise TokenProblem(
            "claims",
            f"The session token says it was issued on {day} (UTC), later than this computer's "
            "clock allows.",
        )
    if int(now.timestamp()) >= claims.exp:
        day = datetime.fromtimestamp(claims.exp, UTC).date().isoformat()
        raise TokenProblem("expired", f"The session token expired on {day} (UTC).")
    return claims


def _header_alg(token: str) -> object:
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError):
        raise _damaged() from None
    return header.get("alg")


def _claims(payload: dict[str, Any]) -> Claims:
    sid, iat, exp = payload.get("sid"), payload.get("iat"), payload.get("exp")
    if not (_whole(iat) and _whole(exp)):
        raise TokenProblem(
            "claims", "The session token lacks the issue and expiry times every token carries."
        )
    assert isinstance(iat, int) and isinstance(exp, int)
    if not 0 <= iat <= exp <= LATEST_TIME:
        raise TokenProblem(
            "claims", "The session token's issue and expiry times are not ones Verselight writes."
        )
    if not is_sid(sid):
        raise TokenProblem("claims", "The session token does not name a valid session.")
    assert isinstance(sid, str)
    return Claims(sid, iat, exp)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _damaged() -> TokenProblem:
    return TokenProblem("malformed", "The session token is damaged or incomplete.")


def _wrong_algorithm(alg: object) -> TokenProblem:
    if isinstance(alg, str) and alg.lower() == "none":
        return TokenProblem(
            "algorithm",
            'The session token is unsigned (algorithm "none"), and unsigned tokens are never '
            "accepted.",
        )
    if isinstance(alg, str) and _SHOWABLE_ALG.fullmatch(alg):
        return TokenProblem(
            "algorithm", f"The session token is signed with {alg}, but only HS256 is accepted."
        )
    return TokenProblem(
        "algorithm",
        "The session token does not say it is signed with HS256, the only one accepted.",
    )


def sign(payload: dict[str, Any], secret: bytes) -> str:
    """A token carrying ``payload`` (for hand-offs with claims beyond a terminal token's)."""
    return jwt.encode(payload, secret, ALGORITHM)


def audience_claims(token: str, secret: bytes, audience: str) -> dict[str, Any]:
    """The payload of a token that ``read`` accepted, if it is meant for ``audience``;
    otherwise ``TokenProblem``. Terminal tokens carry no audience and never pass."""
    try:
        return jwt.decode(token.strip(), secret, algorithms=[ALGORITHM], audience=audience,
                          options={"verify_exp": False, "verify_iat": False})  # fmt: skip
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError):
        raise TokenProblem("claims", "This token was not made for this purpose.") from None
