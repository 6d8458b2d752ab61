"""``verselight serve`` from the outside: a real server process, real SSH clients (asyncssh),
and a terminal emulator (pyte) for what each visitor sees (DESIGN.md section 11)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest

from core.billing.ledger import Ledger
from core.config import load_config
from core.sessions.served import session_for_key
from tests.cli_process import run_cli
from tests.fake_lnd.server import FakeLnd
from tests.price_servers import PriceServers
from tests.serving.screen_qr import decode_terminal
from tests.serving.server_process import ServerProcess
from tests.serving.visitor import Visitor, connect, make_key
from tests.stand_ins import point_at_lightning

pytestmark = pytest.mark.xdist_group("serve")

HEADER_READY = "credits"
"""The header's badge: on screen once the reader has painted."""


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "keys"
    folder.mkdir()
    return {name: make_key(folder / name) for name in ("a", "b")}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTEST_CURRENT_TEST", None)  # the readers are real terminal apps, not tests
    return env


@pytest.fixture
def start_server(verselight_home: Path) -> Iterator[object]:
    started: list[ServerProcess] = []

    def start(*args: str) -> ServerProcess:
        server = ServerProcess(_env(), *args).start()
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process is not None and server.process.poll() is None:
            server.stop(signal.SIGKILL)


async def _reader(port: int, key: Path | None, **kwargs: object) -> tuple[Visitor, str]:
    visitor = await Visitor.connect(port, key, **kwargs)  # type: ignore[arg-type]
    screen = await visitor.wait_for(HEADER_READY)
    if "Welcome to Verselight" in screen:
        visitor.press("\x1b")
        screen = await visitor.wait_gone("Welcome to Verselight")
    return visitor, screen


async def _go_to(visitor: Visitor, reference: str) -> None:
    visitor.press("g")
    await visitor.wait_for("Type a reference")
    visitor.press(reference)
    await visitor.wait_for(f"▊  {reference}")
    visitor.press("\r")
    await visitor.wait_header(reference)
    await visitor.wait_gone("Type a reference")


# --- the reader over SSH ------------------------------------------------------------------


async def test_a_visitor_reads_moves_resizes_and_leaves(start_server, keys):
    server = start_server()
    visitor = await Visitor.connect(server.port, keys["a"], cols=80, rows=24)
    first = await visitor.wait_for(HEADER_READY)
    assert "Welcome to Verselight" in first  # a new key is a new visitor
    visitor.press("\x1b")
    await visitor.wait_gone("Welcome to Verselight")
    visitor.press("j")
    await visitor.wait_for("Genesis 1:2")
    assert visitor.lines()[0].rstrip().endswith("credits")  # drawn for 80 columns
    visitor.resize(120, 30)
    wide = await visitor.wait_for("Chapter 3")  # the navigator appears from 110 columns on
    assert len(wide.splitlines()[0]) == 120 and wide.splitlines()[0].rstrip().endswith("credits")
    visitor.press("q")
    assert await visitor.finished() == 0
    await server.line("left key SHA256:")
    assert "SHA256:" in server.log() and "BEGIN" not in server.log()
    await visitor.close()


async def test_each_key_finds_its_own_place_and_nobody_elses(start_server, keys):
    server = start_server()
    a, _ = await _reader(server.port, keys["a"])
    await _go_to(a, "John 3:16")
    a.press("q")
    assert await a.finished() == 0
    await a.close()

    again = await Visitor.connect(server.port, keys["a"])
    screen = await again.wait_for("John 3:16")
    assert "Welcome to Verselight" not in screen  # onboarding seen, with the key
    again.press("q")
    await again.finished()
    await again.close()

    b = await Visitor.connect(server.port, keys["b"])
    screen = await b.wait_for(HEADER_READY)
    assert "Welcome to Verselight" in screen
    b.press("\x1b")
    screen = await b.wait_for("Genesis 1:1")
    assert "John 3:16" not in screen
    b.press("q")
    await b.finished()
    await b.close()


