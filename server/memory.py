"""Giving back to the system the memory the server's start-up used and freed.

Start-up work (compiling modules that have no bytecode yet, connecting to the payment node)
frees most of what it allocates, but glibc keeps freed pages that lie below live ones in its
heaps, so the long-running server would carry them for its whole life: about 10 MB measured
when the modules were compiled at start (``benchmarks/bench_serve.py``). ``malloc_trim``
hands those pages back; it never moves or frees anything in use.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim  # the process's own libc
    except (OSError, AttributeError):
        return None
    return trim


def release_freed_memory() -> bool:
    """Return freed heap pages to the system; False where that cannot be done here."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
