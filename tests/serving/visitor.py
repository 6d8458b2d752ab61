"""A visitor's SSH client for the serve tests: asyncssh with a PTY, and pyte as the terminal.

``Visitor.screen`` is what a person would see; ``wait_for`` waits on the bytes arriving (every
chunk wakes it), never on time alone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import asyncssh
import pyte
from pyte.screens import wcwidth  # the character width pyte itself draws with

WAIT_S = 20.0
T = TypeVar("T")


class Visitor:
    def __init__(self, cols: int = 80, rows: int = 24) -> None:
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.conn: asyncssh.SSHClientConnection | None = None
        self.chan: asyncssh.SSHClientChannel[bytes] | None = None
        self.raw = bytearray()
        self._shown: list[str] = []
        self._shown_size = (0, 0)
        self._changed = asyncio.Event()
        self.exit_status: int | None = None
        self.closed = asyncio.Event()

    @classmethod
    async def connect(
        cls,
        port: int,
        key: Path | None = None,
        *,
        username: str = "visitor",
        cols: int = 80,
        rows: int = 24,
        term: str = "xterm-256color",
    ) -> Visitor:
        visitor = cls(cols, rows)
        visitor.conn = await connect(port, key, username=username)
        visitor.chan, _ = await visitor.conn.create_session(
            lambda: _Session(visitor), term_type=term, term_size=(cols, rows), encoding=None
        )
        return visitor

    def received(self, data: bytes) -> None:
        self.raw += data
        self.stream.feed(data)
        self._changed.set()

    def lines(self) -> list[str]:
        """The screen's lines as pyte's ``display`` gives them, worked out again only for the
        lines pyte marked as changed. ``display`` renders every cell of the screen; asked at
        every chunk that arrives, it cost twenty visitors in one process more CPU than the
        readers they wait for (benchmarks/bench_serve.py runs them on the same cores)."""
        screen = self.screen
        size = (screen.lines, screen.columns)
        if size != self._shown_size:
            self._shown, self._shown_size = [""] * screen.lines, size
            changed: Iterable[int] = range(screen.lines)
        else:
            changed = screen.dirty
        for y in changed:
            if y < screen.lines:
                self._shown[y] = _line(screen, y)
        screen.dirty.clear()
        return list(self._shown)

    def text(self) -> str:
        return "\n".join(self.lines())

    def flat(self) -> str:
        """The screen's words in one line: sentences a dialog wrapped read whole again."""
        words = " ".join(line.strip(" │┃▎▊") for line in self.lines())
        return " ".join(words.split())

    async def wait_for(self, wanted: str, timeout: float = WAIT_S) -> str:
        """The screen once it shows ``wanted`` (AssertionError with the screen otherwise)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while wanted not in (shown := self.text()):
            left = deadline - loop.time()
            if left <= 0 or self.closed.is_set():
                raise AssertionError(f"{wanted!r} never showed; the screen:\n{shown}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)
        return shown

    async def wait_until(self, check: Callable[[], T | None], timeout: float = WAIT_S) -> T:
        """``check()``'s first answer that is not None, asked again at every screen change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (found := check()) is None:
            left = deadline - loop.time()
            if left <= 0 or self.closed.is_set():
                raise AssertionError(f"never came; the screen:\n{self.text()}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)
        return found

    async def wait_header(self, wanted: str, timeout: float = WAIT_S) -> str:
        """The screen once its first line (the reader's header) shows ``wanted``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while wanted not in self.lines()[0]:
            left = deadline - loop.time()
            if left <= 0 or self.closed.is_set():
                raise AssertionError(f"{wanted!r} never headed the screen:\n{self.text()}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)
        return self.text()

    async def wait_gone(self, unwanted: str, timeout: float = WAIT_S) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while unwanted in (shown := self.text()):
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"{unwanted!r} never went away; the screen:\n{shown}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)
        return shown

    def press(self, keys: str | bytes) -> None:
        assert self.chan is not None
        self.chan.write(keys.encode() if isinstance(keys, str) else keys)

    def resize(self, cols: int, rows: int) -> None:
        assert self.chan is not None
        self.screen.resize(rows, cols)
        self.chan.change_terminal_size(cols, rows)

    async def finished(self, timeout: float = WAIT_S) -> int | None:
        await asyncio.wait_for(self.closed.wait(), timeout)
        return self.exit_status

    async def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.conn.wait_closed(), 5)

    async def __aenter__(self) -> Visitor:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def _line(screen: pyte.Screen, y: int) -> str:
    """Line ``y`` as ``pyte.Screen.display`` renders it (a wide character's stub skipped)."""
    line = screen.buffer[y]
    cells = []
    wide = False
    for x in range(screen.columns):
        if wide:
            wide = False
            continue
        char = line[x].data
        wide = bool(char) and wcwidth(char[0]) == 2
        cells.append(char)
    return "".join(cells)


class _Session(asyncssh.SSHClientSession[bytes]):
    def __init__(self, visitor: Visitor) -> None:
        self.visitor = visitor

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        self.visitor.received(data)

    def exit_status_received(self, status: int) -> None:
        self.visitor.exit_status = status

    def connection_lost(self, exc: Exception | None) -> None:
        self.visitor.closed.set()
        self.visitor._changed.set()


class _KeylessClient(asyncssh.SSHClient):
    """Answers keyboard-interactive as OpenSSH does for a person at a terminal: each prompt
    would be asked; the server sends none."""

    def kbdint_auth_requested(self) -> str:
        return ""  # any submethod the server likes

    def kbdint_challenge_received(
        self, name: str, instructions: str, lang: str, prompts: object
    ) -> list[str]:
        assert not prompts, "a guest is never asked anything"
        return []


async def connect(
    port: int, key: Path | None = None, *, username: str = "visitor"
) -> asyncssh.SSHClientConnection:
    """A client connection: with ``key`` (a private key file) by public key, else keyless
    (keyboard-interactive with no prompts, as OpenSSH does when it has no key)."""
    keys = [asyncssh.read_private_key(key)] if key else []
    conn, _ = await asyncssh.create_connection(
        _KeylessClient, "127.0.0.1", port, username=username, known_hosts=None,
        client_keys=keys, agent_path=None, preferred_auth="publickey,keyboard-interactive",
    )  # fmt: skip
    return conn


def make_key(path: Path) -> Path:
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(path)
    return path