async def test_key_a_buys_and_its_credits_follow_the_key_only(
    start_server, keys, fake_lnd: FakeLnd, price_servers: PriceServers, tmp_path, monkeypatch
):
    point_at_lightning(tmp_path, fake_lnd, price_servers, monkeypatch)
    server = start_server()
    await server.line("payments: following")  # the host's one watcher
    a, _ = await _reader(server.port, keys["a"], cols=100, rows=40)
    await _go_to(a, "Psalms 23:1")
    a.press("b")
    await a.wait_for("credits for $3")
    assert "belong to the SSH key you connected with" in a.flat()
    a.press("\r")
    await a.wait_for("Waiting for payment")
    (request,) = await a.wait_until(lambda: decode_terminal(a.screen) or None)
    assert request.startswith("lightning:LNBC")
    payment_hash = next(
        h for h, inv in fake_lnd._invoices.items()
        if inv.payment_request.upper() == request.removeprefix("lightning:")
    )  # fmt: skip
    fake_lnd.settle(payment_hash)
    await a.wait_for("300 credits were added")
    a.press("\r")
    await a.wait_gone("300 credits were added")
    await a.wait_header("300 credits")
    a.press("q")
    await a.finished()
    await a.close()
    await server.line(f"invoice {payment_hash.hex()[:12]} credited")

    back, screen = await _reader(server.port, keys["a"])
    assert "300 credits" in screen.splitlines()[0] and "Psalms 23:1" in screen
    back.press("q")
    await back.finished()
    await back.close()
    other, screen = await _reader(server.port, keys["b"])
    assert "0 credits" in screen.splitlines()[0] and "300" not in screen.splitlines()[0]
    other.press("q")
    await other.finished()
    await other.close()


async def test_a_keyless_guest_is_told_before_buying(
    start_server, fake_lnd, price_servers, tmp_path, monkeypatch
):
    point_at_lightning(tmp_path, fake_lnd, price_servers, monkeypatch)
    server = start_server()
    guest, _ = await _reader(server.port, None)
    guest.press("b")
    await guest.wait_for("without an SSH key")
    assert "stay with this connection only" in guest.flat() and "ssh-keygen" in guest.flat()
    guest.press("\x1b")
    await guest.wait_gone("without an SSH key")
    guest.press("q")
    await guest.finished()
    await guest.close()
    await server.line("left guest from 127.0.0.1")


async def test_over_the_cap_a_visitor_is_turned_away_politely(start_server, keys):
    server = start_server("--max-sessions", "1")
    a, _ = await _reader(server.port, keys["a"])
    b = await Visitor.connect(server.port, keys["b"])
    assert await b.finished() == 1
    assert "Verselight is full right now, try again in a few minutes." in b.text()
    await b.close()
    a.press("j")
    await a.wait_for("Genesis 1:2")  # the visitor already in is untouched
    async with await connect(server.port, keys["b"]) as conn:  # commands do not count
        result = await conn.run("read John 3:16")
    assert result.exit_status == 0
    a.press("q")
    await a.finished()
    await a.close()


async def test_exec_read_and_search_answer_like_the_local_commands(start_server, keys):
    server = start_server()
    async with await connect(server.port, keys["a"]) as conn:
        for command, args in (
            ("read John 3:16", ["read", "John 3:16"]),
            ("read 'Ps 23:1-3,6'", ["read", "Ps 23:1-3,6"]),
            ("search living water -n 3", ["search", "living", "water", "-n", "3"]),
            ("read Hezekiah 1:1", ["read", "Hezekiah 1:1"]),
        ):
            remote = await conn.run(command, encoding=None)
            local = run_cli(*args)
            assert remote.stdout == local.stdout.encode(), command
            assert remote.stderr == local.stderr.encode(), command
            assert remote.exit_status == local.returncode, command


@pytest.mark.parametrize(
    "command",
    ["ls", "bash", "sh -c id", "read John 3:16; id", "search love | cat", "read $(id)",
     "read `id`", "read John > /tmp/verselight-redirected", "verselight read John 3:16", "serve", "session export x"],
)  # fmt: skip
async def test_anything_but_read_and_search_is_refused_without_a_shell(start_server, keys, command):
    server = start_server()
    async with await connect(server.port, keys["a"]) as conn:
        result = await conn.run(command)
    assert result.exit_status == 2
    assert result.stdout == ""
    stderr = str(result.stderr)
    assert stderr.count("\n") == 1 and "only `read REFERENCE` and `search WORDS`" in stderr
    assert not Path("/tmp/verselight-redirected").exists()


