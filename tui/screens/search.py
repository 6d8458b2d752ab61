"""Search the whole translation; results update as you type and open with Enter."""

from __future__ import annotations

import re

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from core.bible.library import SearchResults, Verse
from core.bible.references import VerseRef
from core.context import Context

PAGE = 200
"""Results listed at once; more than that and the reader is asked to add words."""


def result_line(verse: Verse, words: list[str]) -> Text:
    text = Text()
    text.append(f"{verse.ref}  ", style="bold")
    text.append(verse.plain)
    if words:
        pattern = r"\b(" + "|".join(re.escape(w) for w in words) + r")\b"
        text.highlight_regex(re.compile(pattern, re.IGNORECASE), style="reverse")
    return text


class SearchScreen(ModalScreen[VerseRef | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("down", "results", "Results", show=False),
    ]

    def __init__(self, ctx: Context, translation: str, query: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        self.translation = translation
        self._initial = query

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="search") as box:
            box.border_title = f"Search {self.translation}"
            yield Input(
                self._initial, placeholder="Words to find, e.g. faith hope charity", id="query"
            )
            yield Static("", id="status")
            yield OptionList(id="results")
            yield Label("[b]Enter[/b] open  [b]\u2193[/b] results  [b]Esc[/b] close", id="keys")

    def on_mount(self) -> None:
        self._run(self._initial)

    @on(Input.Changed, "#query")
    def _changed(self, event: Input.Changed) -> None:
        self._run(event.value)

    def _run(self, query: str) -> None:
        status = self.query_one("#status", Static)
        results_list = self.query_one("#results", OptionList)
        if not query.strip():
            results_list.clear_options()
            status.update(
                "[dim]Every word must appear in the verse; word order does not matter.[/dim]"
            )
            return
        results = self.ctx.library.search(self.translation, query, limit=PAGE)
        words = re.findall(r"\w+(?:['\u2019\-]\w+)*", query)
        results_list.set_options(
            Option(result_line(v, words), id=f"{v.ref.book}:{v.ref.chapter}:{v.ref.verse}")
            for v in results.hits
        )
        status.update(self._summary(results))
        if results.hits:
            results_list.highlighted = 0

    @staticmethod
    def _summary(results: SearchResults) -> str:
        if results.total == 0:
            return "No verse contains all of those words."
        noun = "verse" if results.total == 1 else "verses"
        more = f"; showing the first {PAGE}, add words to narrow it" if results.total > PAGE else ""
        return f"{results.total:,} {noun}{more}."

    def action_results(self) -> None:
        results = self.query_one("#results", OptionList)
        if results.option_count:
            results.focus()

    @on(Input.Submitted, "#query")
    def _submitted(self) -> None:
        results = self.query_one("#results", OptionList)
        if results.option_count:
            self._open(results.get_option_at_index(results.highlighted or 0))
        else:
            self.app.bell()

    @on(OptionList.OptionSelected, "#results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._open(event.option)

    def _open(self, option: Option) -> None:
        book, chapter, verse = (int(x) for x in (option.id or "").split(":"))
        self.dismiss(VerseRef(book, chapter, verse))
