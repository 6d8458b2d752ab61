"""A real ``verselight serve`` in a child process, as an operator runs it, for the serve tests.

Its output is read by a thread from the start (a full pipe would stall the server), kept, and
waited on line by line: ``wait_line`` wakes on each new line, never on time alone.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

START_S = 60.0
_LISTENING = re.compile(r"serving on \S+ port (\d+)")


class ServerProcess:
    def __init__(self, env: Mapping[str, str], *args: str) -> None:
        self.env = dict(env)
        self.args = list(args)
        self.lines: list[str] = []
        self._new_line = threading.Condition()
        self.process: subprocess.Popen[str] | None = None
        self.port = 0

    def start(self) -> ServerProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", "0", *self.args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env=self.env, start_new_session=True,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()
        line = self.wait_line("serving on", START_S)
        match = _LISTENING.search(line)
        assert match, line
        self.port = int(match.group(1))
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            with self._new_line:
                self.lines.append(line.rstrip("\n"))
                self._new_line.notify_all()
        with self._new_line:
            self.lines.append("<exited>")
            self._new_line.notify_all()

    def wait_line(self, wanted: str, timeout: float = 20.0, start: int = 0) -> str:
        """The first line (from index ``start``) containing ``wanted``."""
        deadline = time.monotonic() + timeout
        with self._new_line:
            while True:
                for line in self.lines[start:]:
                    if wanted in line:
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or "<exited>" in self.lines:
                    raise AssertionError(f"{wanted!r} never logged; the log:\n" + self.log())
                self._new_line.wait(left)

    async def line(self, wanted: str, timeout: float = 20.0) -> str:
        """``wait_line`` for async tests: the event loop (and the test's SSH clients) keep
        running while the server's log is waited on."""
        return await asyncio.to_thread(self.wait_line, wanted, timeout)

    def log(self) -> str:
        with self._new_line:
            return "\n".join(self.lines)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise

    def children(self) -> list[int]:
        """Every process still in the server's process tree (readers, commands)."""
        assert self.process is not None
        return descendants(self.process.pid)


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    parents = {pid}
    for _ in range(4):
        more = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid in parents and int(entry.name) not in found:
                more.append(int(entry.name))
        if not more:
            break
        found += more
        parents = set(more)
    return found
