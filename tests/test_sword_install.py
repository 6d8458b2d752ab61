"""Translations from remote SWORD repositories: listing, caching, installing and refusing,
against a real HTTP server on 127.0.0.1 serving Debian's World English Bible in CrossWire's
InstallMgr layout (``tests/sword_repos.py``)."""

from __future__ import annotations

import os
import pty
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.bible.importers import ImportFailed, sword
from core.bible.importers.sword.catalogue import available
from core.bible.importers.sword.fetching import Timeouts
from core.bible.importers.sword.install import install
from core.bible.library import Library
from core.bible.references import VerseRef
from core.config import Config, load_config, resolve_paths
from core.env_settings import DEFAULT_SWORD_REPO, SwordRepo, sword_repos
from core.services import ServiceOptions, open_services
from tests.cli_process import ROOT, run_cli
from tests.sword_repos import (
    SWORD_ROOT,
    WEB,
    Repository,
    Served,
    mods_archive,
    serve,
    web_conf,
    web_repository,
)

# Whole-Bible imports and CLI subprocesses: one at a time (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("serial")

QUICK = Timeouts(connect=2.0, read=0.5, whole=2.0)


@pytest.fixture
def served() -> Iterator[Served]:
    yield from serve(web_repository())


def _config(home: Path, *urls: str) -> Config:
    repos, problem = sword_repos({"VERSELIGHT_SWORD_REPOS": ",".join(urls)}, None, "config")
    assert problem is None
    return Config(paths=resolve_paths({"VERSELIGHT_HOME": str(home)}), sword_repos=repos)


