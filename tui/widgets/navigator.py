"""Book -> chapter -> verse tree. Children are added when a node is opened, so the tree costs
66 nodes up front rather than 31,102."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from core.bible.books import BOOKS
from core.bible.references import VerseRef, Versification

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
        super().__init__("Bible", id=id)
        self.show_root = False
        self.guide_depth = 2
        self._books: dict[int, TreeNode[Place]] = {}
        self._versification: Versification | None = None

    def load(self, versification: Versification) -> None:
        """Show the books this translation has (only they can be read)."""
        self._versification = versification
        self.clear()
        self._books.clear()
        sections = {
            "OT": self.root.add(
                "Old Testament", Place("testament", VerseRef(1, 1, 1)), expand=True
            ),
            "NT": self.root.add(
                "New Testament", Place("testament", VerseRef(40, 1, 1)), expand=True
            ),
        }
        for b in BOOKS:
            if versification.verse_counts(b.number):
                node = sections[b.testament].add(b.name, Place("book", VerseRef(b.number, 1, 1)))
                self._books[b.number] = node

    def _fill(self, node: TreeNode[Place]) -> None:
        place = node.data
        if place is None or node.children or self._versification is None:
            return
        counts = self._versification.verse_counts(place.ref.book) or ()
        if place.level == "book":
            for ch in range(1, len(counts) + 1):
                node.add(f"Chapter {ch}", Place("chapter", VerseRef(place.ref.book, ch, 1)))
        elif place.level == "chapter":
            for v in range(1, counts[place.ref.chapter - 1] + 1):
                ref = VerseRef(place.ref.book, place.ref.chapter, v)
                node.add_leaf(f"Verse {v}", Place("verse", ref))

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
        book_node.expand()
        for chapter_node in book_node.children:
            if chapter_node.data and chapter_node.data.ref.chapter == ref.chapter:
                # The expanded lines exist only after the next refresh.
                self.call_after_refresh(self._point_at, chapter_node)
                break

    def _point_at(self, node: TreeNode[Place]) -> None:
        self.move_cursor(node, animate=False)
