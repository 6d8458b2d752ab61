"""Whatever is typed after ``verselight``, the command ends with exit status 0, 1 or 2, prints no
traceback and finishes in under 2 s (issue 9). Hypothesis builds command lines from realistic
pieces (commands, options with odd values, references, unicode, control characters, undecodable
bytes as the lone surrogates ``argv`` holds them, very long words) and runs ``cli.main.main``
in-process for speed; a few real subprocesses show no traceback reaches a real stderr.

Output goes to streams that encode like the real ones (stdout strict UTF-8, stderr with
backslashreplace), so text that a real terminal's stream would refuse fails here too.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cli.main import main

ROOT = Path(__file__).resolve().parent.parent
LIMIT_S = 2.0


@pytest.fixture(scope="module")
def home(
    tmp_path_factory: pytest.TempPathFactory, kjv_library_file: Path, copy_lib
) -> Iterator[Path]:
    """One VERSELIGHT_HOME for the whole module (KJV in place), run from an empty folder so
    relative paths in generated commands land there."""
    root = tmp_path_factory.mktemp("fuzz")
    copy_lib(kjv_library_file, root / "home" / "data" / "library.sqlite")
    work = root / "cwd"
    work.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VERSELIGHT_HOME", str(root / "home"))
        for name in (
            "VERSELIGHT_TRANSLATION",
            "VERSELIGHT_SWORD_PATH",
            "VERSELIGHT_SESSION_SECRET",
            "VERSELIGHT_ADMIN_PASSWORD",
        ):
            mp.delenv(name, raising=False)
        mp.chdir(work)
        yield root / "home"


# -- pieces -------------------------------------------------------------------------------------

ODD_CHARS = st.sampled_from(
    [
        *("\x1b[2J", "\x1b]0;t\x07", "\x07", "\x7f", "\x9b", "\u202e", "\u2066", "\u200b"),
        *(
            "\u2028",
            "\r",
            "\n",
            "\t",
            "\udcff",
            "\udc80",
            "é",
            "ß",
            "א",
            "你",
            "🙂",
            "\ufeff",
            "%s",
            "{}",
        ),
    ]
)
"""No NUL: an argv from a real shell cannot carry one."""

WORDS = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    max_size=30,
)
ODD_TEXT = st.lists(st.one_of(WORDS, ODD_CHARS), max_size=6).map("".join)
LONG_TEXT = st.builds(
    lambda piece, n: (piece or "x") * n, st.sampled_from(["a", "John ", "\x1b", "é", "3:16 "]),
    st.integers(200, 5000),
)  # fmt: skip

REFERENCES = st.sampled_from(
    [
        "John 3:16", "jn 3 16", "1 Cor 13:4-7", "Ps 23", "Genesis", "Gen 50:26", "Rev 22:21",
        "Obadiah 2", "John 99:1", "John 3:99", "Ps 119", "3 John 1:1-99", "Jude", "Song 2:1",
        "Exod 20:1-Exod 20:17", "John 3:16-15", "0:0", "-", "--", "John 3:", ":", "1", "999",
        "John 03:016", "jn 3.16", "Mt 5\u20137", "Gen 1:1-50:26",
    ]
)  # fmt: skip
TEXT = st.one_of(REFERENCES, ODD_TEXT, LONG_TEXT)
TRANSLATIONS = st.one_of(st.sampled_from(["KJV", "kjv", "WEB", "", " ", "K J V"]), ODD_TEXT)

OPTION_T = st.tuples(st.sampled_from(["-t", "--translation"]), TRANSLATIONS).map(list)


def _optional(option: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    return st.one_of(st.just([]), option)


READ = st.builds(
    lambda refs, t, tail: ["read", *refs, *t, *tail],
    st.lists(TEXT, max_size=4),
    _optional(OPTION_T),
    st.lists(st.sampled_from(["--bogus", "-x", "-t", "--", "-h"]), max_size=1),
)

# Search is being reworked by another engineer (long queries, --limit beyond SQLite's integers):
# its pieces stay short and its --limit within what the current code is meant to handle.
SHORT = st.one_of(REFERENCES, ODD_TEXT.map(lambda s: s[:60]))
OPTION_N = st.tuples(
    st.sampled_from(["-n", "--limit"]),
    st.one_of(
        st.integers(-5, 500).map(str), st.sampled_from(["", "abc", "1e3", "½", "٣", " 7", "0x10"])
    ),
).map(list)
SEARCH = st.builds(
    lambda words, t, n: ["search", *words, *t, *n],
    st.lists(SHORT, max_size=3),
    _optional(OPTION_T),
    _optional(OPTION_N),
)

INSTALLED_NAMES = {"kjv", "web", "engkjv2006eb", "engweb2015eb"}
"""Module names on this machine: adding one is a real multi-second import, not bad input."""
SOURCE = TEXT.filter(lambda s: s.strip().lower() not in INSTALLED_NAMES)
TRANSLATIONS_CMD = st.one_of(
    st.just(["translations", "list"]),
    st.builds(lambda s: ["translations", "add", s], SOURCE),
    st.builds(lambda s, i: ["translations", "add", s, "--id", i], SOURCE, ODD_TEXT),
    # removing KJV would make the next example import it again
    st.builds(lambda s: ["translations", "remove", s], TEXT.filter(lambda s: s.upper() != "KJV")),
    st.lists(TEXT, max_size=2).map(lambda rest: ["translations", *rest]),
)

IMAGES = st.one_of(
    st.builds(lambda refs, t: ["images", *refs, *t], st.lists(TEXT, max_size=3), _optional(OPTION_T)),
    st.builds(lambda rest: ["images", "export", *rest], st.lists(TEXT, max_size=3)),
)  # fmt: skip

# Relative names only (the test runs in its own empty folder), or a path that cannot exist.
FILE_NAME = st.one_of(
    ODD_TEXT.filter(lambda s: "/" not in s and s not in ("", ".", "..")),
    st.sampled_from(["/nonexistent/verselight/x", "/dev/zero", "/dev/null", "/proc/self/status"]),
)
SESSION = st.one_of(
    st.just(["session", "show"]),
    st.builds(lambda f: ["session", "export", f], FILE_NAME),
    st.builds(lambda f: ["session", "import", f], FILE_NAME),
    st.lists(TEXT, max_size=2).map(lambda rest: ["session", *rest]),
)

DAYS = st.one_of(
    st.integers(-5, 5000).map(str), st.sampled_from(["", "abc", "1e3", "½", "٣", " 7", "0x10"])
)
PLAN = st.one_of(
    st.builds(lambda name: ["plan", "start", name], TEXT),
    st.builds(
        lambda books, days: ["plan", "start", "--books", *books, "--days", days],
        st.lists(TEXT, min_size=1, max_size=3),
        DAYS,
    ),
    st.builds(lambda days: ["plan", "catch-up", "--days", days], DAYS),
    st.lists(TEXT, max_size=2).map(lambda rest: ["plan", *rest]),
    st.sampled_from([["plan", a] for a in ("list", "today", "done", "status", "shift")]),
)

COMMAND_LINES = st.one_of(READ, SEARCH, TRANSLATIONS_CMD, IMAGES, SESSION, PLAN)


def _run_in_process(argv: list[str]) -> tuple[int, str, str, float]:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse: usage errors and --help
            code = exit_.code if isinstance(exit_.code, int) else 2
    elapsed = time.monotonic() - started
    out.flush()
    err.flush()
    return (
        code,
        out.buffer.getvalue().decode("utf-8"),
        err.buffer.getvalue().decode("utf-8"),
        elapsed,
    )


@settings(
    max_examples=120,
    deadline=timedelta(seconds=LIMIT_S),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(argv=COMMAND_LINES)
# Crashes found on the way (each a traceback before the fix):
@example(argv=["translations", "remove", "\u202e\udcff"])  # SQLite refused the surrogate
@example(argv=["read", "John 3:16", "-t", "K\udcffJV"])
@example(argv=["images", "export", "\udcff", "x.png"])
@example(argv=["search", "lo\udcffve"])
@example(argv=["translations", "add", "a" * 300])  # ENAMETOOLONG from Path.exists()
@example(argv=["session", "import", "a" * 300])
@example(argv=["session", "export", "/dev/null"])
@example(argv=["plan", "start", "--books", "Gen\udcff", "--days", "3"])
@example(argv=["plan", "start", "\u202e\udcff"])
def test_any_command_line_ends_in_0_1_or_2_without_traceback(home: Path, argv: list[str]) -> None:
    code, out, err, elapsed = _run_in_process(argv)
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in out + err
    assert elapsed < LIMIT_S, (argv, elapsed)
    if code:
        # a failure says why on stderr, and its lines carry no raw escape sequence
        assert err.strip(), argv
        assert "\x1b" not in err and "\u202e" not in err


# -- a few real processes -----------------------------------------------------------------------


def _real(home: Path, cwd: Path, *argv: bytes) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERSELIGHT_")}
    env["VERSELIGHT_HOME"] = str(home)
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "cli", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        ([b"read", b"John 3:16", b"-t", b"\x1b[2J"], 2),
        ([b"read", b"\xff\xfe John 3:16"], 2),
        ([b"translations", b"remove", b"\xe2\x80\xae\xff"], 2),
        ([b"images", b"export", b"\x1b]0;x\x07", b"out.png"], 2),
        ([b"session", b"import", b"fifo"], 2),
        ([b"session", b"export", b"\xff.session"], 0),
        ([b"read", b"Ps 23", b"--nope\x1b[2J"], 2),
    ],
)
def test_real_processes_print_one_sentence_and_no_traceback(
    home: Path, tmp_path: Path, argv: list[bytes], code: int
) -> None:
    os.mkfifo(tmp_path / "fifo")  # importing a FIFO must not hang
    started = time.monotonic()
    proc = _real(home, tmp_path, *argv)
    assert time.monotonic() - started < 30
    assert proc.returncode == code, proc.stderr
    assert b"Traceback" not in proc.stderr
    for raw in (b"\x1b", b"\x07", b"\xe2\x80\xae", b"\xff"):
        assert raw not in proc.stdout + proc.stderr
    if code:
        assert proc.stderr.startswith((b"verselight: ", b"usage: verselight"))
