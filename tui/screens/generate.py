"""Make an illustration for one verse, knowing what it costs and how long it takes.

States (one modal, switched in place): loading (the model list), free (what credits are for and
how to buy them; no way to generate), pick (model with price and ETA, theme, aspect ratio, the
balance after), progress (a bar against the ETA, elapsed time, cancel), error (the sentence,
nothing charged) and problem (the models could not be listed).

The money rules live in ``core.generation.service``; this screen only shows them. It never
generates on its own: only a press of Generate (or Try again after a failure) starts a job.
The job runs in an async worker on the app's loop, so cancelling is ``worker.cancel()``: the
generator's provider call receives ``CancelledError`` and releases the hold before the worker
ends. Elapsed time comes from ``timer`` (``time.monotonic`` unless a test freezes it).

The dialog must never stay in progress once the worker has ended: whatever the outcome, the
state is switched before anything that reads the database (a locked or damaged ledger is often
why a generation failed in the first place), and those reads are guarded so their failure is a
sentence, not a dead worker. A generation that finishes while another screen (the command
palette) is on top of the dialog does not dismiss: ``dismiss`` pops the top screen, which would
close the palette and leave this dialog behind. The dialog says the image is saved and closes
itself when it is on top again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult, ScreenStackError
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Resize, ScreenResume
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, ContentSwitcher, Label, OptionList, Select, Static
from textual.worker import Worker

from core.bible.references import VerseRef
from core.generation.catalog import Offer
from core.generation.gallery import Illustration
from core.generation.prompts import THEMES
from core.generation.service import GenerationError, Generator, Job
from core.generation.stats import Eta
from core.sessions.tiers import Tier
from tui.generate_text import (
    free_text,
    hold_note,
    quote,
    saved_message,
    unchanged_text,
    unreadable,
)
from tui.messages import CreditsChanged, IllustrationSaved
from tui.screens.quiet_repaints import QuietRepaints
from tui.widgets.generate_pick import DATABASE_ERRORS, PickPane
from tui.widgets.generate_progress import ProgressPane

log = logging.getLogger("verselight.tui.generate")


class GenerateScreen(QuietRepaints, ModalScreen[Illustration | None]):
    """Dismisses with the saved Illustration, or None when closed without one."""

    CSS_PATH = "generate.tcss"
    AUTO_FOCUS = ""
    BINDINGS = [
        Binding("escape", "back", "Close / cancel", id="generate-back"),
        Binding("c", "cancel_generation", "Cancel", show=False, id="generate-cancel"),
    ]

    timer: Callable[[], float] = staticmethod(time.monotonic)
    """Where elapsed time comes from; a test may replace it to freeze the clock on screen."""

    def __init__(
        self,
        generator: Generator,
        ref: VerseRef,
        translation: str,
        *,
        timer: Callable[[], float] | None = None,
    ) -> None:
        super().__init__()
        self.generator = generator
        self.ref = ref
        self.translation = translation
        if timer is not None:
            self.timer = timer
        self.notices: list[str] = []
        self.job: Job | None = None
        self.eta: Eta | None = None
        self._started_at: float | None = None
        self._ticker: Timer | None = None
        self._worker: Worker[None] | None = None
        self._saved: Illustration | None = None
        """The illustration made, kept until the dialog can dismiss itself with it."""
        self._dismissing = False
        """Set once ``dismiss`` was called, so no path dismisses twice (and pops another
        screen). Not ``_closing``: Textual's MessagePump uses that name, and setting it keeps
        the screen from ever being removed."""

    # layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="generate") as box:
            box.border_title = self._title("Illustrate")
            with ContentSwitcher(initial="loading", id="states"):
                with Vertical(id="loading"):
                    yield Label("Looking up the models and their prices\u2026")
                with Vertical(id="free"):
                    yield Static("", id="free-text")
                    yield Static("", classes="notices")
                    with Horizontal(classes="choices"):
                        yield Button("Buy credits", id="free-buy", variant="primary")
                        yield Button("Close", id="free-close")
                yield PickPane(self.generator, id="pick")
                yield ProgressPane(id="progress")
                with Vertical(id="error"):
                    yield Static("", id="error-text")
                    yield Static("", id="error-balance")
                    with Horizontal(classes="choices"):
                        yield Button("Try again", id="retry", variant="primary")
                        yield Button("Other model", id="other")
                        yield Button("Close", id="error-close")
                with Vertical(id="problem"):
                    yield Static("", id="problem-text")
                    with Horizontal(classes="choices"):
                        yield Button("Try again", id="reload", variant="primary")
                        yield Button("Close", id="problem-close")
            yield Label("", id="keys")

    def _title(self, doing: str) -> str:
        return f"{doing} {self.ref} \u00b7 {self.translation}"

    def on_mount(self) -> None:
        self._show("loading")
        self._load_offers()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.height < 30, "-short")

    @property
    def state(self) -> str:
        return self.query_one("#states", ContentSwitcher).current or ""

    _KEYS = {
        "loading": "[b]Esc[/b] close",
        "free": "[b]Enter[/b] buy credits  [b]Tab[/b] next  [b]Esc[/b] close",
        "pick": "[b]\u2191\u2193[/b] model  [b]Tab[/b] theme, shape, buttons  [b]Esc[/b] close",
        "progress": "[b]Esc[/b] or [b]c[/b] cancel (nothing is charged)",
        "error": "[b]Enter[/b] try again  [b]Esc[/b] close",
        "problem": "[b]Enter[/b] try again  [b]Esc[/b] close",
    }

    def _show(self, state: str) -> None:
        self.query_one("#states", ContentSwitcher).current = state
        self.query_one("#keys", Label).update(self._KEYS[state])
        self.refresh_bindings()

    # loading the models --------------------------------------------------------------------

    @work(exclusive=True, group="generate-offers", exit_on_error=False)
    async def _load_offers(self) -> None:
        try:
            listed = await self.generator.offers(self._pick.aspect)
            # Usable models first (the default, priced ones, the sketch), refusals at the
            # bottom, so the choices a user can make stay in view at 80x24.
            self._pick.offers = sorted(listed.offers, key=lambda offer: not offer.usable)
            self.notices = listed.notices
            self._fill_notices()
            if not self.offers:
                self._problem("No image models are set up here.")
            elif self.generator.readiness(self.offers[0]).tier is Tier.FREE:
                self._show_free()
            else:
                self._show_pick()
        except Exception as exc:  # the ledger or a provider failed in a way not foreseen
            log.exception("listing the image models failed")
            self._problem(f"The models could not be listed: {exc}")

    def _problem(self, sentence: str) -> None:
        self.query_one("#problem-text", Static).update(Content(sentence))
        self._show("problem")
        self.query_one("#reload", Button).focus()

    @on(Button.Pressed, "#reload")
    def _reload(self) -> None:
        self._show("loading")
        self._load_offers()

    def _fill_notices(self) -> None:
        text = Content("\n".join(self.notices))
        for notices in self.query(".notices").results(Static):
            notices.update(text)
            notices.display = bool(self.notices)

    def _default_offer(self) -> Offer | None:
        """The model a newcomer would get: the first priced AI model (the catalog puts the
        configured default first)."""
        return next((o for o in self.offers if o.usable and not o.is_sketch), None)

    # free ----------------------------------------------------------------------------------

    def _show_free(self) -> None:
        self.query_one("#free-text", Static).update(
            Content.assemble(
                ("Reading and looking at illustrations are free.", "bold"),
                free_text(self._default_offer()),
            )
        )
        self._show("free")
        self.query_one("#free-buy", Button).focus()

    @on(Button.Pressed, "#free-buy, #pick-buy")
    def _buy(self) -> None:
        """Buying is the app's job: close this dialog and open the buy-credits one."""
        self.dismiss(None)
        self.app.call_later(self.app.run_action, "buy_credits")

    # picking -------------------------------------------------------------------------------

    @property
    def _pick(self) -> PickPane:
        return self.query_one(PickPane)

    @property
    def offers(self) -> list[Offer]:
        """The models listed, usable ones first (the picker holds them)."""
        return self._pick.offers

    @property
    def chosen(self) -> Offer | None:
        """The highlighted model, when it is one that can be used."""
        return self._pick.chosen

    def _show_pick(self) -> None:
        verse = self.generator.library.verse(self.translation, self.ref)
        self._pick.show(f"\u201c{quote(verse.plain)}\u201d" if verse else "")
        self._show("pick")
        self.query_one("#models", OptionList).focus()

    @on(Select.Changed, "#aspect")
    def _aspect_changed(self) -> None:
        if self.offers and self.state == "pick":
            self._pick.fill_models(keep=self.query_one("#models", OptionList).highlighted)

    # generating ----------------------------------------------------------------------------

    @on(Button.Pressed, "#start")
    def _start_pressed(self) -> None:
        offer = self.chosen
        if offer is None or self.state != "pick":
            return
        pick = self._pick
        self._start(Job(self.ref, self.translation, offer, pick.theme, pick.aspect))

    @on(Button.Pressed, "#retry")
    def _retry(self) -> None:
        if self.job is not None and self.state == "error":
            self._start(self.job)

    def _start(self, job: Job) -> None:
        """Show progress at once (so a second press cannot start another job) and run it."""
        self.job = job
        offer = job.offer
        try:
            self.eta = self.generator.eta(offer, job.aspect_ratio)
            ready = self.generator.readiness(offer)
        except DATABASE_ERRORS as exc:
            # Nothing was started (no hold, no provider call): the error state says why.
            log.warning("Could not read the ledger before generating: %s", exc)
            self._failed(f"{unreadable(exc)} Nothing was started and nothing was charged.")
            return
        self._saved = None
        self._started_at = self.timer()
        theme = next((t.label for t in THEMES if t.id == job.theme), "No theme")
        self.query_one(ProgressPane).begin(offer, theme, job.aspect_ratio, hold_note(ready))
        self.query_one("#generate").border_title = self._title("Illustrating")
        self._show("progress")
        self.query_one("#stop", Button).focus()
        self._tick()
        if self._ticker is None:
            self._ticker = self.set_interval(0.5, self._tick)
        else:
            self._ticker.resume()
        self._worker = self._generate(job)

    def _on_started(self, eta: Eta) -> None:
        """The hold is placed and the provider is being asked: time from here."""
        self.eta = eta
        self._started_at = self.timer()
        self._tick()
        self._refresh_badges()

    def _refresh_badges(self) -> None:
        """Show held or released credits behind this dialog now, not at the next ledger poll
        (the screens showing credits listen for ``CreditsChanged``)."""
        self.app.post_message(CreditsChanged())

    def _tick(self) -> None:
        if self.state != "progress" or self.eta is None or self._started_at is None:
            return
        elapsed = self.timer() - self._started_at
        self.query_one(ProgressPane).tick(elapsed, self.eta)

    @work(exclusive=True, group="generate", exit_on_error=False)
    async def _generate(self, job: Job) -> None:
        try:
            illustration = await self.generator.generate(job, on_started=self._on_started)
        except GenerationError as exc:
            self._failed(str(exc))
        except asyncio.CancelledError:
            # The generator released the hold before this point; say so and let it end.
            self._cancelled()
            raise
        except Exception as exc:  # a bug, not a refusal: still a sentence, never a traceback
            log.exception("generating an illustration failed")
            self._failed(f"The illustration could not be made ({exc}).")
        else:
            self._finished(illustration)

    @property
    def generating(self) -> bool:
        """True while the generation worker has not ended (so there is something to cancel)."""
        return self._worker is not None and not self._worker.is_finished

    @property
    def _on_top(self) -> bool:
        """True when this dialog is the screen keys go to (``is_current`` is also true under a
        modal such as the command palette, where ``dismiss`` would pop the palette instead)."""
        try:
            return self.app.screen is self
        except ScreenStackError:  # the app is closing
            return False

    def _stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker.pause()

    def _finished(self, illustration: Illustration) -> None:
        """Saved and paid for: close with it now, or as soon as nothing covers the dialog."""
        self._stop_ticker()
        self._saved = illustration
        self.app.post_message(IllustrationSaved(illustration))
        self.app.notify(saved_message(illustration))
        if not self.is_attached:
            return  # the app is closing: the illustration is saved all the same
        self._close_with_result()
        if self._dismissing:
            return
        # Something (the command palette) is on top: say it is done until the user is back.
        self.query_one(ProgressPane).done(saved_message(illustration))
        self.query_one("#keys", Label).update("[b]Esc[/b] close")
        self.refresh_bindings()

    def _close_with_result(self) -> None:
        """Dismiss with the saved illustration, but only when this dialog is the top screen."""
        if self._dismissing or not self._on_top:
            return
        self._dismissing = True
        self.dismiss(self._saved)

    def on_screen_resume(self, event: ScreenResume) -> None:
        """Back on top (the palette closed) after the image arrived: close now."""
        if self._saved is not None:
            self._close_with_result()

    def _failed(self, sentence: str) -> None:
        """Show the error state first; then the balance, which may not be readable."""
        self._stop_ticker()
        if not self.is_attached:
            return  # the app is closing: nothing to show
        self.query_one("#generate").border_title = self._title("Illustrate")
        self.query_one("#error-text", Static).update(Content(sentence))
        self.query_one("#error-balance", Static).update("")
        self._show("error")
        self.query_one("#retry", Button).focus()
        self._refresh_badges()
        self.query_one("#error-balance", Static).update(Content(self._unchanged()))

    def _unchanged(self) -> str:
        """After a failure: the balance as it is now, so "nothing was charged" can be seen."""
        if self.job is None:
            return ""
        try:
            ready = self.generator.readiness(self.job.offer)
        except DATABASE_ERRORS as exc:
            log.warning("Could not read the balance after a failed generation: %s", exc)
            return unreadable(exc)
        return unchanged_text(ready)

    def _cancelled(self) -> None:
        self._stop_ticker()
        if not self.is_attached:
            return  # the app is closing: nothing to show
        self.query_one("#generate").border_title = self._title("Illustrate")
        self._back_to_pick()
        self.notify("Cancelled. Nothing was charged.")
        self._refresh_badges()

    def _back_to_pick(self) -> None:
        """The picker, shown before its summary is read (``update_summary`` guards itself)."""
        self._show("pick")
        self.query_one("#models", OptionList).focus()
        self._pick.update_summary()

    @on(Button.Pressed, "#other")
    def _other_model(self) -> None:
        self._back_to_pick()

    # keys ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_generation":
            return self.state == "progress" and self.generating
        return True

    def action_cancel_generation(self) -> None:
        """Cancel the provider call; the worker's end brings the picker back."""
        if self.state == "progress" and self._worker is not None and self.generating:
            self._worker.cancel()

    @on(Button.Pressed, "#stop")
    def _stop_pressed(self) -> None:
        self.action_cancel_generation()

    @on(Button.Pressed, "#free-close, #pick-close, #error-close, #problem-close")
    def action_back(self) -> None:
        """Escape: cancels a generation in progress, closes the dialog otherwise.

        "In progress" means the worker is still running: once it has ended (saved, or died
        in a way not foreseen) there is nothing to cancel, and Escape must still close.
        """
        if self.state == "progress" and self.generating:
            self.action_cancel_generation()
            return
        if not self._dismissing:
            self._dismissing = True
            self.dismiss(self._saved)
