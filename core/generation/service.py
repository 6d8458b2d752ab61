"""Making one illustration, with the money flow of DESIGN.md section 5.

1. Pre-check the tier and ``available >= price`` (``readiness``; the dialog shows it).
2. Place a hold for the price (the ledger checks again, with the rate limit and daily cap).
3. Call the provider; check the bytes with Pillow; write the file atomically.
4. In ONE transaction: close the hold as charged, write the charge entry, the image's row and
   the model's duration stats. If that fails (the hold is gone, the database refuses), the file
   is deleted and the user told; nothing was charged.

Failure, a refusal or a cancel at any step before 4 releases the hold: nothing is charged or
saved. A crash leaves the hold to the next start (``Ledger.release_stale_holds``). Admin
generations place no hold and touch no balance; their row and an audit entry commit together.
The offline sketch costs 0: no hold, no charge, but the rate limit still counts it.

Ledger writes (the hold, the charge, a release) run in a worker thread, never on the event
loop: each takes milliseconds, but may wait up to the ledger's 10 s busy wait while another
process holds the write lock, and the UI must not freeze meanwhile. A cancel cannot open a
window between placing a hold and knowing its id: the thread is shielded from the cancel, and
the cancel handler first waits for the thread's answer (``_outlast``), so it learns the hold
that was placed, even one placed after the cancel arrived, and releases it before the cancel
goes on. A cancel that lands while the charge commits likewise waits for it: once committed,
the image is saved and paid for, and it is returned (the cancel came too late to undo it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from core.admin import audit
from core.bible.library import Library
from core.billing.ledger import BillingError, DailyCapReached, Hold, Ledger, LedgerError
from core.clock import Clock, utc_now
from core.config import Config
from core.generation import catalog, stats
from core.generation.catalog import Offer, OfferList
from core.generation.gallery import Gallery, Illustration
from core.generation.imagecheck import CheckedImage, check_image
from core.generation.jobs import Job as Job
from core.generation.jobs import Readiness as Readiness
from core.generation.prompts import ASPECT_RATIOS, PROMPT_VERSION, PromptInputs, build_prompt
from core.generation.providers.base import ImageRequest, Provider, ProviderError, ProviderImage
from core.generation.store import ImageStore
from core.sessions.tiers import Refusal, Tier, spend_refusal, tier_of
from storage import images as db
from storage import ledger as ledger_db

NOTHING_CHARGED = "Nothing was charged."

log = logging.getLogger("verselight.images")

T = TypeVar("T")


async def _outlast(task: asyncio.Future[T]) -> T:
    """The result of a shielded thread's task, waited for through any number of cancels (a
    ledger write in flight must be known before its caller lets a cancel through)."""
    while True:
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done():
                return task.result()


class GenerationError(Exception):
    """A generation did not produce a saved image. ``str()`` says why and that nothing was
    charged, in sentences for the user."""


class Generator:
    """Generations for one session. Holds its own ledger connection (use one per process)."""

    def __init__(
        self,
        config: Config,
        library: Library,
        ledger: Ledger,
        session_id: str,
        providers: Mapping[str, Provider],
        *,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.new_id = new_id
        self.timer = timer
        self.config = config
        self.library = library
        self.ledger = ledger
        self.session_id = session_id
        self.providers = dict(providers)
        self.store = ImageStore(config.paths.images_dir)
        self.gallery = Gallery(ledger.conn, self.store)
        # Threads using the ledger: aclose waits for them (closing it under them can crash).
        self._in_flight: set[asyncio.Future[Any]] = set()
        self._running: set[asyncio.Task[Any]] = set()

    @classmethod
    def open(
        cls,
        config: Config,
        library: Library,
        session_id: str,
        *,
        clock: Clock = utc_now,
        providers: Mapping[str, Provider] | None = None,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
        timer: Callable[[], float] = time.monotonic,
    ) -> Generator:
        """Raises ``LedgerError`` (a sentence) when the ledger cannot be used. ``new_id`` and
        ``timer`` are for tests that need stable ids and durations."""
        from core.generation.providers.registry import build_providers

        ledger = Ledger.for_config(config, clock)
        chosen = build_providers(config.images) if providers is None else providers
        return cls(config, library, ledger, session_id, chosen, new_id=new_id, timer=timer)

    def _in_thread(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """``fn(*args)`` in a worker thread, as a future ``aclose`` knows to wait for."""
        task = asyncio.ensure_future(asyncio.to_thread(fn, *args))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return task

    async def aclose(self) -> None:
        """Stop what still runs (a generation's hold is released), then close."""
        running = [t for t in self._running if t is not asyncio.current_task()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        for provider in self.providers.values():
            await provider.aclose()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        self.ledger.close()

    @property
    def clock(self) -> Clock:
        return self.ledger.clock

    # before --------------------------------------------------------------------------------

    async def offers(self, aspect_ratio: str = "16:9") -> OfferList:
        width, height = ASPECT_RATIOS[aspect_ratio]
        return await catalog.offers(
            self.ledger.conn, self.providers, self.config.images, width, height, self.clock
        )

    def eta(self, offer: Offer, aspect_ratio: str) -> stats.Eta:
        provider = self.providers.get(offer.provider)
        default = provider.default_eta if provider else offer.eta.seconds
        res = stats.resolution(*ASPECT_RATIOS[aspect_ratio])
        return stats.eta(self.ledger.conn, offer.provider, offer.model, res, default)

    def readiness(self, offer: Offer) -> Readiness:
        row = ledger_db.get_session(self.ledger.conn, self.session_id)
        balance, held, admin = (row.balance, row.held, row.is_admin) if row else (0, 0, False)
        tier = tier_of(admin, balance)
        available = balance - held
        price = offer.credits if offer.credits is not None else 0
        if offer.credits is None:
            return Readiness(tier, balance, available, price, False, offer.refusal)
        cap = self.config.limits.daily_credit_cap
        spent = ledger_db.charged_on(self.ledger.conn, self.session_id, self.clock()) + held
        refusal = spend_refusal(tier, available, price, spent, cap)
        if refusal is Refusal.FREE_TIER:
            return Readiness(
                tier, balance, available, price, False,
                "Free sessions can read and look at illustrations; making one needs credits.",
            )  # fmt: skip
        if refusal is Refusal.SHORT and price <= balance:
            return Readiness(
                tier, balance, available, price, False,
                f"{balance - available} of your {balance} credits are held by an illustration "
                f"still being made (perhaps in another terminal); {offer.name} costs {price}, "
                "so it can start once that one finishes.",
            )  # fmt: skip
        if refusal is Refusal.SHORT:
            return Readiness(
                tier, balance, available, price, False,
                f"{offer.name} costs {price} credits and {available} are available: "
                f"{price - available} more needed.",
            )  # fmt: skip
        if refusal is Refusal.DAILY_CAP:
            reason = str(DailyCapReached(cap, spent, price))
            return Readiness(tier, balance, available, price, False, reason)
        return Readiness(tier, balance, available, price, True, None)

    def _inputs(self, job: Job) -> PromptInputs:
        verses = self.library.chapter(job.translation, job.ref.book, job.ref.chapter)
        by_number = {v.ref.verse: v.plain for v in verses}
        if job.ref.verse not in by_number:
            raise GenerationError(f"{job.ref} is not in {job.translation}. {NOTHING_CHARGED}")
        return PromptInputs(
            reference=str(job.ref),
            translation=job.translation,
            verse_text=by_number[job.ref.verse],
            previous_text=by_number.get(job.ref.verse - 1),
            next_text=by_number.get(job.ref.verse + 1),
            theme=job.theme,
            aspect_ratio=job.aspect_ratio,
        )

    # the flow ------------------------------------------------------------------------------

    async def generate(
        self, job: Job, on_started: Callable[[stats.Eta], None] | None = None
    ) -> Illustration:
        """Make, check, save and pay for one illustration (see the module docstring).

        Raises ``GenerationError`` with the reason, or ``CancelledError`` when cancelled; in
        both cases nothing was charged and nothing saved.
        """
        task = asyncio.current_task()
        assert task is not None  # every coroutine here runs in a task
        self._running.add(task)
        try:
            return await self._generate(job, on_started)
        finally:
            self._running.discard(task)

    async def _generate(
        self, job: Job, on_started: Callable[[stats.Eta], None] | None
    ) -> Illustration:
        offer = job.offer
        provider = self.providers.get(offer.provider)
        if provider is None:
            raise GenerationError(
                f"{offer.provider_label} is not configured here. {NOTHING_CHARGED}"
            )
        ready = self.readiness(offer)
        if not ready.allowed:
            raise GenerationError(ready.reason or "This model cannot be used.")
        inputs = self._inputs(job)
        prompt = build_prompt(inputs)
        width, height = ASPECT_RATIOS[job.aspect_ratio]
        request = ImageRequest(
            offer.model, prompt, job.aspect_ratio, width, height, inputs.verse_text,
            inputs.reference, job.theme, offer.modalities,
        )  # fmt: skip

        hold = await self._reserve(ready)
        try:
            if on_started is not None:
                on_started(self.eta(offer, job.aspect_ratio))
            started = self.timer()
            answer = await provider.generate(request)
            duration = self.timer() - started
            checked = await asyncio.to_thread(check_image, answer.data)
        except ProviderError as exc:
            await self._release(hold)
            log.warning("%s failed (%s): %s", offer.key, exc.kind, exc)
            raise GenerationError(f"{exc} {NOTHING_CHARGED}") from exc
        except BaseException:
            await self._release(hold)
            raise

        image_id = self.new_id()
        relative = self.store.relative_path(image_id, checked.extension)
        try:
            row = self._row(
                image_id, job, inputs, prompt, answer, checked, duration, relative, ready
            )
            await self._write(relative, checked.data)
            await self._record(row, hold, ready.tier is Tier.ADMIN, offer)
        except BillingError as exc:  # the hold is gone: its own sentence says so
            self.store.discard(relative)
            raise GenerationError(str(exc)) from exc
        except OSError as exc:
            self.store.discard(relative)
            await self._release(hold)
            raise GenerationError(
                f"The image could not be written to disk ({exc.strerror or exc}); it was "
                f"discarded. {NOTHING_CHARGED}"
            ) from exc
        except (LedgerError, sqlite3.Error) as exc:
            self.store.discard(relative)
            await self._release(hold)
            raise GenerationError(
                f"The image could not be recorded ({exc}), so it was discarded. {NOTHING_CHARGED}"
            ) from exc
        except BaseException:
            # A cancel, or a bug: whatever it was, the image is not kept and not paid for.
            self.store.discard(relative)
            await self._release(hold)
            raise
        log.info(
            "%s: image %s for %s, %d credits, %.1f s", offer.key, image_id, row.reference,
            row.credits, duration,
        )  # fmt: skip
        return self.gallery.illustration(row)

    async def _write(self, relative: str, data: bytes) -> None:
        """Write the file in a thread; a cancel waits for the thread to finish first, so the
        caller's clean-up cannot run before the file appears (and leave it behind)."""
        task = self._in_thread(self.store.write, relative, data)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await task
            raise

    async def _reserve(self, ready: Readiness) -> Hold | None:
        """The hold for a priced generation, placed in a thread (see the module docstring).

        A cancel that arrives while the thread waits for the ledger's lock does not abandon
        it: the thread's answer is awaited, and a hold it placed is released before the
        cancel is let through, so no hold is left open with nobody knowing its id.
        """
        task = self._in_thread(self._reserve_now, ready)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            with contextlib.suppress(GenerationError):  # a refusal placed nothing
                await self._release(await _outlast(task))
            raise

    def _reserve_now(self, ready: Readiness) -> Hold | None:
        """For admin and the free sketch, only the rate limit (they move no credits)."""
        try:
            if ready.tier is Tier.ADMIN or ready.price == 0:
                limit = self.config.limits.generations_per_minute
                self.ledger.admit(self.session_id, "generation", limit, "generations")
                return None
            return self.ledger.place_hold(self.session_id, ready.price)
        except (BillingError, LedgerError) as exc:  # LedgerBusy says what happened itself
            raise GenerationError(f"{exc} {NOTHING_CHARGED}") from exc
        except sqlite3.Error as exc:
            raise GenerationError(
                f"The credit ledger refused the request ({exc}). {NOTHING_CHARGED}"
            ) from exc

    async def _release(self, hold: Hold | None) -> None:
        """Release in a thread, and see it through even when cancelled meanwhile."""
        if hold is None:
            return
        # If this fails the hold stays until the next start releases it; nothing is charged
        # either way.
        with contextlib.suppress(LedgerError, sqlite3.Error):
            await _outlast(self._in_thread(self.ledger.release, hold))

    def _row(
        self,
        image_id: str,
        job: Job,
        inputs: PromptInputs,
        prompt: str,
        answer: ProviderImage,
        checked: CheckedImage,
        duration: float,
        relative: str,
        ready: Readiness,
    ) -> db.ImageRow:
        admin = ready.tier is Tier.ADMIN
        return db.ImageRow(
            id=image_id,
            session_id=self.session_id,
            created_at=ledger_db.ts(self.clock()),
            book=job.ref.book,
            chapter=job.ref.chapter,
            verse=job.ref.verse,
            reference=inputs.reference,
            translation=inputs.translation,
            verse_text=inputs.verse_text,
            theme=job.theme,
            aspect_ratio=job.aspect_ratio,
            prompt=prompt,
            prompt_version=PROMPT_VERSION,
            prompt_inputs=json.dumps(inputs.as_dict(), ensure_ascii=False, sort_keys=True),
            provider=job.offer.provider,
            model=answer.model or job.offer.model,
            credits=0 if admin else ready.price,
            provider_cost=None if answer.provider_cost is None else str(answer.provider_cost),
            duration_ms=round(duration * 1000),
            width=checked.width,
            height=checked.height,
            mime=checked.mime,
            size=checked.size,
            sha256=checked.sha256,
            file=relative,
            admin=admin,
        )

    async def _record(self, row: db.ImageRow, hold: Hold | None, admin: bool, offer: Offer) -> None:
        """``_record_now`` in a thread. A cancel waits for the transaction's outcome: a failure
        is raised (and handled as any failure); once committed, the image is paid for and kept,
        so the cancel is withdrawn and the generation ends as a success."""
        task = self._in_thread(self._record_now, row, hold, admin, offer)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            await _outlast(task)
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()

    def _record_now(self, row: db.ImageRow, hold: Hold | None, admin: bool, offer: Offer) -> None:
        """The image row, its stats and (for a priced image) the charge: one transaction."""
        now = self.clock()
        res = stats.resolution(*ASPECT_RATIOS[row.aspect_ratio])
        seconds = row.duration_ms / 1000

        def save(conn: sqlite3.Connection) -> str:
            db.insert_image(conn, row)
            stats.record(conn, offer.provider, offer.model, res, seconds, now)
            if admin:
                audit.write(
                    conn, now, "admin_generation", self.session_id,
                    {"image": row.id, "model": offer.key, "reference": row.reference,
                     "list_credits": offer.credits},
                )  # fmt: skip
            return row.id

        if hold is not None:
            self.ledger.charge(hold, save)
            return
        with ledger_db.transaction(self.ledger.conn):
            save(self.ledger.conn)
