"""SVG snapshots of illustrations on screen: the reader's image pane and the viewer.

The illustrations are real stored ones with stable ids and times (offline sketches, and one
Gemini image bought from the stand-in OpenRouter server); pictures are half-blocks under tests.
Update after an intended change with ``uv run pytest tests/tui/test_snapshots_images.py
--snapshot-update`` and look at the pictures before committing.
"""

from __future__ import annotations

import pytest

from tests.clock import ManualClock
from tests.illustrations import add_sketches
from tests.tui.helpers import KNOWN_SID, SNAPSHOT_TIME, settle
from tests.tui.test_image_view import JOHN_3_16, JOHN_3_17, LATER, add_paid, utc_local_time
from tui import image_support
from tui.app import make_app


@pytest.fixture(autouse=True)
def _stable(monkeypatch):
    monkeypatch.delenv(image_support.RENDERER_ENV, raising=False)
    with utc_local_time():
        yield


@pytest.fixture
async def illustrated(config, home, known_session, openrouter_server):
    """John 3:16: a Gemini image (newest) and three sketches; John 3:17: one sketch."""
    ledger = known_session()
    await add_paid(home, openrouter_server, ledger, JOHN_3_16, at=LATER)
    ledger.close()
    return await add_sketches(
        config,
        KNOWN_SID,
        [(JOHN_3_16, "stained-glass"), (JOHN_3_16, "woodcut"), (JOHN_3_16, None),
         (JOHN_3_17, "classical")],
        at=SNAPSHOT_TIME,
    )  # fmt: skip


SCENES = [
    # (id, where the reader opens, terminal size, keys pressed before the picture)
    ("reader-80x24", "John 3:17", (80, 24), []),
    ("reader-120x40", "John 3:17", (120, 40), []),
    ("reader-paid-100x30", "John 3:16", (100, 30), []),
    ("viewer-100x30", "John 3:16", (100, 30), ["v"]),
    ("viewer-80x24", "John 3:16", (80, 24), ["v"]),
    ("viewer-sketch-100x30", "John 3:16", (100, 30), ["v", "l"]),
    ("viewer-sketch-80x24", "John 3:16", (80, 24), ["v", "end"]),
    ("viewer-narrow-60x30", "John 3:16", (60, 30), ["v", "l"]),
    ("export-dialog", "John 3:16", (80, 24), ["v", "e"]),
    ("export-dialog-100x32", "John 3:16", (100, 32), ["v", "e"]),
    ("viewer-100x32", "John 3:16", (100, 32), ["v"]),
]


@pytest.mark.parametrize(
    ("start", "size", "keys"), [s[1:] for s in SCENES], ids=[s[0] for s in SCENES]
)
def test_scene(snap_compare, config, illustrated, start, size, keys):
    async def run_before(pilot):
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    app = make_app(config, start, clock=ManualClock(SNAPSHOT_TIME))
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_missing_file(snap_compare, config, illustrated):
    illustrated[3].path.unlink()
    app = make_app(config, "John 3:17", clock=ManualClock(SNAPSHOT_TIME))
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)
