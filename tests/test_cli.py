"""The ``verselight`` command's script-friendly paths: read, search, translations list."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from cli.main import main
from tests.cli_process import run_cli

# CLI subprocesses: one at a time (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("serial")

JOHN_3_16 = (
    "For God so loved the world, that he gave his only begotten Son, that whosoever believeth "
    "in him should not perish, but have everlasting life."
)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("verselight: ")
    return lines[0]


# -- read --------------------------------------------------------------------------------------


def test_read_one_verse(verselight_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "read", "John 3:16")
    assert code == 0
    assert out == f"John 3:16 (KJV)\n{JOHN_3_16}\n"
    assert err == ""


def test_read_with_reference_in_several_arguments(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = _run(capsys, "read", "jn", "3", "16")
    assert code == 0
    assert JOHN_3_16 in out


def test_read_a_chapter_prints_its_verses(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "read", "Ps", "23")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Psalms 23 (KJV)"
    assert len(lines) == 1 + 6
    assert [line.split()[0] for line in lines[1:]] == ["1", "2", "3", "4", "5", "6"]
    assert lines[1].endswith("The LORD is my shepherd; I shall not want.")
    assert "[" not in out
    assert err == ""


def test_read_a_verse_range(verselight_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run(capsys, "read", "1 Cor 13:4-7")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "1 Corinthians 13:4-7 (KJV)"
    assert [line.split()[0] for line in lines[1:]] == ["4", "5", "6", "7"]
    assert "Charity suffereth long" in lines[1]


def test_read_a_range_across_chapters(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = _run(capsys, "read", "John 3:36-4:2")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "John 3:36-4:2 (KJV)"
    assert [line.split()[0] for line in lines[1:]] == ["3:36", "4:1", "4:2"]
    assert "(Though Jesus himself baptized not, but his disciples,)" in lines[3]


def test_read_translation_option_is_case_insensitive(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = _run(capsys, "read", "--translation", "kjv", "John 3:16")
    assert code == 0
    assert JOHN_3_16 in out


@pytest.mark.parametrize(
    ("reference", "needle"),
    [
        ("John 99", "chapter"),
        ("John 3:99", "verses 1 to 36"),
        ("Hezekiah 1", "Hezekiah"),
        ("?!", '"?!"'),
        ("J 3", "could be"),
    ],
)
def test_read_bad_reference_exits_2_with_one_line(
    verselight_home: Path, capsys: pytest.CaptureFixture[str], reference: str, needle: str
) -> None:
    code, out, err = _run(capsys, "read", reference)
    assert code == 2
    assert out == ""
    assert needle in _assert_one_line_error(err)


def test_read_unknown_translation_exits_2_naming_installed(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "read", "--translation", "NOPE", "John", "1:1")
    assert code == 2
    assert out == ""
    line = _assert_one_line_error(err)
    assert "NOPE" in line
    assert "KJV" in line


def test_read_on_first_run_imports_then_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VERSELIGHT_HOME", str(tmp_path / "fresh"))
    monkeypatch.delenv("VERSELIGHT_TRANSLATION", raising=False)
    code, out, err = _run(capsys, "read", "John 3:16")
    assert code == 0
    assert out == f"John 3:16 (KJV)\n{JOHN_3_16}\n"
    assert "Traceback" not in err
    assert (tmp_path / "fresh" / "data" / "library.sqlite").exists()
    # the second run does not import again
    code, out, err = _run(capsys, "read", "John 3:16")
    assert (code, err) == (0, "")


def test_read_with_a_damaged_library_tells_the_user_and_works(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = verselight_home / "data" / "library.sqlite"
    db.write_bytes(b"\x00not a database\xff" * 512)
    code, out, err = _run(capsys, "read", "John 3:16")
    assert code == 0
    assert out == f"John 3:16 (KJV)\n{JOHN_3_16}\n"
    assert "damaged" in err
    assert "Traceback" not in err
    assert any(p.name.startswith("library.sqlite.damaged") for p in db.parent.iterdir())


# -- search ------------------------------------------------------------------------------------


def test_search_with_limit_prints_that_many_lines_and_a_total(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "search", "love", "--limit", "5", "--order", "bible")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 5
    assert lines[0].startswith("Genesis 22:2  ")  # "whom thou lovest": a form of love
    assert all("lov" in line.lower() for line in lines)
    assert "418 verses" in err and "in Bible order" in err
    assert err.count("\n") == 1


def test_search_ranks_the_phrase_first_by_default(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "search", "living", "water", "-n", "8")
    assert code == 0
    refs = [line.split("  ")[0] for line in out.splitlines()]
    assert {"Song of Solomon 4:15", "Jeremiah 17:13", "Zechariah 14:8", "John 4:10"} <= set(refs)
    assert "best first" in err


def test_search_quoted_phrase_on_the_command_line(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = _run(capsys, "search", '"living water"', "-n", "100")
    assert code == 0
    assert out and "Leviticus" not in out


@pytest.mark.parametrize("limit", ["99999999999999999999", "10001", "-5"])
def test_search_limit_out_of_range_is_one_line(
    verselight_home: Path, capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    code, out, err = _run(capsys, "search", "love", "-n", limit)
    assert code == 2
    assert out == ""
    assert "--limit" in _assert_one_line_error(err)


def test_search_of_a_huge_pasted_query_is_refused_quickly(verselight_home: Path) -> None:
    query = "love " * 4000  # 20 KB
    started = time.perf_counter()
    done = run_cli("search", query, timeout=30)
    elapsed = time.perf_counter() - started
    assert done.returncode == 2
    assert "at most 300 characters" in _assert_one_line_error(done.stderr)
    assert elapsed < 5


def test_search_single_hit(verselight_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "search", "faith", "hope", "charity")
    assert code == 0
    assert out.startswith("1 Corinthians 13:13  And now abideth faith, hope, charity")
    assert len(out.splitlines()) == 1
    assert "1 verse " in err


@pytest.mark.parametrize("query", ["?!", "*", '"', "()", "-"])
def test_search_with_only_punctuation_fails_with_a_message(
    verselight_home: Path, capsys: pytest.CaptureFixture[str], query: str
) -> None:
    code, out, err = _run(capsys, "search", query)
    assert code != 0
    assert out == ""
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1
    assert err.strip()


def test_search_with_no_hits_fails_with_a_message(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "search", "xylophone")
    assert code == 1
    assert out == ""
    assert "xylophone" in err


def test_search_limit_below_one_is_a_usage_error(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "search", "love", "--limit", "0")
    assert code == 2
    assert out == ""
    assert "--limit" in _assert_one_line_error(err)


def test_search_unknown_translation_exits_2(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "search", "-t", "NOPE", "love")
    assert code == 2
    assert out == ""
    assert "KJV" in _assert_one_line_error(err)


# -- translations ------------------------------------------------------------------------------


def test_translations_list_shows_kjv(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "translations", "list")
    assert code == 0
    assert "KJV" in out
    assert "31102" in out
    assert "King James Version" in out
    assert "Traceback" not in err


# -- config ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["translation = [\n", "this is not toml", 'translation = "KJV"\ntranslation = "WEB"\n'],
    ids=["unclosed", "junk", "duplicate-key"],
)
def test_malformed_config_exits_1_naming_the_file(
    verselight_home: Path, capsys: pytest.CaptureFixture[str], body: str
) -> None:
    config = verselight_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(body, encoding="utf-8")
    code, out, err = _run(capsys, "read", "John 3:16")
    assert code == 1
    assert out == ""
    line = _assert_one_line_error(err)
    assert str(config) in line


def test_config_with_wrong_type_exits_1_naming_the_file(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = verselight_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("sword_paths = 3\n", encoding="utf-8")
    code, _out, err = _run(capsys, "read", "John 3:16")
    assert code == 1
    assert str(config) in _assert_one_line_error(err)


def test_config_default_translation_unknown_falls_back_to_kjv(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = verselight_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('translation = "WEB"\n', encoding="utf-8")
    code, out, _err = _run(capsys, "read", "John 3:16")
    assert code == 0
    assert out.startswith("John 3:16 (KJV)")


# -- the real console script -------------------------------------------------------------------


def test_real_command_in_a_subprocess_reads_john_3_16(verselight_home: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VERSELIGHT_TRANSLATION", "VERSELIGHT_SWORD_PATH")
    }
    env["VERSELIGHT_HOME"] = str(verselight_home)
    proc = run_cli("read", "John 3:16", env=env)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"John 3:16 (KJV)\n{JOHN_3_16}\n"


# -- verse lists, pasted punctuation and a translation named at the end ------------------------


def test_read_a_verse_list_prints_exactly_those_verses(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "read", "Ps 23:1-3,6")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Psalms 23:1-3, 6 (KJV)"
    assert [line.split()[0] for line in lines[1:]] == ["1", "2", "3", "6"]
    assert lines[1].endswith("The LORD is my shepherd; I shall not want.")


@pytest.mark.parametrize(
    ("reference", "heading", "numbers"),
    [("Eph 2:8,9", "Ephesians 2:8, 9", ["8", "9"]), ("Jn 3:16,18", "John 3:16, 18", ["16", "18"])],
)
def test_read_short_verse_lists(
    verselight_home: Path,
    capsys: pytest.CaptureFixture[str],
    reference: str,
    heading: str,
    numbers: list[str],
) -> None:
    code, out, _err = _run(capsys, "read", reference)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"{heading} (KJV)"
    assert [line.split()[0] for line in lines[1:]] == numbers


def test_read_across_chapters_keeps_working(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = _run(capsys, "read", "Jn 3:36-4:2")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["3:36", "4:1", "4:2"]


@pytest.mark.parametrize(
    "reference", ["john 3.16", "John\uff13\uff1a\uff11\uff16", "John\u00a03:16", "Jn\u30003:16"]
)
def test_read_pasted_punctuation(
    verselight_home: Path, capsys: pytest.CaptureFixture[str], reference: str
) -> None:
    code, out, _err = _run(capsys, "read", reference)
    assert code == 0
    assert out == f"John 3:16 (KJV)\n{JOHN_3_16}\n"


@pytest.mark.parametrize("reference", ["Rom 8:28 KJV", "Rom 8:28 (kjv)"])
def test_read_with_a_trailing_translation_name(
    verselight_home: Path, capsys: pytest.CaptureFixture[str], reference: str
) -> None:
    code, out, _err = _run(capsys, "read", reference)
    assert code == 0
    assert out.startswith("Romans 8:28 (KJV)\nAnd we know that all things work together")


@pytest.mark.parametrize("reference", ["John 3:16 (WEB)", "Rom 8:28 ESV"])
def test_read_with_an_unknown_trailing_translation_is_one_line(
    verselight_home: Path, capsys: pytest.CaptureFixture[str], reference: str
) -> None:
    code, out, err = _run(capsys, "read", reference)
    assert code == 2
    assert out == ""
    line = _assert_one_line_error(err)
    assert "no translation" in line and "KJV" in line


# -- words that are not a command, and no terminal ---------------------------------------------


def _verselight(*argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """The real command with pipes for stdin, stdout and stderr (no terminal anywhere)."""
    return run_cli(*argv, stdin=subprocess.PIPE, timeout=timeout)


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["plna", "status"], "did you mean plan?"),
        (["serch", "love"], "did you mean search?"),
        (["ledgr"], "did you mean ledger?"),
        (["translation", "list"], "did you mean translations?"),
    ],
)
def test_unknown_words_are_one_line_with_the_nearest_command(
    verselight_home: Path, argv: list[str], hint: str
) -> None:
    done = _verselight(*argv)
    assert done.returncode == 2
    assert done.stdout == ""
    line = _assert_one_line_error(done.stderr)
    assert f'"{argv[0]}" is not a command or a reference' in line
    assert hint in line


@pytest.mark.parametrize(
    "argv", [[], ["John", "3:16"], ["genesis"], ["John", "3:16", "KJV"], ["John 3:99"]]
)
def test_the_reader_refuses_to_start_without_a_terminal(
    verselight_home: Path, argv: list[str]
) -> None:
    started = time.perf_counter()
    done = _verselight(*argv, timeout=20)
    assert time.perf_counter() - started < 20
    assert done.returncode == 2
    assert done.stdout == ""  # no escape codes written into the pipe
    line = _assert_one_line_error(done.stderr)
    assert "needs a terminal" in line and "verselight read" in line and "search" in line


# -- user text echoed back is escaped -----------------------------------------------------------

ESC = "\x1b[2J"
UNSAFE = ("\x1b", "\x07", "\x9b", "\x7f", "\u202e", "\u2066", "\u2028", "\r")


@pytest.mark.parametrize(
    ("argv", "code", "echoed"),
    [
        (["read", "John 3:16", "-t", ESC], 2, 'no translation "\\x1b[2J"'),
        (["read", "\u202eJohn 3:16"], 2, 'called "\\u202eJohn"'),
        (["read", "Jo\x07hn 3:16"], 2, "\\x07"),
        (["search", "love", "-t", "K\x9bJV"], 2, '"K\\x9bJV"'),
        (["search", "zzqx" + ESC], 1, "contains 'zzqx\\x1b[2J'"),
        (["translations", "remove", ESC], 2, '"\\x1b[2J" in the library'),
        (["translations", "add", "/nowhere/" + ESC], 1, "/nowhere/\\x1b[2J"),
        (["translations", "add", "x\u2028y", "--id", "a\x7fb"], 1, "x\\u2028y"),
        (["images", "export", "\x1b]0;pwned\x07", "/tmp/x.png"], 2, "\\x1b]0;pwned\\x07"),
        (["images", "John 3:16", "-t", "\u2066x"], 2, "\\u2066x"),
        (["session", "import", "/nowhere/\r" + ESC], 2, "/nowhere/\\x0d\\x1b[2J"),
        (["read", "John", "--x" + ESC], 2, "--x\\x1b[2J"),
    ],
)
def test_user_text_echoed_in_messages_has_its_control_characters_escaped(
    verselight_home: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    code: int,
    echoed: str,
) -> None:
    try:
        got = main(argv)
    except SystemExit as exit_:  # argparse's usage errors
        got = int(exit_.code or 0)
    out, err = capsys.readouterr()
    assert got == code, err
    for char in UNSAFE:
        assert char not in out + err, (char, err)
    assert echoed in err
    assert "Traceback" not in err


def test_a_20_kb_translation_id_is_echoed_short(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = _run(capsys, "read", "John 3:16", "-t", "X" * 20_000)
    line = _assert_one_line_error(err)
    assert code == 2 and len(line) < 300 and "X…" in line


def test_echo_escapes_controls_bidi_and_lone_surrogates() -> None:
    from core.printable import echo, printable

    assert printable("plain text, ünïcödé ✝") == "plain text, ünïcödé ✝"
    assert printable("a\x1b[2Jb\x00\x7f\x85\u202e\u200b\udcff\n\t") == (
        "a\\x1b[2Jb\\x00\\x7f\\x85\\u202e\\u200b\\udcff\\x0a\\x09"
    )
    assert echo("x" * 100) == "x" * 80 + "…"
    assert echo("\x1b" * 100).count("\\x1b") == 80


def test_reader_arguments_from_undecodable_bytes_become_text(verselight_home: Path) -> None:
    """The reader's own arguments go through the same decoding as the commands' words (a lone
    surrogate in a translation id used to reach SQLite, which refuses it)."""
    from cli.main import _reader_parser, _words_decoded

    args = _words_decoded(_reader_parser().parse_args(["Jo\udcffhn", "-t", "K\udcffJV"]))
    assert args.reference == ["Jo\ufffdhn"] and args.translation == "K\ufffdJV"
    from core.config import load_config
    from core.context import open_context, start_point

    ctx = open_context(load_config())
    try:
        point = start_point(ctx, " ".join(args.reference), args.translation)
    finally:
        ctx.close()
    assert point.translation == "KJV" and len(point.problems) == 2


def test_read_search_and_translations_never_open_the_ledger(
    verselight_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """They open the library alone (core.services with credits off): no ledger file, no
    session token, however often they run."""
    for argv in (("read", "John 3:16"), ("search", "love", "-n", "2"), ("translations", "list")):
        code, _, _ = _run(capsys, *argv)
        assert code == 0, argv
    assert not (verselight_home / "data" / "ledger.sqlite").exists()
    assert not (verselight_home / "state" / "session.token").exists()


def test_python_dash_m_cli_is_the_verselight_command(verselight_home: Path) -> None:
    env = {**os.environ, "VERSELIGHT_HOME": str(verselight_home)}
    proc = run_cli("read", "John 3:16", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"John 3:16 (KJV)\n{JOHN_3_16}\n"
