"""Write or change the note on a verse: a multi-line editor, saved with ctrl+s.

Saving an empty note deletes it; until then the old text stays saved. Escape with unsaved
changes asks once more, so a long note is never lost to a stray key.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static, TextArea

from core.bible.references import VerseRef
from tui.screens.quiet_repaints import QuietRepaints

KEYS = "[b]ctrl+s[/b] save  [b]Esc[/b] close without saving"


class NoteScreen(QuietRepaints, ModalScreen[str | None]):
    """Dismissed with the text to save (empty: delete the note), or None: nothing changes."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "close", "Close"),
    ]

    def __init__(self, ref: VerseRef, verse_text: str, old: str) -> None:
        super().__init__()
        self.ref = ref
        self.verse_text = verse_text
        self.old = old
        self._warned = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="note") as box:
            box.border_title = f"Note on {self.ref}"
            yield Static(self.verse_text, id="verse", markup=False)
            yield TextArea(self.old, id="note-text", soft_wrap=True, show_line_numbers=False)
            yield Label(KEYS, id="keys")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.move_cursor(area.document.end)
        area.focus()

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    @on(TextArea.Changed)
    def _changed(self) -> None:
        self._warned = False
        keys = KEYS
        if self.old and not self.text.strip():
            keys = "Empty: [b]ctrl+s[/b] deletes the note  [b]Esc[/b] keep it"
        self.query_one("#keys", Label).update(keys)

    def action_save(self) -> None:
        self.dismiss(self.text)

    def action_close(self) -> None:
        if self.text == self.old or self._warned:
            self.dismiss(None)
            return
        self._warned = True
        self.query_one("#keys", Label).update(
            "Unsaved changes: [b]Esc[/b] again to discard them, [b]ctrl+s[/b] to save"
        )
