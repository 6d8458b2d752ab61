"""The credit ledger under several processes at once, and across crashes.

- Four processes (``spawn``) hammer one ledger file for about three seconds: holds, charges,
  releases (their own and each other's), purchases of a SHARED small set of payment hashes, and
  grants to refill. Each reports what it did and any exception outside the expected refusals.
  Afterwards no money was lost or made: every hash credited once, every hold charged at most
  once, every balance >= 0, ``verify`` clean, and ``verselight ledger --verify`` says so too.
- The seed's race: a hold released by another connection between the provider's success and
  the charge.
- A process killed between its hold and its charge, or in the middle of the charge's
  transaction: the next start releases the stale hold and the ledger verifies.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from core.billing.ledger import (
    DailyCapReached,
    HoldGone,
    InsufficientCredits,
    Ledger,
    RateLimited,
)
from core.billing.limits import Limits
from storage import ledger as db
from tests.invoice_rows import add_invoice

# Limits high enough that they never refuse: this is about concurrency, not limits.
LIMITS = Limits(generations_per_minute=10**9, invoices_per_minute=10**9, daily_credit_cap=10**12)
EXPECTED = (InsufficientCredits, RateLimited, DailyCapReached, HoldGone)
WORKERS = 4
SECONDS = 3.0
MAX_ITERATIONS = 20_000
SPAWN = mp.get_context("spawn")
ROOT = Path(__file__).resolve().parent.parent
# Processes racing on one ledger: one at a time (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("serial")


def store_image(conn: sqlite3.Connection, sid: str) -> str:
    image_id = uuid4().hex
    conn.execute(
        "INSERT INTO images (id, session_id, created_at) VALUES (?, ?, ?)",
        (image_id, sid, db.ts(datetime.now(UTC))),
    )
    return image_id


# -- workers (run in spawned processes: module-level, picklable arguments only) --------------


def hammer(
    path: str,
    sids: list[str],
    hashes: list[str],
    seed: int,
    go: Any,
    results: Any,
) -> None:
    """Random money operations until the deadline or the iteration cap; results on a queue."""
    counts: Counter[str] = Counter()
    errors: list[str] = []
    charged: list[int] = []
    credited: list[str] = []
    try:
        led = Ledger.open(Path(path), LIMITS)
    except Exception as exc:  # reported, not raised: the parent must hear about it
        results.put({"seed": seed, "errors": [f"open: {exc!r}"], "counts": {}})
        return
    rng = random.Random(seed)
    mine: list[Any] = []  # holds this process placed and has not closed
    go.wait()
    deadline = time.monotonic() + SECONDS
    iterations = 0
    while iterations < MAX_ITERATIONS and time.monotonic() < deadline:
        iterations += 1
        op = rng.random()
        sid = rng.choice(sids)
        try:
            if op < 0.35 or not mine:
                try:
                    mine.append(led.place_hold(sid, rng.randint(1, 40)))
                    counts["hold"] += 1
                except InsufficientCredits:
                    counts["InsufficientCredits"] += 1
                    led.grant(sid, rng.randint(50, 300), "refill")
                    counts["grant"] += 1
            elif op < 0.60:
                hold = mine.pop(rng.randrange(len(mine)))
                led.charge(hold, partial(store_image, sid=hold.session_id))
                charged.append(hold.id)
                counts["charge"] += 1
            elif op < 0.68:
                hold = mine.pop(rng.randrange(len(mine)))
                counts["release" if led.release(hold) else "release: already closed"] += 1
            elif op < 0.76:
                # Someone else's hold, as a second process sweeping or cancelling would.
                others = led.open_holds(sid)
                if others:
                    victim = rng.choice(others)
                    counts[
                        "release other" if led.release(victim.id) else "release other: gone"
                    ] += 1
            elif op < 0.92:
                payment_hash = rng.choice(hashes)
                if led.credit_purchase(payment_hash):
                    credited.append(payment_hash)
                    counts["purchase"] += 1
                else:
                    counts["purchase: already credited"] += 1
            else:
                led.grant(sid, rng.randint(1, 100), "refill")
                counts["grant"] += 1
        except EXPECTED as exc:
            counts[type(exc).__name__] += 1
        except Exception as exc:
            errors.append(repr(exc))
    for hold in mine:  # a tidy exit: give back what is still held
        try:
            led.release(hold)
        except Exception as exc:
            errors.append(f"final release: {exc!r}")
    led.close()
    results.put(
        {
            "seed": seed,
            "iterations": iterations,
            "counts": dict(counts),
            "errors": errors,
            "charged": charged,
            "credited": credited,
        }
    )


def hold_then_die(path: str, sid: str, amount: int) -> None:
    """Place a hold, then die as a crash would, before any charge or release."""
    led = Ledger.open(Path(path), LIMITS)
    led.place_hold(sid, amount)
    os.kill(os.getpid(), signal.SIGKILL)


def die_while_charging(path: str, sid: str, amount: int) -> None:
    """Place a hold and die inside the charge's transaction, after the image row is written."""
    led = Ledger.open(Path(path), LIMITS)
    hold = led.place_hold(sid, amount)

    def save(conn: sqlite3.Connection) -> str:
        store_image(conn, sid)
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")

    led.charge(hold, save)


