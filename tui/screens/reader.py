"""The reader: a chapter with the current verse, the navigator, the image pane and a verse strip.

Credits and illustrations live in the ledger database, apart from the Bible: when it is locked
or damaged, reading goes on. Every read of it here is guarded, so the price is a missing dot,
a "Credits unavailable" badge or a sentence, never a traceback that ends the app.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer

from core import reader_state
from core.bible import navigation
from core.bible.references import VerseRef, Versification
from core.billing import LedgerError
from core.context import Context
from core.marks import Marks, MarksError, VerseMarks
from core.user_data import UserDataError
from tui.messages import CreditsChanged, IllustrationSaved
from tui.screens.quiet_repaints import QuietRepaints
from tui.widgets.chapter_view import ChapterView, Partner, Prepared
from tui.widgets.credits_badge import CreditsBadge
from tui.widgets.image_pane import ImagePane
from tui.widgets.navigator import Navigator
from tui.widgets.reader_header import ReaderHeader
from tui.widgets.verse_strip import VerseStrip

if TYPE_CHECKING:
    from core.account import Account
    from core.generation.gallery import Gallery
    from core.generation.service import Generator
    from tui.screens.translations import Beside

log = logging.getLogger("verselight.tui.reader")

DATABASE_ERRORS = (sqlite3.Error, LedgerError)
"""What a read of the ledger raises when the database is locked, damaged or gone."""

WIDE = 110
"""From this many columns on, the navigator is shown unless the reader hid it."""
NARROW = 100
"""Below this width the illustrations pane takes a fixed, smaller width."""


class ReaderScreen(QuietRepaints, Screen[None]):
    CSS_PATH = "reader.tcss"
    AUTO_FOCUS = ""

    BINDINGS = [
        Binding("down,j", "next_verse", "Next verse", show=False, id="next-verse"),
        Binding("up,k", "previous_verse", "Previous verse", show=False, id="previous-verse"),
        Binding("right,l,]", "next_chapter", "Next chapter", show=False, id="next-chapter"),
        Binding("left,h,[", "previous_chapter", "Previous chapter", show=False, id="prev-chapter"),
        Binding("},shift+right", "next_book", "Next book", show=False, id="next-book"),
        Binding("{,shift+left", "previous_book", "Previous book", show=False, id="previous-book"),
        Binding("home", "first_verse", "First verse", show=False),
        Binding("end", "last_verse", "Last verse", show=False),
        Binding("g", "goto", "Go to", id="goto", tooltip="Go to a reference such as John 3:16"),
        Binding("slash", "search", "Search", id="search", tooltip="Search the whole Bible"),
        # t and n are in the help and the palette: the footer keeps room for illustrations.
        Binding("t", "translations", "Version", show=False, id="translations"),
        Binding("n", "toggle_navigator", "Books", show=False, id="navigator"),
        Binding("s", "toggle_beside", "Side by side", show=False, id="beside"),
        Binding("i", "generate", "Illustrate", id="generate", tooltip="Make an illustration"),
        Binding("v", "view_images", "View", id="view", tooltip="This verse's illustrations"),
        Binding("c", "credits", "Credits", id="credits", tooltip="Your credits and history"),
        # m, y, a and M are in the help and the palette: at 80 columns the footer has no room
        # left (q would fall off it).
        Binding("m", "bookmark", "Bookmark", show=False, id="bookmark"),
        Binding("y", "highlight", "Highlight", show=False, id="highlight"),
        Binding("a", "note", "Note", show=False, id="note"),
        Binding("M", "marks", "Marks", show=False, id="marks"),
        Binding("b", "app.buy_credits", "Buy", show=False, id="buy"),
        Binding("p", "app.reading_plan", "Plan", show=False, id="plan"),
        Binding("escape", "focus_text", "Back to text", show=False),
        Binding("question_mark", "help", "Help", id="help"),
    ]

    def __init__(
        self,
        ctx: Context,
        translation: str,
        start: VerseRef,
        account: Account | None = None,
        gallery: Gallery | None = None,
        *,
        generator: Callable[[], Generator | None] | None = None,
        marks: Callable[[], Marks | None] | None = None,
        open_credits: Callable[[], None] | None = None,
        credits_pending: bool = False,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.account = account
        self.gallery = gallery
        self.generator = generator
        """Opens the session's generator on first use (None: illustrations unavailable)."""
        self.marks = marks or _no_marks
        """Opens the session's marks on first use (None: no session, or unusable)."""
        self._user_marks: dict[int, VerseMarks] = {}
        """The reader's marks on the chapter shown, by verse."""
        self._next: Prepared | None = None
        """The next chapter, made ready after the last chapter change was painted."""
        self.credits_pending = credits_pending
        """True until the app opened the account and the gallery (just after the first
        frame; ``credits_opened``): until then the badge and the pane say they are coming."""
        self._open_credits = open_credits
        """Asks the app to open them now, for a key that needs them before they came."""
        self._marks: dict[int, int] = {}
        """Illustrations per verse of the chapter shown (for the verse strip)."""
        self.translation = translation
        self.ref = start
        self.beside: str | None = None
        """The translation shown beside ``translation``, verse by verse (None: off)."""
        self._beside_choice: str | None = None
        """The last one picked, shown again when side by side is turned back on."""
        self._navigator_choice: bool | None = None
        self._navigator: Navigator | None = None
        """Made when first shown: hidden below 110 columns, a tree of 66 books still cost
        the first frame 15-20 ms."""
        self._dirty = False
        self._ledger_problem: str | None = None
        """The last ledger error logged by the credit polls (logged once, not every second)."""

    def compose(self) -> ComposeResult:
        # Laid out for the terminal's width from the first frame (``_fit`` keeps it so on
        # resize): found only on the first resize, the narrow look would lay out and wrap
        # the whole chapter a second time before the reader is painted.
        width = self.app.size.width
        self.set_class(width < NARROW, "-narrow")
        yield ReaderHeader(id="header")
        with Horizontal(id="body"):
            if width >= WIDE:  # shown from the start
                self.add_class("-with-navigator")
                self._navigator = Navigator(id="navigator")
                yield self._navigator
            with Vertical(id="reading"):
                yield ChapterView(id="chapter")
                yield VerseStrip(id="strip")
            yield ImagePane(self.gallery, waiting=self.credits_pending, id="image-pane")
        yield Footer()

    async def on_mount(self) -> None:
        self._beside_as_left()
        if self._navigator is not None:
            self._navigator.load(self.versification, self.gallery, self.marks)
        await self.go_to(self.ref)
        self.set_interval(2.0, self.save_position)
        self.refresh_credits()
        if self.account is not None:
            self.set_interval(1.0, self._watch_ledger)

    def _beside_as_left(self) -> None:
        """Side by side as it was when the reader last closed, with the same translation."""
        saved = reader_state.load(self.ctx.config.paths.reader_state)
        if saved is None or saved.beside is None or saved.translation != self.translation:
            return
        if saved.beside != self.translation and self.ctx.library.has(saved.beside):
            self.beside = self._beside_choice = self.ctx.library.translation(saved.beside).id

    def credits_opened(self, account: Account | None, gallery: Gallery | None) -> None:
        """The app opened the credit side (after the first frame): show what it holds."""
        if not self.credits_pending:
            return
        self.credits_pending = False
        self.account, self.gallery = account, gallery
        self.query_one(ImagePane).credits_opened(gallery)
        if self._navigator is not None:  # again, with the gallery's dots
            self._navigator.load(self.versification, gallery, self.marks)
            self._navigator.reveal(self.ref)
        self.refresh_credits()
        self.refresh_illustrations()
        self._marks_changed()  # the session's marks can be read now
        if account is not None:
            self.set_interval(1.0, self._watch_ledger)

    def _credits_needed(self) -> None:
        """Before a key that uses credits or illustrations: open them now if they are still
        coming, so it acts on them and never says they are unavailable."""
        if self.credits_pending and self._open_credits is not None:
            self._open_credits()

    def refresh_credits(self) -> None:
        """The badge as the ledger says now; "Credits unavailable" while it cannot be read."""
        if self.credits_pending:
            self.query_one(CreditsBadge).show_pending()
            return
        try:
            state = self.account.state() if self.account is not None else None
        except DATABASE_ERRORS as exc:
            self._ledger_failed(exc)
            state = None
        else:
            self._ledger_problem = None
        self.query_one(CreditsBadge).show(state)

    def on_credits_changed(self, _: CreditsChanged) -> None:
        """Credits moved in this process (bought, held, released, charged): show it now,
        not at the next ledger poll."""
        self.refresh_credits()

    def on_illustration_saved(self, _: IllustrationSaved) -> None:
        self.refresh_credits()
        self.refresh_illustrations()

    def on_screen_resume(self) -> None:
        # Back from a dialog (history, buying, generating): show the credits as they are now.
        if self.is_mounted and self.query(CreditsBadge):
            self.refresh_credits()

    def _watch_ledger(self) -> None:
        """Credits bought or spent in another terminal show up here within a second."""
        if self.account is None:
            return
        try:
            changed = self.account.changed_elsewhere()
        except DATABASE_ERRORS as exc:
            # The balance on the badge can no longer be vouched for.
            self._ledger_failed(exc)
            self.query_one(CreditsBadge).show(None)
            return
        if changed or self._ledger_problem is not None:
            # Changed elsewhere, or readable again after a failure: show it as it is now.
            self.refresh_credits()
            self.refresh_illustrations()

    def _ledger_failed(self, exc: Exception) -> None:
        """Log a ledger failure once per kind: the poll runs every second."""
        if str(exc) != self._ledger_problem:
            self._ledger_problem = str(exc)
            log.warning("Could not read the credit ledger: %s", exc)

    def on_unmount(self) -> None:
        self.save_position()

    # moving ------------------------------------------------------------------------------

    @property
    def versification(self) -> Versification:
        return self.ctx.library.versification(self.translation)

    async def go_to(self, ref: VerseRef | None) -> None:
        """Show ``ref``; at either end of the Bible (None) just ring the bell.

        The one way the reader moves: keys, the navigator, the go-to and search dialogs and
        the palette all come here, so each puts the verse in view the same way.
        """
        if ref is None:
            self.app.bell()
            return
        view = self.query_one(ChapterView)
        verses = self.ctx.library.chapter(self.translation, ref.book, ref.chapter)
        user_marks = None
        if not view.shows(self.translation, ref, self.beside):
            self._user_marks = user_marks = self._read_user_marks(ref)
            prepared, self._next = self._next, None
            await view.show_chapter(
                self.translation,
                verses,
                user_marks,
                self._partner(ref),
                verse=ref.verse,
                prepared=prepared,
            )
            if self._navigator is not None and self.has_class("-with-navigator"):
                # A hidden tree follows when it is shown: moving it now would repaint its
                # scroll bar, and a hidden widget's repaint rebuilds the screen's whole map.
                self._navigator.reveal(ref)
            self._marks = self._chapter_marks(ref)
        self.ref = ref
        self._dirty = True
        view.highlight(ref.verse)
        self.query_one(VerseStrip).set_chapter(len(verses), ref.verse, self._marks, user_marks)
        chapter = f"{ref.book_info.name} {ref.chapter}:{ref.verse}"
        both = f"{self.translation} | {self.beside}" if self.beside else self.translation
        self.query_one(ReaderHeader).show(chapter, both)
        self.query_one(ImagePane).show_verse(ref)

    def on_chapter_view_settled(self) -> None:
        """Read, align and count the next chapter while this one is read: pressing the key
        for it then costs only the painting (``ChapterView.show_chapter`` checks that it is
        still that chapter, with the same marks, at the same width)."""
        following = navigation.next_chapter(self.ref, self.versification)
        if following is None or not self.is_attached:
            return
        view = self.query_one(ChapterView)
        key = (self.translation, self.beside, following.book, following.chapter)
        if self._next is not None and self._next.key == key and view.fits(self._next):
            return  # ready already (the view settled again after a change of marks)
        try:
            verses = self.ctx.library.chapter(self.translation, following.book, following.chapter)
            self._next = view.prepare(
                self.translation,
                verses,
                self._read_user_marks(following),
                self._partner(following),
            )
        except Exception as exc:  # only a head start: the key reads it again, and says why
            log.debug("Could not prepare %s: %s", following, exc)
            self._next = None

    def _partner(self, ref: VerseRef) -> Partner | None:
        """What goes beside the chapter of ``ref``: the other translation's text of it."""
        if self.beside is None:
            return None
        library = self.ctx.library
        return Partner(
            self.beside,
            library.translation(self.beside).name,
            library.chapter(self.beside, ref.book, ref.chapter),
            library.translation(self.translation).name,
        )

    def _chapter_marks(self, ref: VerseRef) -> dict[int, int]:
        """Illustrations per verse of ``ref``'s chapter; none (no dots) when unreadable."""
        if self.gallery is None:
            return {}
        try:
            return self.gallery.verse_counts(ref.book, ref.chapter)
        except DATABASE_ERRORS as exc:
            log.warning("Could not read the illustrated verses of %s: %s", ref, exc)
            return {}

    def _read_user_marks(self, ref: VerseRef) -> dict[int, VerseMarks]:
        """The reader's marks on ``ref``'s chapter; none when they cannot be read. Reading
        never creates the user database: until something is saved there is nothing to read."""
        if not self.ctx.config.paths.user_db.exists():
            return {}
        marks = self.marks()
        if marks is None:
            return {}
        try:
            return marks.in_chapter(ref.book, ref.chapter)
        except MarksError as exc:
            log.warning("%s", exc)
            return {}

    def refresh_illustrations(self) -> None:
        """After a new illustration (here or in another terminal): the pane and the marks."""
        if self.gallery is None:
            return
        self._marks = self._chapter_marks(self.ref)
        counts = self.versification.verse_counts(self.ref.book) or ()
        self.query_one(VerseStrip).set_chapter(
            counts[self.ref.chapter - 1], self.ref.verse, self._marks
        )
        if self._navigator is not None:
            self._navigator.refresh_marks()
        self.query_one(ImagePane).show_verse(self.ref)

    def save_position(self) -> None:
        if self._dirty:
            self._dirty = False
            position = reader_state.Position(self.translation, self.ref, self.beside)
            try:
                self.ctx.remembered().save_place(position)
            except OSError as exc:
                self.notify(f"Could not remember your place: {exc.strerror}.", severity="warning")
            except UserDataError as exc:
                self.notify(f"Could not remember your place: {exc}.", severity="warning")

    async def action_next_verse(self) -> None:
        await self.go_to(navigation.next_verse(self.ref, self.versification))

    async def action_previous_verse(self) -> None:
        await self.go_to(navigation.previous_verse(self.ref, self.versification))

    async def action_next_chapter(self) -> None:
        await self.go_to(navigation.next_chapter(self.ref, self.versification))

    async def action_previous_chapter(self) -> None:
        await self.go_to(navigation.previous_chapter(self.ref, self.versification))

    async def action_next_book(self) -> None:
        await self.go_to(navigation.next_book(self.ref, self.versification))

    async def action_previous_book(self) -> None:
        await self.go_to(navigation.previous_book(self.ref, self.versification))

    async def go_to_book(self, book: int) -> None:
        await self.go_to(navigation.clamp(VerseRef(book, 1, 1), self.versification))

    async def action_first_verse(self) -> None:
        await self.go_to(VerseRef(self.ref.book, self.ref.chapter, 1))

    async def action_last_verse(self) -> None:
        counts = self.versification.verse_counts(self.ref.book) or ()
        await self.go_to(VerseRef(self.ref.book, self.ref.chapter, counts[self.ref.chapter - 1]))

    @on(Navigator.Go)
    async def _navigator_go(self, message: Navigator.Go) -> None:
        await self.go_to(message.ref)

    # dialogs -----------------------------------------------------------------------------

    def action_goto(self) -> None:
        from tui.screens.goto import GotoScreen

        self.app.push_screen(GotoScreen(self.ctx, self.translation, self.ref), self._went)

    def action_search(self) -> None:
        from tui.screens.search import SearchScreen

        self.app.push_screen(SearchScreen(self.ctx, self.translation), self.go_to)

    def action_translations(self) -> None:
        from tui.screens.translations import TranslationsScreen

        self.app.push_screen(
            TranslationsScreen(
                self.ctx,
                self.translation,
                self.beside,
                services=getattr(self.app, "services", None),
            ),
            self._translation_picked,
        )

    async def _translation_picked(self, picked: str | Beside | None) -> None:
        from tui.screens.translations import Beside

        if isinstance(picked, Beside):
            await self.show_beside(picked.translation)
        else:
            await self.switch_translation(picked)

    async def action_toggle_beside(self) -> None:
        """Side by side off, or on with the translation picked last (the dialog asks for
        one the first time)."""
        if self.beside is not None:
            await self.show_beside(None)
            return
        choice = self._beside_choice
        if choice is not None and self.ctx.library.has(choice) and choice != self.translation:
            await self.show_beside(choice)
            return
        others = [t for t in self.ctx.library.translations() if t.id != self.translation]
        if not others:
            self.notify(
                f"Side by side needs a second translation; only {self.translation} is "
                "installed (add one with: verselight translations add NAME).",
                severity="warning",
            )
            return
        from tui.screens.translations import TranslationsScreen

        self.app.push_screen(
            TranslationsScreen(self.ctx, self.translation, None, pick_beside=True),
            self._translation_picked,
        )

    async def show_beside(self, translation: str | None) -> None:
        """Show ``translation`` beside the one being read (None: turn side by side off)."""
        if translation == self.translation:
            translation = None
        if translation is not None:
            self._beside_choice = translation = self.ctx.library.translation(translation).id
        self.beside = translation
        await self.go_to(self.ref)  # and remembered with the place
        # After the new chapter has its current verse: the navigator coming or going resizes
        # the text, and the chapter view then brings that verse back into view.
        await self._fit(self.size.width)

    def action_generate(self) -> None:
        from tui.screens.generate import GenerateScreen

        self._credits_needed()
        generator = self.generator() if self.generator is not None else None
        if generator is None:
            self.notify(
                "Illustrations cannot be made in this run: the credit ledger is unavailable.",
                severity="error",
            )
            return
        # The new illustration arrives as IllustrationSaved, the credits on resuming.
        self.app.push_screen(GenerateScreen(generator, self.ref, self.translation))

    def action_view_images(self) -> None:
        self._credits_needed()
        if self.gallery is None:
            self.notify("Illustrations are unavailable in this run.", severity="error")
            return
        try:
            found = self.gallery.for_verse(self.ref)
        except DATABASE_ERRORS as exc:
            log.warning("Could not list the illustrations of %s: %s", self.ref, exc)
            self.notify(
                f"The illustrations of {self.ref} could not be read just now: "
                f"{str(exc).rstrip('.')}.",
                severity="error",
            )
            return
        if not found:
            self.notify(f"No illustrations for {self.ref} yet; press i to make one.")
            return
        from tui.screens.viewer import ViewerScreen

        self.app.push_screen(ViewerScreen(self.gallery, self.ref))

    # the reader's marks -------------------------------------------------------------------

    def _marks_or_say(self) -> Marks | None:
        marks = self.marks()
        if marks is None:
            self.notify(
                "Bookmarks, highlights and notes cannot be used in this run.", severity="error"
            )
        return marks

    def _marks_changed(self) -> None:
        """Show the marks of the chapter as saved now: text, strip, navigator."""
        self._user_marks = self._read_user_marks(self.ref)
        self.query_one(ChapterView).set_marks(self._user_marks)
        strip = self.query_one(VerseStrip)
        strip.user_marked = frozenset(self._user_marks)
        if self._navigator is not None:
            self._navigator.refresh_marks()

    def action_bookmark(self) -> None:
        marks = self._marks_or_say()
        if marks is None:
            return
        try:
            on = marks.toggle_bookmark(self.ref, self.translation)
        except MarksError as exc:
            self.notify(str(exc), severity="error")
            return
        self._marks_changed()
        self.notify(f"Bookmarked {self.ref}." if on else f"Bookmark on {self.ref} removed.")

    def action_highlight(self) -> None:
        marks = self._marks_or_say()
        if marks is None:
            return
        try:
            colour = marks.cycle_highlight(self.ref, self.translation)
        except MarksError as exc:
            self.notify(str(exc), severity="error")
            return
        self._marks_changed()
        self.notify(
            f"{self.ref} highlighted {colour}." if colour else f"Highlight on {self.ref} removed."
        )

    def action_note(self) -> None:
        marks = self._marks_or_say()
        if marks is None:
            return
        try:
            old = marks.note(self.ref)
        except MarksError as exc:
            self.notify(str(exc), severity="error")
            return
        from tui.screens.note import NoteScreen

        ref, translation = self.ref, self.translation
        verse = self.ctx.library.verse(translation, ref)

        def saved(text: str | None) -> None:
            if text is None:
                return
            try:
                kept = marks.set_note(ref, translation, text)
            except MarksError as exc:
                self.notify(str(exc), severity="error")
                return
            self._marks_changed()
            if kept:
                self.notify(f"Note on {ref} saved.")
            elif old is not None:
                self.notify(f"Note on {ref} deleted.")

        self.app.push_screen(NoteScreen(ref, verse.plain if verse else "", old or ""), saved)

    def action_marks(self) -> None:
        marks = self._marks_or_say()
        if marks is None:
            return
        from tui.screens.marks_list import MarksListScreen

        self.app.push_screen(MarksListScreen(marks), self._jump)

    async def _jump(self, ref: VerseRef | None) -> None:
        """To a marked verse, in the translation being read (its nearest verse when this
        translation numbers it otherwise or lacks it)."""
        if ref is not None:
            await self.go_to(navigation.clamp(ref, self.versification))

    def action_credits(self) -> None:
        from tui.screens.history import HistoryScreen

        self._credits_needed()
        self.app.push_screen(HistoryScreen(self.account))

    @on(CreditsBadge.Pressed)
    async def _badge_pressed(self) -> None:
        await self.app.run_action("buy_credits")

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    async def switch_translation(self, translation: str | None) -> None:
        if not translation or translation == self.translation:
            return
        here = navigation.clamp(self.ref, self.ctx.library.versification(translation))
        await self.go_to_in(translation, here)

    async def go_to_in(self, translation: str, ref: VerseRef) -> None:
        """``go_to`` in another translation ("John 3:16 WEB" typed in `g` or the palette)."""
        if translation != self.translation:
            if translation == self.beside:
                # Reading the one beside: the one read so far goes beside it.
                self.beside = self._beside_choice = self.translation
            self.translation = translation
            if self._navigator is not None:
                self._navigator.load(self.versification, self.gallery, self.marks)
            self.notify(f"Reading {self.ctx.library.translation(translation).name}.")
        await self.go_to(ref)

    async def _went(self, destination: tuple[str, VerseRef] | None) -> None:
        if destination is not None:
            await self.go_to_in(*destination)

    # layout ------------------------------------------------------------------------------

    async def action_toggle_navigator(self) -> None:
        shown = self.has_class("-with-navigator")
        self._navigator_choice = not shown
        await self._show_navigator(not shown)
        if not shown and self._navigator is not None:
            self._navigator.focus()
        else:
            self.set_focus(None)

    def action_focus_text(self) -> None:
        self.set_focus(None)

    async def on_resize(self, event: Resize) -> None:
        await self._fit(event.size.width)

    async def _fit(self, width: int) -> None:
        # Side by side, the text needs the navigator's room for its two columns.
        wide = width >= WIDE and self.beside is None
        show = self._navigator_choice if self._navigator_choice is not None else wide
        await self._show_navigator(show)
        self.set_class(width < NARROW, "-narrow")

    async def _show_navigator(self, show: bool) -> None:
        if show and self._navigator is None:
            navigator = self._navigator = Navigator(id="navigator")
            await self.query_one("#body").mount(navigator, before=0)
            navigator.load(self.versification, self.gallery, self.marks)
            navigator.reveal(self.ref)
        elif show and self._navigator is not None and not self.has_class("-with-navigator"):
            self._navigator.reveal(self.ref)  # where the reader went while it was hidden
        self.set_class(show, "-with-navigator")


def _no_marks() -> Marks | None:
    return None
