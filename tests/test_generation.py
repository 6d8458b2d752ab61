"""The generation flow of DESIGN.md section 5 against real parts: the ledger file, the library,
the image store on disk, and stand-in OpenRouter / Images API servers on 127.0.0.1.

Every failing case must leave the same world behind: no charge, the hold released, no image row,
no file, and a sentence that says so."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from core.admin import audit
from core.bible.library import Library
from core.bible.references import VerseRef
from core.billing.limits import Limits
from core.config import Config, load_config
from core.generation.catalog import Offer
from core.generation.gallery import Gallery
from core.generation.providers.openrouter import OpenRouterProvider
from core.generation.service import GenerationError, Generator, Job
from storage import ledger as db
from tests.image_servers import GEMINI, OK_COST, PNG_B64, Behaviour, StandIn

SID = "a11ce" + "0" * 27
JOHN_3_16 = VerseRef(43, 3, 16)
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def make_config(home: Path, server: StandIn | None = None, **extra: str) -> Config:
    env = {"VERSELIGHT_HOME": str(home), **extra}
    if server is not None:
        env |= {
            "OPENROUTER_API_KEY": "sk-or-test-key",
            "VERSELIGHT_OPENROUTER_URL": server.base_url,
        }
    return load_config(env=env)


@pytest.fixture
def home(tmp_path: Path, kjv_library_file: Path, copy_lib: Callable[[Path, Path], Path]) -> Path:
    copy_lib(kjv_library_file, tmp_path / "data" / "library.sqlite")
    return tmp_path


@dataclasses.dataclass
class World:
    config: Config
    generator: Generator
    clock: Clock
    library: Library

    @property
    def conn(self) -> sqlite3.Connection:
        return self.generator.ledger.conn

    def balance(self) -> tuple[int, int]:
        row = db.get_session(self.conn, SID)
        assert row is not None
        return row.balance, row.held

    def images(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM images").fetchone()[0])

    def files(self) -> list[Path]:
        root = self.config.paths.images_dir
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []

    def holds(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT state FROM holds ORDER BY id")]

    def problems(self) -> dict[str, list[str]]:
        return {name: rows for name, rows in self.generator.ledger.verify() if rows}

    async def offer(self, key: str = f"openrouter/{GEMINI}") -> Offer:
        listed = await self.generator.offers()
        return next(o for o in listed.offers if o.key == key)

    def assert_nothing_happened(self, balance: int = 100) -> None:
        assert self.balance() == (balance, 0)
        assert self.images() == 0
        assert self.files() == []
        assert "open" not in self.holds()
        assert self.problems() == {}
        kinds = [r[0] for r in self.conn.execute("SELECT kind FROM entries")]
        assert "charge" not in kinds


async def _world(config: Config, *, credits: int = 100, admin: bool = False) -> World:
    clock = Clock()
    library = Library.open(config.paths.library_db)
    generator = Generator.open(config, library, SID, clock=clock)
    db.create_session(generator.ledger.conn, SID, clock())
    if credits:
        generator.ledger.grant(SID, credits, "test")
    if admin:
        with db.transaction(generator.ledger.conn):
            db.make_admin(generator.ledger.conn, SID, clock())
    return World(config, generator, clock, library)


@pytest.fixture
async def world(home: Path, openrouter_server: StandIn) -> AsyncIterator[World]:
    (home / "config").mkdir(exist_ok=True)
    (home / "config" / "config.toml").write_text("[images]\nmax_megabytes = 1\n")
    openrouter_server.oversize_bytes = 2 * 1024 * 1024
    w = await _world(make_config(home, openrouter_server))
    yield w
    await w.generator.aclose()
    w.library.close()


# success ----------------------------------------------------------------------------------


async def test_a_paid_generation_is_charged_once_with_the_price_shown(
    world: World, openrouter_server: StandIn
) -> None:
    offer = await world.offer()
    # 0.00003 x 1290 + 0.0000003 x 400 = 0.03882 USD, x 1.25 = 4.8525 -> 5 credits
    assert offer.credits == 5
    ready = world.generator.readiness(offer)
    assert (ready.allowed, ready.balance_after) == (True, 95)

    made = await world.generator.generate(Job(JOHN_3_16, "KJV", offer, "watercolor", "16:9"))

    assert world.balance() == (95, 0)
    assert world.holds() == ["charged"]
    charge = world.conn.execute(
        "SELECT amount, image_id, hold_id FROM entries WHERE kind = 'charge'"
    ).fetchall()
    assert charge == [(-5, made.id, 1)]
    assert world.problems() == {}
    assert made.credits == 5
    assert made.provider_cost == Decimal(OK_COST)
    assert made.path.read_bytes() == base64.b64decode(PNG_B64)
    assert made.path.relative_to(world.config.paths.images_dir).as_posix() == (
        f"{made.id[:2]}/{made.id}.png"
    )
    assert made.path.stat().st_size == made.size
    # what was asked: the verse exactly, with its neighbours as context, the theme, the ratio
    sent = [r for r in openrouter_server.requests if r.path.endswith("/chat/completions")]
    assert len(sent) == 1
    body = sent[0].body
    assert body["model"] == GEMINI
    assert body["image_config"]["aspect_ratio"] == "16:9"
    prompt = body["messages"][0]["content"]
    verse = world.library.verse("KJV", JOHN_3_16)
    before = world.library.verse("KJV", VerseRef(43, 3, 15))
    after = world.library.verse("KJV", VerseRef(43, 3, 17))
    assert verse and before and after
    assert f'"{verse.plain}"' in prompt
    assert before.plain in prompt and after.plain in prompt
    assert "watercolor" in prompt and "no text" in prompt.lower()
    assert made.verse_text == verse.plain
    assert made.prompt == prompt


async def test_every_transparency_field_is_stored(world: World) -> None:
    """DESIGN.md section 7's list, each one present, and no base64 anywhere in the database."""
    offer = await world.offer()
    made = await world.generator.generate(Job(JOHN_3_16, "KJV", offer, "woodcut"))
    row = world.conn.execute("SELECT * FROM images WHERE id = ?", (made.id,)).fetchone()
    names = [d[0] for d in world.conn.execute("SELECT * FROM images LIMIT 0").description]
    record = dict(zip(names, row, strict=True))
    for field in (
        "reference", "translation", "verse_text", "theme", "prompt", "prompt_version",
        "prompt_inputs", "provider", "model", "credits", "provider_cost", "duration_ms",
        "width", "height", "mime", "size", "sha256", "session_id", "created_at", "file",
    ):  # fmt: skip
        assert record[field] is not None, field
    assert record["reference"] == "John 3:16"
    assert record["translation"] == "KJV"
    assert record["provider"] == "openrouter"
    assert record["mime"] == "image/png"
    assert (record["width"], record["height"]) == (made.width, made.height)
    assert record["provider_cost"] == OK_COST
    assert record["session_id"] == SID
    inputs = json.loads(record["prompt_inputs"])
    assert inputs["theme"] == "woodcut" and inputs["aspect_ratio"] == "16:9"
    assert inputs["previous_text"] and inputs["next_text"]
    import hashlib

    assert record["sha256"] == hashlib.sha256(made.path.read_bytes()).hexdigest()
    dump = "\n".join(world.conn.iterdump())
    assert PNG_B64[:40] not in dump


