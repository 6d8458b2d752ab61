"""Target 11: the ledger's integrity check at start-up costs little, and with a ledger of
100,000 entries the reader still paints its first screen within target 3 (700 ms).

Before anything may write to the ledger, ``storage.ledger.connect`` runs SQLite's
``PRAGMA quick_check`` on a read-only connection (issue 9: a damaged ledger is never
written). It reads every page, so its cost grows with the file. Measured on a ledger of
100,000 entries over 1,000 sessions (about 10 MB):

- the check alone (a fresh read-only connection and ``quick_check``), median of 9. Target:
  at most 100 ms, a seventh of the reader's start budget;
- ``open_account`` (what the reader runs at start: integrity check, open, release stale
  holds, resume the session), with the check and with the file already checked in this
  process (later opens in one process, such as the gallery's, skip it), so the difference
  is the check's share of the start;
- the reader's start to first paint, as ``bench_reader_start`` measures it, in a home whose
  ledger holds those 100,000 entries. Target 700 ms, as for target 3. ``make_app`` starts
  the check in a thread (``core.billing.early_check.start_ledger_check``) that runs while Textual
  starts; ``open_account`` in ``on_mount`` waits for it, so only what is left of the check
  when the app mounts delays the first paint. For context, each start is paired with one
  whose check is switched off (in the benchmark's child only), so the pair shows the
  check's share whatever the machine's load.
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import PYTHON, ROOT, Row, child_env, median, ms, report, runs_per_mode, temp_home
from bench_reader_start import CHILD

ENTRIES = 100_000
SESSIONS = 1_000
RUNS = 9
START_RUNS = 3


def fill(home: Path) -> Path:
    """A used installation (secret, token) whose ledger holds ``ENTRIES`` entries."""
    from core.account import open_account
    from core.config import load_config
    from storage import ledger as db

    config = load_config({"VERSELIGHT_HOME": str(home)})
    opened = open_account(config)
    assert opened.account is not None
    opened.account.close()
    conn = db.connect(config.paths.ledger_db)
    now = datetime.now(UTC)
    with db.transaction(conn):
        sids = [f"{n:032x}" for n in range(SESSIONS)]
        conn.executemany(
            "INSERT INTO sessions (id, created_at, last_seen_at) VALUES (?, ?, ?)",
            [(sid, db.ts(now), db.ts(now)) for sid in sids],
        )
        for n in range(ENTRIES):
            db.insert_entry(conn, sids[n % SESSIONS], "grant", 5, now, note=f"grant {n}")
    conn.close()
    return config.paths.ledger_db


def check_alone(path: Path) -> float:
    from storage import ledger_db

    start = time.perf_counter()
    assert ledger_db._quick_check(path, 10.0) is None
    return time.perf_counter() - start


def open_account_time(home: Path, checked_already: bool) -> float:
    from core.account import open_account
    from core.config import load_config
    from storage import ledger_db

    config = load_config({"VERSELIGHT_HOME": str(home)})
    if not checked_already:
        ledger_db._checked.clear()
    start = time.perf_counter()
    opened = open_account(config)
    took = time.perf_counter() - start
    assert opened.account is not None, opened.notices
    opened.account.close()
    return took


NO_CHECK = "import storage.ledger as _l\n_l.check_integrity = lambda *a, **k: None\n"
"""For context only: the same start with the check switched off, to show its share."""


def reader_start(home: Path, pyc: bool) -> dict[str, float]:
    """One start with the check and one without, back to back (the machine's load then
    weighs on both alike)."""
    env = child_env(home, pyc)
    result = {}
    for label, code in (("checked", CHILD), ("unchecked", NO_CHECK + CHILD)):
        launch = time.perf_counter()
        out = subprocess.run(
            [PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True
        )
        times: dict[str, float] = json.loads(out.stdout.splitlines()[-1])
        if "painted" not in times:
            raise RuntimeError("the reader never painted Genesis 1:1")
        result[label] = times["painted"] - launch
    return result


def run() -> list[Row]:
    from storage import ledger as db

    rows: list[Row] = []
    with temp_home() as home:
        path = fill(home)
        size_mb = path.stat().st_size / 1e6
        alone = [check_alone(path) for _ in range(RUNS)]
        checked = [open_account_time(home, False) for _ in range(RUNS)]
        # Another connection held open stops each close from checkpointing into the main
        # file, which would change it and so call for a new check: as inside one process.
        held = db.connect(path)
        try:
            cached = [open_account_time(home, True) for _ in range(RUNS)]
        finally:
            held.close()
        rows += [
            Row(f"ledger of {ENTRIES:,} entries: file size", size_mb, "MB"),
            Row(f"quick_check alone (median of {RUNS})", ms(median(alone)), "ms", 100.0),
            Row("open_account with the check", ms(median(checked)), "ms"),
            Row("open_account, checked earlier in the process", ms(median(cached)), "ms"),
        ]
        for mode, runs in runs_per_mode(lambda pyc: reader_start(home, pyc), START_RUNS):
            checked_start = ms(median([r["checked"] for r in runs]))
            unchecked_start = ms(median([r["unchecked"] for r in runs]))
            rows += [
                Row(
                    f"[{mode}] launch -> reader painted (median of {START_RUNS})",
                    checked_start,
                    "ms",
                    700.0,
                ),
                Row("  the same with the check switched off", unchecked_start, "ms"),
            ]
    return rows


if __name__ == "__main__":
    report("11. Ledger integrity check at start (100,000 entries)", run())
