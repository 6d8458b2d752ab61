"""Target 3: from start to the reader's first painted screen takes at most 700 ms (headless).

Each run is a fresh Python subprocess (so every import counts) in a ``VERSELIGHT_HOME`` that
already holds KJV. The child does what ``verselight`` with no arguments does, headless:
imports ``cli.main`` (the console script's module), then ``tui.app``, loads the configuration,
builds the app with ``make_app`` and runs it with ``app.run(headless=True, size=(80, 24))``.

"First painted screen" is defined as: the first frame Textual hands to its driver
(``App._display``) while the ``ReaderScreen`` is the current screen and whose terminal output
contains the text of Genesis 1:1. The headless driver writes nothing, so the child turns that
frame into the escape sequences a real terminal would receive (``render_segments``) before it
stops the clock; only the write to the terminal itself is missing. The app then exits.

Both bytecode modes are measured (see ``_common``; one untimed run first fills the cache), and
the target is checked in each. Two figures, median of 5:
- process launch -> painted: from just before this process spawns the child to the paint
  (``perf_counter`` is CLOCK_MONOTONIC, shared by both processes on Linux). Target applies.
- import -> painted: from just before the child's ``import cli.main`` to the paint.
"""

from __future__ import annotations

import json
import subprocess
import time

from _common import PYTHON, ROOT, Row, child_env, median, ms, report, runs_per_mode, temp_home

RUNS = 5

CHILD = """
import time
t_import = time.perf_counter()
import cli.main
from tui.app import make_app
from tui.screens.reader import ReaderScreen
from core.config import load_config
t_imported = time.perf_counter()

app = make_app(load_config())
times = {"import": t_import, "imported": t_imported}
display = app._display

def watch(screen, renderable):
    display(screen, renderable)
    if "painted" in times or renderable is None or not isinstance(screen, ReaderScreen):
        return
    if "beginning God created" in renderable.render_segments(app.console):
        times["painted"] = time.perf_counter()
        app.exit()

app._display = watch
app.run(headless=True, size=(80, 24))
print(__import__("json").dumps(times))
"""


def one_run(pyc: bool) -> dict[str, float]:
    with temp_home() as home:
        env = child_env(home, pyc)
        launch = time.perf_counter()
        out = subprocess.run(
            [PYTHON, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, check=True
        )
    times: dict[str, float] = json.loads(out.stdout.splitlines()[-1])
    if "painted" not in times:
        raise RuntimeError("the reader never painted Genesis 1:1")
    return {
        "launch": times["painted"] - launch,
        "import": times["painted"] - times["import"],
        "imports": times["imported"] - times["import"],
    }


def run() -> list[Row]:
    rows = []
    for mode, runs in runs_per_mode(one_run, RUNS):

        def med(key: str, runs: list[dict[str, float]] = runs) -> float:
            return ms(median([r[key] for r in runs]))

        rows += [
            Row(
                f"[{mode}] launch -> reader painted (median of {RUNS})", med("launch"), "ms", 700.0
            ),
            Row("  import cli.main -> reader painted", med("import"), "ms"),
            Row("  of which: imports (cli.main, tui.app, config)", med("imports"), "ms"),
        ]
    return rows


if __name__ == "__main__":
    report("3. Reader start to first painted screen (headless, 80x24)", run())
