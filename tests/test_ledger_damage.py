"""A damaged ledger is never written (issue 9, items 2 and 3).

A real installation's ledger (made by the real commands, then given thousands of entries) is
damaged one page at a time: pages of the schema, of the ``entries`` table and of its
indexes, of sessions, holds, invoices and the audit log. For each, SQLite's own
``quick_check`` must flag it, and the real commands must refuse with one sentence, never a
traceback, and leave the file (and its ``-wal``) byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cli.main import main
from core.billing.ledger import Ledger
from core.billing.limits import Limits
from storage import invoices
from storage import ledger as db

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "operator password for tests"
DAMAGED_PAGES = [
    # (b-tree name as dbstat calls it, which of its pages: "first" leaf, "last" leaf, "internal")
    ("sqlite_schema", "first"),
    ("entries", "internal"),
    ("entries", "first"),
    ("entries", "last"),
    ("entries_by_session", "first"),
    ("entries_by_session", "internal"),
    ("sqlite_autoindex_entries_1", "first"),  # UNIQUE payment_hash
    ("sqlite_autoindex_entries_2", "first"),  # UNIQUE hold_id
    ("sessions", "first"),
    ("sqlite_autoindex_sessions_1", "first"),
    ("holds", "first"),
    ("holds_by_session", "first"),
    ("invoices", "first"),
    ("audit", "first"),
    ("daily_spend", "first"),
]


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def snapshot(ledger: Path) -> dict[str, str | None]:
    return {s: digest(ledger.with_name(ledger.name + s)) for s in ("", "-wal")}


def assert_untouched(ledger: Path, before: dict[str, str | None]) -> None:
    after = snapshot(ledger)
    assert after[""] == before[""], "the damaged ledger was written"
    if before["-wal"] is None:  # a reader may leave an empty -wal; never one with frames
        wal = ledger.with_name(ledger.name + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0
    else:
        assert after["-wal"] == before["-wal"], "the damaged ledger's -wal was written"


def quick_check_flags(path: Path) -> bool:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA quick_check").fetchall() != [("ok",)]
    except sqlite3.DatabaseError:
        return True
    finally:
        conn.close()


def fill(ledger_path: Path) -> None:
    """Enough sessions, entries, holds and invoices that every table and index spans pages."""
    unlimited = Limits(
        generations_per_minute=10**6, invoices_per_minute=10**6, daily_credit_cap=10**9
    )
    led = Ledger.open(ledger_path, unlimited)
    conn = led.conn
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    sids = [f"{n:032x}" for n in range(1, 201)]
    with db.transaction(conn):
        for sid in sids:
            conn.execute(
                "INSERT INTO sessions (id, created_at, last_seen_at) VALUES (?, ?, ?)",
                (sid, db.ts(now), db.ts(now)),
            )
        for n in range(4000):
            db.insert_entry(conn, sids[n % 200], "grant", 10, now, note=f"grant number {n}")
        for n in range(300):
            preimage = hashlib.sha256(str(n).encode()).digest()
            ph = hashlib.sha256(preimage).hexdigest()
            invoices.insert(
                conn,
                payment_hash=ph,
                sid=sids[n % 200],
                credits=300,
                preimage_hex=preimage.hex(),
                amount_sats=3000,
                usd="3.00",
                btc_usd="100000",
                now=now,
                expires_at=now + timedelta(hours=1),
            )
            invoices.mark_settled(conn, ph, now)
            db.insert_entry(conn, sids[n % 200], "purchase", 300, now, payment_hash=ph)
        for n in range(400):
            db.audit(conn, "admin_login_failed", sids[n % 200], '{"failures":1}', now)
    for n in range(300):  # charges: closed holds, entries with a hold_id, daily totals
        sid = sids[n % 200]
        hold = led.place_hold(sid, 2)

        def save(c: sqlite3.Connection, n: int = n, sid: str = sid) -> str:
            c.execute(
                "INSERT INTO images (id, session_id, created_at) VALUES (?, ?, ?)",
                (f"image-{n}", sid, db.ts(now)),
            )
            return f"image-{n}"

        led.charge(hold, save)
    for sid in sids:
        led.place_hold(sid, 1)  # open holds
    assert all(not rows for _, rows in led.verify())
    led.close()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An installation (secret, token, ledger) made by the real commands, then filled."""
    home = tmp_path_factory.mktemp("pristine")
    env = {**os.environ, "VERSELIGHT_HOME": str(home)}
    env.pop("VERSELIGHT_SESSION_SECRET", None)
    subprocess.run(
        [sys.executable, "-m", "cli", "session", "show"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    fill(home / "data" / "ledger.sqlite")
    return home


@pytest.fixture
def home(pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    shutil.copytree(pristine, home)
    monkeypatch.setenv("VERSELIGHT_HOME", str(home))
    monkeypatch.setenv("VERSELIGHT_ADMIN_PASSWORD", PASSWORD)
    monkeypatch.delenv("VERSELIGHT_SESSION_SECRET", raising=False)
    return home


def pages_to_damage(ledger: Path) -> list[tuple[str, int]]:
    conn = sqlite3.connect(ledger)
    try:
        found = []
        for name, which in DAMAGED_PAGES:
            kind = "internal" if which == "internal" else "leaf"
            rows = [
                r[0]
                for r in conn.execute(
                    "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = ? ORDER BY pageno",
                    (name, kind),
                )
            ]
            if name == "sqlite_schema":
                rows = rows or [1]
            assert rows, f"{name} has no {kind} page: the fixture is too small"
            found.append((f"{name} {which}", rows[-1] if which == "last" else rows[0]))
        return found
    finally:
        conn.close()


def damage(path: Path, page: int, seed: int) -> None:
    size = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    noise = random.Random(seed).randbytes(size)
    with open(path, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(noise)


def one_sentence(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("verselight: ") or "ledger" in line for line in lines)
    return lines[-1]


def test_every_damaged_page_is_flagged_refused_and_never_written(home: Path, capsys) -> None:
    ledger = home / "data" / "ledger.sqlite"
    original = home.parent / "original.sqlite"
    shutil.copyfile(ledger, original)
    backup = home / "exported.session"
    assert main(["session", "export", str(backup)]) == 0
    pages = pages_to_damage(ledger)
    assert len(pages) == len(DAMAGED_PAGES) >= 15
    capsys.readouterr()
    for seed, (label, page) in enumerate(pages):
        shutil.copyfile(original, ledger)
        damage(ledger, page, seed)
        assert quick_check_flags(ledger), label
        before = snapshot(ledger)

        assert main(["ledger", "--verify"]) == 1, label
        out, err = capsys.readouterr()
        assert "All ledger invariants hold" not in out, label
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, (label, err)
        assert err.startswith("verselight: The credit ledger at") and "damaged" in err, label
        assert err.rstrip().endswith("left untouched."), (label, err)

        for argv in (
            ["ledger"],
            ["session", "show"],
            ["session", "import", str(backup), "--replace"],
            ["admin", "grant", "00000000000000000000000000000001", "5"],
            ["admin", "unlock"],
        ):
            assert main(argv) == 1, (label, argv)
            out, err = capsys.readouterr()
            assert "Traceback" not in err, (label, argv)
            assert "damaged" in err, (label, argv, err)
        if seed == 0:  # the doctor asks the price sources too: once is enough
            assert main(["doctor"]) == 1
            out, err = capsys.readouterr()
            assert "FAIL ledger" in out and "damaged" in out and "Traceback" not in err
        assert_untouched(ledger, before)


def test_damage_with_a_live_wal_leaves_both_files_untouched(home: Path, capsys) -> None:
    """A ledger whose latest commits still sit in its -wal: neither file may change."""
    ledger = home / "data" / "ledger.sqlite"
    pages = dict(pages_to_damage(ledger))
    copy = home.parent / "copy"
    copy.mkdir()
    writer = Ledger.open(ledger)
    try:
        writer.conn.execute("PRAGMA wal_autocheckpoint = 0")
        writer.grant("00000000000000000000000000000002", 7, "still in the wal")
        for suffix in ("", "-wal"):  # a crash copy: the pair as it is while a writer is open
            shutil.copyfile(ledger.with_name(ledger.name + suffix), copy / f"l{suffix}")
    finally:
        writer.close()
    shutil.copyfile(copy / "l", ledger)
    shutil.copyfile(copy / "l-wal", ledger.with_name("ledger.sqlite-wal"))
    ledger.with_name("ledger.sqlite-shm").unlink(missing_ok=True)
    assert ledger.with_name("ledger.sqlite-wal").stat().st_size > 0
    damage(ledger, pages["invoices first"], 99)  # a page the -wal does not hold
    assert quick_check_flags(ledger)
    before = snapshot(ledger)
    for argv in (["ledger", "--verify"], ["ledger"], ["session", "show"]):
        assert main(argv) == 1
        assert "damaged" in capsys.readouterr().err
    assert_untouched(ledger, before)


def test_verify_in_a_real_process_exits_1_with_a_sentence(home: Path) -> None:
    ledger = home / "data" / "ledger.sqlite"
    damage(ledger, dict(pages_to_damage(ledger))["entries internal"], 7)
    before = snapshot(ledger)
    for argv in (["ledger", "--verify"], ["ledger"]):
        done = subprocess.run(
            [sys.executable, "-m", "cli", *argv],
            cwd=ROOT,
            env={**os.environ, "VERSELIGHT_HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1, done
        assert "Traceback" not in done.stderr and "damaged" in done.stderr
        assert "All ledger invariants hold" not in done.stdout
    assert_untouched(ledger, before)


@pytest.mark.parametrize(
    "content", [b"", b"this is not a database" * 300], ids=["empty", "not-a-database"]
)
def test_empty_or_unreadable_ledger_of_an_installation_is_damage(
    home: Path, capsys, content: bytes
) -> None:
    ledger = home / "data" / "ledger.sqlite"
    for extra in ("-wal", "-shm"):
        ledger.with_name(ledger.name + extra).unlink(missing_ok=True)
    ledger.write_bytes(content)
    inode = ledger.stat().st_ino
    token = (home / "state" / "session.token").read_bytes()
    for argv in (["session", "show"], ["ledger"], ["ledger", "--verify"]):
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert "damaged" in err and "Traceback" not in err, err
        if not content:
            assert "empty" in err
    assert ledger.stat().st_ino == inode and ledger.read_bytes() == content
    assert (home / "state" / "session.token").read_bytes() == token


def test_an_empty_ledger_on_a_first_run_is_simply_made(tmp_path: Path, monkeypatch, capsys):
    """No token yet: an empty file (say, a crash before the first write) is a first run."""
    monkeypatch.setenv("VERSELIGHT_HOME", str(tmp_path))
    monkeypatch.delenv("VERSELIGHT_SESSION_SECRET", raising=False)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "ledger.sqlite").write_bytes(b"")
    assert main(["session", "show"]) == 0
    assert "tier      free" in capsys.readouterr().out


async def test_the_reader_opens_for_free_reading_and_leaves_the_file_alone(
    home: Path, kjv_library_file: Path, copy_lib
) -> None:
    from core.config import load_config
    from tests.tui.helpers import toasts
    from tui.app import make_app
    from tui.screens.reader import ReaderScreen

    copy_lib(kjv_library_file, home / "data" / "library.sqlite")
    (home / "state" / "onboarded").write_text("shown\n")
    ledger = home / "data" / "ledger.sqlite"
    damage(ledger, dict(pages_to_damage(ledger))["entries first"], 3)
    before = snapshot(ledger)
    app = make_app(load_config())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        assert app.account is None
        notices = [n for n in toasts(app) if "ledger" in n]
        assert len(notices) == 1 and "damaged" in notices[0]
        assert "reading works as usual" in notices[0]
        start = app.screen.ref
        await pilot.press("j")  # reading goes on
        await pilot.pause()
        assert app.screen.ref != start
    assert_untouched(ledger, before)
