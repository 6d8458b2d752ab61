"""Imports point one way (cli -> tui -> core -> {storage, payments}) and the headless parts never load
Textual. Each check runs in a fresh interpreter so nothing imported by the test run leaks in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Fresh interpreters importing everything: one at a time (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("serial")

_IMPORT_ALL = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys

    failed, imported = {}, []
    for top in sys.argv[1:]:
        package = importlib.import_module(top)
        imported.append(top)
        for info in pkgutil.walk_packages(package.__path__, top + "."):
            try:
                importlib.import_module(info.name)
                imported.append(info.name)
            except Exception as exc:  # report, do not hide, modules that fail to import
                failed[info.name] = f"{type(exc).__name__}: {exc}"
    print(json.dumps({
        "imported": imported,
        "failed": failed,
        "modules": sorted(sys.modules),
    }))
    """
)


def _import_in_fresh_interpreter(*packages: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL, *packages],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    report: dict[str, object] = json.loads(proc.stdout.splitlines()[-1])
    return report


def _loaded(modules: object, top: str) -> list[str]:
    assert isinstance(modules, list)
    return [m for m in modules if m == top or m.startswith(top + ".")]


@pytest.fixture(scope="module")
def headless() -> dict[str, object]:
    """Every module under core, storage and payments, imported in one fresh interpreter."""
    return _import_in_fresh_interpreter("core", "storage", "payments")


@pytest.fixture(scope="module")
def lower_layers() -> dict[str, object]:
    """Every module under storage and payments only."""
    return _import_in_fresh_interpreter("storage", "payments")


def test_every_headless_module_imports(headless: dict[str, object]) -> None:
    assert headless["failed"] == {}
    imported = headless["imported"]
    assert isinstance(imported, list)
    for name in ("core.bible.references", "core.bible.library", "storage.bible", "payments"):
        assert name in imported


def test_core_storage_and_payments_never_import_textual(headless: dict[str, object]) -> None:
    assert _loaded(headless["modules"], "textual") == []


def test_core_storage_and_payments_never_import_tui(headless: dict[str, object]) -> None:
    assert _loaded(headless["modules"], "tui") == []


def test_nostr_sdk_loads_only_when_a_wallet_connection_opens(headless: dict[str, object]) -> None:
    """Every module of payments (payments.nwc too) imports without nostr-sdk: it loads in
    ``NwcWallet``, so a shop on LND or LNbits, or none, never pays for it."""
    assert "payments.nwc" in headless["imported"]  # type: ignore[operator]
    assert _loaded(headless["modules"], "nostr_sdk") == []


def test_storage_and_payments_never_import_core_tui_or_textual(
    lower_layers: dict[str, object],
) -> None:
    assert lower_layers["failed"] == {}
    for top in ("core", "tui", "textual"):
        assert _loaded(lower_layers["modules"], top) == [], top


def test_every_cli_module_imports_without_textual() -> None:
    """The command line's modules load no Textual (and no tui): only starting the reader does."""
    report = _import_in_fresh_interpreter("cli")
    assert report["failed"] == {}
    imported = report["imported"]
    assert isinstance(imported, list)
    for name in ("cli.main", "cli.account", "cli.images", "cli.errors", "cli.__main__"):
        assert name in imported, name
    assert _loaded(report["modules"], "textual") == []
    assert _loaded(report["modules"], "tui") == []


_CLI_PATH = textwrap.dedent(
    """
    import json, sys
    import cli.main
    after_import = "textual" in sys.modules
    codes = [
        cli.main.main(["read", "John 3:16"]),
        cli.main.main(["read", "Ps 23"]),
        cli.main.main(["search", "love", "--limit", "3"]),
        cli.main.main(["read", "Nowhere 9:9"]),
    ]
    textual = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
    print(json.dumps({"after_import": after_import, "codes": codes, "textual": textual}))
    """
)


def test_cli_read_and_search_never_import_textual(
    tmp_path: Path, kjv_library_file: Path, copy_lib
) -> None:
    home = tmp_path / "home"
    copy_lib(kjv_library_file, home / "data" / "library.sqlite")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VERSELIGHT_TRANSLATION", "VERSELIGHT_SWORD_PATH")
    }
    env["VERSELIGHT_HOME"] = str(home)
    proc = subprocess.run(
        [sys.executable, "-c", _CLI_PATH],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.splitlines()[-1])
    assert report["after_import"] is False
    assert report["codes"] == [0, 0, 0, 2]
    assert report["textual"] == []


