"""Anonymous sessions (DESIGN 4): secret, tokens, resume, export/import, tiers.

Real files in tmp_path, a real ledger, an injected clock; no mocks. Every bad token must give a
fresh session and a notice naming the cause, never the old session id or the token.
"""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.account import Account
from core.billing.ledger import Ledger
from core.config import Config, ConfigError, Paths, load_config
from core.sessions.files import publish_private
from core.sessions.manager import export_session, import_session, resume
from core.sessions.secret import SecretError, load_secret
from core.sessions.tiers import Refusal, Tier, spend_refusal, tier_of
from core.sessions.tokens import SessionError, TokenProblem, issue, read
from storage import ledger as db
from tests.clock import ManualClock

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
OTHER_SECRET = b"another-installation-secret-0123456789abcdef"


@pytest.fixture
def clock_start() -> datetime:
    return START


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64json(obj: object) -> str:
    return b64(json.dumps(obj, separators=(",", ":")).encode())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def config_for(home: Path, **env: str) -> Config:
    return load_config(env={"VERSELIGHT_HOME": str(home), **env})


def second_terminal(config: Config, tmp_path: Path) -> Config:
    """Another terminal of the same installation: same data dir, its own state dir."""
    paths = Paths(config.paths.config_dir, config.paths.data_dir, tmp_path / "state-b")
    return load_config(env={}, paths=paths)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return config_for(tmp_path / "home")


@pytest.fixture
def ledger(tmp_path: Path, clock: ManualClock) -> Iterator[Ledger]:
    led = Ledger.open(tmp_path / "ledger.sqlite", clock=clock)
    yield led
    led.close()


@dataclass
class Established:
    sid: str
    token: str
    secret: bytes


@pytest.fixture
def established(config: Config, ledger: Ledger, clock: ManualClock) -> Established:
    """A terminal that already has a session and its token."""
    first = resume(config, ledger, clock)
    assert first.new and first.notice is None
    token = config.paths.token_file.read_text().strip()
    return Established(first.session_id, token, load_secret(config))


# secret -----------------------------------------------------------------------------------------


def test_secret_is_created_once_with_mode_600(config: Config) -> None:
    first = load_secret(config)
    assert len(first) >= 32
    assert mode(config.paths.secret_file) == 0o600
    assert load_secret(config) == first
    assert config.paths.secret_file.read_bytes() == first


def test_secret_file_is_600_even_with_a_permissive_umask(config: Config) -> None:
    old = os.umask(0)
    try:
        load_secret(config)
    finally:
        os.umask(old)
    assert mode(config.paths.secret_file) == 0o600


def test_env_secret_wins_and_no_file_is_made(tmp_path: Path) -> None:
    secret = "e" * 32
    config = config_for(tmp_path, VERSELIGHT_SESSION_SECRET=secret)
    assert load_secret(config) == secret.encode()
    assert not config.paths.secret_file.exists()


def test_env_secret_shorter_than_32_bytes_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        config_for(tmp_path, VERSELIGHT_SESSION_SECRET="x" * 31)


@pytest.mark.parametrize("loose", [0o644, 0o640, 0o604, 0o660])
def test_group_or_world_readable_secret_is_refused(config: Config, loose: int) -> None:
    secret = load_secret(config)
    config.paths.secret_file.chmod(loose)
    with pytest.raises(SecretError, match="chmod 600") as caught:
        load_secret(config)
    assert secret.decode() not in str(caught.value)
    assert config.paths.secret_file.read_bytes() == secret  # not replaced


def test_short_secret_file_is_refused_not_replaced(config: Config) -> None:
    path = config.paths.secret_file
    path.parent.mkdir(parents=True)
    path.write_bytes(b"too short")
    path.chmod(0o600)
    with pytest.raises(SecretError, match="at least 32") as caught:
        load_secret(config)
    assert "delete it" in str(caught.value)
    assert path.read_bytes() == b"too short"


def test_empty_secret_file_is_refused_not_replaced(config: Config) -> None:
    path = config.paths.secret_file
    path.parent.mkdir(parents=True)
    path.touch(mode=0o600)
    with pytest.raises(SecretError):
        load_secret(config)
    assert path.read_bytes() == b""


