"""Fixtures for driving the real app through Pilot: a fresh home per test, KJV already in it.

Functions and constants that test modules import live in ``tests/tui/helpers.py``; this file holds
fixtures only. Importing KJV takes about half a second, so the session's pristine library
(``kjv_library_file`` in ``tests/conftest.py``) is copied into each test's ``VERSELIGHT_HOME``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.bible.library import Library
from core.billing.ledger import Ledger
from core.config import Config, load_config
from core.sessions import tokens
from core.sessions.files import write_private
from core.sessions.secret import load_secret
from storage import ledger as db
from storage.bible import NewTranslation
from tests.clock import ManualClock
from tests.tui.helpers import KNOWN_SID, SNAPSHOT_TIME
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
    monkeypatch.delenv("NO_COLOR", raising=False)
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


@pytest.fixture
def known_session(config: Config) -> Callable[..., Ledger]:
    """Make this home's token point at a fixed session (stable ids in snapshots).

    Returns a function giving a Ledger on the home's database with the same fixed clock, for
    the test to grant, hold or charge with.
    """
    clock = ManualClock(SNAPSHOT_TIME)
    ledger = Ledger.open(config.paths.ledger_db, clock=clock)
    db.create_session(ledger.conn, KNOWN_SID, clock())
    token = tokens.issue(KNOWN_SID, load_secret(config), clock(), config.session_ttl)
    write_private(config.paths.token_file, token.encode())
    ledger.close()

    def open_ledger() -> Ledger:
        return Ledger.open(config.paths.ledger_db, clock=clock)

    return open_ledger
