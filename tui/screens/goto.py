"""Go to a reference: parses as you type, shows where Enter will take you, suggests books."""

from __future__ import annotations

import re

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from core.bible.library import UnknownTranslation
from core.bible.references import BadReference, Passage, VerseRef, describe, match_books
from core.context import Context
from tui.screens.quiet_repaints import QuietRepaints

_BOOK_PART = re.compile(r"^\s*((?:[1-3]\s*)?[^\d]*)(.*)$")
"""The book name typed so far, and whatever follows it (chapter and verse)."""


class GotoScreen(QuietRepaints, ModalScreen[tuple[str, VerseRef] | None]):
    """Dismissed with (translation, first verse): a reference may end in a translation's name."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("down", "suggestions", "Suggestions", show=False),
        Binding("tab", "complete", "Complete", show=False, priority=True),
    ]

    def __init__(self, ctx: Context, translation: str, here: VerseRef) -> None:
        super().__init__()
        self.ctx = ctx
        self.translation = translation
        self.here = here
        self._passage: Passage | None = None
        self._target = translation

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="goto") as box:
            box.border_title = "Go to"
            yield Input(
                placeholder="John 3:16, jn 3 16, Ps 23, 1 Cor 13:4-7, or 16",
                id="ref",
                select_on_focus=False,
            )
            yield Static("", id="preview")
            yield OptionList(id="books")
            yield Label("[b]Enter[/b] go  [b]Tab[/b] complete book  [b]Esc[/b] close", id="keys")

    def on_mount(self) -> None:
        self._refresh("")

    @on(Input.Changed, "#ref")
    def _changed(self, event: Input.Changed) -> None:
        self._refresh(event.value)

    def _refresh(self, text: str) -> None:
        preview = self.query_one("#preview", Static)
        books = self.query_one("#books", OptionList)
        self._passage = None
        if not text.strip():
            preview.update("[dim]Type a reference. Book names can be abbreviated.[/dim]")
            preview.set_classes("")
        else:
            try:
                tid, passages = self.ctx.library.locate(text, self.translation, self.here)
            except (BadReference, UnknownTranslation) as exc:
                preview.update(escape(str(exc)))
                preview.set_classes("-error")
            else:
                self._passage, self._target = passages[0], tid
                first = self.ctx.library.verse(tid, self._passage.start)
                snippet = first.plain if first else ""
                if len(snippet) > 90:
                    snippet = snippet[:87] + "..."
                where = escape(describe(passages))
                if tid != self.translation:
                    where += f" ({tid})"
                preview.update(f"[b]{where}[/b]  {escape(snippet)}")
                preview.set_classes("-ok")
        part = _BOOK_PART.match(text)
        matches = match_books(part.group(1)) if part and part.group(1).strip() else []
        books.set_options(Option(b.name, id=str(b.number)) for b in matches[:8])
        typed = part.group(1).strip().lower() if part else ""
        # Suggest books while the reference does not work yet, or while only a book has been
        # typed and it is not yet written out in full.
        still_typing_book = part is not None and not part.group(2).strip()
        books.display = bool(matches) and (
            self._passage is None or (still_typing_book and typed != matches[0].name.lower())
        )

    def action_suggestions(self) -> None:
        books = self.query_one("#books", OptionList)
        if books.display and books.option_count:
            books.focus()
            books.highlighted = 0

    def action_complete(self) -> None:
        books = self.query_one("#books", OptionList)
        if books.display and books.option_count:
            index = books.highlighted if books.has_focus and books.highlighted is not None else 0
            self._use_book(books.get_option_at_index(index).prompt)
        else:
            self.focus_next()

    @on(OptionList.OptionSelected, "#books")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self._use_book(event.option.prompt)

    def _use_book(self, name: object) -> None:
        field = self.query_one("#ref", Input)
        part = _BOOK_PART.match(field.value)
        rest = part.group(2).strip() if part else ""
        field.value = f"{name} {rest}"
        field.cursor_position = len(field.value)
        field.focus()

    @on(Input.Submitted, "#ref")
    def _submitted(self) -> None:
        if self._passage is not None:
            self.dismiss((self._target, self._passage.start))
        else:
            self.app.bell()
