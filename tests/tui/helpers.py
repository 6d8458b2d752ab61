"""What Pilot tests import: waiting for the app to be still, reading its toasts, fixed ids and times.

Fixtures live in ``tests/tui/conftest.py``; test modules import from here, never from a conftest.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input

if TYPE_CHECKING:
    from tui.screens.buy_credits import BuyCreditsScreen
    from tui.widgets.chapter_view import ShownVerse


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


async def get_invoice(pilot: Pilot[None]) -> BuyCreditsScreen:
    """Open the buy dialog and ask for an invoice; the screen once it has an answer."""
    from tui.screens.buy_credits import BuyCreditsScreen

    await pilot.press("b")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, BuyCreditsScreen) and screen.state == "selection"
    await pilot.click("#get-invoice")
    await wait_for(pilot, lambda: screen.state not in ("selection", "loading"), "the invoice")
    await settle(pilot)
    return screen


SNAPSHOT_TIME = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
KNOWN_SID = "5e55" + "0" * 28


def toasts(app: App[Any]) -> list[str]:
    """The messages of the notifications the app is showing (or has queued), oldest first."""
    return [notification.message for notification in app._notifications]


def shown_lines(node: Any) -> list[ShownVerse]:
    """The chapter's verses as the chapter view under ``node`` (a screen, or the view itself)
    shows them, in order."""
    from tui.widgets.chapter_view import ChapterView

    view = node if isinstance(node, ChapterView) else node.query_one(ChapterView)
    return view.lines()
