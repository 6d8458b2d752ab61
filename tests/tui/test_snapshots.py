"""SVG snapshots of the reader and its dialogs (pytest-textual-snapshot).

Update after an intended change with ``uv run pytest tests/tui/test_snapshots.py
--snapshot-update`` and look at the report before committing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.admin.gate import AdminGate
from core.admin.passwords import Verifier
from core.config import load_config
from tests.clock import ManualClock
from tests.tui.helpers import KNOWN_SID, SNAPSHOT_TIME, settle
from tui.app import make_app

SCENES = [
    # (id, where the reader opens, terminal size, keys pressed before the picture)
    ("reader-80x24", "John 3:16", (80, 24), []),
    ("reader-120x40", "John 3:16", (120, 40), []),
    ("reader-long-chapter-scrolled", "Ps 119:100", (80, 24), ["j"] * 40),
    ("goto-dialog", "John 3:16", (80, 24), ["g", *"1 cor 13:4"]),
    ("goto-dialog-100x32", "John 3:16", (100, 32), ["g", *"1 cor 13:4"]),
    ("goto-suggestions-and-error", "John 3:16", (80, 24), ["g", *"jo 99"]),
    ("search-results", "John 3:16", (100, 30), ["slash", *"faith hope"]),
    ("search-results-80x24", "John 3:16", (80, 24), ["slash", *"faith hope"]),
    ("search-results-100x32", "John 3:16", (100, 32), ["slash", *"faith hope"]),
    ("help-screen", "John 3:16", (80, 24), ["question_mark"]),
    ("help-screen-scrolled-to-the-end", "John 3:16", (80, 24), ["question_mark", "end"]),
    ("help-screen-100x32", "John 3:16", (100, 32), ["question_mark"]),
]

SIZES = [(80, 24), (100, 32)]
"""Every dialog is pictured at the smallest size the README promises and at a common one."""


@pytest.mark.parametrize(
    ("start", "size", "keys"), [s[1:] for s in SCENES], ids=[s[0] for s in SCENES]
)
def test_scene(snap_compare, app_factory, start, size, keys):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)

    assert snap_compare(app_factory(start), terminal_size=size, run_before=run_before)


def test_reader_no_color(snap_compare, app_factory, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(app_factory("Ps 23:1"), terminal_size=(80, 24), run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_translations_dialog(snap_compare, app_factory, with_tiny_translation, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)

    assert snap_compare(app_factory("John 3:16"), terminal_size=size, run_before=run_before)


def test_badge_paid(snap_compare, config, known_session):
    ledger = known_session()
    ledger.grant(KNOWN_SID, 300, "test grant")
    ledger.close()
    app = make_app(config, "John 3:16", clock=ManualClock(SNAPSHOT_TIME))
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_history_screen(snap_compare, config, known_session, size):
    ledger = known_session()
    ledger.grant(KNOWN_SID, 300, "test grant")
    ledger.adjust(KNOWN_SID, -20, "correction")
    ledger.place_hold(KNOWN_SID, 7)
    ledger.close()
    app = make_app(config, "John 3:16", clock=ManualClock(SNAPSHOT_TIME))

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_onboarding(snap_compare, config, known_session, home, size):
    (home / "state" / "onboarded").unlink()
    app = make_app(config, "John 3:16", clock=ManualClock(SNAPSHOT_TIME))
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("scene", ["asking", "wrong", "locked", "admitted"])
def test_admin_login(snap_compare, home, known_session, monkeypatch, scene, size):
    monkeypatch.setenv("VERSELIGHT_ADMIN_PASSWORD", "correct horse battery staple")
    config = load_config()
    clock = ManualClock(SNAPSHOT_TIME)
    if scene == "locked":
        ledger = known_session()
        gate = AdminGate(ledger, Verifier.from_config(config))
        for _ in range(5):
            gate.login(KNOWN_SID, "wrong")
        ledger.close()
        clock.now += timedelta(minutes=12)
    typed = {"wrong": "guess", "admitted": "correct horse battery staple"}.get(scene)

    async def run_before(pilot):
        await settle(pilot)
        if typed:
            await pilot.press(*typed, "enter")
            await settle(pilot)

    app = make_app(config, "John 3:16", admin=True, clock=clock)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


MARK_SCENES = [
    # (id, terminal size, keys pressed before the picture)
    ("chapter-with-marks-80x24", (80, 24), []),
    ("chapter-with-marks-120x40", (120, 40), []),
    ("note-editor-80x24", (80, 24), ["a"]),
    ("note-editor-100x32", (100, 32), ["a"]),
    ("marks-list-80x24", (80, 24), ["M"]),
    ("marks-list-100x32", (100, 32), ["M"]),
]


@pytest.mark.parametrize(
    ("size", "keys"), [s[1:] for s in MARK_SCENES], ids=[s[0] for s in MARK_SCENES]
)
def test_marks(snap_compare, config, known_session, size, keys):
    """John 3: 16 bookmarked, highlighted and annotated; 14 highlighted blue; 17 bookmarked;
    Romans 8:28 annotated (the navigator marks Romans too)."""
    from textual.widgets import TextArea

    from core.bible.references import VerseRef
    from core.marks import Marks
    from core.user_data import UserData
    from storage.user_db import connect

    clock = ManualClock(SNAPSHOT_TIME)
    marks = Marks(UserData(connect(config.paths.user_db), KNOWN_SID), clock)
    john = VerseRef(43, 3, 16)
    marks.toggle_bookmark(john, "KJV")
    marks.cycle_highlight(john, "KJV")
    marks.set_note(john, "KJV", "Whosoever: no one is left out.\nRead with Romans 5:8.")
    for _ in range(3):
        marks.cycle_highlight(VerseRef(43, 3, 14), "KJV")
    clock.advance(hours=1)
    marks.toggle_bookmark(VerseRef(43, 3, 17), "KJV")
    marks.set_note(VerseRef(45, 8, 28), "KJV", "All things, not some things.")

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)
        for area in pilot.app.screen.query(TextArea):
            # Lines drawn while blinking stay cached: drop them so every line is drawn anew.
            area.cursor_blink = False
            area.notify_style_update()
            area.refresh()
        await pilot.pause()

    app = make_app(config, "John 3:16", clock=clock)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