async def test_the_first_and_last_verse_of_a_chapter_have_one_neighbour(world: World) -> None:
    offer = await world.offer()
    first = await world.generator.generate(Job(VerseRef(43, 3, 1), "KJV", offer))
    last = await world.generator.generate(Job(VerseRef(43, 3, 36), "KJV", offer))
    assert first.prompt_inputs["previous_text"] is None
    assert first.prompt_inputs["next_text"]
    assert last.prompt_inputs["next_text"] is None  # John 4:1 is not storyboard context
    assert "(chapter start)" in first.prompt and "(chapter end)" in last.prompt


async def test_model_stats_feed_the_eta(world: World) -> None:
    offer = await world.offer()
    assert world.generator.eta(offer, "16:9").count == 0
    await world.generator.generate(Job(JOHN_3_16, "KJV", offer))
    await world.generator.generate(Job(JOHN_3_16, "KJV", offer))
    eta = world.generator.eta(offer, "16:9")
    assert eta.count == 2
    durations = [
        r[0] / 1000 for r in world.conn.execute("SELECT duration_ms FROM images ORDER BY rowid")
    ]
    assert eta.seconds == pytest.approx(sum(durations) / 2, abs=0.002)
    assert world.generator.eta(offer, "1:1").count == 0  # per resolution


