"""The full-screen viewer: a verse's illustrations, newest first, each with its whole record.

What a reader can check here is the transparency promise of DESIGN.md section 7: who made the
picture (an offline sketch says so in a banner, not only in a field), what it cost in credits
and what the provider charged, how long it took, the theme, the exact prompt, the size and the
file's SHA-256. ``e`` saves a copy as PNG (never over an existing file).

Paging only changes which decoded image the shared ``Picture`` holds and the text of one
``RecordView``; pixels come from ``tui.image_support.pictures`` (decoded once per id), and the
neighbours of the image shown are decoded ahead in a thread so the next page only has to draw.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.geometry import Size
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, Label, Static

from core.bible.references import VerseRef
from core.generation.gallery import ExportError, Gallery, Illustration, LedgerError
from core.generation.labels import SKETCH_LABEL
from tui.image_support import PictureError, pictures
from tui.screens.quiet_repaints import QuietRepaints
from tui.widgets.image_pane import Picture

log = logging.getLogger("verselight.tui.viewer")

STACKED_BELOW = 76
"""Narrower than this, the details go under the picture instead of beside it."""

SKETCH_NOTE = "Drawn on this computer from the verse's words. No AI model made it; it is free."


def export_name(illustration: Illustration) -> str:
    """A suggested file name: the reference and the short id (``john-3-16-5ce7c400.png``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", illustration.reference.lower()).strip("-") or "verse"
    return f"{slug}-{illustration.short_id}.png"


class ViewerScreen(QuietRepaints, Screen[None]):
    """Pages through ``gallery.for_verse(ref)``; ``start_id`` picks the first one shown."""

    CSS_PATH = "viewer.tcss"
    AUTO_FOCUS = None

    BINDINGS = [
        Binding("left,h", "previous", "Newer", id="viewer-previous", key_display="←"),
        Binding("right,l", "next", "Older", id="viewer-next", key_display="→"),
        Binding("home", "first", "Newest", id="viewer-first", show=False),
        Binding("end", "last", "Oldest", id="viewer-last", show=False),
        Binding("e", "export", "Export", id="viewer-export", tooltip="Save a copy as PNG"),
        Binding("down,j", "scroll_details(1)", "Scroll down", show=False),
        Binding("up,k", "scroll_details(-1)", "Scroll up", show=False),
        Binding("pagedown,space", "scroll_details(10)", "Page down", show=False),
        Binding("pageup", "scroll_details(-10)", "Page up", show=False),
        Binding("escape,q,v", "close", "Close", id="viewer-close"),
    ]

    def __init__(self, gallery: Gallery, ref: VerseRef, start_id: str | None = None) -> None:
        super().__init__()
        self.gallery = gallery
        self.ref = ref
        self.problem: str | None = None
        try:
            self.illustrations = gallery.for_verse(ref)
        except (sqlite3.Error, LedgerError) as exc:
            log.warning("Could not list the illustrations of %s: %s", ref, exc)
            self.illustrations = []
            self.problem = "The illustrations could not be read just now; try again."
        ids = [i.id for i in self.illustrations]
        self.index = ids.index(start_id) if start_id in ids else 0

    @property
    def current(self) -> Illustration | None:
        return self.illustrations[self.index] if self.illustrations else None

    def compose(self) -> ComposeResult:
        with Horizontal(id="viewer-header"):
            yield Static(f"Illustrations of {self.ref}", id="viewer-title")
            yield Static("", id="viewer-position")
        with Horizontal(id="viewer-body"):
            yield Picture(id="viewer-picture")
            with VerticalScroll(id="viewer-details", can_focus=False):
                yield Static(
                    Content.assemble((SKETCH_LABEL, "bold"), "\n", SKETCH_NOTE),
                    id="sketch-banner",
                )
                yield RecordView(id="record")
        yield Footer()

    def on_mount(self) -> None:
        self._show()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < STACKED_BELOW, "-stacked")

    # showing -----------------------------------------------------------------------------

    def _show(self) -> None:
        """Show ``self.index``: picture, caption, position and every detail."""
        picture = self.query_one(Picture)
        position = self.query_one("#viewer-position", Static)
        details = self.query_one("#viewer-details", VerticalScroll)
        shown = self.current
        if shown is None:
            position.update("")
            details.display = False
            picture.show_message(self.problem or f"No illustrations for {self.ref} yet.")
            return
        count = len(self.illustrations)
        position.update(f"{self.index + 1} of {count} · newest first")
        caption = Content.assemble(
            (shown.made_by, "bold $text-warning" if shown.is_sketch else "bold $text"),
            "\n",
            (f"{shown.theme_label} · {self.index + 1} of {count}", "dim"),
        )
        picture.show_image(shown.id, lambda: shown.path, caption)
        self.set_class(shown.is_sketch, "-sketch")
        self._show_details(shown)
        details.scroll_home(animate=False)
        self._decode_neighbours()

    def _show_details(self, shown: Illustration) -> None:
        pairs = shown.details()
        prompt = next((value for label, value in pairs if label == "Prompt"), "")
        self.query_one(RecordView).show([p for p in pairs if p[0] != "Prompt"], prompt)

    @work(thread=True, exclusive=True, group="viewer-decode", exit_on_error=False)
    def _decode_neighbours(self) -> None:
        """Decode the images either side of the one shown, so paging only has to draw."""
        for step in (1, -1):
            at = self.index + step
            if 0 <= at < len(self.illustrations):
                neighbour = self.illustrations[at]
                if not pictures.has(neighbour.id, neighbour.path):
                    with suppress(PictureError):  # said when (if) it is shown
                        pictures.get(neighbour.id, neighbour.path)

    # keys --------------------------------------------------------------------------------

    def _go(self, index: int) -> None:
        if not self.illustrations:
            return
        index = max(0, min(index, len(self.illustrations) - 1))
        if index == self.index:
            self.app.bell()
            return
        self.index = index
        self._show()

    def action_next(self) -> None:
        self._go(self.index + 1)

    def action_previous(self) -> None:
        self._go(self.index - 1)

    def action_first(self) -> None:
        self._go(0)

    def action_last(self) -> None:
        self._go(len(self.illustrations) - 1)

    def action_scroll_details(self, lines: int) -> None:
        details = self.query_one("#viewer-details", VerticalScroll)
        details.scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_export(self) -> None:
        shown = self.current
        if shown is None:
            self.notify("There is no illustration to export.", severity="warning")
            return
        if not self.gallery.exports:
            self.notify("Saving copies of illustrations is switched off here.", severity="warning")
            return

        def export(destination: Path) -> Path:
            return self.gallery.export(shown, destination)

        self.app.push_screen(ExportScreen(f"~/{export_name(shown)}", export), self._exported)

    def _exported(self, saved: Path | None) -> None:
        if saved is not None:
            self.notify(f"Saved to {saved}")


