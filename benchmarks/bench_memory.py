"""Target 6: the reader's peak memory is at most 150 MB.

A fresh Python subprocess opens the reader headless (``app.run_test(headless=True,
size=(80, 24))``, Genesis 1:1) and drives it with ``pilot``: 20 next-verse presses, 5
next-chapter presses, 3 next-book presses, the search dialog with "love one another" typed a
letter at a time (each letter runs a 200-result search) and a result opened, the go-to dialog
with "Psalm 119" typed and opened, 20 more next-verse presses and the help screen. The child
reads its own peak resident set size once the reader has first painted and again at the end.
MB here is 10^6 bytes.

Two starts, each in both bytecode modes (see ``_common``):
- library ready: ``VERSELIGHT_HOME`` already holds KJV (every start after the first);
- first run: an empty ``VERSELIGHT_HOME``, so the reader itself imports KJV (FirstRunScreen,
  in a worker thread) before it opens. The reader process keeps whatever that costs.

The peak is read from ``VmHWM`` in ``/proc/self/status``, not from
``resource.getrusage(RUSAGE_SELF).ru_maxrss``: on Linux a process started with
``subprocess`` inherits in ``ru_maxrss`` the peak of the process that spawned it (the kernel
keeps the high-water mark of the memory image replaced by ``exec``, and Python's subprocess
uses vfork, so that image is the parent's). Spawned from a benchmark process that has already
built a KJV library, or from ``run_all.py`` after the key-press benchmark, ``ru_maxrss`` would
report the parent's peak. ``VmHWM`` belongs to the child's own memory image. ``ru_maxrss`` is
still shown, marked, for comparison.
"""

from __future__ import annotations

import json
import subprocess

from _common import MODES, PYTHON, ROOT, Row, child_env, report, temp_home

CHILD = """
import asyncio, json, resource
from core.config import load_config
from tui.app import make_app
from tui.screens.reader import ReaderScreen

def peak_mb():
    with open("/proc/self/status") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    return kib * 1024 / 1e6

async def drive():
    app = make_app(load_config(), reference="Genesis 1:1")
    async with app.run_test(headless=True, size=(80, 24)) as pilot:
        for _ in range(600):  # the first run imports KJV before the reader opens
            await pilot.pause(0.05)
            if isinstance(app.screen, ReaderScreen):
                break
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        figures = {"start": peak_mb()}
        await pilot.press(*["j"] * 20, *["l"] * 5, *["}"] * 3)
        await pilot.press("slash", *"love one another")
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.press("g", *"Psalm 119", "enter")
        await pilot.press(*["j"] * 20, "question_mark")
        await pilot.pause()
        await pilot.press("escape")
        figures["ref"] = str(app.screen.ref)
        figures["end"] = peak_mb()
        figures["ru_maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
        await pilot.press("q")
    print(json.dumps(figures))

asyncio.run(drive())
"""


def one_run(pyc: bool, first_run: bool) -> dict[str, float]:
    with temp_home(with_kjv=not first_run) as home:
        env = child_env(home, pyc)
        out = subprocess.run(
            [PYTHON, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, check=True
        )
    figures: dict[str, float] = json.loads(out.stdout.splitlines()[-1])
    assert figures.pop("ref") == "Psalms 119:21", figures
    return figures


def run() -> list[Row]:
    rows = []
    for mode, pyc in MODES.items():
        if pyc:
            one_run(pyc, first_run=True)  # unmeasured: fills the bytecode cache
        for start, first_run in (("library ready", False), ("first run", True)):
            figures = one_run(pyc, first_run)
            rows += [
                Row(f"[{mode}, {start}] peak RSS, end", figures["end"], "MB", 150.0),
                Row("  peak RSS once the reader had painted", figures["start"], "MB"),
                Row("  ru_maxrss (includes the spawner's peak)", figures["ru_maxrss"], "MB"),
            ]
    return rows


if __name__ == "__main__":
    report("6. Peak memory of the reader (headless, 80x24)", run())
