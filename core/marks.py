"""The reader's bookmarks, highlights and notes on verses (DESIGN.md section 12).

They live in the user database (``core.user_data``), part "marks", one row per kind and verse,
every query filtered by the session: when Verselight is served each visitor keeps their own,
and ``session import`` brings a session's marks with it because the rows are keyed by its id.

A mark belongs to the verse (book, chapter, verse), not to a translation, so a bookmark made in
KJV shows in WEB too; the translation read when it was made is kept for the export's text.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from core.bible.library import Library
from core.bible.references import VerseRef
from core.clock import Clock
from core.user_data import UserData, UserDataError

__all__ = [
    "COLOURS",
    "KINDS",
    "Mark",
    "Marks",
    "MarksError",
    "VerseMarks",
    "markdown",
]

PART = "marks"
MIGRATIONS: list[list[str]] = [
    [
        "CREATE TABLE marks ("
        " session_id TEXT NOT NULL,"
        " kind TEXT NOT NULL CHECK (kind IN ('bookmark', 'highlight', 'note')),"
        " book INTEGER NOT NULL, chapter INTEGER NOT NULL, verse INTEGER NOT NULL,"
        " translation TEXT NOT NULL,"
        " colour TEXT,"
        " note TEXT,"
        " saved_at TEXT NOT NULL,"
        " PRIMARY KEY (session_id, kind, book, chapter, verse))",
        "CREATE INDEX marks_by_place ON marks (session_id, book, chapter, verse)",
    ]
]

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 controls but tab and line feed, DEL and C1 controls."""

Kind = Literal["bookmark", "highlight", "note"]
KINDS: tuple[Kind, ...] = ("note", "bookmark", "highlight")
COLOURS: tuple[str, ...] = ("yellow", "green", "blue", "pink")
"""The highlight colours, in the order the highlight key cycles through them (then off)."""

MarksError = UserDataError
"""What a mark operation raises when the user database cannot be used; ``str()`` is a sentence."""


@dataclass(frozen=True, slots=True)
class Mark:
    kind: Kind
    ref: VerseRef
    translation: str
    saved_at: datetime
    colour: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class VerseMarks:
    """What one verse carries, as the text shows it."""

    bookmark: bool = False
    colour: str | None = None
    note: bool = False


