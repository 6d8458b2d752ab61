"""Folders and files that hold sessions, money or secrets: 0700 folders, 0600 files.

Whatever the umask. SQLite gives a database's ``-wal`` and ``-shm`` files the mode of the
database file itself, so creating the main file 0600 before SQLite opens it keeps all three
private; a file or folder left looser by an older version is tightened when next opened.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700
POSIX = os.name == "posix"


def private_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) if missing, and make it 0700 when it is ours.

    Parents are left as they are: they are the user's folders (``~/.local/share``), not ours.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    tighten(folder, FOLDER_MODE)


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 unless it exists; True if this call created it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    try:
        if POSIX:
            os.fchmod(fd, FILE_MODE)  # the umask may have taken bits from the owner
    finally:
        os.close(fd)
    return True


def tighten(path: Path, mode: int = FILE_MODE) -> None:
    """Take group and other permissions off ``path`` if we own it (best effort: a file we may
    not change is reported by whatever then fails to use it)."""
    if not POSIX:
        return
    with contextlib.suppress(OSError):
        st = os.stat(path)
        if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) != mode:
            os.chmod(path, mode)


def cannot_write(folder: Path) -> str | None:
    """Why no file can be written in ``folder`` (the system's words), or None when one can.

    A real probe: a one-byte file made, synced and removed, so a read-only mount, missing
    permission and a full disk all show."""
    probe = folder / f".write-probe-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except OSError as exc:
        return _words(exc)
    try:
        os.write(fd, b"\0")
        os.fsync(fd)
    except OSError as exc:
        return _words(exc)
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(probe)
    return None


def _words(exc: OSError) -> str:
    return (exc.strerror or exc.__class__.__name__).rstrip(".").lower()
