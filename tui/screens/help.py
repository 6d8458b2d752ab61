"""Every key the reader answers to, in one place."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.screens.quiet_repaints import QuietRepaints

KEYS: list[tuple[str, str]] = [
    ("\u2193 j / \u2191 k", "next / previous verse"),
    ("\u2192 l ] / \u2190 h [", "next / previous chapter"),
    ("} shift+\u2192 / { shift+\u2190", "next / previous book"),
    ("home / end", "first / last verse of the chapter"),
    ("g", "go to a reference (John 3:16, jn 3 16, Ps 23, 16, 3:16)"),
    ("/", "search the whole Bible"),
    ("t", "switch translation"),
    ("s", "side by side with another translation (pick which with t)"),
    ("n", "show or hide the book navigator (tab to focus it)"),
    ("i", "make an illustration of this verse (shows the price first)"),
    ("v", "view this verse's illustrations, with how each was made"),
    ("m", "bookmark this verse (\u2691), or take the bookmark away"),
    ("y", "highlight this verse: yellow, green, blue, pink, then off"),
    ("a", "write or change this verse's note (\u270e); an empty note is deleted"),
    ("M", "all your notes, bookmarks and highlights (\u25c6 in the navigator)"),
    ("c / b", "your credits and history / buy credits"),
    ("p", "reading plan: today's reading, progress, catch up"),
    ("ctrl+p", "command palette: references and commands"),
    ("?", "this help"),
    ("q", "quit (your place is remembered)"),
]


def key_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True, max_width=24)
    table.add_column()
    for keys, what in KEYS:
        table.add_row(keys, what)
    return table


class HelpScreen(QuietRepaints, ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape,q,question_mark", "dismiss(None)", "Close")]

    def compose(self) -> ComposeResult:
        # The key hints are docked so they stay visible while the table scrolls at 80x24.
        with VerticalScroll(id="dialog", classes="help") as box:
            box.border_title = "Keys"
            with Vertical(id="footer"):
                yield Label(
                    "[b]\u2191\u2193[/b] scroll  [b]Esc[/b] [b]q[/b] [b]?[/b] close", id="keys"
                )
            yield Static(key_table(), id="key-table")
            yield Static(
                "Verselight reads offline from its own library. The King James Version is "
                "installed on first run; add others with [b]verselight translations add[/b]. "
                'From a shell: [b]verselight read "John 3:16"[/b], [b]verselight search love[/b].',
                id="about",
            )
