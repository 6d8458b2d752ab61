"""Pick the translation to read in; the reader keeps its place (or the nearest verse)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from core.context import Context

if TYPE_CHECKING:
    from core.services import Services

CURRENT = "\u25cf"


class TranslationsScreen(ModalScreen[str | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("m", "get_more", "Get more"),
    ]

    def __init__(self, ctx: Context, current: str, services: Services | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.current = current
        self.services = services
        """Where more translations come from; None (or installing off) hides "get more"."""

    @property
    def can_get_more(self) -> bool:
        return self.services is not None and self.services.options.allow_install

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
            if self.can_get_more:
                yield Static(
                    "[b]m[/b] gets more Bibles from the SWORD repositories; a module you have: "
                    "[b]verselight translations add NAME[/b]",
                    id="hint",
                )
                yield Label("[b]Enter[/b] read  [b]m[/b] get more  [b]Esc[/b] close", id="keys")
            else:
                yield Static(
                    "Add more from SWORD modules:\n[b]verselight translations add NAME[/b]",
                    id="hint",
                )
                yield Label("[b]Enter[/b] read  [b]Esc[/b] close", id="keys")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.can_get_more if action == "get_more" else True

    def action_get_more(self) -> None:
        from tui.screens.get_translations import GetTranslationsScreen

        assert self.services is not None
        self.app.push_screen(GetTranslationsScreen(self.services), self._installed)

    def _installed(self, tid: str | None) -> None:
        """A new translation is read at once, as if picked here."""
        if tid is not None:
            self.dismiss(tid)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