async def test_the_reader_needs_a_terminal(start_server, keys):
    server = start_server()
    async with await connect(server.port, keys["a"]) as conn:
        result = await conn.run()  # a shell request without a PTY
    assert result.exit_status == 2 and "needs a terminal" in str(result.stderr)


async def test_a_visitor_is_not_shown_the_operators_set_up(start_server, keys):
    server = start_server()  # no Lightning configured on this host
    a, _ = await _reader(server.port, keys["a"])
    a.press("b")
    await a.wait_for("not available on this server")
    assert "VERSELIGHT_LND" not in a.text()
    await server.line("payments: Buying credits needs a payment backend")  # the operator's
    await a.close()


# --- no way out -------------------------------------------------------------------------


async def test_no_way_out_of_the_reader(start_server, keys, verselight_home, tmp_path):
    server = start_server()
    before = _files(verselight_home) | _files(Path.cwd())
    a, _ = await _reader(server.port, keys["a"])
    a.press("\x1a")  # ctrl+z: nothing to suspend to
    a.press("j")
    await a.wait_for("Genesis 1:2")
    a.press("\x10")  # ctrl+p: the command palette
    await a.wait_for("Search for commands")
    a.press("screenshot")
    palette = await a.wait_for("No matches found")
    assert "Save an SVG" not in palette
    a.press("\x1b")
    await a.wait_gone("No matches found")
    a.press("k")
    await a.wait_for("Genesis 1:1")  # still reading
    a.press("q")
    await a.finished()
    await a.close()
    written = (_files(verselight_home) | _files(Path.cwd())) - before
    assert all(_is_app_record(p, verselight_home) for p in written), written


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _is_app_record(path: Path, home: Path) -> bool:
    """The ledger, the user database, the host key, the log: the app's own records."""
    return home in path.parents and path.suffix != ".svg"


async def test_admin_is_offered_only_to_listed_keys_as_the_admin_user(
    start_server, keys, verselight_home, monkeypatch
):
    public = asyncssh.read_private_key(keys["a"]).export_public_key().decode()
    config_dir = verselight_home / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "admin_keys").write_text(f"# operators\n{public}")
    monkeypatch.setenv("VERSELIGHT_ADMIN_PASSWORD", "correct horse battery")
    server = start_server()
    admin = await Visitor.connect(server.port, keys["a"], username="admin")
    await admin.wait_for("Admin password")
    await admin.close()
    for key, user in ((keys["b"], "admin"), (keys["a"], "visitor")):
        visitor = await Visitor.connect(server.port, key, username=user)
        screen = await visitor.wait_for(HEADER_READY)
        assert "Admin password" not in screen
        await visitor.close()


async def test_rate_limit_and_idle_timeout_protect_the_host(start_server, keys):
    server = start_server("--rate-limit", "2", "--idle-timeout", "0.05")
    idle = await Visitor.connect(server.port, keys["a"])
    assert await idle.finished(timeout=40) == 0  # closed for want of input, after ~3 s
    assert "without input" in idle.text()
    await idle.close()
    async with await connect(server.port, keys["b"]) as conn:
        assert (await conn.run("read John 1:1")).exit_status == 0
    with pytest.raises((asyncssh.Error, OSError)):
        async with await connect(server.port, keys["b"]) as conn:
            await conn.run("read John 1:1")
    await server.line("too many connections this minute")


# --- ending -------------------------------------------------------------------------------


async def test_sigterm_ends_every_connection_and_keeps_every_place(start_server, keys):
    server = start_server()
    a, _ = await _reader(server.port, keys["a"])
    b, _ = await _reader(server.port, keys["b"])
    await _go_to(a, "Romans 8:28")
    assert len(server.children()) >= 2
    loop = asyncio.get_running_loop()
    started = loop.time()
    status = await asyncio.to_thread(server.stop, signal.SIGTERM)
    assert status == 0 and loop.time() - started < 5.5
    await a.finished(5)
    await b.finished(5)
    assert server.children() == []
    assert "stopped" in server.log()
    await a.close()
    await b.close()

    again = start_server()
    back, screen = await _reader(again.port, keys["a"])
    assert "Romans 8:28" in screen
    back.press("q")
    await back.finished()
    await back.close()


