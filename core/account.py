"""This terminal's anonymous session and its credits, as the front ends see them.

Opening the account never stops the reader: if the ledger or the secret cannot be used, the
app runs for free browsing without billing and says why in one sentence (``notice``), and
nothing already stored is touched.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from core.billing.early_check import wait_for_ledger_check
from core.billing.ledger import (
    Balance,
    Entry,
    Ledger,
    LedgerDamaged,
    LedgerError,
    reading,
)
from core.clock import Clock, utc_now
from core.config import Config
from core.sessions.tiers import Tier, tier_of
from storage import ledger as db


@dataclass(frozen=True, slots=True)
class AccountState:
    session_id: str
    tier: Tier
    balance: Balance
    is_admin: bool

    @property
    def short_id(self) -> str:
        return self.session_id[:8]


class Account:
    """The current session's view of the ledger. One per process (or thread)."""

    def __init__(self, config: Config, ledger: Ledger, session_id: str) -> None:
        self.config = config
        self.ledger = ledger
        self.session_id = session_id
        self._seen_version = ledger.data_version()

    def state(self) -> AccountState:
        with reading(self.ledger.conn):
            row = db.get_session(self.ledger.conn, self.session_id)
        if row is None:  # the ledger was replaced under us; show an empty account
            return AccountState(self.session_id, Tier.FREE, Balance(0, 0), False)
        balance = Balance(row.balance, row.held)
        return AccountState(
            self.session_id, tier_of(row.is_admin, row.balance), balance, row.is_admin
        )

    def changed_elsewhere(self) -> bool:
        """True once after another process (or connection) committed to the ledger."""
        version = self.ledger.data_version()
        if version != self._seen_version:
            self._seen_version = version
            return True
        return False

    def history(self, limit: int = 500) -> list[Entry]:
        return self.ledger.history(self.session_id, limit)

    def open_holds(self) -> list[db.HoldRow]:
        return self.ledger.open_holds(self.session_id)

    def close(self) -> None:
        self.ledger.close()


def damaged_notice(exc: LedgerDamaged) -> str:
    """One sentence: the ledger is damaged, nothing writes to it, reading goes on."""
    return (
        f"The credit ledger at {exc.path} is damaged ({exc.detail}) and is left untouched, "
        "so credits are unavailable and reading works as usual."
    )


@dataclass(frozen=True, slots=True)
class Opened:
    account: Account | None
    notices: list[str]


def open_account(config: Config, clock: Clock = utc_now) -> Opened:
    """Open the ledger and resume this terminal's session (or start one).

    Stale holds left by a crashed process are released here, at start.
    """
    from core.sessions.manager import resume
    from core.sessions.secret import SecretError

    wait_for_ledger_check(config)
    notices: list[str] = []
    try:
        ledger = Ledger.for_config(config, clock)
    except LedgerDamaged as exc:
        return Opened(None, [damaged_notice(exc)])
    except LedgerError as exc:
        return Opened(None, [f"{exc} Credits are unavailable; reading works as usual."])
    try:
        released = ledger.release_stale_holds()
        resumed = resume(config, ledger, clock)
    except (LedgerError, SecretError, OSError) as exc:
        ledger.close()
        reason = (
            str(exc)
            if not isinstance(exc, OSError)
            else f"a file could not be written ({exc.strerror})."
        )
        return Opened(None, [f"Credits are unavailable: {reason} Reading works as usual."])
    except sqlite3.Error as exc:  # a locked, read-only or full database
        ledger.close()
        if db.is_damage(exc):
            return Opened(None, [damaged_notice(LedgerDamaged(config.paths.ledger_db, str(exc)))])
        return Opened(None, [f"Credits are unavailable ({exc}). Reading works as usual."])
    if resumed.notice:
        notices.append(resumed.notice)
    if released:
        notices.append(
            f"{released} credit hold(s) left by an interrupted generation were released."
        )
    return Opened(Account(config, ledger, resumed.session_id), notices)
