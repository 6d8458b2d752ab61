"""Issue 14: with a second translation side by side, a chapter change takes at most 30 ms
(median), shown beside the same figure with one translation, measured in the same run.

One ``app.run_test(headless=True)`` session per terminal size opens the reader at Genesis 1:1
(KJV, in a temporary ``VERSELIGHT_HOME`` that also holds the World English Bible, imported from
Debian's ``sword-text-web`` module) and presses ``l`` (next chapter) ``PRESSES`` times with one
translation, then again over the same chapters with WEB beside KJV (`s`, then Enter in the
dialog that picks it), then ``h`` (previous chapter) back over them. At 120x40 the two are
in columns; at 80x24 they are stacked.

The reader makes the next chapter ready (read, aligned and counted) once a chapter change is
painted and the rest of it wrapped, so ``l`` finds it ready: between presses the benchmark
lets the app go idle, as a reader would. ``h`` finds nothing prepared and shows what a jump to
any other chapter costs.

As in ``bench_keypress``, every frame Textual hands to its driver is timestamped once turned
into the escape sequences a terminal would receive, and for each press

    latency = time of the last frame painted because of the key - time just before the press

which covers the binding, reading both chapters, aligning them, wrapping the chapter view,
layout, rendering and the frame that scrolls the verse into view. The process's CPU time over
the same span is shown too: on a shared machine the wall-clock figure is mostly waiting for a
core, and the CPU figure says what the change itself costs. A few presses first warm
each series up (the first pass through the code, not the chapters: each series reads its
chapters from the library, which keeps only the last 32 in memory).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from _common import Row, child_env, median, ms, p95, report, temp_home

PRESSES = 60
"""Chapter changes per series: Genesis 1 to Exodus 11 (chapters of 20 to 67 verses)."""
WARM_UP = 5
SIZES = [(120, 40), (80, 24)]
WEB_MODULE = "engWEB2015eb"


def add_web(home: Path) -> str:
    """Import WEB into the library under ``home``; the id it got."""
    from core.bible.importers import sword
    from core.bible.library import Library
    from core.config import load_config

    config = load_config(child_env(home))
    module = sword.locate(WEB_MODULE, config)
    info, rows, expected = sword.load(module, config)
    library = Library.open(config.paths.library_db)
    try:
        return library.add(info, rows, expected).id
    finally:
        library.close()


async def measure(app: Any, size: tuple[int, int]) -> dict[str, list[tuple[float, float]]]:
    """(latency, CPU time) in seconds of PRESSES chapter changes, alone and side by side."""
    from core.bible.references import VerseRef
    from tui.screens.reader import ReaderScreen
    from tui.screens.translations import TranslationsScreen
    from tui.widgets.chapter_view import ChapterView

    frames: list[tuple[float, float]] = []
    display = app._display

    def watch(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None:
            renderable.render_segments(app.console)
            frames.append((time.perf_counter(), time.process_time()))

    app._display = watch
    out: dict[str, list[tuple[float, float]]] = {}
    async with app.run_test(headless=True, size=size) as pilot:
        await pilot.pause()
        reader = app.screen
        assert isinstance(reader, ReaderScreen), reader

        async def series(key: str = "l") -> list[tuple[float, float]]:
            latencies = []
            if key == "l":
                await reader.go_to(VerseRef(1, 1, 1))
            await pilot.pause()
            for n in range(WARM_UP + PRESSES):
                before = reader.ref
                frames.clear()
                start, cpu = time.perf_counter(), time.process_time()
                await pilot.press(key)
                await pilot.pause()
                assert reader.ref.chapter != before.chapter and frames, (before, reader.ref)
                if n >= WARM_UP:
                    latencies.append((frames[-1][0] - start, frames[-1][1] - cpu))
            return latencies

        out["next chapter, one translation"] = await series()
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, TranslationsScreen), app.screen
        await pilot.press("enter")
        await pilot.pause()
        assert reader.beside is not None
        out["next chapter, side by side"] = await series()
        # Back over the same chapters: the reader prepares only the next chapter ahead.
        out["previous chapter, side by side"] = await series("h")
        shown = reader.query_one(ChapterView).lines()
        assert shown and shown[0].pair is not None, "side by side did not show"
        await pilot.press("q")
    return out


def run() -> list[Row]:
    from core.config import load_config
    from tui.app import make_app

    rows = []
    with temp_home() as home:
        started = time.perf_counter()
        web = add_web(home)
        imported = time.perf_counter() - started
        for width, height in SIZES:
            config = load_config(child_env(home))
            # The reader remembers side by side with its place: each size starts without it.
            config.paths.reader_state.unlink(missing_ok=True)
            app = make_app(config, reference="Genesis 1:1")
            series = asyncio.run(measure(app, (width, height)))
            layout = "in columns" if width >= 100 else "stacked"
            for name, measured in series.items():
                target = 30.0 if name == "next chapter, side by side" else None
                label = f"{width}x{height} {name}"
                if target:
                    label += f" (KJV | {web}, {layout})"
                wall = [m[0] for m in measured]
                cpu = [m[1] for m in measured]
                rows += [
                    Row(f"{label}, median of {len(wall)}", ms(median(wall)), "ms", target),
                    Row(f"{width}x{height} {name}, p95", ms(p95(wall)), "ms"),
                    Row(f"{width}x{height} {name}, CPU median", ms(median(cpu)), "ms"),
                ]
    rows.append(Row(f"(set-up: WEB imported from {WEB_MODULE})", ms(imported), "ms"))
    return rows


if __name__ == "__main__":
    report("Side by side: next chapter (run_test, KJV and WEB, from Genesis 1:1)", run())
