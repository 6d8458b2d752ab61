"""The SSH side: who may come in, and what each channel gets (a reader, an answer, or a no).

Any public key is accepted and its fingerprint is the identity; a client without a key gets
in by keyboard-interactive with no prompts, as a guest. The ``none`` method is refused, or
clients that have keys would never present them.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Mapping
from signal import SIGHUP

import asyncssh

from server import exec_request
from server.reader_process import ReaderProcess
from server.visitors import Host, Visitor

FULL = "Verselight is full right now, try again in a few minutes.\r\n"
NO_TERMINAL = (
    "verselight: the reader needs a terminal (ssh -t); without one, run "
    '`read "John 3:16"` or `search WORDS`.\n'
)
IDLE_CHECK_S = 30.0


class VisitorServer(asyncssh.SSHServer):
    def __init__(self, host: Host) -> None:
        self.host = host
        self.conn: asyncssh.SSHServerConnection | None = None
        self.address = "?"
        self.username = ""
        self.fingerprint: str | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername")
        self.address = str(peer[0]) if peer else "?"
        if not self.host.rate.allow(self.address):
            self.host.say(f"refused {self.address}: too many connections this minute")
            conn.close()

    def connection_lost(self, exc: Exception | None) -> None:
        pass

    def begin_auth(self, username: str) -> bool:
        self.username = username
        return True  # authentication required: "none" is refused

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        # Called for the key's offer and again for its signed proof, just before asyncssh
        # checks the signature: when public-key authentication succeeds, this key is it.
        self.fingerprint = key.get_fingerprint("sha256")
        return True

    def kbdint_auth_supported(self) -> bool:
        return True

    def get_kbdint_challenge(self, username: str, lang: str, submethods: str) -> bool:
        self.fingerprint = None  # a key offered earlier but never proven counts for nothing
        return True  # in at once, no prompts: a guest

    def password_auth_supported(self) -> bool:
        return False

    def session_requested(self) -> asyncssh.SSHServerSession[bytes]:
        visitor = Visitor(self.address, self.fingerprint, self.username)
        return VisitorSession(self.host, visitor)


class VisitorSession(asyncssh.SSHServerSession[bytes]):
    def __init__(self, host: Host, visitor: Visitor) -> None:
        self.host = host
        self.visitor = visitor
        self.chan: asyncssh.SSHServerChannel[bytes] | None = None
        self.term: str | None = None
        self.size = (80, 24, 0, 0)
        self.has_pty = False
        self.command: str | None = None
        self.reader: ReaderProcess | None = None
        self.task: asyncio.Task[None] | None = None
        self.exec_process: asyncio.subprocess.Process | None = None

    def connection_made(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int],
                      term_modes: Mapping[int, int]) -> bool:  # fmt: skip
        self.has_pty = True
        self.term = term_type
        if term_size[0] and term_size[1]:
            self.size = term_size
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self.command = command
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        return False  # no sftp, no scp: nothing is ever written by a visitor

    def session_started(self) -> None:
        self.task = asyncio.ensure_future(self._run())

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        if self.reader is not None:
            self.reader.write(data)

    def terminal_size_changed(self, width: int, height: int, pixwidth: int,
                              pixheight: int) -> None:  # fmt: skip
        self.size = (width, height, pixwidth, pixheight)
        if self.reader is not None and width and height:
            self.reader.resize(width, height, pixwidth, pixheight)

    def eof_received(self) -> bool:
        return True  # the visitor's input ended (ssh -n, a pipe): our answer still goes out

    def break_received(self, msec: int) -> bool:
        return False

    def signal_received(self, signal: str) -> None:
        pass  # a visitor does not signal our processes

    def connection_lost(self, exc: Exception | None) -> None:
        if self.reader is not None and self.reader.returncode is None:
            self.reader.signal(SIGHUP)  # the reader saves and quits
        elif self.reader is None and self.has_pty and self.task is not None:
            self.task.cancel()  # gone while waiting for its turn to start: none is started
        if self.exec_process is not None and self.exec_process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.exec_process.kill()

    # -------------------------------------------------------------------------------------

    async def _run(self) -> None:
        chan = self.chan
        assert chan is not None
        try:
            if self.command is not None:
                await self._exec(chan, self.command)
            elif not self.has_pty:
                chan.write_stderr(NO_TERMINAL.encode())
                chan.exit(2)
            else:
                await self._reader(chan)
        except (asyncssh.Error, BrokenPipeError, ConnectionError):
            pass
        except Exception as exc:  # one visitor's trouble never takes the host down
            self.host.say(f"error {self.visitor.name}: {exc.__class__.__name__}: {exc}")
            with contextlib.suppress(Exception):
                chan.write_stderr(b"verselight: something went wrong on the server, sorry.\r\n")
                chan.exit(1)

    async def _reader(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:
        host = self.host
        if not host.reserve_reader():
            host.say(f"full {self.visitor.name}")
            chan.write(FULL.encode())
            chan.exit(1)
            return
        try:
            token = await host.handoff_for(self.visitor)
            done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

            def exited(status: int) -> None:
                if not done.done():
                    done.set_result(status)

            def output(data: bytes) -> None:
                with contextlib.suppress(BrokenPipeError, asyncssh.Error):
                    chan.write(data)  # after the visitor left, the reader's last bytes go nowhere

            asked = asyncio.get_running_loop().time()
            reader = await host.gate.start(
                lambda: ReaderProcess.start(
                    token, host.child_env(self.term), self.size, output, exited, host.zygote
                )
            )
        finally:
            host.release_reservation()
        self.reader = reader
        host.readers.add(reader)
        host.say(f"reader {self.visitor.name} pid {reader.pid} ({len(host.readers)} reading)")
        reader.ready.add_done_callback(lambda _: self._painted(reader, asked))
        idle = asyncio.ensure_future(self._idle_watch(reader))
        try:
            status = await done
        finally:
            idle.cancel()
            host.readers.discard(reader)
        host.say(f"left {self.visitor.name} ({len(host.readers)} reading)")
        with contextlib.suppress(Exception):
            if reader.idle_closed:
                chan.write(b"\r\nClosed after a long time without input. Come back any time.\r\n")
            chan.exit(status)

    def _painted(self, reader: ReaderProcess, asked: float) -> None:
        if reader.returncode is None:
            took = asyncio.get_running_loop().time() - asked
            self.host.say(f"painted {self.visitor.name} in {took:.2f} s")

    async def _idle_watch(self, reader: ReaderProcess) -> None:
        limit = self.host.settings.idle_timeout_s
        if limit <= 0:
            return
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(IDLE_CHECK_S, limit))
            if loop.time() - reader.last_input >= limit:
                reader.idle_closed = True
                await reader.stop(self.host.settings.shutdown_grace_s)
                return

    async def _exec(self, chan: asyncssh.SSHServerChannel[bytes], command: str) -> None:
        try:
            words = exec_request.parse(command)
        except exec_request.Refused as refused:
            self.host.say(f"refused command from {self.visitor.name}")
            chan.write_stderr(f"{refused}\n".encode())
            chan.exit(2)
            return
        self.host.say(f"{words[0]} {self.visitor.name}")
        env = dict(self.host.child_env(None))
        env.pop("TERM", None)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cli", *words,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=env, start_new_session=True,
        )  # fmt: skip
        self.exec_process = process
        assert process.stdout is not None and process.stderr is not None

        async def pump(stream: asyncio.StreamReader, write: object) -> None:
            while chunk := await stream.read(65536):
                write(chunk)  # type: ignore[operator]

        await asyncio.gather(
            pump(process.stdout, chan.write), pump(process.stderr, chan.write_stderr)
        )
        status = await process.wait()
        chan.exit(status if status >= 0 else 128 - status)
