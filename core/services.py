"""Everything one Verselight process uses, opened once, closed once: the library, this
session's account, the gallery, the shop with its settlement watcher, the generator, and the
sentences to show the user about how opening went.

A front end (the TUI, and later one process per SSH connection) gets one ``Services`` and
asks it for parts; nothing else opens them. Parts a process must not have are switched off
with ``ServiceOptions``: a per-connection process follows no Lightning stream of its own (one
watcher per host), writes no exported files outside the app's data, and uses the session the
host gives it instead of this terminal's token file.

The heavy parts load on first use, not here: the shop (gRPC, the price sources' HTTP client)
and the generator (an HTTP client, the sketch's drawing code). The reader goes further: it
opens the library alone (``credits_later``) and the credit side (this terminal's session, the
ledger, the gallery) once its first frame is on screen, or sooner when something asks for it
(``open_credits``): resuming the session checks a signed token and writes the ledger, which
cost the first frame 20-30 ms.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.clock import Clock, utc_now
from core.config import Config
from core.context import Context, open_context
from storage.bible import LibraryError

if TYPE_CHECKING:  # the credit side loads in open_services, only when it is asked for
    from collections.abc import Callable

    from core.account import Account
    from core.bible.importers.sword.catalogue import Catalogue
    from core.bible.importers.sword.install import Stage
    from core.bible.library import Translation
    from core.billing.invoices import Outcome
    from core.billing.shop import Shop
    from core.generation.gallery import Gallery
    from core.generation.service import Generator
    from core.plans import ReadingPlans
    from core.user_data import UserData

__all__ = ["LibraryError", "ServiceOptions", "Services", "open_services"]


@dataclass(frozen=True, slots=True)
class ServiceOptions:
    watch_payments: bool = True
    """Credit payments made while closed at start, and follow the payment backend (its stream,
    and a sweep of open invoices when it cannot replay) for the process's lifetime. Off for a
    per-connection process: the host runs one watcher."""
    allow_export: bool = True
    """Let the user save copies of illustrations where they name. Off when served: a visitor
    must not write files outside the app's data."""
    allow_install: bool = True
    """Let the user install translations from remote SWORD repositories. Off when served: a
    visitor must not make the host download and keep files."""
    session_id: str | None = None
    """The session to use, chosen by the host (it must be in the ledger); None: this
    terminal's own session from its token file (created on first run)."""
    credits: bool = True
    """Open the account. Off for commands that only read (``verselight read``, ``search``,
    ``translations``, ``images``): they never create a session or release holds, and load
    none of the credit side."""
    gallery: bool = True
    """Open the gallery of illustrations: with the account, or alone when ``credits`` is off
    (``verselight images`` looks and exports without a session). Off for ``session`` and
    ``ledger``, which need the account only."""


@dataclass(eq=False)
class Services:
    config: Config
    clock: Clock
    options: ServiceOptions
    ctx: Context
    account: Account | None
    """None when the ledger cannot be used: reading goes on without credits."""
    gallery: Gallery | None
    notices: list[str]
    """Sentences to show once, in order (a damaged library moved aside, a released hold)."""
    _shop: Shop | None = field(default=None, repr=False)
    _generator: Generator | None = field(default=None, repr=False)
    _watcher: Callable[[], None] | None = field(default=None, repr=False)
    _user_data: UserData | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    credits_pending: bool = False
    """True while the credit side (account, gallery) is still to be opened: ``account`` and
    ``gallery`` are None then because they are not open yet, not because they failed."""

    def open_credits(self) -> list[str]:
        """Open the credit side now if it is still pending (``open_services(credits_later=
        True)``); the sentences it adds to ``notices``, to show once (none when it was open)."""
        with self._lock:
            if not self.credits_pending:
                return []
            self.account, self.gallery, notices = _credit_side(
                self.config, self.clock, self.options
            )
            self.credits_pending = False
            self.notices += notices
            return notices

    @property
    def shop(self) -> Shop:
        """The shop, built on first use (from any thread: the app's payment worker asks
        first, off the event loop, so gRPC loads there)."""
        with self._lock:
            if self._shop is None:
                from core.billing.shop import open_shop

                self._shop = open_shop(self.config, clock=self.clock)
                self._shop.ledger_only = not self.options.watch_payments
            return self._shop

    def generator(self) -> Generator | None:
        """The session's generator, opened on first use; None when credits are unavailable.
        Raises ``LedgerError`` (a sentence) when its ledger connection cannot be opened."""
        if self._generator is None and self.account is not None:
            from core.generation.service import Generator

            self._generator = Generator.open(
                self.config, self.ctx.library, self.account.session_id, clock=self.clock
            )
        return self._generator

    def user_data(self) -> UserData | None:
        """The session's own things (marks, notes, plans), opened on first use; None when
        there is no session (credits unavailable). Raises ``UserDataError`` (a sentence)."""
        with self._lock:
            sid = self.account.session_id if self.account else self.options.session_id
            if self._user_data is None and sid is not None:
                from core.user_data import open_user_data

                self._user_data = open_user_data(self.config, sid)
            return self._user_data

    def reading_plans(self) -> ReadingPlans | None:
        """The session's reading plan, on the process's clock; None when there is no session.
        Raises ``UserDataError`` or ``PlanError`` (sentences) when it cannot be used."""
        data = self.user_data()
        if data is None:
            return None
        from core.plans import ReadingPlans

        return ReadingPlans(data, self.clock)

    @property
    def follows_payments(self) -> bool:
        """True when this process credits payments itself (switched on, with an account and
        a configured node). Builds the shop: ask from a worker thread."""
        return self.options.watch_payments and self.account is not None and self.shop.available

    def recover_payments(self) -> int:
        """Credit what was paid while no app ran; how many invoices were credited now (0 when
        this process does not follow payments). Raises what the backend or the ledger raised."""
        return self.shop.recover() if self.follows_payments else 0

    def follow_payments(self, report: Callable[[str, Outcome], None]) -> bool:
        """Follow the payment backend until ``close()``, telling ``report`` (from the watcher's
        thread) every outcome. False when this process does not follow payments."""
        if not self.follows_payments or self._watcher is not None:
            return False
        self._watcher = self.shop.watch_all(report).stop
        return True

    def available_translations(self, *, refresh: bool = False) -> Catalogue:
        """What the configured SWORD repositories offer (cached; ``refresh`` asks again).
        Raises ``ImportFailed`` (a sentence) when installing is off or misconfigured."""
        self._check_install()
        from core.bible.importers.sword.catalogue import available

        return available(self.config, refresh=refresh)

    def install_translation(self, name: str, progress: Stage | None = None) -> Translation:
        """Download, verify and import the module ``name`` from a repository. Raises
        ``ImportFailed`` (a sentence) when it cannot, or when installing is off here."""
        self._check_install()
        from core.bible.importers.sword.install import install

        return install(name, self.config, self.ctx.library, progress)

    def _check_install(self) -> None:
        if not self.options.allow_install:
            from core.bible.importers import ImportFailed

            raise ImportFailed("Installing translations is switched off here.")

    async def stop_generating(self) -> None:
        """Cancel unfinished generations (their holds are released) and close the generator."""
        generator, self._generator = self._generator, None
        if generator is not None:
            await generator.aclose()

    async def aclose(self) -> None:
        """Close everything, the generator's HTTP clients included (the app's way)."""
        await self.stop_generating()
        self.close()

    def close(self) -> None:
        """Close everything opened; safe to call twice. A generator still open is closed by
        ``aclose`` only (its HTTP clients close on the event loop)."""
        stop, self._watcher = self._watcher, None
        if stop is not None:
            stop()
        if self.gallery is not None:
            self.gallery.close()
            self.gallery = None
        shop, self._shop = self._shop, None
        if shop is not None:
            shop.close()
        user_data, self._user_data = self._user_data, None
        if user_data is not None:
            user_data.close()
        self.ctx.close()
        if self.account is not None:
            self.account.close()
            self.account = None


