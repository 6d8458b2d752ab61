"""Session tokens: a JWT signed with HS256 carrying ``sid``, ``iat`` and ``exp`` (DESIGN 4).

The token is the TUI's cookie. ``read`` accepts HS256 only: the header is checked before any
verification so ``alg: none`` and algorithm switching are refused with a message that says so,
and the signature is only ever checked as HMAC-SHA256. Expiry is judged against the ``now``
passed in, so tests can walk past ``exp`` without waiting.

HS256 is written and checked here with the standard library (``hmac``, ``base64``, ``json``),
byte for byte as pyjwt writes it: pyjwt imports ``cryptography`` for algorithms Verselight
never accepts, and that import alone took a third of a second before the reader's first frame
(the tests check every token against pyjwt both ways).

Every refusal is a ``TokenProblem`` whose ``str()`` is a sentence for the user; no message ever
quotes the token or the session id in it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

ALGORITHM = "HS256"
MAX_TOKEN_CHARS = 8192
"""Far more than a real token (about 150 characters); anything longer is not ours."""
_SIGNATURE_CHARS = 43
"""An HMAC-SHA256 is 32 bytes: 43 base64url characters without padding."""
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
    header = _segment(_dumps({"alg": ALGORITHM, "typ": "JWT"}, sort_keys=True))
    payload = _segment(_dumps({"sid": sid, "iat": iat, "exp": iat + seconds}))
    signing_input = f"{header}.{payload}"
    return f"{signing_input}.{_segment(_sign(signing_input, secret))}"


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
    signing_input, signature = token.rsplit(".", 1)
    try:
        given = _unsegment(signature)
    except ValueError:
        raise _damaged() from None
    if not hmac.compare_digest(given, _sign(signing_input, secret)):
        raise TokenProblem(
            "signature",
            "The session token's signature does not match: it was changed, "
            "or it was made by another Verselight installation.",
        )
    try:
        payload = _json_object(signing_input.split(".", 1)[1])
    except ValueError:
        raise _damaged() from None
    claims = _claims(payload)
    if int(now.timestamp()) >= claims.exp:
        day = datetime.fromtimestamp(claims.exp, UTC).date().isoformat()
        raise TokenProblem("expired", f"The session token expired on {day} (UTC).")
    return claims


def _header_alg(token: str) -> object:
    try:
        header = _json_object(token.split(".", 1)[0])
    except ValueError:
        raise _damaged() from None
    return header.get("alg")


def _dumps(value: dict[str, Any], sort_keys: bool = False) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=sort_keys).encode()


def _sign(signing_input: str, secret: bytes) -> bytes:
    return hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()


def _segment(data: bytes) -> str:
    """base64url without padding, as JWTs are written."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unsegment(text: str) -> bytes:
    """The bytes of a base64url segment; ValueError for anything else."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


def _json_object(text: str) -> dict[str, Any]:
    """A segment holding a JSON object; ValueError for anything else."""
    try:
        value = json.loads(_unsegment(text))  # its decoding errors are ValueErrors
    except RecursionError:  # "[[[[..." thousands deep
        raise ValueError("nested too deeply") from None
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _claims(payload: dict[str, Any]) -> Claims:
    sid, iat, exp = payload.get("sid"), payload.get("iat"), payload.get("exp")
    if not (_whole(iat) and _whole(exp)):
        raise TokenProblem(
            "claims", "The session token lacks the issue and expiry times every token carries."
        )
    if not is_sid(sid):
        raise TokenProblem("claims", "The session token does not name a valid session.")
    assert isinstance(sid, str) and isinstance(iat, int) and isinstance(exp, int)
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
