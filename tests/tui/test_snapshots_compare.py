"""SVG snapshots of side by side: two columns at 120x40, stacked at 80x24, a verse only the
second translation has, a chapter it lacks, and the dialog that picks the second translation.

Update with ``uv run pytest tests/tui/test_snapshots_compare.py --snapshot-update -n0`` and look
at every changed picture before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import Config
from tests.second_translation import add_gappy
from tests.tui.helpers import settle

SCENES = [
    # (id, where the reader opens, terminal size, keys: `s`, then Enter picks GAPPY)
    ("side-by-side-120x40", "John 3:16", (120, 40), ["s", "enter"]),
    ("stacked-80x24", "John 3:16", (80, 24), ["s", "enter"]),
    # Reading GAPPY with KJV beside it: GAPPY lacks 3:16 and leaves 3:17 empty.
    ("a-verse-only-the-second-has-120x40", "John 3:16 GAPPY", (120, 40), ["s", "enter"]),
    # The column heads, and a chapter the second translation lacks.
    ("a-chapter-the-second-lacks-120x40", "Acts 1:1", (120, 40), ["s", "enter"]),
    ("pick-the-second-80x24", "John 3:16", (80, 24), ["s"]),
]


@pytest.fixture
def gappy(config: Config, kjv_rows) -> str:
    return add_gappy(Path(config.paths.library_db), kjv_rows)


@pytest.mark.parametrize(
    ("start", "size", "keys"), [s[1:] for s in SCENES], ids=[s[0] for s in SCENES]
)
def test_side_by_side(snap_compare, app_factory, gappy, start, size, keys):
    async def run_before(pilot):
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    assert snap_compare(app_factory(start), terminal_size=size, run_before=run_before)
