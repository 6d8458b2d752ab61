"""Launch to the first painted reader in a real terminal, side by side with bible-tui 0.7.1.

Target: ours at most 3x bible-tui's time in the same run (the aim is 2x).

Each launch runs the real console script on its own pseudo-terminal of 100x32 cells (the
child owns it as its controlling terminal, ``TERM=xterm-256color``). This process plays the
terminal: it feeds everything the child writes to a ``pyte`` screen and answers what a
terminal answers (pyte replies to Device Attributes, as xterm and tmux do; queries it does
not know, such as the Kitty graphics query, get no answer, as in most terminals). The
clock runs from just before the child is spawned until Genesis 1:1's words ("In the
beginning God created") are on the emulated screen; then the child is ended.

- ours: ``.venv/bin/verselight`` with no arguments in a temporary ``VERSELIGHT_HOME`` that
  already holds KJV (returning reader: the welcome was seen, nothing else is configured;
  no Lightning node, no image provider), bytecode cached (``_common``, "pyc cached").
- bible-tui 0.7.1 (a curses reader, Python standard library only): ``bible-tui KJV`` in a
  temporary ``BIBLE_TUI_HOME``, from its own virtual environment made by this script with
  ``uv venv`` + ``uv pip install --compile-bytecode bible-tui==0.7.1`` under
  ``~/.cache/verselight-bench/`` (kept between runs; it is never part of the project's
  environment, and the tests do not need it). Same interpreter as ours. Its update check
  runs in a background thread and finds no network here; it does not delay the first paint.

Both are warmed by one untimed launch, then launched alternately (ours, theirs) ``RUNS``
times, so a busy machine slows both alike; the medians and their ratio are printed. A bare
Textual app (``textual_floor.py``: one line of text) is launched in turn with them, for the
share of a first paint that is Textual's own.
Needs ``uv`` on PATH and PyPI reachable the first time (for bible-tui); says so otherwise.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

import pyte
from _common import CACHE, PYTHON, ROOT, Row, child_env, median, ms, report, temp_home

RUNS = 7
SIZE = (100, 32)
EXPECT = "In the beginning God created"
BIBLE_TUI = "bible-tui==0.7.1"


class _Terminal(pyte.Screen):
    """A pyte screen that sends its replies (Device Attributes) back to the child."""

    def __init__(self, columns: int, lines: int, master: int) -> None:
        super().__init__(columns, lines)
        self.master = master

    def write_process_input(self, data: str) -> None:
        with contextlib.suppress(OSError):  # the child is gone
            os.write(self.master, data.encode())


def _own_terminal(slave: int) -> None:
    """In the child: a new session whose controlling terminal is the pty (as a real one is)."""
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)


def first_paint(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float = 30.0) -> float:
    """Seconds from spawning ``cmd`` on a fresh pty until ``EXPECT`` is on its screen."""
    columns, lines = SIZE
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    screen = _Terminal(columns, lines, master)
    stream = pyte.ByteStream(screen)
    env = {**env, "TERM": "xterm-256color", "COLORTERM": "truecolor", "LINES": "", "COLUMNS": ""}
    env = {k: v for k, v in env.items() if v}
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
        preexec_fn=lambda: _own_terminal(slave),  # no threads in this process
    )
    os.close(slave)
    painted: float | None = None
    try:
        deadline = start + timeout
        while painted is None and time.perf_counter() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            stream.feed(data)
            if any(EXPECT in line for line in screen.display):
                painted = time.perf_counter()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        os.close(master)
    if painted is None:
        shown = "\n".join(line.rstrip() for line in screen.display).strip()
        raise RuntimeError(f"{cmd[0]} never showed {EXPECT!r}; the screen:\n{shown}")
    return painted - start


def bible_tui_command() -> list[str]:
    """``bible-tui`` from its own venv under the cache folder, made on first use."""
    venv = CACHE / "bible-tui-0.7.1"
    script = venv / "bin" / "bible-tui"
    if script.exists():
        return [str(script)]
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("bible-tui is not installed and uv is not on PATH to install it.")
    CACHE.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([uv, "venv", "-q", "--python", PYTHON, str(venv)], check=True)
        subprocess.run(
            [uv, "pip", "install", "-q", "--compile-bytecode", "--python",
             str(venv / "bin" / "python"), BIBLE_TUI],
            check=True,
        )  # fmt: skip
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(venv, ignore_errors=True)
        raise RuntimeError(f"Could not install {BIBLE_TUI} into {venv} ({exc}).") from exc
    return [str(script)]


def run() -> list[Row]:
    theirs_cmd = [*bible_tui_command(), "KJV"]
    ours_cmd = [str(Path(PYTHON).with_name("verselight"))]
    floor_cmd = [PYTHON, str(ROOT / "benchmarks" / "textual_floor.py")]
    ours, theirs, floor = [], [], []
    with temp_home() as home, tempfile.TemporaryDirectory(prefix="bible-tui-home-") as bt_home:
        ours_env = child_env(home, pyc=True)
        theirs_env = {**child_env(home, pyc=True), "BIBLE_TUI_HOME": bt_home}
        theirs_env.pop("PYTHONPYCACHEPREFIX", None)  # its venv holds its own bytecode
        first_paint(ours_cmd, ours_env, ROOT)  # untimed: fills the bytecode cache
        first_paint(theirs_cmd, theirs_env, Path(bt_home))
        first_paint(floor_cmd, ours_env, ROOT)
        for _ in range(RUNS):
            ours.append(first_paint(ours_cmd, ours_env, ROOT))
            theirs.append(first_paint(theirs_cmd, theirs_env, Path(bt_home)))
            floor.append(first_paint(floor_cmd, ours_env, ROOT))
    ratio = median(ours) / median(theirs)
    return [
        Row(
            f"verselight launch -> reader painted, {SIZE[0]}x{SIZE[1]} (median of {RUNS})",
            ms(median(ours)),
            "ms",
        ),
        Row("bible-tui 0.7.1 launch -> painted, same run", ms(median(theirs)), "ms"),
        Row("ratio verselight / bible-tui (aim 2x)", ratio, "x", 3.0),
        Row("(a bare Textual app, one line of text, same run)", ms(median(floor)), "ms"),
        Row("(its ratio to bible-tui: Textual's own share)", median(floor) / median(theirs), "x"),
    ]


if __name__ == "__main__":
    try:
        rows = run()
    except RuntimeError as exc:
        print(f"bench_first_paint: {exc}", file=sys.stderr)
        sys.exit(1)
    report("11. Launch to first painted reader in a terminal, against bible-tui", rows)
