"""The readers' template: one process that has loaded the reader once and forks a copy for
each SSH connection (``verselight serve`` starts it; ``python -m cli.reader_zygote FD``).

Loading Python, Textual and the reader takes most of a reader's start; twenty visitors
arriving at once on a small host would each pay it again. A fork of a process that already
holds it all starts in a fraction of the time and shares those pages with every other reader.
The template never runs an app, opens no file of the app's and starts no thread, so each fork
begins clean: it becomes a session leader, takes its connection's terminal as its controlling
terminal, and runs ``cli.served_reader.run`` with the session the server handed over.

The server talks to it over a ``SOCK_SEQPACKET`` socket pair, one message per request:
``{"id", "token", "env"}`` with the terminal's slave end and the write end of the reader's
ready pipe attached (``SCM_RIGHTS``; see ``cli.served_reader``); it answers
``{"id", "pid"}``, and ``{"exited", "status"}`` when a reader it forked ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import os
import select
import signal
import socket
import sys
import termios
from typing import Any

MAX_MESSAGE = 256 * 1024
DRAIN_S = 5.0


def _preload() -> None:
    """What every reader imports before its first frame (tests/test_layers.py lists what it
    must not: those stay out of the template too), and what it imports for its credit side
    just after it: each fork would otherwise import them again."""
    import logging.handlers  # noqa: F401

    import core.account
    import core.generation.gallery
    import core.logs
    import core.services
    import core.sessions.served
    import core.visits  # noqa: F401
    from tui.preload import load_reader

    load_reader()


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):
        sock.send(json.dumps(message).encode())


def _become_reader(
    sock: socket.socket, wake: tuple[int, int], fds: list[int], request: dict[str, Any]
) -> None:
    """In the fork: the connection's terminal, the visitor's environment, then the reader."""
    slave, ready = fds[0], (fds[1] if len(fds) > 1 else None)
    if ready is not None:
        os.set_inheritable(ready, False)  # nothing the reader might start holds it open
    code = 1
    try:
        sock.close()
        for fd in wake:
            os.close(fd)
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_DFL)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        if slave > 2:
            os.close(slave)
        for name in ("SIGTSTP", "SIGTTIN", "SIGTTOU"):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in request["env"].items()})
        gc.unfreeze()
        from cli.served_reader import run

        code = run(str(request["token"]), ready)
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _reap(sock: socket.socket, children: set[int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        _send(sock, {"exited": pid, "status": os.waitstatus_to_exitcode(status)})


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].isdigit():
        print("verselight: this is started by verselight serve, not by hand.", file=sys.stderr)
        return 2
    sock = socket.socket(fileno=int(args[0]))
    _preload()
    gc.collect()
    gc.freeze()  # what was loaded stays shared with every fork (no collector writes to it)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when the readers end
    children: set[int] = set()
    _send(sock, {"ready": os.getpid()})
    while True:
        try:
            readable, _, _ = select.select([sock.fileno(), wake_read], [], [])
        except InterruptedError:
            continue
        if wake_read in readable:
            with contextlib.suppress(BlockingIOError):
                os.read(wake_read, 4096)
            _reap(sock, children)
        if sock.fileno() not in readable:
            continue
        try:
            data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 2)
        except OSError:
            data, fds = b"", []
        if not data:  # the server is gone: wait for the readers it told to quit, then go
            break
        request = json.loads(data)
        if not fds:
            _send(sock, {"id": request.get("id"), "error": "no terminal attached"})
            continue
        pid = os.fork()
        if pid == 0:
            _become_reader(sock, (wake_read, wake_write), fds, request)
        for fd in fds:
            os.close(fd)
        children.add(pid)
        _send(sock, {"id": request["id"], "pid": pid})
    deadline_fds = [wake_read]
    while children:
        ready, _, _ = select.select(deadline_fds, [], [], DRAIN_S)
        if not ready:
            break
        with contextlib.suppress(BlockingIOError):
            os.read(wake_read, 4096)
        _reap(sock, children)
    return 0


if __name__ == "__main__":
    sys.exit(main())
