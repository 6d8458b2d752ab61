"""Image files on disk, written so that a row never points at a missing or partial file.

A file is written to a temporary name beside its final one, flushed and fsynced, then renamed
over (atomic on POSIX), and the folder is fsynced; only then is the database row that points
at it committed. A crash in between leaves a file without a row, never a row without a file;
``check`` finds both kinds so the start-up notice can say so.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass
from pathlib import Path

from core import files
from core.printable import printable
from storage.files import read_regular

TEMP_PREFIX = ".tmp-"
IN_FLIGHT = 60.0
"""Seconds a file may exist before its row: writing and committing take milliseconds, so a
younger file may belong to a generation still finishing in another process."""


MAX_IMAGE_FILE_BYTES = 256 * 1024 * 1024
"""No image is saved larger than [images] max_megabytes (at most 256); reading stops here."""


def read_image_file(path: Path) -> bytes:
    """A stored image's bytes. Only a regular file, read to at most the cap: a FIFO or device
    left in the images folder must not hang or flood the reader. OSError when unusable."""
    return read_regular(path, MAX_IMAGE_FILE_BYTES).data


class ExportError(Exception):
    """An export could not be written. ``str()`` is a sentence for the user."""


@dataclass(frozen=True, slots=True)
class StoreCheck:
    files_without_rows: list[Path]
    rows_without_files: list[str]
    """Image ids whose file is missing."""
    temp_files: list[Path]

    @property
    def clean(self) -> bool:
        return not (self.files_without_rows or self.rows_without_files or self.temp_files)

    def sentences(self) -> list[str]:
        """What the user is told at start, one sentence per problem."""
        out = []
        loose = len(self.files_without_rows) + len(self.temp_files)
        if loose:
            out.append(
                f"Found {loose} image file(s) with no record, left by an interrupted "
                "generation (nothing was charged for them)."
            )
        if self.rows_without_files:
            ids = ", ".join(i[:8] for i in self.rows_without_files[:3])
            out.append(
                f"{len(self.rows_without_files)} illustration(s) on record lost their file "
                f"({ids}); they show as missing."
            )
        return out


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    The temporary file is named with ``TEMP_PREFIX``, so ``check`` can tell an interrupted
    write from an image without a row.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    files.write_atomic(path, data, mode=mode, temp_prefix=TEMP_PREFIX, temp_suffix="")


class ImageStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @staticmethod
    def relative_path(image_id: str, extension: str) -> str:
        """Two-level fan-out keeps folders small however many images there are."""
        return f"{image_id[:2]}/{image_id}.{extension.lstrip('.')}"

    def path(self, relative: str) -> Path:
        return self.root / relative

    def write(self, relative: str, data: bytes) -> Path:
        path = self.path(relative)
        write_atomic(path, data)
        return path

    def discard(self, relative: str) -> None:
        self.path(relative).unlink(missing_ok=True)

    def check(self, rows: list[tuple[str, str]], *, now: float | None = None) -> StoreCheck:
        """Compare the files on disk with the rows (``(id, relative file)``).

        Files younger than ``IN_FLIGHT`` seconds are left out of the loose ones: another
        Verselight may be between writing one and committing its row.
        """
        now = time.time() if now is None else now
        on_disk: set[Path] = set()
        temps: list[Path] = []
        young: set[Path] = set()
        if self.root.is_dir():
            for sub in self.root.iterdir():
                if not sub.is_dir():
                    continue
                for file in sub.iterdir():
                    on_disk.add(file)
                    try:
                        if now - file.stat().st_mtime < IN_FLIGHT:
                            young.add(file)
                    except OSError:
                        continue
        for file in on_disk - young:
            if file.name.startswith(TEMP_PREFIX):
                temps.append(file)
        known = {self.path(rel): image_id for image_id, rel in rows}
        loose = {f for f in on_disk - young - set(known) if not f.name.startswith(TEMP_PREFIX)}
        return StoreCheck(
            files_without_rows=sorted(loose),
            rows_without_files=sorted(i for p, i in known.items() if p not in on_disk),
            temp_files=sorted(temps),
        )

    def export(self, relative: str, destination: Path) -> Path:
        """Save the image as PNG at ``destination`` (a folder gets the image's own name).

        An existing file is never overwritten, not even one that appears while we write: the
        copy is published with a hard link, which fails when the name is taken.
        """
        try:
            destination = destination.expanduser()
            if destination.is_dir():
                destination = destination / (Path(relative).stem + ".png")
            if destination.suffix.lower() != ".png":
                destination = destination.with_name(destination.name + ".png")
            if not destination.parent.is_dir():
                raise ExportError(f"The folder {destination.parent} does not exist.")
            data = self._png(relative)
            self._publish(destination, data)
        except ExportError:
            raise
        except FileExistsError as exc:
            raise ExportError(
                f"{printable(destination)} already exists; choose another name."
            ) from exc
        except (OSError, RuntimeError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ExportError(f"Could not export to {printable(destination)} ({reason}).") from exc
        return destination

    def _png(self, relative: str) -> bytes:
        """The image's bytes as PNG (stored PNGs as they are; JPEG and WebP converted)."""
        import io

        from PIL import Image

        try:
            data = read_image_file(self.path(relative))
        except OSError as exc:
            raise ExportError(f"The image file is missing or unreadable ({exc.strerror}).") from exc
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            return data
        try:
            with Image.open(io.BytesIO(data)) as img:
                buffer = io.BytesIO()
                img.save(buffer, format="PNG")
        except (OSError, ValueError, SyntaxError) as exc:
            raise ExportError(f"The stored image could not be converted to PNG ({exc}).") from exc
        return buffer.getvalue()

    @staticmethod
    def _publish(destination: Path, data: bytes) -> None:
        """Hard-link a finished copy into place: never over an existing file, and never a
        cut-short file under the user's name (no ``O_EXCL`` fallback where links fail)."""
        if not files.publish(
            destination, data, mode=0o644, temp_prefix=TEMP_PREFIX, temp_suffix=""
        ):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(destination))