def test_unreadable_secret_is_refused(config: Config) -> None:
    config.paths.secret_file.mkdir(parents=True)  # a folder where the file should be
    with pytest.raises(SecretError, match="cannot be read"):
        load_secret(config)


def test_oversized_secret_file_is_refused(config: Config) -> None:
    path = config.paths.secret_file
    path.parent.mkdir(parents=True)
    path.write_bytes(b"s" * 10_000)
    path.chmod(0o600)
    with pytest.raises(SecretError, match="larger than"):
        load_secret(config)


@pytest.mark.parametrize("kind", ["fifo", "dev zero"])
def test_secret_that_is_a_fifo_or_device_is_refused_without_blocking(
    config: Config, kind: str
) -> None:
    path = config.paths.secret_file
    path.parent.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(path, 0o600)
    else:
        path.symlink_to("/dev/zero")
    with pytest.raises(SecretError, match="it is not a regular file"):
        load_secret(config)
    assert not path.is_file()  # never replaced by a new secret


def test_publish_private_never_replaces_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "f"
    assert publish_private(path, b"first")
    assert not publish_private(path, b"second")
    assert path.read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def _race_worker(home: str, ready: object, start: object, out: object) -> None:
    config = config_for(Path(home))
    ready.put(True)  # type: ignore[attr-defined]
    start.wait()  # type: ignore[attr-defined]
    out.put(load_secret(config))  # type: ignore[attr-defined]


@pytest.mark.xdist_group("serial")  # timed or process-heavy (tests/conftest.py)
def test_processes_racing_to_create_the_secret_share_one(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready, start, out = ctx.Queue(), ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_race_worker, args=(str(tmp_path / "home"), ready, start, out))
        for _ in range(8)
    ]
    for p in procs:
        p.start()
    for _ in procs:  # every worker is imported and waiting, so they really start together
        ready.get(timeout=60)
    start.set()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert len(set(results)) == 1
    assert config_for(tmp_path / "home").paths.secret_file.read_bytes() == results[0]


# tokens -----------------------------------------------------------------------------------------

SID = "0123456789abcdef0123456789abcdef"
SECRET = b"s" * 32


def test_issue_and_read_round_trip() -> None:
    token = issue(SID, SECRET, START, timedelta(days=90))
    claims = read(token, SECRET, START + timedelta(days=89))
    assert claims.sid == SID
    assert claims.iat == int(START.timestamp())
    assert claims.exp == claims.iat + 90 * 86400
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_tokens_are_the_ones_pyjwt_writes_and_reads() -> None:
    token = issue(SID, SECRET, START, timedelta(days=90))
    iat = int(START.timestamp())
    claims = {"sid": SID, "iat": iat, "exp": iat + 90 * 86400}
    assert token == jwt.encode(claims, SECRET, algorithm="HS256")
    assert jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False}) == claims
    assert read(jwt.encode(claims, SECRET, algorithm="HS256"), SECRET, START).sid == SID


def test_a_header_nested_thousands_deep_is_damaged_not_a_crash() -> None:
    header = b64(b"[" * 2900 + b"]" * 2900)  # within MAX_TOKEN_CHARS
    token = f"{header}.{b64(b'{}')}.{'A' * 43}"
    with pytest.raises(TokenProblem) as caught:
        read(token, SECRET, START)
    assert caught.value.kind == "malformed"


def test_issue_refuses_bad_sid_and_empty_ttl() -> None:
    with pytest.raises(ValueError):
        issue("not-a-sid", SECRET, START, timedelta(days=1))
    with pytest.raises(ValueError, match="session_days"):
        issue(SID, SECRET, START, timedelta(0))


def test_token_expires_exactly_at_exp() -> None:
    token = issue(SID, SECRET, START, timedelta(days=1))
    read(token, SECRET, START + timedelta(days=1) - timedelta(seconds=1))
    with pytest.raises(TokenProblem) as caught:
        read(token, SECRET, START + timedelta(days=1))
    assert caught.value.kind == "expired"
    assert "2025-03-02" in str(caught.value)


