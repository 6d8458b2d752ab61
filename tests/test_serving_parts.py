"""The serve command's parts without a network: hand-off tokens, key identities, the exec
rule, the rate limit, the host key, doctor's serve lines and the server's memory (what it gives
back, and the first run's import kept out of it)."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import asyncssh
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.bible.library import Library
from core.billing.ledger import Ledger
from core.config import load_config
from core.doctor import examine
from core.serving.host_key import host_key_path, load_or_create
from core.sessions.served import (
    Handoff,
    guest_session,
    issue_handoff,
    read_handoff,
    session_for_key,
)
from core.sessions.tokens import TokenProblem, issue
from server.exec_request import Refused, parse
from server.rate_limit import RateLimit
from server.start_gate import StartGate
from tests.clock import ManualClock


@pytest.fixture
def config(verselight_home):
    return load_config()


def test_the_same_key_finds_the_same_session_and_nothing_of_the_key_is_stored(config):
    ledger = Ledger.for_config(config)
    fingerprint = "SHA256:E/1YGl6fP1X4wtFh7sOCDyiMrYIqbZKXm+Lz0iB9gVo"
    first = session_for_key(config, ledger, fingerprint)
    assert session_for_key(config, ledger, fingerprint) == first
    assert session_for_key(config, ledger, fingerprint[:-1] + "p") != first
    assert guest_session(ledger) != guest_session(ledger)
    ledger.close()
    stored = config.paths.ledger_db.read_bytes()
    assert fingerprint.encode() not in stored and b"E/1YGl6fP1X4" not in stored


def test_a_handoff_names_its_session_and_lasts_a_minute(config, clock: ManualClock):
    ledger = Ledger.for_config(config)
    sid = guest_session(ledger)
    ledger.close()
    token = issue_handoff(config, Handoff(sid, guest=True, may_admin=False), clock)
    assert read_handoff(config, token, clock) == Handoff(sid, True, False)
    clock.advance(timedelta(seconds=61))
    with pytest.raises(TokenProblem, match="expired"):
        read_handoff(config, token, clock)


def test_a_terminal_token_is_not_a_handoff(config, clock: ManualClock):
    from core.sessions.secret import load_secret

    token = issue("a" * 32, load_secret(config), clock(), timedelta(days=30))
    with pytest.raises(TokenProblem, match="not made for this purpose"):
        read_handoff(config, token, clock)


def test_a_changed_handoff_is_refused(config, clock: ManualClock):
    token = issue_handoff(config, Handoff("b" * 32, guest=False, may_admin=False), clock)
    head, body, sig = token.split(".")
    forged = f"{head}.{body[:-2]}AA.{sig}"
    with pytest.raises(TokenProblem):
        read_handoff(config, forged, clock)


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("read John 3:16", ["read", "John", "3:16"]),
        ('read "John 3:16" -t KJV', ["read", "John 3:16", "-t", "KJV"]),
        ("search Lord's prayer", ["search", "Lord's", "prayer"]),
        ("search love --translation=KJV", ["search", "love", "--translation=KJV"]),
    ],
)
def test_read_and_search_pass(command, words):
    assert parse(command) == words


@given(st.text(max_size=80))
def test_nothing_but_read_or_search_ever_passes(command):
    try:
        words = parse(command)
    except Refused as refused:
        assert str(refused).startswith("verselight: ") and "\n" not in str(refused)
        return
    assert words[0] in ("read", "search")
    assert not any(c in command for c in ";|&<>$`\\\n")


def test_the_rate_limit_forgets_after_a_minute():
    now = [0.0]
    limit = RateLimit(2, clock=lambda: now[0])
    assert limit.allow("a") and limit.allow("a") and not limit.allow("a")
    assert limit.allow("b")  # another address is not affected
    now[0] = 60.0
    assert limit.allow("a")


def test_the_host_key_is_made_once_private_and_kept(tmp_path):
    first = load_or_create(tmp_path)
    path = host_key_path(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create(tmp_path).get_fingerprint() == first.get_fingerprint()


def _serve_lines(config):
    return [f for f in examine(config) if f.area.startswith("serve")]


def test_doctor_checks_the_serve_set_up(config, verselight_home, monkeypatch):
    (line,) = _serve_lines(config)
    assert line.ok and "no SSH host key yet" in line.text
    load_or_create(config.paths.data_dir)
    host_key_path(config.paths.data_dir).chmod(0o644)
    (line,) = _serve_lines(config)
    assert not line.ok and "readable by others" in line.text
    host_key_path(config.paths.data_dir).chmod(0o600)
    public = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    config.paths.config_dir.mkdir(parents=True, exist_ok=True)
    (config.paths.config_dir / "admin_keys").write_text(public)
    key_line, admin = _serve_lines(config)
    assert key_line.ok and not admin.ok and "no admin password is set" in admin.text
    monkeypatch.setenv("VERSELIGHT_ADMIN_PASSWORD", "correct horse battery")
    _, admin = _serve_lines(load_config())
    assert admin.ok and "1 key(s)" in admin.text
    (config.paths.config_dir / "admin_keys").write_text("ssh-ed25519 not-a-key\n")
    _, admin = _serve_lines(load_config())
    assert not admin.ok and "line 1 is not a public key" in admin.text


ROOT = Path(__file__).resolve().parent.parent

_FREE_AND_RELEASE = """
import json
from pathlib import Path

from server.memory import release_freed_memory


def anonymous_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024


