"""Target 5: a whole-Bible search takes at most 10 ms (median) and 30 ms (p95).

KJV is imported once into a temporary ``VERSELIGHT_HOME``; one ``Library`` is opened on it and
100 queries of common words (68 single words, 32 two-word queries) are run through
``Library.search(tid, query, limit=...)``, which counts every match and returns one page of
``Verse`` objects. Timed per call with ``time.perf_counter``, once with ``limit=50`` and once
with ``limit=200`` (what the TUI's search dialog asks for). Before them, one query
("charity") on the freshly opened connection warms it; its time is shown for context.
"""

from __future__ import annotations

import time

from _common import Row, median, ms, p95, report, temp_home

from core.bible.library import Library

WORDS = (
    "love", "faith", "lord", "god", "light", "water", "king", "heaven", "earth", "spirit",
    "the", "and", "of", "that", "shall", "unto", "him", "his", "them", "they", "israel",
    "people", "house", "land", "day", "man", "son", "father", "children", "hand", "said",
    "came", "went", "made", "word", "life", "death", "sin", "blood", "fire", "bread", "wine",
    "peace", "grace", "mercy", "truth", "righteousness", "glory", "power", "holy", "law",
    "sword", "prophet", "priest", "temple", "jerusalem", "david", "moses", "jesus", "christ",
    "disciples", "gospel", "church", "angel", "soul", "heart", "eyes", "voice",
)  # fmt: skip
PAIRS = (
    "love god", "holy spirit", "son man", "lord god", "king israel", "living water",
    "kingdom heaven", "eternal life", "house lord", "children israel", "faith hope",
    "the lord", "and the", "of god", "light world", "good shepherd", "bread life",
    "word god", "fear lord", "peace you", "grace truth", "sin death", "heaven earth",
    "jesus christ", "mount olives", "first last", "lamb god", "new covenant", "daily bread",
    "hosts lord", "right hand", "his name",
)  # fmt: skip
QUERIES = WORDS + PAIRS


def timings(lib: Library, tid: str, limit: int) -> list[float]:
    out = []
    for q in QUERIES:
        start = time.perf_counter()
        result = lib.search(tid, q, limit=limit)
        out.append(time.perf_counter() - start)
        assert result.total > 0, q
    return out


def run() -> list[Row]:
    assert len(QUERIES) == 100
    with temp_home() as home:
        lib = Library.open(home / "data" / "library.sqlite")
        try:
            start = time.perf_counter()
            lib.search("KJV", "charity", limit=50)
            cold = time.perf_counter() - start
            t50 = timings(lib, "KJV", 50)
            t200 = timings(lib, "KJV", 200)
        finally:
            lib.close()
    slowest = max(zip(t200, QUERIES, strict=True))
    return [
        Row("limit=50, median of 100 queries", ms(median(t50)), "ms", 10.0),
        Row("limit=50, p95", ms(p95(t50)), "ms", 30.0),
        Row("limit=200 (as the TUI), median", ms(median(t200)), "ms", 10.0),
        Row("limit=200 (as the TUI), p95", ms(p95(t200)), "ms", 30.0),
        Row(f"limit=200, slowest query ({slowest[1]!r})", ms(slowest[0]), "ms"),
        Row("first query on a fresh connection", ms(cold), "ms"),
    ]


if __name__ == "__main__":
    report("5. Whole-Bible search (Library.search, KJV)", run())
