"""Illustrations on screen: the reader's image pane, the full-screen viewer and exporting.

Everything runs through the real app with real stored illustrations (offline sketches made by
the real generation flow, and one Gemini image bought from the stand-in OpenRouter server);
under tests the pictures are drawn in half-blocks (``HalfcellImage``).
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from textual.widgets import Input, Static

from core.bible.library import Library
from core.bible.references import VerseRef
from core.billing.ledger import Ledger
from core.config import Config, load_config
from core.generation.gallery import Illustration
from core.generation.providers.sketch import SKETCH_LABEL
from core.generation.service import Generator, Job
from tests.illustrations import add_sketches
from tests.image_servers import GEMINI, StandIn
from tests.tui.helpers import KNOWN_SID, SNAPSHOT_TIME, settle, toasts, wait_for
from tui import image_support
from tui.app import VerselightApp
from tui.image_support import MISSING, UNREADABLE, fit, image_widget_class, text_resolution
from tui.screens.reader import ReaderScreen
from tui.screens.viewer import ExportScreen, RecordView, ViewerScreen, export_name
from tui.widgets.image_pane import ImagePane, Picture, pane_caption

JOHN_3_15 = VerseRef(43, 3, 15)
JOHN_3_16 = VerseRef(43, 3, 16)
JOHN_3_17 = VerseRef(43, 3, 17)
LATER = SNAPSHOT_TIME + timedelta(hours=1)
ROOT = Path(__file__).resolve().parents[2]
_widgets = image_support.widget_module()  # imported without asking the terminal, even with -s
HalfcellImage, SixelImage = _widgets.HalfcellImage, _widgets.SixelImage
TGPImage, UnicodeImage = _widgets.TGPImage, _widgets.UnicodeImage


# helpers (the snapshot tests use them too) ------------------------------------------------


async def add_paid(
    home: Path,
    server: StandIn,
    ledger: Ledger,
    ref: VerseRef,
    *,
    at: datetime = SNAPSHOT_TIME,
    theme: str | None = "watercolor",
    image_id: str = "0a1d" + "7" * 28,
) -> Illustration:
    """One Gemini illustration bought with credits (granted here) from the stand-in server."""
    ledger.grant(KNOWN_SID, 300, "test grant")
    env = {
        "VERSELIGHT_HOME": str(home),
        "OPENROUTER_API_KEY": "sk-or-test-key",
        "VERSELIGHT_OPENROUTER_URL": server.base_url,
    }
    config: Config = load_config(env=env)
    library = Library.open(config.paths.library_db)
    ticks = iter(x * 2.25 for x in range(1_000))
    generator = Generator.open(
        config, library, KNOWN_SID, clock=lambda: at,
        new_id=lambda: image_id, timer=lambda: next(ticks),
    )  # fmt: skip
    try:
        listed = await generator.offers()
        offer = next(o for o in listed.offers if o.key == f"openrouter/{GEMINI}")
        return await generator.generate(Job(ref, "KJV", offer, theme))
    finally:
        await generator.aclose()
        library.close()


@contextmanager
def utc_local_time() -> Iterator[None]:
    """Times shown in local time read the same on every machine (for snapshots)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def pane(app: VerselightApp) -> ImagePane:
    return app.screen.query_one(ImagePane)


def viewer(app: VerselightApp) -> ViewerScreen:
    screen = app.screen
    assert isinstance(screen, ViewerScreen), screen
    return screen


def painted_text(widget: Picture) -> str:
    """What the picture's image widget draws, as characters."""
    image = widget.image_widget
    return "".join(image.render_line(y).text for y in range(image.size.height))


@pytest.fixture(autouse=True)
def _default_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(image_support.RENDERER_ENV, raising=False)


@pytest.fixture
async def sketches(config: Config, known_session: Callable[..., Ledger]) -> list[Illustration]:
    """Three sketches of John 3:16 (the watercolor one is the newest) and one of John 3:17."""
    return await add_sketches(
        config,
        KNOWN_SID,
        [(JOHN_3_16, None), (JOHN_3_16, "woodcut"), (JOHN_3_16, "watercolor"),
         (JOHN_3_17, "classical")],
        at=SNAPSHOT_TIME,
    )  # fmt: skip


# the image pane ----------------------------------------------------------------------------