# -- helpers -----------------------------------------------------------------------------------


def new_ledger(home: Path) -> tuple[Path, Ledger]:
    path = home / "data" / "ledger.sqlite"  # where VERSELIGHT_HOME puts it
    return path, Ledger.open(path, LIMITS)


def problems(ledger: Ledger) -> dict[str, list[str]]:
    return {name: rows for name, rows in ledger.verify() if rows}


def cli_verify(home: Path) -> subprocess.CompletedProcess[str]:
    """``verselight ledger --verify`` on the ledger under ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERSELIGHT_")}
    env["VERSELIGHT_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "cli", "ledger", "--verify"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def run_crashing(target: Any, *args: Any) -> int | None:
    proc = SPAWN.Process(target=target, args=args)
    proc.start()
    proc.join(timeout=60)
    assert not proc.is_alive()
    return proc.exitcode


# -- tests -------------------------------------------------------------------------------------


def test_four_processes_on_one_ledger(tmp_path: Path) -> None:
    path, led = new_ledger(tmp_path)
    now = datetime.now(UTC)
    sids = [uuid4().hex for _ in range(3)]
    for sid in sids:
        db.create_session(led.conn, sid, now)
        led.grant(sid, 500, "start")
    hashes = [uuid4().hex + uuid4().hex for _ in range(12)]
    for i, payment_hash in enumerate(hashes):
        add_invoice(led, sids[i % len(sids)], payment_hash, 300)

    go = SPAWN.Event()
    results = SPAWN.Queue()
    procs = [
        SPAWN.Process(target=hammer, args=(str(path), sids, hashes, seed, go, results))
        for seed in range(WORKERS)
    ]
    for proc in procs:
        proc.start()
    go.set()
    reports = []
    try:
        for _ in procs:
            reports.append(results.get(timeout=90))
    except queue.Empty:
        pytest.fail(f"only {len(reports)} of {WORKERS} workers reported")
    finally:
        for proc in procs:
            proc.join(timeout=30)
    assert [p.exitcode for p in procs] == [0] * WORKERS

    # No exception escaped the expected refusals, in any process.
    assert [r["errors"] for r in reports] == [[]] * WORKERS
    totals: Counter[str] = Counter()
    for r in reports:
        totals.update(r["counts"])
    # Every process ran and together they did real work, the races included. (Not "each did
    # much": SQLite's busy handler is not fair, and one process may wait seconds for the lock.)
    assert all(r["iterations"] >= 1 for r in reports)
    assert sum(r["iterations"] for r in reports) > 500, [r["iterations"] for r in reports]
    for kind in ("hold", "charge", "purchase", "purchase: already credited", "grant", "HoldGone"):
        assert totals[kind] > 0, totals

    # Each payment hash credited exactly once: once in the table, once across the processes.
    per_hash = dict(
        led.conn.execute(
            "SELECT payment_hash, count(*) FROM entries WHERE kind = 'purchase'"
            " GROUP BY payment_hash"
        ).fetchall()
    )
    credited = Counter(h for r in reports for h in r["credited"])
    assert set(per_hash.values()) <= {1}
    assert set(credited.values()) <= {1}
    assert set(per_hash) == set(credited)
    assert len(per_hash) == len(hashes)  # with this many tries, every hash was bought

    # Each hold charged at most once, and exactly the charges the processes saw succeed.
    charged = [h for r in reports for h in r["charged"]]
    assert len(charged) == len(set(charged))
    rows = led.conn.execute(
        "SELECT hold_id, count(*) FROM entries WHERE kind = 'charge' GROUP BY hold_id"
    ).fetchall()
    assert all(n == 1 for _, n in rows)
    assert {h for h, _ in rows} == set(charged)
    images = led.conn.execute("SELECT count(*) FROM images").fetchone()[0]
    assert images == len(charged)

    for sid in sids:
        bal = led.balance(sid)
        assert bal.balance >= 0
        assert 0 <= bal.held <= bal.balance
        assert bal.held == 0  # every process released what it still held
    assert problems(led) == {}
    led.close()

    # The operator's check, the real command in a separate process.
    done = cli_verify(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All ledger invariants hold." in done.stdout


def test_the_cli_verify_names_a_broken_row(tmp_path: Path) -> None:
    path, led = new_ledger(tmp_path)
    sid = uuid4().hex
    db.create_session(led.conn, sid, datetime.now(UTC))
    led.grant(sid, 100, "start")
    led.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE sessions SET balance = 90 WHERE id = ?", (sid,))
    conn.close()
    done = cli_verify(tmp_path)
    assert done.returncode == 1
    assert f"session {sid}: stored balance 90, entries sum to 100" in done.stdout
    assert "Traceback" not in done.stderr


def test_a_hold_released_before_the_charge_is_hold_gone(tmp_path: Path) -> None:
    """The seed's race: the provider succeeded, then another process released the hold (a
    sweep, a cancel) before this one charged: nothing is saved or charged."""
    path, led = new_ledger(tmp_path)
    sid = uuid4().hex
    db.create_session(led.conn, sid, datetime.now(UTC))
    led.grant(sid, 100, "start")
    hold = led.place_hold(sid, 30)
    # ... the provider returns an image here ...
    other = Ledger.open(path, LIMITS)
    try:
        assert other.release(hold.id) is True
    finally:
        other.close()
    saved: list[str] = []

    def save(conn: sqlite3.Connection) -> str:
        saved.append(store_image(conn, sid))
        return saved[-1]

    with pytest.raises(HoldGone):
        led.charge(hold, save)
    assert saved == []
    assert led.conn.execute("SELECT count(*) FROM images").fetchone()[0] == 0
    assert [e.kind for e in led.history(sid)] == ["grant"]
    bal = led.balance(sid)
    assert (bal.balance, bal.held) == (100, 0)
    assert problems(led) == {}
    led.close()


@pytest.mark.parametrize("target", [hold_then_die, die_while_charging])
def test_a_killed_process_leaves_a_hold_the_next_start_releases(
    tmp_path: Path, target: Any
) -> None:
    path, led = new_ledger(tmp_path)
    sid = uuid4().hex
    db.create_session(led.conn, sid, datetime.now(UTC))
    led.grant(sid, 100, "start")
    led.close()

    assert run_crashing(target, str(path), sid, 40) == -signal.SIGKILL

    # The crash left the hold open; nothing was charged or saved.
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT balance, held FROM sessions").fetchone() == (100, 40)
    conn.close()
    # The next start, at once: the hold's process is gone, so it is released without
    # waiting for the stale age.
    nxt = Ledger.open(path, LIMITS)
    try:
        assert nxt.release_stale_holds() == 1
        bal = nxt.balance(sid)
        assert (bal.balance, bal.held) == (100, 0)
        assert [e.kind for e in nxt.history(sid)] == ["grant"]
        assert nxt.conn.execute("SELECT count(*) FROM images").fetchone()[0] == 0
        assert problems(nxt) == {}
        assert nxt.release_stale_holds() == 0
    finally:
        nxt.close()


def test_holds_of_a_live_process_or_unknown_owner_wait_for_the_stale_age(tmp_path: Path) -> None:
    """Only a hold whose process is surely gone is released early; one placed on another host
    (or by older code, with no owner) waits for the stale age; a live process keeps its own."""
    path, led = new_ledger(tmp_path)
    sid = uuid4().hex
    db.create_session(led.conn, sid, datetime.now(UTC))
    led.grant(sid, 100, "start")
    mine = led.place_hold(sid, 10)  # this process: alive
    with db.transaction(led.conn):
        now = datetime.now(UTC)
        db.insert_hold(led.conn, sid, 20, "generation", now, "elsewhere:1:99")
        db.insert_hold(led.conn, sid, 30, "generation", now, None)
    led.close()

    start = Ledger.open(path, LIMITS)
    try:
        assert start.release_stale_holds() == 0
        assert start.balance(sid).held == 60
    finally:
        start.close()

    def later() -> datetime:
        return datetime.now(UTC) + LIMITS.stale_hold_age + timedelta(seconds=1)

    sweep = Ledger.open(path, LIMITS, later)
    try:
        assert sweep.release_stale_holds() == 2  # not ours: this process is alive
        assert sweep.balance(sid).held == 10
        assert sweep.release(mine) is True
        assert problems(sweep) == {}
    finally:
        sweep.close()


def test_an_owner_is_dead_only_when_its_process_is_gone_or_replaced() -> None:
    import os
    import socket
    import subprocess
    import sys

    from core.billing.owners import current_owner, status

    assert status(current_owner()) == "alive"
    assert status(None) == status("another-host:1:1") == "unknown"
    host = socket.gethostname()
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        stat = Path(f"/proc/{child.pid}/stat").read_text()
        start = stat.rsplit(")", 1)[-1].split()[19]
        assert status(f"{host}:{child.pid}:{start}") == "alive"
        assert status(f"{host}:{child.pid}:{int(start) + 1}") == "dead"  # the pid was reused
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait()
    assert status(f"{host}:{child.pid}:{start}") == "dead"
    assert status(f"another-host:{child.pid}:{start}") != "dead"
    assert status(f"{host}:{os.getpid()}:0") == "dead"  # this pid, but not this process
    assert status("garbage") != "dead"
