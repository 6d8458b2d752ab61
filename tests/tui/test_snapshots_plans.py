"""SVG snapshots of the reading plan: "Today's reading" at start and the plan screen, with a
plan under way and behind, and with none yet. Dates show in UTC on every machine.

Update with ``uv run pytest tests/tui/test_snapshots_plans.py --snapshot-update -n0`` and look
at the pictures before committing.
"""

from __future__ import annotations

import pytest

from tests.clock import ManualClock
from tests.tui.helpers import SNAPSHOT_TIME, settle
from tests.tui.test_image_view import utc_local_time
from tests.tui.test_plans import start_plan
from tui.app import make_app

SIZES = [(80, 24), (120, 40)]


@pytest.fixture(autouse=True)
def _utc():
    with utc_local_time():
        yield


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_todays_reading(snap_compare, config, known_session, size):
    known_session()
    start_plan(config, "psalms-proverbs", days_ago=2)
    app = make_app(config, "John 3:16", clock=ManualClock(SNAPSHOT_TIME))
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_plan_screen_behind(snap_compare, config, known_session, size):
    known_session()
    start_plan(config, "year", days_ago=3)
    app = make_app(config, "John 3:16", clock=ManualClock(SNAPSHOT_TIME))

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_plan_screen_without_a_plan(snap_compare, config, known_session):
    known_session()
    app = make_app(config, "John 3:16", clock=ManualClock(SNAPSHOT_TIME))

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
