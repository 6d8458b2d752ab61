"""Target 2: ``verselight read "John 3:16"`` takes at most 200 ms as a whole process, warm.

The library (KJV) is put in a temporary ``VERSELIGHT_HOME`` once; the real console script
``.venv/bin/verselight`` is then run as a subprocess (stdout a pipe, as in a script), 3 times
to warm the OS caches (and the bytecode cache) and 20 times timed. Each time is the wall time
from just before the process is spawned until it has exited, measured in this process with
``time.perf_counter``. Both bytecode modes are measured (see ``_common``); the target is
checked in each. A bare ``python -c pass`` is timed the same way to show the interpreter's
own share.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from _common import MODES, PYTHON, ROOT, Row, child_env, median, ms, p95, report, temp_home

WARMUP, RUNS = 3, 20
SCRIPT = Path(PYTHON).with_name("verselight")


def timed(cmd: list[str], env: dict[str, str], expect: str = "") -> float:
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=True, text=True)
    elapsed = time.perf_counter() - start
    assert expect in out.stdout, out.stdout
    return elapsed


def run() -> list[Row]:
    cmd = [str(SCRIPT)] if SCRIPT.exists() else [PYTHON, "-m", "tui.cli"]
    cmd += ["read", "John 3:16"]
    expect = "For God so loved the world"
    rows = []
    with temp_home() as home:
        for mode, pyc in MODES.items():
            env = child_env(home, pyc)
            for _ in range(WARMUP):
                timed(cmd, env, expect)
            times = [timed(cmd, env, expect) for _ in range(RUNS)]
            rows += [
                Row(f"[{mode}] read John 3:16, median of {RUNS}", ms(median(times)), "ms", 200.0),
                Row(f"[{mode}] read John 3:16, p95 of {RUNS}", ms(p95(times)), "ms"),
            ]
        bare = [timed([PYTHON, "-c", "pass"], child_env(home)) for _ in range(10)]
    rows.append(Row("bare interpreter start (python -c pass), median", ms(median(bare)), "ms"))
    return rows


if __name__ == "__main__":
    report('2. verselight read "John 3:16" (whole process, warm)', run())
