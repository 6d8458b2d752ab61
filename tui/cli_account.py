"""``verselight session``, ``ledger`` and ``admin``: the credit side of the command line.

Like the Bible commands these never import Textual. They print no secret and no token: a
session is shown by the first eight characters of its id.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.printable import printable

if TYPE_CHECKING:  # the account side loads only when one of its commands runs
    from core.account import Account
    from core.config import Config

ACCOUNT_COMMANDS = ("session", "ledger", "admin", "doctor")
MAX_LIMIT = 1_000_000
"""The most ledger or audit lines one command prints (SQLite's LIMIT is a 64-bit integer)."""


class AccountFail(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("session", help="show, export or import this terminal's session")
    ssub = s.add_subparsers(dest="action", metavar="ACTION", required=True)
    ssub.add_parser("show", help="session id, tier and credits")
    e = ssub.add_parser("export", help="write this session to a file, to use it elsewhere")
    e.add_argument("file", type=Path)
    i = ssub.add_parser("import", help="use a session exported from another terminal")
    i.add_argument("file", type=Path)

    led = sub.add_parser("ledger", help="this session's credit history; --verify checks all")
    led.add_argument("--verify", action="store_true", help="check every ledger invariant")
    led.add_argument("--audit", action="store_true", help="print the admin audit log")
    led.add_argument("--limit", type=int, default=100, metavar="N")

    sub.add_parser("doctor", help="check the library, the ledger, Lightning and the prices")

    a = sub.add_parser("admin", help="admin mode set-up")
    asub = a.add_subparsers(dest="action", metavar="ACTION", required=True)
    asub.add_parser("hash", help="make an admin_password_hash for the config file")


def run(config: Config, args: argparse.Namespace) -> int:
    if args.command == "admin":
        return _admin_hash()
    if args.command == "doctor":
        return _doctor(config)
    if args.command == "ledger" and args.verify:
        return _verify(config)
    if args.command == "ledger" and not 1 <= args.limit <= MAX_LIMIT:
        raise AccountFail(f"--limit must be a whole number from 1 to {MAX_LIMIT:,}.", 2)
    account = _account(config)
    try:
        if args.command == "session":
            return _session(config, account, args)
        if args.audit:
            return _audit(account, args.limit)
        return _history(account, args.limit)
    finally:
        account.close()


def _account(config: Config) -> Account:
    from core.account import open_account

    opened = open_account(config)
    for notice in opened.notices:
        print(printable(notice), file=sys.stderr)
    if opened.account is None:
        raise AccountFail("The credit ledger cannot be used right now.")
    return opened.account


def _session(config: Config, account: Account, args: argparse.Namespace) -> int:
    from core.sessions.manager import export_session, import_session
    from core.sessions.tokens import SessionError

    if args.action == "show":
        state = account.state()
        print(f"session   {state.short_id}")
        print(f"tier      {state.tier.name.lower()}")
        print(f"balance   {state.balance.balance} credits")
        print(f"held      {state.balance.held} credits")
        print(f"available {state.balance.available} credits")
        return 0
    try:
        if args.action == "export":
            export_session(config, args.file)
            print(
                f"Wrote this session to {printable(args.file)} (readable only by you). Anyone with the "
                "file can spend its credits: keep it private."
            )
            return 0
        sid = import_session(config, account.ledger, args.file, account.ledger.clock)
    except SessionError as exc:
        raise AccountFail(str(exc), 2) from exc
    except OSError as exc:
        raise AccountFail(f"{printable(args.file)}: {exc.strerror}.", 2) from exc
    print(f"This terminal now uses session {sid[:8]}.")
    return 0


def _history(account: Account, limit: int) -> int:
    state = account.state()
    print(
        f"Session {state.short_id} ({state.tier.name.lower()}): balance {state.balance.balance}, "
        f"held {state.balance.held}, available {state.balance.available}"
    )
    entries = account.history(limit)
    if not entries:
        print("No entries yet.")
    for e in entries:
        detail = e.note or e.payment_hash or e.image_id or ""
        print(f"{e.at:%Y-%m-%d %H:%M:%S}  {e.kind:<8} {e.amount:>+6}  {detail}")
    for h in account.open_holds():
        print(f"{h.created_at[:19].replace('T', ' ')}  held     {h.amount:>6}  {h.purpose}")
    return 0


def _audit(account: Account, limit: int) -> int:
    from core.admin.audit import entries, format_audit

    lines = format_audit(entries(account.ledger, limit))
    print("\n".join(lines) if lines else "The audit log is empty.")
    return 0


def _verify(config: Config) -> int:
    """Check the whole database without creating a session (a read-only look)."""
    from core.billing.ledger import Ledger, LedgerError

    try:
        ledger = Ledger.open(config.paths.ledger_db, config.limits)
    except LedgerError as exc:
        raise AccountFail(str(exc)) from exc
    try:
        results = ledger.verify()
    finally:
        ledger.close()
    broken = 0
    for name, problems in results:
        print(f"{'ok ' if not problems else 'BAD'}  {name}")
        for p in problems:
            print(f"       {p}")
        broken += len(problems)
    if broken:
        print(f"{broken} problem(s) found.", file=sys.stderr)
        return 1
    print("All ledger invariants hold.")
    return 0


def _doctor(config: Config) -> int:
    """One line a check; exit 1 when buying cannot work (reading may still be fine)."""
    from core.doctor import examine

    blocking = 0
    for finding in examine(config):
        mark = "ok  " if finding.ok else "FAIL"
        print(printable(f"{mark} {finding.area:<16} {finding.text}"))
        blocking += not finding.ok and finding.needed_for_buying
    if blocking:
        print("Buying credits cannot work until the FAIL lines above are fixed.", file=sys.stderr)
        return 1
    print("Everything needed to read and to sell credits works.")
    return 0


def _admin_hash() -> int:
    from core.admin.passwords import AdminError, hash_password

    if sys.stdin.isatty():
        first = getpass.getpass("New admin password: ")
        if first != getpass.getpass("Again: "):
            raise AccountFail("The two passwords differ; nothing was made.", 2)
    else:
        first = sys.stdin.readline().rstrip("\n")
    if len(first) < 8:
        raise AccountFail("Use an admin password of at least 8 characters.", 2)
    try:
        encoded = hash_password(first)
    except AdminError as exc:
        raise AccountFail(str(exc), 2) from exc
    print(encoded)
    print(
        'Put this line in the config file as: admin_password_hash = "<the line above>"',
        file=sys.stderr,
    )
    return 0