async def test_a_visitor_who_drops_mid_generation_leaves_no_hold(
    start_server, keys, openrouter_server, monkeypatch
):
    from tests.image_servers import Behaviour

    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-test-key")
    monkeypatch.setenv("VERSELIGHT_OPENROUTER_URL", openrouter_server.base_url)
    config = load_config()
    ledger = Ledger.for_config(config)
    public = asyncssh.read_private_key(keys["a"]).export_public_key().decode().split()
    fingerprint = asyncssh.import_public_key(" ".join(public[:2])).get_fingerprint("sha256")
    sid = session_for_key(config, ledger, fingerprint)
    ledger.grant(sid, 300, "test credits")
    server = start_server()
    a, _ = await _reader(server.port, keys["a"], cols=100, rows=32)
    a.press("i")
    await a.wait_for("Generate")  # the models are listed
    openrouter_server.behaviour = Behaviour.SLOW  # the image call will wait
    openrouter_server.started.clear()
    a.press("\t\t\t")  # from the model list past theme and shape to Generate
    a.press("\r")
    await a.wait_for("of about")
    assert await asyncio.to_thread(openrouter_server.started.wait, 30)
    assert ledger.open_holds(sid)  # the generation holds its credits while it runs
    assert a.conn is not None
    a.conn.abort()  # the visitor's connection drops
    await server.line("left key")
    assert ledger.open_holds(sid) == []
    assert ledger.balance(sid).balance == 300
    ledger.close()


async def test_no_port_forwarding_and_no_file_transfer(start_server, keys):
    server = start_server()
    async with await connect(server.port, keys["a"]) as conn:
        with pytest.raises(asyncssh.ChannelOpenError):
            await conn.open_connection("127.0.0.1", server.port)  # direct-tcpip
        with pytest.raises(asyncssh.Error):
            await conn.start_sftp_client()
        with pytest.raises(asyncssh.ChannelListenError):
            await conn.forward_remote_port("127.0.0.1", 0, "127.0.0.1", 9)


async def test_visitors_arriving_together_start_one_at_a_time_when_told(start_server, keys):
    """``--max-starting 1``: the second reader starts only once the first has said it is
    painted (the server's log says so in that order), and both are served."""
    server = start_server("--max-starting", "1")
    (a, _), (b, _) = await asyncio.gather(
        _reader(server.port, keys["a"]), _reader(server.port, keys["b"])
    )
    first_painted = await server.line("painted key")
    await asyncio.to_thread(
        server.wait_line, "painted key", 20, server.lines.index(first_painted) + 1
    )
    log = server.lines
    started = [i for i, line in enumerate(log) if " reader key " in line]
    painted = [i for i, line in enumerate(log) if " painted key " in line]
    assert len(started) == 2 and len(painted) == 2
    assert painted[0] < started[1]
    assert "Genesis 1:1" in a.lines()[0] and "Genesis 1:1" in b.lines()[0]
    await a.close()
    await b.close()


async def test_readers_still_start_when_their_template_is_gone(start_server, keys):
    """The readers' template killed: a visitor's reader starts as a fresh process instead,
    says when it is painted, and works."""
    server = start_server("--max-starting", "1")
    (template,) = server.children()
    assert b"reader_zygote" in Path(f"/proc/{template}/cmdline").read_bytes()
    os.kill(template, signal.SIGKILL)
    visitor, screen = await _reader(server.port, keys["a"])
    assert "Genesis 1:1" in screen
    await server.line("painted key")
    (reader,) = [pid for pid in server.children() if pid != template]
    assert b"cli.served_reader" in Path(f"/proc/{reader}/cmdline").read_bytes()
    visitor.press("j")
    await visitor.wait_header("Genesis 1:2")
    await visitor.close()
