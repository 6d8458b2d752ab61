"""The Textual app and the one factory that builds it, for the command line and for tests."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.message import Message

from core.billing import LedgerError
from core.billing.early_check import start_ledger_check
from core.clock import Clock, utc_now
from core.config import Config
from core.context import Context, start_point
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
    from core.account import Account
    from core.billing.invoices import Outcome
    from core.billing.shop import Shop
    from core.generation.gallery import Gallery
    from core.generation.service import Generator


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
    ) -> None:
        super().__init__()
        self.config = config
        self.reference = reference
        self.translation = translation
        self.admin = admin
        self.clock = clock
        self.services = services
        """Everything the app uses; opened on mount (and closed on unmount) when not given."""
        self._owns_services = services is None
        self._options = options
        self._invoice_on_screen: str | None = None

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
        for notice in services.notices:
            self.notify(notice, severity="warning", timeout=10)
        if not services.credits_pending:
            self._credits_opened()
        if services.ctx.library.needs_first_run_import():
            from tui.screens.first_run import FirstRunScreen

            self.push_screen(FirstRunScreen(services.ctx.library), self._library_ready)
        else:
            self._library_ready(True)

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
        for screen in self.screen_stack:
            if isinstance(screen, ReaderScreen):
                screen.credits_opened(services.account, services.gallery)

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
            generator=self.generator, open_credits=self.open_credits,
            credits_pending=services.credits_pending,
        )  # fmt: skip
        self.push_screen(reader)
        self.call_after_refresh(self.open_credits)
        # Everything made while starting (the library's caches, Textual's widgets) lives as
        # long as the app: out of the collector's way, full collections stay short and do not
        # stall a keypress or a page turn.
        self.call_after_refresh(_after_first_frame)
        self._onboard_once()

    def _onboard_once(self) -> None:
        marker = self.config.paths.onboarded_marker
        if marker.exists():
            return
        from tui.screens.onboarding import OnboardingScreen

        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text("shown\n", encoding="utf-8")
        except OSError:
            pass  # shown again next time; nothing worse
        self.push_screen(OnboardingScreen(), self._onboarded)

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

        self.push_screen(BuyCreditsScreen(services.shop, services.account.session_id))

    @work(thread=True, exit_on_error=False, group="payments")
    def _start_payments(self) -> None:
        """Credit what was paid while the app was closed, then follow LND's invoice stream
        (in a thread: building the shop loads the Lightning client)."""
        assert self.services is not None
        services = self.services
        try:
            if not services.follows_payments:
                return
            credited = services.recover_payments()
        except Exception as exc:  # the node may be down: the stream below keeps trying
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
) -> VerselightApp:
    """The app on ``services`` (the caller closes them), or on its own, opened from
    ``config`` with ``options`` on mount and closed when it ends."""
    from tui.image_support import use_renderer

    use_renderer(config)
    if services is None:
        start_ledger_check(config)  # runs beside Textual's start; ``open_account`` waits for it
    return VerselightApp(
        config, reference, translation, admin=admin, clock=clock, services=services,
        options=options,
    )  # fmt: skip
