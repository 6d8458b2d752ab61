"""Small changes repaint what changed, not the whole terminal (tui/screens/quiet_repaints.py).

Served over SSH a whole frame is 15-30 KB. Textual renders a whole frame through
``Compositor.render_full_update``; these tests count its calls while the real app runs (the
count is the only thing added) and expect none for changes that touch a few cells.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator

import pytest
from textual._compositor import Compositor
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import ModalScreen, Screen
from textual.widgets import Button

import tui.screens
from tests.tui.helpers import settle, wait_for
from tui.messages import CreditsChanged
from tui.screens.quiet_repaints import QuietRepaints
from tui.screens.reader import ReaderScreen
from tui.widgets.credits_badge import CreditsBadge


class TwoButtons(QuietRepaints, ModalScreen[None]):
    """A dialog over the dimmed reader, as the app's dialogs are."""

    DEFAULT_CSS = "TwoButtons { align: center middle; background: $background 60%; }"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Button("One", id="one")
            yield Button("Two", id="two")


@pytest.fixture
def whole_frames(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per whole frame Textual renders from now on."""
    rendered: list[int] = []
    original = Compositor.render_full_update

    def counted(self: Compositor, simplify: bool = False) -> object:
        rendered.append(1)
        return original(self, simplify=simplify)

    monkeypatch.setattr(Compositor, "render_full_update", counted)
    return rendered


async def test_credits_changing_under_a_dialog_repaint_only_the_badge(app_factory, whole_frames):
    app = app_factory("John 3:16")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        badge = reader.query_one(CreditsBadge)
        await app.push_screen(TwoButtons())
        await settle(pilot)
        whole_frames.clear()
        for amount in (300, 5, 7):  # each one a new balance, then a message for nothing
            app.account.ledger.grant(app.account.session_id, amount, "test")
            app.post_message(CreditsChanged())
            before = str(badge.render())

            def changed(before: str = before) -> bool:
                return str(badge.render()) != before

            await wait_for(pilot, changed, "the badge")
            app.post_message(CreditsChanged())
            await settle(pilot)
        assert "312 credits" in str(badge.render())
        assert whole_frames == []  # Textual's default: one whole frame per message, from the 2nd


async def test_moving_the_focus_in_a_dialog_repaints_only_the_buttons(app_factory, whole_frames):
    app = app_factory("John 3:16")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        dialog = TwoButtons()
        await app.push_screen(dialog)
        await settle(pilot)
        whole_frames.clear()
        for expected in ("two", "one", "two"):
            await pilot.press("tab")
            await settle(pilot)
            assert dialog.focused is not None and dialog.focused.id == expected
        assert whole_frames == []  # Textual's default: a whole frame at every focus change


def _screen_classes() -> Iterator[type[Screen[object]]]:
    for module_info in pkgutil.iter_modules(tui.screens.__path__):
        module = importlib.import_module(f"tui.screens.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Screen) and cls.__module__ == module.__name__:
                yield cls


def test_every_screen_repaints_quietly() -> None:
    screens = list(_screen_classes())
    assert len(screens) >= 18
    loud = [cls.__name__ for cls in screens if not issubclass(cls, QuietRepaints)]
    assert loud == []
