"""Terminal graphics for the illustrations: which renderer draws them, and their pixels decoded once.

Choosing the renderer
---------------------
``textual-image`` can draw with the Kitty graphics protocol (TGP), with Sixel, with coloured
half-blocks (two pixels per cell, ``▀`` in a foreground and a background colour) or with grey
Unicode shades. Its ``Image`` widget picks one by asking the terminal, and it asks *when
``textual_image.widget`` is imported*: it writes escape sequences to the terminal and reads the
answers from stdin with 0.1 s timeouts. That only works before ``App.run()``: once Textual runs,
its input thread swallows the answers (they would arrive as stray key presses) and the
timeouts would stall the first frame. So the command line calls ``prepare_terminal_graphics()``
just before ``app.run()``, and everything else only asks ``image_widget_class()``.

Under tests, in benchmarks and whenever stdout or stdin is not a terminal, nothing is asked
and the half-block renderer is used: it is plain text with colours, so snapshots show it, it
is the same on every machine, and it cannot write graphics escapes into a capture. The
package is then imported with its view of the terminal hidden (``_terminal_hidden``), so it
never queries even when pytest runs with ``-s`` in a real terminal, and its cell-size guess
is the fixed 10x20 pixels (half-blocks only need cells twice as tall as wide).

``VERSELIGHT_IMAGE_RENDERER`` overrides the choice for terminals that answer wrongly (some
multiplexers claim Sixel and draw nothing; some Kitty-protocol terminals do not answer the
query): ``auto`` (the default), ``halfcell``, ``sixel``, ``kitty`` or ``unicode``. A forced
renderer is not queried for support, but Sixel and Kitty still learn the real cell size
before the app starts, since they draw in pixels.

Decoding
--------
The reader calls the image pane on every key press and the viewer pages through images, so a
file is decoded once (opened, fully loaded, converted to RGB) and kept in a small LRU cache
keyed by the illustration's id; ids never change their picture.
"""

from __future__ import annotations

import importlib
import io
import logging
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from PIL import Image as PILImage

log = logging.getLogger("verselight.tui.image_support")

RENDERER_ENV = "VERSELIGHT_IMAGE_RENDERER"
RENDERERS = ("auto", "halfcell", "sixel", "kitty", "unicode")
_CLASS_NAMES = {
    "halfcell": "HalfcellImage",
    "sixel": "SixelImage",
    "kitty": "TGPImage",
    "unicode": "UnicodeImage",
}
DEFAULT_CELL = (10, 20)
"""The cell size in pixels assumed when the terminal was not asked (textual-image's own
default): what matters for half-blocks is only that a cell is twice as tall as it is wide."""

_queried_terminal = False
"""True once ``textual_image.widget`` was imported against a real terminal (auto detection ran)."""


def requested_renderer() -> str:
    """The renderer named in ``VERSELIGHT_IMAGE_RENDERER``, or ``auto`` (also for unknown names)."""
    value = os.environ.get(RENDERER_ENV, "").strip().lower() or "auto"
    if value not in RENDERERS:
        log.warning("%s=%r is not one of %s; using auto", RENDERER_ENV, value, ", ".join(RENDERERS))
        return "auto"
    return value


def _may_ask_terminal() -> bool:
    """Whether asking the terminal is safe and useful: a real terminal on both ends, not a test."""
    if "PYTEST_CURRENT_TEST" in os.environ:
        return False
    streams = (sys.stdout, sys.__stdout__, sys.stdin, sys.__stdin__)
    try:
        return all(s is not None and s.isatty() for s in streams)
    except (AttributeError, ValueError, OSError):  # closed or unusual streams
        return False


class _NotATerminal:
    """Stands in for ``sys.__stdout__`` while textual-image is imported without asking."""

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


@contextmanager
def _terminal_hidden() -> Iterator[None]:
    """textual-image decides whether to query by ``sys.__stdout__.isatty()`` at import time.

    Textual's Linux driver writes to ``sys.__stderr__``, so swapping ``__stdout__`` for the
    moment of an import does not disturb a running app.
    """
    saved = sys.__stdout__
    sys.__stdout__ = _NotATerminal()  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        sys.__stdout__ = saved  # type: ignore[misc]


def widget_module() -> ModuleType:
    """``textual_image.widget``, imported without talking to the terminal unless already done."""
    loaded = sys.modules.get("textual_image.widget")
    if loaded is not None:
        return loaded
    with _terminal_hidden():
        return importlib.import_module("textual_image.widget")


def prepare_terminal_graphics() -> None:
    """Ask the terminal what it can draw, once, before ``App.run()`` (see the module docstring).

    Never raises: a terminal that cannot be asked simply gets half-blocks.
    """
    global _queried_terminal
    if "textual_image.widget" in sys.modules:
        return
    mode = requested_renderer()
    ask = _may_ask_terminal()
    try:
        if mode == "auto" and ask:
            importlib.import_module("textual_image.widget")
            _queried_terminal = True
            return
        if mode in ("sixel", "kitty") and ask:
            from textual_image._terminal import get_cell_size

            get_cell_size()  # cached by the package; the widgets then use the real size
        widget_module()
    except Exception:  # a terminal that answers oddly must not stop the reader starting
        log.warning("Terminal graphics could not be prepared; using half-blocks", exc_info=True)
        sys.modules.pop("textual_image.widget", None)
        _queried_terminal = False


