"""SVG snapshots of the generate dialog in each state a user meets (pytest-textual-snapshot).

The OpenRouter stand-in serves a fixed model list and each test has a fresh home (no model
stats), so prices and ETAs are the same on every run; the session, its clock and the elapsed
timer are fixed too. Update with ``uv run pytest tests/tui/test_snapshots_generate.py
--snapshot-update`` and look at the pictures before committing.
"""

from __future__ import annotations

import pytest

from core.config import Config, load_config
from storage import ledger as db
from tests.clock import ManualClock
from tests.image_servers import Behaviour, StandIn
from tests.tui.helpers import KNOWN_SID, SNAPSHOT_TIME, settle, wait_for
from tui.app import make_app
from tui.screens.generate import GenerateScreen


class FrozenTimer:
    """A monotonic clock that moves only when the test says, so elapsed time is stable."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def images_config(home, openrouter_server: StandIn, monkeypatch: pytest.MonkeyPatch) -> Config:
    """The config with OpenRouter pointed at the stand-in (env set before it is read)."""
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-test-key")
    monkeypatch.setenv("VERSELIGHT_OPENROUTER_URL", openrouter_server.base_url)
    return load_config()


def prepare(known_session, credits: int = 0, admin: bool = False) -> None:
    ledger = known_session()
    try:
        if credits:
            ledger.grant(KNOWN_SID, credits, "test grant")
        if admin:
            with db.transaction(ledger.conn):
                db.make_admin(ledger.conn, KNOWN_SID, SNAPSHOT_TIME)
    finally:
        ledger.close()


async def open_dialog(pilot) -> GenerateScreen:
    await settle(pilot)
    await pilot.press("i")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, GenerateScreen)
    await wait_for(pilot, lambda: screen.state != "loading", "the models")
    await settle(pilot)
    return screen


SCENES = [
    # (id, credits, admin, terminal size)
    ("free-80x24", 0, False, (80, 24)),
    ("too-few-credits-80x24", 3, False, (80, 24)),
    ("enough-credits-80x24", 300, False, (80, 24)),
    ("enough-credits-100x30", 300, False, (100, 30)),
    ("free-100x32", 0, False, (100, 32)),
    ("too-few-credits-100x32", 3, False, (100, 32)),
    ("admin-80x24", 0, True, (80, 24)),
]


@pytest.mark.parametrize(
    ("credits", "admin", "size"), [s[1:] for s in SCENES], ids=[s[0] for s in SCENES]
)
def test_generate_dialog(snap_compare, images_config, known_session, credits, admin, size):
    prepare(known_session, credits, admin)
    app = make_app(images_config, "John 3:16", clock=ManualClock(SNAPSHOT_TIME))
    assert snap_compare(app, terminal_size=size, run_before=open_dialog)


@pytest.mark.parametrize("size", [(80, 24), (100, 32)], ids=["80x24", "100x32"])
def test_generate_dialog_credits_held_elsewhere(snap_compare, images_config, known_session, size):
    """Another terminal on this session is making an image: wait for it, no need to buy."""
    prepare(known_session, 5)
    ledger = known_session()
    hold = ledger.place_hold(KNOWN_SID, 5)
    app = make_app(images_config, "John 3:16", clock=ManualClock(SNAPSHOT_TIME))
    try:
        assert snap_compare(app, terminal_size=size, run_before=open_dialog)
    finally:
        ledger.release(hold)
        ledger.close()


def test_generate_dialog_no_color(snap_compare, images_config, known_session, monkeypatch):
    """Too few credits without colour: the words carry the meaning, not the red."""
    monkeypatch.setenv("NO_COLOR", "1")
    prepare(known_session, 3)
    app = make_app(images_config, "John 3:16", clock=ManualClock(SNAPSHOT_TIME))
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_dialog)


def test_generate_dialog_sketch_chosen(snap_compare, images_config, known_session):
    prepare(known_session, 3)
    app = make_app(images_config, "John 3:16", clock=ManualClock(SNAPSHOT_TIME))

    async def run_before(pilot):
        await open_dialog(pilot)
        await pilot.press("down")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (100, 30)], ids=["80x24", "100x30"])
def test_generate_progress(
    snap_compare, images_config, known_session, openrouter_server, monkeypatch, size
):
    """Twelve seconds into a 20-second estimate, the provider still working."""
    prepare(known_session, 300)
    timer = FrozenTimer()
    monkeypatch.setattr(GenerateScreen, "timer", staticmethod(timer))
    app = make_app(images_config, "John 3:16", clock=ManualClock(SNAPSHOT_TIME))

    async def run_before(pilot):
        screen = await open_dialog(pilot)
        slow_from_now(openrouter_server)
        await pilot.click("#start")
        await wait_for(pilot, lambda: openrouter_server.started.is_set(), "the provider call")
        timer.now += 12
        await wait_for(pilot, lambda: "12 s of about 20 s" in elapsed(screen), "the tick")
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=size, run_before=run_before)
    finally:
        openrouter_server.release.set()


def slow_from_now(server: StandIn) -> None:
    """Make the next call wait; the model list was fetched already (its GET also counts as a
    request, so ``started`` is cleared to mean the image call)."""
    server.behaviour = Behaviour.SLOW
    server.started.clear()


def elapsed(screen: GenerateScreen) -> str:
    return str(screen.query_one("#elapsed").render())


def test_generate_failed(snap_compare, images_config, known_session, openrouter_server):
    prepare(known_session, 300)
    app = make_app(images_config, "John 3:16", clock=ManualClock(SNAPSHOT_TIME))

    async def run_before(pilot):
        screen = await open_dialog(pilot)
        openrouter_server.behaviour = Behaviour.PAYMENT_402
        await pilot.click("#start")
        await wait_for(pilot, lambda: screen.state == "error", "the error")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
