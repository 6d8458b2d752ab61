"""The host's view of its visitors: sessions by key, reader slots, the rate limit, and the one
line per coming and going (connections are named by fingerprint prefix and address, never by
token or key material)."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.billing.ledger import Ledger
from core.config import Config
from core.sessions.served import Handoff, guest_session, issue_handoff, session_for_key
from server.rate_limit import RateLimit
from server.reader_process import ReaderProcess
from server.settings import ServeSettings
from server.start_gate import StartGate
from server.zygote import Zygote

DROPPED_ENV = ("COLUMNS", "LINES", "SSH_AUTH_SOCK", "SSH_CLIENT", "SSH_CONNECTION", "SSH_TTY")


@dataclass(frozen=True, slots=True)
class Visitor:
    address: str
    fingerprint: str | None
    """The key's SHA256 fingerprint; None for a keyless (guest) connection."""
    username: str

    @property
    def name(self) -> str:
        who = f"key {self.fingerprint[:19]}" if self.fingerprint else "guest"
        return f"{who} from {self.address}"


@dataclass(eq=False)
class Host:
    config: Config
    settings: ServeSettings
    admin_fingerprints: frozenset[str] = frozenset()
    readers: set[ReaderProcess] = field(default_factory=set)
    zygote: Zygote | None = None
    """The readers' template, when it started (readers fork from it)."""
    _reserved: int = 0
    _ledger_lock: threading.Lock = field(default_factory=threading.Lock)
    _ledger: Ledger | None = None

    def __post_init__(self) -> None:
        self.rate = RateLimit(self.settings.per_address_per_minute)
        self.gate = StartGate(self.settings.max_starting)

    def say(self, text: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        print(f"{stamp} {text}", flush=True)

    # reader slots -------------------------------------------------------------------------

    def reserve_reader(self) -> bool:
        """Take one of ``max_sessions`` slots; False when the host is full."""
        if len(self.readers) + self._reserved >= self.settings.max_sessions:
            return False
        self._reserved += 1
        return True

    def release_reservation(self) -> None:
        self._reserved -= 1

    # sessions -----------------------------------------------------------------------------

    async def handoff_for(self, visitor: Visitor) -> str:
        """The signed token that hands the visitor's session to their reader process."""
        return await asyncio.to_thread(self._handoff_for, visitor)

    def _handoff_for(self, visitor: Visitor) -> str:
        with self._ledger_lock:
            if self._ledger is None:
                self._ledger = Ledger.for_config(self.config)
            if visitor.fingerprint is None:
                sid = guest_session(self._ledger)
            else:
                sid = session_for_key(self.config, self._ledger, visitor.fingerprint)
        may_admin = (
            visitor.username == "admin"
            and visitor.fingerprint is not None
            and visitor.fingerprint in self.admin_fingerprints
        )
        handoff = Handoff(sid, guest=visitor.fingerprint is None, may_admin=may_admin)
        return issue_handoff(self.config, handoff)

    def child_env(self, term: str | None) -> Mapping[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
        env["TERM"] = term or "xterm-256color"
        env.setdefault("LANG", "C.UTF-8")
        return env

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None
