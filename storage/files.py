"""Reading a file whose path someone else chose: regular files only, never more than a cap.

Config files, the session token and secret, an imported session, LND's certificate and
macaroon, the reader's place, SWORD confs and stored images all come from paths a user or
operator can point anywhere. A FIFO there would block ``open`` or ``read`` forever, and
``/dev/zero`` or a huge file would be read until memory runs out. So every such read goes
through ``read_regular``: opened non-blocking (a FIFO without a writer opens at once), checked
with ``fstat`` on the open descriptor (no race with a swapped path), and read to at most
``limit + 1`` bytes so "too large" is told apart from "exactly the limit".

It lives in ``storage``, the bottom layer, so that both ``core`` and ``payments`` (which must
not import ``core``) can use the same rule.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


class UnreadableFile(OSError):
    """The file exists but cannot be used. ``reason`` (also ``strerror``) is a clause without
    the path ("it is not a regular file") for a caller's own sentence; ``str()`` is a sentence.
    An ``OSError``, so code that already copes with unreadable files copes with these too."""

    def __init__(self, path: Path, reason: str, *, too_large: bool = False) -> None:
        super().__init__(f"{path} cannot be read: {reason}.")
        self.path = path
        self.reason = reason
        self.strerror = reason
        self.too_large = too_large


@dataclass(frozen=True, slots=True)
class FileRead:
    data: bytes
    """The whole file, at most ``limit`` bytes."""
    mode: int
    """``st_mode`` of the file that was read (of the open descriptor, not of a later lookup)."""


def size_words(limit: int) -> str:
    """``limit`` bytes in the unit a person would use: "4096 bytes", "64 KiB", "1 MiB"."""
    for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if limit >= size and limit % size == 0:
            return f"{limit // size} {unit}"
    return f"{limit} bytes"


def why(exc: OSError) -> str:
    """The operating system's words for a failure, without a path (the caller names it)."""
    return (exc.strerror or exc.__class__.__name__).rstrip(".").lower()


def read_regular(path: Path, limit: int) -> FileRead:
    """The bytes of the regular file at ``path`` (symlinks followed), at most ``limit``.

    ``FileNotFoundError`` when nothing is there (callers often treat that as "not set up yet");
    ``UnreadableFile`` for anything else: not a regular file, larger than ``limit``, or an
    operating-system error such as a denied permission.
    """
    try:
        fd = os.open(path, _FLAGS)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise UnreadableFile(path, why(exc)) from None
    try:
        st = os.fstat(fd)
        chunks: list[bytes] = []
        remaining = limit + 1
        while stat.S_ISREG(st.st_mode) and remaining > 0:
            chunk = os.read(fd, remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise UnreadableFile(path, why(exc)) from None
    finally:
        os.close(fd)
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise UnreadableFile(path, f"it is {kind}")
    if remaining <= 0:
        raise UnreadableFile(
            path, f"it is larger than {size_words(limit)}, the limit", too_large=True
        )
    return FileRead(b"".join(chunks), st.st_mode)