# Each maker turns a good token (for the established session) into a bad token-file content.
Maker = Callable[[Established, ManualClock], bytes | None]


def _claims(e: Established, **change: object) -> dict[str, object]:
    good = jwt.decode(e.token, e.secret, algorithms=["HS256"], options={"verify_exp": False})
    good.update(change)
    return {k: v for k, v in good.items() if v is not None}


def _flip_signature_bit(e: Established, _: ManualClock) -> bytes:
    head, body, sig = e.token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=="))
    raw[0] ^= 0x01
    return f"{head}.{body}.{b64(bytes(raw))}".encode()


def _swap_sid(e: Established, _: ManualClock) -> bytes:
    head, _body, sig = e.token.split(".")
    return f"{head}.{b64json(_claims(e, sid='f' * 32))}.{sig}".encode()


def _alg_none(e: Established, _: ManualClock) -> bytes:
    return f"{b64json({'alg': 'none', 'typ': 'JWT'})}.{b64json(_claims(e))}.".encode()


def _signed(algorithm: str) -> Maker:
    return lambda e, _: jwt.encode(_claims(e), e.secret, algorithm=algorithm).encode()


def _rs256_looking(e: Established, _: ManualClock) -> bytes:
    head = b64json({"alg": "RS256", "typ": "JWT"})
    return f"{head}.{b64json(_claims(e))}.{b64(os.urandom(256))}".encode()


def _no_alg(e: Established, _: ManualClock) -> bytes:
    return f"{b64json({'typ': 'JWT'})}.{b64json(_claims(e))}.{e.token.split('.')[2]}".encode()


def _expired(e: Established, clock: ManualClock) -> bytes:
    clock.advance(timedelta(days=91))
    return e.token.encode()


def _with_claims(**change: object) -> Maker:
    return lambda e, _: jwt.encode(_claims(e, **change), e.secret, algorithm="HS256").encode()


def _only(**claims: object) -> Maker:
    return lambda e, _: jwt.encode(claims, e.secret, algorithm="HS256").encode()


def _other_secret(e: Established, _: ManualClock) -> bytes:
    return jwt.encode(_claims(e), OTHER_SECRET, algorithm="HS256").encode()


def _folder(e: Established, _: ManualClock) -> None:
    return None  # the test puts a folder where the token file should be