async def test_the_pane_shows_the_latest_illustration_with_its_caption(app_factory, sketches):
    newest = sketches[2]
    app = app_factory("John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = pane(app)
        assert shown.shown is not None and shown.shown.id == newest.id
        assert shown.key == newest.id and shown.message == ""
        assert shown.caption == f"{SKETCH_LABEL}\n1 of 3 · v to view all"
        image = shown.image_widget
        assert isinstance(image, HalfcellImage) and image.display
        cols, rows = image.size
        assert cols > 10 and rows > 3
        # 1024x576 in cells twice as tall as wide: about 3.56 columns per row, aspect kept
        assert abs(cols / rows - (1024 / 576) * 2) < 0.5
        assert cols <= shown.content_size.width
        assert set(painted_text(shown)) == {"▀"}


async def test_the_pane_says_what_to_do_where_there_is_none_and_follows_the_reader(
    app_factory, sketches
):
    app = app_factory("John 3:15")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert pane(app).message == "No illustration for this verse yet.\n\nPress i to make one."
        assert pane(app).key is None and pane(app).image_widget is None
        await pilot.press("j")
        await settle(pilot)
        assert pane(app).key == sketches[2].id and pane(app).image_widget.display
        await pilot.press("j")
        await settle(pilot)
        assert pane(app).key == sketches[3].id
        assert pane(app).caption.endswith("1 of 1 · v for details")
        await pilot.press("k", "k")
        await settle(pilot)
        assert pane(app).key is None and pane(app).message.startswith("No illustration")
        assert not pane(app).image_widget.display  # made for the picture, hidden again


async def test_a_missing_file_is_said_and_nothing_breaks(app_factory, sketches):
    sketches[2].path.unlink()
    app = app_factory("John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert pane(app).message == MISSING
        assert pane(app).caption.startswith(SKETCH_LABEL)
        assert pane(app).image_widget is None
        await pilot.press("j", "k")
        await settle(pilot)
        assert pane(app).message == MISSING
        await pilot.press("v")
        await settle(pilot)
        picture = viewer(app).query_one(Picture)
        assert picture.message == MISSING
        assert sketches[2].id in viewer(app).query_one(RecordView).plain
        await pilot.press("l")  # the next one's file is there
        await settle(pilot)
        assert picture.message == "" and picture.key == sketches[1].id


async def test_an_unreadable_file_is_said(app_factory, sketches):
    sketches[3].path.write_bytes(b"not a picture at all")
    app = app_factory("John 3:17")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert pane(app).message == UNREADABLE


async def test_the_pane_gives_new_pixels_only_when_the_illustration_changes(app_factory, sketches):
    app = app_factory("John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        image = pane(app).image_widget
        given = image.image
        pane(app).show_verse(JOHN_3_16)
        await settle(pilot)
        assert image.image is given
        await pilot.press("k", "j")  # away (the sentence) and back: the same pixels again
        await settle(pilot)
        assert pane(app).image_widget is image and image.image is given


# the viewer -------------------------------------------------------------------------------


async def test_v_without_illustrations_tells_the_reader_instead(app_factory, sketches):
    app = app_factory("John 3:15")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert any("No illustrations for John 3:15" in m for m in toasts(app))


async def test_the_viewer_pages_newest_first_with_every_detail(app_factory, sketches):
    app = app_factory("John 3:16")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        screen = viewer(app)
        position = screen.query_one("#viewer-position", Static)
        record = screen.query_one(RecordView)
        picture = screen.query_one(Picture)
        expected = [sketches[2], sketches[1], sketches[0]]
        for step, (key, index) in enumerate([("", 0), ("l", 1), ("right", 2), ("h", 1)]):
            if key:
                await pilot.press(key)
                await settle(pilot)
            shown = expected[index]
            assert screen.index == index, step
            assert str(position.render()) == f"{index + 1} of 3 · newest first"
            assert picture.key == shown.id and isinstance(picture.image_widget, HalfcellImage)
            for label, value in shown.details():
                assert f"{label}: {value}" in record.plain or label == "Prompt"
            assert shown.prompt in record.plain
            assert f"Theme: {shown.theme_label}" in record.plain
            assert f"Made by: {SKETCH_LABEL}" in record.plain
            assert picture.caption.startswith(SKETCH_LABEL)
            assert f"{shown.theme_label} · {index + 1} of 3" in picture.caption
        await pilot.press("end")
        await settle(pilot)
        assert screen.index == 2
        await pilot.press("l")  # already the oldest: stays
        await settle(pilot)
        assert screen.index == 2
        await pilot.press("home")
        await settle(pilot)
        assert screen.index == 0 and picture.key == sketches[2].id


async def test_sketches_are_marked_and_paid_images_are_not(
    app_factory, config, home, known_session, openrouter_server
):
    ledger = known_session()
    # Bought first (sketching makes the session an admin one), an hour after the sketches.
    paid = await add_paid(home, openrouter_server, ledger, JOHN_3_16, at=LATER)
    ledger.close()
    await add_sketches(config, KNOWN_SID, [(JOHN_3_16, None)] * 3, at=SNAPSHOT_TIME)
    assert not paid.is_sketch and paid.credits > 0
    app = app_factory("John 3:16")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert pane(app).caption.startswith(f"{GEMINI} via OpenRouter\n1 of 4")
        await pilot.press("v")
        await settle(pilot)
        screen = viewer(app)
        banner = screen.query_one("#sketch-banner")
        record = screen.query_one(RecordView).plain
        assert not banner.display
        assert f"Made by: {GEMINI} via OpenRouter" in record
        assert f"Cost: {paid.credits} credits" in record
        assert f"Provider cost: ${paid.provider_cost}" in record
        assert SKETCH_LABEL not in record
        await pilot.press("l")
        await settle(pilot)
        assert banner.display and SKETCH_LABEL in str(banner.render())
        assert screen.query_one(Picture).caption.startswith(SKETCH_LABEL)


async def test_the_viewer_can_open_on_a_chosen_illustration(app_factory, sketches):
    app = app_factory("John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.gallery is not None
        await app.push_screen(ViewerScreen(app.gallery, JOHN_3_16, start_id=sketches[0].id))
        await settle(pilot)
        assert viewer(app).index == 2
        assert viewer(app).query_one(Picture).key == sketches[0].id


async def test_escape_and_q_close_the_viewer(app_factory, sketches):
    app = app_factory("John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key in ("escape", "q"):
            await pilot.press("v")
            await settle(pilot)
            assert isinstance(app.screen, ViewerScreen)
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, ReaderScreen)
        assert app.is_running


async def test_a_narrow_viewer_puts_the_details_under_the_picture(app_factory, sketches):
    app = app_factory("John 3:16")
    async with app.run_test(size=(60, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        screen = viewer(app)
        assert screen.has_class("-stacked")
        picture = screen.query_one(Picture).region
        details = screen.query_one("#viewer-details").region
        assert picture.bottom <= details.y and details.width >= 56
        assert screen.query_one(Picture).image_widget.size.area > 0


# exporting --------------------------------------------------------------------------------


async def test_export_writes_a_png_and_refuses_an_existing_file(app_factory, sketches, tmp_path):
    newest = sketches[2]
    target = tmp_path / "exports" / "verse.png"
    target.parent.mkdir()
    app = app_factory("John 3:16")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        field = dialog.query_one("#export-path", Input)
        assert field.value == f"~/{export_name(newest)}" == "~/john-3-16-5ce7c400.png"
        field.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ViewerScreen)
        assert f"Saved to {target}" in toasts(app)
        with Image.open(target) as saved:
            assert saved.format == "PNG"
            assert saved.size == (newest.width, newest.height)

        await pilot.press("e")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        dialog.query_one("#export-path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        message = dialog.query_one("#message", Static)
        assert app.screen is dialog and message.has_class("-error")
        assert str(message.render()) == f"{target} already exists; choose another name."
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ViewerScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)


async def test_export_of_a_missing_file_says_so(app_factory, sketches, tmp_path):
    sketches[2].path.unlink()
    app = app_factory("John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#export-path", Input).value = str(tmp_path / "gone.png")
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: "missing" in str(app.screen.query_one("#message", Static).render()),
            "the sentence",
        )
        assert not (tmp_path / "gone.png").exists()


# choosing the renderer and fitting ---------------------------------------------------------


def test_under_tests_the_pictures_are_half_blocks():
    assert image_widget_class() is HalfcellImage
    assert text_resolution(HalfcellImage) == (1, 2)
    assert text_resolution(SixelImage) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("halfcell", HalfcellImage),
        ("sixel", SixelImage),
        ("kitty", TGPImage),
        ("Unicode", UnicodeImage),
        ("auto", HalfcellImage),
        ("nonsense", HalfcellImage),
    ],
)
def test_the_renderer_can_be_chosen(monkeypatch, value, expected):
    monkeypatch.setenv(image_support.RENDERER_ENV, value)
    monkeypatch.setattr(image_support, "_requested", "auto")  # put back after the test
    image_support.use_renderer(load_config())
    assert image_widget_class() is expected


def test_preparing_under_tests_asks_nothing():
    image_support.prepare_terminal_graphics(load_config())
    assert not image_support._queried_terminal


def _run_on_a_terminal(
    renderer: str,
    window: tuple[int, int] | None = (24, 80),
    replies: dict[bytes, bytes] | None = None,
) -> tuple[str, bytes]:
    """Run prepare + choose in a child whose stdin and stdout are a pseudo-terminal (of
    ``window`` rows and columns, no pixel size, as many terminals report; None: no size at
    all) that answers each question in ``replies`` as a terminal would; return the class
    chosen, the cell size the widgets use and every byte the child wrote to the terminal."""
    code = (
        "import sys\n"
        "from tui.image_support import prepare_terminal_graphics, image_widget_class, cell_size\n"
        "from tui.image_support import widget_module\n"
        "from core.config import load_config\n"
        "prepare_terminal_graphics(load_config())\n"
        "chosen = image_widget_class()\n"
        "names = ('SixelImage', 'TGPImage', 'HalfcellImage', 'UnicodeImage', 'Image')\n"
        "name = next(n for n in names if getattr(widget_module(), n) is chosen)\n"
        "print(name, *cell_size(), file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env[image_support.RENDERER_ENV] = renderer
    master, child = pty.openpty()
    if window is not None:
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", *window, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=child, stdout=child, stderr=subprocess.PIPE,
        env=env, cwd=ROOT,
    )  # fmt: skip
    os.close(child)
    written = b""
    pending = dict(replies or {})
    while True:
        if not select.select([master], [], [], 60)[0]:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal's other end is closed: all read
            break
        if not chunk:
            break
        written += chunk
        for question in [q for q in pending if q in written]:
            os.write(master, pending.pop(question))
    _, err = proc.communicate(timeout=60)
    os.close(master)
    assert proc.returncode == 0, err.decode()
    return err.decode().strip().splitlines()[-1], written


def test_a_forced_renderer_never_queries_a_real_terminal():
    chosen, written = _run_on_a_terminal("halfcell")
    assert chosen == "HalfcellImage 10 20"
    assert b"\x1b" not in written


def test_auto_asks_a_real_terminal_before_the_app_starts():
    # Nobody answers on this pseudo-terminal: the wait ends, half-blocks are used.
    chosen, written = _run_on_a_terminal("auto")
    assert b"\x1b[c" in written  # the Sixel question (primary device attributes)
    assert b"\x1b[16t" in written  # the cell size in pixels, as the size had none
    assert b"\x1b_G" in written  # the Kitty graphics question
    assert chosen == "HalfcellImage 10 20"


def test_a_terminal_that_confuses_textual_image_still_gets_half_blocks():
    # A terminal reporting 0 columns made textual-image divide by zero while importing.
    chosen, _ = _run_on_a_terminal("auto", window=None)
    assert chosen == "HalfcellImage 10 20"


def test_a_sixel_terminal_gets_sixel_and_its_cell_size():
    # xterm with Sixel: attributes list 4; the cell size comes from CSI 16 t (height; width).
    replies = {b"\x1b[16t": b"\x1b[6;18;9t", b"\x1b[c": b"\x1b[?63;1;4;22c"}
    chosen, _ = _run_on_a_terminal("auto", replies=replies)
    assert chosen == "SixelImage 9 18"


def test_a_kitty_terminal_gets_kitty_graphics():
    # Kitty answers the graphics query OK, then the attributes (no Sixel).
    kitty_ok = b"\x1b_Gi=31;OK\x1b\\"
    replies = {b"AAAA\x1b\\": kitty_ok, b"\x1b[16t": b"\x1b[6;22;11t", b"\x1b[c": b"\x1b[?62;c"}
    chosen, _ = _run_on_a_terminal("auto", replies=replies)
    assert chosen == "TGPImage 11 22"


def test_a_plain_terminal_is_asked_once_and_gets_half_blocks():
    # A terminal with neither protocol answers only the attributes: that reply ends the wait.
    chosen, written = _run_on_a_terminal("auto", replies={b"\x1b[c": b"\x1b[?6c"})
    assert chosen == "HalfcellImage 10 20"
    assert written.count(b"\x1b[c") == 1  # one round trip, not one question after another


@pytest.mark.parametrize(
    ("image", "box", "expected"),
    [
        ((1024, 576), (23, 16), (23, 6)),  # width-bound: 23 * 10 * 576 / (1024 * 20) = 6.5
        ((1024, 576), (80, 10), (36, 10)),  # height-bound
        ((576, 1024), (40, 20), (22, 20)),  # portrait
        ((1024, 576), (0, 10), (0, 0)),
        ((1024, 576), (3, 1), (3, 1)),
    ],
)
def test_fit_keeps_the_aspect_ratio_in_pixels(image, box, expected):
    assert fit(image, box, (10, 20)) == expected


def test_the_pane_caption_counts_and_names_the_maker(sketches):
    one = sketches[3]
    assert pane_caption(one, 1).plain == f"{SKETCH_LABEL}\n1 of 1 · v for details"
    paid = dataclasses.replace(one, provider="openrouter", model=GEMINI)
    assert pane_caption(paid, 5).plain == f"{GEMINI} via OpenRouter\n1 of 5 · v to view all"


async def test_with_export_switched_off_the_viewer_writes_nothing(config, sketches, tmp_path):
    """A served process (``allow_export=False``): e says why and no dialog opens."""
    from core.services import ServiceOptions
    from tui.app import make_app

    app = make_app(config, "John 3:16", options=ServiceOptions(allow_export=False))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ViewerScreen)
        assert any("switched off" in n for n in toasts(app))
