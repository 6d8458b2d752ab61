"""A real LNbits for the tests: the ``lnbits`` package (1.6.2) in its own virtual environment,
run with the FakeWallet funding source on 127.0.0.1 (an ephemeral port) and a temp data folder,
set up through its API (NOTES.md, "Node-less payments").

Nothing is installed here: the venv is found at ``VERSELIGHT_TEST_LNBITS`` or under
``~/.cache/verselight-lnbits/venv``, where ``.ci/run`` makes it (``uv venv --python 3.11`` and
``uv pip install lnbits==1.6.2 'bitstring<5'``). LNbits needs its ``static`` folder in the
working directory, so it is started from a folder holding a ``lnbits`` link to the package.

A buyer "pays" with an internal payment from a funded payer wallet: LNbits settles it at once.
Each test gets a shop wallet of its own (``new_wallet``), so one server serves the session.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ENV_VENV = "VERSELIGHT_TEST_LNBITS"
DEFAULT_VENV = Path.home() / ".cache" / "verselight-lnbits" / "venv"
START_TIMEOUT_S = 120.0
_RUNNING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


@dataclass(frozen=True)
class Wallet:
    id: str
    inkey: str = field(repr=False)
    adminkey: str = field(repr=False)


_GIVEN_VENV = os.environ.get(ENV_VENV)
"""Read when the tests load: every test runs with the VERSELIGHT_ settings cleared."""


def venv_path() -> Path:
    return Path(_GIVEN_VENV or DEFAULT_VENV)


class LnbitsServer:
    """One LNbits process; ``start()`` returns once it answers and is set up."""

    def __init__(self, folder: Path, venv: Path | None = None) -> None:
        self.folder = folder
        self.venv = venv or venv_path()
        self.url = ""
        self.payer: Wallet | None = None
        self._token = ""
        self._process: subprocess.Popen[str] | None = None
        self._log: deque[str] = deque(maxlen=200)

    def start(self) -> None:
        command = self.venv / "bin" / "lnbits"
        packages = sorted((self.venv / "lib").glob("python3*/site-packages/lnbits"))
        if not command.exists() or not packages:
            raise RuntimeError(
                f"No LNbits venv at {self.venv}: run .ci/run (or set {ENV_VENV}) to make it."
            )
        run = self.folder / "run"
        run.mkdir(parents=True, exist_ok=True)
        link = run / "lnbits"
        if not link.exists():
            link.symlink_to(packages[0], target_is_directory=True)
        data = self.folder / "data"
        data.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VERSELIGHT_", "LNBITS_"))}
        env.update(
            LNBITS_BACKEND_WALLET_CLASS="FakeWallet",
            LNBITS_DATA_FOLDER=str(data),
            LNBITS_ADMIN_UI="true",
            # Its default, 200 requests a minute per address, is less than the benchmark's
            # hundred purchases need on a quiet machine (every client here is 127.0.0.1).
            LNBITS_RATE_LIMIT_NO="100000",
            PYTHONUNBUFFERED="1",
        )
        self._process = subprocess.Popen(
            [str(command), "--host", "127.0.0.1", "--port", "0"],
            cwd=run,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        port = self._wait_for_port()
        self.url = f"http://127.0.0.1:{port}"
        try:
            self._set_up()
        except BaseException:
            self.stop()  # a server that could not be set up is not left running
            raise

    def _wait_for_port(self) -> int:
        assert self._process is not None and self._process.stdout is not None
        found = threading.Event()
        port: list[int] = []
        stdout = self._process.stdout

        def read() -> None:
            for line in stdout:
                self._log.append(line)
                match = _RUNNING.search(line)
                if match and not port:
                    port.append(int(match.group(1)))
                    found.set()
            found.set()

        threading.Thread(target=read, daemon=True, name="lnbits-log").start()
        if not found.wait(START_TIMEOUT_S) or not port:
            self.stop()
            raise RuntimeError("LNbits did not start:\n" + "".join(self._log))
        return port[0]

    def _set_up(self) -> None:
        credentials = {
            "username": "verselight",
            "password": "tests-only-1",
            "password_repeat": "tests-only-1",
        }
        with httpx.Client(base_url=self.url, timeout=30) as http:
            answer = http.put("/api/v1/auth/first_install", json=credentials)
            answer.raise_for_status()
            self._token = answer.json()["access_token"]
        self.payer = self.new_wallet("payer")
        self.fund(self.payer, 5_000_000)  # LNbits refuses more than 10M sats at once

    def new_wallet(self, name: str) -> Wallet:
        """A wallet of a new account (its own keys)."""
        with httpx.Client(base_url=self.url, timeout=30) as http:
            answer = http.post("/api/v1/account", json={"name": name})
            answer.raise_for_status()
            data = answer.json()
            # No fiat currency: offline, LNbits would try every exchange-rate source on each
            # invoice and payment first (about a second each time).
            answer = http.patch(
                "/api/v1/wallet", json={"currency": ""}, headers={"X-Api-Key": data["adminkey"]}
            )
            answer.raise_for_status()
        return Wallet(data["id"], data["inkey"], data["adminkey"])

    def fund(self, wallet: Wallet, sats: int) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            answer = http.put(
                "/users/api/v1/balance",
                json={"id": wallet.id, "amount": sats},
                headers={"Authorization": f"Bearer {self._token}"},
            )
            answer.raise_for_status()

    def pay(self, bolt11: str) -> None:
        """Pay an invoice from the payer wallet (an internal payment: settled at once)."""
        assert self.payer is not None
        with httpx.Client(base_url=self.url, timeout=30) as http:
            answer = http.post(
                "/api/v1/payments",
                json={"out": True, "bolt11": bolt11},
                headers={"X-Api-Key": self.payer.adminkey},
            )
            answer.raise_for_status()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def wait_until(condition: object, timeout_s: float, what: str) -> float:
    """Poll ``condition`` (a callable) every 20 ms; the seconds it took, or AssertionError."""
    assert callable(condition)
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if condition():
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
