"""A generation killed between its hold and its charge, in a real process, and the
``verselight images`` commands run the way a script runs them."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from cli.main import main
from core.account import open_account
from core.bible.library import Library
from core.bible.references import VerseRef
from core.config import Config, load_config
from core.generation.gallery import Gallery
from core.generation.service import Generator
from storage import ledger as db
from tests.illustrations import add_sketches
from tests.image_servers import Behaviour, StandIn

ROOT = Path(__file__).resolve().parent.parent
# CLI subprocesses and killed processes: one at a time (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("serial")
SID = "b0b" + "0" * 29

CHILD = textwrap.dedent(
    """\
    import asyncio, sys
    from core.bible.library import Library
    from core.bible.references import VerseRef
    from core.config import load_config
    from core.generation.service import Generator, Job

    async def go():
        config = load_config()
        library = Library.open(config.paths.library_db)
        generator = Generator.open(config, library, sys.argv[1])
        offers = await generator.offers()
        offer = next(o for o in offers.offers if o.provider == "openrouter" and o.credits)
        await generator.generate(Job(VerseRef(43, 3, 16), "KJV", offer))

    asyncio.run(go())
    """
)


def _env(home: Path, server: StandIn | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERSELIGHT_")}
    env["VERSELIGHT_HOME"] = str(home)
    env.pop("OPENROUTER_API_KEY", None)
    if server is not None:
        env["OPENROUTER_API_KEY"] = "sk-or-test-key"
        env["VERSELIGHT_OPENROUTER_URL"] = server.base_url
    return env


async def _list_models(config: Config) -> None:
    library = Library.open(config.paths.library_db)
    generator = Generator.open(config, library, SID)
    try:
        assert (await generator.offers()).notices == []
    finally:
        await generator.aclose()
        library.close()


@pytest.fixture
def home(tmp_path: Path, kjv_library_file: Path, copy_lib: Callable[[Path, Path], Path]) -> Path:
    copy_lib(kjv_library_file, tmp_path / "data" / "library.sqlite")
    return tmp_path


def test_a_generation_killed_after_its_hold_is_released_at_the_next_start(
    home: Path, openrouter_server: StandIn
) -> None:
    config = load_config(env=_env(home))
    conn = db.connect(config.paths.ledger_db)
    db.create_session(conn, SID, datetime.now(UTC))
    with db.transaction(conn):
        db.insert_entry(conn, SID, "grant", 100, datetime.now(UTC), note="test")
    conn.close()

    # The model list is fetched (and cached for a day) before the server turns slow.
    asyncio.run(_list_models(load_config(env=_env(home, openrouter_server))))
    openrouter_server.behaviour = Behaviour.SLOW
    openrouter_server.started.clear()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, SID], cwd=ROOT, env=_env(home, openrouter_server)
    )
    try:
        # The server sees the image request only after the hold was placed.
        assert openrouter_server.started.wait(60)
        assert openrouter_server.requests[-1].path.endswith("/chat/completions")
        probe = sqlite3.connect(config.paths.ledger_db)
        assert probe.execute("SELECT balance, held FROM sessions").fetchone() == (100, 5)
        probe.close()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    assert child.returncode == -signal.SIGKILL

    opened = open_account(config)
    assert opened.account is not None
    try:
        assert any("1 credit hold(s)" in n for n in opened.notices)
    finally:
        opened.account.close()
    conn = sqlite3.connect(config.paths.ledger_db)
    assert conn.execute("SELECT balance, held FROM sessions WHERE id = ?", (SID,)).fetchone() == (
        100,
        0,
    )
    assert conn.execute("SELECT count(*) FROM images").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM entries WHERE kind = 'charge'").fetchone()[0] == 0
    conn.close()
    assert not config.paths.images_dir.exists() or not any(config.paths.images_dir.rglob("*.*"))
    verify = subprocess.run(
        [sys.executable, "-m", "cli", "ledger", "--verify"],
        env=_env(home), cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr


# verselight images ------------------------------------------------------------------------


@pytest.fixture
async def illustrated(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in [k for k in os.environ if k.startswith("VERSELIGHT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("VERSELIGHT_HOME", str(home))
    config = load_config()
    conn = db.connect(config.paths.ledger_db)
    db.create_session(conn, SID, datetime.now(UTC))
    conn.close()
    at = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    await add_sketches(
        config, SID, [(VerseRef(43, 3, 16), None), (VerseRef(43, 3, 16), "woodcut")], at=at
    )
    return home


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_images_lists_a_verses_illustrations_with_their_record(
    illustrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "images", "jn", "3", "16")
    assert code == 0
    assert out.count("Offline sketch (procedural, not AI)") == 2
    for label in ("Cost:", "Provider cost:", "Took:", "Theme:", "Size:", "Made:", "SHA-256:",
                  "Prompt version:", "File:", "Prompt:", "Translation:", "Verse text:",
                  "Aspect ratio:", "Session:", "Prompt inputs:"):  # fmt: skip
        assert out.count(label) == 2, label
    assert "Woodcut" in out and "No theme" in out
    # The whole record: what the ledger database holds for each image is printed.
    config = load_config()
    gallery = Gallery.open(config)
    try:
        saved = gallery.for_verse(VerseRef(43, 3, 16))
    finally:
        gallery.close()
    for item in saved:
        assert f"    Translation:    {item.translation}\n" in out
        assert f"    Aspect ratio:   {item.aspect_ratio}\n" in out
        assert f"    Session:        {item.session_id}\n" in out
        assert item.prompt_inputs
        for key, value in item.prompt_inputs.items():
            assert f"{key}: {value}" in out
    verse = "For God so loved the world"
    assert out.count(f"    Verse text:     {verse}") == 2
    assert "2 illustrations for John 3:16" in err


def test_images_for_a_chapter_and_for_a_verse_without_any(
    illustrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "images", "John 3")
    assert code == 0 and "2 illustrations for John 3" in err
    code, out, err = _run(capsys, "images", "Gen 1:1")
    assert (code, out) == (0, "")
    assert "No illustrations for Genesis 1:1 yet." in err


def test_images_export_writes_a_png_and_never_overwrites(
    illustrated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "images", "John 3:16")
    image_id = out.splitlines()[0].split()[0]
    target = tmp_path / "out" / "john.png"
    target.parent.mkdir()
    code, out, err = _run(capsys, "images", "export", image_id[:8], str(target))
    assert code == 2  # both test ids start with 5ce7c400
    assert "More than one illustration's id starts with '5ce7c400'" in err
    code, out, err = _run(capsys, "images", "export", image_id, str(target))
    assert code == 0, err
    assert f"to {target}" in out
    with Image.open(target) as img:
        assert img.format == "PNG" and img.size == (1024, 576)
    code, out, err = _run(capsys, "images", "export", image_id, str(target))
    assert code == 1
    assert err.strip() == f"verselight: {target} already exists; choose another name."


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("images", "export", "feedface", "/tmp/x.png"), "No illustration has the id 'feedface'."),
        (("images", "export", "only-one"), "Usage: verselight images export ID PATH"),
        (("images", "Hezekiah 4:5"), "Hezekiah"),
    ],
)
def test_images_errors_are_one_line(
    illustrated: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, _, err = _run(capsys, *argv)
    assert code == 2
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert message in err


@pytest.mark.parametrize(
    ("where", "said"),
    [
        ("/no/such/folder/x.png", "The folder /no/such/folder does not exist."),
        ("~nosuchuser-verselight/x.png", "Could not export to"),
        ("/tmp/" + "x" * 300 + ".png", "Could not export to"),
    ],
)
def test_an_export_that_cannot_be_written_is_one_sentence(
    illustrated: Path, capsys: pytest.CaptureFixture[str], where: str, said: str
) -> None:
    _, out, _ = _run(capsys, "images", "John 3:16")
    image_id = out.splitlines()[0].split()[0]
    code, _, err = _run(capsys, "images", "export", image_id, where)
    assert code == 1
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert said in err
