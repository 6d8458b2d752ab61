"""The ledger's integrity check, begun in a thread before the reader's first frame, and the
one rule it needs (whether this installation has had sessions).

It lives apart from ``core.account`` and ``core.billing.ledger`` so that starting it loads
only the database-opening code, not the ledger's row types and queries: the reader opens its
account just after the first frame, and imports that side then.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from core.config import Config
from storage.ledger_db import check_integrity

_early_checks: dict[Path, threading.Thread] = {}


def has_had_sessions(config: Config) -> bool:
    """A session token and its signing secret exist: this installation has had sessions, so
    its ledger cannot legitimately be empty (an empty one lost them)."""
    secret = config.session_secret is not None or config.paths.secret_file.exists()
    return secret and config.paths.token_file.exists()


def start_ledger_check(config: Config) -> None:
    """Begin the ledger's integrity check in a thread, before the reader's first frame.

    ``quick_check`` reads every page (30-55 ms for 100,000 entries; more on a busy
    machine) and SQLite releases the GIL while it works, so it overlaps with Textual's own
    start instead of holding up the app once it runs. ``open_account`` waits for it
    (``wait_for_ledger_check``); a pass is remembered, so its own check is then free. Any
    failure is left for ``open_account`` to meet again and report.
    """
    path = config.paths.ledger_db
    if path in _early_checks or not path.is_file():
        return
    empty_ok = not has_had_sessions(config)

    def check() -> None:
        with contextlib.suppress(Exception):
            check_integrity(path, empty_ok=empty_ok)

    thread = threading.Thread(target=check, name="ledger-check", daemon=True)
    _early_checks[path] = thread
    thread.start()


def wait_for_ledger_check(config: Config) -> None:
    """Until the check ``start_ledger_check`` began on this ledger (if any) has finished."""
    early = _early_checks.pop(config.paths.ledger_db, None)
    if early is not None:
        early.join()