FAILURES: list[tuple[str, Maker, str, str]] = [
    # id, maker, kind, words the notice must contain
    ("missing file", lambda e, _: None, "missing", "No session token was found"),
    ("empty", lambda e, _: b"", "malformed", "empty"),
    ("whitespace", lambda e, _: b"  \n\n", "malformed", "empty"),
    ("truncated", lambda e, _: e.token[:-5].encode(), "malformed", "damaged or incomplete"),
    ("truncated header", lambda e, _: e.token[:20].encode(), "malformed", "damaged"),
    ("truncated payload", lambda e, _: e.token[:60].encode(), "malformed", "damaged"),
    ("flipped signature bit", _flip_signature_bit, "signature", "signature does not match"),
    ("sid swapped, old signature", _swap_sid, "signature", "signature does not match"),
    ("other secret", _other_secret, "signature", "another Verselight installation"),
    ("alg none", _alg_none, "algorithm", 'unsigned (algorithm "none")'),
    ("HS512 same secret", _signed("HS512"), "algorithm", "signed with HS512"),
    ("HS384 same secret", _signed("HS384"), "algorithm", "signed with HS384"),
    ("RS256 header", _rs256_looking, "algorithm", "signed with RS256"),
    ("no alg in header", _no_alg, "algorithm", "only one accepted"),
    ("expired", _expired, "expired", "expired on 2025-05-30"),
    ("no sid", _with_claims(sid=None), "claims", "does not name a valid session"),
    ("no exp", _with_claims(exp=None), "claims", "expiry"),
    ("no iat", _with_claims(iat=None), "claims", "issue"),
    ("empty claims", _only(), "claims", "lacks"),
    ("string exp", _with_claims(exp="9999999999"), "claims", "expiry"),
    ("non-hex sid", _with_claims(sid="z" * 32), "claims", "valid session"),
    ("uppercase sid", _with_claims(sid="A" * 32), "claims", "valid session"),
    ("short sid", _with_claims(sid="abc"), "claims", "valid session"),
    ("sid not a string", _with_claims(sid=12345), "claims", "valid session"),
    ("unknown sid", _with_claims(sid="9" * 32), "unknown", "ledger does not have"),
    ("binary junk", lambda e, _: bytes(range(256)) * 4, "malformed", "damaged"),
    ("10 MB file", lambda e, _: b"A" * (10 * 1024 * 1024), "malformed", "too large"),
    (
        "10 MB after a good token",
        lambda e, _: e.token.encode() + b"." * (10 * 2**20),
        "malformed",
        "too large",
    ),
    (
        "header is a JSON list",
        lambda e, _: f"{b64json([1])}.{b64json({})}.{'A' * 43}".encode(),
        "malformed",
        "damaged",
    ),
    (
        "payload is a JSON list",
        lambda e, _: jwt.api_jws.encode(b"[1]", e.secret, "HS256").encode(),
        "malformed",
        "damaged",
    ),
    ("folder instead of file", _folder, "unreadable", "could not be read"),
    (
        "iat three years ahead",
        _with_claims(
            iat=int(START.timestamp()) + 3 * 365 * 86400,
            exp=int(START.timestamp()) + 4 * 365 * 86400,
        ),
        "claims",
        "later than this computer's clock allows",
    ),
    (
        "iat six minutes ahead",
        _with_claims(iat=int(START.timestamp()) + 360),
        "claims",
        "issued on 2025-03-01",
    ),
    ("exp -10**20", _with_claims(exp=-(10**20)), "claims", "not ones Verselight writes"),
    ("exp 10**20", _with_claims(exp=10**20), "claims", "not ones Verselight writes"),
    ("iat negative", _with_claims(iat=-1), "claims", "not ones Verselight writes"),
    ("iat after exp", _with_claims(iat=int(START.timestamp()) - 10, exp=1), "claims", "times"),
    ("float exp", _with_claims(exp=1e300), "claims", "expiry"),
    ("bool iat", _with_claims(iat=True), "claims", "issue"),
    ("huge sid", _with_claims(sid="a" * 5000), "claims", "valid session"),
    (
        "header nested 3000 deep",
        lambda e, _: f"{b64(b'[' * 3000 + b']' * 3000)}.{b64json({})}.{'A' * 43}".encode(),
        "malformed",
        "damaged",
    ),
]


@pytest.mark.parametrize(
    ("maker", "kind", "words"),
    [pytest.param(m, k, w, id=i) for i, m, k, w in FAILURES],
)
def test_every_bad_token_gives_a_fresh_session_and_says_why(
    config: Config,
    ledger: Ledger,
    clock: ManualClock,
    established: Established,
    maker: Maker,
    kind: str,
    words: str,
) -> None:
    path = config.paths.token_file
    content = maker(established, clock)
    path.unlink()
    if maker is _folder:
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    bad = path.read_bytes() if path.is_file() else b""

    got = resume(config, ledger, clock)

    assert got.new
    assert got.session_id != established.sid
    assert got.session_id not in bad.decode("latin-1")
    assert got.notice is not None
    assert words in got.notice
    assert "A new session was started" in got.notice
    assert established.sid not in got.notice
    assert established.token not in got.notice
    for segment in established.token.split("."):
        assert segment not in got.notice
    assert db.get_session(ledger.conn, got.session_id) is not None
    if path.is_file():  # the new token is saved and good (a folder in the way stays)
        assert read(path.read_text(), established.secret, clock()).sid == got.session_id
        assert mode(path) == 0o600
    # and the next start resumes the new session quietly
    if path.is_file():
        again = resume(config, ledger, clock)
        assert (again.session_id, again.notice, again.new) == (got.session_id, None, False)


def test_the_token_problem_kind_matches(established: Established, clock: ManualClock) -> None:
    for name, maker, kind, _words in FAILURES:
        if kind in ("missing", "unreadable", "unknown"):
            continue
        content = maker(established, ManualClock(clock.now))
        assert content is not None
        text = content.decode("latin-1")
        with pytest.raises(TokenProblem) as caught:
            read(text, established.secret, START + timedelta(days=91 if kind == "expired" else 0))
        assert caught.value.kind == kind, name
        message = str(caught.value)
        assert established.sid not in message
        for segment in text.split("."):
            assert len(segment) < 8 or segment not in message, name


