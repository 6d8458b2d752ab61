"""Target 10: illustrations on screen quickly, in half-blocks at 80x24.

(a) The reader's image pane: ``ImagePane.show_verse`` on a verse whose latest illustration is
    a stored 1024x576 sketch, measured from the call to the last frame it caused. Each run
    starts from a verse without an illustration (the pane shows its sentence), as when
    reading on into an illustrated verse. "Cold" clears the decoded-picture cache first (the
    PNG is read and decoded in the measured time); "warm" finds it decoded (coming back to a
    verse). Target: at most 50 ms.
(b) The viewer: ``l``/``h`` through ten illustrations of one verse, from the key to the last
    frame (picture, caption and every detail row repainted). "Decode in the frame" clears the
    cache just before each key, so the key has to read and decode the file; "as used" is the
    viewer as it runs, with the neighbours of the image shown decoded ahead in a thread.
    Target: at most 30 ms per image.

Frames are timestamped as ``bench_keypress`` does: every frame Textual hands to its driver is
turned into the escape sequences a terminal would receive, then timed. The illustrations are
real ones, made by the offline sketch through the real generation flow
(``tests.illustrations.add_sketches``) in a temporary ``VERSELIGHT_HOME``.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import Row, child_env, median, ms, report, temp_home

SESSION = "be0c" + "0" * 28
AT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
PANE_VERSES = 12
"""John 3:1-12 get one illustration each; John 3:20 has none (the starting point)."""
VIEWER_IMAGES = 10
ROUNDS = 3
THEMES = (None, "classical", "stained-glass", "woodcut", "watercolor")


def _make_session(config: Any) -> None:
    """What a first start does, with a known id: a session row and this home's token."""
    from core.billing.ledger import Ledger
    from core.sessions import tokens
    from core.sessions.files import write_private
    from core.sessions.secret import load_secret
    from storage import ledger as db

    ledger = Ledger.open(config.paths.ledger_db, clock=lambda: AT)
    db.create_session(ledger.conn, SESSION, AT)
    ledger.close()
    token = tokens.issue(SESSION, load_secret(config), AT, config.session_ttl)
    write_private(config.paths.token_file, token.encode())


async def _illustrate(config: Any) -> None:
    from core.bible.references import VerseRef
    from tests.illustrations import add_sketches

    pane = [(VerseRef(43, 3, v), THEMES[v % len(THEMES)]) for v in range(1, PANE_VERSES + 1)]
    await add_sketches(config, SESSION, pane, at=AT, id_prefix="a1")
    viewer = [(VerseRef(43, 3, 16), THEMES[n % len(THEMES)]) for n in range(VIEWER_IMAGES)]
    await add_sketches(config, SESSION, viewer, at=AT, id_prefix="b2")


