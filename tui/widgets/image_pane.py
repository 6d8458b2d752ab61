"""The illustration beside the text, and the picture widget the viewer shares with it.

``Picture`` shows one decoded image fitted to its own size (aspect ratio kept in pixels, not
cells), centred with a caption under it, or a sentence instead of the image. ``ImagePane`` is
the reader's: ``show_verse`` is called on every key press, so it asks the gallery one question
and does nothing else unless the verse's latest illustration changed (the image widget is made
once and only given new pixels when the illustration's id changes; pixels are decoded once per
id by ``tui.image_support.pictures``).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual.app import ComposeResult
from textual.content import Content
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import Static

from core.bible.references import VerseRef
from core.billing import LedgerError
from tui.image_support import (
    PictureCache,
    PictureError,
    cell_size,
    fit,
    image_widget_class,
    pictures,
    scaled,
    text_resolution,
)

if TYPE_CHECKING:
    from PIL import Image as PILImage
    from textual.css.styles import RulesMap

    from core.generation.gallery import Gallery, Illustration

log = logging.getLogger("verselight.tui.image_pane")

UNAVAILABLE = "Illustrations are unavailable in this run."
UNREADABLE_RECORDS = "Illustrations could not be read just now."
NO_ILLUSTRATION = "No illustration for this verse yet.\n\nPress i to make one."


class Picture(Widget):
    """One image fitted inside this widget, a caption under it, or a sentence in its place."""

    DEFAULT_CSS = """
    Picture {
        layout: vertical;
        align: center middle;
    }
    Picture > .picture--message {
        width: 100%;
        height: auto;
        text-align: center;
    }
    Picture > .picture--caption {
        width: 100%;
        height: auto;
        margin-top: 1;
        text-align: center;
    }
    """

    def __init__(
        self, *, id: str | None = None, classes: str | None = None, cache: PictureCache = pictures
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.cache = cache
        self.key: str | None = None
        """The id of the image shown (None while a sentence stands in its place)."""
        self._pixels: PILImage.Image | None = None
        self._given: tuple[str, tuple[int, int]] | None = None
        """What the image widget holds: (key, pixel size), kept while hidden for coming back."""
        self._caption = Content("")
        self._message = Content("")
        self._fitted = (0, 0)
        self._image: Any = None
        """The ``textual_image`` widget, made with the first picture: textual-image and Pillow
        then load, not while the reader paints its first frame."""
        self._resolution: tuple[int, int] | None = None
        self._message_widget = Static(classes="picture--message")
        self._message_widget.display = False
        self._caption_widget = Static(classes="picture--caption")
        self._caption_widget.display = False

    def compose(self) -> ComposeResult:
        yield self._message_widget
        yield self._caption_widget

    # what to show ------------------------------------------------------------------------

    def show_image(self, key: str, load: Callable[[], Path], caption: Content | str = "") -> bool:
        """Show the image ``key`` (``load()`` gives its path, asked only when not cached).

        Returns False, showing the file's problem as the message, when it cannot be decoded.
        """
        if key == self.key:
            self.set_caption(caption)
            return True
        try:
            pixels = self.cache.get(key, load())
        except PictureError as exc:
            self.show_message(str(exc), caption)
            return False
        self.key = key
        self._pixels = pixels
        self._message = Content("")
        self._caption = Content(caption) if isinstance(caption, str) else caption
        self._apply()
        return True

    def show_message(self, message: Content | str, caption: Content | str = "") -> None:
        """A sentence in place of the image (and an optional caption under it)."""
        message = Content(message) if isinstance(message, str) else message
        caption = Content(caption) if isinstance(caption, str) else caption
        if self.key is None and message == self._message and caption == self._caption:
            return
        self.key = None
        self._message = message
        self._caption = caption
        self._apply()

    def set_caption(self, caption: Content | str) -> None:
        caption = Content(caption) if isinstance(caption, str) else caption
        if caption != self._caption:
            self._caption = caption
            self._apply()

    @property
    def message(self) -> str:
        """The sentence shown instead of an image ('' while an image is shown)."""
        return self._message.plain

    @property
    def caption(self) -> str:
        return self._caption.plain

    @property
    def image_widget(self) -> Any:
        """The ``textual_image`` widget (hidden while a sentence is shown; None until the first
        picture)."""
        return self._image

    def _image_widget(self) -> Any:
        if self._image is None:
            widget_class = image_widget_class()
            self._resolution = text_resolution(widget_class)
            self._image = widget_class(None, classes="picture--image")
            self.mount(self._image, before=self._message_widget)
        return self._image

    # drawing -----------------------------------------------------------------------------

    def _apply(self) -> None:
        _update(self._message_widget, self._message)
        _update(self._caption_widget, self._caption)
        self._refit()

    def on_resize(self, event: Resize) -> None:
        self._refit()

    def on_mount(self) -> None:
        self._apply()

    def _refit(self) -> None:
        """Size the image widget to the largest undistorted box left above the caption, and
        give it pixels when the image or (for half-blocks) that box changed."""
        pixels = self._pixels if self.key is not None else None
        width, height = self.content_size
        if pixels is None or self.key is None or width <= 0:
            if self._image is not None:
                self._image.display = False
            return
        image = self._image_widget()
        if self._caption:
            height -= self._caption.get_height({}, width) + 1
        cols, rows = fit(pixels.size, (width, height), cell_size())
        if cols <= 0 or rows <= 0:
            image.display = False
            return
        if (cols, rows) != self._fitted:
            self._fitted = (cols, rows)
            image.styles.width = cols
            image.styles.height = rows
        if self._resolution is None:
            wanted = pixels.size
        else:
            wanted = (cols * self._resolution[0], rows * self._resolution[1])
        if self._given != (self.key, wanted):
            self._given = (self.key, wanted)
            image.image = scaled(pixels, wanted)
        image.display = True


def pane_caption(illustration: Illustration, count: int) -> Content:
    """Who drew it (the sketch says so plainly), then where it stands among the verse's images."""
    style = "bold $text-warning" if illustration.is_sketch else "bold $text"
    more = "v to view all" if count > 1 else "v for details"
    return Content.assemble((illustration.made_by, style), "\n", (f"1 of {count} · {more}", "dim"))


