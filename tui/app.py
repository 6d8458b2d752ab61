"""The Textual app and the one factory that builds it, for the command line and for tests."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.binding import Binding

from core.account import Account, open_account
from core.clock import Clock, utc_now
from core.config import Config
from core.context import Context, open_context, start_point
from core.generation.gallery import Gallery, LedgerError
from storage.bible import LibraryError
from tui.commands import ReaderCommands
from tui.screens.reader import ReaderScreen

if TYPE_CHECKING:
    from core.billing.invoices import Outcome
    from core.billing.shop import Shop
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
    ) -> None:
        super().__init__()
        self.config = config
        self.reference = reference
        self.translation = translation
        self.admin = admin
        self.clock = clock
        self.ctx: Context | None = None
        self.account: Account | None = None
        self._shop: Shop | None = None
        self.gallery: Gallery | None = None
        self._generator: Generator | None = None
        self._payments_watcher: object | None = None

    def on_mount(self) -> None:
        try:
            self.ctx = open_context(self.config, first_run_import=False)
        except LibraryError as exc:
            self.exit(return_code=1, message=str(exc))
            return
        opened = open_account(self.config, self.clock)
        self.account = opened.account
        for notice in [*self.ctx.notices, *opened.notices]:
            self.notify(notice, severity="warning", timeout=10)
        if self.account is not None:
            self.gallery = self._open_gallery()
        # Buying (its LND client and price sources) is set up once the reader is painted.
        self.call_after_refresh(self._open_shop)
        if self.ctx.library.needs_first_run_import():
            from tui.screens.first_run import FirstRunScreen

            self.push_screen(FirstRunScreen(self.ctx.library), self._library_ready)
        else:
            self._library_ready(True)

    @property
    def shop(self) -> Shop:
        """Everything buying needs, opened on first use (it never stops the reader)."""
        if self._shop is None:
            from core.billing.shop import open_shop

            self._shop = open_shop(self.config, clock=self.clock)
        return self._shop

    def _open_shop(self) -> None:
        if self.account is not None and self.shop.available:
            self._start_payments()

    def _open_gallery(self) -> Gallery | None:
        try:
            gallery = Gallery.open(self.config)
        except LedgerError as exc:
            self.notify(f"Illustrations are unavailable: {exc}", severity="warning", timeout=10)
            return None
        self._check_image_files()
        return gallery

    @work(thread=True, exit_on_error=False, group="images")
    def _check_image_files(self) -> None:
        """Files without records and records without files, said once at start."""
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
        if self._generator is None and self.account is not None and self.ctx is not None:
            # Imported here: the HTTP client and the sketch's drawing code are not needed
            # to start reading.
            from core.generation.service import Generator

            try:
                self._generator = Generator.open(
                    self.config, self.ctx.library, self.account.session_id, clock=self.clock
                )
            except LedgerError as exc:
                self.notify(str(exc), severity="error")
        return self._generator

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
        assert self.ctx is not None
        start = start_point(self.ctx, self.reference, self.translation)
        for problem in start.problems:
            self.notify(problem, severity="error", timeout=8)
        self.push_screen(
            ReaderScreen(self.ctx, start.translation, start.ref, self.account, self.gallery)
        )
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
        if self.account is None:
            self.notify(
                "Credits are unavailable in this run, so nothing can be bought.", severity="error"
            )
            return
        from tui.screens.buy_credits import BuyCreditsScreen

        self.push_screen(BuyCreditsScreen(self.shop, self.account.session_id))

    @work(thread=True, exit_on_error=False, group="payments")
    def _start_payments(self) -> None:
        """Credit what was paid while the app was closed, then follow LND's invoice stream."""
        try:
            credited = self.shop.recover()
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
        self._payments_watcher = self.shop.watch_all(self._credited_from_thread)

    def _credited_from_thread(self, payment_hash: str, outcome: Outcome) -> None:
        from core.billing.invoices import Outcome

        if outcome is Outcome.CREDITED:
            self.call_from_thread(self._payment_received, payment_hash)

    def _payment_received(self, payment_hash: str) -> None:
        from tui.screens.buy_credits import BuyCreditsScreen

        screen = self.screen
        showing = isinstance(screen, BuyCreditsScreen) and screen.invoice is not None
        if showing and screen.invoice.payment_hash == payment_hash:  # type: ignore[union-attr]
            return  # the open buy screen shows this payment itself
        self.notify("Payment received: 300 credits were added.")

    async def on_unmount(self) -> None:
        if self._generator is not None:
            await self._generator.aclose()
        if self.gallery is not None:
            self.gallery.close()
        stop = getattr(self._payments_watcher, "stop", None)
        if stop is not None:
            stop()
        if self._shop is not None:
            self._shop.close()
        if self.ctx is not None:
            self.ctx.close()
        if self.account is not None:
            self.account.close()


def _after_first_frame() -> None:
    gc.freeze()
    gc.enable()  # off while starting (see ``tui.cli.run_reader``); a no-op when it was on


def _sentence(exc: Exception) -> str:
    return getattr(exc, "user_message", None) or str(exc)


def make_app(
    config: Config,
    reference: str | None = None,
    translation: str | None = None,
    *,
    admin: bool = False,
    clock: Clock = utc_now,
) -> VerselightApp:
    return VerselightApp(config, reference, translation, admin=admin, clock=clock)
