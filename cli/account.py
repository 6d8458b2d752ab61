"""``verselight session``, ``ledger`` and ``admin``: the credit side of the command line.

Like the Bible commands these never import Textual. They print no secret and no token: a
session is shown by the first eight characters of its id.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from cli.errors import EXIT_USAGE, CliError
from cli.services import open_for_command
from core.printable import printable

P = TypeVar("P", bound=argparse.ArgumentParser)
"""The command line's own parser class (its subparsers are of that class too)."""

if TYPE_CHECKING:  # the account side loads only when one of its commands runs
    from core.account import Account
    from core.config import Config

MAX_GRANT = 1_000_000
"""The most credits one grant may give ($10,000 at a cent a credit): a typo guard."""
OPERATOR_RULE = (
    "Grant and unlock need the operator: they go ahead when VERSELIGHT_ADMIN_PASSWORD is set "
    "or when you can write the config file that holds admin_password_hash (whoever can "
    "change the admin password could do this anyway); otherwise they ask for the admin "
    "password (read from stdin when it is not a terminal)."
)
MAX_LIMIT = 1_000_000
"""The most ledger or audit lines one command prints (SQLite's LIMIT is a 64-bit integer)."""


def add_parser(sub: argparse._SubParsersAction[P]) -> None:
    s = sub.add_parser("session", help="show, export or import this terminal's session")
    ssub = s.add_subparsers(dest="action", metavar="ACTION", required=True)
    ssub.add_parser("show", help="session id, tier and credits")
    e = ssub.add_parser("export", help="write this session to a file, to use it elsewhere")
    e.add_argument("file", type=Path)
    i = ssub.add_parser(
        "import",
        help="use a session exported from another terminal",
        description="Make the exported session in FILE this terminal's session. If this "
        "terminal's own session holds credits, the import is refused (they would be stranded) "
        "unless --replace is given.",
    )
    i.add_argument("file", type=Path)
    i.add_argument(
        "--replace",
        action="store_true",
        help="replace a session that holds credits: it is first saved to a private backup "
        "file in the state dir (the path is printed), then the import goes ahead",
    )

    led = sub.add_parser("ledger", help="this session's credit history; --verify checks all")
    led.add_argument("--verify", action="store_true", help="check every ledger invariant")
    led.add_argument("--audit", action="store_true", help="print the admin audit log")
    led.add_argument("--limit", type=int, default=100, metavar="N")

    sub.add_parser("doctor", help="check the library, the ledger, Lightning and the prices")

    a = sub.add_parser(
        "admin",
        help="admin set-up and operator tasks",
        description=OPERATOR_RULE,
    )
    asub = a.add_subparsers(dest="action", metavar="ACTION", required=True)
    asub.add_parser("hash", help="make an admin_password_hash for the config file")
    g = asub.add_parser(
        "grant",
        help="give a session credits (a 'grant' ledger entry, audited)",
        description="Give SESSION CREDITS credits as one 'grant' entry in the ledger, written "
        "to the audit log. " + OPERATOR_RULE,
    )
    g.add_argument(
        "session",
        metavar="SESSION",
        help="a session id, or its first 8 or more characters as `session show` prints them",
    )
    g.add_argument("credits", metavar="CREDITS", help=f"a whole number from 1 to {MAX_GRANT:,}")
    g.add_argument("--note", default="", metavar="TEXT", help="why (kept with the entry)")
    asub.add_parser(
        "unlock",
        help="clear the admin login lockout (audited)",
        description="Clear the admin login lockout and its doubling, written to the audit log. "
        + OPERATOR_RULE,
    )


def run(config: Config, args: argparse.Namespace) -> int:
    from core.billing.ledger import LedgerError

    try:
        return _run(config, args)
    except LedgerError as exc:  # e.g. a damaged page met while reading
        raise CliError(str(exc)) from exc


def _run(config: Config, args: argparse.Namespace) -> int:
    if args.command == "admin":
        if args.action == "hash":
            return _admin_hash()
        return _operator(config, args)
    if args.command == "doctor":
        return _doctor(config)
    if args.command == "ledger" and args.verify:
        return _verify(config)
    if args.command == "ledger" and not 1 <= args.limit <= MAX_LIMIT:
        raise CliError(f"--limit must be a whole number from 1 to {MAX_LIMIT:,}.", EXIT_USAGE)
    services = open_for_command(config, credits=True, gallery=False, first_run_import=False)
    try:
        account = services.account
        if account is None:
            raise CliError("The credit ledger cannot be used right now.")
        if args.command == "session":
            return _session(config, account, args)
        if args.audit:
            return _audit(account, args.limit)
        return _history(account, args.limit)
    finally:
        services.close()


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
        imported = import_session(
            config,
            account.ledger,
            args.file,
            account.ledger.clock,
            current=account.session_id,
            replace=args.replace,
        )
    except SessionError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    except OSError as exc:
        raise CliError(f"{printable(args.file)}: {exc.strerror}.", EXIT_USAGE) from exc
    if imported.backup is not None:
        print(
            f"The replaced session {account.session_id[:8]} was saved to {imported.backup} "
            "(readable only by you); `verselight session import` that file to use it again."
        )
    print(f"This terminal now uses session {imported.session_id[:8]}.")
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
        ledger = Ledger.for_config(config)
    except LedgerError as exc:
        raise CliError(str(exc)) from exc
    try:
        results = ledger.verify()
    except LedgerError as exc:
        raise CliError(str(exc)) from exc
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
            raise CliError("The two passwords differ; nothing was made.", EXIT_USAGE)
    else:
        first = sys.stdin.readline().rstrip("\n")
    if len(first) < 8:
        raise CliError("Use an admin password of at least 8 characters.", EXIT_USAGE)
    try:
        encoded = hash_password(first)
    except AdminError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    print(encoded)
    print(
        'Put this line in the config file as: admin_password_hash = "<the line above>"',
        file=sys.stderr,
    )
    return 0


def _operator(config: Config, args: argparse.Namespace) -> int:
    """``admin grant`` and ``admin unlock``: authorised, then one audited transaction."""
    from core.admin.operator import WrongPassword, authorise, grant, refused, unlock
    from core.admin.passwords import AdminError
    from core.billing.ledger import BillingError, Ledger

    credits = _credits(args.credits) if args.action == "grant" else 0
    try:
        how = authorise(config, _ask_password)
    except WrongPassword as exc:
        ledger = Ledger.for_config(config)
        try:
            refused(ledger, args.action)
        finally:
            ledger.close()
        raise CliError(str(exc)) from exc
    except AdminError as exc:
        raise CliError(str(exc)) from exc
    ledger = Ledger.for_config(config)
    try:
        if args.action == "unlock":
            print(unlock(ledger, config, how))
        else:
            print(grant(ledger, args.session, credits, args.note, how))
    except (AdminError, BillingError) as exc:
        raise CliError(str(exc)) from exc
    finally:
        ledger.close()
    return 0


def _credits(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 9 or not 1 <= int(text) <= MAX_GRANT:
        raise CliError(f"CREDITS must be a whole number from 1 to {MAX_GRANT:,}.", EXIT_USAGE)
    return int(text)


def _ask_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Admin password: ")
    return sys.stdin.readline().rstrip("\n")
