"""Shared fixtures: a clean environment and a hand-moved clock for every test, one KJV library
built per test session (per xdist worker) and copied wherever a test may write, and the stand-in
servers (``tests/stand_ins.py``).

The suite runs in parallel (pytest-xdist, ``--dist loadgroup``). A test that starts processes,
races them, or asserts how long something took carries ``pytest.mark.xdist_group("serial")``
(a whole file through ``pytestmark``): every such test goes to the same worker and they run one
after another, so no two of them compete for the cores. Ports are always ephemeral and files
live under ``tmp_path``, so workers never share either.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from core.bible.library import Library
from tests.clock import DEFAULT_START, ManualClock

pytest_plugins = ["tests.stand_ins"]

# Settings the app reads from the environment: a developer's real keys, node or home must never
# reach a test, so every test starts without them and sets what it needs with monkeypatch.
CLEARED_PREFIXES = ("VERSELIGHT_", "OPENROUTER_", "LND_", "LNCLI_")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every Verselight, OpenRouter and LND variable for the length of the test."""
    for name in list(os.environ):
        if name.startswith(CLEARED_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def lasting_toasts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Toasts that outlast a slow test: the app's 5 s default can run out on a busy 2-core
    machine between the moment a toast is shown and the moment a test reads it. (Toasts given
    their own timeout keep it.)"""
    from textual.app import App

    monkeypatch.setattr(App, "NOTIFICATION_TIMEOUT", 120.0)


@pytest.fixture
def clock_start() -> datetime:
    """Where ``clock`` starts; a test module overrides this fixture to start elsewhere."""
    return DEFAULT_START


@pytest.fixture
def clock(clock_start: datetime) -> ManualClock:
    """A clock that stands still until the test moves it (``clock.advance(hours=1)``)."""
    return ManualClock(clock_start)


def copy_library(src: Path, dest: Path) -> Path:
    """Copy a closed library file (and any WAL side files) to ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    for suffix in ("-wal", "-shm"):
        side = src.with_name(src.name + suffix)
        if side.exists():
            shutil.copyfile(side, dest.with_name(dest.name + suffix))
    return dest


def table_counts(path: Path) -> dict[str, int]:
    """Rows in the library's tables, read with a plain connection (not through Library).

    ``verses_fts_docsize`` has one row per document in the full-text index, so it counts what
    the index holds rather than what the external content table holds.
    """
    conn = sqlite3.connect(path)
    try:
        return {
            name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            for name in ("translations", "verses", "verses_fts_docsize")
        }
    finally:
        conn.close()


@pytest.fixture(scope="session")
def count_rows():
    """``table_counts`` as a fixture, so test modules need not import conftest."""
    return table_counts


@pytest.fixture(scope="session")
def copy_lib():
    """``copy_library`` as a fixture, so test modules need not import conftest."""
    return copy_library


@pytest.fixture(scope="session")
def kjv_library_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pristine library file holding KJV, built once; never open it for writing, copy it."""
    path = tmp_path_factory.mktemp("kjv-pristine") / "library.sqlite"
    lib = Library.open(path)
    lib.import_default()
    lib.close()
    return path


@pytest.fixture(scope="session")
def kjv_library(
    kjv_library_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Library]:
    """An open KJV library shared by read-only tests (its own copy of the pristine file)."""
    path = copy_library(kjv_library_file, tmp_path_factory.mktemp("kjv-shared") / "library.sqlite")
    lib = Library.open(path)
    yield lib
    lib.close()


@pytest.fixture
def writable_kjv_library(kjv_library_file: Path, tmp_path: Path) -> Iterator[Library]:
    """A KJV library this test may change (a fresh copy of the pristine file)."""
    path = copy_library(kjv_library_file, tmp_path / "lib" / "library.sqlite")
    lib = Library.open(path)
    yield lib
    lib.close()


@pytest.fixture(scope="session")
def kjv_rows() -> list[tuple[int, int, int, str, str]]:
    """Every (book, chapter, verse, text, plain) the KJV importer yields, in order."""
    from core.bible.importers import kjv

    return list(kjv.verses())


@pytest.fixture
def verselight_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kjv_library_file: Path
) -> Path:
    """VERSELIGHT_HOME in tmp_path with the KJV library already in place (no first-run import)."""
    home = tmp_path / "home"
    copy_library(kjv_library_file, home / "data" / "library.sqlite")
    monkeypatch.setenv("VERSELIGHT_HOME", str(home))
    return home
