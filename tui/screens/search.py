"""Search the whole translation; results update as you type and open with Enter.

The search runs in a worker thread, so typing (or pasting a page of text) never waits for
SQLite; only the newest query's results are shown.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from core.bible.library import BadQuery, SearchOrder, SearchResults, Verse
from core.bible.references import VerseRef
from core.context import Context
from tui.screens.quiet_repaints import QuietRepaints

PAGE = 200
"""Results listed at once; more than that and the reader is asked to add words."""

_WORD = re.compile(r"\w+(?:['\u2019\-]\w+)*")


def result_line(verse: Verse, words: list[str]) -> Text:
    """The verse with the searched words marked, in any form ("love": loved, loveth)."""
    text = Text()
    text.append(f"{verse.ref}  ", style="bold")
    text.append(verse.plain)
    stems = [w[:-1] if w.endswith("e") and len(w) > 3 else w for w in words]
    if stems:
        pattern = r"\b(" + "|".join(re.escape(s) + r"\w*" for s in stems) + r")"
        text.highlight_regex(re.compile(pattern, re.IGNORECASE), style="reverse")
    return text


_ORDER_KEYS = {"relevance": "Bible order", "bible": "best first"}
"""What the order key switches to, from each order."""


class SearchScreen(QuietRepaints, ModalScreen[VerseRef | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("down", "results", "Results", show=False),
        Binding("ctrl+o", "toggle_order", "Order", priority=True),
    ]

    def __init__(self, ctx: Context, translation: str, query: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        self.translation = translation
        self._initial = query
        self.order: SearchOrder = "relevance"
        self._latest = 0
        """Number of the newest search asked for; older answers are dropped."""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="search") as box:
            box.border_title = f"Search {self.translation}"
            yield Input(
                self._initial, placeholder="Words to find, e.g. faith hope charity", id="query"
            )
            yield Static("", id="status")
            yield OptionList(id="results")
            yield Label(self._keys(), id="keys")

    def _keys(self) -> str:
        return (
            f"[b]Enter[/b] open  [b]\u2193[/b] results  [b]^O[/b] {_ORDER_KEYS[self.order]}"
            "  [b]Esc[/b] close"
        )

    def on_mount(self) -> None:
        self._run(self._initial)

    @on(Input.Changed, "#query")
    def _changed(self, event: Input.Changed) -> None:
        self._run(event.value)

    def action_toggle_order(self) -> None:
        self.order = "bible" if self.order == "relevance" else "relevance"
        self.query_one("#keys", Label).update(self._keys())
        self._run(self.query_one("#query", Input).value)

    def _run(self, query: str) -> None:
        self._latest += 1
        if not query.strip():
            self.workers.cancel_group(self, "search")
            self.query_one("#results", OptionList).clear_options()
            self.query_one("#status", Static).update(
                "[dim]Every word must appear, in any form; put a phrase in quotes.[/dim]"
            )
            return
        self._search(self._latest, query, self.order)

    @work(thread=True, exclusive=True, group="search")
    def _search(self, number: int, query: str, order: SearchOrder) -> None:
        try:
            found: SearchResults | str = self.ctx.library.search(
                self.translation, query, limit=PAGE, order=order
            )
        except BadQuery as exc:
            found = str(exc)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, number, query, found)

    def _show(self, number: int, query: str, found: SearchResults | str) -> None:
        if number != self._latest or not self.is_mounted:
            return  # a newer query has been typed since
        status = self.query_one("#status", Static)
        results_list = self.query_one("#results", OptionList)
        if isinstance(found, str):
            results_list.clear_options()
            status.update(found)
            return
        words = _WORD.findall(query)
        results_list.set_options(
            Option(result_line(v, words), id=f"{v.ref.book}:{v.ref.chapter}:{v.ref.verse}")
            for v in found.hits
        )
        status.update(self._summary(found))
        if found.hits:
            results_list.highlighted = 0

    @staticmethod
    def _summary(results: SearchResults) -> str:
        if results.total == 0:
            return "No verse contains all of those words."
        noun = "verse" if results.total == 1 else "verses"
        how = ", best first" if results.ranked else ", in Bible order"
        more = f"; showing the first {PAGE}, add words to narrow it" if results.total > PAGE else ""
        return f"{results.total:,} {noun}{how}{more}."

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
