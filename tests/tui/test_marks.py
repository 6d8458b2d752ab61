"""The dots that say a verse has illustrations (verse strip, navigator: verses, chapters and
books), kept current when one is added here or in another terminal, and the start-up notice
about image files without records."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from core.bible.references import VerseRef
from core.billing.ledger import Ledger
from core.config import Config
from tests.illustrations import add_sketches
from tests.tui.helpers import KNOWN_SID, SNAPSHOT_TIME, settle, toasts, wait_for
from tui.app import VerselightApp
from tui.screens.reader import ReaderScreen
from tui.widgets.navigator import Navigator
from tui.widgets.verse_strip import MARK, VerseStrip

JOHN_3_16 = VerseRef(43, 3, 16)


def strip_text(app) -> str:
    """The reader's verse strip, whatever dialog is on top of it (the generate dialog stays
    until its image is saved, which a busy machine makes slow)."""
    (reader,) = [s for s in app.screen_stack if isinstance(s, ReaderScreen)]
    return str(reader.query_one(VerseStrip).render())


def labels(node) -> dict[str, str]:
    return {str(child.label).removesuffix(f" {MARK}"): str(child.label) for child in node.children}


def book_node(app, name: str):
    tree = app.screen.query_one(Navigator)
    for testament in tree.root.children:
        for node in testament.children:
            if str(node.label).startswith(name):
                return node
    raise AssertionError(name)


async def test_illustrated_verses_chapters_and_books_carry_the_dot(
    app_factory: Callable[..., VerselightApp], config: Config, known_session: Callable[..., Ledger]
) -> None:
    await add_sketches(config, KNOWN_SID, [(JOHN_3_16, None), (VerseRef(43, 1, 1), None)],
                       at=SNAPSHOT_TIME)  # fmt: skip
    app = app_factory("John 3:14")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = strip_text(app)
        assert f"16{MARK}" in text
        assert f"15{MARK}" not in text and f"14{MARK}" not in text
        john = book_node(app, "John")
        assert str(john.label) == f"John {MARK}"
        assert str(book_node(app, "Genesis").label) == "Genesis"
        chapters = labels(john)
        assert chapters["Chapter 3"] == f"Chapter 3 {MARK}"
        assert chapters["Chapter 1"] == f"Chapter 1 {MARK}"
        assert chapters["Chapter 2"] == "Chapter 2"
        # Verses appear when a chapter is opened.
        chapter_3 = next(c for c in john.children if str(c.label).startswith("Chapter 3"))
        chapter_3.expand()
        await settle(pilot)
        verses = labels(chapter_3)
        assert verses["Verse 16"] == f"Verse 16 {MARK}"
        assert verses["Verse 17"] == "Verse 17"


async def test_a_sketch_made_here_marks_its_verse_at_once(
    app_factory: Callable[..., VerselightApp], config: Config, known_session: Callable[..., Ledger]
) -> None:
    ledger = known_session()
    ledger.grant(KNOWN_SID, 50, "test")
    ledger.close()
    app = app_factory("Ps 23:1")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert MARK not in strip_text(app)
        assert str(book_node(app, "Psalms").label) == "Psalms"
        await pilot.press("i")
        await settle(pilot)
        # With no AI service configured the sketch is the only model.
        await pilot.click("#start")
        await wait_for(pilot, lambda: f"1{MARK}" in strip_text(app), "the strip's dot")
        assert str(book_node(app, "Psalms").label) == f"Psalms {MARK}"


async def test_an_illustration_made_in_another_terminal_appears_within_a_second(
    app_factory: Callable[..., VerselightApp], config: Config, known_session: Callable[..., Ledger]
) -> None:
    app = app_factory("John 3:16")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert MARK not in strip_text(app)
        await add_sketches(config, KNOWN_SID, [(JOHN_3_16, "woodcut")], at=SNAPSHOT_TIME)
        await wait_for(pilot, lambda: f"16{MARK}" in strip_text(app), "the other terminal's")
        assert str(book_node(app, "John").label) == f"John {MARK}"


async def test_image_files_without_records_are_reported_at_start(
    app_factory: Callable[..., VerselightApp], config: Config, known_session: Callable[..., Ledger]
) -> None:
    made = await add_sketches(config, KNOWN_SID, [(JOHN_3_16, None)], at=SNAPSHOT_TIME)
    stray = config.paths.images_dir / "ab" / ("ab" + "0" * 30 + ".png")
    stray.parent.mkdir(parents=True)
    stray.write_bytes(made[0].path.read_bytes())
    hour_ago = time.time() - 3600  # older than a generation still in flight
    os.utime(stray, (hour_ago, hour_ago))
    app = app_factory("John 3:16")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        messages = toasts(app)
        assert any("1 image file(s) with no record" in m for m in messages), messages
        assert stray.exists()  # reported, never deleted behind the user's back
