"""Small private files (the secret, the session token): 0600 writes (reads: storage.files).

A session token is a bearer credential and the secret signs every token, so neither may exist
on disk, even for a moment, with permissions looser than 0600, and a crash must never leave a
half-written one where a reader would take it for the real thing.
"""

from __future__ import annotations

from pathlib import Path

from core.files import POSIX, PRIVATE_MODE, publish, write_atomic
from storage.files import why

__all__ = ["POSIX", "PRIVATE_MODE", "publish_private", "why", "write_private"]


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
