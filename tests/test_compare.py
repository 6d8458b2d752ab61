"""Two translations verse by verse: the alignment (core/bible/compare.py) and
``verselight read REF --compare ID``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cli.main import main
from core.bible.compare import Pair, align, compare_passages, whole_chapters
from core.bible.library import Library, Verse
from core.bible.references import Passage, VerseRef
from tests.cli_process import run_cli
from tests.second_translation import EXTRA, GAPPY, add_gappy, plainer

JOHN_3_16 = (
    "For God so loved the world, that he gave his only begotten Son, that whosoever believeth "
    "in him should not perish, but have everlasting life."
)


def v(chapter: int, verse: int, text: str = "words") -> Verse:
    return Verse(VerseRef(43, chapter, verse), text)


# -- aligning -----------------------------------------------------------------------------------


def test_align_matches_by_chapter_and_verse_and_leaves_gaps() -> None:
    left = [v(3, 1, "a1"), v(3, 2, "a2"), v(3, 3, "a3")]
    right = [v(3, 1, "b1"), v(3, 3, "b3"), v(3, 4, "b4")]
    pairs = align(left, right)
    assert [p.ref.verse for p in pairs] == [1, 2, 3, 4]
    assert pairs[0] == Pair(VerseRef(43, 3, 1), left[0], right[0])
    assert pairs[1].left == left[1] and pairs[1].right is None
    assert pairs[3].left is None and pairs[3].right == right[2]


def test_an_empty_verse_is_a_gap_but_keeps_its_place() -> None:
    pairs = align([v(3, 1), v(3, 2)], [v(3, 1), v(3, 2, "  [] ")])
    assert [p.ref.verse for p in pairs] == [1, 2]
    assert pairs[1].right is None and pairs[1].left is not None


def test_align_never_moves_a_verse_to_another_chapter() -> None:
    pairs = align([v(3, 36), v(4, 1)], [v(3, 36), v(3, 37), v(4, 1)])
    assert [(p.ref.chapter, p.ref.verse) for p in pairs] == [(3, 36), (3, 37), (4, 1)]
    assert pairs[1].left is None


def test_a_chapter_asked_for_is_whole_in_the_other_numbering() -> None:
    chapter = Passage(VerseRef(43, 3, 1), VerseRef(43, 3, 36), "chapter")
    assert whole_chapters(chapter).end > VerseRef(43, 3, 37)
    verses = Passage(VerseRef(43, 3, 35), VerseRef(43, 3, 36), "range")
    assert whole_chapters(verses) == verses


def test_compare_passages_reads_both_translations(
    writable_kjv_library: Library, kjv_rows: list[tuple[int, int, int, str, str]]
) -> None:
    writable_kjv_library.close()
    add_gappy(writable_kjv_library.path, kjv_rows)
    library = Library.open(writable_kjv_library.path)
    try:
        passages = library.parse_list("John 3", "KJV")
        pairs = compare_passages(library, "KJV", GAPPY, passages)
    finally:
        library.close()
    by_verse = {p.ref.verse: p for p in pairs}
    assert len(pairs) == 37
    assert by_verse[16].left is not None and by_verse[16].right is None
    assert by_verse[17].right is None  # there, but empty
    assert by_verse[37].left is None and by_verse[37].right is not None
    assert by_verse[37].right.text == EXTRA


# -- read --compare -----------------------------------------------------------------------------


@pytest.fixture
def gappy_home(verselight_home: Path, kjv_rows: list[tuple[int, int, int, str, str]]) -> Path:
    add_gappy(verselight_home / "data" / "library.sqlite", kjv_rows)
    return verselight_home


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_read_compare_prints_both_verse_by_verse(
    gappy_home: Path, capsys: pytest.CaptureFixture[str], kjv_rows
) -> None:
    code, out, err = _run(capsys, "read", "John 3:15-17", "--compare", "gappy")
    assert (code, err) == (0, "")
    kjv = {(c, n): plainer(t) for b, c, n, t, _ in kjv_rows if b == 43}
    kjv_15 = next(p for b, c, n, _t, p in kjv_rows if (b, c, n) == (43, 3, 15))
    kjv_17 = next(p for b, c, n, _t, p in kjv_rows if (b, c, n) == (43, 3, 17))
    assert out.splitlines() == [
        "John 3:15-17 (KJV, GAPPY)",
        f" 15  KJV    {kjv_15}",
        f"     GAPPY  {kjv[(3, 15)]}",
        f" 16  KJV    {JOHN_3_16}",
        "     GAPPY  \u2014",
        f" 17  KJV    {kjv_17}",
        "     GAPPY  \u2014",
    ]


def test_a_verse_only_the_second_has_shows_a_dash_on_the_first(
    gappy_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = _run(capsys, "read", "John 3", "--compare", GAPPY)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "John 3 (KJV, GAPPY)"
    assert lines[-2:] == [" 37  KJV    \u2014", f"     GAPPY  {EXTRA}"]
    assert len(lines) == 1 + 37 * 2


def test_read_compare_across_chapters_labels_chapter_and_verse(
    gappy_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = _run(capsys, "read", "John 3:36-4:1", "-t", GAPPY, "--compare", "KJV")
    assert code == 0
    labels = [line[:7].strip() for line in out.splitlines()[1:] if line[:7].strip()]
    assert labels == ["3:36", "3:37", "4:1"]
    assert "   3:37  GAPPY  " + EXTRA in out
    assert "         KJV    \u2014" in out


def test_read_compare_with_an_unknown_translation_is_one_line_exit_2(
    gappy_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "read", "John 3:16", "--compare", "NOPE")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("verselight: ")
    assert '"NOPE"' in err and "GAPPY" in err and "Traceback" not in err


def test_a_book_the_second_lacks_is_all_dashes(
    gappy_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = _run(capsys, "read", "Gen 1:1", "--compare", GAPPY)
    assert code == 0
    assert out.splitlines()[1:] == [
        "  1  KJV    In the beginning God created the heaven and the earth.",
        "     GAPPY  \u2014",
    ]


@pytest.mark.xdist_group("serial")
def test_read_compare_piped_stays_plain(gappy_home: Path) -> None:
    env = {**os.environ, "VERSELIGHT_HOME": str(gappy_home)}
    proc = run_cli("read", "John 3:16-17 KJV", "--compare", GAPPY, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout
    # Not wrapped: one line per translation per verse, however long.
    assert proc.stdout.splitlines()[1] == f" 16  KJV    {JOHN_3_16}"
    assert len(proc.stdout.splitlines()) == 5


@pytest.mark.xdist_group("serial")
def test_read_compare_in_a_terminal_wraps_under_the_text(gappy_home: Path) -> None:
    import pty
    import subprocess
    import sys

    from tests.cli_process import ROOT

    env = {**os.environ, "VERSELIGHT_HOME": str(gappy_home), "COLUMNS": "60"}
    leader, follower = pty.openpty()
    try:
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "cli", "read", "John 3:16", "--compare", GAPPY],
                cwd=ROOT, env=env, stdout=follower, stderr=subprocess.PIPE, timeout=60,
            )  # fmt: skip
        finally:
            os.close(follower)
        out = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(leader)
    assert proc.returncode == 0, proc.stderr
    lines = out.decode().replace("\r\n", "\n").splitlines()
    assert lines[0] == "John 3:16 (KJV, GAPPY)"
    assert lines[1].startswith(" 16  KJV    For God so loved") and len(lines[1]) <= 60
    assert lines[2].startswith(" " * 12) and lines[2].strip()  # wrapped under the text
    assert lines[-1] == "     GAPPY  \u2014"