# failures -----------------------------------------------------------------------------------

FAILURES = [
    (Behaviour.PAYMENT_402, "payment"),
    (Behaviour.RATE_429, "rate"),
    (Behaviour.REFUSED_403, "refused"),
    (Behaviour.ERROR_BODY_200, "error body"),
    (Behaviour.NO_IMAGE, "no image"),
    (Behaviour.CONTENT_FILTER, "content filter"),
    (Behaviour.NOT_AN_IMAGE, "not an image"),
    (Behaviour.BAD_BASE64, "bad base64"),
    (Behaviour.NOT_JSON, "not json"),
    (Behaviour.OVERSIZED, "oversized"),
    (Behaviour.OVERSIZED_STREAM, "oversized stream"),
    (Behaviour.HANG_UP, "hang up"),
    (Behaviour.SERVER_503, "503"),
]


@pytest.mark.parametrize(("behaviour", "what"), FAILURES, ids=[f[1] for f in FAILURES])
async def test_a_failed_call_charges_nothing_and_saves_nothing(
    world: World, openrouter_server: StandIn, behaviour: Behaviour, what: str
) -> None:
    offer = await world.offer()
    openrouter_server.behaviour = behaviour
    openrouter_server.retry_after = "0" if behaviour is Behaviour.RATE_429 else None
    with pytest.raises(GenerationError) as caught:
        await world.generator.generate(Job(JOHN_3_16, "KJV", offer))
    message = str(caught.value)
    assert message.endswith("Nothing was charged.")
    assert "sk-or-test-key" not in message and PNG_B64[:20] not in message
    world.assert_nothing_happened()
    assert world.holds() == ["released"]


async def test_a_slow_answer_past_the_deadline_charges_nothing(
    home: Path, openrouter_server: StandIn
) -> None:
    (home / "config").mkdir(exist_ok=True)
    (home / "config" / "config.toml").write_text("[images]\ndeadline = 0.5\n")
    w = await _world(make_config(home, openrouter_server))
    try:
        offer = await w.offer()
        openrouter_server.behaviour = Behaviour.SLOW
        with pytest.raises(GenerationError) as caught:
            await w.generator.generate(Job(JOHN_3_16, "KJV", offer))
        assert "Nothing was charged." in str(caught.value)
        w.assert_nothing_happened()
    finally:
        await w.generator.aclose()
        w.library.close()


async def test_a_node_down_charges_nothing(world: World, openrouter_server: StandIn) -> None:
    offer = await world.offer()
    openrouter_server.behaviour = Behaviour.DOWN
    world.generator.providers["openrouter"] = OpenRouterProvider(
        openrouter_server.base_url, "sk-or-test-key"
    )  # the down URL is a closed port
    with pytest.raises(GenerationError):
        await world.generator.generate(Job(JOHN_3_16, "KJV", offer))
    world.assert_nothing_happened()


async def test_a_cancel_mid_call_releases_the_hold(
    world: World, openrouter_server: StandIn
) -> None:
    offer = await world.offer()
    openrouter_server.behaviour = Behaviour.SLOW
    openrouter_server.started.clear()
    task = asyncio.create_task(world.generator.generate(Job(JOHN_3_16, "KJV", offer)))
    assert await asyncio.to_thread(openrouter_server.started.wait, 10)
    assert world.balance() == (100, 5)  # held while the call is in flight
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    world.assert_nothing_happened()
    assert world.holds() == ["released"]


