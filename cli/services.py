"""The services a command needs, opened the way the app opens them (``core.services``), with
what the command does not need switched off, notices on stderr and the first-run import shown
as progress on stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.printable import printable

if TYPE_CHECKING:
    from core.config import Config
    from core.services import Services


def progress_printer(label: str, *, done_when_piped: bool = True) -> Callable[[int, int], None]:
    """A progress callback that redraws one stderr line when stderr is a terminal; piped, it
    says "done." once at the end, or nothing at all without ``done_when_piped``."""
    tty = sys.stderr.isatty()
    shown = -1

    def report(done: int, total: int) -> None:
        nonlocal shown
        pct = min(100, done * 100 // max(total, 1))
        if pct == shown:
            return
        shown = pct
        if tty:
            end = "\n" if pct >= 100 else ""
            print(f"\r{label} {pct:3d}%", end=end, file=sys.stderr, flush=True)
        elif pct >= 100 and done_when_piped:
            print(f"{label} done.", file=sys.stderr)

    return report


def open_for_command(
    config: Config, *, credits: bool, gallery: bool, first_run_import: bool = True
) -> Services:
    """Open the library (importing the King James Version on first run, unless the command
    reads no verse) and, when asked, the account and the gallery. Raises ``LibraryError``
    when the library cannot be used."""
    from core.services import ServiceOptions, open_services

    services = open_services(config, options=ServiceOptions(credits=credits, gallery=gallery))
    for notice in services.notices:
        print(printable(notice), file=sys.stderr)
    library = services.ctx.library
    if first_run_import and library.needs_first_run_import():
        try:
            library.import_default(
                progress_printer("Setting up the King James Version (first run only)...")
            )
        except BaseException:
            services.close()
            raise
    return services
