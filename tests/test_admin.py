"""Admin mode: password hashing, the persisted lockout timeline, sticky admin, the audit log.

Real SQLite files in tmp_path and a settable clock; no mocks and no sleeps. The gate tests use
a cheaper scrypt cost (n=2**10) only to keep the many attempts quick: the code path is the same.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.admin import audit
from core.admin.gate import AdminGate, LoginResult, format_duration, lock_duration
from core.admin.passwords import (
    MAX_PASSWORD_CHARS,
    AdminConfigError,
    AdminError,
    AdminNotConfigured,
    PasswordTooLong,
    Verifier,
    hash_password,
    verify_password,
)
from core.billing.ledger import Ledger, UnknownSession
from core.config import Config, Paths
from storage import admin as store
from storage import ledger as db
from tests.clock import ManualClock

PASSWORD = "correct horse battery staple"
WRONG = "hunter2-not-it"
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock_start() -> datetime:
    return START


class CountingVerifier(Verifier):
    """A real verifier that also counts how often a password was actually checked."""

    checks: list[int]

    def __init__(self, encoded: str) -> None:
        super().__init__(encoded)
        object.__setattr__(self, "checks", [0])

    def check(self, password: str) -> bool:
        self.checks[0] += 1
        return super().check(password)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.sqlite"


@pytest.fixture
def ledger(db_path: Path, clock: ManualClock) -> Ledger:
    ledger = Ledger.open(db_path, clock=clock)
    db.create_session(ledger.conn, "sessionA-0001", clock())
    db.create_session(ledger.conn, "sessionB-0002", clock())
    return ledger


@pytest.fixture(scope="module")
def cheap_hash() -> str:
    return hash_password(PASSWORD, n=2**10)


@pytest.fixture
def gate(ledger: Ledger, cheap_hash: str) -> AdminGate:
    return AdminGate(ledger, CountingVerifier(cheap_hash))


def fail(
    gate: AdminGate, times: int, sid: str = "sessionA-0001", *, tick: bool = True
) -> LoginResult:
    """``times`` wrong passwords, each one second after the last unless ``tick`` is False
    (real attempts take tens of milliseconds of scrypt, so real times always move on)."""
    clock = gate.ledger.clock
    assert isinstance(clock, ManualClock)
    result = None
    for _ in range(times):
        if tick:
            clock.advance(seconds=1)
        result = gate.login(sid, WRONG)
    assert result is not None
    return result


# passwords -----------------------------------------------------------------------------------


def test_hash_and_verify_round_trip() -> None:
    encoded = hash_password(PASSWORD)
    assert encoded.startswith("scrypt$16384$8$1$")
    _, _, _, _, salt, key = encoded.split("$")
    assert len(base64.b64decode(salt)) == 16
    assert len(base64.b64decode(key)) == 32
    assert verify_password(PASSWORD, encoded)
    assert not verify_password(WRONG, encoded)
    assert not verify_password(PASSWORD + " ", encoded)
    assert not verify_password("", encoded)


def test_same_password_hashes_differently_each_time() -> None:
    first, second = hash_password(PASSWORD, n=2**10), hash_password(PASSWORD, n=2**10)
    assert first != second
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "not a hash",
        "bcrypt$16384$8$1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
        "scrypt$16384$8$1$c2FsdHNhbHRzYWx0",
        "scrypt$abc$8$1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
        "scrypt$1000$8$1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
        "scrypt$16384$8$1$%%%not-base64%%%$a2V5a2V5a2V5a2V5a2V5a2V5",
        "scrypt$16384$8$1$c2FsdA==$a2V5a2V5a2V5a2V5a2V5a2V5",
        "scrypt$1048576$1024$1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
    ],
)
def test_malformed_hashes_are_refused_with_a_sentence(encoded: str) -> None:
    with pytest.raises(AdminConfigError) as err:
        verify_password(PASSWORD, encoded)
    message = str(err.value)
    assert message.endswith(".") and "`verselight admin hash`" in message
    with pytest.raises(AdminConfigError):
        Verifier(encoded)


def test_verify_uses_the_parameters_written_in_the_hash() -> None:
    # A hash made elsewhere with other parameters (n=2**12, r=4, p=2, 24-byte key).
    salt = b"0123456789abcdef"
    key = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**12, r=4, p=2, dklen=24)
    encoded = f"scrypt$4096$4$2${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"
    assert verify_password(PASSWORD, encoded)
    assert not verify_password(WRONG, encoded)
    # The same salt and key read with other parameters no longer match.
    assert not verify_password(PASSWORD, encoded.replace("scrypt$4096$4$2$", "scrypt$4096$4$1$"))
    assert not verify_password(PASSWORD, encoded.replace("scrypt$4096$", "scrypt$2048$"))


def test_password_length_is_bounded() -> None:
    encoded = hash_password(PASSWORD, n=2**10)
    assert not verify_password("x" * (MAX_PASSWORD_CHARS + 1), encoded)
    long_ok = "y" * MAX_PASSWORD_CHARS
    assert verify_password(long_ok, hash_password(long_ok, n=2**10))
    with pytest.raises(PasswordTooLong):
        hash_password("x" * (MAX_PASSWORD_CHARS + 1))
    with pytest.raises(AdminError):
        hash_password("")


# verifier from config ------------------------------------------------------------------------


def _config(tmp_path: Path, password: str | None = None, hashed: str | None = None) -> Config:
    paths = Paths(tmp_path / "config", tmp_path / "data", tmp_path / "state")
    return Config(paths=paths, admin_password=password, admin_password_hash=hashed)


def test_verifier_from_env_password_is_hashed_once_with_a_random_salt(tmp_path: Path) -> None:
    config = _config(tmp_path, password=PASSWORD)
    first, second = Verifier.from_config(config), Verifier.from_config(config)
    assert first.encoded.startswith("scrypt$16384$8$1$")
    assert PASSWORD not in first.encoded
    assert first.encoded != second.encoded
    assert first.check(PASSWORD) and not first.check(WRONG)
    assert PASSWORD not in repr(first)


def test_verifier_from_configured_hash(tmp_path: Path) -> None:
    encoded = hash_password(PASSWORD, n=2**10)
    verifier = Verifier.from_config(_config(tmp_path, hashed=encoded))
    assert verifier.encoded == encoded
    assert verifier.check(PASSWORD) and not verifier.check(WRONG)


def test_env_password_wins_over_the_configured_hash(tmp_path: Path) -> None:
    other = hash_password("something else", n=2**10)
    verifier = Verifier.from_config(_config(tmp_path, password=PASSWORD, hashed=other))
    assert verifier.check(PASSWORD) and not verifier.check("something else")


def test_verifier_not_configured_says_how(tmp_path: Path) -> None:
    with pytest.raises(AdminNotConfigured) as err:
        Verifier.from_config(_config(tmp_path))
    message = str(err.value)
    assert "VERSELIGHT_ADMIN_PASSWORD" in message
    assert 'admin_password_hash = "..."' in message
    assert "`verselight admin hash`" in message


def test_verifier_with_a_malformed_configured_hash_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(AdminConfigError):
        Verifier.from_config(_config(tmp_path, hashed="scrypt$oops"))


# the lockout timeline ------------------------------------------------------------------------


def test_four_failures_leave_one_try(gate: AdminGate) -> None:
    first = fail(gate, 1)
    assert not first.ok and first.locked_for is None
    assert first.message == "Wrong password. 4 tries left before admin login locks for 1 h."
    result = fail(gate, 3)
    assert not result.ok and result.locked_for is None
    assert result.message == "Wrong password. 1 try left before admin login locks for 1 h."
    assert gate.is_locked() is None


def test_fifth_failure_within_15_minutes_locks_for_an_hour(
    gate: AdminGate, clock: ManualClock
) -> None:
    fail(gate, 2)
    clock.advance(minutes=7)
    fail(gate, 2)
    clock.advance(minutes=7)
    result = fail(gate, 1, sid="sessionB-0002")  # the lock is global, not per session
    assert not result.ok
    assert result.locked_for == timedelta(hours=1)
    assert "now locked for 1 h" in result.message
    assert gate.is_locked() == timedelta(hours=1)
    clock.advance(minutes=1)
    assert gate.is_locked() == timedelta(minutes=59)


def test_while_locked_even_the_right_password_is_refused_unchecked(
    gate: AdminGate, ledger: Ledger, clock: ManualClock
) -> None:
    fail(gate, 5)
    assert isinstance(gate.verifier, CountingVerifier)
    checked = gate.verifier.checks[0]
    clock.advance(minutes=1)
    result = gate.login("sessionA-0001", PASSWORD)
    assert not result.ok
    assert result.locked_for == timedelta(minutes=59)
    assert result.message == "Admin login is locked for 59 min after too many wrong passwords."
    assert gate.verifier.checks[0] == checked  # the password was not even looked at
    assert not _session(ledger, "sessionA-0001").is_admin
    attempts = ledger.conn.execute("SELECT count(*) FROM admin_attempts").fetchone()[0]
    assert attempts == 5  # a refused attempt is not a failure and does not count


def test_lock_doubles_per_lockout_up_to_24_hours(gate: AdminGate, clock: ManualClock) -> None:
    expected = [1, 2, 4, 8, 16, 24, 24]
    for hours in expected:
        result = fail(gate, 4)
        assert result.locked_for is None, "the previous lockout's failures must not count again"
        result = fail(gate, 1)
        assert result.locked_for == timedelta(hours=hours)
        clock.advance(hours=hours - 1, minutes=59)
        assert gate.is_locked() == timedelta(minutes=1)
        assert gate.login("sessionA-0001", PASSWORD).locked_for == timedelta(minutes=1)
        clock.advance(minutes=1)
        assert gate.is_locked() is None
    assert [lock_duration(n) for n in range(1, 9)] == [
        timedelta(hours=h) for h in [1, 2, 4, 8, 16, 24, 24, 24]
    ]
    assert lock_duration(10**6) == timedelta(hours=24)


def test_next_lock_length_is_announced(gate: AdminGate, clock: ManualClock) -> None:
    fail(gate, 5)
    clock.advance(hours=1)
    result = fail(gate, 1)
    assert result.message == "Wrong password. 4 tries left before admin login locks for 2 h."


def test_failures_spread_over_more_than_15_minutes_do_not_lock(
    gate: AdminGate, clock: ManualClock
) -> None:
    for _ in range(12):
        result = fail(gate, 1)
        assert result.locked_for is None
        clock.advance(minutes=4)  # at most 4 failures in any 15 minutes
    assert gate.is_locked() is None


def test_a_success_after_a_lockout_resets_the_doubling(
    gate: AdminGate, ledger: Ledger, clock: ManualClock
) -> None:
    fail(gate, 5)
    clock.advance(hours=1)
    assert fail(gate, 5).locked_for == timedelta(hours=2)
    clock.advance(hours=2)
    fail(gate, 4)
    clock.advance(seconds=1)
    assert gate.login("sessionA-0001", PASSWORD).ok
    lockout = store.get_lockout(ledger.conn)
    assert lockout.lockouts == 0 and lockout.locked_until is None
    assert lockout.counting_from == clock()
    # The 4 failures before the success do not count: 5 new ones are needed, and lock 1 h.
    assert fail(gate, 4).locked_for is None
    assert fail(gate, 1).locked_for == timedelta(hours=1)


def test_a_clock_frozen_or_stepped_back_still_counts_failures(
    gate: AdminGate, ledger: Ledger, clock: ManualClock
) -> None:
    assert gate.login("sessionA-0001", PASSWORD).ok
    # Frozen: every attempt reads the same instant as the success that reset the count.
    assert fail(gate, 4, tick=False).locked_for is None
    assert fail(gate, 1, tick=False).locked_for == timedelta(hours=1)
    clock.advance(hours=2)
    assert gate.login("sessionA-0001", PASSWORD).ok
    # Stepped back a day after a success: the failures are still placed after it and count.
    clock.advance(days=-1)
    assert fail(gate, 5).locked_for == timedelta(hours=1)
    times = [r[0] for r in ledger.conn.execute("SELECT at FROM admin_attempts ORDER BY id")]
    assert times == sorted(times) and len(set(times)) == len(times)


def test_a_restart_keeps_the_lock(gate: AdminGate, db_path: Path, clock: ManualClock) -> None:
    fail(gate, 5)
    clock.advance(hours=1)
    fail(gate, 5)  # second lockout: 2 h
    gate.ledger.close()
    clock.advance(minutes=30)
    reopened = Ledger.open(db_path, clock=clock)
    again = AdminGate(reopened, Verifier(hash_password(PASSWORD, n=2**10)))
    assert again.is_locked() == timedelta(hours=1, minutes=30)
    result = again.login("sessionA-0001", PASSWORD)
    assert not result.ok and result.locked_for == timedelta(hours=1, minutes=30)
    clock.advance(hours=1, minutes=30)
    assert fail(again, 5).locked_for == timedelta(hours=4)  # the doubling survived too
    reopened.close()


def test_unknown_session_is_refused_before_anything_is_recorded(gate: AdminGate) -> None:
    with pytest.raises(UnknownSession):
        gate.login("no-such-session", PASSWORD)
    assert gate.ledger.conn.execute("SELECT count(*) FROM admin_attempts").fetchone()[0] == 0


# sticky admin --------------------------------------------------------------------------------


def _session(ledger: Ledger, sid: str) -> db.SessionRow:
    row = db.get_session(ledger.conn, sid)
    assert row is not None
    return row


def test_success_makes_the_session_admin_and_it_stays_admin(
    gate: AdminGate, ledger: Ledger, clock: ManualClock
) -> None:
    assert not _session(ledger, "sessionA-0001").is_admin
    result = gate.login("sessionA-0001", PASSWORD)
    assert result.ok and result.locked_for is None
    assert result.message == "Admin mode is on for this session."
    row = _session(ledger, "sessionA-0001")
    assert row.is_admin and row.admin_since == db.ts(START)
    assert not _session(ledger, "sessionB-0002").is_admin
    clock.advance(minutes=5)
    ledger.grant("sessionA-0001", 300, "welcome")
    assert _session(ledger, "sessionA-0001").is_admin
    ledger.adjust("sessionA-0001", -300, "back to zero")
    row = _session(ledger, "sessionA-0001")
    assert row.balance == 0 and row.is_admin and row.admin_since == db.ts(START)
    # Logging in again keeps the first admin_since.
    assert gate.login("sessionA-0001", PASSWORD).ok
    assert _session(ledger, "sessionA-0001").admin_since == db.ts(START)


# audit ---------------------------------------------------------------------------------------


def test_every_attempt_is_audited_without_the_password(gate: AdminGate, clock: ManualClock) -> None:
    fail(gate, 1, sid="sessionB-0002")
    assert gate.login("sessionA-0001", PASSWORD).ok
    fail(gate, 5)
    gate.login("sessionB-0002", PASSWORD)  # locked
    logged = list(reversed(audit.entries(gate.ledger, limit=100)))
    assert [(e.event, e.session_id) for e in logged] == [
        ("admin_login_failed", "sessionB-0002"),
        ("admin_login_ok", "sessionA-0001"),
        *[("admin_login_failed", "sessionA-0001")] * 5,
        ("admin_login_locked", "sessionB-0002"),
    ]
    assert logged[0].detail == {"failures": 1, "tries_left": 4}
    assert logged[-2].detail == {"failures": 5, "lockout": 1, "locked_for_min": 60}
    assert all(START < e.at <= clock() for e in logged)
    raw = gate.ledger.conn.execute("SELECT group_concat(detail, '|') FROM audit").fetchone()[0]
    stored = "\n".join(
        str(row) for table in ("audit", "admin_attempts", "admin_lockout", "sessions")
        for row in gate.ledger.conn.execute(f"SELECT * FROM {table}")
    )  # fmt: skip
    for secret in (PASSWORD, WRONG):
        assert secret not in raw and secret not in stored


def test_record_and_format(ledger: Ledger, clock: ManualClock) -> None:
    audit.record(ledger, "admin_generation", "sessionA-0001", image="img-1", credits=0)
    clock.advance(seconds=90)
    audit.record(ledger, "admin_unlock", None)
    stored = ledger.conn.execute("SELECT detail FROM audit ORDER BY id").fetchall()
    assert stored == [('{"credits":0,"image":"img-1"}',), ("",)]
    items = audit.entries(ledger, limit=10)
    assert [e.event for e in items] == ["admin_unlock", "admin_generation"]
    assert items[1].detail == {"credits": 0, "image": "img-1"}
    assert items[1].at == START
    assert audit.format_audit(items) == [
        "2026-03-01 12:01:30Z  admin_unlock          -",
        "2026-03-01 12:00:00Z  admin_generation      sessionA  credits=0 image=img-1",
    ]
    assert len(audit.entries(ledger, limit=1)) == 1


def test_audit_refuses_secret_keys_and_reads_plain_text(ledger: Ledger, clock: ManualClock) -> None:
    with pytest.raises(ValueError):
        audit.record(ledger, "oops", None, password=PASSWORD)
    assert ledger.conn.execute("SELECT count(*) FROM audit").fetchone()[0] == 0
    with db.transaction(ledger.conn):
        db.audit(ledger.conn, "legacy", "sessionB-0002", "made by hand", clock())
    (item,) = audit.entries(ledger)
    assert item.detail == {"text": "made by hand"}
    assert audit.format_audit([item])[0].endswith('text="made by hand"')
    assert json.loads(audit.encode_detail({"b": [1, 2], "a": "x"})) == {"a": "x", "b": [1, 2]}


def test_unlock_clears_the_lock_and_is_audited(gate: AdminGate) -> None:
    fail(gate, 5)
    gate.unlock(by="operator")
    assert gate.is_locked() is None
    assert fail(gate, 4).locked_for is None  # the failures before the unlock no longer count
    (entry,) = [e for e in audit.entries(gate.ledger) if e.event == "admin_unlock"]
    assert entry.session_id == "operator" and entry.detail["lockouts"] == 1


def test_format_duration() -> None:
    assert format_duration(timedelta(seconds=1)) == "1 min"
    assert format_duration(timedelta(minutes=58, seconds=30)) == "59 min"
    assert format_duration(timedelta(minutes=59, seconds=59)) == "1 h"
    assert format_duration(timedelta(hours=2, minutes=30)) == "2 h 30 min"
    assert format_duration(timedelta(hours=24)) == "24 h"