def test_fifo_at_the_token_path_does_not_hang(
    config: Config, ledger: Ledger, clock: ManualClock, established: Established
) -> None:
    path = config.paths.token_file
    path.unlink()
    os.mkfifo(path)
    got = resume(config, ledger, clock)
    assert got.new and got.notice and "not a regular file" in got.notice
    assert path.is_file()  # the FIFO was replaced by a real token file


def test_first_run_is_quiet_but_a_lost_token_is_reported(
    config: Config, ledger: Ledger, clock: ManualClock, tmp_path: Path
) -> None:
    first = resume(config, ledger, clock)
    assert first.new and first.notice is None
    other = resume(second_terminal(config, tmp_path), ledger, clock)
    assert other.new and other.session_id != first.session_id
    assert other.notice and "No session token was found" in other.notice
    assert "session import" in other.notice


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    content=st.one_of(
        st.binary(max_size=600),
        st.lists(
            st.text(
                alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/",
                max_size=80,
            ),
            min_size=1,
            max_size=5,
        ).map(lambda parts: ".".join(parts).encode()),
    )
)
def test_no_file_content_crashes_resume(
    config: Config, ledger: Ledger, clock: ManualClock, content: bytes
) -> None:
    config.paths.token_file.parent.mkdir(parents=True, exist_ok=True)
    config.paths.token_file.write_bytes(content)
    got = resume(config, ledger, clock)
    assert got.new and got.notice


CLAIM_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    st.text(max_size=40),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(
    sid=st.one_of(st.just(SID), CLAIM_VALUES),
    iat=st.one_of(st.just(int(START.timestamp())), CLAIM_VALUES),
    exp=st.one_of(st.just(int(START.timestamp()) + 86400), CLAIM_VALUES),
    extra=st.dictionaries(st.sampled_from(["nbf", "aud", "iss", "sub", "jti"]), CLAIM_VALUES),
)
def test_correctly_signed_tokens_with_any_claims_never_crash_read(
    sid: object, iat: object, exp: object, extra: dict[str, object]
) -> None:
    claims = {**extra, "sid": sid, "iat": iat, "exp": exp}
    payload = json.dumps({k: v for k, v in claims.items() if v is not None}).encode()
    token = jwt.api_jws.encode(payload, SECRET, "HS256")  # jwt.encode refuses odd claims
    try:
        got = read(token, SECRET, START)
    except TokenProblem as problem:
        assert str(problem) and "\n" not in str(problem)
        return
    # Accepted only with sane claims: our sid, issued no later than now plus the skew.
    assert got.sid == SID
    assert 0 <= got.iat <= START.timestamp() + 300 and START.timestamp() < got.exp


def test_iat_within_the_clock_skew_is_accepted() -> None:
    token = issue(SID, SECRET, START + timedelta(minutes=4, seconds=59), timedelta(days=1))
    assert read(token, SECRET, START).sid == SID


# renewal and files ------------------------------------------------------------------------------


def test_each_resume_slides_the_expiry(
    config: Config, ledger: Ledger, clock: ManualClock, established: Established
) -> None:
    exp_before = read(established.token, established.secret, clock()).exp
    # 80 days twice is longer than the 90-day lifetime: only sliding keeps the session
    for _ in range(2):
        clock.advance(timedelta(days=80))
        got = resume(config, ledger, clock)
        assert (got.session_id, got.notice, got.new) == (established.sid, None, False)
    claims = read(config.paths.token_file.read_text(), established.secret, clock())
    assert claims.exp == exp_before + 160 * 86400
    assert claims.iat == int(clock().timestamp())
    row = db.get_session(ledger.conn, established.sid)
    assert row is not None and row.last_seen_at == db.ts(clock())