class Frames:
    """Timestamps of painted frames (and what the picture showed in each)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.times: list[float] = []
        self.keys: list[str | None] = []
        self._display = app._display
        app._display = self._watch

    def _watch(self, screen: Any, renderable: Any) -> None:
        from tui.widgets.image_pane import Picture

        self._display(screen, renderable)
        if renderable is None:
            return
        renderable.render_segments(self.app.console)
        self.times.append(time.perf_counter())
        pictures = screen.query(Picture)
        self.keys.append(pictures.first().key if pictures else None)

    def clear(self) -> None:
        self.times.clear()
        self.keys.clear()

    def first_showing(self, key: str) -> float:
        """The time of the first frame painted with ``key`` in the picture."""
        return next(t for t, k in zip(self.times, self.keys, strict=True) if k == key)


async def _quiet(pilot: Any) -> None:
    """Let every frame the change asked for be painted (the 60 fps timer, a refit)."""
    await pilot.pause()
    await pilot.pause(0.05)


async def pane_runs(app: Any) -> dict[str, list[float]]:
    from core.bible.references import VerseRef
    from tui.image_support import pictures
    from tui.screens.reader import ReaderScreen
    from tui.widgets.image_pane import ImagePane

    frames = Frames(app)
    out: dict[str, list[float]] = {"cold": [], "warm": []}
    async with app.run_test(headless=True, size=(80, 24)) as pilot:
        await _quiet(pilot)
        assert isinstance(app.screen, ReaderScreen), app.screen
        pane = app.screen.query_one(ImagePane)
        plain = VerseRef(43, 3, 20)
        verses = [VerseRef(43, 3, v) for v in range(1, PANE_VERSES + 1)]
        pane.show_verse(verses[0])  # warms imports and Textual's caches; not measured
        await _quiet(pilot)
        for kind in ("cold", "warm") * ROUNDS:
            for ref in verses:
                if kind == "warm":
                    pane.show_verse(ref)  # decoded now, shown (measured) again below
                pane.show_verse(plain)
                await _quiet(pilot)
                assert pane.key is None and pane.message, pane.message
                if kind == "cold":
                    pictures.clear()
                frames.clear()
                start = time.perf_counter()
                pane.show_verse(ref)
                await _quiet(pilot)
                assert pane.shown is not None and pane.key == pane.shown.id
                assert pane.image_widget.display and pane.image_widget.size.area > 0
                out[kind].append(frames.first_showing(pane.key) - start)
        await pilot.press("q")
    return out


async def viewer_runs(app: Any) -> dict[str, list[float]]:
    from tui.image_support import pictures
    from tui.screens.reader import ReaderScreen
    from tui.screens.viewer import ViewerScreen

    frames = Frames(app)
    out: dict[str, list[float]] = {"decode": [], "used": [], "settled": []}
    async with app.run_test(headless=True, size=(80, 24)) as pilot:
        await _quiet(pilot)
        assert isinstance(app.screen, ReaderScreen), app.screen
        await pilot.press("v")
        await _quiet(pilot)
        viewer = app.screen
        assert isinstance(viewer, ViewerScreen) and len(viewer.illustrations) >= VIEWER_IMAGES

        async def page(key: str, kind: str) -> None:
            before = viewer.index
            if kind == "decode":
                await app.workers.wait_for_complete()
                pictures.clear()
            frames.clear()
            start = time.perf_counter()
            await pilot.press(key)
            await _quiet(pilot)
            assert viewer.index != before, (key, before)
            shown = viewer.illustrations[viewer.index].id
            out[kind].append(frames.first_showing(shown) - start)
            if kind == "used":
                out["settled"].append(frames.times[-1] - start)

        for kind in ("decode", "used") * ROUNDS:
            for _ in range(VIEWER_IMAGES - 1):
                await page("l", kind)
            for _ in range(VIEWER_IMAGES - 1):
                await page("h", kind)
        await pilot.press("escape")
        await pilot.press("q")
    return out


def run() -> list[Row]:
    from core.config import load_config
    from tui.app import make_app

    with temp_home() as home:
        config = load_config(child_env(home))
        _make_session(config)
        asyncio.run(_illustrate(config))
        size = _first_size(config.paths.images_dir)
        pane = asyncio.run(pane_runs(make_app(config, reference="John 3:20")))
        viewer = asyncio.run(viewer_runs(make_app(config, reference="John 3:16")))
    rows = []
    for kind, label in (("cold", "cold (read + decode)"), ("warm", "warm (decoded before)")):
        xs = pane[kind]
        rows += [
            Row(f"pane {size}, show_verse -> frame, {label}, median of {len(xs)}",
                ms(median(xs)), "ms", 50.0),
            Row(f"pane, {label}, max", ms(max(xs)), "ms", 50.0),
        ]  # fmt: skip
    for kind, label in (("decode", "decode in the frame"), ("used", "as used (decoded ahead)")):
        xs = viewer[kind]
        rows += [
            Row(f"viewer paging, key -> frame, {label}, median of {len(xs)}",
                ms(median(xs)), "ms", 30.0),
            Row(f"viewer paging, {label}, max", ms(max(xs)), "ms", 30.0),
        ]  # fmt: skip
    settled = viewer["settled"]
    rows.append(
        Row("viewer paging, key -> last frame (details' scrollbar resized), median",
            ms(median(settled)), "ms")
    )  # fmt: skip
    return rows


def _first_size(images: Path) -> str:
    from PIL import Image

    first = min(images.rglob("*.png"))
    with Image.open(first) as img:
        return f"{img.width}x{img.height}"


if __name__ == "__main__":
    report("10. Illustrations on screen (half-blocks, 80x24)", run())