async def test_a_hold_released_during_the_call_discards_the_image(
    world: World, openrouter_server: StandIn
) -> None:
    """Another process released the hold (a sweep) while the provider worked: the image is
    thrown away and nothing is charged, even though the provider answered."""
    offer = await world.offer()
    openrouter_server.behaviour = Behaviour.SLOW
    openrouter_server.started.clear()
    task = asyncio.create_task(world.generator.generate(Job(JOHN_3_16, "KJV", offer)))
    assert await asyncio.to_thread(openrouter_server.started.wait, 10)
    other = sqlite3.connect(world.config.paths.ledger_db, isolation_level=None)
    other.execute("UPDATE holds SET state = 'released', closed_at = 'x' WHERE state = 'open'")
    other.close()
    openrouter_server.release.set()
    with pytest.raises(GenerationError) as caught:
        await task
    assert "released before it finished" in str(caught.value)
    assert "discarded" in str(caught.value)
    world.assert_nothing_happened()


async def test_a_database_that_refuses_the_row_discards_the_image(world: World) -> None:
    offer = await world.offer()
    world.conn.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON images BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
    )
    with pytest.raises(GenerationError) as caught:
        await world.generator.generate(Job(JOHN_3_16, "KJV", offer))
    assert "could not be recorded" in str(caught.value)
    assert "Nothing was charged." in str(caught.value)
    world.assert_nothing_happened()
    assert world.holds() == ["released"]


# who may generate ---------------------------------------------------------------------------


async def test_a_free_session_cannot_generate(home: Path, openrouter_server: StandIn) -> None:
    w = await _world(make_config(home, openrouter_server), credits=0)
    try:
        offer = await w.offer()
        sketch = await w.offer("sketch/offline-sketch")
        for choice in (offer, sketch):
            ready = w.generator.readiness(choice)
            assert not ready.allowed and "needs credits" in (ready.reason or "")
            with pytest.raises(GenerationError):
                await w.generator.generate(Job(JOHN_3_16, "KJV", choice))
        assert [r.path for r in openrouter_server.requests if "chat" in r.path] == []
        w.assert_nothing_happened(balance=0)
    finally:
        await w.generator.aclose()
        w.library.close()


async def test_too_few_credits_says_how_many_are_missing(
    home: Path, openrouter_server: StandIn
) -> None:
    w = await _world(make_config(home, openrouter_server), credits=3)
    try:
        offer = await w.offer()
        ready = w.generator.readiness(offer)
        assert (ready.allowed, ready.missing) == (False, 2)
        assert "2 more needed" in (ready.reason or "")
        with pytest.raises(GenerationError, match="2 more needed"):
            await w.generator.generate(Job(JOHN_3_16, "KJV", offer))
        assert openrouter_server.count == 1  # only the model list
        w.assert_nothing_happened(balance=3)
    finally:
        await w.generator.aclose()
        w.library.close()


async def test_admin_generates_without_credits_and_is_audited(
    home: Path, openrouter_server: StandIn
) -> None:
    w = await _world(make_config(home, openrouter_server), credits=0, admin=True)
    try:
        offer = await w.offer()
        ready = w.generator.readiness(offer)
        assert ready.allowed and ready.balance_after == 0
        made = await w.generator.generate(Job(JOHN_3_16, "KJV", offer))
        assert made.admin and made.credits == 0
        assert w.balance() == (0, 0)
        assert w.holds() == []
        entries = audit.entries(w.generator.ledger)
        assert entries[0].event == "admin_generation"
        assert entries[0].detail["image"] == made.id
        assert entries[0].detail["list_credits"] == 5
        assert w.problems() == {}
    finally:
        await w.generator.aclose()
        w.library.close()


async def test_the_sketch_costs_nothing_and_says_what_it_is(world: World) -> None:
    sketch = await world.offer("sketch/offline-sketch")
    assert sketch.credits == 0 and sketch.name == "Offline sketch (procedural, not AI)"
    made = await world.generator.generate(Job(JOHN_3_16, "KJV", sketch))
    assert made.is_sketch and made.made_by == "Offline sketch (procedural, not AI)"
    assert made.provider_cost == Decimal(0)
    assert world.balance() == (100, 0)
    assert (made.width, made.height) == (1024, 576)
    assert world.problems() == {}