class ImagePane(Picture):
    """The reader's pane: the current verse's latest illustration, or what to do to get one."""

    def __init__(
        self, gallery: Gallery | None = None, *, waiting: bool = False, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.gallery = gallery
        self.waiting = waiting
        """No gallery yet because it is still being opened (``credits_opened`` brings it)."""
        self.ref: VerseRef | None = None
        self.shown: Illustration | None = None
        """The illustration the pane is about (also when its file is missing)."""

    def credits_opened(self, gallery: Gallery | None) -> None:
        self.gallery, self.waiting = gallery, False
        if self.ref is not None:
            self.show_verse(self.ref)

    def show_verse(self, ref: VerseRef) -> None:
        """Called on every move: one gallery query; pixels only when the illustration changed."""
        self.ref = ref
        if self.gallery is None:
            self.shown = None
            self.show_message("" if self.waiting else UNAVAILABLE)
            return
        try:
            found = self.gallery.for_verse(ref)
        except (sqlite3.Error, LedgerError) as exc:
            log.warning("Could not list the illustrations of %s: %s", ref, exc)
            self.shown = None
            self.show_message(UNREADABLE_RECORDS)
            return
        if not found:
            self.shown = None
            # Not naming the verse (the header does): the sentence stays put while reading on.
            self.show_message(NO_ILLUSTRATION)
            return
        latest = found[0]
        self.shown = latest
        self.show_image(latest.id, lambda: latest.path, pane_caption(latest, len(found)))


def _update(widget: Static, content: Content) -> None:
    """Show ``content`` in ``widget`` (hidden when empty), laying the pane out again only when
    its height changes: captions change from verse to verse, and a layout of the whole screen
    on every key press would cost more than the rest of the key press together."""
    shown = bool(content)
    width = widget.content_size.width
    old = widget.visual
    # Read with ``.get`` like a mapping, as Textual's own widgets pass their styles here.
    rules = cast("RulesMap", widget.styles)
    same = widget.display == shown and (
        not shown  # hidden before and after: it takes no room
        or (
            width > 0
            and isinstance(old, Content)
            and old.get_height(rules, width) == content.get_height(rules, width)
        )
    )
    widget.display = shown
    widget.update(content, layout=not same)
