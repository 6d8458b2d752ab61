"""What the reader remembers between visits: the place read and whether the welcome was
shown. A terminal keeps them in its state dir (``reader.json``, ``onboarded``); a visitor
served over SSH keeps them with their session in the user database, so the same key finds
its place again and two visitors never share one (DESIGN.md section 11).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Protocol

from core import reader_state
from core.bible.references import VerseRef
from core.reader_state import Position
from core.user_data import UserData, UserDataError

PART = "visits"
MIGRATIONS = [
    [
        "CREATE TABLE places (session_id TEXT PRIMARY KEY, translation TEXT NOT NULL,"
        " book INTEGER NOT NULL, chapter INTEGER NOT NULL, verse INTEGER NOT NULL)",
        "CREATE TABLE welcomed (session_id TEXT PRIMARY KEY)",
    ],
    # The translation read side by side with the first (issue 14), as reader.json keeps it.
    ["ALTER TABLE places ADD COLUMN beside TEXT"],
]


class Visits(Protocol):
    def place(self) -> Position | None: ...

    def save_place(self, position: Position) -> None:
        """Raises ``OSError`` (a terminal's file) or ``UserDataError`` when it cannot."""

    def welcomed(self) -> bool: ...

    def mark_welcomed(self) -> None:
        """Best effort: at worst the welcome shows again next time."""


class TerminalVisits:
    def __init__(self, place_file: Path, welcome_marker: Path) -> None:
        self.place_file = place_file
        self.welcome_marker = welcome_marker

    def place(self) -> Position | None:
        return reader_state.load(self.place_file)

    def save_place(self, position: Position) -> None:
        reader_state.save(self.place_file, position)

    def welcomed(self) -> bool:
        return self.welcome_marker.exists()

    def mark_welcomed(self) -> None:
        try:
            self.welcome_marker.parent.mkdir(parents=True, exist_ok=True)
            self.welcome_marker.write_text("shown\n", encoding="utf-8")
        except OSError:
            pass


class SessionVisits:
    def __init__(self, data: UserData) -> None:
        self.data = data
        data.ensure(PART, MIGRATIONS)

    def place(self) -> Position | None:
        row = self.data.conn.execute(
            "SELECT translation, book, chapter, verse, beside FROM places WHERE session_id = ?",
            (self.data.session_id,),
        ).fetchone()
        return Position(row[0], VerseRef(row[1], row[2], row[3]), row[4]) if row else None

    def save_place(self, position: Position) -> None:
        r = position.ref
        try:
            with self.data.writing() as conn:
                conn.execute(
                    "INSERT OR REPLACE INTO places"
                    " (session_id, translation, book, chapter, verse, beside)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        self.data.session_id,
                        position.translation,
                        r.book,
                        r.chapter,
                        r.verse,
                        position.beside,
                    ),
                )
        except sqlite3.Error as exc:
            raise UserDataError(f"your place could not be saved ({exc})") from exc

    def welcomed(self) -> bool:
        row = self.data.conn.execute(
            "SELECT 1 FROM welcomed WHERE session_id = ?", (self.data.session_id,)
        ).fetchone()
        return row is not None

    def mark_welcomed(self) -> None:
        try:
            with self.data.writing() as conn:
                conn.execute("INSERT OR IGNORE INTO welcomed VALUES (?)", (self.data.session_id,))
        except sqlite3.Error:
            pass


class NoVisits:
    """A served visitor whose session's records cannot be opened: nothing is remembered, and
    above all nothing falls back to the host's own files, which every visitor would share."""

    def place(self) -> Position | None:
        return None

    def save_place(self, position: Position) -> None:
        return None

    def welcomed(self) -> bool:
        return False

    def mark_welcomed(self) -> None:
        return None
