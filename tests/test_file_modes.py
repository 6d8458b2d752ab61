"""Files holding sessions, money or secrets are 0600 in 0700 folders, whatever the umask
(issue 9, item 5): the ledger with its -wal and -shm (invoice preimages live there), the
signing secret, the token, session backups and the private log."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.main import main
from core.billing.ledger import Ledger

ROOT = Path(__file__).resolve().parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask 022", "umask 000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VERSELIGHT_HOME", str(tmp_path))
    monkeypatch.setenv("VERSELIGHT_ADMIN_PASSWORD", "an operator password")
    monkeypatch.delenv("VERSELIGHT_SESSION_SECRET", raising=False)
    return tmp_path


def test_private_files_and_folders_whatever_the_umask(home, umask, capsys):
    # A real process first (it sets up logging as the console script does) ...
    done = subprocess.run(
        [sys.executable, "-c", f"import os, sys; os.umask({umask}); "
         "from cli.main import main; sys.exit(main(['session', 'show']))"],
        cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # ... then this process, with a connection held open so -wal and -shm exist.
    ledger = Ledger.open(home / "data" / "ledger.sqlite")
    try:
        (sid,) = [r[0] for r in ledger.conn.execute("SELECT id FROM sessions")]
        ledger.grant(sid, 50, "so there is something to back up")
        for name in ("ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"):
            assert mode(home / "data" / name) == 0o600, name
    finally:
        ledger.close()
    other = home / "other.session"
    assert main(["session", "export", str(other)]) == 0
    (home / "state" / "session.token").unlink()
    capsys.readouterr()
    assert main(["session", "show"]) == 0  # a second session, given credits, then replaced
    assert main(["admin", "grant", capsys.readouterr().out.split()[1], "5"]) == 0
    assert main(["session", "import", str(other), "--replace"]) == 0
    backups = home / "state" / "session-backups"
    for folder in (home / "data", home / "state", backups):
        assert mode(folder) == 0o700, folder
    for file in (
        home / "data" / "session.secret",
        home / "state" / "session.token",
        home / "state" / "verselight.log",
        *backups.iterdir(),
    ):
        assert mode(file) == 0o600, file


def test_an_older_installations_loose_modes_are_tightened(home, capsys):
    assert main(["session", "show"]) == 0
    data = home / "data"
    ledger = Ledger.open(data / "ledger.sqlite")  # keeps -wal and -shm in place
    try:
        for path in (
            data / "ledger.sqlite",
            data / "ledger.sqlite-wal",
            data / "ledger.sqlite-shm",
        ):
            path.chmod(0o644)
        for folder in (data, home / "state"):
            folder.chmod(0o755)
        assert main(["session", "show"]) == 0
        for path in (
            data / "ledger.sqlite",
            data / "ledger.sqlite-wal",
            data / "ledger.sqlite-shm",
        ):
            assert mode(path) == 0o600, path
        for folder in (data, home / "state"):
            assert mode(folder) == 0o700, folder
    finally:
        ledger.close()
