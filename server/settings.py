"""The serve command's numbers: where to listen, how many readers, and the host's guards."""

from __future__ import annotations

import os
from dataclasses import dataclass

READER_MB = 80
"""A reader process's resident size with room to spare (measured: benchmarks/bench_serve.py)."""


def default_max_sessions() -> int:
    """Half the machine's memory at ``READER_MB`` each, between 2 and 500."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 20
    return max(2, min(500, total // 2 // (READER_MB * 1024 * 1024)))


def default_max_starting() -> int:
    """One reader starting at once per core (at least 1, at most 8): ``server.start_gate``."""
    return max(1, min(8, os.cpu_count() or 1))


@dataclass(frozen=True, slots=True)
class ServeSettings:
    host: str = "127.0.0.1"
    port: int = 2222
    max_sessions: int = 20
    """Reader sessions at once; exec requests (``read``, ``search``) do not count."""
    per_address_per_minute: int = 20
    """New connections one address may open in any minute; more are closed at once."""
    idle_timeout_s: float = 1800.0
    """A reader with no input from its visitor for this long is closed (0: never)."""
    shutdown_grace_s: float = 4.0
    """How long readers get to save and quit after SIGTERM before they are killed."""
    max_starting: int = 2
    """Readers starting at once (``server.start_gate``); the others wait their turn."""
