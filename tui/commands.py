"""Command palette: type a reference to jump there, a book name to open it, or a command."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from core.bible.library import UnknownTranslation
from core.bible.references import BadReference, match_books
from tui.screens.reader import ReaderScreen

COMMANDS: list[tuple[str, str, str]] = [
    ("Go to reference", "goto", "Jump to a verse, chapter or book"),
    ("Search the Bible", "search", "Find verses containing words"),
    ("Switch translation", "translations", "Read in another installed translation"),
    ("Side by side", "toggle_beside", "Another translation beside this one, verse by verse"),
    ("Toggle book navigator", "toggle_navigator", "Show or hide books and chapters"),
    ("Illustrate this verse", "generate", "Pick a model, see the price and wait, then make it"),
    ("View illustrations", "view_images", "This verse's illustrations and how each was made"),
    ("Bookmark this verse", "bookmark", "Bookmark it, or take the bookmark away (m)"),
    ("Highlight this verse", "highlight", "Yellow, green, blue, pink, then off (y)"),
    ("Note on this verse", "note", "Write or change its note (a)"),
    ("Notes, bookmarks and highlights", "marks", "All of them; Enter goes to one (M)"),
    ("Credits and history", "credits", "Your balance and what was bought and spent"),
    ("Buy credits", "app.buy_credits", "300 credits for $3, paid with Lightning"),
    ("Reading plan", "app.reading_plan", "Today's reading, progress, catch up; or start a plan"),
    ("Next chapter", "next_chapter", ""),
    ("Previous chapter", "previous_chapter", ""),
    ("Next book", "next_book", ""),
    ("Previous book", "previous_book", ""),
    ("Keys and help", "help", "Every key the reader answers to"),
]


class ReaderCommands(Provider):
    @property
    def reader(self) -> ReaderScreen | None:
        screen = self.screen
        return screen if isinstance(screen, ReaderScreen) else None

    async def discover(self) -> Hits:
        reader = self.reader
        if reader is None:
            return
        for name, action, help_text in COMMANDS:
            yield DiscoveryHit(name, partial(reader.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        reader = self.reader
        if reader is None:
            return
        passage = None
        try:
            tid, passages = reader.ctx.library.locate(query, reader.translation, reader.ref)
            passage = passages[0]
        except (BadReference, UnknownTranslation):
            pass
        if passage is not None:
            other = f" ({tid})" if tid != reader.translation else ""
            yield Hit(
                1.0,
                f"Go to {passage}{other}",
                partial(reader.go_to_in, tid, passage.start),
                help=f"Open {passage} in {tid}",
            )
        matcher = self.matcher(query)
        for book in match_books(query)[:5] if query.strip() else []:
            if passage is None or book.number != passage.start.book:
                yield Hit(0.9, f"Open {book.name}", partial(reader.go_to_book, book.number))
        for name, action, help_text in COMMANDS:
            score = matcher.match(name)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(name),
                    partial(reader.run_action, action),
                    help=help_text,
                )
