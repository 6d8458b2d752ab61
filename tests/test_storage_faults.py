"""Reading survives storage faults (issue 9, item 4): a read-only data folder and a full disk.

Both are real: each command runs in its own mount namespace (``unshare``), where the
installation sits on a read-only bind mount, or on a small tmpfs filled to the last byte.
``read`` and ``search`` must work, the reader must open and move, and one sentence must say
what is not saved.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

READER = """
import asyncio, json
from core.config import load_config
from tui.app import make_app
from tui.screens.reader import ReaderScreen

async def main():
    app = make_app(load_config(), reference="John 3:16")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        opened = isinstance(app.screen, ReaderScreen)
        await pilot.press("j")
        await pilot.pause()
        ref = str(app.screen.ref) if opened else None
        notices = [n.message for n in app._notifications]
    print(json.dumps({"opened": opened, "ref": ref, "notices": notices}))

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, kjv_library_file: Path) -> Path:
    """An installation that has been used: library, ledger, secret, token, place."""
    home = tmp_path_factory.mktemp("installed") / "home"
    (home / "data").mkdir(parents=True)
    shutil.copyfile(kjv_library_file, home / "data" / "library.sqlite")
    (home / "state").mkdir()
    (home / "state" / "onboarded").write_text("shown\n")
    env = {**os.environ, "VERSELIGHT_HOME": str(home)}
    env.pop("VERSELIGHT_SESSION_SECRET", None)
    subprocess.run(
        [sys.executable, "-m", "cli", "session", "show"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return home


def under_fault(fault: str, home: Path, tmp_path: Path, command: list[str]):
    """Run ``command`` with VERSELIGHT_HOME on a read-only mount or a full filesystem."""
    q = shlex.quote
    if fault == "read-only":
        where = home
        setup = f"mount --bind {q(str(home))} {q(str(home))} && " + (
            f"mount -o remount,bind,ro {q(str(home))}"
        )
    else:
        where = tmp_path / "full"
        where.mkdir()
        size_kib = sum(p.stat().st_size for p in home.rglob("*") if p.is_file()) // 1024 + 512
        setup = (
            f"mount -t tmpfs -o size={size_kib}k tmpfs {q(str(where))} && "
            f"cp -a {q(str(home))}/. {q(str(where))}/ && "
            f"(dd if=/dev/zero of={q(str(where / 'filler'))} bs=4096 2>/dev/null || true) && "
            f"test \"$(df --output=avail {q(str(where))} | tail -1 | tr -d ' ')\" = 0"
        )
    env = {**os.environ, "VERSELIGHT_HOME": str(where), "TEXTUAL_ANIMATIONS": "none"}
    env.pop("VERSELIGHT_SESSION_SECRET", None)
    script = f"{setup} && exec {' '.join(q(c) for c in command)}"
    return subprocess.run(
        ["unshare", "--map-root-user", "--mount", "sh", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


FAULTS = ["read-only", "disk full"]
SAYS = {"read-only": "read-only file system", "disk full": "no space left on device"}


@pytest.mark.parametrize("fault", FAULTS)
def test_read_and_search_work(fault: str, installed: Path, tmp_path: Path) -> None:
    read = under_fault(
        fault, installed, tmp_path, [sys.executable, "-m", "cli", "read", "John 3:16"]
    )
    assert read.returncode == 0, read.stderr
    assert "For God so loved the world" in read.stdout
    assert "Traceback" not in read.stderr
    (notice,) = [line for line in read.stderr.splitlines() if "cannot be written" in line]
    assert SAYS[fault] in notice and "neither your place nor credits are saved" in notice

    shutil.rmtree(tmp_path / "full", ignore_errors=True)
    found = under_fault(
        fault, installed, tmp_path, [sys.executable, "-m", "cli", "search", "love", "-n", "2"]
    )
    assert found.returncode == 0, found.stderr
    assert len(found.stdout.splitlines()) == 2 and "Traceback" not in found.stderr


@pytest.mark.parametrize("fault", FAULTS)
def test_the_reader_opens_and_moves(fault: str, installed: Path, tmp_path: Path) -> None:
    done = under_fault(fault, installed, tmp_path, [sys.executable, "-c", READER])
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["opened"] and result["ref"] == "John 3:17"
    said = [n for n in result["notices"] if "cannot be written" in n]
    assert len(said) == 1 and SAYS[fault] in said[0]
