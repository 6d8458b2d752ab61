"""Loading: every verse of a SWORD Bible, cleaned, in our canonical order.

The module's own versification is kept as it is: we import exactly the verses it has, by
its own numbering, for the 66 books of our table.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from core.bible.books import by_osis
from core.bible.importers import ImportFailed
from core.bible.importers.sword.markup import clean
from core.bible.importers.sword.modules import ZIP_ERRORS, SwordModule
from core.bible.text import plain
from core.config import Config
from storage.bible import NewTranslation

Row = tuple[int, int, int, str, str]
"""(book number, chapter, verse, text, plain text) as ``Library.add`` takes it."""


def load(module: SwordModule, config: Config) -> tuple[NewTranslation, list[Row], int]:
    """(what the translation is, its verses in canonical order, how many there are)."""
    _check_readable(module)
    with _data_folder(module) as tree:
        bible = _open_bible(module, tree)
        rows, skipped = _read_rows(module, bible)
    if not rows:
        raise ImportFailed(
            f"{module.name} has no readable verses in the 66 books; the module may be damaged."
        )
    return _info(module, skipped), rows, len(rows)


def _check_readable(module: SwordModule) -> None:
    if not module.is_bible:
        raise ImportFailed(
            f"{module.name} is not a Bible text module (ModDrv={module.driver or 'missing'})."
        )
    if "cipherkey" in module.conf and not module.conf["cipherkey"].strip():
        raise ImportFailed(f"{module.name} is locked; unlock it with its key in SWORD first.")
    if not module.conf.get("datapath", "").strip():
        raise ImportFailed(f"{module.name}'s conf has no DataPath, so its text cannot be found.")


def _data_path(module: SwordModule) -> PurePosixPath:
    """DataPath relative to the tree root, refusing paths that climb out of it."""
    path = PurePosixPath(module.conf["datapath"].strip().replace("\\", "/"))
    parts = [p for p in path.parts if p not in (".", "/")]
    if ".." in parts or not parts:
        raise ImportFailed(f"{module.name}'s conf has an unusable DataPath ({path}).")
    return PurePosixPath(*parts)


@contextmanager
def _data_folder(module: SwordModule) -> Iterator[Path]:
    """The folder holding the module's data files; a zip's are copied to a temporary one."""
    data = _data_path(module)
    if module.zip_prefix is None:
        yield module.root / data
        return
    inside = "/".join(p for p in (module.zip_prefix, str(data)) if p) + "/"
    with tempfile.TemporaryDirectory(prefix="verselight-sword-") as tmp:
        try:
            with zipfile.ZipFile(module.root) as archive:
                for member in archive.namelist():
                    if member.startswith(inside) and not member.endswith("/"):
                        archive.extract(member, tmp)
        except ZIP_ERRORS as exc:
            raise ImportFailed(f"{module.root} cannot be unpacked ({exc}).") from exc
        yield Path(tmp) / inside


def _open_bible(module: SwordModule, folder: Path) -> Any:
    from pysword.bible import SwordBible
    from pysword.canons import canons

    conf = module.conf
    if not folder.is_dir():
        raise ImportFailed(f"{module.name}'s text files are missing (no folder {folder}).")
    versification = conf.get("versification", "KJV").strip().lower() or "kjv"
    if versification not in canons:
        raise ImportFailed(
            f"{module.name} uses the {conf['versification'].strip()} versification, "
            "which pysword cannot read."
        )
    try:
        return SwordBible(
            str(folder),
            module.driver,
            versification,
            conf.get("encoding", "").strip().lower() or None,
            conf.get("sourcetype", "OSIS").strip() or "OSIS",
            conf.get("blocktype", "BOOK").strip().upper() or "BOOK",
            conf.get("compresstype", "ZIP").strip().upper() or "ZIP",
            conf.get("cipherkey", "").strip() or None,
        )
    except ValueError as exc:
        raise ImportFailed(f"{module.name} cannot be read ({exc}).") from exc
    except OSError as exc:
        raise ImportFailed(f"{module.name}'s text files cannot be opened ({exc}).") from exc


@contextmanager
def _blocks_read_once(bible: Any) -> Iterator[None]:
    """Decompress each block once: pysword re-inflates a whole book for every verse.

    That is what makes a plain pysword read take 40-55 s; with the last few blocks kept,
    a whole Bible reads in a fraction of a second. pysword answers a block it cannot read
    with b"" (and the verses in it would silently vanish), so that is treated as damage.
    The cache lives on the instance only while we read, so the module's files are closed
    as soon as ``bible`` is dropped.
    """
    if not hasattr(bible, "_decompressed_text"):
        yield
        return
    read = bible._decompressed_text

    def read_block(testament: str, number: int) -> bytes:
        data: bytes = read(testament, number)
        if not data:
            raise ValueError(f"block {number} of the {testament.upper()} cannot be decompressed")
        return data

    bible._decompressed_text = lru_cache(maxsize=4)(read_block)
    try:
        yield
    finally:
        del bible._decompressed_text


def _read_rows(module: SwordModule, bible: Any) -> tuple[list[Row], int]:
    """All non-empty verses of the 66 books, in our canonical order, and how many books
    outside the 66 were left out."""
    cleaner = _cleaner(module)
    ours, skipped = _books_in_canon(bible)
    rows: list[Row] = []
    try:
        with _blocks_read_once(bible):
            for number, book in ours:
                rows.extend(_book_rows(bible, number, book, cleaner))
    except ImportFailed:
        raise
    except Exception as exc:  # pysword meets damaged files with any kind of error
        why = str(exc) or type(exc).__name__
        raise ImportFailed(f"{module.name} is damaged and cannot be read ({why}).") from exc
    return rows, skipped


def _books_in_canon(bible: Any) -> tuple[list[tuple[int, Any]], int]:
    """(our book number, pysword book) sorted canonically; some canons order books otherwise."""
    ours: list[tuple[int, Any]] = []
    skipped = 0
    for books in bible.get_structure().get_books().values():
        for book in books:
            known = by_osis(book.osis_name)
            if known is None:
                skipped += 1
            else:
                ours.append((known.number, book))
    ours.sort(key=lambda pair: pair[0])
    return ours, skipped


def _book_rows(bible: Any, number: int, book: Any, cleaner: Callable[[str], str]) -> list[Row]:
    refs = [
        (chapter, verse)
        for chapter, count in enumerate(book.chapter_lengths, start=1)
        for verse in range(1, count + 1)
    ]
    rows: list[Row] = []
    texts = bible.get_iter(books=book.name, clean=False)
    for (chapter, verse), raw in zip(refs, texts, strict=True):
        if not isinstance(raw, str):  # pysword's RawText answers b"" past the end of its file
            raise ValueError(f"{book.name} {chapter}:{verse} lies outside the text file")
        text = cleaner(raw)
        if text:
            rows.append((number, chapter, verse, text, plain(text)))
    return rows


def _cleaner(module: SwordModule) -> Callable[[str], str]:
    source_type = module.conf.get("sourcetype", "OSIS").strip() or "OSIS"
    lang = module.conf.get("lang", "en").strip() or "en"
    ticks = module.conf.get("osisqtotick", "true").strip().lower() != "false"

    def cleaner(raw: str) -> str:
        return clean(raw, source_type, lang=lang, quote_ticks=ticks)

    return cleaner


def _info(module: SwordModule, skipped_books: int) -> NewTranslation:
    conf = module.conf
    version = conf.get("version", "").strip()
    source = f"SWORD module {module.name}" + (f" {version}" if version else "")
    if skipped_books:
        source += f" ({skipped_books} books outside the 66-book canon left out)"
    licence = (
        conf.get("distributionlicense", "").strip()
        or conf.get("shortcopyright", "").strip()
        or conf.get("copyright", "").strip()
        or "See the module's conf"
    )
    return NewTranslation(
        id=module.translation_id,
        name=module.description,
        language=conf.get("lang", "").strip() or "und",
        source=source,
        license=licence,
    )
