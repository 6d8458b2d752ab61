"""What the operator does from the machine itself: ``verselight admin grant`` and ``unlock``.

Who counts as the operator: whoever could change the admin password anyway. That is the
holder of ``VERSELIGHT_ADMIN_PASSWORD`` (the environment is the configuration), or anyone who
can write the config file that holds ``admin_password_hash`` (they could put in a hash of
their own). Anyone else must type the admin password. Asking the real operator for a password
they could replace would add nothing, while an operator who forgot it can still clear a lock.
These commands are never reachable by a visitor over SSH: the server starts only the reader.

Each command is one transaction that also writes its audit entry, so a grant without its
audit line (or the other way round) cannot exist.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from typing import Literal

from core.admin import audit
from core.admin.gate import AdminGate
from core.admin.passwords import AdminError, Verifier
from core.billing.ledger import Ledger, UnknownSession
from core.config import Config
from storage import ledger as db

Authority = Literal["environment", "config file", "password"]
MAX_NOTE_CHARS = 200
_PREFIX = re.compile(r"[0-9a-f]{8,32}")


class WrongPassword(AdminError):
    def __init__(self) -> None:
        super().__init__("That is not the admin password; nothing was changed.")


def authorise(config: Config, ask: Callable[[], str]) -> Authority:
    """How the caller proves to be the operator, asking for the password only when needed.

    Raises ``AdminNotConfigured`` when there is no admin password at all, ``WrongPassword``
    when the one typed does not match."""
    verifier = Verifier.from_config(config)
    if config.admin_password:
        return "environment"
    if os.access(config.paths.config_file, os.R_OK | os.W_OK):
        return "config file"
    if not verifier.check(ask()):
        raise WrongPassword()
    return "password"


def refused(ledger: Ledger, command: str) -> None:
    """Audit a wrong password given to an operator command."""
    audit.record(ledger, "admin_operator_refused", None, command=command)


def find_session(ledger: Ledger, prefix: str) -> str:
    """The one session whose id starts with ``prefix`` (8 or more hex digits, as shown)."""
    wanted = prefix.strip().lower()
    if not _PREFIX.fullmatch(wanted):
        raise AdminError(
            "SESSION must be a session id or its first 8 or more characters, as "
            "`verselight session show` prints them."
        )
    found = db.sessions_with_prefix(ledger.conn, wanted, limit=2)
    if not found:
        raise UnknownSession(wanted)
    if len(found) > 1:
        raise AdminError(f"More than one session starts with {wanted}; give more characters.")
    return found[0]


def clean_note(note: str) -> str:
    """The note without control characters (it is printed by ``ledger``), at most 200 chars."""
    kept = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in note)
    return " ".join(kept.split())[:MAX_NOTE_CHARS]


def grant(ledger: Ledger, prefix: str, credits: int, note: str, how: Authority) -> str:
    """Give ``credits`` to a session: one ``grant`` entry and its audit line, one transaction.

    Returns a sentence for the operator."""
    if credits < 1:
        raise ValueError("a grant must be positive")
    note = clean_note(note)
    conn = ledger.conn
    with db.transaction(conn):
        sid = find_session(ledger, prefix)
        now = ledger.clock()
        entry = db.insert_entry(conn, sid, "grant", credits, now, note=note or "operator grant")
        audit.write(
            conn,
            now,
            "admin_grant",
            sid,
            {"credits": credits, "entry": entry, "note": note, "by": how},
        )
        row = db.get_session(conn, sid)
    assert row is not None
    return (
        f"Granted {credits} credits to session {sid[:8]}; its balance is now {row.balance} "
        f"({row.balance - row.held} available)."
    )


def unlock(ledger: Ledger, config: Config, how: Authority) -> str:
    """Clear the admin lockout (audited). Returns a sentence for the operator."""
    before = AdminGate(ledger, Verifier.from_config(config)).unlock(how=how)
    now = ledger.clock()
    if before.locked_until is not None and before.locked_until > now:
        return (
            f"Admin login is unlocked (it was locked until {before.locked_until:%Y-%m-%d %H:%M} "
            "UTC) and the next lock starts again at 1 h."
        )
    return "Admin login was not locked; its failure count and lock doubling were reset."
