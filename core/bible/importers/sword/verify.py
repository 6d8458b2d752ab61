"""A downloaded SWORD Bible checked before anything is imported from it.

``InstallSize`` is only approximate, so the files are checked against themselves: every entry
of the block index lies inside the compressed text and inflates to the size it states, and
every verse entry lies inside its block (zText) or its text file (RawText). A download cut
short, or files that are not the module the conf describes, fail here with one sentence.
"""

from __future__ import annotations

import bz2
import lzma
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from core.bible.importers import ImportFailed

_BLOCK_FILES = {"BOOK": "b", "CHAPTER": "c", "VERSE": "v"}
_VERSE_RECORDS = {"ztext": "<IIH", "ztext4": "<III", "rawtext": "<IH", "rawtext4": "<II"}
_INFLATE: dict[str, Callable[[bytes], bytes]] = {
    "ZIP": zlib.decompress,
    "BZIP2": bz2.decompress,
    "XZ": lzma.decompress,
}
TESTAMENTS = ("ot", "nt")


def file_names(driver: str, conf_block_type: str) -> tuple[str, ...]:
    """The suffixes of one testament's files, index first: ``ot`` + suffix is a file name."""
    if driver in ("ztext", "ztext4"):
        letter = _BLOCK_FILES.get(conf_block_type.strip().upper() or "BOOK")
        if letter is None:
            raise ImportFailed(f"BlockType={conf_block_type} is not one SWORD knows.")
        return (f".{letter}zs", f".{letter}zv", f".{letter}zz")
    if driver in ("rawtext", "rawtext4"):
        return (".vss", "")
    raise ImportFailed(f"ModDrv={driver} is not a Bible text driver.")


def check(folder: Path, name: str, driver: str, block_type: str, compress_type: str) -> None:
    """Raise ``ImportFailed`` unless every testament present in ``folder`` reads whole."""
    suffixes = file_names(driver, block_type)
    present = [t for t in TESTAMENTS if (folder / f"{t}{suffixes[0]}").exists()]
    if not present:
        raise ImportFailed(f"{name} has no text files for either testament.")
    for testament in present:
        files = [folder / f"{testament}{s}" for s in suffixes]
        if driver.startswith("ztext"):
            _check_compressed(name, testament, driver, compress_type, *files)
        else:
            _check_raw(name, testament, driver, files[0], files[1])


def _records(data: bytes, fmt: str, what: str) -> list[tuple[int, ...]]:
    size = struct.calcsize(fmt)
    if len(data) % size:
        raise ValueError(f"{what} is cut short")
    return list(struct.iter_unpack(fmt, data))


def _check_compressed(
    name: str, testament: str, driver: str, compress_type: str, bzs: Path, bzv: Path, bzz: Path
) -> None:
    kind = compress_type.strip().upper() or "ZIP"
    inflate = _INFLATE.get(kind)
    if inflate is None:
        raise ImportFailed(f"{name} is compressed with {kind}, which Verselight cannot read.")
    where = f"{name}'s {testament.upper()} files"
    try:
        text = bzz.read_bytes()
        sizes: list[int] = []
        for number, (offset, size, full) in enumerate(
            _records(bzs.read_bytes(), "<III", "the block index")
        ):
            if offset + size > len(text):
                raise ValueError(f"block {number} lies past the end of the text")
            try:
                block = inflate(text[offset : offset + size])
            except (zlib.error, OSError, lzma.LZMAError, EOFError) as exc:
                raise ValueError(f"block {number} does not decompress ({exc})") from None
            if len(block) != full:
                raise ValueError(f"block {number} holds {len(block)} bytes, not {full}")
            sizes.append(full)
        for verse, (block_no, start, length) in enumerate(
            _records(bzv.read_bytes(), _VERSE_RECORDS[driver], "the verse index")
        ):
            if length and (block_no >= len(sizes) or start + length > sizes[block_no]):
                raise ValueError(f"verse entry {verse} points outside the text")
    except OSError as exc:
        raise ImportFailed(f"{where} cannot be read ({exc.strerror or exc}).") from None
    except ValueError as exc:
        raise ImportFailed(f"{where} are damaged: {exc}.") from None


def _check_raw(name: str, testament: str, driver: str, vss: Path, data_file: Path) -> None:
    where = f"{name}'s {testament.upper()} files"
    try:
        size = data_file.stat().st_size
        for verse, (start, length) in enumerate(
            _records(vss.read_bytes(), _VERSE_RECORDS[driver], "the verse index")
        ):
            if length and start + length > size:
                raise ValueError(f"verse entry {verse} points past the end of the text")
    except OSError as exc:
        raise ImportFailed(f"{where} cannot be read ({exc.strerror or exc}).") from None
    except ValueError as exc:
        raise ImportFailed(f"{where} are damaged: {exc}.") from None
