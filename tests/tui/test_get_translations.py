"""The translation dialog's "get more": the repositories' Bibles listed by a worker, filtered
by language, installed with progress and read at once; refused with a sentence when locked,
and absent when installing is off (as it will be for SSH visitors)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, ProgressBar, Static

from core.config import Config, load_config
from core.services import ServiceOptions
from tests.sword_repos import Served, serve, web_repository
from tests.tui.helpers import settle, toasts
from tui.app import make_app
from tui.screens.get_translations import GetTranslationsScreen
from tui.screens.reader import ReaderScreen
from tui.screens.translations import TranslationsScreen

# A whole-Bible import: one at a time with the other heavy tests (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("serial")


@pytest.fixture
def served() -> Iterator[Served]:
    yield from serve(web_repository(hostile=False))


@pytest.fixture
def sword_config(home: Path, served: Served, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("VERSELIGHT_SWORD_REPOS", f"Test={served.url}")
    return load_config()


def _names(screen: GetTranslationsScreen) -> list[str]:
    options = screen.query_one(OptionList)
    return [
        str(options.get_option_at_index(i).id).partition("\x00")[2]
        for i in range(options.option_count)
    ]


def _status(screen: GetTranslationsScreen) -> str:
    return str(screen.query_one("#status", Static).render())


async def test_get_more_lists_filters_installs_and_reads_the_new_translation(
    sword_config: Config,
) -> None:
    app = make_app(sword_config, "John 3:16")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TranslationsScreen)
        await pilot.press("m")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GetTranslationsScreen)
        assert _names(screen) == ["engWEB2015eb", "GerTest", "Locked"]  # no commentary
        assert _status(screen) == "3 Bibles."
        screen.query_one(Input).value = "de"
        await settle(pilot)
        assert _names(screen) == ["GerTest"]
        seen: list[float] = []
        bar = screen.query_one(ProgressBar)
        bar.watch_progress = lambda progress: seen.append(progress)
        screen.query_one(OptionList).focus()
        await pilot.press("enter")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        assert reader.translation == "GERT"
        assert "Installed GERT." in toasts(app)
        assert len(seen) > 2  # the bar moved while it downloaded and imported
        verse = reader.ctx.library.verse("GERT", reader.ref)
        assert verse is not None and verse.plain.startswith("For God so loved the world")


async def test_a_locked_bible_is_refused_with_a_sentence(sword_config: Config) -> None:
    app = make_app(sword_config, "John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("t", "m")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GetTranslationsScreen)
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert _status(screen) == (
            "Locked is locked: its publisher sells the key, and Verselight does not install "
            "locked modules."
        )
        assert screen.query_one("#status").has_class("-error")
        assert [t.id for t in screen.services.ctx.library.translations()] == ["KJV"]


async def test_a_repository_that_is_down_is_said_in_the_dialog(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERSELIGHT_SWORD_REPOS", "Gone=http://127.0.0.1:9/sword")
    app = make_app(load_config(), "John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("t", "m")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GetTranslationsScreen)
        assert _names(screen) == []
        assert _status(screen).startswith("No Bible in that language. The repository Gone ")


async def test_get_more_is_absent_when_installing_is_off(
    sword_config: Config, served: Served
) -> None:
    app = make_app(sword_config, "John 3:16", options=ServiceOptions(allow_install=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TranslationsScreen)
        assert "get more" not in str(app.screen.query_one("#keys").render())
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, TranslationsScreen)
    assert served.repo.requests == []


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_get_more_snapshot(snap_compare, sword_config: Config, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("t", "m")
        await settle(pilot)

    app = make_app(sword_config, "John 3:16")
    assert snap_compare(app, terminal_size=size, run_before=run_before)