class Marks:
    """The session's marks. Each change is one transaction; reads are one indexed query."""

    def __init__(self, data: UserData, clock: Clock) -> None:
        data.ensure(PART, MIGRATIONS)
        self._data = data
        self._sid = data.session_id
        self._clock = clock

    # reading -------------------------------------------------------------------------------

    def in_chapter(self, book: int, chapter: int) -> dict[int, VerseMarks]:
        rows = self._read(
            "SELECT verse, kind, colour FROM marks"
            " WHERE session_id = ? AND book = ? AND chapter = ?",
            (self._sid, book, chapter),
        )
        found: dict[int, VerseMarks] = {}
        for verse, kind, colour in rows:
            now = found.get(verse, VerseMarks())
            if kind == "bookmark":
                now = VerseMarks(True, now.colour, now.note)
            elif kind == "highlight":
                now = VerseMarks(now.bookmark, colour, now.note)
            else:
                now = VerseMarks(now.bookmark, now.colour, True)
            found[verse] = now
        return found

    def books(self) -> set[int]:
        rows = self._read("SELECT DISTINCT book FROM marks WHERE session_id = ?", (self._sid,))
        return {r[0] for r in rows}

    def chapters(self, book: int) -> set[int]:
        rows = self._read(
            "SELECT DISTINCT chapter FROM marks WHERE session_id = ? AND book = ?",
            (self._sid, book),
        )
        return {r[0] for r in rows}

    def note(self, ref: VerseRef) -> str | None:
        rows = self._read(
            "SELECT note FROM marks WHERE session_id = ? AND kind = 'note'"
            " AND book = ? AND chapter = ? AND verse = ?",
            (self._sid, ref.book, ref.chapter, ref.verse),
        )
        return rows[0][0] if rows else None

    def all(self, *, newest_first: bool = False) -> list[Mark]:
        """Every mark: in Bible order (notes, then bookmarks, then highlights on one verse),
        or newest first."""
        order = (
            "saved_at DESC, book, chapter, verse"
            if newest_first
            else "book, chapter, verse, CASE kind WHEN 'note' THEN 0 WHEN 'bookmark' THEN 1"
            " ELSE 2 END"
        )
        rows = self._read(
            "SELECT kind, book, chapter, verse, translation, saved_at, colour, note"
            f" FROM marks WHERE session_id = ? ORDER BY {order}",
            (self._sid,),
        )
        return [
            Mark(kind, VerseRef(b, c, v), tid, datetime.fromisoformat(at), colour, note)
            for kind, b, c, v, tid, at, colour, note in rows
        ]

    def _read(self, sql: str, params: tuple[object, ...]) -> list[tuple]:  # type: ignore[type-arg]
        try:
            return self._data.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise MarksError(f"Your marks cannot be read just now ({exc}).") from exc

    # changing ------------------------------------------------------------------------------

    def toggle_bookmark(self, ref: VerseRef, translation: str) -> bool:
        """Bookmark ``ref``, or take its bookmark away; True when it is bookmarked now."""
        with self._writing() as conn:
            gone = self._delete(conn, "bookmark", ref)
            if not gone:
                self._put(conn, "bookmark", ref, translation)
        return not gone

    def cycle_highlight(self, ref: VerseRef, translation: str) -> str | None:
        """The next colour of ``COLOURS`` for ``ref``, then none; returns the colour now."""
        with self._writing() as conn:
            row = conn.execute(
                "SELECT colour FROM marks WHERE session_id = ? AND kind = 'highlight'"
                " AND book = ? AND chapter = ? AND verse = ?",
                (self._sid, ref.book, ref.chapter, ref.verse),
            ).fetchone()
            now = row[0] if row else None
            following = COLOURS.index(now) + 1 if now in COLOURS else 0
            colour = COLOURS[following] if following < len(COLOURS) else None
            self._delete(conn, "highlight", ref)
            if colour is not None:
                self._put(conn, "highlight", ref, translation, colour=colour)
        return colour

    def set_note(self, ref: VerseRef, translation: str, text: str) -> bool:
        """Save ``text`` as the note on ``ref``; blank text deletes the note. True when a
        note is kept. Control characters other than line breaks and tabs (a pasted escape
        sequence) are dropped: shown again, they would drive the terminal."""
        text = _CONTROLS.sub("", text.replace("\r\n", "\n")).strip("\n")
        with self._writing() as conn:
            self._delete(conn, "note", ref)
            if text.strip():
                self._put(conn, "note", ref, translation, note=text)
                return True
        return False

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One transaction, SQLite's errors turned into one sentence (nothing half-written:
        the transaction rolls back)."""
        try:
            with self._data.writing() as conn:
                yield conn
        except sqlite3.Error as exc:
            raise MarksError(f"Your marks cannot be saved just now ({exc}).") from exc

    def _delete(self, conn: sqlite3.Connection, kind: Kind, ref: VerseRef) -> bool:
        cur = conn.execute(
            "DELETE FROM marks WHERE session_id = ? AND kind = ?"
            " AND book = ? AND chapter = ? AND verse = ?",
            (self._sid, kind, ref.book, ref.chapter, ref.verse),
        )
        return cur.rowcount > 0

    def _put(
        self,
        conn: sqlite3.Connection,
        kind: Kind,
        ref: VerseRef,
        translation: str,
        *,
        colour: str | None = None,
        note: str | None = None,
    ) -> None:
        conn.execute(
            "INSERT INTO marks (session_id, kind, book, chapter, verse, translation, colour,"
            " note, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self._sid, kind, ref.book, ref.chapter, ref.verse, translation, colour, note,
                self._clock().isoformat(timespec="seconds"),
            ),
        )  # fmt: skip


def open_marks(data: UserData | None, clock: Clock) -> Marks | None:
    """The session's marks; None without a session. Raises ``MarksError`` (a sentence)."""
    return None if data is None else Marks(data, clock)


def label(mark: Mark) -> str:
    """What a mark is, in a word or two: "Note", "Bookmark", "Highlight (green)"."""
    if mark.kind == "highlight":
        return f"Highlight ({mark.colour})"
    return mark.kind.capitalize()


def markdown(marks: Iterable[Mark], library: Library) -> str:
    """Every marked verse as Markdown, in Bible order: its reference and translation, its
    text, the note, the highlight's colour name, and when each was saved (ISO 8601)."""
    by_verse: dict[VerseRef, list[Mark]] = {}
    for mark in sorted(marks, key=lambda m: (m.ref, KINDS.index(m.kind))):
        by_verse.setdefault(mark.ref, []).append(mark)
    lines = ["# Verselight notes", ""]
    if not by_verse:
        return "\n".join([*lines, "No notes yet.", ""])
    for ref, found in by_verse.items():
        tid = found[0].translation
        if not library.has(tid):
            tid = library.translations()[0].id if library.translations() else tid
        verse = library.verse(tid, ref) if library.has(tid) else None
        lines += [f"## {ref} ({tid})", ""]
        if verse is not None:
            lines += [f"> {verse.plain}", ""]
        for mark in found:
            when = mark.saved_at.isoformat()
            if mark.kind == "note" and mark.note is not None:
                lines += [f"**Note** ({when}):", "", mark.note, ""]
            elif mark.kind == "highlight":
                lines += [f"- Highlight: {mark.colour} ({when})"]
            else:
                lines += [f"- Bookmark ({when})"]
        if lines[-1] != "":
            lines.append("")
    return "\n".join(lines)
