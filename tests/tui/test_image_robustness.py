"""The reader when the illustrations' database fails under it: no dots, a sentence where one is
due, never a traceback that ends the app.

The failure is real, not mocked: the gallery's own SQLite connection is closed while the app
runs, so every later query raises ``sqlite3.ProgrammingError`` (an ``sqlite3.Error``) exactly as
a locked, damaged or vanished ledger would reach the reader. The Bible (another database) and
the generator (its own connection) keep working, which is the point: reading must go on.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import OptionList

from core.bible.references import VerseRef
from core.billing.ledger import Ledger
from core.config import Config
from core.generation.gallery import Gallery
from tests.illustrations import add_sketches
from tests.tui.helpers import KNOWN_SID, SNAPSHOT_TIME, settle, toasts, wait_for
from tui.app import VerselightApp
from tui.screens.generate import GenerateScreen
from tui.screens.reader import ReaderScreen
from tui.screens.translations import TranslationsScreen
from tui.widgets.image_pane import UNREADABLE_RECORDS, ImagePane
from tui.widgets.navigator import Navigator
from tui.widgets.verse_strip import MARK, VerseStrip

JOHN_3_16 = VerseRef(43, 3, 16)
CLOSED = "Cannot operate on a closed database"


def strip_text(app: VerselightApp) -> str:
    return str(app.screen.query_one(VerseStrip).render())


def navigator_labels(app: VerselightApp) -> list[str]:
    """Every label in the tree as it is now (opened nodes only)."""
    tree = app.screen.query_one(Navigator)
    labels: list[str] = []
    stack = list(tree.root.children)
    while stack:
        node = stack.pop()
        labels.append(str(node.label))
        stack.extend(node.children)
    return labels


async def illustrated_reader(
    app_factory: Callable[..., VerselightApp], config: Config, start: str
) -> VerselightApp:
    """Two sketches (John 3:16 and John 1:1) made before the app starts."""
    await add_sketches(config, KNOWN_SID, [(JOHN_3_16, None), (VerseRef(43, 1, 1), None)],
                       at=SNAPSHOT_TIME)  # fmt: skip
    return app_factory(start)


def break_gallery(app: VerselightApp) -> None:
    """Close the gallery's connection: from here on each of its queries raises."""
    assert app.gallery is not None
    app.gallery.conn.close()


async def test_moving_and_the_navigator_go_on_without_dots(
    app_factory: Callable[..., VerselightApp],
    config: Config,
    known_session: Callable[..., Ledger],
) -> None:
    app = await illustrated_reader(app_factory, config, "John 3:16")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        assert f"16{MARK}" in strip_text(app)
        break_gallery(app)

        # Within the chapter: the pane says it cannot read the illustrations.
        await pilot.press("down")
        await settle(pilot)
        assert reader.ref == VerseRef(43, 3, 17)
        assert reader.query_one(ImagePane).message == UNREADABLE_RECORDS
        # Another chapter and back: the strip's marks are read again, and are simply absent.
        await pilot.press("left")
        await settle(pilot)
        await pilot.press("right")
        await settle(pilot)
        assert reader.ref.chapter == 3
        assert MARK not in strip_text(app)
        # n hides the navigator (shown at this width), n again shows and focuses it, the cursor
        # on John 3; Enter opens its verses, whose dots cannot be read now: 16 has none.
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert reader.focused is reader.query_one(Navigator)
        await pilot.press("enter")
        await settle(pilot)
        labels = navigator_labels(app)
        assert "Verse 16" in labels and f"Verse 16 {MARK}" not in labels
        # Another book: the navigator opens its chapters (their dots unreadable too).
        await pilot.press("escape", "}")
        await settle(pilot)
        assert reader.ref == VerseRef(44, 1, 1)
        assert "Chapter 28" in navigator_labels(app)  # Acts' chapters: John has 21
        assert app.is_running and app.screen is reader


async def test_switching_translation_rebuilds_the_navigator_without_dots(
    app_factory: Callable[..., VerselightApp],
    config: Config,
    known_session: Callable[..., Ledger],
    with_tiny_translation: str,
) -> None:
    """Switching translation reloads the whole tree, books' dots first."""
    app = await illustrated_reader(app_factory, config, "John 3:16")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        assert f"John {MARK}" in navigator_labels(app)
        break_gallery(app)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TranslationsScreen)
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        await pilot.press(*(["down"] if ids.index("TINY") == 1 else ["up"]), "enter")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen) and reader.translation == "TINY"
        labels = navigator_labels(app)
        assert "John" in labels and f"John {MARK}" not in labels
        assert any("Tiny Test Translation" in n for n in toasts(app))


async def test_v_says_the_illustrations_cannot_be_read(
    app_factory: Callable[..., VerselightApp],
    config: Config,
    known_session: Callable[..., Ledger],
) -> None:
    app = await illustrated_reader(app_factory, config, "John 3:16")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        break_gallery(app)
        await pilot.press("v")
        await settle(pilot)
        assert app.screen is reader
        assert f"The illustrations of John 3:16 could not be read just now: {CLOSED}." in toasts(
            app
        )
        assert app.is_running


async def test_a_sketch_made_while_the_gallery_fails_is_saved_and_the_reader_survives(
    app_factory: Callable[..., VerselightApp],
    config: Config,
    known_session: Callable[..., Ledger],
) -> None:
    """i still works (the generator has its own connection); afterwards the reader refreshes
    the strip, the navigator and the pane through the failing gallery: no dots, no crash."""
    app = await illustrated_reader(app_factory, config, "Ps 23:1")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        break_gallery(app)
        await pilot.press("i")
        dialog = app.screen
        assert isinstance(dialog, GenerateScreen)
        await wait_for(pilot, lambda: dialog.state != "loading", "the models")
        await settle(pilot)
        assert dialog.state == "pick"
        sketch = next(i for i, offer in enumerate(dialog.offers) if offer.is_sketch)
        dialog.query_one("#models", OptionList).highlighted = sketch
        await settle(pilot)
        await pilot.click("#start")
        await wait_for(pilot, lambda: app.screen is reader, "the reader")
        await settle(pilot)
        assert any(n.startswith("Offline sketch saved for Psalms 23:1") for n in toasts(app))
        assert MARK not in strip_text(app)
        assert reader.query_one(ImagePane).message == UNREADABLE_RECORDS
        await pilot.press("down")
        await settle(pilot)
        assert reader.ref == VerseRef(19, 23, 2)
        assert app.is_running
    images = Gallery.open(config)
    try:
        assert len(images.for_verse(VerseRef(19, 23, 1))) == 1
    finally:
        images.close()