def image_widget_class() -> type[Any]:
    """The ``textual_image`` widget class the illustrations are drawn with.

    ``auto`` means the detected renderer when ``prepare_terminal_graphics`` asked a real
    terminal, and half-blocks otherwise (tests, pipes, benchmarks).
    """
    widgets = widget_module()
    mode = requested_renderer()
    if mode == "auto":
        return widgets.Image if _queried_terminal else widgets.HalfcellImage  # type: ignore[no-any-return]
    return getattr(widgets, _CLASS_NAMES[mode])  # type: ignore[no-any-return]


def text_resolution(widget_class: type[Any]) -> tuple[int, int] | None:
    """Pixels per cell (across, down) of a renderer that draws with characters, else None.

    Half-blocks show 1x2 pixels per cell and grey shades 1x1, so an image handed to them is
    best scaled to exactly that many pixels first: the widget otherwise copies, converts and
    resizes the full-size image on every render (a few milliseconds each at 1024x576).
    Kitty and Sixel draw real pixels and get the full image.
    """
    renderable = getattr(widget_class, "_Renderable", None)
    module = getattr(renderable, "__module__", "")
    if module.endswith(".halfcell"):
        return (1, 2)
    if module.endswith(".unicode"):
        return (1, 1)
    return None


def scaled(image: PILImage.Image, size: tuple[int, int]) -> PILImage.Image:
    """``image`` resized to ``size`` pixels, quickly (reduce by whole factors, then Lanczos)."""
    if image.size == size:
        return image
    return image.resize(size, PILImage.Resampling.LANCZOS, reducing_gap=3.0)


def cell_size() -> tuple[int, int]:
    """The terminal's cell size in pixels (width, height), as textual-image knows it."""
    widget_module()
    from textual_image._terminal import TerminalError, get_cell_size

    try:
        size = get_cell_size()
    except TerminalError:
        return DEFAULT_CELL
    if size.width <= 0 or size.height <= 0:
        return DEFAULT_CELL
    return size.width, size.height


def fit(
    image_size: tuple[int, int], box: tuple[int, int], cell: tuple[int, int] = DEFAULT_CELL
) -> tuple[int, int]:
    """The largest (columns, rows) inside ``box`` that shows ``image_size`` pixels undistorted.

    Cells are not square (``cell`` is their size in pixels), so the image's aspect ratio is
    kept in pixels, not in cells. Never less than 1x1 while the box has room.
    """
    (iw, ih), (bw, bh), (cw, ch) = image_size, box, cell
    if iw <= 0 or ih <= 0 or bw <= 0 or bh <= 0:
        return (0, 0)
    rows_for_width = bw * cw * ih / (iw * ch)
    if rows_for_width <= bh:
        return bw, max(1, round(rows_for_width))
    return max(1, min(bw, round(bh * ch * iw / (ih * cw)))), bh


class PictureError(Exception):
    """An illustration's file cannot be shown. ``str()`` is a sentence for the user."""


MISSING = "This illustration's file is missing."
UNREADABLE = "This illustration's file could not be read."


class PictureCache:
    """Decoded illustrations by id and file, the most recently used kept.

    An id never changes its pixels; the file is part of the key only because two homes (two
    test runs, or ``VERSELIGHT_HOME`` switched) may hold the same id. Failures are not cached:
    a file restored later shows the next time it is asked for.
    """

    def __init__(self, size: int = 12) -> None:
        self.size = size
        self._images: OrderedDict[tuple[str, Path], PILImage.Image] = OrderedDict()
        self._lock = threading.Lock()
        """The viewer decodes neighbours in a worker thread; decoding itself is not locked."""

    def get(self, key: str, path: Path) -> PILImage.Image:
        """The decoded RGB image for ``key``; raises ``PictureError`` with a sentence."""
        with self._lock:
            image = self._images.get((key, path))
            if image is not None:
                self._images.move_to_end((key, path))
                return image
        image = decode(path)
        with self._lock:
            self._images[(key, path)] = image
            while len(self._images) > self.size:
                self._images.popitem(last=False)
        return image

    def has(self, key: str, path: Path) -> bool:
        with self._lock:
            return (key, path) in self._images

    def clear(self) -> None:
        with self._lock:
            self._images.clear()


def decode(path: Path) -> PILImage.Image:
    """Open, fully load and convert to RGB, so drawing never touches the file again."""
    from core.generation.store import read_image_file

    try:
        with PILImage.open(io.BytesIO(read_image_file(path))) as opened:
            opened.load()
            return opened.convert("RGB")
    except FileNotFoundError as exc:
        raise PictureError(MISSING) from exc
    except (OSError, SyntaxError, ValueError, PILImage.DecompressionBombError) as exc:
        # PIL raises OSError for truncated files, UnidentifiedImageError (an OSError) for
        # foreign ones, and SyntaxError/ValueError from some broken headers.
        log.info("Could not decode %s: %s", path, exc)
        raise PictureError(UNREADABLE) from exc


pictures = PictureCache()
"""Shared by the image pane and the viewer, so opening the viewer reuses the pane's decode."""
