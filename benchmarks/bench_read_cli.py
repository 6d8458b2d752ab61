"""Target 2: ``verselight read "John 3:16"`` takes at most 200 ms as a whole process, warm.

The library (KJV) is put in a temporary ``VERSELIGHT_HOME`` once; the real console script
``.venv/bin/verselight`` is then run as a subprocess (stdout a pipe, as in a script), 3 times
to warm the OS caches (and the bytecode cache) and 20 times timed. Each time is the wall time
from just before the process is spawned until it has exited, measured in this process with
``time.perf_counter``. Both bytecode modes are measured (see ``_common``); the target is
checked in each. A bare ``python -c pass`` is timed the same way to show the interpreter's
own share.

Side by side with diatheke (target: ours at most 1.0x its time): ``diatheke -b engKJV2006eb
-k "John 3:16"``, SWORD's command-line reader, from Debian's ``diatheke`` package, reading
the KJV module of Debian's ``sword-text-kjv`` (``-b KJV`` prints nothing: the module is named
``engKJV2006eb``). Both are warmed, then run alternately ``RUNS`` times in the same loop
("pyc cached" for ours), so a busy machine slows both alike.

Neither is a project dependency and the tests never need them. When diatheke is missing this
script installs it (``apt-get install --no-install-recommends diatheke``, as root) or says
what to install. The KJV module is NOT installed into ``/usr/share/sword``, where a second
Bible would change what the SWORD import tests find: its package is downloaded with
``apt-get download`` and unpacked under ``~/.cache/verselight-bench/``, and diatheke reads it
from there (``SWORD_PATH``), with the system's ``locales.d`` linked in beside it as in a normal
install: parsing those locale files is most of diatheke's start (without them it takes a
sixth of the time), so leaving them out would time a diatheke nobody runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import CACHE, MODES, PYTHON, ROOT, Row, child_env, median, ms, p95, report, temp_home

WARMUP, RUNS = 3, 20
EXPECT = "For God so loved the world"
SCRIPT = Path(PYTHON).with_name("verselight")


def timed(cmd: list[str], env: dict[str, str], expect: str = "") -> float:
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=True, text=True)
    elapsed = time.perf_counter() - start
    assert expect in out.stdout, out.stdout
    return elapsed


KJV_MODULE = "engKJV2006eb"


def _say(text: str) -> None:
    print(text, file=sys.stderr)


SYSTEM_LOCALES = Path("/usr/share/sword/locales.d")


def _kjv_sword_path() -> Path | None:
    """A SWORD folder holding only the KJV module (unpacked from its Debian package once) and
    the system's locales."""
    root = CACHE / "sword-text-kjv"
    sword = root / "usr" / "share" / "sword"
    if not (sword / "mods.d" / f"{KJV_MODULE}.conf").exists() and not _unpack_kjv(root):
        return None
    locales = sword / "locales.d"
    if SYSTEM_LOCALES.is_dir() and not locales.exists():
        locales.symlink_to(SYSTEM_LOCALES)
    return sword


def _unpack_kjv(root: Path) -> bool:
    if not (shutil.which("apt-get") and shutil.which("dpkg")):
        _say("The KJV SWORD module is missing: unpack Debian's sword-text-kjv into " + str(root))
        return False
    with tempfile.TemporaryDirectory() as tmp:
        got = subprocess.run(
            ["apt-get", "download", "sword-text-kjv"], cwd=tmp, capture_output=True, text=True
        )
        debs = list(Path(tmp).glob("sword-text-kjv_*.deb"))
        if got.returncode != 0 or not debs:
            _say("Could not download sword-text-kjv (run apt-get update first?): " + got.stderr)
            return False
        subprocess.run(["dpkg", "-x", str(debs[0]), str(root)], check=True)
    return True


def diatheke_command() -> tuple[list[str], dict[str, str]] | None:
    """diatheke's command and the SWORD_PATH it reads the KJV from, or None (said why)."""
    if shutil.which("diatheke") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        _say("Installing diatheke with apt-get...")
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "diatheke"],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            capture_output=True,
        )
    if shutil.which("diatheke") is None:
        _say("diatheke is missing (Debian: apt-get install diatheke); no comparison made.")
        return None
    sword = _kjv_sword_path()
    if sword is None:
        return None
    return ["diatheke", "-b", KJV_MODULE, "-k", "John 3:16"], {"SWORD_PATH": str(sword)}


def against_diatheke(cmd: list[str], env: dict[str, str]) -> list[Row]:
    found = diatheke_command()
    if found is None:
        return []
    theirs, sword_env = found
    theirs_env = {**env, **sword_env}
    for _ in range(WARMUP):
        timed(cmd, env, EXPECT)
        timed(theirs, theirs_env, "loved")
    ours, diatheke = [], []
    for _ in range(RUNS):
        ours.append(timed(cmd, env, EXPECT))
        diatheke.append(timed(theirs, theirs_env, "loved"))
    return [
        Row(f"read John 3:16 alternating with diatheke, median of {RUNS}", ms(median(ours)), "ms"),
        Row(f"{' '.join(theirs[:3])} -k ..., same loop", ms(median(diatheke)), "ms"),
        Row("ratio verselight read / diatheke", median(ours) / median(diatheke), "x", 1.0),
    ]


def run() -> list[Row]:
    cmd = [str(SCRIPT)] if SCRIPT.exists() else [PYTHON, "-m", "cli"]
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