def _files_under(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")} if root.exists() else set()


def _closed_port_url() -> str:
    """An address where nothing listens (the port was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/sword"


# ------------------------------------------------------------------------------------------
# Which repositories
# ------------------------------------------------------------------------------------------


def test_repositories_default_to_crosswire_and_the_environment_replaces_it() -> None:
    assert sword_repos({}, None, "f") == ((SwordRepo(*DEFAULT_SWORD_REPO),), None)
    repos, problem = sword_repos(
        {"VERSELIGHT_SWORD_REPOS": "Mine=http://127.0.0.1:1/a/, https://example.org/sword"},
        ["http://ignored"],
        "f",
    )
    assert problem is None
    assert repos == (
        SwordRepo("Mine", "http://127.0.0.1:1/a"),
        SwordRepo("example.org", "https://example.org/sword"),
    )


def test_repositories_from_the_config_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(
        'sword_repos = ["Local=http://127.0.0.1:9/raw"]\n', encoding="utf-8"
    )
    config = load_config({"VERSELIGHT_HOME": str(home)})
    assert config.sword_repos == (SwordRepo("Local", "http://127.0.0.1:9/raw"),)
    (home / "config" / "config.toml").write_text('sword_repos = ["ftp://x"]\n', encoding="utf-8")
    problem = load_config({"VERSELIGHT_HOME": str(home)}).sword_repos_problem
    assert problem is not None and "'ftp://x' is not one" in problem
    (home / "config" / "config.toml").write_text("sword_repos = 3\n", encoding="utf-8")
    problem = load_config({"VERSELIGHT_HOME": str(home)}).sword_repos_problem
    assert (
        problem
        == f"'sword_repos' in {home / 'config' / 'config.toml'} must be a list of URLs (or NAME=URL)."
    )


# ------------------------------------------------------------------------------------------
# Listing
# ------------------------------------------------------------------------------------------


def test_the_list_has_every_module_with_locked_ones_marked(tmp_path: Path, served: Served) -> None:
    catalogue = available(_config(tmp_path, f"Test={served.url}"), timeouts=QUICK)
    assert catalogue.failures == []
    modules = {m.name: m for m in catalogue.modules}
    web = modules[WEB]
    assert (web.translation_id, web.language, web.size, web.is_bible, web.locked) == (
        "WEB",
        "en",
        4322123,
        True,
        False,
    )
    assert web.description == "World English Bible with Deuterocanon"
    assert modules["Locked"].locked and not modules["SomeComm"].is_bible
    assert modules["GerTest"].language == "de"
    assert catalogue.find("web") is web and catalogue.find("ENGweb2015EB") is web


def test_the_list_is_cached_and_used_without_the_network(tmp_path: Path, served: Served) -> None:
    config = _config(tmp_path, f"Test={served.url}")
    first = available(config, timeouts=QUICK)
    assert served.repo.requests == ["mods.d.tar.gz"]
    assert config.paths.sword_catalogue.exists()
    again = available(config, timeouts=QUICK)
    assert served.repo.requests == ["mods.d.tar.gz"]  # not asked again
    assert [m.name for m in again.modules] == [m.name for m in first.modules]
    assert dict(again.modules[0].conf) == dict(first.modules[0].conf)
    available(config, refresh=True, timeouts=QUICK)
    assert served.repo.requests == ["mods.d.tar.gz"] * 2


def test_a_failing_repository_keeps_its_cached_list_and_says_so(tmp_path: Path) -> None:
    repo = web_repository()
    server = serve(repo)
    url = next(server).url
    config = _config(tmp_path, f"Test={url}")
    available(config, timeouts=QUICK)
    server.close()  # the server stops
    catalogue = available(config, refresh=True, timeouts=QUICK)
    assert WEB in {m.name for m in catalogue.modules}
    [failure] = catalogue.failures
    assert failure.startswith("The repository Test cannot be reached")
    assert failure.endswith("Its list from " + catalogue.lists[0].fetched[:10] + " is shown.")  # type: ignore[index]


def test_one_repository_down_the_others_are_listed(tmp_path: Path, served: Served) -> None:
    config = _config(tmp_path, f"Down={_closed_port_url()}", f"Test={served.url}")
    catalogue = available(config, timeouts=QUICK)
    assert WEB in {m.name for m in catalogue.modules}
    [failure] = catalogue.failures
    assert failure.startswith("The repository Down cannot be reached (")
    assert "\n" not in failure


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<html><body>Not here</body></html>", "did not send a module list"),
        (mods_archive({}, {"mods.d/readme.txt": b"hello"}), "holds no module's conf"),
        (
            mods_archive({"X": "[X]\nModDrv=zText\n"}, {"mods.d/../../evil.conf": b"[E]\n"}),
            "names a path outside mods.d/ (mods.d/../../evil.conf); it was not used",
        ),
        (
            mods_archive({"X": "[X]\nModDrv=zText\n"}, {"/etc/evil.conf": b"[E]\n"}),
            "names a path outside mods.d/ (/etc/evil.conf)",
        ),
    ],
    ids=["html", "no-confs", "dot-dot", "absolute"],
)
def test_a_repository_answering_garbage_is_one_sentence(
    tmp_path: Path, body: bytes, expected: str
) -> None:
    repo = Repository(files={"mods.d.tar.gz": body})
    for served in serve(repo):
        catalogue = available(_config(tmp_path, f"Odd={served.url}"), timeouts=QUICK)
    [failure] = catalogue.failures
    assert failure.startswith("The repository Odd")
    assert expected in failure
    assert catalogue.modules == []
    assert not (tmp_path / "etc").exists() and not (tmp_path.parent / "evil.conf").exists()


def test_a_slow_repository_times_out_with_a_sentence(tmp_path: Path) -> None:
    repo = web_repository()
    repo.stall = 30.0
    for served in serve(repo):
        started = time.monotonic()
        catalogue = available(_config(tmp_path, f"Slow={served.url}"), timeouts=QUICK)
        assert time.monotonic() - started < 10
    assert catalogue.failures == [
        f"The repository Slow did not answer in time ({served.url}/mods.d.tar.gz)."
    ]


def test_a_repository_that_trickles_is_given_up_on(tmp_path: Path) -> None:
    repo = web_repository()
    repo.trickle.add("mods.d.tar.gz")
    for served in serve(repo):
        catalogue = available(_config(tmp_path, f"Drip={served.url}"), timeouts=QUICK)
    [failure] = catalogue.failures
    assert failure.startswith("The repository Drip is too slow:")


# ------------------------------------------------------------------------------------------
# Installing
# ------------------------------------------------------------------------------------------


def test_install_web_downloads_verifies_imports_and_then_works_offline(
    tmp_path: Path,
) -> None:
    repo = web_repository()
    server = serve(repo)
    url = next(server).url
    config = _config(tmp_path, f"Test={url}")
    library = Library.open(tmp_path / "library.sqlite")
    seen: dict[str, list[tuple[int, int]]] = {}

    def progress(label: str, done: int, total: int) -> None:
        seen.setdefault(label, []).append((done, total))

    started = time.monotonic()
    t = install("WEB", config, library, progress, timeouts=QUICK)
    took = time.monotonic() - started
    with pytest.raises(ImportFailed) as squatting:
        install("Squatter", config, library, timeouts=QUICK)
    assert str(squatting.value) == (
        f"Squatter's conf gives DataPath=./modules/texts/ztext/{WEB}/, where {WEB} is "
        "installed; it was not installed."
    )
    server.close()

    local = sword.locate(str(SWORD_ROOT), Config(paths=config.paths))
    _, rows, _ = sword.load(local, config)
    assert (t.id, t.name, t.verse_count) == (
        "WEB",
        "World English Bible with Deuterocanon",
        len(rows),
    )
    verse = library.verse("WEB", VerseRef(43, 3, 16))
    assert verse is not None and verse.plain.startswith("For God so loved the world")
    # The module is kept as a SWORD tree in the app's data; nothing is left in staging.
    root = config.paths.sword_dir
    assert _files_under(root) == {
        Path(".staging"),
        Path("mods.d"),
        Path(f"mods.d/{WEB.lower()}.conf"),
        *(Path(p) for p in ("modules", "modules/texts", "modules/texts/ztext")),
        Path("modules/texts/ztext/engWEB2015eb"),
        *(
            Path("modules/texts/ztext/engWEB2015eb") / n
            for n in ("ot.bzs", "ot.bzv", "ot.bzz", "nt.bzs", "nt.bzv", "nt.bzz")
        ),
    }
    assert (root / f"mods.d/{WEB.lower()}.conf").read_text(encoding="utf-8") == web_conf()
    # Progress: the download, by bytes up to the whole, then the import, by verses.
    download, imported = seen[f"Downloading {WEB}"], seen["Importing WEB"]
    assert (
        download[-1][0]
        == download[-1][1]
        == sum(
            (SWORD_ROOT / "modules/texts/ztext" / WEB / n).stat().st_size
            for n in ("ot.bzs", "ot.bzv", "ot.bzz", "nt.bzs", "nt.bzv", "nt.bzz")
        )
    )
    assert imported[-1][0] == imported[-1][1] == len(rows)
    assert took < 30  # the benchmark holds the real figure (at most 5 s)
    # Offline: removed from the library, it is added again from the kept files.
    assert library.remove("WEB")
    again = sword.locate("WEB", config)
    assert again.root == root
    library.close()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "Locked",
            "Locked is locked: its publisher sells the key, and Verselight does not install locked modules.",
        ),
        (
            "SomeComm",
            "SomeComm is not a Bible (ModDrv=zCom); only Bible text modules install as translations.",
        ),
        (
            "Climber",
            "Climber's conf gives DataPath=./modules/../../../etc/, which is not a folder under ./modules/; it was not installed.",
        ),
        (
            "Rooted",
            "Rooted's conf gives DataPath=/etc/, which is not a folder under ./modules/; it was not installed.",
        ),
        (
            "Liar",
            "The repository Test has no text files at Liar's DataPath (./modules/texts/ztext/elsewhere/); its conf does not match what it publishes.",
        ),
        ("Damaged", "Damaged's NT files are damaged: block "),
        ("Short", "Short's OT files are damaged: block "),
        (
            "Cut",
            "The download of {url}/modules/texts/ztext/cut/ot.bzz from The repository Test was cut short",
        ),
        (
            "NoSuch",
            'No repository offers a module called "NoSuch" (verselight translations available lists them).',
        ),
    ],
)
def test_install_refuses_with_one_sentence_and_leaves_nothing(
    tmp_path: Path, served: Served, name: str, expected: str
) -> None:
    config = _config(tmp_path / "home", f"Test={served.url}")
    library = Library.open(tmp_path / "library.sqlite")
    before = _files_under(tmp_path)
    with pytest.raises(ImportFailed) as failed:
        install(name, config, library, timeouts=QUICK)
    message = str(failed.value)
    assert message.startswith(expected.format(url=served.url)), message
    assert "\n" not in message
    assert library.translations() == []
    library.close()
    after = _files_under(tmp_path) - before
    # Only the (empty) staging folder and the cached list may be new; no module files.
    assert not any("modules" in p.parts or p.suffix in (".bzz", ".bzs", ".bzv") for p in after)
    staging = config.paths.sword_dir / ".staging"
    assert not staging.exists() or list(staging.iterdir()) == []


def test_install_is_refused_when_the_id_is_taken(tmp_path: Path, served: Served) -> None:
    config = _config(tmp_path, f"Test={served.url}")
    library = Library.open(tmp_path / "library.sqlite")
    install("GerTest", config, library, timeouts=QUICK)
    with pytest.raises(ImportFailed, match=r"^GERT is already in the library; remove it first"):
        install("GERT", config, library, timeouts=QUICK)
    library.close()


def test_installing_is_off_when_the_services_say_so(tmp_path: Path, served: Served) -> None:
    config = _config(tmp_path, f"Test={served.url}")
    services = open_services(
        config, options=ServiceOptions(allow_install=False, credits=False, gallery=False)
    )
    try:
        for attempt in (
            lambda: services.install_translation("WEB"),
            lambda: services.available_translations(),
        ):
            with pytest.raises(
                ImportFailed, match=r"^Installing translations is switched off here\.$"
            ):
                attempt()
    finally:
        services.close()
    assert served.repo.requests == []


# ------------------------------------------------------------------------------------------
# The commands
# ------------------------------------------------------------------------------------------


def _env(home: Path, *repos: str) -> dict[str, str]:
    return {**os.environ, "VERSELIGHT_HOME": str(home), "VERSELIGHT_SWORD_REPOS": ",".join(repos)}


def test_translations_available_lists_bibles_by_repository(
    verselight_home: Path, served: Served
) -> None:
    env = _env(verselight_home, f"Down={_closed_port_url()}", f"Test={served.url}")
    done = run_cli("translations", "available", env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"Test ({served.url}):"
    assert lines[1].split() == ["NAME", "LANG", "SIZE", "DESCRIPTION"]
    web = next(line for line in lines if line.split()[0] == WEB)
    assert web.split()[1:4] == ["en", "4.3", "MB"]
    assert web.endswith("World English Bible with Deuterocanon")
    assert next(line for line in lines if line.split()[0] == "Locked").endswith("[locked]")
    assert not any("SomeComm" in line for line in lines)
    errors = done.stderr.splitlines()
    assert errors[0].startswith("verselight: The repository Down cannot be reached (")
    assert errors[1] == (
        "1 commentaries, dictionaries and other books are not listed: "
        "only Bibles install as translations."
    )
    german = run_cli("translations", "available", "--language", "de", env=env)
    names = [line.split()[0] for line in german.stdout.splitlines()[2:]]
    assert names == ["GerTest"]


def test_translations_install_prints_nothing_but_the_result_when_piped(
    verselight_home: Path, served: Served
) -> None:
    env = _env(verselight_home, f"Test={served.url}")
    done = run_cli("translations", "install", "GerTest", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Installed GERT: Testbibel (German copy), ")
    assert done.stderr == ""
    read = run_cli("read", "John 3:16", "-t", "GERT", env={**env, "VERSELIGHT_SWORD_REPOS": ""})
    assert "For God so loved the world" in read.stdout
    listed = run_cli("translations", "available", env=env)
    assert "[installed as GERT]" in next(
        line for line in listed.stdout.splitlines() if line.split()[:1] == ["GerTest"]
    )
    refused = run_cli("translations", "install", "Locked", env=env)
    assert refused.returncode == 1
    assert refused.stderr == (
        "verselight: Locked is locked: its publisher sells the key, and Verselight does not "
        "install locked modules.\n"
    )


def test_translations_install_shows_progress_when_stderr_is_a_terminal(
    verselight_home: Path, served: Served
) -> None:
    master, slave = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "cli", "translations", "install", "GerTest"],
            cwd=ROOT,
            env=_env(verselight_home, f"Test={served.url}"),
            stdout=subprocess.PIPE,
            stderr=slave,
            text=True,
            timeout=120,
        )
        os.close(slave)
        shown = b""
        while True:
            try:
                piece = os.read(master, 65536)
            except OSError:  # the terminal's other side is closed: all was read
                break
            if not piece:
                break
            shown += piece
    finally:
        os.close(master)
    assert done.returncode == 0
    text = shown.decode()
    assert text.startswith("\rDownloading GerTest...")  # redrawn in place
    assert "Downloading GerTest... 100%" in text
    assert "Importing GERT... 100%" in text
    assert done.stdout.startswith("Installed GERT:")


def test_listing_from_the_cache_loads_neither_httpx_nor_the_verse_reader(
    verselight_home: Path, served: Served
) -> None:
    env = _env(verselight_home, f"Test={served.url}")
    assert run_cli("translations", "available", env=env).returncode == 0  # fills the cache
    code = (
        "import sys\n"
        "from cli.main import main\n"
        "assert main(['translations', 'available']) == 0\n"
        "loaded = [m for m in ('httpx', 'pysword', 'core.bible.importers.sword.markup',"
        " 'core.bible.importers.sword.reading') if m in sys.modules]\n"
        "print('LOADED', loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "LOADED []"
    assert served.repo.requests == ["mods.d.tar.gz"]


def test_installing_leaves_httpx_own_command_unloaded(
    verselight_home: Path, served: Served
) -> None:
    """httpx imports its command-line client (click, rich, pygments) with itself; downloads do
    not need it, and it can still be imported later."""
    env = _env(verselight_home, f"Test={served.url}")
    code = (
        "import sys\n"
        "from cli.main import main\n"
        "assert main(['translations', 'install', 'GerTest']) == 0\n"
        "loaded = sorted(m for m in ('httpx._main', 'click', 'pygments') if m in sys.modules)\n"
        "import httpx._main\n"
        "print('LOADED', loaded, type(httpx._main.main).__module__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "LOADED [] click.core"
