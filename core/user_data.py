"""The reader's own things for one session: the door ``tui`` and ``cli`` use to the user
database (``storage.user_db``), so they never import ``storage`` themselves.

Each feature (marks and notes, reading plans, the place read when served) declares its part
of the schema and reads and writes through ``UserData.conn`` in its own core module, always
filtered by ``session_id``: a visitor never sees another visitor's rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from core.config import Config
from storage.user_db import UserDataDamaged, UserDataError, connect, ensure_part, transaction

__all__ = ["UserData", "UserDataDamaged", "UserDataError", "open_user_data"]


@dataclass(eq=False)
class UserData:
    conn: sqlite3.Connection
    session_id: str

    def ensure(self, part: str, migrations: Sequence[Sequence[str]]) -> None:
        """Create or migrate ``part`` of the schema (cheap once done: one indexed read)."""
        try:
            ensure_part(self.conn, part, migrations)
        except sqlite3.Error as exc:
            raise UserDataError(f"Your {part} cannot be saved ({exc}).") from exc

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``)."""
        with transaction(self.conn) as conn:
            yield conn

    def close(self) -> None:
        self.conn.close()


def open_user_data(config: Config, session_id: str) -> UserData:
    """Open the session's own things. Raises ``UserDataError`` (a sentence) when the file
    cannot be used; a damaged file (``UserDataDamaged``) is left exactly as it is."""
    return UserData(connect(config.paths.user_db), session_id)