class RecordView(Widget):
    """An illustration's details as label/value rows, then its prompt, in one widget.

    One widget rather than a row of widgets per detail: paging then re-lays out one widget
    instead of three dozen, which is most of what a page turn costs.
    """

    DEFAULT_CSS = """
    RecordView {
        height: auto;
    }
    RecordView > .record--label {
        color: $text-muted;
    }
    """
    COMPONENT_CLASSES = {"record--label"}
    LABEL_WIDTH = 15
    MIN_VALUE_WIDTH = 14

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._pairs: list[tuple[str, str]] = []
        self._prompt = ""
        self._lines: tuple[object, list[Content]] | None = None

    def show(self, pairs: list[tuple[str, str]], prompt: str) -> None:
        if pairs == self._pairs and prompt == self._prompt:
            return
        self._pairs = pairs
        self._prompt = prompt
        self._lines = None
        self.refresh(layout=True)

    @property
    def plain(self) -> str:
        """Everything shown, as text (for tests and for reading aloud)."""
        rows = [f"{label}: {value}" for label, value in self._pairs]
        return "\n".join([*rows, "Prompt", self._prompt])

    def lines(self, width: int) -> list[Content]:
        """The rows wrapped to ``width``: long values continue under their value column."""
        muted = self.get_visual_style("record--label")
        if self._lines is not None and self._lines[0] == (width, muted):
            return self._lines[1]
        label_width = min(
            self.LABEL_WIDTH, 1 + max((len(label) for label, _ in self._pairs), default=0)
        )
        out: list[Content] = []
        if width - label_width >= self.MIN_VALUE_WIDTH:
            for label, value in self._pairs:
                wrapped = Content(value).wrap(width - label_width) or [Content("")]
                head = Content.styled(label.ljust(label_width)[:label_width], muted)
                out.append(head + wrapped[0])
                out += [Content(" " * label_width) + rest for rest in wrapped[1:]]
        else:  # too narrow for two columns: each label above its value
            for label, value in self._pairs:
                out.append(Content.styled(label, muted))
                out += [Content("  ") + line for line in Content(value).wrap(max(1, width - 2))]
        if self._pairs:
            out.append(Content(""))
        out.append(Content.styled("Prompt", muted))
        for paragraph in self._prompt.splitlines() or [""]:
            out += Content(paragraph).wrap(max(1, width)) or [Content("")]
        self._lines = ((width, muted), out)
        return out

    def render(self) -> Content:
        return Content("\n").join(self.lines(self.size.width))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))


class ExportScreen(QuietRepaints, ModalScreen[Path | None]):
    """Asks where to save a copy; stays open with the reason when the export is refused."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, suggestion: str, export: Callable[[Path], Path]) -> None:
        super().__init__()
        self.suggestion = suggestion
        self.export = export
        """Called with the chosen path; returns where it saved or raises ``ExportError``."""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="export") as box:
            box.border_title = "Export illustration"
            yield Static("Save a copy as PNG. An existing file is never replaced.", id="hint")
            yield Input(self.suggestion, id="export-path", select_on_focus=False)
            yield Static("", id="message")
            yield Label("[b]Enter[/b] save  [b]Esc[/b] cancel", id="keys")

    @on(Input.Submitted, "#export-path")
    def _submitted(self, event: Input.Submitted) -> None:
        message = self.query_one("#message", Static)
        text = event.value.strip()
        if not text:
            message.update("Type where to save the picture, such as ~/Pictures/verse.png.")
            message.set_classes("-error")
            return
        try:
            saved = self.export(Path(text))  # the store expands ~ and explains failures
        except ExportError as exc:
            message.update(Content(str(exc)))
            message.set_classes("-error")
            return
        self.dismiss(Path(saved).absolute())