before = anonymous_mb()
blocks = [b"x" * 8000 for _ in range(8000)]  # 64 MB, each block from malloc's heap
pins = blocks[::1000]  # a few live blocks above the freed ones, as after start-up
del blocks
kept = anonymous_mb()
released = release_freed_memory()
print(json.dumps({"before": before, "kept": kept, "released": released, "after": anonymous_mb()}))
"""


def test_memory_freed_at_start_up_goes_back_to_the_system():
    """Freed blocks below live ones stay with the process (glibc shrinks its heap only from
    the top) until the server gives them back, as it does once started. In a fresh
    interpreter: a test worker's heap already has holes that would take the blocks in."""
    done = subprocess.run(
        [sys.executable, "-c", _FREE_AND_RELEASE], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    mb = json.loads(done.stdout)
    assert mb["kept"] - mb["before"] > 40, "glibc returned the freed blocks by itself"
    assert mb["released"] is True
    assert mb["after"] - mb["before"] < 10


def test_the_first_runs_import_happens_outside_the_server_process(tmp_path, monkeypatch):
    """The server lives long: the KJV package and what importing it used stay with the child."""
    home = tmp_path / "home"
    monkeypatch.setenv("VERSELIGHT_HOME", str(home))
    script = (
        "import sys\n"
        "from core.config import load_config\n"
        "from server.serve import prepare_library\n"
        "prepare_library(load_config(), None)\n"
        "print(*sorted(m for m in sys.modules if 'kjv' in m))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, env=os.environ
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
    library = Library.open(home / "data" / "library.sqlite")
    try:
        assert library.has("KJV") and not library.needs_first_run_import()
    finally:
        library.close()


# --- the start gate: a few readers start at once -------------------------------------------


class _Reader:
    """What the gate holds a place for: something that says when it is painted."""

    def __init__(self) -> None:
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()


async def _begin(began: list[_Reader], fail: bool = False) -> _Reader:
    if fail:
        raise OSError("no terminal left")
    reader = _Reader()
    began.append(reader)
    return reader


async def _until(check: Callable[[], bool]) -> None:
    """Let the event loop run until ``check()`` holds (each task gets its turn)."""
    for _ in range(1000):
        if check():
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")


async def test_the_gate_starts_the_next_reader_when_one_is_painted():
    gate = StartGate(2)
    began: list[_Reader] = []
    starts = [asyncio.ensure_future(gate.start(lambda: _begin(began))) for _ in range(5)]
    await _until(lambda: len(began) + gate.waiting == 5)
    assert len(began) == 2 and gate.waiting == 3  # the other three wait their turn
    began[0].ready.set_result(None)
    await asyncio.wait(starts[2:3])
    assert len(began) == 3 and gate.waiting == 2
    for reader in list(began):
        if not reader.ready.done():
            reader.ready.set_result(None)
    await asyncio.wait(starts[3:4])
    began[3].ready.set_result(None)
    await asyncio.wait(starts)
    assert len(began) == 5 and gate.waiting == 0


async def test_a_reader_that_never_says_it_painted_keeps_nobody_waiting_long():
    gate = StartGate(1, hold_s=0.05)
    began: list[_Reader] = []
    first = await gate.start(lambda: _begin(began))
    second = await asyncio.wait_for(gate.start(lambda: _begin(began)), 5)
    assert not first.ready.done() and began == [first, second]


async def test_a_reader_that_fails_to_start_gives_its_place_back():
    gate = StartGate(1)
    began: list[_Reader] = []
    with pytest.raises(OSError):
        await gate.start(lambda: _begin(began, fail=True))
    await asyncio.wait_for(gate.start(lambda: _begin(began)), 5)
    assert len(began) == 1


async def test_a_visitor_who_leaves_while_waiting_gives_up_no_place():
    gate = StartGate(1)
    began: list[_Reader] = []
    first = await gate.start(lambda: _begin(began))
    waiting = asyncio.ensure_future(gate.start(lambda: _begin(began)))
    await _until(lambda: gate.waiting == 1)
    waiting.cancel()  # the connection closed before its turn
    await asyncio.gather(waiting, return_exceptions=True)
    assert gate.waiting == 0
    first.ready.set_result(None)
    await asyncio.wait_for(gate.start(lambda: _begin(began)), 5)
    assert len(began) == 2


# --- the serve tests' terminal: what a visitor sees ------------------------------------------

_TERMINAL_BYTES = st.lists(
    st.sampled_from(
        [
            "In the beginning God created the heaven and the earth. ",
            "\u5929\u5730",  # wide characters
            "e\u0301",  # a combining accent
            "\r\n",
            "\x1b[H",
            "\x1b[2J",
            "\x1b[K",
            "\x1b[5;10H",
            "\x1b[1;31mred\x1b[0m",
            "\x1b[3A",
            "\x1b[20;1H\n\n\n\n",  # scrolls
            "\x1b[?25l",
        ]
    ),
    max_size=40,
)


@given(chunks=_TERMINAL_BYTES)
def test_a_visitors_screen_reads_as_pyte_draws_it(chunks):
    from tests.serving.visitor import Visitor

    visitor = Visitor(cols=30, rows=8)
    for chunk in chunks:
        visitor.stream.feed(chunk.encode())
        shown = visitor.lines()
        try:
            drawn = visitor.screen.display
        except IndexError:  # pyte's own: a wide character's first half overwritten
            continue
        assert shown == drawn