def open_services(
    config: Config,
    clock: Clock = utc_now,
    options: ServiceOptions | None = None,
    *,
    credits_later: bool = False,
) -> Services:
    """Open the library, the account and the gallery. Raises ``LibraryError`` (a sentence)
    only when the Bible library cannot be used; trouble with credits or illustrations
    becomes a notice and that part is None, and reading goes on. ``credits_later``: the
    account and the gallery wait for ``Services.open_credits``."""
    options = options or ServiceOptions()
    ctx = open_context(config, first_run_import=False)
    services = Services(config, clock, options, ctx, None, None, list(ctx.notices))
    if options.session_id is not None:
        _remember_per_session(services)
    if credits_later:
        services.credits_pending = options.credits or options.gallery
    else:
        services.account, services.gallery, notices = _credit_side(config, clock, options)
        services.notices += notices
    return services


def _credit_side(
    config: Config, clock: Clock, options: ServiceOptions
) -> tuple[Account | None, Gallery | None, list[str]]:
    """The account and the gallery ``options`` ask for, and sentences about what failed."""
    notices: list[str] = []
    account: Account | None = None
    if options.credits and options.session_id is None:
        from core.account import open_account

        opened = open_account(config, clock)
        account = opened.account
        notices += opened.notices
    elif options.credits and options.session_id is not None:
        account, notice = _given_session(config, clock, options.session_id)
        notices += [notice] if notice else []
    gallery = None
    if options.gallery and (account is not None or not options.credits):
        from core.generation.gallery import Gallery, LedgerError

        try:
            gallery = Gallery.open(config)
        except LedgerError as exc:
            notices.append(f"Illustrations are unavailable: {exc}")
        else:
            gallery.exports = options.allow_export
    return account, gallery, notices


def _given_session(config: Config, clock: Clock, sid: str) -> tuple[Account | None, str | None]:
    """The account of a session the host chose: never this terminal's token file."""
    from core.account import Account
    from core.billing.ledger import Ledger, LedgerError, UnknownSession

    try:
        ledger = Ledger.open(config.paths.ledger_db, config.limits, clock)
    except LedgerError as exc:
        return None, f"{exc} Credits are unavailable; reading works as usual."
    try:
        ledger.balance(sid)
        ledger.release_stale_holds()
    except (UnknownSession, LedgerError, sqlite3.Error) as exc:
        ledger.close()
        return None, f"Credits are unavailable ({exc}). Reading works as usual."
    return Account(config, ledger, sid), None


def _remember_per_session(services: Services) -> None:
    """A served visitor's place and welcome live with their session, not in the host's
    state dir that every visitor shares."""
    from core.user_data import UserDataError
    from core.visits import NoVisits, SessionVisits

    services.ctx.visits = NoVisits()
    try:
        data = services.user_data()
        if data is not None:
            services.ctx.visits = SessionVisits(data)
    except UserDataError as exc:
        services.notices.append(f"{exc} Your place will not be remembered this time.")