async def test_the_rate_limit_counts_every_generation(
    home: Path, openrouter_server: StandIn
) -> None:
    config = dataclasses.replace(make_config(home, openrouter_server), limits=Limits(2, 10, 500))
    w = await _world(config)
    try:
        offer = await w.offer()
        sketch = await w.offer("sketch/offline-sketch")
        await w.generator.generate(Job(JOHN_3_16, "KJV", offer))
        await w.generator.generate(Job(JOHN_3_16, "KJV", sketch))
        with pytest.raises(GenerationError, match="at most 2 a minute"):
            await w.generator.generate(Job(JOHN_3_16, "KJV", offer))
        assert w.balance() == (95, 0)
        w.clock.now += timedelta(minutes=1, seconds=1)
        await w.generator.generate(Job(JOHN_3_16, "KJV", offer))
        assert w.balance() == (90, 0)
    finally:
        await w.generator.aclose()
        w.library.close()


async def test_the_daily_cap_applies(home: Path, openrouter_server: StandIn) -> None:
    config = dataclasses.replace(make_config(home, openrouter_server), limits=Limits(5, 10, 8))
    w = await _world(config)
    try:
        offer = await w.offer()
        await w.generator.generate(Job(JOHN_3_16, "KJV", offer))
        ready = w.generator.readiness(offer)  # the dialog knows before anything is held
        assert not ready.allowed and "today's limit of 8 credits" in (ready.reason or "")
        with pytest.raises(GenerationError, match="today's limit of 8 credits"):
            await w.generator.generate(Job(JOHN_3_16, "KJV", offer))
        assert w.balance() == (95, 0)
    finally:
        await w.generator.aclose()
        w.library.close()


# models and prices ---------------------------------------------------------------------------


async def test_the_model_list_is_fetched_once_a_day(
    world: World, openrouter_server: StandIn
) -> None:
    first = await world.generator.offers()
    again = await world.generator.offers()
    lists = [r for r in openrouter_server.requests if r.path.startswith("/api/v1/models")]
    assert len(lists) == 1
    assert lists[0].path == "/api/v1/models?output_modalities=image"
    assert [o.key for o in first.offers] == [o.key for o in again.offers]
    assert first.offers[0].key == f"openrouter/{GEMINI}"  # the default first
    assert first.offers[-1].is_sketch  # the sketch last
    world.clock.now += timedelta(days=1, seconds=1)
    await world.generator.offers()
    assert len([r for r in openrouter_server.requests if "/models" in r.path]) == 2


async def test_an_unreachable_model_list_falls_back_to_the_cached_one(
    world: World, openrouter_server: StandIn
) -> None:
    await world.generator.offers()
    world.clock.now += timedelta(days=2)
    openrouter_server.behaviour = Behaviour.SERVER_503
    listed = await world.generator.offers()
    assert any(o.key == f"openrouter/{GEMINI}" for o in listed.offers)
    assert listed.notices == ["OpenRouter's model list could not be refreshed; using the last one."]


async def test_with_no_list_and_no_cache_only_the_sketch_is_offered(
    world: World, openrouter_server: StandIn
) -> None:
    openrouter_server.behaviour = Behaviour.SERVER_503
    listed = await world.generator.offers()
    assert [o.key for o in listed.offers] == ["sketch/offline-sketch"]
    assert listed.notices and listed.notices[0].startswith(
        "OpenRouter's models could not be listed"
    )


async def test_unpriced_models_are_refused_and_pins_price_them(
    world: World, openrouter_server: StandIn
) -> None:
    listed = await world.generator.offers()
    unpriced = [o for o in listed.offers if o.credits is None]
    assert unpriced and all("has no listed price" in (o.refusal or "") for o in unpriced)
    ready = world.generator.readiness(unpriced[0])
    assert not ready.allowed
    with pytest.raises(GenerationError, match="no listed price"):
        await world.generator.generate(Job(JOHN_3_16, "KJV", unpriced[0]))
    world.assert_nothing_happened()


