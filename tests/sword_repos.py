"""A SWORD repository in CrossWire's InstallMgr layout, served by a real HTTP server on
127.0.0.1 (port 0): ``mods.d.tar.gz`` at the base and each module's files under its DataPath.

The Bible in it is Debian's World English Bible (``sword-text-web``, which ``.ci/run``
installs), copied byte for byte. Around it sit the modules a repository may also hold, each
made in the test from that one: a German copy, a locked one, a commentary, confs that lie
about their path, files that are damaged, a download the server cuts short.
"""

from __future__ import annotations

import io
import tarfile
import threading
from collections.abc import Generator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

SWORD_ROOT = Path("/usr/share/sword")
WEB = "engWEB2015eb"
WEB_CONF = SWORD_ROOT / "mods.d" / f"{WEB}.conf"
WEB_DATA = "modules/texts/ztext/engWEB2015eb"
BASE = "/sword"
"""Where the repository sits on the server (CrossWire's is under /ftpmirror/pub/sword/raw)."""
WEB_FILES = ("ot.bzs", "ot.bzv", "ot.bzz", "nt.bzs", "nt.bzv", "nt.bzz")


def web_conf() -> str:
    if not WEB_CONF.exists():
        pytest.fail(
            "These tests serve Debian's World English Bible SWORD module: "
            "sudo apt install sword-text-web (.ci/run installs it)."
        )
    return WEB_CONF.read_text(encoding="utf-8")


def variant(conf: str, name: str, **settings: str) -> str:
    """WEB's conf under another module name with some settings replaced (or added)."""
    lines = [f"[{name}]"]
    for line in conf.splitlines():
        key = line.partition("=")[0].strip()
        if line.startswith("[") or key in settings:
            continue
        lines.append(line)
    lines += [f"{k}={v}" for k, v in settings.items()]
    return "\n".join(lines) + "\n"


def mods_archive(confs: dict[str, str], extra: dict[str, bytes] | None = None) -> bytes:
    """``mods.d.tar.gz`` holding ``mods.d/NAME.conf`` for each conf (and ``extra`` members
    under the names given, which may be hostile)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        members = {f"mods.d/{n.lower()}.conf": t.encode() for n, t in confs.items()}
        for member, data in {**members, **(extra or {})}.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@dataclass
class Repository:
    """What the server answers: files by path under the base, and how to misbehave."""

    files: dict[str, bytes] = field(default_factory=dict)
    cut: set[str] = field(default_factory=set)
    """Paths answered with their whole Content-Length but half the bytes, then closed."""
    stall: float = 0.0
    """Seconds to wait before answering anything (a slow repository)."""
    trickle: set[str] = field(default_factory=set)
    """Paths sent one small piece at a time, slowly, for as long as the client reads."""
    requests: list[str] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    def publish(self, confs: dict[str, str], extra: dict[str, bytes] | None = None) -> None:
        self.files["mods.d.tar.gz"] = mods_archive(confs, extra)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        repo = self.server.repo
        path = self.path.removeprefix(BASE).lstrip("/")
        repo.requests.append(path)
        if repo.stall and repo.released.wait(repo.stall):
            return
        data = repo.files.get(path)
        if data is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if path in repo.cut:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if path in repo.trickle:
            for i in range(len(data)):
                if repo.released.wait(0.05):
                    return
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
            return
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, repo: Repository) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.repo = repo

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up on a cut or trickled answer


@dataclass
class Served:
    repo: Repository
    url: str


def serve(repo: Repository) -> Generator[Served, None, None]:
    server = _Server(repo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(repo, f"http://127.0.0.1:{server.server_address[1]}{BASE}")
    finally:
        repo.released.set()
        server.shutdown()
        server.server_close()


def web_repository(*, hostile: bool = True) -> Repository:
    """WEB as CrossWire publishes it, a German copy, a locked Bible and a commentary; with
    ``hostile``, the modules the tests try to break things with too."""
    conf = web_conf()
    web_files = {n: (SWORD_ROOT / WEB_DATA / n).read_bytes() for n in WEB_FILES}
    repo = Repository()
    repo.files.update({f"{WEB_DATA}/{n}": d for n, d in web_files.items()})
    german = "modules/texts/ztext/gertest"
    repo.files.update({f"{german}/{n}": d for n, d in web_files.items()})
    damaged = "modules/texts/ztext/damaged"
    for n, d in web_files.items():
        if n == "nt.bzz":  # a block in the middle no longer inflates
            middle = len(d) // 2
            d = d[:middle] + bytes(b ^ 0xFF for b in d[middle : middle + 64]) + d[middle + 64 :]
        repo.files[f"{damaged}/{n}"] = d
    short = "modules/texts/ztext/short"
    repo.files.update({f"{short}/{n}": d for n, d in web_files.items()})
    repo.files[f"{short}/ot.bzz"] = web_files["ot.bzz"][:-1000]  # published cut short
    cut = "modules/texts/ztext/cut"
    repo.files.update({f"{cut}/{n}": d for n, d in web_files.items()})
    repo.cut.add(f"{cut}/ot.bzz")
    confs = {
        WEB: conf,
        "GerTest": variant(
            conf,
            "GerTest",
            Abbreviation="GERT",
            Lang="de",
            Description="Testbibel (German copy)",
            DataPath=f"./{german}/",
        ),
        "Locked": variant(
            conf, "Locked", Abbreviation="LOCK", CipherKey="", DataPath=f"./{WEB_DATA}/"
        ),
        "SomeComm": variant(
            conf,
            "SomeComm",
            ModDrv="zCom",
            Description="A commentary",
            DataPath="./modules/comments/zcom/somecomm/",
        ),
        "Liar": variant(
            conf, "Liar", Abbreviation="LIAR", DataPath="./modules/texts/ztext/elsewhere/"
        ),
        "Climber": variant(
            conf, "Climber", Abbreviation="CLIMB", DataPath="./modules/../../../etc/"
        ),
        "Rooted": variant(conf, "Rooted", Abbreviation="ROOT", DataPath="/etc/"),
        "Damaged": variant(conf, "Damaged", Abbreviation="DMG", DataPath=f"./{damaged}/"),
        "Short": variant(conf, "Short", Abbreviation="SHORT", DataPath=f"./{short}/"),
        "Cut": variant(conf, "Cut", Abbreviation="CUT", DataPath=f"./{cut}/"),
        "Squatter": variant(conf, "Squatter", Abbreviation="SQUAT", DataPath=f"./{WEB_DATA}/"),
    }
    if not hostile:
        confs = {n: c for n, c in confs.items() if n in (WEB, "GerTest", "Locked", "SomeComm")}
    repo.publish(confs)
    return repo
