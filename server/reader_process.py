"""One visitor's reader process on its own pseudo-terminal, and the bytes between it and SSH.

The child becomes a session leader (``start_new_session``) and takes the terminal as its
controlling terminal itself (``cli.served_reader``), so a window change on the master
(``TIOCSWINSZ``) reaches it as SIGWINCH; asyncssh's ``redirect`` forwards no window changes,
so the bytes are pumped here. The visitor's input is held until the app has taken the
terminal (it hides the cursor when it does): before that the terminal still echoes, and a
mouse report or a terminal's reply would be printed back as garbage. The reader says on a
pipe of its own when its first whole frame is painted (``ready``): the server's start gate
lets the next reader begin then.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import struct
import sys
import termios
from collections.abc import Callable, Mapping

from server.zygote import Zygote, ZygoteGone

TOOK_TERMINAL = (b"\x1b[?25l", b"\x1b[?1049h")
"""What Textual writes once the terminal is its own (hide cursor, alternate screen)."""
READ_CHUNK = 65536
MAX_HELD_INPUT = 64 * 1024


def set_size(fd: int, cols: int, rows: int, width_px: int = 0, height_px: int = 0) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, width_px, height_px))


class ReaderProcess:
    def __init__(
        self,
        pid: int,
        exited: asyncio.Future[int],
        master: int,
        ready_pipe: int,
        on_output: Callable[[bytes], None],
        on_exit: Callable[[int], None],
    ) -> None:
        self._pid = pid
        self.exited = exited
        """Resolved with the reader's exit status."""
        self.master = master
        self._on_output = on_output
        self._on_exit = on_exit
        self._loop = asyncio.get_running_loop()
        self._took_terminal = False
        self._tail = b""
        self._held = bytearray()
        self._pending = bytearray()
        self._closed = False
        self.idle_closed = False
        """Set when the host ended the reader for want of input (the visitor is told)."""
        self.last_input = self._loop.time()
        self._hung_up = self._loop.create_future()
        self.ready: asyncio.Future[None] = self._loop.create_future()
        """Resolved once the reader has painted its first whole frame, or has ended."""
        self._ready_pipe: int | None = ready_pipe
        os.set_blocking(master, False)
        self._loop.add_reader(master, self._readable)
        self._loop.add_reader(ready_pipe, self._heard_ready)
        self._waiter = asyncio.ensure_future(self._wait())

    @classmethod
    async def start(
        cls,
        handoff_token: str,
        env: Mapping[str, str],
        size: tuple[int, int, int, int],
        on_output: Callable[[bytes], None],
        on_exit: Callable[[int], None],
        zygote: Zygote | None = None,
    ) -> ReaderProcess:
        """A reader forked from the template (``zygote``, fast) or, without one, a fresh
        process (``python -m cli.served_reader``)."""
        master, slave = os.openpty()
        ready_read, ready_write = os.pipe()
        try:
            set_size(master, *size)
            attrs = termios.tcgetattr(slave)
            attrs[1] &= ~termios.ONLCR  # the reader draws with its own line endings
            termios.tcsetattr(slave, termios.TCSANOW, attrs)
            started: tuple[int, asyncio.Future[int]] | None = None
            if zygote is not None and zygote.running:
                with contextlib.suppress(ZygoteGone):  # then started the slow way below
                    pid = await zygote.fork(slave, ready_write, handoff_token, env)
                    started = pid, zygote.exits[pid]
            if started is None:
                started = await _fresh_process(slave, ready_write, handoff_token, env)
            return cls(*started, master, ready_read, on_output, on_exit)
        except BaseException:
            os.close(master)
            os.close(ready_read)
            raise
        finally:
            os.close(slave)
            os.close(ready_write)

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def returncode(self) -> int | None:
        return self.exited.result() if self.exited.done() else None

    # from the reader to the visitor -------------------------------------------------------

    def _readable(self) -> None:
        try:
            data = os.read(self.master, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:  # EIO: every holder of the terminal's other end has gone
            data = b""
        if not data:
            self._loop.remove_reader(self.master)
            if not self._hung_up.done():
                self._hung_up.set_result(None)
            return
        if not self._took_terminal:
            seen = self._tail + data
            if any(mark in seen for mark in TOOK_TERMINAL):
                self._took_terminal = True
                self.last_input = self._loop.time()  # idle is counted from the first frame
                held, self._held = bytes(self._held), bytearray()
                if held:
                    self.write(held)
            self._tail = seen[-16:]
        self._on_output(data)

    def _heard_ready(self) -> None:
        # One byte, or the end of the pipe (the reader ended before painting): either way
        # it no longer holds a place in the start gate.
        self._close_ready_pipe()
        if not self.ready.done():
            self.ready.set_result(None)

    def _close_ready_pipe(self) -> None:
        if self._ready_pipe is not None:
            self._loop.remove_reader(self._ready_pipe)
            os.close(self._ready_pipe)
            self._ready_pipe = None

    # from the visitor to the reader -------------------------------------------------------

    def write(self, data: bytes) -> None:
        self.last_input = self._loop.time()
        if self._closed:
            return
        if not self._took_terminal:
            if len(self._held) + len(data) <= MAX_HELD_INPUT:
                self._held += data
            return
        if self._pending:
            self._pending += data
            return
        self._send(data)

    def _send(self, data: bytes) -> None:
        try:
            sent = os.write(self.master, data)
        except BlockingIOError:
            sent = 0
        except OSError:
            return
        if sent < len(data):
            self._pending += data[sent:]
            self._loop.add_writer(self.master, self._writable)

    def _writable(self) -> None:
        data, self._pending = bytes(self._pending), bytearray()
        self._loop.remove_writer(self.master)
        self._send(data)

    def resize(self, cols: int, rows: int, width_px: int = 0, height_px: int = 0) -> None:
        if not self._closed:
            with contextlib.suppress(OSError):
                set_size(self.master, cols, rows, width_px, height_px)

    # ending -------------------------------------------------------------------------------

    async def _wait(self) -> None:
        # The exit status comes from whoever is the reader's parent; if that is the template
        # and it died, the terminal's end (every holder gone) still tells the reader ended.
        await asyncio.wait([self.exited, self._hung_up], return_when=asyncio.FIRST_COMPLETED)
        if not self.exited.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.exited), 1.0)
        status = self.exited.result() if self.exited.done() else 0
        await asyncio.sleep(0)  # let the last output be read first
        with contextlib.suppress(OSError):
            while data := os.read(self.master, READ_CHUNK):
                self._on_output(data)
        self._close_master()
        self._on_exit(status if status >= 0 else 128 - status)

    def _close_master(self) -> None:
        self._heard_ready()
        if not self._closed:
            self._closed = True
            self._loop.remove_reader(self.master)
            self._loop.remove_writer(self.master)
            os.close(self.master)

    def signal(self, signum: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._pid, signum)

    async def stop(self, grace_s: float) -> None:
        """Ask the reader to quit (it saves the place and releases holds), then make sure."""
        if self.returncode is None:
            self.signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.shield(self._waiter), grace_s)
            except TimeoutError:
                self.signal(signal.SIGKILL)
        await self._waiter

    async def wait(self) -> None:
        await self._waiter


async def _fresh_process(
    slave: int, ready: int, handoff_token: str, env: Mapping[str, str]
) -> tuple[int, asyncio.Future[int]]:
    token_read, token_write = os.pipe()
    os.write(token_write, handoff_token.encode("ascii"))  # far below a pipe's buffer
    os.close(token_write)
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cli.served_reader", str(token_read), str(ready),
            stdin=slave, stdout=slave, stderr=slave,
            start_new_session=True, pass_fds=(token_read, ready), env=dict(env),
        )  # fmt: skip
    finally:
        os.close(token_read)
    exited: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def wait() -> None:
        exited.set_result(await process.wait())

    task = asyncio.ensure_future(wait())
    _waiting.add(task)
    task.add_done_callback(_waiting.discard)
    return process.pid, exited


_waiting: set[asyncio.Future[None]] = set()
"""The tasks waiting for fresh processes (the loop keeps only weak references)."""
