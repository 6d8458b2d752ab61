"""Target 9: the offline sketch is drawn in at most 100 ms at 1024x576, in every theme.

``draw_sketch`` (the whole job: composition, theme finish, PNG encoding) is timed in this
process with ``time.perf_counter`` for six verses chosen to exercise different motifs
(pastoral default, night sky, storm at sea with a boat, fire, city with river and mountains,
desert). Each verse is first drawn once as a warm-up (not counted; the slowest of these,
which include first-call costs such as the woodcut's cached hatching, is shown for context),
then four timed runs per verse: 24 runs per theme, of which the median and the slowest are
checked against the target. The medians at 1024x1024 (1:1) and 576x1024 (9:16) over all
themes are shown for context.
"""

from __future__ import annotations

import time

from _common import Row, median, ms, report

from core.generation.sketch import SKETCH_THEMES, draw_sketch

VERSES = (
    ("John 3:16", "For God so loved the world, that he gave his only begotten Son"),
    ("Genesis 15:5", "Look now toward heaven, and tell the stars, if thou be able to number them"),
    (
        "Matthew 8:24",
        "And, behold, there arose a great tempest in the sea, insomuch that the ship was "
        "covered with the waves: but he was asleep.",
    ),
    (
        "Exodus 3:2",
        "And the angel of the LORD appeared unto him in a flame of fire out of the midst of a "
        "bush: and he looked, and, behold, the bush burned with fire, and the bush was not "
        "consumed.",
    ),
    (
        "Psalm 137:1",
        "By the rivers of Babylon, there we sat down, yea, we wept, when we remembered Zion, "
        "and the mountains round about Jerusalem.",
    ),
    (
        "Isaiah 40:3",
        "The voice of him that crieth in the wilderness, Prepare ye the way of the LORD",
    ),
)
RUNS = 4
TARGET_MS = 100.0


def timed(text: str, ref: str, theme: str | None, width: int, height: int) -> float:
    start = time.perf_counter()
    draw_sketch(text, ref, theme, width, height)
    return time.perf_counter() - start


def run() -> list[Row]:
    rows: list[Row] = []
    firsts: list[float] = []
    for theme in (None, *SKETCH_THEMES):
        name = theme or "plain"
        samples: list[float] = []
        for ref, text in VERSES:
            firsts.append(timed(text, ref, theme, 1024, 576))
            samples += [timed(text, ref, theme, 1024, 576) for _ in range(RUNS)]
        rows.append(
            Row(f"{name}, 1024x576, median of {len(samples)}", ms(median(samples)), "ms", TARGET_MS)
        )
        rows.append(Row(f"{name}, 1024x576, slowest", ms(max(samples)), "ms", TARGET_MS))
    rows.append(Row("slowest first draw of a verse (not counted above)", ms(max(firsts)), "ms"))
    for width, height in ((1024, 1024), (576, 1024)):
        others = [
            timed(text, ref, theme, width, height)
            for theme in (None, *SKETCH_THEMES)
            for ref, text in VERSES
        ]
        rows.append(Row(f"all themes, {width}x{height}, median", ms(median(others)), "ms"))
    return rows


if __name__ == "__main__":
    report("9. Offline sketch (draw_sketch, PNG bytes)", run())
