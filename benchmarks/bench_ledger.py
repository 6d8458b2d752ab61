"""Target 7: the credit ledger keeps up: >= 2,000 hold+charge cycles a second in one process,
>= 500 a second in all with four processes contending for one file, and no errors.

A cycle is ``Ledger.place_hold`` then ``Ledger.charge`` whose ``save`` inserts one trivial
``images`` row: two ``BEGIN IMMEDIATE`` transactions, as one paid generation makes. The
ledger lives in a temporary ``VERSELIGHT_HOME``. The targets are measured the way real load
looks: many sessions, each within the default limits (5 generations a minute, 500 credits a
day), so every rate-limit and daily-cap check runs for real. For context, one session with
the limits raised out of the way shows the cost of a single very long history.

``Row`` targets are upper bounds, so the throughput targets are checked as time per cycle:
2,000/s is <= 0.5 ms a cycle, 500/s is <= 2 ms a cycle (wall time over all four processes).
Shown for context: cycles per second, the first and last 500 cycles of the single-process
run (the cost of a cycle grows with the session's history, see below), the cost of one
committed write with the ledger's ``synchronous = NORMAL`` (the floor under every
transaction), a run whose clock moves 13 s a call so each session's last minute and day stay
as short as real use keeps them, and for the four processes the slowest single cycle and
the fewest cycles one process managed (SQLite's busy handler is not fair).
"""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from _common import Row, report, temp_home

from core.billing.ledger import Ledger
from core.billing.limits import Limits
from storage import ledger as db

UNLIMITED = Limits(generations_per_minute=10**9, invoices_per_minute=10**9, daily_credit_cap=10**12)
CYCLES = 3000
SESSIONS = 1000
"""Sessions the cycles rotate through: each does at most 3 of the 3,000 (the limit is 5)."""
PROCESSES = 4
SECONDS = 3.0


def _saver(sid: str, clock: Callable[[], datetime]) -> Callable[[sqlite3.Connection], str]:
    def save(conn: sqlite3.Connection) -> str:
        image_id = uuid4().hex
        conn.execute(
            "INSERT INTO images (id, session_id, created_at) VALUES (?, ?, ?)",
            (image_id, sid, db.ts(clock())),
        )
        return image_id

    return save


def _session(led: Ledger, credits: int = 10**9) -> str:
    sid = uuid4().hex
    db.create_session(led.conn, sid, led.clock())
    led.grant(sid, credits, "benchmark")
    return sid


def cycles(led: Ledger, sids: list[str], n: int) -> list[float]:
    """``n`` hold+charge cycles, taking the sessions in turn; the time each took."""
    savers = [(sid, _saver(sid, led.clock)) for sid in sids]
    out = []
    for i in range(n):
        sid, save = savers[i % len(savers)]
        start = time.perf_counter()
        led.charge(led.place_hold(sid, 1), save)
        out.append(time.perf_counter() - start)
    return out


def commit_floor(path: Path, n: int = 500) -> float:
    """Mean time of one committed one-row write with the ledger's settings (WAL, NORMAL)."""
    conn = db.connect(path)
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_floor (x INTEGER)")
        start = time.perf_counter()
        for i in range(n):
            with db.transaction(conn):
                conn.execute("INSERT INTO bench_floor VALUES (?)", (i,))
        return (time.perf_counter() - start) / n
    finally:
        conn.close()


def contend(path: str, go: Any, results: Any) -> None:
    """One of the contending processes: cycles on its own session until the deadline."""
    led = Ledger.open(Path(path), Limits())
    pool = [(sid, _saver(sid, led.clock)) for sid in (_session(led, 500) for _ in range(SESSIONS))]
    done, errors, slowest = 0, 0, 0.0
    go.wait()
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline:
        sid, save = pool[done % len(pool)]
        start = time.perf_counter()
        try:
            led.charge(led.place_hold(sid, 1), save)
            done += 1
        except Exception:
            errors += 1
        slowest = max(slowest, time.perf_counter() - start)
    led.close()
    results.put((done, errors, slowest))


def contended(path: Path) -> tuple[float, int, float, int]:
    """Four processes for SECONDS: cycles a second in all, errors, slowest cycle, fewest cycles."""
    ctx = mp.get_context("spawn")
    go, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=contend, args=(str(path), go, results)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    go.set()
    start = time.perf_counter()
    got = [results.get(timeout=120) for _ in procs]
    wall = time.perf_counter() - start
    for p in procs:
        p.join(timeout=30)
    done = sum(d for d, _, _ in got)
    return (
        done / wall,
        sum(e for _, e, _ in got),
        max(s for _, _, s in got),
        min(d for d, _, _ in got),
    )


def run() -> list[Row]:
    with temp_home(with_kjv=False) as home:
        path = home / "data" / "ledger.sqlite"
        led = Ledger.open(path, Limits())
        try:
            times = cycles(led, [_session(led, 500) for _ in range(SESSIONS)], CYCLES)
        finally:
            led.close()
        led = Ledger.open(home / "data" / "one.sqlite", UNLIMITED)
        try:
            one = cycles(led, [_session(led)], CYCLES)
        finally:
            led.close()
        floor = commit_floor(home / "data" / "floor.sqlite")

        moment = [datetime(2024, 3, 10, tzinfo=UTC)]

        def stepping() -> datetime:
            moment[0] += timedelta(seconds=13)
            return moment[0]

        led = Ledger.open(
            home / "data" / "stepping.sqlite", Limits(daily_credit_cap=10**12), stepping
        )
        try:
            short = cycles(led, [_session(led)], 1000)
        finally:
            led.close()

        rate, errors, slowest, fewest = contended(home / "data" / "contended.sqlite")

    per_cycle = sum(times) / len(times)
    return [
        Row(f"1 process: time per cycle (mean of {CYCLES:,})", per_cycle * 1000, "ms", 0.5),
        Row("1 process: cycles a second", 1 / per_cycle, "/s"),
        Row("1 process: first 500 cycles, a second", 500 / sum(times[:500]), "/s"),
        Row("1 process: last 500 cycles, a second", 500 / sum(times[-500:]), "/s"),
        Row("1 session, limits lifted: cycles a second", len(one) / sum(one), "/s"),
        Row("1 session, limits lifted: last 500, a second", 500 / sum(one[-500:]), "/s"),
        Row("1 process, short history (clock +13 s a call)", len(short) / sum(short), "/s"),
        Row("one committed write (WAL, synchronous=NORMAL)", floor * 1000, "ms"),
        Row(f"{PROCESSES} processes: wall time per cycle, in all", 1000 / rate, "ms", 2.0),
        Row(f"{PROCESSES} processes: cycles a second, in all", rate, "/s"),
        Row(f"{PROCESSES} processes: errors", errors, "", 0),
        Row(f"{PROCESSES} processes: slowest single cycle", slowest * 1000, "ms"),
        Row(f"{PROCESSES} processes: fewest cycles by one process", fewest, ""),
    ]


if __name__ == "__main__":
    report("7. Credit ledger (hold + charge cycles)", run())
