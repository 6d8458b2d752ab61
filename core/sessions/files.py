"""Small private files (the secret, the session token): capped reads and 0600 writes.

A session token is a bearer credential and the secret signs every token, so neither may exist
on disk, even for a moment, with permissions looser than 0600, and a crash must never leave a
half-written one where a reader would take it for the real thing.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from core.files import POSIX, PRIVATE_MODE, publish, write_atomic

__all__ = [
    "POSIX",
    "PRIVATE_MODE",
    "FileRead",
    "publish_private",
    "read_capped",
    "why",
    "write_private",
]

_BINARY = getattr(os, "O_BINARY", 0)


@dataclass(frozen=True, slots=True)
class FileRead:
    data: bytes
    """At most ``limit + 1`` bytes, so the caller can tell a file that is too big."""
    mode: int
    """``st_mode`` of the file that was read (of the open descriptor, not of a later lookup)."""


def read_capped(path: Path, limit: int) -> FileRead | None:
    """Read at most ``limit + 1`` bytes of a regular file; None when there is no file.

    Opened non-blocking and checked with ``fstat`` before reading, so a FIFO or device planted
    at the path can neither hang nor flood us. Other failures are ``OSError``.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _BINARY)
    except FileNotFoundError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "it is not a regular file")
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return FileRead(b"".join(chunks), st.st_mode)
    finally:
        os.close(fd)


def why(exc: OSError) -> str:
    """The operating system's words for a failure, without a path (the caller names it)."""
    return (exc.strerror or exc.__class__.__name__).rstrip(".").lower()


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, 0600 in a 0700 folder (``core.files``)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(path, data, mode=PRIVATE_MODE)


def publish_private(path: Path, data: bytes, *, make_parent: bool = True) -> bool:
    """Create ``path`` (0600) holding ``data`` unless it exists; True if this call created it.

    Two processes racing see exactly one winner (``core.files.publish``). Where hard links are
    not supported, ``O_EXCL`` on the final name is the fallback: a session file must be
    created on any filesystem, and a cut-short one is refused when read.
    """
    if make_parent:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return publish(path, data, mode=PRIVATE_MODE, exclusive_fallback=True)
