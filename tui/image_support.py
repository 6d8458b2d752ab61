"""Terminal graphics for the illustrations: which renderer draws them, and their pixels decoded once.

Choosing the renderer
---------------------
``textual-image`` can draw with the Kitty graphics protocol (TGP), with Sixel, with coloured
half-blocks (two pixels per cell, ``▀`` in a foreground and a background colour) or with grey
Unicode shades. Left to itself it picks one by asking the terminal *when
``textual_image.widget`` is imported*, one question at a time with a 0.1 s timeout each, and
most terminals never answer the Kitty question: that cost 0.1-0.2 s before every first frame.
Asking only works before ``App.run()`` (once Textual runs, its input thread swallows the
answers), so the command line calls ``prepare_terminal_graphics()`` just before ``app.run()``;
it asks everything in one round trip (``ask_terminal``): the Kitty graphics query, the cell
size when the window size has no pixels, then Primary Device Attributes, which every terminal
answers and answers last, so its reply ends the wait. Sixel is chosen when the attributes list
it (4), then Kitty graphics, else half-blocks, as textual-image would. textual-image itself
(and Pillow) is imported later, without asking again, with the first picture shown; everything
else only asks ``image_widget_class()``.

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

import fcntl
import importlib
import io
import logging
import os
import re
import select
import struct
import sys
import termios
import threading
import time
import tty
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from core.env_settings import ENV_IMAGE_RENDERER, IMAGE_RENDERERS

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from core.config import Config

log = logging.getLogger("verselight.tui.image_support")

RENDERER_ENV = ENV_IMAGE_RENDERER
RENDERERS = IMAGE_RENDERERS
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
"""True once ``prepare_terminal_graphics`` asked a real terminal (auto detection ran)."""
_asked: TerminalAnswers | None = None
"""What the terminal answered, when it was asked."""

_KITTY_QUERY = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
_CELL_QUERY = "\x1b[16t"
_ATTRIBUTES_QUERY = "\x1b[c"
_ATTRIBUTES = re.compile(r"\x1b\[\?([\d;]*)c")
_KITTY_OK = re.compile(r"\x1b_Gi=31;OK\x1b\\")
_CELL = re.compile(r"\x1b\[6;(\d+);(\d+)t")
ASK_TIMEOUT_S = 0.2
"""How long to wait for the Device Attributes answer (textual-image waited 0.1 s per question)."""


@dataclass(frozen=True, slots=True)
class TerminalAnswers:
    """What one round of questions learned: the renderer to use and the cell size in pixels."""

    renderer: str
    """"sixel", "kitty" or "halfcell"."""
    cell: tuple[int, int] | None


_requested = "auto"
"""The renderer the configuration asks for (``Config.image_renderer``), set by
``use_renderer``: one terminal per process, so one choice per process."""


def use_renderer(config: Config) -> None:
    """Draw with the renderer ``config`` names (``VERSELIGHT_IMAGE_RENDERER``, parsed in
    ``load_config``; an unknown name means ``auto``)."""
    global _requested
    _requested = config.image_renderer


def requested_renderer() -> str:
    """The renderer asked for, or ``auto``."""
    return _requested


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
        module = importlib.import_module("textual_image.widget")
    if _asked is not None and _asked.cell is not None:
        from textual_image._terminal import CellSize, get_cell_size

        get_cell_size._result = CellSize(*_asked.cell)  # type: ignore[attr-defined]
    return module


def _window_cell() -> tuple[int, int] | None:
    """The cell size from the window size's pixels, when the terminal fills them in."""
    try:
        rows, columns, width, height = struct.unpack(
            "HHHH",
            fcntl.ioctl(sys.__stdout__.fileno(), termios.TIOCGWINSZ, bytes(8)),  # type: ignore[union-attr]
        )
    except (OSError, AttributeError, ValueError):
        return None
    if not (rows and columns and width and height):
        return None
    return width // columns, height // rows


def ask_terminal(timeout: float = ASK_TIMEOUT_S) -> TerminalAnswers:
    """Ask the terminal (stdin and stdout) what it can draw, all in one round trip.

    Terminals answer in the order asked, and all of them answer Device Attributes, so its reply
    means every other answer that will come has come. A terminal that says nothing within
    ``timeout`` gets half-blocks and the assumed cell size.
    """
    cell = _window_cell()
    query = _KITTY_QUERY + ("" if cell else _CELL_QUERY) + _ATTRIBUTES_QUERY
    stdin = sys.__stdin__.fileno()  # type: ignore[union-attr]
    saved = termios.tcgetattr(stdin)
    answer = ""
    try:
        tty.setcbreak(stdin, termios.TCSANOW)
        sys.__stdout__.write(query)  # type: ignore[union-attr]
        sys.__stdout__.flush()  # type: ignore[union-attr]
        deadline = time.monotonic() + timeout
        while not _ATTRIBUTES.search(answer):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([stdin], [], [], left)[0]:
                break
            chunk = os.read(stdin, 1024)
            if not chunk:
                break
            answer += chunk.decode(errors="replace")
    finally:
        termios.tcsetattr(stdin, termios.TCSANOW, saved)
    attributes = _ATTRIBUTES.search(answer)
    if attributes and "4" in attributes.group(1).split(";"):
        renderer = "sixel"
    elif _KITTY_OK.search(answer):
        renderer = "kitty"
    else:
        renderer = "halfcell"
    sized = _CELL.search(answer)
    if cell is None and sized:
        cell = (int(sized.group(2)), int(sized.group(1)))
    return TerminalAnswers(renderer, cell if cell and all(cell) else None)


def prepare_terminal_graphics(config: Config) -> None:
    """Ask the terminal what it can draw, once, before ``App.run()`` (see the module docstring),
    when ``config`` leaves the choice to it or names a renderer that draws in pixels.

    Never raises: a terminal that cannot be asked simply gets half-blocks.
    """
    global _queried_terminal, _asked
    use_renderer(config)
    if config.image_renderer_problem:
        log.warning("%s", config.image_renderer_problem)
    if _asked is not None or "textual_image.widget" in sys.modules:
        return
    mode = requested_renderer()
    if mode not in ("auto", "sixel", "kitty") or not _may_ask_terminal():
        return
    try:
        _asked = ask_terminal()
    except Exception:  # a terminal that answers oddly must not stop the reader starting
        log.warning("Terminal graphics could not be prepared; using half-blocks", exc_info=True)
        return
    _queried_terminal = mode == "auto"


def image_widget_class() -> type[Any]:
    """The ``textual_image`` widget class the illustrations are drawn with.

    ``auto`` means the detected renderer when ``prepare_terminal_graphics`` asked a real
    terminal, and half-blocks otherwise (tests, pipes, benchmarks).
    """
    widgets = widget_module()
    mode = requested_renderer()
    if mode == "auto":
        mode = _asked.renderer if _queried_terminal and _asked is not None else "halfcell"
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
    from PIL import Image as PILImage

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
    from PIL import Image as PILImage  # Pillow loads with the first picture, not with the reader

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
