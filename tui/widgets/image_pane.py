"""The illustration beside the text. Until illustrations exist, it says so plainly."""

from __future__ import annotations

from textual.widgets import Static

from core.bible.references import VerseRef


class ImagePane(Static):
    def show_verse(self, ref: VerseRef) -> None:
        self.update(
            f"[b]{ref}[/b]\n\nNo illustration for this verse yet.\n\n"
            "[dim]Illustrations made for a verse will appear here.[/dim]",
            layout=False,  # the pane's size is set by the screen, not by its text
        )
