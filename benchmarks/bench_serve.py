"""``verselight serve`` under load: a real server on 127.0.0.1, real SSH clients (asyncssh)
and a terminal emulator (pyte) per visitor, as in ``tests/test_serve.py``.

Figures (issue 12): one warm connection's connect -> first paint (<= 1 s); 1, 5 and 20
connections opened at once, until the last one painted (20: <= 6 s), and when the first and
half of them were (the server starts one reader per core at once); with them connected, one
visitor's key press -> updated screen (p95 <= 50 ms); each reader process's RSS (<= 70 MB; PSS
beside it, which counts shared pages once) and the server's own RSS (<= 80 MB).

    uv run python benchmarks/bench_serve.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

from _common import ROOT, Row, ms, p95, report, temp_home

sys.path.insert(0, str(ROOT))

from bench_payments import fakes

from tests.fake_lnd.server import FakeLnd
from tests.serving.server_process import ServerProcess
from tests.serving.visitor import Visitor, make_key

LEVELS = (1, 5, 20)
BUYS = 10
WARM_RUNS = 5
PRESSES = 40


def _memory(pid: int) -> tuple[float, float]:
    """RSS and PSS in MB (0 when the process is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0, 0.0

    def kb(text: str, key: str) -> float:
        for line in text.splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
        return 0.0

    return kb(status, "VmRSS") / 1024, kb(rollup, "Pss") / 1024


async def _painted(port: int, key: Path) -> tuple[Visitor, float]:
    began = time.perf_counter()
    visitor = await Visitor.connect(port, key)
    await visitor.wait_for("credits", timeout=60)
    return visitor, time.perf_counter() - began


async def _leave(server: ServerProcess, visitors: list[Visitor]) -> None:
    """Hang up, and wait until every reader process has ended (so the next figure starts from
    an idle host)."""
    for visitor in visitors:
        await visitor.close()
    deadline = time.monotonic() + 30
    while server.children() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


async def _measure(server: ServerProcess, keys: list[Path]) -> list[Row]:
    rows: list[Row] = []
    # warm: the first connection fills the bytecode cache and makes the session
    first, _ = await _painted(server.port, keys[0])
    await _leave(server, [first])
    warm = []
    for _ in range(WARM_RUNS):
        visitor, took = await _painted(server.port, keys[0])
        warm.append(took)
        await _leave(server, [visitor])
    rows.append(
        Row(
            "one warm connection: connect -> first paint, median",
            ms(statistics.median(warm)),
            "ms",
            1000.0,
        )
    )
    rows.append(Row("  slowest of the warm runs", ms(max(warm)), "ms"))
    for level in LEVELS:
        began = time.perf_counter()
        opened = await asyncio.gather(*(_painted(server.port, keys[i]) for i in range(level)))
        all_painted = time.perf_counter() - began
        visitors = [v for v, _ in opened]
        target = 6000.0 if level == 20 else None
        rows.append(Row(f"{level} at once: until the last painted", ms(all_painted), "ms", target))
        if level > 1:  # readers start a few at a time (``--max-starting``): most wait less
            each = sorted(took for _, took in opened)
            rows.append(Row(f"  {level} at once: the first painted", ms(each[0]), "ms"))
            rows.append(
                Row(f"  {level} at once: half painted by", ms(statistics.median(each)), "ms")
            )
        active = visitors[0]
        if "Welcome to Verselight" in active.text():
            active.press("\x1b")
            await active.wait_gone("Welcome to Verselight")
        await active.wait_header("Genesis 1:1")
        presses, arrivals = [], []
        for n in range(PRESSES):
            key, verse = ("j", "Genesis 1:2") if n % 2 == 0 else ("k", "Genesis 1:1")
            seen = len(active.raw)
            start = time.perf_counter()
            active.press(key)
            await active.wait_until(
                lambda v=verse, s=seen, a=active: v.encode() in a.raw[s:] or None
            )
            arrivals.append(time.perf_counter() - start)
            await active.wait_header(verse)
            presses.append(time.perf_counter() - start)
        rows.append(
            Row(f"  {level} connected: key press -> new screen's bytes arrive, p95",
                ms(p95(arrivals)), "ms", 50.0 if level == 20 else None)
        )  # fmt: skip
        rows.append(
            Row("    ... and drawn by the test's terminal emulator (pyte), p95",
                ms(p95(presses)), "ms")
        )  # fmt: skip
        readers = server.children()
        memory = [_memory(pid) for pid in readers]
        rss = [m[0] for m in memory if m[0]]
        pss = [m[1] for m in memory if m[1]]
        rows.append(Row(f"  {level} connected: reader RSS, largest", max(rss), "MB", 70.0))
        rows.append(Row(f"  {level} connected: reader PSS, mean", statistics.mean(pss), "MB"))
        assert server.process is not None
        rows.append(
            Row(f"  {level} connected: server RSS", _memory(server.process.pid)[0], "MB", 80.0)
        )
        await _leave(server, visitors)
    return rows


async def _buying(server: ServerProcess, fake: FakeLnd, key: Path) -> list[Row]:
    """Settle -> the buyer's dialog says the credits were added, through the server's one
    watcher and the reader's watch on the ledger (target <= 500 ms)."""
    took = []
    visitor = await Visitor.connect(server.port, key, cols=100, rows=40)
    await visitor.wait_for("credits", timeout=60)
    if "Welcome to Verselight" in visitor.text():
        visitor.press("\x1b")
        await visitor.wait_gone("Welcome to Verselight")
    for _ in range(BUYS):
        before = set(fake._invoices)
        visitor.press("b")
        await visitor.wait_for("credits for $3")
        visitor.press("\r")
        await visitor.wait_for("Waiting for payment")
        (payment_hash,) = set(fake._invoices) - before
        start = time.perf_counter()
        fake.settle(payment_hash)
        await visitor.wait_for("credits were added")
        took.append(time.perf_counter() - start)
        visitor.press("\r")
        await visitor.wait_gone("credits were added")
    await visitor.close()
    return [
        Row(
            "a buyer: settle -> dialog shows the credit, median", ms(statistics.median(took)), "ms"
        ),
        Row(f"  the same, slowest of {BUYS}", ms(max(took)), "ms", 500.0),
    ]


def run() -> list[Row]:
    with temp_home() as home:
        keys_dir = home / "keys"
        keys_dir.mkdir()
        keys = [make_key(keys_dir / f"k{i}") for i in range(max(LEVELS) + 1)]
        with fakes(home) as (fake, env):
            # One address opens every connection here: the per-address limit is lifted.
            server = ServerProcess(env, "--rate-limit", "1000").start()
            try:
                rows = asyncio.run(_measure(server, keys[:-1]))
                return rows + asyncio.run(_buying(server, fake, keys[-1]))
            finally:
                server.stop()


if __name__ == "__main__":
    report("14. verselight serve over SSH", run())
