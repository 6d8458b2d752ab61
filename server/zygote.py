"""The server's side of the readers' template (``cli.reader_zygote``): start it, ask it for a
reader on a terminal, and hear when each reader ends.

If the template cannot start or dies, readers are started as fresh processes instead
(``ReaderProcess.start``): slower, never unavailable.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import sys
from collections.abc import Mapping
from typing import Any

READY_S = 60.0
MAX_MESSAGE = 64 * 1024


class ZygoteGone(Exception):
    """The template is not running: start the reader the slow way."""


class Zygote:
    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self._sock: socket.socket | None = None
        self._ids = itertools.count(1)
        self._answers: dict[int, asyncio.Future[int]] = {}
        self.exits: dict[int, asyncio.Future[int]] = {}
        """A future per reader pid, resolved with its exit status."""
        self._ready: asyncio.Future[None] | None = None

    async def start(self, env: Mapping[str, str]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        try:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "cli.reader_zygote", str(theirs.fileno()),
                stdin=asyncio.subprocess.DEVNULL, pass_fds=(theirs.fileno(),), env=dict(env),
                start_new_session=True,
            )  # fmt: skip
        finally:
            theirs.close()
        ours.setblocking(False)
        self._sock = ours
        loop.add_reader(ours.fileno(), self._readable)
        await asyncio.wait_for(self._ready, READY_S)

    @property
    def running(self) -> bool:
        return (
            self._sock is not None and self.process is not None and self.process.returncode is None
        )

    def _readable(self) -> None:
        assert self._sock is not None
        try:
            data = self._sock.recv(MAX_MESSAGE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._gone()
            return
        message: dict[str, Any] = json.loads(data)
        if "ready" in message and self._ready is not None and not self._ready.done():
            self._ready.set_result(None)
        elif "exited" in message:
            future = self.exits.setdefault(int(message["exited"]), _future())
            if not future.done():
                future.set_result(int(message["status"]))
        elif "id" in message:
            answer = self._answers.pop(int(message["id"]), None)
            if answer is not None and not answer.done():
                if "pid" in message:
                    answer.set_result(int(message["pid"]))
                else:
                    answer.set_exception(ZygoteGone(str(message.get("error"))))

    def _gone(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
        for answer in self._answers.values():
            if not answer.done():
                answer.set_exception(ZygoteGone("the readers' template ended"))
        self._answers.clear()
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(ZygoteGone("the readers' template did not start"))

    async def fork(self, slave: int, ready: int, token: str, env: Mapping[str, str]) -> int:
        """A reader on the terminal ``slave`` that writes to ``ready`` once painted (the
        caller keeps and closes its copies)."""
        if not self.running or self._sock is None:
            raise ZygoteGone("the readers' template is not running")
        request_id = next(self._ids)
        answer: asyncio.Future[int] = _future()
        self._answers[request_id] = answer
        message = json.dumps({"id": request_id, "token": token, "env": dict(env)}).encode()
        try:
            socket.send_fds(self._sock, [message], [slave, ready])
        except OSError as exc:
            self._answers.pop(request_id, None)
            raise ZygoteGone(str(exc)) from None
        pid = await asyncio.wait_for(answer, READY_S)
        self.exits.setdefault(pid, _future())
        return pid

    async def close(self, grace_s: float) -> None:
        """Close the socket (the template then waits for its readers and ends)."""
        self._gone()
        if self.process is not None and self.process.returncode is None:
            try:
                await asyncio.wait_for(self.process.wait(), grace_s + 6.0)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()


def _future() -> asyncio.Future[int]:
    return asyncio.get_running_loop().create_future()