async def test_an_images_api_model_needs_a_pin_and_then_works(
    home: Path, images_server: StandIn
) -> None:
    env = {
        "VERSELIGHT_IMAGES_URL": images_server.base_url,
        "VERSELIGHT_IMAGES_KEY": "sk-img-key",
        "VERSELIGHT_IMAGES_MODELS": "gpt-image-1,dall-e-3",
    }
    (home / "config").mkdir(exist_ok=True)
    (home / "config" / "config.toml").write_text('[images.prices]\n"openai/gpt-image-1" = 7\n')
    w = await _world(make_config(home, None, **env))
    try:
        listed = await w.generator.offers()
        by_key = {o.key: o for o in listed.offers}
        assert by_key["openai/gpt-image-1"].credits == 7
        assert by_key["openai/dall-e-3"].credits is None
        made = await w.generator.generate(Job(JOHN_3_16, "KJV", by_key["openai/gpt-image-1"]))
        assert made.credits == 7 and made.provider == "openai"
        assert made.provider_cost is None
        assert w.balance() == (93, 0)
        assert images_server.requests[-1].headers["authorization"] == "Bearer sk-img-key"
        assert w.problems() == {}
    finally:
        await w.generator.aclose()
        w.library.close()


# the gallery and the store --------------------------------------------------------------------


async def test_the_gallery_lists_newest_first_and_marks(world: World) -> None:
    offer = await world.offer()
    sketch = await world.offer("sketch/offline-sketch")
    a = await world.generator.generate(Job(JOHN_3_16, "KJV", offer))
    world.clock.now += timedelta(seconds=5)
    b = await world.generator.generate(Job(JOHN_3_16, "KJV", sketch))
    await world.generator.generate(Job(VerseRef(19, 23, 1), "KJV", sketch))
    gallery = Gallery.open(world.config)
    try:
        assert [i.id for i in gallery.for_verse(JOHN_3_16)] == [b.id, a.id]
        assert gallery.verse_counts(43, 3) == {16: 2}
        assert gallery.illustrated_chapters(43) == {3}
        assert gallery.illustrated_books() == {19, 43}
        assert gallery.get(a.id[:8]) == a
        assert gallery.check_files().clean
    finally:
        gallery.close()


async def test_the_start_check_reports_files_without_rows_and_rows_without_files(
    world: World,
) -> None:
    sketch = await world.offer("sketch/offline-sketch")
    kept = await world.generator.generate(Job(JOHN_3_16, "KJV", sketch))
    lost = await world.generator.generate(Job(VerseRef(43, 3, 17), "KJV", sketch))
    lost.path.unlink()
    stray = world.config.paths.images_dir / "ab" / ("ab" + "0" * 30 + ".png")
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(kept.path.read_bytes())
    gallery = Gallery(world.conn, world.generator.store)
    # A file this young may be another process's generation between its file and its row.
    young = gallery.check_files()
    assert young.files_without_rows == [] and young.rows_without_files == [lost.id]
    hour_ago = time.time() - 3600
    os.utime(stray, (hour_ago, hour_ago))
    temp = stray.with_name(".tmp-abandoned")
    temp.write_bytes(b"half an image")
    os.utime(temp, (hour_ago, hour_ago))
    check = gallery.check_files()
    assert check.files_without_rows == [stray]
    assert check.temp_files == [temp]
    assert check.rows_without_files == [lost.id]
    sentences = check.sentences()
    assert "2 image file(s) with no record" in sentences[0]
    assert lost.id[:8] in sentences[1]


def test_an_image_file_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    from core.generation.store import TEMP_PREFIX, write_atomic

    target = tmp_path / "ab" / "image.png"
    write_atomic(target, b"first")
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["image.png"]

    # A rename that fails (the name is taken by a folder) leaves no temporary file behind.
    blocked = target.parent / "taken.png"
    blocked.mkdir()
    with pytest.raises(OSError):
        write_atomic(blocked, b"third")
    assert sorted(p.name for p in target.parent.iterdir()) == ["image.png", "taken.png"]
    assert not any(p.name.startswith(TEMP_PREFIX) for p in target.parent.iterdir())


