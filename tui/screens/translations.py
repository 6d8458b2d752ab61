"""Pick the translation to read in (the reader keeps its place, or the nearest verse), or the
one to read beside it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from core.context import Context
from tui.screens.quiet_repaints import QuietRepaints

if TYPE_CHECKING:
    from core.services import Services

CURRENT = "\u25cf"
BESIDE = "\u25d0"
"""Marks the translation shown beside the one being read."""


@dataclass(frozen=True, slots=True)
class Beside:
    """The dialog's answer when a translation was picked to read beside: None turns it off."""

    translation: str | None


class TranslationsScreen(QuietRepaints, ModalScreen[str | Beside | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("s", "beside", "Side by side"),
        Binding("m", "get_more", "Get more"),
    ]

    def __init__(
        self,
        ctx: Context,
        current: str,
        beside: str | None = None,
        *,
        pick_beside: bool = False,
        services: Services | None = None,
    ) -> None:
        """``pick_beside``: Enter picks the translation to read beside ``current``."""
        super().__init__()
        self.ctx = ctx
        self.current = current
        self.beside = beside
        self.pick_beside = pick_beside
        self.services = services
        """Where more translations come from; None (or installing off) hides "get more"."""

    @property
    def can_get_more(self) -> bool:
        return (
            not self.pick_beside
            and self.services is not None
            and self.services.options.allow_install
        )

    def _mark(self, tid: str) -> str:
        return CURRENT if tid == self.current else BESIDE if tid == self.beside else " "

    def compose(self) -> ComposeResult:
        translations = self.ctx.library.translations()
        with Vertical(id="dialog", classes="translations") as box:
            box.border_title = f"Read beside {self.current}" if self.pick_beside else "Translation"
            options = OptionList(
                *(
                    Option(
                        f"{self._mark(t.id)} {t.id:<8} {t.name}"
                        f"  [dim]{t.verse_count:,} verses[/dim]",
                        id=t.id,
                    )
                    for t in translations
                ),
                id="translation-list",
            )
            ids = [t.id for t in translations]
            if self.pick_beside:
                others = [i for i, tid in enumerate(ids) if tid != self.current]
                options.highlighted = others[0] if others else 0
            else:
                options.highlighted = ids.index(self.current) if self.current in ids else 0
            yield options
            if self.can_get_more:
                yield Static(
                    "[b]m[/b] gets more Bibles from the SWORD repositories; a module you have: "
                    "[b]verselight translations add NAME[/b]",
                    id="hint",
                )
            else:
                yield Static(
                    "Add more from SWORD modules:\n[b]verselight translations add NAME[/b]",
                    id="hint",
                )
            if self.pick_beside:
                keys = "[b]Enter[/b] read beside  [b]Esc[/b] close"
            elif self.can_get_more:
                keys = "[b]Enter[/b] read  [b]s[/b] beside  [b]m[/b] get more  [b]Esc[/b] close"
            else:
                keys = "[b]Enter[/b] read  [b]s[/b] side by side  [b]Esc[/b] close"
            yield Label(keys, id="keys")

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
        if self.pick_beside:
            self._pick_beside(event.option.id)
        else:
            self.dismiss(event.option.id)

    def action_beside(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self._pick_beside(options.get_option_at_index(options.highlighted).id)

    def _pick_beside(self, tid: str | None) -> None:
        if tid is None:
            return
        if tid == self.current:
            self.notify(
                f"You are reading {tid}: pick another translation to read beside it.",
                severity="warning",
            )
            return
        self.dismiss(Beside(None if tid == self.beside else tid))
