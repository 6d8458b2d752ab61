"""`verselight session`, `ledger` and `admin`, run through the real command-line entry point."""

from __future__ import annotations

import io
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main
from core.billing.ledger import Ledger
from core.config import load_config

ROOT = Path(__file__).resolve().parent.parent
# CLI subprocesses: one at a time (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("serial")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VERSELIGHT_HOME", str(tmp_path))
    for name in ("VERSELIGHT_SESSION_SECRET", "VERSELIGHT_ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def session_id(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["session", "show"]) == 0
    out = capsys.readouterr().out
    return out.split()[1]


def test_session_show_never_prints_the_token_or_secret(home, capsys):
    assert main(["session", "show"]) == 0
    out, err = capsys.readouterr()
    token = (home / "state" / "session.token").read_text().strip()
    secret = (home / "data" / "session.secret").read_text().strip()
    for text in (out, err):
        assert token not in text and secret not in text
    assert "tier      free" in out and "available 0 credits" in out
    for name in ("state/session.token", "data/session.secret"):
        assert stat.S_IMODE((home / name).stat().st_mode) == 0o600


def test_session_moves_with_its_credits_to_another_terminal(home, tmp_path_factory, capsys):
    short = session_id(capsys)
    ledger = Ledger.open(home / "data" / "ledger.sqlite")
    (sid,) = [r[0] for r in ledger.conn.execute("SELECT id FROM sessions")]
    assert sid.startswith(short)
    ledger.grant(sid, 120, "test")
    ledger.close()

    exported = tmp_path_factory.mktemp("usb") / "my.session"
    assert main(["session", "export", str(exported)]) == 0
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    capsys.readouterr()

    # The other terminal: the same installation (data dir) but its own state dir, no token.
    (home / "state" / "session.token").rename(home / "other-terminal.token")
    assert session_id(capsys) != short  # a fresh session there...
    assert main(["session", "import", str(exported)]) == 0  # ...until the import
    assert f"now uses session {short}" in capsys.readouterr().out
    assert main(["session", "show"]) == 0
    out = capsys.readouterr().out
    assert short in out and "balance   120 credits" in out


def sid_in(token_file: Path) -> str:
    """The session a token file names (each run re-issues the token, so compare sessions)."""
    import jwt

    claims = jwt.decode(token_file.read_text().strip(), options={"verify_signature": False})
    sid: str = claims["sid"]
    return sid


def test_importing_a_bad_file_changes_nothing(home, capsys):
    session_id(capsys)
    token_file = home / "state" / "session.token"
    before = token_file.read_bytes()
    bad = home / "bad.session"
    bad.write_text(before.decode()[:-5] + "AAAAA")
    assert main(["session", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("verselight: ") and "Traceback" not in err
    assert sid_in(token_file) == sid_in(bad)
    assert main(["session", "import", str(home / "missing.session")]) == 2
    assert sid_in(token_file) == sid_in(bad)


def test_export_refuses_to_overwrite(home, capsys):
    session_id(capsys)
    target = home / "exists.session"
    target.write_text("keep me")
    assert main(["session", "export", str(target)]) == 2
    assert target.read_text() == "keep me"


def test_ledger_history_and_verify(home, capsys):
    short = session_id(capsys)
    ledger = Ledger.open(home / "data" / "ledger.sqlite")
    (sid,) = [r[0] for r in ledger.conn.execute("SELECT id FROM sessions")]
    ledger.grant(sid, 40, "welcome")
    hold = ledger.place_hold(sid, 9)
    ledger.close()
    assert main(["ledger"]) == 0
    out = capsys.readouterr().out
    assert f"Session {short} (paid): balance 40, held 9, available 31" in out
    assert "grant" in out and "+40" in out and "welcome" in out
    assert main(["ledger", "--verify"]) == 0
    assert "All ledger invariants hold." in capsys.readouterr().out
    assert hold.amount == 9


def test_ledger_verify_names_broken_rows_and_exits_1(home, capsys):
    session_id(capsys)
    conn = Ledger.open(home / "data" / "ledger.sqlite").conn
    # Break the books the way a bug or a hand edit would: the stored balance disagrees.
    conn.execute("DROP TRIGGER entries_balance")
    conn.execute(
        "INSERT INTO entries (session_id, kind, amount, note, created_at)"
        " SELECT id, 'grant', 5, 'x', '2026-01-01' FROM sessions"
    )
    conn.close()
    assert main(["ledger", "--verify"]) == 1
    out = capsys.readouterr().out
    assert "BAD  balance is the sum of the session's entries" in out
    assert "stored balance 0, entries sum to 5" in out


def test_ledger_audit_lists_admin_logins(home, capsys, monkeypatch):
    from core.admin.gate import AdminGate
    from core.admin.passwords import Verifier

    monkeypatch.setenv("VERSELIGHT_ADMIN_PASSWORD", "correct horse battery staple")
    session_id(capsys)
    config = load_config()
    ledger = Ledger.open(config.paths.ledger_db)
    (sid,) = [r[0] for r in ledger.conn.execute("SELECT id FROM sessions")]
    gate = AdminGate(ledger, Verifier.from_config(config))
    gate.login(sid, "nope")
    gate.login(sid, "correct horse battery staple")
    ledger.close()
    assert main(["ledger", "--audit"]) == 0
    out = capsys.readouterr().out
    assert "admin_login_failed" in out and "admin_login_ok" in out
    assert "correct horse" not in out


def test_admin_hash_reads_stdin_and_the_hash_verifies(home, capsys, monkeypatch):
    from core.admin.passwords import verify_password

    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    assert main(["admin", "hash"]) == 0
    encoded = capsys.readouterr().out.strip()
    assert verify_password("a long enough password", encoded)
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["admin", "hash"]) == 2


def test_a_short_session_secret_refuses_to_start(home, monkeypatch, capsys):
    monkeypatch.setenv("VERSELIGHT_SESSION_SECRET", "too short")
    assert main(["session", "show"]) == 1
    err = capsys.readouterr().err
    assert "at least 32 bytes" in err and "too short" not in err


def test_unusable_ledger_says_so_in_one_line(home, capsys):
    (home / "data").mkdir()
    junk = b"\x00junk" * 100
    (home / "data" / "ledger.sqlite").write_bytes(junk)
    assert main(["session", "show"]) == 1
    err = capsys.readouterr().err
    assert "cannot be used" in err and "Traceback" not in err
    assert (home / "data" / "ledger.sqlite").read_bytes() == junk


def test_commands_run_as_a_real_process(home):
    done = subprocess.run(
        [sys.executable, "-m", "cli", "ledger", "--verify"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"VERSELIGHT_HOME": str(home), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert "All ledger invariants hold." in done.stdout


def test_doctor_logs_to_a_private_file(home, capsys, monkeypatch):
    for name in ("VERSELIGHT_LND_HOST", "VERSELIGHT_LND_TLS_CERT", "VERSELIGHT_LND_MACAROON"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VERSELIGHT_PRICE_URLS", "coinbase=http://127.0.0.1:9")  # refused
    main(["doctor"])
    log = home / "state" / "verselight.log"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert "price source coinbase failed" in log.read_text()
    assert "price source" not in capsys.readouterr().err  # the log, not the terminal


# -- importing over a session that holds credits (issue 9, item 1) ---------------------------


def _two_sessions(home: Path, capsys, tmp_path_factory, credits: int, held: int = 0):
    """This terminal's session with ``credits`` (``held`` of them held), and another
    session exported to a file. Returns (this sid, exported file, other short id)."""
    other_short = session_id(capsys)
    exported = tmp_path_factory.mktemp("usb") / "other.session"
    assert main(["session", "export", str(exported)]) == 0
    capsys.readouterr()
    (home / "state" / "session.token").unlink()  # this terminal starts its own session
    short = session_id(capsys)
    ledger = Ledger.open(home / "data" / "ledger.sqlite")
    (sid,) = [
        r[0] for r in ledger.conn.execute("SELECT id FROM sessions WHERE id LIKE ?", (short + "%",))
    ]
    if credits:
        ledger.grant(sid, credits, "bought here, never exported")
    if held:
        ledger.place_hold(sid, held)
    ledger.close()
    capsys.readouterr()
    return sid, exported, other_short


def test_import_refuses_to_strand_the_current_sessions_credits(home, capsys, tmp_path_factory):
    sid, exported, _ = _two_sessions(home, capsys, tmp_path_factory, 50)
    token_file = home / "state" / "session.token"
    assert main(["session", "import", str(exported)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "holds 50 credits" in err and "`verselight session export FILE`" in err
    assert "--replace" in err
    assert sid_in(token_file) == sid  # still this terminal's session, credits reachable
    assert not (home / "state" / "session-backups").exists()


def test_import_refuses_when_only_held_credits_remain(home, capsys, tmp_path_factory):
    sid, exported, _ = _two_sessions(home, capsys, tmp_path_factory, 10, held=10)
    assert main(["session", "import", str(exported)]) == 2
    assert "holds 10 credits (10 of them held)" in capsys.readouterr().err
    assert sid_in(home / "state" / "session.token") == sid


def test_import_with_replace_backs_the_session_up_first(home, capsys, tmp_path_factory):
    sid, exported, other = _two_sessions(home, capsys, tmp_path_factory, 50)
    assert main(["session", "import", str(exported), "--replace"]) == 0
    out = capsys.readouterr().out
    assert f"now uses session {other}" in out
    (backup,) = (home / "state" / "session-backups").iterdir()
    assert str(backup) in out and sid[:8] in backup.name
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup.parent.stat().st_mode) == 0o700
    assert sid_in(backup) == sid
    # The backup brings the 50 credits back (the other session has none, so no refusal).
    assert main(["session", "import", str(backup)]) == 0
    capsys.readouterr()
    assert main(["session", "show"]) == 0
    assert "balance   50 credits" in capsys.readouterr().out


def test_import_over_an_empty_session_needs_no_flag(home, capsys, tmp_path_factory):
    _, exported, other = _two_sessions(home, capsys, tmp_path_factory, 0)
    assert main(["session", "import", str(exported)]) == 0
    assert f"now uses session {other}" in capsys.readouterr().out
    assert not (home / "state" / "session-backups").exists()


def test_import_help_documents_replace(capsys):
    with pytest.raises(SystemExit):
        main(["session", "import", "--help"])
    out = capsys.readouterr().out
    assert "--replace" in out and "backup" in out


@pytest.mark.parametrize(
    "change",
    [{"exp": -(10**20)}, {"exp": 10**20}, {"iat": 4_000_000_000, "exp": 4_100_000_000}],
    ids=["exp -10**20", "exp 10**20", "iat in 2096"],
)
def test_session_show_with_absurd_times_in_a_signed_token_starts_afresh(home, capsys, change):
    import jwt

    old = session_id(capsys)
    secret = (home / "data" / "session.secret").read_bytes().strip()
    token_file = home / "state" / "session.token"
    claims = jwt.decode(token_file.read_text().strip(), secret, algorithms=["HS256"])
    claims.update(change)
    token_file.write_text(jwt.encode(claims, secret, algorithm="HS256"))
    assert main(["session", "show"]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert "A new session was started." in err
    assert out.split()[1] != old[:8]


@pytest.mark.parametrize("limit", ["99999999999999999999", "0", "-5"])
def test_ledger_limit_out_of_range_is_one_usage_line(home, capsys, limit):
    assert main(["ledger", "--limit", limit]) == 2
    assert main(["ledger", "--audit", "--limit", limit]) == 2
    err = capsys.readouterr().err
    assert (
        err.splitlines() == ["verselight: --limit must be a whole number from 1 to 1,000,000."] * 2
    )
