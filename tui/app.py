"""The Textual app and the one factory that builds it, for the command line and for tests."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message

from core.bible import navigation
from core.billing import LedgerError
from core.billing.early_check import start_ledger_check
from core.clock import Clock, utc_now
from core.config import Config
from core.context import Context, start_point
from core.marks import Marks, MarksError, open_marks
from core.services import LibraryError, ServiceOptions, Services, open_services
from tui.commands import ReaderCommands
from tui.messages import (
    CreditsChanged,
    IllustrationSaved,
    InvoiceExpired,
    InvoiceOnScreen,
    PaymentSettled,
    SettlementReported,
)
from tui.screens.reader import ReaderScreen

if TYPE_CHECKING:
    from textual.screen import Screen

    from core.account import Account
    from core.bible.references import VerseRef
    from core.billing.invoices import Outcome
    from core.billing.shop import Shop
    from core.generation.gallery import Gallery
    from core.generation.service import Generator
    from core.plans import ReadingPlans
    from core.sessions.served import Handoff


LEAVE_GRACE_S = 3.0
"""How long a served reader's own shutdown may take once the server asked it to leave."""


class VerselightApp(App[None]):
    TITLE = "Verselight"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {ReaderCommands}
    BINDINGS = [Binding("q", "quit", "Quit", id="quit")]

    def __init__(
        self,
        config: Config,
        reference: str | None,
        translation: str | None,
        *,
        admin: bool = False,
        clock: Clock = utc_now,
        services: Services | None = None,
        options: ServiceOptions | None = None,
        served: Handoff | None = None,
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.reference = reference
        self.translation = translation
        self.served = served
        """Set when this process serves one SSH visitor (``verselight serve``): nothing it
        offers may write outside the app's data or leave the app (DESIGN.md section 11)."""
        self.admin = served.may_admin if served is not None else admin
        self.clock = clock
        self.services = services
        """Everything the app uses; opened on mount (and closed on unmount) when not given."""
        self._owns_services = services is None
        self._options = options
        self._invoice_on_screen: str | None = None
        self._ledger_version = 0
        self.exit_requested = False
        self._said: set[str] = set()
        """Set by the served reader's early signal handler (``cli.served_reader``)."""
        self._marks: Marks | None = None
        self._marks_problem: str | None = None
        self._on_ready = on_ready
        """Called once the reader's first whole frame (credits included) is painted: a served
        reader tells the server, which then lets the next waiting reader start."""

    # the parts, as the screens and tests know them ------------------------------------------

    @property
    def ctx(self) -> Context | None:
        return self.services.ctx if self.services else None

    @property
    def account(self) -> Account | None:
        """Opened now if it was still waiting for the first frame (see ``open_credits``)."""
        self.open_credits()
        return self.services.account if self.services else None

    @property
    def gallery(self) -> Gallery | None:
        self.open_credits()
        return self.services.gallery if self.services else None

    @property
    def shop(self) -> Shop | None:
        """Built on first use (it loads the Lightning client)."""
        return self.services.shop if self.services else None

    def on_mount(self) -> None:
        if self.services is None:
            try:
                # The session and the ledger open after the reader's first frame (admin
                # mode needs them for its login first).
                self.services = open_services(
                    self.config, self.clock, self._options, credits_later=not self.admin
                )
            except LibraryError as exc:
                self.exit(return_code=1, message=str(exc))
                return
        services = self.services
        if self.served is not None:
            self._quit_on_signals()
            if self.exit_requested:  # the server said goodbye while this process started
                self.exit()
                return
        for notice in services.notices:
            self.notify(notice, severity="warning", timeout=10)
        if not services.credits_pending:
            self._credits_opened()
        if services.ctx.library.needs_first_run_import():
            from tui.screens.first_run import FirstRunScreen

            self.push_screen(FirstRunScreen(services.ctx.library), self._library_ready)
        else:
            self._library_ready(True)

    def _notice_ledger_writes(self) -> None:
        account = self.account
        if account is None:
            return
        try:
            version = account.ledger.data_version()
        except Exception:  # the ledger's troubles are told where credits are used
            return
        if version != self._ledger_version:
            self._ledger_version = version
            self.broadcast(CreditsChanged)

    def open_credits(self) -> None:
        """Open the credit side (this terminal's session, the ledger, the gallery) if it is
        still waiting: once the reader's first frame is painted, or sooner for whatever needs
        it (buying, generating, the history, a key pressed while the app was starting). Runs
        on the event loop, so nothing can use credits in between."""
        services = self.services
        if services is None or not services.credits_pending:
            return
        for notice in services.open_credits():
            self.notify(notice, severity="warning", timeout=10)
        self._credits_opened()

    def _credits_opened(self) -> None:
        assert self.services is not None
        services = self.services
        if services.gallery is not None:
            self._check_image_files()
        if services.account is not None and services.options.watch_payments:
            # Buying (its LND client and price sources) is set up once the reader is painted.
            self.call_after_refresh(self._start_payments)
        if services.account is not None and not services.options.watch_payments:
            # Another process (the server's one watcher) credits payments: notice them here.
            self._ledger_version = services.account.ledger.data_version()
            self.set_interval(1.0, self._notice_ledger_writes)
        for screen in self.screen_stack:
            if isinstance(screen, ReaderScreen):
                screen.credits_opened(services.account, services.gallery)
        self.call_after_refresh(self._report_ready)

    def _report_ready(self) -> None:
        if self._on_ready is not None:
            on_ready, self._on_ready = self._on_ready, None
            on_ready()

    @work(thread=True, exit_on_error=False, group="images")
    def _check_image_files(self) -> None:
        """Files without records and records without files, said once at start."""
        from core.generation.gallery import Gallery

        try:
            gallery = Gallery.open(self.config)
        except LedgerError:
            return
        try:
            check = gallery.check_files()
        except OSError as exc:
            check = None
            problem = f"The illustrations folder could not be read ({exc.strerror})."
            self.call_from_thread(self.notify, problem, severity="warning", timeout=10)
        finally:
            gallery.close()
        for sentence in check.sentences() if check else []:
            self.call_from_thread(self.notify, sentence, severity="warning", timeout=10)

    def generator(self) -> Generator | None:
        """The session's generator, opened on first use (None when credits are unavailable)."""
        self.open_credits()
        if self.services is None:
            return None
        try:
            return self.services.generator()
        except LedgerError as exc:
            self.notify(str(exc), severity="error")
            return None

    def notify_once(self, message: str, **kwargs: Any) -> None:
        """A toast said at most once a run: a damaged file is news once, not at every use."""
        if message not in self._said:
            self._said.add(message)
            self.notify(message, **kwargs)

    def marks(self) -> Marks | None:
        """The session's bookmarks, highlights and notes, opened on first use. None without a
        session, or when the user database cannot be used: that is said once, in a sentence,
        and nothing is written to it; reading goes on."""
        if self._marks is None and self._marks_problem is None and self.services is not None:
            try:
                self._marks = open_marks(self.services.user_data(), self.clock)
            except MarksError as exc:
                self._marks_problem = str(exc)
                self.notify_once(str(exc), severity="warning", timeout=10)
        return self._marks

    def _library_ready(self, ok: bool | None) -> None:
        if not ok:
            return
        if self.admin:
            self._admin_login()
        else:
            self._open_reader()

    def _admin_login(self) -> None:
        from core.admin.gate import AdminGate
        from core.admin.passwords import AdminError, Verifier

        if self.account is None:
            self.notify(
                "Admin mode needs the credit ledger, which is unavailable.", severity="error"
            )
            self._open_reader()
            return
        try:
            gate = AdminGate(self.account.ledger, Verifier.from_config(self.config))
        except AdminError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            self._open_reader()
            return
        from tui.screens.admin_login import AdminLoginScreen

        self.push_screen(AdminLoginScreen(gate, self.account.session_id), self._admin_done)

    def _admin_done(self, ok: bool | None) -> None:
        if ok:
            self.notify("Admin mode: generating needs no credits. Everything is audited.")
        else:
            self.notify("Continuing without admin mode.")
        self._open_reader()

    def _open_reader(self) -> None:
        assert self.ctx is not None and self.services is not None
        services = self.services
        start = start_point(self.ctx, self.reference, self.translation)
        for problem in start.problems:
            self.notify(problem, severity="error", timeout=8)
        reader = ReaderScreen(
            self.ctx, start.translation, start.ref, services.account, services.gallery,
            generator=self.generator, marks=self.marks, open_credits=self.open_credits,
            credits_pending=services.credits_pending,
        )  # fmt: skip
        self.push_screen(reader)
        self.call_after_refresh(self.open_credits)
        # Everything made while starting (the library's caches, Textual's widgets) lives as
        # long as the app: out of the collector's way, full collections stay short and do not
        # stall a keypress or a page turn.
        self.call_after_refresh(_after_first_frame)
        if not self._onboard_once():
            self.call_after_refresh(self._greet_reading_plan)

    def _onboard_once(self) -> bool:
        """Welcome a first visit; True when the welcome is shown."""
        assert self.ctx is not None
        visits = self.ctx.remembered()
        if visits.welcomed():
            return False
        from tui.screens.onboarding import OnboardingScreen

        visits.mark_welcomed()  # best effort: at worst shown again next time
        self.push_screen(OnboardingScreen(), self._onboarded)
        return True

    def _onboarded(self, choice: str | None) -> None:
        if choice == "buy":
            self.action_buy_credits()

    def action_buy_credits(self) -> None:
        self.open_credits()
        services = self.services
        if services is None or services.account is None:
            self.notify(
                "Credits are unavailable in this run, so nothing can be bought.", severity="error"
            )
            return
        from tui.screens.buy_credits import BuyCreditsScreen

        owner = "terminal" if self.served is None else "guest" if self.served.guest else "key"
        screen = BuyCreditsScreen(services.shop, services.account.session_id, owner=owner)
        self.push_screen(screen)

    # the reading plan ----------------------------------------------------------------------

    def reading_plans(self) -> ReadingPlans | None:
        """The session's reading plan; None (said once as a toast) when it cannot be used."""
        from core.plans import PlanError
        from core.user_data import UserDataError

        if self.services is None:
            return None
        try:
            plans = self.services.reading_plans()
        except (UserDataError, PlanError) as exc:
            self.notify_once(str(exc), severity="error")
            return None
        if plans is None:
            self.notify(
                "Reading plans are unavailable in this run: the session cannot be opened.",
                severity="error",
            )
        return plans

    def action_reading_plan(self) -> None:
        plans = self.reading_plans()
        if plans is None:
            return
        from tui.screens.plan import PlanScreen

        self.push_screen(PlanScreen(plans), self._go_read)

    def _greet_reading_plan(self) -> None:
        """ "Today's reading" at start, when a plan has an unread reading today that the
        reader has not waved away today. No user database yet means no plan: nothing is
        created just to find that out."""
        from core.plans import PlanError

        if self.services is None or not self.config.paths.user_db.exists():
            return
        plans = self.reading_plans()
        try:
            plan = plans.active() if plans is not None else None
        except PlanError as exc:
            self.notify(str(exc), severity="warning")
            return
        if plan is None or not plan.greets_today:
            return
        from tui.screens.todays_reading import TodaysReadingScreen

        def greeted(choice: str | None) -> None:
            assert plans is not None and plan is not None
            try:
                plans.dismiss_today()
            except PlanError as exc:
                self.notify(str(exc), severity="warning")
            if choice == "read":
                first = next(d for d in plan.todays if not d.done).readings[0]
                self.call_later(self._go_read, first.start)
            elif choice == "plan":
                self.call_later(self.action_reading_plan)

        self.push_screen(TodaysReadingScreen(plan), greeted)

    async def _go_read(self, ref: VerseRef | None) -> None:
        """A plan's reading, opened by the reader's one way of going somewhere."""
        reader = next((s for s in self.screen_stack if isinstance(s, ReaderScreen)), None)
        if ref is not None and reader is not None:
            await reader.go_to(navigation.clamp(ref, reader.versification))

    @work(thread=True, exit_on_error=False, group="payments")
    def _start_payments(self) -> None:
        """Credit what was paid while the app was closed, then follow the payment backend
        (in a thread: building the shop loads the backend's client)."""
        assert self.services is not None
        services = self.services
        try:
            if not services.follows_payments:
                return
            credited = services.recover_payments()
        except Exception as exc:  # the backend may be down: the watchers below keep trying
            self.call_from_thread(
                self.notify,
                f"Checking earlier invoices failed: {_sentence(exc)}",
                severity="warning",
            )
            credited = 0
        if credited:
            self.call_from_thread(
                self.notify, f"A payment made earlier was credited ({credited} invoice(s))."
            )
        services.follow_payments(self.report_settlement)

    # serving: no way out of the reader ------------------------------------------------------

    def _quit_on_signals(self) -> None:
        """The server ends a reader with SIGTERM (shutdown) or SIGHUP (the visitor left)."""
        import asyncio
        import signal

        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, lambda: self.run_worker(self._leave(False)))
        loop.add_signal_handler(signal.SIGHUP, lambda: self.run_worker(self._leave(True)))

    async def _leave(self, hung_up: bool) -> None:
        """Do what must not be lost first (the place, the holds of unfinished generations),
        then quit as ``q`` does. A reader whose terminal is gone must not wait on it: output
        goes to /dev/null, and if Textual's own shutdown still stalls, the process ends
        after a few seconds anyway; everything that matters was done before."""
        import os
        import threading

        if hung_up:
            devnull = os.open(os.devnull, os.O_WRONLY)
            for fd in (1, 2):
                os.dup2(devnull, fd)
            os.close(devnull)
        for screen in self.screen_stack:
            if isinstance(screen, ReaderScreen):
                screen.save_position()
        if self.services is not None:
            await self.services.stop_generating()
        deadline = threading.Timer(LEAVE_GRACE_S, os._exit, (0,))
        deadline.daemon = True  # a clean exit does not wait for it
        deadline.start()
        self.exit()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if self.served is None or command.title != "Screenshot":
                yield command

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        if self.served is not None:
            self.notify("Screenshots are not saved when Verselight is served.")
            return
        super().action_screenshot(filename, path)

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        if self.served is not None:
            self.notify("Screenshots are not saved when Verselight is served.")
            return None
        return super().deliver_screenshot(filename, path, time_format)

    def action_suspend_process(self) -> None:
        if self.served is not None:
            self.notify("The reader cannot be suspended here; press q to leave.")
            return
        super().action_suspend_process()

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        if self.served is not None:
            self.notify("Links are not opened when Verselight is served.")
            return
        super().open_url(url, new_tab=new_tab)

    # app-level messages (tui/messages.py) ----------------------------------------------------

    def report_settlement(self, payment_hash: str, outcome: Outcome) -> None:
        """What every watcher calls, from its own thread: into the one settlement queue."""
        self.post_message(SettlementReported(payment_hash, outcome))

    def on_settlement_reported(self, event: SettlementReported) -> None:
        """The one settlement handler: every outcome of every watcher comes through here."""
        from core.billing.invoices import Outcome

        outcome, payment_hash = event.outcome, event.payment_hash
        if outcome in (Outcome.CREDITED, Outcome.ALREADY_CREDITED):
            credited_now = outcome is Outcome.CREDITED
            self.broadcast(lambda: PaymentSettled(payment_hash, credited_now))
            self.broadcast(CreditsChanged)
            if credited_now and payment_hash != self._invoice_on_screen:
                self.notify("Payment received: 300 credits were added.")
        elif outcome is Outcome.EXPIRED:
            self.broadcast(lambda: InvoiceExpired(payment_hash))

    def on_invoice_on_screen(self, event: InvoiceOnScreen) -> None:
        self._invoice_on_screen = event.payment_hash

    def on_credits_changed(self) -> None:
        self.broadcast(CreditsChanged)

    def on_illustration_saved(self, event: IllustrationSaved) -> None:
        self.broadcast(lambda: IllustrationSaved(event.illustration))

    def broadcast(self, make: Callable[[], Message]) -> None:
        """A fresh copy of a message to every screen on the stack (messages posted to the app
        do not reach them by themselves; see tui/messages.py)."""
        for screen in self.screen_stack:
            screen.post_message(make())

    async def on_unmount(self) -> None:
        if self.services is not None and self._owns_services:
            await self.services.aclose()


def _after_first_frame() -> None:
    gc.freeze()
    gc.enable()  # off while starting (see ``cli.main.run_reader``); a no-op when it was on


def _sentence(exc: Exception) -> str:
    return getattr(exc, "user_message", None) or str(exc)


def make_app(
    config: Config,
    reference: str | None = None,
    translation: str | None = None,
    *,
    admin: bool = False,
    clock: Clock = utc_now,
    services: Services | None = None,
    options: ServiceOptions | None = None,
    served: Handoff | None = None,
    on_ready: Callable[[], None] | None = None,
) -> VerselightApp:
    """The app on ``services`` (the caller closes them), or on its own, opened from
    ``config`` with ``options`` on mount and closed when it ends."""
    from tui.image_support import use_renderer

    use_renderer(config)
    if services is None:
        start_ledger_check(config)  # runs beside Textual's start; ``open_account`` waits for it
    return VerselightApp(
        config, reference, translation, admin=admin, clock=clock, services=services,
        options=options, served=served, on_ready=on_ready,
    )  # fmt: skip
