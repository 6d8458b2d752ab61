"""SVG snapshots of the reader and its dialogs (pytest-textual-snapshot).

Update after an intended change with ``uv run pytest tests/tui/test_snapshots.py
--snapshot-update`` and look at the report before committing.
"""

from __future__ import annotations

import pytest

from tests.tui.conftest import settle


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_reader(snap_compare, app_factory, size):
    assert snap_compare(app_factory("John 3:16"), terminal_size=size, run_before=settle)


def test_reader_long_chapter_scrolled(snap_compare, app_factory):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press(*["j"] * 40)
        await settle(pilot)

    assert snap_compare(app_factory("Ps 119:100"), terminal_size=(80, 24), run_before=run_before)


def test_reader_no_color(snap_compare, app_factory, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(app_factory("Ps 23:1"), terminal_size=(80, 24), run_before=settle)


def test_goto_dialog(snap_compare, app_factory):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("g", *"1 cor 13:4")
        await settle(pilot)

    assert snap_compare(app_factory("John 3:16"), terminal_size=(80, 24), run_before=run_before)


def test_goto_dialog_suggestions_and_error(snap_compare, app_factory):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("g", *"jo 99")
        await settle(pilot)

    assert snap_compare(app_factory("John 3:16"), terminal_size=(80, 24), run_before=run_before)


def test_search_results(snap_compare, app_factory):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("slash", *"faith hope")
        await settle(pilot)

    assert snap_compare(app_factory("John 3:16"), terminal_size=(100, 30), run_before=run_before)


def test_help_screen(snap_compare, app_factory):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(app_factory("John 3:16"), terminal_size=(80, 24), run_before=run_before)


def test_translations_dialog(snap_compare, app_factory, with_tiny_translation):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)

    assert snap_compare(app_factory("John 3:16"), terminal_size=(80, 24), run_before=run_before)
