"""Book -> chapter -> verse tree. Children are added when a node is opened, so the tree costs
66 nodes up front rather than 31,102; and the reader makes the tree only when it is first shown
(it is hidden below 110 columns, and a hidden tree still cost the first frame 15-20 ms). Books,
chapters and verses with illustrations carry the same dot as the verse strip; those with the
reader's own marks (bookmarks, highlights, notes) carry a diamond.

The dots come from the ledger database, which can be locked or damaged while the Bible (another
database) reads fine: a failed read means no dots, never a traceback, so the tree still works
for finding one's way.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from core.bible.books import BOOKS, book
from core.bible.references import VerseRef, Versification
from core.billing import LedgerError
from core.marks import Marks, MarksError
from tui.widgets.verse_strip import MARK

if TYPE_CHECKING:
    from core.generation.gallery import Gallery

USER_MARK = "\u25c6"
"""After a book, chapter or verse holding the reader's bookmarks, highlights or notes."""

log = logging.getLogger("verselight.tui.navigator")

Level = Literal["testament", "book", "chapter", "verse"]


@dataclass(frozen=True, slots=True)
class Place:
    level: Level
    ref: VerseRef


class Navigator(Tree[Place]):
    class Go(Message):
        """The reader picked a chapter or verse in the tree."""

        def __init__(self, ref: VerseRef) -> None:
            super().__init__()
            self.ref = ref

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("Bible"), id=id)
        self.show_root = False
        self.guide_depth = 2
        self._books: dict[int, TreeNode[Place]] = {}
        self._versification: Versification | None = None
        self._gallery: Gallery | None = None
        self._marks: Callable[[], Marks | None] = _no_marks

    def load(
        self,
        versification: Versification,
        gallery: Gallery | None = None,
        marks: Callable[[], Marks | None] | None = None,
    ) -> None:
        """Show the books this translation has (only they can be read)."""
        self._versification = versification
        self._gallery = gallery
        self._marks = marks or _no_marks
        self.clear()
        self._books.clear()
        sections = {
            "OT": self.root.add(
                Text("Old Testament"), Place("testament", VerseRef(1, 1, 1)), expand=True
            ),
            "NT": self.root.add(
                Text("New Testament"), Place("testament", VerseRef(40, 1, 1)), expand=True
            ),
        }
        books, mine = self._marked_books(), self._user_books()
        for b in BOOKS:
            if versification.verse_counts(b.number):
                place = Place("book", VerseRef(b.number, 1, 1))
                label = _label(b.name, b.number in books, b.number in mine)
                node = sections[b.testament].add(label, place)
                self._books[b.number] = node

    def _fill(self, node: TreeNode[Place]) -> None:
        place = node.data
        if place is None or node.children or self._versification is None:
            return
        counts = self._versification.verse_counts(place.ref.book) or ()
        if place.level == "book":
            marked = self._marked_chapters(place.ref.book)
            mine = self._user_chapters(place.ref.book)
            for ch in range(1, len(counts) + 1):
                node.add(
                    _label(f"Chapter {ch}", ch in marked, ch in mine),
                    Place("chapter", VerseRef(place.ref.book, ch, 1)),
                )
        elif place.level == "chapter":
            ref = place.ref
            verses = self._marked_verses(ref)
            mine = self._user_verses(ref.book, ref.chapter)
            for v in range(1, counts[ref.chapter - 1] + 1):
                leaf = VerseRef(ref.book, ref.chapter, v)
                label = _label(f"Verse {v}", v in verses, v in mine)
                node.add_leaf(label, Place("verse", leaf))

    # The dots: none when there is no gallery or the ledger cannot be read just now.

    def _marked_books(self) -> set[int]:
        if self._gallery is None:
            return set()
        try:
            return self._gallery.illustrated_books()
        except (sqlite3.Error, LedgerError) as exc:
            log.warning("Could not read the illustrated books: %s", exc)
            return set()

    def _marked_chapters(self, book_number: int) -> set[int]:
        if self._gallery is None:
            return set()
        try:
            return self._gallery.illustrated_chapters(book_number)
        except (sqlite3.Error, LedgerError) as exc:
            log.warning("Could not read the illustrated chapters of book %s: %s", book_number, exc)
            return set()

    def _marked_verses(self, ref: VerseRef) -> dict[int, int]:
        if self._gallery is None:
            return {}
        try:
            return self._gallery.verse_counts(ref.book, ref.chapter)
        except (sqlite3.Error, LedgerError) as exc:
            log.warning("Could not read the illustrated verses of %s: %s", ref, exc)
            return {}

    # The reader's own marks: none when the user database cannot be used (said once, by
    # whoever opened it).

    def _user_books(self) -> set[int]:
        marks = self._marks()
        try:
            return marks.books() if marks is not None else set()
        except MarksError as exc:
            log.warning("%s", exc)
            return set()

    def _user_chapters(self, book_number: int) -> set[int]:
        marks = self._marks()
        try:
            return marks.chapters(book_number) if marks is not None else set()
        except MarksError as exc:
            log.warning("%s", exc)
            return set()

    def _user_verses(self, book_number: int, chapter: int) -> set[int]:
        marks = self._marks()
        try:
            return set(marks.in_chapter(book_number, chapter)) if marks is not None else set()
        except MarksError as exc:
            log.warning("%s", exc)
            return set()

    def refresh_marks(self) -> None:
        """Relabel the opened nodes after an illustration was added.

        When the ledger cannot be read the labels stay as they were (one warning in the log,
        not one per book): the next refresh puts them right.
        """
        try:
            self._relabel()
        except (sqlite3.Error, LedgerError) as exc:
            log.warning("Could not refresh the navigator's dots: %s", exc)

    def _relabel(self) -> None:
        books = self._marked_books_or_raise()
        mine = self._user_books()
        for number, node in self._books.items():
            node.set_label(_label(book(number).name, number in books, number in mine))
            if not node.children:
                continue
            chapters = self._gallery.illustrated_chapters(number) if self._gallery else set[int]()
            my_chapters = self._user_chapters(number)
            for chapter_node in node.children:
                data = chapter_node.data
                if data is None:
                    continue
                chapter = data.ref.chapter
                chapter_node.set_label(
                    _label(f"Chapter {chapter}", chapter in chapters, chapter in my_chapters)
                )
                if chapter_node.children:
                    verses = self._gallery.verse_counts(number, chapter) if self._gallery else {}
                    my_verses = self._user_verses(number, chapter)
                    for leaf in chapter_node.children:
                        if leaf.data is not None:
                            v = leaf.data.ref.verse
                            leaf.set_label(_label(f"Verse {v}", v in verses, v in my_verses))

    def _marked_books_or_raise(self) -> set[int]:
        return self._gallery.illustrated_books() if self._gallery is not None else set()

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Place]) -> None:
        self._fill(event.node)

    def on_tree_node_selected(self, event: Tree.NodeSelected[Place]) -> None:
        place = event.node.data
        if place is not None and place.level in ("chapter", "verse"):
            event.stop()
            self.post_message(self.Go(place.ref))

    def reveal(self, ref: VerseRef) -> None:
        """Open the tree down to the chapter being read and put the cursor on it."""
        book_node = self._books.get(ref.book)
        if book_node is None:
            return
        self._fill(book_node)
        opened = not book_node.is_expanded
        if opened:
            # Expanding redraws the whole tree, even an open branch: only when it is shut.
            book_node.expand()
        for chapter_node in book_node.children:
            if chapter_node.data and chapter_node.data.ref.chapter == ref.chapter:
                if opened:  # the expanded lines exist only after the next refresh
                    self.call_after_refresh(self._point_at, chapter_node)
                else:
                    self._point_at(chapter_node)
                break

    def _point_at(self, node: TreeNode[Place]) -> None:
        self.move_cursor(node, animate=False)


def _label(text: str, illustrated: bool, mine: bool = False) -> Text:
    """Plain text, never markup: a label given as ``str`` is parsed as Rich markup (with its
    emoji table, 30 ms before the first frame) for each of the 66 books."""
    if mine:
        text = f"{text} {USER_MARK}"
    return Text(f"{text} {MARK}" if illustrated else text)


def _no_marks() -> Marks | None:
    return None
