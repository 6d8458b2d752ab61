"""Real illustrations for tests that show them: made through the real generation flow with the
offline sketch, as an admin session (no credits), with stable ids, times and durations so
snapshots do not change between runs."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from datetime import datetime

from core.bible.library import Library
from core.bible.references import VerseRef
from core.billing.limits import Limits
from core.config import Config
from core.generation.catalog import Offer
from core.generation.gallery import Illustration
from core.generation.providers.sketch import SKETCH_LABEL, SKETCH_MODEL, SketchProvider
from core.generation.service import Generator, Job
from core.generation.stats import Eta
from storage import ledger as db

SKETCH_OFFER = Offer("sketch", SKETCH_LABEL, SKETCH_MODEL, SKETCH_LABEL, 0, None, Eta(0.1, 0))


class _Ticks:
    """A timer that advances 0.125 s per reading: every sketch "takes" 0.125 s."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.125
        return self.now


def _ids(prefix: str) -> Iterator[str]:
    for n in itertools.count(1):
        yield f"{prefix}{n:0{32 - len(prefix)}d}"


async def add_sketches(
    config: Config,
    session_id: str,
    refs: list[tuple[VerseRef, str | None]],
    *,
    at: datetime,
    translation: str = "KJV",
    id_prefix: str = "5ce7c4",
) -> list[Illustration]:
    """Sketch each (verse, theme) as ``session_id`` (made admin if it is not), in order.

    The session must exist in the ledger. Ids are ``id_prefix`` then a counter, so each call
    should use its own prefix when a test adds more than once.
    """
    library = Library.open(config.paths.library_db)
    ids = _ids(id_prefix)
    made: list[Illustration] = []
    unlimited = dataclasses.replace(config, limits=Limits(generations_per_minute=10_000))
    generator = Generator.open(
        unlimited, library, session_id, clock=lambda: at,
        providers={"sketch": SketchProvider()}, new_id=lambda: next(ids), timer=_Ticks(),
    )  # fmt: skip
    try:
        with db.transaction(generator.ledger.conn):
            db.make_admin(generator.ledger.conn, session_id, at)
        for ref, theme in refs:
            made.append(await generator.generate(Job(ref, translation, SKETCH_OFFER, theme)))
    finally:
        await generator.aclose()
        library.close()
    return made