HEAVY = (
    "grpc",
    "google.protobuf",
    "httpx",
    "PIL",
    "qrcode",
    "textual_image",
    "websockets",
    "cryptography",
    "nostr_sdk",
)
"""Modules the first frame does not need: each costs tens of milliseconds (cryptography and
grpc hundreds on a busy machine) and loads when buying, drawing or generating first needs it."""

AFTER_PAINT = ("jwt", "core.sessions.manager", "core.account", "core.generation.gallery")
"""Modules that load just after the first frame: resuming this terminal's session (pyjwt,
without its RSA/EC backend, checks the token), the account's ledger and the gallery."""

_FIRST_PAINT = textwrap.dedent(
    """
    import asyncio, json, sys

    HEAVY = json.loads(sys.argv[1])
    AFTER_PAINT = json.loads(sys.argv[2])

    def loaded(names):
        return sorted(
            m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in names)
        )

    def heavy():
        return loaded(HEAVY)

    import cli.main
    import tui.app
    after_import = heavy()

    from core.config import load_config
    from tui.image_support import prepare_terminal_graphics
    from tui.screens.reader import ReaderScreen

    async def first_paint():
        app = tui.app.make_app(load_config())
        prepare_terminal_graphics(load_config())  # as the command line does before the app runs
        painted = {}
        display = app._display

        def watch(screen, renderable):  # every frame Textual hands to its driver
            display(screen, renderable)
            if painted or renderable is None or not isinstance(screen, ReaderScreen):
                return
            text = renderable.render_segments(app.console)
            if "beginning God created" in text:
                painted["heavy"] = heavy()
                painted["later"] = loaded(AFTER_PAINT)
                # The frame may repaint only the chapter's lines: read the badge as shown.
                shown = str(screen.query_one("#credits-badge").render())
                painted["badge"] = "Credits \u2026" in shown

        app._display = watch
        async with app.run_test(size=(100, 32)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()  # the start-up checks, done after the paint
            await pilot.pause()
            badge = str(app.screen.query_one("#credits-badge").render())
        return painted, heavy(), loaded(AFTER_PAINT), badge

    painted, after_start, later, badge = asyncio.run(first_paint())
    print(json.dumps({
        "import": after_import, "paint": painted.get("heavy"), "started": after_start,
        "later_at_paint": painted.get("later"), "pending_badge": painted.get("badge"),
        "later_started": later, "badge": badge,
    }))
    """
)


@pytest.fixture(scope="module")
def first_paint(
    tmp_path_factory: pytest.TempPathFactory, kjv_library_file: Path, copy_lib
) -> tuple[Path, dict[str, object]]:
    """The reader started in a fresh interpreter on a returning reader's home with nothing
    configured: what was loaded at its first frame and once started, and its badge."""
    home = tmp_path_factory.mktemp("first-paint") / "home"
    copy_lib(kjv_library_file, home / "data" / "library.sqlite")
    (home / "state").mkdir(parents=True)
    (home / "state" / "onboarded").write_text("shown\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERSELIGHT_")}
    env["VERSELIGHT_HOME"] = str(home)
    proc = subprocess.run(
        [sys.executable, "-c", _FIRST_PAINT, json.dumps(HEAVY), json.dumps(AFTER_PAINT)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return home, json.loads(proc.stdout.splitlines()[-1])


def test_the_first_frame_loads_no_heavy_module_when_nothing_is_configured(
    first_paint: tuple[Path, dict[str, object]],
) -> None:
    _, report = first_paint
    assert report["import"] == []
    assert report["paint"] == []  # None would mean the reader never painted Genesis 1:1
    assert report["started"] == []


def test_the_session_and_the_ledger_open_just_after_the_first_frame(
    first_paint: tuple[Path, dict[str, object]],
) -> None:
    home, report = first_paint
    # The first frame: Genesis 1:1 with a placeholder badge, no session code loaded yet.
    assert report["later_at_paint"] == []
    assert report["pending_badge"] is True
    # Then the session opens (a first run: a new free session, remembered) and the badge
    # says so.
    later = report["later_started"]
    assert isinstance(later, list)
    assert set(AFTER_PAINT) <= set(later)
    assert report["badge"] == "Free \u00b7 0 credits"
    assert (home / "state" / "session.token").is_file()
