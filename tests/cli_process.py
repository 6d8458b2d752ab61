"""The real ``verselight`` command in a child process, with pipes (no terminal anywhere)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def run_cli(
    *argv: str,
    env: Mapping[Any, Any] | None = None,
    timeout: float = 60,
    stdin: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m cli ARGV`` from the project folder; ``env`` defaults to this process's."""
    return subprocess.run(
        [sys.executable, "-m", "cli", *argv],
        cwd=ROOT,
        env=env,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
