"""One SSH visitor's reader: the process ``verselight serve`` starts on each connection's
pseudo-terminal (``python -m cli.served_reader FD``).

It takes the terminal as its controlling terminal (so window changes arrive as SIGWINCH),
reads the session the server signed for it from the inherited pipe ``FD`` (never argv, never
a file another connection could read), and runs the reader with everything a visitor must not
have switched off: no node stream of its own, no export to a path, no suspend, no admin
without the server's word (DESIGN.md section 11). A second pipe, ``READY_FD``, gets one byte
once the reader's first whole frame is painted: the server starts only a few readers at once
and lets the next one begin then (``server.start_gate``).
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import signal
import sys
import termios
import threading
from typing import TYPE_CHECKING

from core.config import ConfigError, load_config
from core.sessions.served import read_handoff
from core.sessions.tokens import TokenProblem

if TYPE_CHECKING:
    from tui.app import VerselightApp

MAX_HANDOFF_BYTES = 8192


def _take_terminal() -> None:
    """Make stdin's terminal this session's controlling terminal (the server started us as a
    session leader), and ignore job control: a visitor has no shell to go back to."""
    with contextlib.suppress(OSError):  # already ours, or not a terminal: resizes may not arrive
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    for name in ("SIGTSTP", "SIGTTIN", "SIGTTOU"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)


def _read_handoff_pipe(fd: int) -> str:
    chunks = []
    total = 0
    while total < MAX_HANDOFF_BYTES:
        chunk = os.read(fd, MAX_HANDOFF_BYTES - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    os.close(fd)
    return b"".join(chunks).decode("ascii", "replace")


def _quit_when_asked(app: VerselightApp) -> threading.Event:
    """Until the app installs its own handlers (on mount), SIGTERM and SIGHUP still end the
    reader cleanly: before the app runs, it exits as soon as it starts."""
    asked = threading.Event()

    def handler(signum: int, frame: object) -> None:
        asked.set()
        app.exit_requested = True  # read on mount

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, handler)
    return asked


def _say_ready(fd: int) -> None:
    """Tell the server the first frame is painted (closing the pipe says it too)."""
    with contextlib.suppress(OSError):
        os.write(fd, b"1")
    with contextlib.suppress(OSError):
        os.close(fd)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2) or not all(arg.isdigit() for arg in args):
        print("verselight: this is started by verselight serve, not by hand.", file=sys.stderr)
        return 2
    token = _read_handoff_pipe(int(args[0]))
    _take_terminal()
    return run(token, int(args[1]) if len(args) == 2 else None)


def run(token: str, ready_fd: int | None = None) -> int:
    """The reader for the session ``token`` hands over, on this process's terminal (stdin,
    stdout and stderr), which it already controls; ``ready_fd`` hears when it is painted."""
    try:
        config = load_config()
        handoff = read_handoff(config, token)
    except (ConfigError, TokenProblem) as exc:
        print(f"verselight: {exc}", file=sys.stderr)
        return 1
    from core.logs import setup_logging
    from core.services import ServiceOptions

    setup_logging(config.paths)
    options = ServiceOptions(
        watch_payments=False,
        allow_export=False,
        allow_install=False,  # a visitor never downloads modules onto the host
        session_id=handoff.session_id,
    )
    gc.disable()  # as the local reader does: the app turns it back on after the first frame
    from tui.app import make_app

    on_ready = None if ready_fd is None else (lambda: _say_ready(ready_fd))
    app = make_app(config, options=options, served=handoff, on_ready=on_ready)
    quit_early = _quit_when_asked(app)
    app.run()
    if quit_early.is_set() and app.return_code is None:
        return 0
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
