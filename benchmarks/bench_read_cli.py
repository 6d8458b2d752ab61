"""Target 2: ``verselight read "John 3:16"`` takes at most 200 ms as a whole process, warm.

The library (KJV) is put in a temporary ``VERSELIGHT_HOME`` once; the real console script
``.venv/bin/verselight`` is then run as a subprocess (stdout a pipe, as in a script), 3 times
to warm the OS caches (and the bytecode cache) and 20 times timed. Each time is the wall time
from just before the process is spawned until it has exited, measured in this process with
``time.perf_counter``. Both bytecode modes are measured (see ``_common``); the target is
checked in each. A bare ``python -c pass`` is timed the same way to show the interpreter's
own share.

Side by side with diatheke (target: ours at most 1.0x its time): ``diatheke -b MODULE -k
"John 3:16"``, SWORD's command-line reader, from Debian's ``diatheke`` and ``sword-text-kjv``
packages (its KJV module is ``engKJV2006eb``; ``-b KJV`` prints nothing here, so the module is
found by its "King James" description). Both are warmed, then run alternately ``RUNS`` times
in the same loop ("pyc cached" for ours), so a busy machine slows both alike. diatheke is
not a project dependency and the tests never need it: when it is missing this script
installs it with apt-get if it runs as root, and otherwise prints what to install and shows
the figures without the comparison.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _common import MODES, PYTHON, ROOT, Row, child_env, median, ms, p95, report, temp_home

WARMUP, RUNS = 3, 20
EXPECT = "For God so loved the world"
SCRIPT = Path(PYTHON).with_name("verselight")


def timed(cmd: list[str], env: dict[str, str], expect: str = "") -> float:
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=True, text=True)
    elapsed = time.perf_counter() - start
    assert expect in out.stdout, out.stdout
    return elapsed


def diatheke_command() -> list[str] | None:
    """``diatheke -b MODULE -k "John 3:16"`` for the installed KJV module, or None (said why)."""
    if shutil.which("diatheke") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing diatheke and sword-text-kjv with apt-get...", file=sys.stderr)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "diatheke", "sword-text-kjv"],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            capture_output=True,
        )
    if shutil.which("diatheke") is None:
        print(
            "diatheke is missing: apt-get install diatheke sword-text-kjv (Debian) to compare.",
            file=sys.stderr,
        )
        return None
    listed = subprocess.run(
        ["diatheke", "-b", "system", "-k", "modulelist"], capture_output=True, text=True
    ).stdout
    names = [ln.split(" : ")[0] for ln in listed.splitlines() if "King James" in ln]
    if not names:
        print("diatheke has no King James module: apt-get install sword-text-kjv", file=sys.stderr)
        return None
    return ["diatheke", "-b", names[0].strip(), "-k", "John 3:16"]


def against_diatheke(cmd: list[str], env: dict[str, str]) -> list[Row]:
    theirs = diatheke_command()
    if theirs is None:
        return []
    for _ in range(WARMUP):
        timed(cmd, env, EXPECT)
        timed(theirs, env, "loved")
    ours, diatheke = [], []
    for _ in range(RUNS):
        ours.append(timed(cmd, env, EXPECT))
        diatheke.append(timed(theirs, env, "loved"))
    return [
        Row(f"read John 3:16 alternating with diatheke, median of {RUNS}", ms(median(ours)), "ms"),
        Row(f"{' '.join(theirs[:3])} -k ..., same loop", ms(median(diatheke)), "ms"),
        Row("ratio verselight read / diatheke", median(ours) / median(diatheke), "x", 1.0),
    ]


def run() -> list[Row]:
    cmd = [str(SCRIPT)] if SCRIPT.exists() else [PYTHON, "-m", "tui.cli"]
    cmd += ["read", "John 3:16"]
    expect = EXPECT
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
        rows += against_diatheke(cmd, child_env(home, pyc=True))
    return rows


if __name__ == "__main__":
    report('2. verselight read "John 3:16" (whole process, warm)', run())
