"""Bookmarks, highlights and notes (core.marks) on a real user database, per session."""

from __future__ import annotations

from datetime import UTC, datetime

from core.bible.references import VerseRef
from core.marks import COLOURS, Marks, VerseMarks, markdown
from core.user_data import UserData
from storage.user_db import connect
from tests.clock import ManualClock

JOHN_3_16 = VerseRef(43, 3, 16)
GEN_1_1 = VerseRef(1, 1, 1)


def marks_for(tmp_path, sid: str, clock: ManualClock) -> Marks:
    return Marks(UserData(connect(tmp_path / "user.sqlite"), sid), clock)


def test_bookmark_toggles_and_highlight_cycles_through_the_colours_then_off(tmp_path, clock):
    marks = marks_for(tmp_path, "s1", clock)
    assert marks.toggle_bookmark(JOHN_3_16, "KJV") is True
    assert marks.in_chapter(43, 3) == {16: VerseMarks(bookmark=True)}
    assert marks.toggle_bookmark(JOHN_3_16, "KJV") is False
    assert marks.in_chapter(43, 3) == {}
    seen = [marks.cycle_highlight(JOHN_3_16, "KJV") for _ in range(len(COLOURS) + 2)]
    assert seen == [*COLOURS, None, COLOURS[0]]
    assert marks.in_chapter(43, 3) == {16: VerseMarks(colour=COLOURS[0])}
    assert marks.books() == {43} and marks.chapters(43) == {3}


def test_an_empty_note_deletes_it_and_the_text_is_kept_exactly(tmp_path, clock):
    marks = marks_for(tmp_path, "s1", clock)
    text = "God's love:\n  - for the world\n  - given, not earned"
    assert marks.set_note(JOHN_3_16, "KJV", text) is True
    assert marks.note(JOHN_3_16) == text
    assert marks.in_chapter(43, 3)[16].note
    assert marks.set_note(JOHN_3_16, "KJV", "  \n\n ") is False
    assert marks.note(JOHN_3_16) is None
    assert marks.in_chapter(43, 3) == {}


def test_control_characters_are_dropped_from_a_note(tmp_path, clock):
    marks = marks_for(tmp_path, "s1", clock)
    marks.set_note(JOHN_3_16, "KJV", "one\r\ntwo\x1b[2J\x07\tthree\x9b")
    assert marks.note(JOHN_3_16) == "one\ntwo[2J\tthree"


def test_each_session_sees_only_its_own_marks(tmp_path, clock):
    mine = marks_for(tmp_path, "me", clock)
    theirs = marks_for(tmp_path, "visitor", clock)
    mine.set_note(JOHN_3_16, "KJV", "mine")
    theirs.toggle_bookmark(GEN_1_1, "KJV")
    assert [(m.kind, m.ref) for m in mine.all()] == [("note", JOHN_3_16)]
    assert [(m.kind, m.ref) for m in theirs.all()] == [("bookmark", GEN_1_1)]
    assert theirs.note(JOHN_3_16) is None and theirs.in_chapter(43, 3) == {}


def test_all_in_bible_order_or_newest_first(tmp_path, clock):
    marks = marks_for(tmp_path, "s1", clock)
    marks.toggle_bookmark(JOHN_3_16, "KJV")
    clock.advance(minutes=1)
    marks.set_note(GEN_1_1, "KJV", "beginning")
    clock.advance(minutes=1)
    marks.cycle_highlight(JOHN_3_16, "KJV")
    assert [(m.kind, m.ref) for m in marks.all()] == [
        ("note", GEN_1_1), ("bookmark", JOHN_3_16), ("highlight", JOHN_3_16)
    ]  # fmt: skip
    assert [m.kind for m in marks.all(newest_first=True)] == ["highlight", "note", "bookmark"]


def test_markdown_has_reference_translation_text_note_colour_and_iso_date(tmp_path, kjv_library):
    clock = ManualClock(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    marks = marks_for(tmp_path, "s1", clock)
    marks.set_note(JOHN_3_16, "KJV", "Whosoever.\nEveryone.")
    marks.cycle_highlight(JOHN_3_16, "KJV")
    marks.toggle_bookmark(GEN_1_1, "KJV")
    out = markdown(marks.all(), kjv_library)
    assert out.startswith("# Verselight notes\n")
    assert "## Genesis 1:1 (KJV)\n\n> In the beginning God created the heaven and the earth." in out
    assert "- Bookmark (2026-11-25T09:30:00+00:00)" in out
    john = out[out.index("## John 3:16 (KJV)") :]
    assert "> For God so loved the world" in john
    assert "**Note** (2026-11-25T09:30:00+00:00):\n\nWhosoever.\nEveryone.\n" in john
    assert "- Highlight: yellow (2026-11-25T09:30:00+00:00)" in john
    assert out.index("Genesis 1:1") < out.index("John 3:16")


def test_markdown_with_nothing_saved(kjv_library):
    assert markdown([], kjv_library) == "# Verselight notes\n\nNo notes yet.\n"