async def test_with_no_ai_service_configured_the_dialog_is_told_why(home: Path) -> None:
    w = await _world(make_config(home))
    try:
        listed = await w.generator.offers()
        assert [o.key for o in listed.offers] == ["sketch/offline-sketch"]
        assert listed.notices == [
            "No AI image service is set up here (OPENROUTER_API_KEY or VERSELIGHT_IMAGES_URL), "
            "so only the offline sketch is offered."
        ]
    finally:
        await w.generator.aclose()
        w.library.close()


async def test_an_unexpected_failure_while_recording_keeps_nothing_and_holds_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a database error but a bug (here, in the stats): the file goes, the hold is released."""
    from core.generation import stats

    offer = await world.offer()

    def broken(*_: object) -> None:
        raise ValueError("a bug")

    monkeypatch.setattr(stats, "record", broken)
    with pytest.raises(ValueError, match="a bug"):
        await world.generator.generate(Job(JOHN_3_16, "KJV", offer))
    world.assert_nothing_happened()
    assert world.holds() == ["released"]


async def test_a_cancel_while_the_file_is_written_leaves_no_file(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write runs in a thread; a cancel that lands during it must not leave the file."""
    import threading

    offer = await world.offer()
    writing, finish = threading.Event(), threading.Event()
    real_write = world.generator.store.write

    def slow_write(relative: str, data: bytes) -> Path:
        writing.set()
        assert finish.wait(10)
        return real_write(relative, data)

    monkeypatch.setattr(world.generator.store, "write", slow_write)
    task = asyncio.create_task(world.generator.generate(Job(JOHN_3_16, "KJV", offer)))
    assert await asyncio.to_thread(writing.wait, 10)
    task.cancel()  # lands while the thread is still writing
    finish.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    world.assert_nothing_happened()
    assert world.holds() == ["released"]


async def test_an_image_only_model_is_asked_for_images_only(
    home: Path, openrouter_server: StandIn
) -> None:
    """OpenRouter lists what each model answers with; an image-only model refuses a request
    for text too, so the modalities follow the listing (through the day's cache)."""
    (home / "config").mkdir(exist_ok=True)
    (home / "config" / "config.toml").write_text(
        '[images.prices]\n"openrouter/example/unpriced-image" = 3\n'
    )
    w = await _world(make_config(home, openrouter_server))
    try:
        image_only = await w.offer("openrouter/example/unpriced-image")
        gemini = await w.offer()  # from the cache this time
        assert image_only.modalities == ("image",)
        assert gemini.modalities == ("image", "text")
        await w.generator.generate(Job(JOHN_3_16, "KJV", image_only))
        await w.generator.generate(Job(JOHN_3_16, "KJV", gemini))
        sent = [r.body for r in openrouter_server.requests if r.path.endswith("/completions")]
        assert [b["modalities"] for b in sent] == [["image"], ["image", "text"]]
        assert all(b["image_config"] == {"aspect_ratio": "16:9", "image_size": "1K"} for b in sent)
        assert w.balance() == (92, 0)
    finally:
        await w.generator.aclose()
        w.library.close()


@pytest.mark.parametrize(
    "body",
    ['{"not": "a list"}', "[[1, 2]]", '[["m", "n", "abc", ["image"]]]', "not json",
     '[["m", "n", "-1", ["image"]]]'],
)  # fmt: skip
async def test_a_damaged_cached_model_list_is_fetched_again(
    world: World, openrouter_server: StandIn, body: str
) -> None:
    await world.generator.offers()
    world.conn.execute("UPDATE model_lists SET body = ?", (body,))
    listed = await world.generator.offers()
    assert any(o.key == f"openrouter/{GEMINI}" for o in listed.offers)
    assert listed.notices == []
    assert len([r for r in openrouter_server.requests if "/models" in r.path]) == 2


