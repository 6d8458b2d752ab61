"""Pick the translation to read in; the reader keeps its place (or the nearest verse)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from core.context import Context

CURRENT = "\u25cf"


class TranslationsScreen(ModalScreen[str | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]

    def __init__(self, ctx: Context, current: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.current = current

    def compose(self) -> ComposeResult:
        translations = self.ctx.library.translations()
        with Vertical(id="dialog", classes="translations") as box:
            box.border_title = "Translation"
            options = OptionList(
                *(
                    Option(
                        f"{CURRENT if t.id == self.current else ' '} {t.id:<8} {t.name}"
                        f"  [dim]{t.verse_count:,} verses[/dim]",
                        id=t.id,
                    )
                    for t in translations
                ),
                id="translation-list",
            )
            ids = [t.id for t in translations]
            options.highlighted = ids.index(self.current) if self.current in ids else 0
            yield options
            yield Static(
                "Add more from SWORD modules:\n[b]verselight translations add NAME[/b]", id="hint"
            )
            yield Label("[b]Enter[/b] read  [b]Esc[/b] close", id="keys")

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
