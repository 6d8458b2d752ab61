"""A served visitor's place in the user database: the verse, and the translation read beside
the first, come back on the next visit; a database from before side by side still reads."""

from __future__ import annotations

from core.bible.references import VerseRef
from core.reader_state import Position
from core.user_data import UserData
from core.visits import MIGRATIONS, PART, SessionVisits
from storage.user_db import connect, ensure_part


def test_the_place_and_the_translation_beside_it_come_back(tmp_path):
    db = tmp_path / "user.sqlite"
    first = SessionVisits(UserData(connect(db), "visitor-a"))
    first.save_place(Position("KJV", VerseRef(43, 3, 16), "WEB"))
    SessionVisits(UserData(connect(db), "visitor-b")).save_place(Position("WEB", VerseRef(1, 1, 1)))
    again = SessionVisits(UserData(connect(db), "visitor-a"))
    assert again.place() == Position("KJV", VerseRef(43, 3, 16), "WEB")
    again.save_place(Position("KJV", VerseRef(43, 3, 17)))  # side by side turned off
    assert again.place() == Position("KJV", VerseRef(43, 3, 17), None)
    assert SessionVisits(UserData(connect(db), "visitor-b")).place() == Position(
        "WEB", VerseRef(1, 1, 1)
    )


def test_a_place_saved_before_side_by_side_still_reads(tmp_path):
    db = tmp_path / "user.sqlite"
    old = connect(db)
    ensure_part(old, PART, MIGRATIONS[:1])
    with old:
        old.execute("INSERT INTO places VALUES ('visitor-a', 'KJV', 19, 23, 1)")
    old.close()
    visits = SessionVisits(UserData(connect(db), "visitor-a"))
    assert visits.place() == Position("KJV", VerseRef(19, 23, 1), None)
    visits.save_place(Position("KJV", VerseRef(19, 23, 2), "WEB"))
    assert visits.place() == Position("KJV", VerseRef(19, 23, 2), "WEB")