async def test_a_cached_list_from_the_future_is_not_trusted_forever(
    world: World, openrouter_server: StandIn
) -> None:
    await world.generator.offers()
    world.conn.execute("UPDATE model_lists SET fetched_at = '2099-01-01T00:00:00.000000+00:00'")
    await world.generator.offers()
    assert len([r for r in openrouter_server.requests if "/models" in r.path]) == 2


async def test_a_cancel_while_the_hold_waits_for_the_lock_still_releases_it(
    world: World, openrouter_server: StandIn
) -> None:
    """The hold is placed in a thread; another connection holds the write lock, the cancel
    lands while the thread waits for it, and only then is the lock let go. The hold placed
    after the cancel must be found and released, and the provider never asked."""
    import threading

    offer = await world.offer()
    attempting = threading.Event()

    def trace(statement: str) -> None:
        if statement.startswith("BEGIN IMMEDIATE"):
            attempting.set()

    blocker = sqlite3.connect(world.config.paths.ledger_db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    world.conn.set_trace_callback(trace)
    openrouter_server.started.clear()
    task = asyncio.create_task(world.generator.generate(Job(JOHN_3_16, "KJV", offer)))
    assert await asyncio.to_thread(attempting.wait, 10)  # the thread waits for the lock
    task.cancel()
    blocker.execute("COMMIT")  # now the hold can be placed, after the cancel arrived
    blocker.close()
    with pytest.raises(asyncio.CancelledError):
        await task
    world.conn.set_trace_callback(None)
    world.assert_nothing_happened()
    assert world.holds() == ["released"]  # it was placed, and then given back
    assert not openrouter_server.started.is_set()


async def test_the_event_loop_runs_while_the_ledger_waits_for_its_lock(world: World) -> None:
    """Placing the hold waits for the lock in a thread: the loop goes on meanwhile."""
    import threading

    offer = await world.offer()
    attempting = threading.Event()
    world.conn.set_trace_callback(
        lambda statement: attempting.set() if statement.startswith("BEGIN IMMEDIATE") else None
    )
    blocker = sqlite3.connect(world.config.paths.ledger_db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    task = asyncio.create_task(world.generator.generate(Job(JOHN_3_16, "KJV", offer)))
    assert await asyncio.to_thread(attempting.wait, 10)
    ran = asyncio.Event()
    asyncio.get_running_loop().call_soon(ran.set)
    await ran.wait()  # the loop turned while the hold still waits
    assert not task.done()
    assert world.holds() == []
    blocker.execute("COMMIT")
    blocker.close()
    illustration = await task
    world.conn.set_trace_callback(None)
    assert illustration.credits == offer.credits
    assert world.holds() == ["charged"]


async def test_closing_while_a_generation_waits_for_the_ledger_releases_its_hold(
    world: World, openrouter_server: StandIn
) -> None:
    """The app closes while a generation's hold is being placed in a thread: closing waits
    for that thread (never closing the connection under it), stops the generation, and the
    hold comes back; the provider is never asked."""
    import threading

    offer = await world.offer()
    attempting = threading.Event()
    world.conn.set_trace_callback(
        lambda statement: attempting.set() if statement.startswith("BEGIN IMMEDIATE") else None
    )
    blocker = sqlite3.connect(world.config.paths.ledger_db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    openrouter_server.started.clear()
    task = asyncio.create_task(world.generator.generate(Job(JOHN_3_16, "KJV", offer)))
    assert await asyncio.to_thread(attempting.wait, 10)
    closing = asyncio.create_task(world.generator.aclose())
    ran = asyncio.Event()
    asyncio.get_running_loop().call_soon(ran.set)
    await ran.wait()
    assert not closing.done()  # waiting for the thread that waits for the lock
    blocker.execute("COMMIT")
    blocker.close()
    await closing
    with pytest.raises(asyncio.CancelledError):
        await task
    check = sqlite3.connect(world.config.paths.ledger_db)
    try:
        states = [r[0] for r in check.execute("SELECT state FROM holds ORDER BY id")]
        (balance,) = check.execute("SELECT balance FROM sessions").fetchone()
    finally:
        check.close()
    assert states == ["released"]
    assert balance == 100
    assert not openrouter_server.started.is_set()
