"""A Lightning invoice as a QR code a phone can scan off the terminal (DESIGN.md section 6).

Three things make a terminal QR code scannable, and each is a decision here:

* Black on white, exactly. Many phone scanners cannot read an inverted (light on dark) code, and
  theme colours are neither black nor white. Every cell carries explicit ``#000000``/``#ffffff``
  colours and the widget opts out of Textual's line filters (see :meth:`QrCode.get_line_filters`).
* Square modules. A terminal cell is about twice as tall as it is wide, so each cell draws one
  module across and two down with the upper half block: foreground = top module, background =
  bottom module. Cells whose two modules match are drawn as a plain space in that background
  colour, so the only glyph the code depends on is ``▀``; backgrounds are filled rectangles in every
  terminal, while glyph coverage depends on the font.
* Enough room. The widget sizes itself to the code from the space its container offers
  (``width``/``height`` auto, :meth:`get_content_width`): M with the standard quiet zone when it
  fits, then a narrower quiet zone, then L (:func:`core.billing.qr.choose_layout`). It draws only
  what fits its own content region, so a ``max-width`` or ``max-height`` on it picks a smaller
  layout rather than clipping the code. When nothing fits it shrinks to a short sentence saying
  how big the terminal must be (at most :data:`MESSAGE_WIDTH` columns, so the invoice text can sit
  beside it), gets the ``-too-small`` class and posts :class:`QrCode.Hidden` so the parent can show
  the invoice as text; :class:`QrCode.Shown` follows when the code fits again.

Textual offers an auto-sized widget its parent's whole content area, not what its siblings leave,
so give it a container whose size is the room for the code (for example a ``Vertical`` with
``width: 1fr``), or siblings with a fixed size. Do not hide it with ``display: none``: it learns
that the terminal has grown from the layout passes, which a hidden widget does not get.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.app import RenderResult
from textual.filter import LineFilter
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from core.billing.qr import Layout, QrMatrix, TooSmall, choose_layout, qr_matrix, qr_payload

DARK_HEX = "#000000"
LIGHT_HEX = "#ffffff"


def _module_style(foreground: str, background: str) -> Style:
    """Explicit colours, and the attributes that could thin, blink or swap them switched off."""
    return Style(
        color=foreground, bgcolor=background, bold=False, dim=False, reverse=False, blink=False
    )


_CELLS: dict[tuple[bool, bool], tuple[str, Style]] = {
    # (top dark, bottom dark) -> character and style. Foreground is the top module's colour,
    # background the bottom module's; a matching pair is a space so only its background shows.
    (True, True): (" ", _module_style(DARK_HEX, DARK_HEX)),
    (False, False): (" ", _module_style(LIGHT_HEX, LIGHT_HEX)),
    (True, False): ("\u2580", _module_style(DARK_HEX, LIGHT_HEX)),
    (False, True): ("\u2580", _module_style(LIGHT_HEX, DARK_HEX)),
}


def half_block_strips(matrix: QrMatrix) -> list[Strip]:
    """One strip per terminal row: module rows ``2y`` and ``2y + 1`` share row ``y``.

    An odd last module row is paired with light, which only widens the bottom quiet zone.
    Each cell is its own segment. A terminal does not care, but Rich's SVG export (screenshots,
    and the tests' decoding) draws each segment as one ``<text>`` that cairo lays out with the
    font's own advances, so a run of ``▀`` drifts off the cell grid; one segment per cell pins
    each glyph to its column (merged runs stopped decoding at half scale, per-cell ones did not).
    """
    strips: list[Strip] = []
    width = len(matrix[0]) if matrix else 0
    light_row = [False] * width
    for top_index in range(0, len(matrix), 2):
        top = matrix[top_index]
        bottom = matrix[top_index + 1] if top_index + 1 < len(matrix) else light_row
        segments = [Segment(*_CELLS[pair]) for pair in zip(top, bottom, strict=True)]
        strips.append(Strip(segments, width))
    return strips


MESSAGE_WIDTH = 28
"""The size message wraps at this many columns so it leaves room beside it for the invoice text."""


def terminal_size_message(columns: int, rows: int) -> str:
    """What the reader is told when the code does not fit."""
    return f"Make the terminal at least {columns}x{rows} to show the QR code"


def wrap_message(message: str, width: int) -> list[str]:
    """``message`` in lines of at most ``width`` columns (and at most ``MESSAGE_WIDTH``)."""
    return textwrap.wrap(message, max(1, min(width, MESSAGE_WIDTH))) or [""]


class QrCode(Widget):
    """An invoice's QR code in explicit black on white, sized to the code; see the module docstring."""

    DEFAULT_CSS = """
    QrCode {
        width: auto;
        height: auto;
        content-align: center middle;
        text-align: center;
    }
    """

    ALLOW_SELECT: ClassVar[bool] = False

    class Shown(Message):
        """The code is drawn with ``layout``; the parent may hide the invoice text."""

        def __init__(self, qr_code: QrCode, layout: Layout) -> None:
            super().__init__()
            self.qr_code = qr_code
            self.layout = layout

        @property
        def control(self) -> QrCode:
            return self.qr_code

    class Hidden(Message):
        """No layout fits, so the code is not drawn; the parent should show the invoice as text.

        ``needed`` is the room the widget itself needs; ``terminal`` is the terminal size that
        gives it that room if the space offered to the widget grows one cell for each cell the
        terminal does (true of ``fr`` and auto layouts; a fixed-size container needs ``needed``).
        """

        def __init__(self, qr_code: QrCode, needed: TooSmall, terminal: Size) -> None:
            super().__init__()
            self.qr_code = qr_code
            self.needed = needed
            self.terminal = terminal

        @property
        def control(self) -> QrCode:
            return self.qr_code

    def __init__(
        self,
        invoice: str,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._payload = qr_payload(invoice)
        self._strips: dict[Layout, list[Strip]] = {}
        self._offered = Size(0, 0)
        """The room the container offered at the last layout pass."""
        self._announced: Layout | TooSmall | None = None

    @property
    def payload(self) -> str:
        """The exact text the code encodes (``lightning:`` + the upper-cased invoice)."""
        return self._payload

    @property
    def invoice(self) -> str:
        """The invoice, lower case (bech32 is case-insensitive)."""
        return self._payload.removeprefix("lightning:").lower()

    @invoice.setter
    def invoice(self, invoice: str) -> None:
        payload = qr_payload(invoice)
        if payload != self._payload:
            self._payload = payload
            self._strips.clear()
            self._announced = None
            self.refresh(layout=True)

    @property
    def fit(self) -> Layout | TooSmall:
        """The layout drawn in the widget's own content region, or what it lacks."""
        width, height = self.size
        return choose_layout(self._payload, width, height)

    @property
    def shows_code(self) -> bool:
        """True when the code itself is on screen rather than the size message."""
        return isinstance(self.fit, Layout)

    @property
    def needed(self) -> TooSmall:
        """The room the smallest layout needs (L with a quiet zone of 2)."""
        fit = choose_layout(self._payload, 0, 0)
        assert isinstance(fit, TooSmall)
        return fit

    @property
    def message(self) -> str:
        """The size message, naming the terminal size for the room last offered."""
        columns, rows = self._terminal_needed(self.needed)
        return terminal_size_message(columns, rows)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """Exactly the code's width when it fits in ``container``, else the wrapped message's."""
        if container != self._offered:
            self._offered = container
            # The message names a terminal size worked out from the room offered; the widget's
            # own size may not change with it, so nothing else would repaint it.
            self.refresh()
        # Within the widget's own max-width/max-height: a code that fits only the container
        # would be clamped to a width it does not fit, leaving a wide, empty message box.
        room = self._within_limits(container, viewport)
        fit = choose_layout(self._payload, room.width, room.height)
        if isinstance(fit, Layout):
            return fit.cols
        return max(len(line) for line in wrap_message(self.message, room.width))

    def _within_limits(self, container: Size, viewport: Size) -> Size:
        """``container`` narrowed by this widget's ``max-width`` and ``max-height``, if any."""
        width, height = container
        if self.styles.max_width is not None:
            width = min(width, int(self.styles.max_width.resolve(container, viewport)))
        if self.styles.max_height is not None:
            height = min(height, int(self.styles.max_height.resolve(container, viewport)))
        return Size(width, height)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """Exactly the code's height when it fits in ``width`` columns, else the message's lines.

        ``width`` is the width Textual settled on (after ``max-width``), not the container's.
        """
        fit = choose_layout(self._payload, width, container.height)
        if isinstance(fit, Layout):
            return fit.rows
        return len(wrap_message(self.message, width))

    def get_line_filters(self) -> Sequence[LineFilter]:
        """No filters while the code is drawn, so it stays black on white.

        With ``NO_COLOR`` set Textual adds ``Monochrome`` (or ``NoColor`` under an ANSI theme) to
        every widget's filters. ``Monochrome`` happens to keep pure black and white, but ``NoColor``
        replaces them with the terminal's default colours, which on a dark terminal is an inverted,
        unreadable code; ``TEXTUAL_FILTERS=dim`` would grey it. A QR code is a function, not
        decoration, so it opts out. The size message keeps the app's filters.
        """
        if self.shows_code:
            return ()
        return super().get_line_filters()

    def render_line(self, y: int) -> Strip:
        """A row of the code (two module rows), or a row of the size message."""
        fit = self.fit
        if not isinstance(fit, Layout):
            return super().render_line(y)
        strips = self._strips.get(fit)
        if strips is None:
            strips = half_block_strips(qr_matrix(self._payload, fit.ecc, fit.quiet))
            self._strips = {fit: strips}
        return strips[y] if 0 <= y < len(strips) else Strip.blank(fit.cols)

    def render(self) -> RenderResult:
        """The size message; only reached through ``render_line`` when the code does not fit."""
        if self.shows_code:
            return ""
        return "\n".join(wrap_message(self.message, self.size.width))

    def on_resize(self) -> None:
        """Tell the parent when the code appears or disappears (only on a change)."""
        fit = self.fit
        self.set_class(not isinstance(fit, Layout), "-too-small")
        if isinstance(fit, Layout):
            if fit != self._announced:
                self._announced = fit
                self.post_message(self.Shown(self, fit))
        elif not isinstance(self._announced, TooSmall):
            self._announced = fit
            needed = self.needed
            self.post_message(self.Hidden(self, needed, self._terminal_needed(needed)))

    def _terminal_needed(self, needed: TooSmall) -> Size:
        """The terminal size that would give this widget ``needed`` cells (see ``Hidden``).

        A ``max-width`` or ``max-height`` in percent grows slower than the terminal (75% of the
        width gains 3 columns for every 4), so the room is searched for, not subtracted.
        """
        width, height = self._offered
        screen_width, screen_height = self.app.size
        columns = self._room_needed(width, needed.needed_cols, lambda c: Size(c, height), "width")
        rows = self._room_needed(height, needed.needed_rows, lambda r: Size(width, r), "height")
        return Size(screen_width + columns - width, screen_height + rows - height)

    def _room_needed(
        self, offered: int, needed: int, container: Callable[[int], Size], axis: str
    ) -> int:
        """The smallest container extent (at least ``offered``) whose max-width/height allows
        ``needed`` cells along ``axis``."""
        limit = self.styles.max_width if axis == "width" else self.styles.max_height
        viewport = self.app.size
        for extent in range(max(offered, needed), max(offered, needed) * 4 + 1):
            if limit is None or limit.resolve(container(extent), viewport) >= needed:
                return extent
        return max(offered, needed)
