"""`verselight notes list` and `notes export`, through the real entry point, on this terminal's
session; a session imported from elsewhere brings its own notes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cli.main import main
from core.bible.references import VerseRef
from core.config import load_config
from core.marks import open_marks
from core.services import ServiceOptions, open_services
from tests.cli_process import run_cli

JOHN_3_16 = VerseRef(43, 3, 16)
PS_23_1 = VerseRef(19, 23, 1)

# CLI subprocesses: one at a time (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("serial")


def mark_here(note: str | None = None, bookmark: VerseRef | None = None) -> None:
    """Save marks as this terminal's session, the way the reader does."""
    services = open_services(load_config(), options=ServiceOptions(gallery=False))
    try:
        marks = open_marks(services.user_data(), services.clock)
        assert marks is not None
        if note is not None:
            marks.set_note(JOHN_3_16, "KJV", note)
            marks.cycle_highlight(JOHN_3_16, "KJV")
        if bookmark is not None:
            marks.toggle_bookmark(bookmark, "KJV")
    finally:
        services.close()


def test_with_nothing_saved_export_prints_a_heading_and_no_notes_yet(verselight_home, capsys):
    assert main(["notes", "export"]) == 0
    assert capsys.readouterr().out == "# Verselight notes\n\nNo notes yet.\n"
    assert main(["notes", "list"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err.strip() == "No notes, bookmarks or highlights yet."


def test_list_marks_each_as_which_and_export_writes_markdown(verselight_home, tmp_path, capsys):
    mark_here(note="Whosoever.\nSecond line.", bookmark=PS_23_1)
    assert main(["notes", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert "Bookmark" in lines[0] and "Psalms 23:1 (KJV)" in lines[0]
    assert "Note" in lines[1] and "John 3:16 (KJV)" in lines[1]
    assert lines[1].endswith("Whosoever.\u2026")
    assert "Highlight (yellow)" in lines[2] and "John 3:16 (KJV)" in lines[2]

    target = tmp_path / "notes.md"
    assert main(["notes", "export", str(target)]) == 0
    assert f"Wrote 2 marked verses to {target}." in capsys.readouterr().out
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Verselight notes\n")
    assert "## John 3:16 (KJV)\n\n> For God so loved the world" in text
    assert "Whosoever.\nSecond line.\n" in text and "- Highlight: yellow (" in text
    assert "## Psalms 23:1 (KJV)\n\n> The LORD is my shepherd; I shall not want." in text


def test_export_never_overwrites_a_file(verselight_home, tmp_path, capsys):
    mark_here(note="mine")
    target = tmp_path / "kept.md"
    target.write_text("precious\n")
    assert main(["notes", "export", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists" in err and "nothing was overwritten" in err
    assert target.read_text() == "precious\n"
    assert main(["notes", "export", str(tmp_path / "no" / "such" / "folder.md")]) == 2
    assert "No such file or directory" in capsys.readouterr().err


def test_an_imported_session_brings_its_own_notes(verselight_home, tmp_path, capsys):
    mark_here(note="written in session A")
    exported = tmp_path / "a.session"
    assert main(["session", "export", str(exported)]) == 0
    (verselight_home / "state" / "session.token").unlink()  # this terminal starts afresh: B
    mark_here(bookmark=PS_23_1)
    capsys.readouterr()
    assert main(["notes", "list"]) == 0
    out = capsys.readouterr().out
    assert "Psalms 23:1" in out and "session A" not in out

    assert main(["session", "import", str(exported)]) == 0
    capsys.readouterr()
    assert main(["notes", "list"]) == 0
    out = capsys.readouterr().out
    assert "written in session A" in out and "Psalms 23:1" not in out


def test_a_damaged_user_database_is_one_sentence_and_left_untouched(verselight_home, capsys):
    path = verselight_home / "data" / "user.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database at all " * 300)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    assert main(["notes", "list"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "damaged" in err and "Traceback" not in err
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_export_to_stdout_as_a_real_process(verselight_home: Path):
    mark_here(note="bell \x1b[2J here")  # the escape is dropped when the note is saved
    done = run_cli("notes", "export")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "bell [2J here" in done.stdout
    assert done.stdout.startswith("# Verselight notes\n")
