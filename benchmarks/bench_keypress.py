"""Target 4: a next-verse key press is handled and repainted in at most 10 ms (median of 500).

One ``app.run_test(headless=True, size=(80, 24))`` session opens the reader at Genesis 1:1
(KJV, in a temporary ``VERSELIGHT_HOME``) and presses ``j`` 500 times with ``pilot.press``,
each followed by ``pilot.pause()``.

Timing ``pilot.press`` itself would measure the test harness: it sleeps in steps of 20 ms
until the CPU is idle. So instead every frame Textual hands to its driver (``App._display``)
is timestamped, after being turned into the escape sequences a real terminal would receive
(the headless driver skips that step; only the write itself is missing). For each press:

    latency = time of the last frame painted because of the key - time just before the press

This covers the key event's dispatch, the binding, ``action_next_verse`` -> ``go_to`` (and on a
new chapter the wrapping of its text), layout, rendering, and the extra frame when the
highlighted verse has to be scrolled into view. The ``go_to`` return time is shown too
("handled"), and so is the first frame after the key. Presses are spaced by the harness's
idle waits (at least 20 ms of quiet after the last frame), so the first frame after a key is
never held back by Textual's 60 fps screen-update timer. A further frame asked for just
after one was painted is: that timer's next slot is then 17-33 ms away.

Presses that cross into a new chapter (its text is wrapped anew) are reported
separately from presses within a chapter.

The same 500 presses are then measured again with the reader's marks on (issue 14: they must
cost nothing measurable): every third verse of the chapters walked through is bookmarked,
every fifth highlighted (the colours in turn) and every seventh has a note, so each new
chapter also reads its marks from the user database and draws glyphs and colours.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from _common import Row, child_env, median, ms, p95, report, temp_home

PRESSES = 500


async def measure(app: Any) -> list[tuple[float, float, bool, int, float]]:
    """(latency, handled, crossed a chapter, frames, first frame) for each press."""
    from tui.screens.reader import ReaderScreen

    frames: list[float] = []
    display = app._display

    def watch(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None:
            renderable.render_segments(app.console)
            frames.append(time.perf_counter())

    app._display = watch
    out = []
    async with app.run_test(headless=True, size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReaderScreen), screen
        go_to = screen.go_to
        handled: list[float] = []

        async def timed_go_to(ref: Any) -> None:
            await go_to(ref)
            handled.append(time.perf_counter())

        screen.go_to = timed_go_to  # type: ignore[method-assign]
        for _ in range(PRESSES):
            before = screen.ref
            frames.clear()
            handled.clear()
            start = time.perf_counter()
            await pilot.press("j")
            await pilot.pause()
            assert screen.ref != before and frames and handled, (before, screen.ref)
            crossed = (screen.ref.book, screen.ref.chapter) != (before.book, before.chapter)
            out.append(
                (frames[-1] - start, handled[-1] - start, crossed, len(frames), frames[0] - start)
            )
        await pilot.press("q")
    return out


def mark_chapters(config: Any) -> int:
    """Marks on Genesis 1-30 for this home's session (created here, as the reader would)."""
    from core.bible.references import VerseRef
    from core.marks import COLOURS, open_marks
    from core.services import ServiceOptions, open_services

    services = open_services(config, options=ServiceOptions(watch_payments=False))
    made = 0
    try:
        marks = open_marks(services.user_data(), services.clock)
        assert marks is not None, "no session"
        counts = services.ctx.library.versification("KJV").verse_counts(1) or ()
        for chapter in range(1, 31):
            for verse in range(1, counts[chapter - 1] + 1):
                ref = VerseRef(1, chapter, verse)
                if verse % 3 == 0:
                    marks.toggle_bookmark(ref, "KJV")
                    made += 1
                if verse % 5 == 0:
                    for _ in range(verse // 5 % len(COLOURS) + 1):
                        marks.cycle_highlight(ref, "KJV")
                    made += 1
                if verse % 7 == 0:
                    marks.set_note(ref, "KJV", f"A note on {ref}.\nWith a second line.")
                    made += 1
    finally:
        services.close()
    return made


def presses_in_a_home(marked: bool) -> tuple[list[tuple[float, float, bool, int, float]], int]:
    from core.config import load_config
    from tui.app import make_app

    with temp_home() as home:
        config = load_config(child_env(home))
        made = mark_chapters(config) if marked else 0
        app = make_app(config, reference="Genesis 1:1")
        return asyncio.run(measure(app)), made


def run() -> list[Row]:
    presses, _ = presses_in_a_home(marked=False)
    marked, made = presses_in_a_home(marked=True)
    within = [p[0] for p in presses if not p[2]]
    crossing = [p[0] for p in presses if p[2]]
    every = [p[0] for p in presses]
    return [
        Row(
            f"next verse, key -> last frame, median of {len(every)}", ms(median(every)), "ms", 10.0
        ),
        Row("next verse, key -> last frame, p95", ms(p95(every)), "ms"),
        Row(
            "next verse, key -> go_to returned (handled), median",
            ms(median([p[1] for p in presses])),
            "ms",
        ),
        Row("next verse, key -> first frame, median", ms(median([p[4] for p in presses])), "ms"),
        Row(f"within a chapter, median of {len(within)}", ms(median(within)), "ms"),
        Row("within a chapter, p95", ms(p95(within)), "ms"),
        Row(f"crossing into a new chapter, median of {len(crossing)}", ms(median(crossing)), "ms"),
        Row("crossing into a new chapter, max", ms(max(crossing)), "ms"),
        Row("frames painted per press, median", median([p[3] for p in presses]), "frames"),
        Row(
            f"with marks on ({made} in Genesis 1-30), key -> last frame, median",
            ms(median([p[0] for p in marked])),
            "ms",
            10.0,
        ),
        Row("with marks on, p95", ms(p95([p[0] for p in marked])), "ms"),
        Row(
            "with marks on, key -> go_to returned (handled), median",
            ms(median([p[1] for p in marked])),
            "ms",
        ),
        Row(
            "with marks on, crossing into a new chapter, median",
            ms(median([p[0] for p in marked if p[2]])),
            "ms",
        ),
    ]


if __name__ == "__main__":
    report("4. Next-verse key press (run_test, 80x24, from Genesis 1:1)", run())
