"""Small private files (the secret, the session token): 0600 writes (reads: storage.files).

A session token is a bearer credential and the secret signs every token, so neither may exist
on disk, even for a moment, with permissions looser than 0600, and a crash must never leave a
half-written one where a reader would take it for the real thing.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from storage.files import why

__all__ = ["POSIX", "PRIVATE_MODE", "publish_private", "why", "write_private"]

PRIVATE_MODE = 0o600
POSIX = os.name == "posix"
_BINARY = getattr(os, "O_BINARY", 0)


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically: a 0600 temp file in the same folder, written,
    fsynced and renamed over the old one. Readers see the old file or the new, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = _temp_file(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_dir(path.parent)


def publish_private(path: Path, data: bytes, *, make_parent: bool = True) -> bool:
    """Create ``path`` holding ``data`` unless it exists; True if this call created it.

    The file is written in full under a temp name and then hard-linked into place, which fails
    if the name is taken: two processes racing see exactly one winner, and nobody ever sees
    the winner's file empty. Where hard links are not supported, ``O_EXCL`` on the final name
    is the fallback (still exactly one winner, but briefly empty while being written).
    """
    if make_parent:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = _temp_file(path, data)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    except (OSError, NotImplementedError):
        return _create_exclusive(path, data)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    _sync_dir(path.parent)
    return True


def _create_exclusive(path: Path, data: bytes) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, PRIVATE_MODE)
    except FileExistsError:
        return False
    try:
        _fill(fd, data)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    os.close(fd)
    _sync_dir(path.parent)
    return True


def _temp_file(path: Path, data: bytes) -> Path:
    """A new file next to ``path``, created 0600 with O_EXCL (never someone else's file)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, PRIVATE_MODE)
    try:
        _fill(fd, data)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    return tmp


def _fill(fd: int, data: bytes) -> None:
    if POSIX:
        # The umask can only take bits away from 0600; this puts back any it took from the owner.
        os.fchmod(fd, PRIVATE_MODE)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)


def _sync_dir(folder: Path) -> None:
    """Make a rename or link durable (POSIX); best effort, since not every filesystem can."""
    if not POSIX:
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
