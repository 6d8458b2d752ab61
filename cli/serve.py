"""``verselight serve``: the reader for the public over SSH (the ``server`` package)."""

from __future__ import annotations

import argparse
from typing import TypeVar

from cli.commands import SERVE_COMMAND
from cli.errors import CliError
from core.config import Config

P = TypeVar("P", bound=argparse.ArgumentParser)


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is 0-65535")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_parser(sub: argparse._SubParsersAction[P]) -> None:
    from server.settings import ServeSettings, default_max_sessions, default_max_starting

    defaults = ServeSettings()
    most = default_max_sessions()
    s = sub.add_parser(
        SERVE_COMMAND,
        help="serve the reader to visitors over SSH (one session per SSH key)",
        description="Serve the reader over SSH: `ssh -p PORT HOST` opens it in the visitor's "
        "terminal. Any key is accepted and keeps its own credits and place; a visitor without "
        "a key is a guest for that connection. Ends cleanly on SIGTERM or Ctrl+C.",
    )
    s.add_argument("--host", default=defaults.host, help="address to listen on (%(default)s)")
    s.add_argument("--port", type=_port, default=defaults.port, help="port (%(default)s)")
    s.add_argument(
        "--max-sessions",
        type=_positive,
        default=most,
        metavar="N",
        help=f"readers at once (default {most}: half this machine's memory at about "
        "80 MB each); more are told politely to come back later",
    )
    starting = default_max_starting()
    s.add_argument(
        "--max-starting",
        type=_positive,
        default=starting,
        metavar="N",
        help=f"readers starting at once (default {starting}: one per core); visitors "
        "arriving together wait their turn for a moment instead of all waiting long",
    )
    s.add_argument(
        "--idle-timeout",
        type=float,
        default=defaults.idle_timeout_s / 60,
        metavar="MINUTES",
        help="close a reader after this long without input (%(default)g; 0: never)",
    )
    s.add_argument(
        "--rate-limit",
        type=_positive,
        default=defaults.per_address_per_minute,
        metavar="N",
        help="new connections one address may open per minute (%(default)s)",
    )


def run(config: Config, args: argparse.Namespace) -> int:
    from core.serving.host_key import HostKeyError
    from server.serve import ServeError, serve
    from server.settings import ServeSettings

    if args.idle_timeout < 0:
        raise CliError("--idle-timeout must be 0 (never) or more minutes.", 2)
    settings = ServeSettings(
        host=args.host,
        port=args.port,
        max_sessions=args.max_sessions,
        per_address_per_minute=args.rate_limit,
        idle_timeout_s=args.idle_timeout * 60,
        max_starting=args.max_starting,
    )
    from cli.services import progress_printer

    try:
        return serve(config, settings, progress_printer("Importing the KJV Bible (first run)"))
    except (HostKeyError, ServeError) as exc:
        raise CliError(str(exc), 1) from None