def test_token_file_is_600_and_a_loose_one_is_tightened(
    config: Config, ledger: Ledger, clock: ManualClock, established: Established
) -> None:
    path = config.paths.token_file
    assert mode(path) == 0o600
    path.chmod(0o644)
    old = os.umask(0)
    try:
        resume(config, ledger, clock)
    finally:
        os.umask(old)
    assert mode(path) == 0o600
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_unsavable_token_still_gives_a_session_and_says_so(
    tmp_path: Path, ledger: Ledger, clock: ManualClock
) -> None:
    config = config_for(tmp_path / "home")
    config.paths.state_dir.parent.mkdir(parents=True)
    config.paths.state_dir.write_text("a file where the state folder should be")
    got = resume(config, ledger, clock)
    assert got.new
    assert got.notice and "could not be saved" in got.notice
    assert "not be remembered" in got.notice


# export and import ------------------------------------------------------------------------------


def test_export_then_import_in_another_terminal_keeps_sid_and_balance(
    config: Config, ledger: Ledger, clock: ManualClock, established: Established, tmp_path: Path
) -> None:
    ledger.grant(established.sid, 300, "test")
    dest = tmp_path / "moving" / "session.token"
    dest.parent.mkdir()
    export_session(config, dest, clock)
    assert mode(dest) == 0o600

    other = second_terminal(config, tmp_path)
    before = resume(other, ledger, clock)
    assert before.session_id != established.sid
    assert import_session(other, ledger, dest, clock).session_id == established.sid
    assert mode(other.paths.token_file) == 0o600

    after = resume(other, ledger, clock)
    assert (after.session_id, after.notice, after.new) == (established.sid, None, False)
    session = Account(other, ledger, after.session_id).state()
    assert session.balance.balance == 300 and session.tier is Tier.PAID


def test_export_refuses_to_overwrite(
    config: Config, clock: ManualClock, established: Established, tmp_path: Path
) -> None:
    dest = tmp_path / "exists.token"
    dest.write_text("keep me")
    with pytest.raises(SessionError, match="already exists"):
        export_session(config, dest, clock)
    assert dest.read_text() == "keep me"


def test_export_into_a_missing_folder_is_a_sentence(
    config: Config, clock: ManualClock, established: Established, tmp_path: Path
) -> None:
    with pytest.raises(SessionError, match="could not be written") as caught:
        export_session(config, tmp_path / "nowhere" / "s.token", clock)
    assert established.token not in str(caught.value)


def test_export_without_a_session(config: Config, clock: ManualClock, tmp_path: Path) -> None:
    with pytest.raises(TokenProblem, match="no session here to export"):
        export_session(config, tmp_path / "s.token", clock)


def test_export_of_an_expired_session_is_refused(
    config: Config, clock: ManualClock, established: Established, tmp_path: Path
) -> None:
    clock.advance(timedelta(days=91))
    with pytest.raises(TokenProblem, match="expired") as caught:
        export_session(config, tmp_path / "s.token", clock)
    assert established.sid not in str(caught.value)
    assert not (tmp_path / "s.token").exists()


def _foreign(e: Established, tmp_path: Path, clock: ManualClock) -> bytes:
    """A token from another installation (another secret) for the same session id."""
    return jwt.encode(_claims(e), OTHER_SECRET, algorithm="HS256").encode()


def _other_ledger(e: Established, tmp_path: Path, clock: ManualClock) -> bytes:
    """Signed with this secret but naming a session this ledger never had."""
    return jwt.encode(_claims(e, sid="e" * 32), e.secret, algorithm="HS256").encode()


IMPORT_FAILURES: list[tuple[str, Callable[[Established, Path, ManualClock], bytes | None], str]] = [
    ("tampered", lambda e, t, c: _flip_signature_bit(e, c), "signature"),
    ("sid swapped", lambda e, t, c: _swap_sid(e, c), "signature"),
    ("foreign secret", _foreign, "signature"),
    ("alg none", lambda e, t, c: _alg_none(e, c), "algorithm"),
    ("unknown session", _other_ledger, "unknown"),
    ("expired", lambda e, t, c: e.token.encode(), "expired"),
    ("junk", lambda e, t, c: os.urandom(2000), "malformed"),
    ("missing", lambda e, t, c: None, "missing"),
]


