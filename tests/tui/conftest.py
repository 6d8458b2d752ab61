"""Fixtures for driving the real app through Pilot: a fresh home per test, KJV already in it.

Importing KJV takes about half a second, so the session's pristine library
(``kjv_library_file`` in ``tests/conftest.py``) is copied into each test's ``VERSELIGHT_HOME``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from core.bible.library import Library
from core.billing.ledger import Ledger
from core.config import Config, load_config
from core.sessions import tokens
from core.sessions.files import write_private
from core.sessions.secret import load_secret
from storage import ledger as db
from storage.bible import NewTranslation
from tui.app import VerselightApp, make_app


@pytest.fixture
def home(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kjv_library_file: Path,
    copy_lib: Callable[[Path, Path], Path],
) -> Path:
    """A VERSELIGHT_HOME whose library already holds KJV."""
    monkeypatch.setenv("VERSELIGHT_HOME", str(tmp_path))
    for name in ("NO_COLOR", "VERSELIGHT_TRANSLATION", "VERSELIGHT_SWORD_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    copy_lib(kjv_library_file, tmp_path / "data" / "library.sqlite")
    # Onboarding has its own tests; elsewhere the reader should be what opens.
    (tmp_path / "state").mkdir(exist_ok=True)
    (tmp_path / "state" / "onboarded").write_text("shown\n")
    return tmp_path


@pytest.fixture
def config(home: Path) -> Config:
    return load_config()


@pytest.fixture
def app_factory(config: Config) -> Callable[..., VerselightApp]:
    def make(reference: str | None = None, translation: str | None = None) -> VerselightApp:
        return make_app(config, reference=reference, translation=translation)

    return make


@pytest.fixture
def with_tiny_translation(config: Config) -> str:
    """A second translation, New Testament only and numbered its own way (John 3 has 20)."""
    library = Library.open(config.paths.library_db)
    rows = [(43, 3, v, f"Tiny John 3:{v}.", f"Tiny John 3:{v}.") for v in range(1, 21)]
    rows += [(66, 22, v, f"Tiny Rev 22:{v}.", f"Tiny Rev 22:{v}.") for v in range(1, 4)]
    info = NewTranslation("TINY", "Tiny Test Translation", "en", "tests", "none")
    library.add(info, iter(rows), len(rows))
    library.close()
    return "TINY"


async def settle(pilot: Pilot[None]) -> None:
    """Wait until the app is still: workers done, cursors not blinking, a frame painted."""
    # Textual reads TEXTUAL_ANIMATIONS when it is imported, before any fixture runs: set the
    # level on the app itself so spinners and fades draw their still form.
    pilot.app.animation_level = "none"
    await pilot.app.workers.wait_for_complete()
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    """Let the app run until ``condition`` holds (for work that is debounced, like the palette)."""
    for _ in range(1000):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"timed out waiting for {what}")


class FixedClock:
    """A clock that stands still until a test moves it (for stable times on screen)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


SNAPSHOT_TIME = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
KNOWN_SID = "5e55" + "0" * 28


@pytest.fixture
def known_session(config: Config) -> Callable[..., Ledger]:
    """Make this home's token point at a fixed session (stable ids in snapshots).

    Returns a function giving a Ledger on the home's database with the same fixed clock, for
    the test to grant, hold or charge with.
    """
    clock = FixedClock(SNAPSHOT_TIME)
    ledger = Ledger.open(config.paths.ledger_db, clock=clock)
    db.create_session(ledger.conn, KNOWN_SID, clock())
    token = tokens.issue(KNOWN_SID, load_secret(config), clock(), config.session_ttl)
    write_private(config.paths.token_file, token.encode())
    ledger.close()

    def open_ledger() -> Ledger:
        return Ledger.open(config.paths.ledger_db, clock=clock)

    return open_ledger
