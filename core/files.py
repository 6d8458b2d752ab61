"""Files that nobody ever sees half of: replaced atomically, or published without overwriting.

Sessions, images, exports and the reader's place are all written here, so a crash, a full disk
or a second process can leave the old file or the whole new one, never a part. Every file is
first written in full under a temporary name in the same folder (a rename or a link only stays
atomic within one filesystem), created 0600 with ``O_EXCL`` (never someone else's file, never
readable by others while it is written), given its final mode, fsynced, and only then put in
place; the folder is fsynced after, so the new name survives a power cut too.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_MODE = 0o600
POSIX = os.name == "posix"
_BINARY = getattr(os, "O_BINARY", 0)


def write_atomic(
    path: Path,
    data: bytes,
    *,
    mode: int = PRIVATE_MODE,
    temp_prefix: str | None = None,
    temp_suffix: str = ".tmp",
) -> None:
    """Replace ``path`` with ``data``: readers see the old file or the new one, never a part.

    The folder must exist (each caller decides how it is created). On failure the temporary
    file is removed and the old file is left as it was. The temporary name is
    ``temp_prefix`` (default ``.<name>.``), random hex and ``temp_suffix``, so a caller can
    recognise its own leftovers.
    """
    tmp = _temp_file(path, data, mode, temp_prefix, temp_suffix)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    sync_folder(path.parent)


def publish(
    path: Path,
    data: bytes,
    *,
    mode: int = PRIVATE_MODE,
    temp_prefix: str | None = None,
    temp_suffix: str = ".tmp",
    exclusive_fallback: bool = False,
) -> bool:
    """Create ``path`` holding ``data`` unless the name is taken; True if this call created it.

    The file is hard-linked into place, which fails if anything (even a dangling symlink) has
    the name: two processes racing see exactly one winner, and nobody ever sees the winner's
    file empty or cut short. Where hard links are not supported, the link's error is raised;
    with ``exclusive_fallback`` the file is created with ``O_EXCL`` on the final name instead
    (still exactly one winner, but briefly empty while written, and cut short by a crash).
    """
    tmp = _temp_file(path, data, mode, temp_prefix, temp_suffix)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    except (OSError, NotImplementedError):
        if not exclusive_fallback:
            raise
        return create_exclusive(path, data, mode=mode)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    sync_folder(path.parent)
    return True


def create_exclusive(path: Path, data: bytes, *, mode: int = PRIVATE_MODE) -> bool:
    """Create ``path`` with ``O_EXCL`` and write ``data`` into it; False if the name is taken.

    A failed write removes the file again, but a crash can leave it partly written: this is
    the fallback of ``publish`` where hard links are not supported, not a first choice.
    """
    try:
        _write_new(path, data, mode)
    except FileExistsError:
        return False
    sync_folder(path.parent)
    return True


def sync_folder(folder: Path) -> None:
    """Make a rename or link in ``folder`` durable (POSIX); best effort, since not every
    filesystem can."""
    if not POSIX:
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _temp_file(path: Path, data: bytes, mode: int, prefix: str | None, suffix: str) -> Path:
    """A new file next to ``path`` holding ``data``, fsynced, with its final ``mode``."""
    name = f"{prefix if prefix is not None else f'.{path.name}.'}{os.urandom(6).hex()}{suffix}"
    tmp = path.with_name(name)
    _write_new(tmp, data, mode)
    return tmp


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` (never someone else's file: ``O_EXCL``) holding ``data``, fsynced, with
    ``mode``; nothing is left at ``path`` when writing fails. ``FileExistsError`` if taken."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, PRIVATE_MODE)
    try:
        _fill(fd, data, mode)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    os.close(fd)


def _fill(fd: int, data: bytes, mode: int) -> None:
    if POSIX:
        # Exactly ``mode``: the umask can take bits away from the 0600 of the creation (put
        # back here), and a public file (an image, an export) needs more than 0600.
        os.fchmod(fd, mode)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)
