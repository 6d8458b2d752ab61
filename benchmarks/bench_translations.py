"""Targets: ``verselight translations available`` from the cached list takes at most 100 ms,
and ``verselight translations install WEB`` from a local repository at most 5 s.

The repository is the one the tests use (``tests/sword_repos.py``): Debian's World English
Bible module (``sword-text-web``) in CrossWire's InstallMgr layout, served by a real HTTP
server on 127.0.0.1 (port 0), beside a German copy, a locked Bible and a commentary.

``available``: a temporary ``VERSELIGHT_HOME`` (KJV in place) lists the repository once, which
fills the cache; then the real console script ``.venv/bin/verselight translations available``
runs as a subprocess (stdout a pipe) 3 times to warm and 15 times timed, with the cache fresh
so no request reaches the server (checked). The target is on the command's own time, from the
moment ``cli.main`` is loaded (which every command pays, ``read`` included, and which has its
own target there) to the end of the listing: opening the library, reading the cache, printing.
The child wraps ``cli.main.main`` with a clock (``-X importtime`` would disturb it). Loading
``cli.main``, the whole process with interpreter start, a bare ``python -c pass`` and the CPU
times (the machine may be busy) are shown for context.

``install``: each run is a fresh home and a fresh process running
``verselight translations install WEB``: fetch the list, download the six module files
(about 4.3 MB), verify every block, read and clean every verse, import them with the search
index, and move the module into place. Median of 3, wall time of the whole process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from _common import PYTHON, ROOT, Row, child_env, median, ms, report, temp_home

sys.path.insert(0, str(ROOT))

from tests.sword_repos import serve, web_repository

WARMUP, RUNS, INSTALLS = 3, 15, 3

TIMED_CHILD = """
import io, json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
from cli.main import main
ti, ci = time.perf_counter(), time.process_time()
out = io.StringIO()
real, sys.stdout = sys.stdout, out
try:
    code = main(["translations", "available"])
finally:
    sys.stdout = real
t1, c1 = time.perf_counter(), time.process_time()
assert code == 0 and "engWEB2015eb" in out.getvalue(), out.getvalue()
print(json.dumps({"in_process": t1 - t0, "cpu": c1 - c0, "command": t1 - ti, "command_cpu": c1 - ci}))
"""


def _available(url: str) -> list[Row]:
    with temp_home() as home:
        env = {**child_env(home), "VERSELIGHT_SWORD_REPOS": f"Bench={url}"}
        command = [str(ROOT / ".venv" / "bin" / "verselight"), "translations", "available"]
        first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        assert first.returncode == 0 and "engWEB2015eb" in first.stdout, first.stderr
        for _ in range(WARMUP):
            subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=True)
        walls, inside, cpu, own, own_cpu, bare = [], [], [], [], [], []
        for _ in range(RUNS):
            start = time.perf_counter()
            subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=True)
            walls.append(time.perf_counter() - start)
            out = subprocess.run(
                [PYTHON, "-c", TIMED_CHILD], cwd=ROOT, env=env, capture_output=True, check=True
            )
            figures = json.loads(out.stdout)
            inside.append(figures["in_process"])
            cpu.append(figures["cpu"])
            own.append(figures["command"])
            own_cpu.append(figures["command_cpu"])
            start = time.perf_counter()
            subprocess.run([PYTHON, "-c", "pass"], env=env, check=True)
            bare.append(time.perf_counter() - start)
    return [
        Row(
            f"available from the cached list: the command, once loaded (median of {RUNS})",
            ms(median(own)),
            "ms",
            100.0,
        ),
        Row(
            "  of which CPU time (the rest is waiting for a busy machine)",
            ms(median(own_cpu)),
            "ms",
        ),
        Row(
            "  in process with loading cli.main (shared by every command)", ms(median(inside)), "ms"
        ),
        Row("    of which CPU time", ms(median(cpu)), "ms"),
        Row("  whole command incl. interpreter start", ms(median(walls)), "ms"),
        Row("  bare python -c pass", ms(median(bare)), "ms"),
    ]


def _install(url: str) -> list[Row]:
    walls: list[float] = []
    cpu: list[float] = []
    verses = ""
    for _ in range(INSTALLS):
        with temp_home() as home:
            env = {**child_env(home), "VERSELIGHT_SWORD_REPOS": f"Bench={url}"}
            command = [str(ROOT / ".venv" / "bin" / "verselight"), "translations", "install", "WEB"]
            start = time.perf_counter()
            before = os.times()
            done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
            walls.append(time.perf_counter() - start)
            after = os.times()
            cpu.append(
                after.children_user
                - before.children_user
                + after.children_system
                - before.children_system
            )
            assert done.returncode == 0, done.stderr
            verses = done.stdout.strip()
    return [
        Row(
            f"install WEB from the local repository (median of {INSTALLS})",
            ms(median(walls)),
            "ms",
            5000.0,
        ),
        Row("  of which CPU time of the process", ms(median(cpu)), "ms"),
        Row(f"  ({verses})", 0.0, ""),
    ]


def run() -> list[Row]:
    for served in serve(web_repository(hostile=False)):
        rows = _available(served.url)
        asked = len(served.repo.requests)
        rows += _install(served.url)
        assert asked == 1, f"the cached list was not used ({asked} requests)"
    return rows


if __name__ == "__main__":
    report("13. SWORD repositories: list and install", run())
