"""Sessions of visitors served over SSH (DESIGN.md section 11): the key is the identity.

A visitor's public key fingerprint maps to one anonymous session by a keyed hash
(HMAC-SHA256 with this installation's session secret), so the same key always finds the same
session and nothing about the key is stored at all: not the key, not even the fingerprint.
A visitor without a key gets a guest session of its own, for that connection only.

The server hands each reader process its session as a short-lived signed token through an
inherited pipe (never argv, never a file): ``issue_handoff`` and ``read_handoff``. The token
says which session, and whether the visitor may be asked for the admin password; the reader
process cannot choose or switch.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import sqlite3
from dataclasses import dataclass
from datetime import timedelta

from core.billing.ledger import Ledger
from core.clock import Clock, utc_now
from core.config import Config
from core.sessions.secret import load_secret
from core.sessions.tokens import TokenProblem, audience_claims, new_sid, read, sign
from storage import ledger as db

HANDOFF_TTL = timedelta(seconds=60)
"""A reader process reads its token at once; a minute covers a start on a loaded host."""
AUDIENCE = "verselight-serve"
"""Marks a hand-off token: a terminal's session token is never taken for one, nor the reverse
(terminal tokens carry no audience, and ``read_handoff`` insists on this one)."""


@dataclass(frozen=True, slots=True)
class Handoff:
    session_id: str
    guest: bool
    """A session for this connection only: buying says so first."""
    may_admin: bool
    """The visitor connected as ``admin`` with a key listed in ``admin_keys``: the reader asks
    for the admin password before anything else. The password is still required."""


def session_for_key(
    config: Config, ledger: Ledger, fingerprint: str, clock: Clock = utc_now
) -> str:
    """The session of the key with this fingerprint, created on its first visit."""
    digest = hmac.new(load_secret(config), f"ssh-key:{fingerprint}".encode(), hashlib.sha256)
    sid = digest.hexdigest()[:32]
    _ensure(ledger, sid, clock)
    return sid


def guest_session(ledger: Ledger, clock: Clock = utc_now) -> str:
    """A fresh session for one keyless connection."""
    sid = new_sid()
    _ensure(ledger, sid, clock)
    return sid


def _ensure(ledger: Ledger, sid: str, clock: Clock) -> None:
    now = clock()
    if db.get_session(ledger.conn, sid) is not None:
        db.touch_session(ledger.conn, sid, now)
        return
    with contextlib.suppress(sqlite3.IntegrityError):  # the same key twice at once: made there
        db.create_session(ledger.conn, sid, now)


def issue_handoff(config: Config, handoff: Handoff, clock: Clock = utc_now) -> str:
    iat = int(clock().timestamp())
    claims = {
        "sid": handoff.session_id,
        "iat": iat,
        "exp": iat + int(HANDOFF_TTL.total_seconds()),
        "aud": AUDIENCE,
        "guest": handoff.guest,
        "admin": handoff.may_admin,
    }
    return sign(claims, load_secret(config))


def read_handoff(config: Config, token: str, clock: Clock = utc_now) -> Handoff:
    """The hand-off the server signed, or ``TokenProblem`` (a sentence)."""
    secret = load_secret(config)
    claims = read(token, secret, clock())  # signature, algorithm, times, session id
    payload = audience_claims(token, secret, AUDIENCE)
    guest, admin = payload.get("guest"), payload.get("admin")
    if not (isinstance(guest, bool) and isinstance(admin, bool)):
        raise TokenProblem("claims", "This is not a session handed over by the server.")
    return Handoff(claims.sid, guest, admin)
