"""`verselight admin grant` and `admin unlock` (issue 9, operator gaps), run through the real
entry point; the password path runs in a real process whose config file sits on a read-only
mount (so even root cannot write it)."""

from __future__ import annotations

import io
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from core.admin import audit
from core.admin.gate import AdminGate
from core.admin.passwords import Verifier, hash_password
from core.billing.ledger import Ledger
from core.config import load_config

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VERSELIGHT_HOME", str(tmp_path))
    for name in ("VERSELIGHT_SESSION_SECRET", "VERSELIGHT_ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def new_session(capsys) -> str:
    """A session made by the real command; its full id."""
    assert main(["session", "show"]) == 0
    short = capsys.readouterr().out.split()[1]
    ledger = Ledger.open(load_config().paths.ledger_db)
    try:
        (sid,) = [r[0] for r in ledger.conn.execute("SELECT id FROM sessions") if r[0][:8] == short]
    finally:
        ledger.close()
    return str(sid)


def ledger_rows(sql: str) -> list[tuple[Any, ...]]:
    ledger = Ledger.open(load_config().paths.ledger_db)
    try:
        return ledger.conn.execute(sql).fetchall()
    finally:
        ledger.close()


def audit_events() -> list[audit.AuditEntry]:
    ledger = Ledger.open(load_config().paths.ledger_db)
    try:
        return audit.entries(ledger)
    finally:
        ledger.close()


def test_grant_and_unlock_refuse_when_admin_is_not_configured(home, capsys):
    sid = new_session(capsys)
    for argv in (["admin", "grant", sid[:8], "50"], ["admin", "unlock"]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "Admin mode is not configured" in err and "Traceback" not in err
    assert ledger_rows("SELECT count(*) FROM entries") == [(0,)]


def test_grant_gives_credits_by_unique_prefix_as_one_audited_entry(home, capsys, monkeypatch):
    monkeypatch.setenv("VERSELIGHT_ADMIN_PASSWORD", PASSWORD)
    sid = new_session(capsys)
    assert main(["admin", "grant", sid[:8], "250", "--note", "launch\x1b[2J gift"]) == 0
    out = capsys.readouterr().out
    assert f"Granted 250 credits to session {sid[:8]}" in out and "balance is now 250" in out
    assert ledger_rows("SELECT session_id, kind, amount, note FROM entries") == [
        (sid, "grant", 250, "launch [2J gift")  # the escape character is gone
    ]
    (entry,) = [e for e in audit_events() if e.event == "admin_grant"]
    assert entry.session_id == sid
    assert entry.detail["credits"] == 250 and entry.detail["by"] == "environment"
    assert main(["session", "show"]) == 0
    assert "balance   250 credits" in capsys.readouterr().out
    assert main(["ledger", "--verify"]) == 0


@pytest.mark.parametrize(
    "credits", ["0", "-5", "1000001", "99999999999999999999", "abc", "1e3", "٣"]
)
def test_grant_bounds_credits(home, capsys, monkeypatch, credits):
    monkeypatch.setenv("VERSELIGHT_ADMIN_PASSWORD", PASSWORD)
    sid = new_session(capsys)
    assert main(["admin", "grant", sid[:8], credits]) == 2
    err = capsys.readouterr().err
    assert "CREDITS must be a whole number from 1 to 1,000,000" in err and "Traceback" not in err
    assert ledger_rows("SELECT count(*) FROM entries") == [(0,)]


def test_grant_names_unknown_short_and_ambiguous_sessions(home, capsys, monkeypatch):
    monkeypatch.setenv("VERSELIGHT_ADMIN_PASSWORD", PASSWORD)
    new_session(capsys)
    ledger = Ledger.open(load_config().paths.ledger_db)
    for sid in ("abcdef01" + "0" * 24, "abcdef01" + "1" * 24):
        ledger.conn.execute(
            "INSERT INTO sessions (id, created_at, last_seen_at) VALUES (?, 'x', 'x')", (sid,)
        )
    ledger.close()
    cases = {
        "0123456789abcdef": "No session 01234567... in the ledger.",
        "abc": "first 8 or more characters",
        "not-hex!": "first 8 or more characters",
        "abcdef01": "More than one session starts with abcdef01",
    }
    for prefix, sentence in cases.items():
        assert main(["admin", "grant", prefix, "5"]) == 1
        err = capsys.readouterr().err
        assert sentence in err and "Traceback" not in err, err
    assert main(["admin", "grant", "ABCDEF011", "5"]) == 0  # unique once longer; any case
    assert ledger_rows("SELECT session_id, amount FROM entries") == [("abcdef01" + "1" * 24, 5)]


def lock_out(sid: str) -> None:
    config = load_config()
    ledger = Ledger.open(config.paths.ledger_db)
    try:
        gate = AdminGate(ledger, Verifier.from_config(config))
        for _ in range(5):
            gate.login(sid, "wrong")
        assert gate.is_locked() is not None
    finally:
        ledger.close()


def is_locked() -> bool:
    config = load_config()
    ledger = Ledger.open(config.paths.ledger_db)
    try:
        return AdminGate(ledger, Verifier.from_config(config)).is_locked() is not None
    finally:
        ledger.close()


def test_unlock_with_the_environment_password_clears_the_lock(home, capsys, monkeypatch):
    monkeypatch.setenv("VERSELIGHT_ADMIN_PASSWORD", PASSWORD)
    sid = new_session(capsys)
    lock_out(sid)
    assert main(["admin", "unlock"]) == 0
    assert "Admin login is unlocked" in capsys.readouterr().out
    assert not is_locked()
    unlocks = [e for e in audit_events() if e.event == "admin_unlock"]
    assert len(unlocks) == 1 and unlocks[0].detail["by"] == "environment"
    assert unlocks[0].detail["lockouts"] == 1


def write_hash(home: Path) -> None:
    (home / "config").mkdir(exist_ok=True)
    (home / "config" / "config.toml").write_text(
        f'admin_password_hash = "{hash_password(PASSWORD, n=2**10)}"\n'
    )


def test_unlock_by_whoever_can_write_the_config_file(home, capsys):
    write_hash(home)
    sid = new_session(capsys)
    lock_out(sid)
    assert main(["admin", "unlock"]) == 0
    assert not is_locked()
    (entry,) = [e for e in audit_events() if e.event == "admin_unlock"]
    assert entry.detail["by"] == "config file"


def run_with_read_only_config(home: Path, argv: list[str], password: str):
    """The CLI in a private mount namespace where the config folder is a read-only bind
    mount: the caller can read the hash but not change it, so it must know the password."""
    config = home / "config"
    command = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "cli", *argv])
    script = (
        f"mount --bind {shlex.quote(str(config))} {shlex.quote(str(config))} && "
        f"mount -o remount,bind,ro {shlex.quote(str(config))} && exec {command}"
    )
    env = {**os.environ, "VERSELIGHT_HOME": str(home)}
    env.pop("VERSELIGHT_ADMIN_PASSWORD", None)
    return subprocess.run(
        ["unshare", "--map-root-user", "--mount", "sh", "-c", script],
        cwd=ROOT,
        env=env,
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_unlock_and_grant_ask_for_the_password_when_the_config_is_read_only(home, capsys):
    write_hash(home)
    sid = new_session(capsys)
    lock_out(sid)
    wrong = run_with_read_only_config(home, ["admin", "unlock"], "not it")
    assert wrong.returncode == 1, wrong
    assert "That is not the admin password; nothing was changed." in wrong.stderr
    assert "Traceback" not in wrong.stderr and is_locked()
    refused = [e for e in audit_events() if e.event == "admin_operator_refused"]
    assert [e.detail for e in refused] == [{"command": "unlock"}]

    right = run_with_read_only_config(home, ["admin", "unlock"], PASSWORD)
    assert right.returncode == 0, right
    assert not is_locked()
    (entry,) = [e for e in audit_events() if e.event == "admin_unlock"]
    assert entry.detail["by"] == "password"

    granted = run_with_read_only_config(home, ["admin", "grant", sid[:8], "9"], PASSWORD)
    assert granted.returncode == 0, granted
    assert ledger_rows("SELECT amount FROM entries") == [(9,)]


def test_admin_help_says_who_may_grant_and_unlock(capsys):
    for argv in (["admin", "--help"], ["admin", "grant", "--help"], ["admin", "unlock", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        out = " ".join(capsys.readouterr().out.split())
        assert "VERSELIGHT_ADMIN_PASSWORD" in out and "write the config file" in out


def test_password_from_stdin_when_not_a_terminal(monkeypatch):
    from cli.account import _ask_password

    monkeypatch.setattr(sys, "stdin", io.StringIO("typed in\n"))
    assert _ask_password() == "typed in"