@pytest.mark.parametrize(
    ("maker", "kind"), [pytest.param(m, k, id=i) for i, m, k in IMPORT_FAILURES]
)
def test_failed_import_leaves_the_current_token_byte_identical(
    config: Config,
    ledger: Ledger,
    clock: ManualClock,
    established: Established,
    tmp_path: Path,
    maker: Callable[[Established, Path, ManualClock], bytes | None],
    kind: str,
) -> None:
    other = second_terminal(config, tmp_path)
    resume(other, ledger, clock)
    current = other.paths.token_file.read_bytes()
    src = tmp_path / "incoming.token"
    content = maker(established, tmp_path, clock)
    if content is not None:
        src.write_bytes(content)
    when = clock.now + timedelta(days=91) if kind == "expired" else clock.now
    with pytest.raises(TokenProblem) as caught:
        import_session(other, ledger, src, ManualClock(when))
    assert caught.value.kind == kind
    message = str(caught.value)
    assert message.startswith(f"{src} was not imported.")
    assert established.sid not in message and established.token not in message
    if content:
        assert content.decode("latin-1").strip() not in message
    assert other.paths.token_file.read_bytes() == current


# tiers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("is_admin", "balance", "tier"),
    [
        (False, 0, Tier.FREE),
        (False, 1, Tier.PAID),
        (False, 300, Tier.PAID),
        (True, 0, Tier.ADMIN),
        (True, 1, Tier.ADMIN),
        (True, 10_000, Tier.ADMIN),
    ],
)
def test_tier_of(is_admin: bool, balance: int, tier: Tier) -> None:
    assert tier_of(is_admin, balance) is tier


@pytest.mark.parametrize(
    ("tier", "available", "cost", "allowed"),
    [
        (Tier.ADMIN, 0, 50, True),
        (Tier.ADMIN, 0, 0, True),
        (Tier.PAID, 50, 50, True),
        (Tier.PAID, 51, 50, True),
        (Tier.PAID, 49, 50, False),
        (Tier.PAID, 0, 1, False),
        (Tier.FREE, 1000, 1, False),
        (Tier.FREE, 0, 0, False),
    ],
)
def test_can_generate(tier: Tier, available: int, cost: int, allowed: bool) -> None:
    assert (spend_refusal(tier, available, cost) is None) is allowed


def test_can_generate_refuses_a_negative_cost() -> None:
    with pytest.raises(ValueError):
        spend_refusal(Tier.PAID, 10, -1)


@pytest.mark.parametrize(
    ("tier", "available", "cost", "spent", "refusal"),
    [
        (Tier.FREE, 0, 5, 0, Refusal.FREE_TIER),
        (Tier.PAID, 4, 5, 0, Refusal.SHORT),
        (Tier.PAID, 4, 5, 999, Refusal.SHORT),  # short is said before the cap
        (Tier.PAID, 50, 5, 96, Refusal.DAILY_CAP),
        (Tier.PAID, 50, 5, 95, None),  # exactly at the cap
        (Tier.PAID, 50, 0, 200, None),  # the free sketch is not capped
        (Tier.ADMIN, 0, 5, 999, None),
    ],
)
def test_one_rule_for_spending(
    tier: Tier, available: int, cost: int, spent: int, refusal: Refusal | None
) -> None:
    assert spend_refusal(tier, available, cost, spent, daily_cap=100) is refusal


def test_paid_falls_back_to_free_at_zero_and_admin_is_sticky(
    config: Config, ledger: Ledger, clock: ManualClock
) -> None:
    payer, admin = "a" * 32, "b" * 32
    for sid in (payer, admin):
        db.create_session(ledger.conn, sid, clock())
        ledger.grant(sid, 5, "test")
    assert Account(config, ledger, payer).state().tier is Tier.PAID
    ledger.adjust(payer, -5, "spent")
    assert Account(config, ledger, payer).state().tier is Tier.FREE

    db.make_admin(ledger.conn, admin, clock())
    ledger.adjust(admin, -5, "spent")
    session = Account(config, ledger, admin).state()
    assert session.is_admin and session.balance.balance == 0 and session.tier is Tier.ADMIN
