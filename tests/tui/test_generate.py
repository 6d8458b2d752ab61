"""The generate dialog through the real app: the real ledger, the real generation flow and the
OpenRouter stand-in on 127.0.0.1 (no mocks between the key press and the socket).

Every test checks the money afterwards with a ledger of its own: the balance moved by exactly
the price shown (or not at all), no hold is left open, and ``Ledger.verify`` finds nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import Button, OptionList, ProgressBar, Select

from core.admin import audit
from core.billing.ledger import Ledger
from core.config import Config, load_config
from core.generation.gallery import Gallery
from core.generation.providers.sketch import SKETCH_LABEL
from storage import ledger as db
from tests.clock import ManualClock
from tests.image_servers import Behaviour, StandIn
from tests.tui.helpers import KNOWN_SID, SNAPSHOT_TIME, settle, toasts, wait_for
from tui.app import VerselightApp, make_app
from tui.generate_text import elapsed_text, fill
from tui.screens.buy_credits import BuyCreditsScreen
from tui.screens.generate import GenerateScreen
from tui.screens.reader import ReaderScreen
from tui.widgets.credits_badge import CreditsBadge
from tui.widgets.image_pane import ImagePane

JOHN_3_16 = "John 3:16"


@pytest.fixture
def images_config(
    home: Path, openrouter_server: StandIn, monkeypatch: pytest.MonkeyPatch
) -> Config:
    """OpenRouter pointed at the stand-in (set before the config is read); no Lightning node,
    so buying is unavailable, as on a machine without LND settings."""
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-test-key")
    monkeypatch.setenv("VERSELIGHT_OPENROUTER_URL", openrouter_server.base_url)
    for name in ("VERSELIGHT_LND_HOST", "VERSELIGHT_LND_TLS_CERT", "VERSELIGHT_LND_MACAROON"):
        monkeypatch.delenv(name, raising=False)
    return load_config()


@pytest.fixture
def session(known_session: Callable[[], Ledger]) -> Iterator[Callable[..., None]]:
    """Set the known session's credits (and admin flag) before the app starts."""

    def prepare(credits: int = 0, *, admin: bool = False) -> None:
        ledger = known_session()
        try:
            if credits:
                ledger.grant(KNOWN_SID, credits, "test")
            if admin:
                with db.transaction(ledger.conn):
                    db.make_admin(ledger.conn, KNOWN_SID, SNAPSHOT_TIME)
        finally:
            ledger.close()

    yield prepare


@pytest.fixture
def ledger(images_config: Config) -> Iterator[Callable[[], Ledger]]:
    """Open a fresh ledger on this home's database (for checks after the app has run)."""
    opened: list[Ledger] = []

    def open_ledger() -> Ledger:
        opened.append(Ledger.open(images_config.paths.ledger_db))
        return opened[-1]

    yield open_ledger
    for each in opened:
        each.close()


def new_app(config: Config) -> VerselightApp:
    return make_app(config, JOHN_3_16, clock=ManualClock(SNAPSHOT_TIME))


async def open_dialog(pilot) -> GenerateScreen:
    await settle(pilot)
    await pilot.press("i")
    screen = pilot.app.screen
    assert isinstance(screen, GenerateScreen)
    await wait_for(pilot, lambda: screen.state != "loading", "the models")
    await settle(pilot)
    return screen


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


def image_calls(server: StandIn) -> int:
    return sum(1 for r in server.requests if r.path.endswith("/chat/completions"))


def image_files(config: Config) -> list[Path]:
    folder = config.paths.images_dir
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def assert_books_clean(ledger: Ledger, balance: int) -> None:
    assert ledger.balance(KNOWN_SID).balance == balance
    assert ledger.balance(KNOWN_SID).held == 0
    assert ledger.open_holds(KNOWN_SID) == []
    assert [name for name, rows in ledger.verify() if rows] == []


async def press_generate(pilot, screen: GenerateScreen) -> None:
    """Focus the Generate button and press Enter on it: the only way a job starts."""
    start = screen.query_one("#start", Button)
    assert start.display and not start.disabled
    start.focus()
    await pilot.press("enter")


# free ----------------------------------------------------------------------------------------


async def test_free_session_explains_credits_and_buy_opens_buying(images_config, session):
    session(0)
    app = new_app(images_config)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dialog(pilot)
        assert screen.state == "free"
        said = text(screen, "#free-text")
        assert "Reading and looking at illustrations are free." in said
        assert "$3 buys 300 credits" in said and "Lightning" in said
        assert "costs 5 credits" in said
        # Nothing on this state can start a generation.
        shown = [b.id for b in screen.query_one("#free").query(Button)]
        assert shown == ["free-buy", "free-close"]

        await pilot.click("#free-buy")
        await settle(pilot)
        # No LND is configured: the buy dialog opens in its unavailable state and says why.
        assert isinstance(app.screen, BuyCreditsScreen)
        assert app.screen.state == "unavailable"
        assert text(app.screen, "#unavailable-text")


async def test_free_session_close_goes_back_to_the_reader(images_config, session):
    session(0)
    app = new_app(images_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dialog(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)


# too few credits -----------------------------------------------------------------------------


async def test_too_few_credits_says_how_many_more_and_offers_buying(
    images_config, session, openrouter_server, ledger
):
    session(3)
    app = new_app(images_config)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dialog(pilot)
        assert screen.state == "pick"
        assert screen.chosen is not None and screen.chosen.credits == 5
        assert "needs 5 credits, you have 3 available: 2 more needed" in text(screen, "#balance")
        assert not screen.query_one("#start", Button).display
        assert screen.query_one("#pick-buy", Button).display

        # Enter on the model list moves to the button; it starts nothing.
        await pilot.press("enter")
        await settle(pilot)
        assert screen.focused is screen.query_one("#pick-buy", Button)
        assert image_calls(openrouter_server) == 0

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BuyCreditsScreen)
    assert_books_clean(ledger(), 3)


async def test_credits_held_by_a_generation_elsewhere_say_so_not_buy_more(
    images_config, session, known_session, openrouter_server, ledger
):
    session(5)
    # Another terminal on the same session is making an image: its hold is live (its process,
    # here the test's own, is running), so the app at start leaves it alone.
    elsewhere = known_session()
    hold = elsewhere.place_hold(KNOWN_SID, 5)
    app = new_app(images_config)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dialog(pilot)
        chosen = screen.chosen
        assert screen.state == "pick" and chosen is not None and chosen.credits == 5
        said = text(screen, "#balance")
        assert said.startswith("5 of your 5 credits are held by an illustration still being made")
        assert "can start once that one finishes" in said
        assert "more needed" not in said and "sketch is free" not in said
        start = screen.query_one("#start", Button)
        assert start.display and start.disabled
        assert not screen.query_one("#pick-buy", Button).display
        assert image_calls(openrouter_server) == 0
    elsewhere.release(hold)
    elsewhere.close()
    assert_books_clean(ledger(), 5)


# enough credits ------------------------------------------------------------------------------


async def test_generate_with_the_default_model_charges_the_price_shown(
    images_config, session, openrouter_server, ledger
):
    session(300)
    app = new_app(images_config)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await open_dialog(pilot)
        offer = screen.chosen
        assert offer is not None and offer.key == "openrouter/google/gemini-2.5-flash-image"
        price = offer.credits
        assert price == 5
        assert "5 credits, about 20 s (estimate)." in text(screen, "#summary")
        assert text(screen, "#balance") == "Balance after this image: 295 credits"
        assert "For God so loved the world" in text(screen, "#verse")

        # Choosing a model (Enter on the list) only moves to Generate.
        await pilot.press("enter")
        await settle(pilot)
        assert screen.focused is screen.query_one("#start", Button)
        assert screen.state == "pick" and image_calls(openrouter_server) == 0

        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen), "the reader")
        await settle(pilot)
        assert image_calls(openrouter_server) == 1
        messages = toasts(app)
        assert "Illustration saved for John 3:16: 5 credits." in messages
        pane = app.screen.query_one(ImagePane)

        books = ledger()
        images = Gallery.open(images_config)
        try:
            saved = images.for_verse(screen.ref)
            assert [i.credits for i in saved] == [price]
            assert saved[0].provider == "openrouter" and not saved[0].admin
            assert saved[0].path.is_file()
            assert pane.key == saved[0].id
        finally:
            images.close()
        assert_books_clean(books, 300 - price)
        charges = [e for e in books.history(KNOWN_SID) if e.kind == "charge"]
        assert [e.amount for e in charges] == [-price]
        assert [e.image_id for e in charges] == [saved[0].id]


async def test_the_sketch_is_free_for_a_paid_session_and_labelled(
    images_config, session, openrouter_server, ledger
):
    session(3)
    app = new_app(images_config)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_dialog(pilot)
        await pilot.press("down")
        await settle(pilot)
        offer = screen.chosen
        assert offer is not None and offer.is_sketch and offer.name == SKETCH_LABEL
        option = screen.query_one("#models", OptionList).get_option_at_index(1)
        assert option.id == offer.key
        assert "free" in text(screen, "#summary")
        assert text(screen, "#balance") == "Balance after this image: 3 credits"

        await press_generate(pilot, screen)
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen), "the reader")
        toast = "Offline sketch saved for John 3:16: free."
        await wait_for(pilot, lambda: toast in toasts(app), "the saved toast")
    assert image_calls(openrouter_server) == 0
    images = Gallery.open(images_config)
    try:
        [saved] = images.for_verse(screen.ref)
        assert saved.credits == 0 and saved.made_by == SKETCH_LABEL
    finally:
        images.close()
    assert_books_clean(ledger(), 3)


async def test_an_admin_sketch_is_named_an_offline_sketch(
    images_config, session, openrouter_server, ledger
):
    session(0, admin=True)
    app = new_app(images_config)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_dialog(pilot)
        await pilot.press("down")
        await settle(pilot)
        assert screen.chosen is not None and screen.chosen.is_sketch
        await press_generate(pilot, screen)
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen), "the reader")
        toast = "Offline sketch saved for John 3:16: admin, no credits used (audited)."
        await wait_for(pilot, lambda: toast in toasts(app), "the saved toast")
    assert image_calls(openrouter_server) == 0
    assert_books_clean(ledger(), 0)


async def test_admin_generates_without_credits_and_is_audited(
    images_config, session, openrouter_server, ledger
):
    session(0, admin=True)
    app = new_app(images_config)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_dialog(pilot)
        assert screen.state == "pick"
        assert text(screen, "#balance") == (
            "Admin: no credits are used; this is written to the audit log."
        )
        await press_generate(pilot, screen)
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen), "the reader")
        toast = "Illustration saved for John 3:16: admin, no credits used (audited)."
        await wait_for(pilot, lambda: toast in toasts(app), "the saved toast")
    books = ledger()
    assert_books_clean(books, 0)
    assert [e for e in books.history(KNOWN_SID) if e.kind == "charge"] == []
    [entry] = [e for e in audit.entries(books) if e.event == "admin_generation"]
    images = Gallery.open(images_config)
    try:
        [saved] = images.for_verse(screen.ref)
    finally:
        images.close()
    assert saved.admin and entry.detail["image"] == saved.id
    assert entry.session_id == KNOWN_SID


# failures and cancelling ---------------------------------------------------------------------


async def test_provider_refusal_shows_the_sentence_and_charges_nothing(
    images_config, session, openrouter_server, ledger
):
    session(300)
    app = new_app(images_config)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dialog(pilot)
        openrouter_server.behaviour = Behaviour.PAYMENT_402
        await press_generate(pilot, screen)
        await wait_for(pilot, lambda: screen.state == "error", "the error")
        said = text(screen, "#error-text")
        assert "HTTP 402" in said and said.endswith("Nothing was charged.")
        assert text(screen, "#error-balance") == "Your balance is 300 credits, as before."
        assert_books_clean(ledger(), 300)
        assert image_files(images_config) == []
        images = Gallery.open(images_config)
        try:
            assert images.for_verse(screen.ref) == []
        finally:
            images.close()

        # Try again once the provider is back: the same job, one more explicit press.
        openrouter_server.behaviour = Behaviour.OK
        assert screen.focused is screen.query_one("#retry", Button)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen), "the reader")
    assert_books_clean(ledger(), 295)
    assert len(image_files(images_config)) == 1


async def test_other_model_after_a_failure_goes_back_to_the_list(
    images_config, session, openrouter_server
):
    session(300)
    app = new_app(images_config)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dialog(pilot)
        openrouter_server.behaviour = Behaviour.SERVER_503
        await press_generate(pilot, screen)
        await wait_for(pilot, lambda: screen.state == "error", "the error")
        await pilot.click("#other")
        await settle(pilot)
        assert screen.state == "pick"
        assert text(screen, "#balance") == "Balance after this image: 295 credits"


def slow_from_now(server: StandIn) -> None:
    """Make the next image call wait for ``release``; the model list was already fetched (its
    GET is also a request, so ``started`` is cleared to mean the image call)."""
    server.behaviour = Behaviour.SLOW
    server.started.clear()


@pytest.mark.parametrize("key", ["escape", "c"])
async def test_cancel_mid_call_releases_the_hold_and_saves_nothing(
    images_config, session, openrouter_server, ledger, key
):
    session(300)
    app = new_app(images_config)
    try:
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            screen = await open_dialog(pilot)
            slow_from_now(openrouter_server)
            await press_generate(pilot, screen)
            assert await asyncio.to_thread(openrouter_server.started.wait, 5)
            await settle_ui(pilot)
            assert screen.state == "progress"
            held = ledger().balance(KNOWN_SID)
            assert (held.balance, held.held) == (300, 5)

            await pilot.press(key)
            await wait_for(pilot, lambda: screen.state == "pick", "the cancel")
            assert "Cancelled. Nothing was charged." in toasts(app)
            assert_books_clean(ledger(), 300)
            assert text(screen, "#balance") == "Balance after this image: 295 credits"
            # A second Escape closes the dialog.
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, ReaderScreen)
    finally:
        openrouter_server.release.set()
    assert_books_clean(ledger(), 300)
    assert image_files(images_config) == []
    assert image_calls(openrouter_server) == 1


async def settle_ui(pilot) -> None:
    """Let pending messages run (the generation worker stays busy, so no workers wait)."""
    await pilot.pause()
    await pilot.pause()


class SteppedTimer:
    """The dialog's elapsed-time source, moved by the test."""

    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


async def test_progress_fills_against_the_eta_and_never_claims_done(
    images_config, session, openrouter_server, monkeypatch
):
    session(300)
    timer = SteppedTimer()
    monkeypatch.setattr(GenerateScreen, "timer", staticmethod(timer))
    app = new_app(images_config)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_dialog(pilot)
            slow_from_now(openrouter_server)
            await press_generate(pilot, screen)
            assert await asyncio.to_thread(openrouter_server.started.wait, 5)
            await settle_ui(pilot)
            bar = screen.query_one("#bar", ProgressBar)
            assert "Google: Gemini 2.5 Flash Image" in text(screen, "#progress-model")
            assert "5 credits are held" in text(screen, "#progress-note")
            assert text(screen, "#elapsed") == "0 s of about 20 s"
            assert bar.progress == 0

            timer.now += 10
            await wait_for(pilot, lambda: "10 s of" in text(screen, "#elapsed"), "a tick")
            assert text(screen, "#elapsed") == "10 s of about 20 s"
            assert bar.progress == pytest.approx(47.5)

            timer.now += 30
            await wait_for(pilot, lambda: "40 s" in text(screen, "#elapsed"), "a tick")
            assert "longer than the usual 20 s" in text(screen, "#elapsed")
            assert bar.progress == pytest.approx(95)

            openrouter_server.release.set()
            await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen), "the image")
    finally:
        openrouter_server.release.set()


async def test_eta_follows_the_aspect_ratio(images_config, session, openrouter_server):
    """After one 16:9 image the 16:9 ETA is measured; 1:1 is still the provider's estimate."""
    session(300)
    app = new_app(images_config)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_dialog(pilot)
        await press_generate(pilot, screen)
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen), "the reader")
        screen = await open_dialog(pilot)
        assert "about 1 s." in text(screen, "#summary")
        assert "estimate" not in text(screen, "#summary")
        screen.query_one("#aspect", Select).value = "1:1"
        await settle(pilot)
        assert "about 20 s (estimate)." in text(screen, "#summary")


def test_wording_helpers():
    from core.generation.stats import Eta

    assert elapsed_text(12.7, Eta(20, 0)) == "12 s of about 20 s"
    assert fill(100, Eta(20, 3)) == 95
    assert fill(5, Eta(20, 3)) == pytest.approx(23.75)


async def test_without_an_ai_service_only_the_sketch_is_offered_and_it_says_why(
    home, session, monkeypatch
):
    for name in ("OPENROUTER_API_KEY", "VERSELIGHT_IMAGES_URL"):
        monkeypatch.delenv(name, raising=False)
    session(3)
    app = new_app(load_config())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dialog(pilot)
        assert [o.name for o in screen.offers] == [SKETCH_LABEL]
        assert "No AI image service is set up here" in text(screen, "#pick .notices")
        assert text(screen, "#balance") == "Balance after this image: 3 credits"


# robustness: another screen on top, an unreadable ledger ------------------------------------


async def test_an_image_arriving_under_the_command_palette_closes_the_dialog_once(
    images_config, session, openrouter_server, ledger
):
    """``dismiss`` pops the top screen: finishing under the palette used to close the palette
    and leave the dialog in progress for good. Now the palette stays, the dialog says the image
    is saved, and closing the palette closes the dialog with the illustration."""
    session(300)
    app = new_app(images_config)
    try:
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            screen = await open_dialog(pilot)
            slow_from_now(openrouter_server)
            await press_generate(pilot, screen)
            assert await asyncio.to_thread(openrouter_server.started.wait, 5)
            await settle_ui(pilot)
            assert screen.state == "progress"

            await pilot.press("ctrl+p")
            await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
            openrouter_server.release.set()
            saved_note = "Illustration saved for John 3:16: 5 credits."
            await wait_for(pilot, lambda: saved_note in toasts(app), "the image")
            await settle(pilot)
            # The palette the user opened is still there, the dialog under it says it is done
            # and has nothing left to cancel.
            assert isinstance(app.screen, CommandPalette)
            assert screen in app.screen_stack
            assert text(screen, "#elapsed").startswith("Done: Illustration saved")
            assert not screen.check_action("cancel_generation", ())

            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen), "the reader")
            await settle(pilot)
            assert not any(isinstance(s, GenerateScreen) for s in app.screen_stack)
            reader = app.screen
            assert isinstance(reader, ReaderScreen)
            books = ledger()
            [saved] = [e.image_id for e in books.history(KNOWN_SID) if e.kind == "charge"]
            # The reader got the illustration (the pane shows it) and still answers keys.
            assert reader.query_one(ImagePane).key == saved
            await pilot.press("down")
            await settle(pilot)
            assert str(reader.ref) == "John 3:17"
    finally:
        openrouter_server.release.set()
    assert image_calls(openrouter_server) == 1
    assert len(image_files(images_config)) == 1
    assert_books_clean(ledger(), 295)


async def test_a_failure_with_an_unreadable_ledger_still_shows_the_error(
    images_config, session, openrouter_server, ledger
):
    """The ledger goes away mid-call (its connection closed under the generator): the image
    cannot be recorded, and the balance after the failure cannot be read either. The dialog
    used to die in progress there; now it shows both sentences and Escape closes it."""
    session(300)
    app = new_app(images_config)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_dialog(pilot)
            slow_from_now(openrouter_server)
            await press_generate(pilot, screen)
            assert await asyncio.to_thread(openrouter_server.started.wait, 5)
            await settle_ui(pilot)
            generator = app.generator()
            assert generator is not None
            generator.ledger.conn.close()
            openrouter_server.release.set()
            await wait_for(pilot, lambda: screen.state == "error", "the error")
            assert "could not be recorded" in text(screen, "#error-text")
            assert "Nothing was charged." in text(screen, "#error-text")
            assert text(screen, "#error-balance") == (
                "The credit ledger could not be read just now: Cannot operate on a closed database."
            )
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen), "the reader")
            assert app.is_running
    finally:
        openrouter_server.release.set()
    books = ledger()
    # Nothing was charged and nothing kept. The hold could not be released through the closed
    # connection; it stays until a start after this process has ended releases it.
    assert books.balance(KNOWN_SID).balance == 300
    assert [e for e in books.history(KNOWN_SID) if e.kind == "charge"] == []
    assert image_files(images_config) == []


async def test_an_unreadable_ledger_on_the_picker_is_a_sentence_not_a_crash(
    images_config, session, openrouter_server, ledger
):
    """Readiness and ETAs are read from message handlers (a highlight, a new shape, Generate):
    with the ledger unreadable each says so, Generate is refused, and nothing starts."""
    session(300)
    app = new_app(images_config)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_dialog(pilot)
        start = screen.query_one("#start", Button)
        assert not start.disabled
        generator = app.generator()
        assert generator is not None
        generator.ledger.conn.close()
        expected = (
            "The credit ledger could not be read just now: Cannot operate on a closed database."
        )

        # Generate was enabled when the ledger was last read: pressing it now starts nothing.
        await press_generate(pilot, screen)
        await settle(pilot)
        assert screen.state == "error"
        assert text(screen, "#error-text") == (
            f"{expected} Nothing was started and nothing was charged."
        )
        assert text(screen, "#error-balance") == expected

        await pilot.click("#other")
        await settle(pilot)
        assert screen.state == "pick"
        assert text(screen, "#summary") == expected
        assert start.disabled

        await pilot.press("down")
        await settle(pilot)
        assert text(screen, "#summary") == expected
        screen.query_one("#aspect", Select).value = "1:1"
        await settle(pilot)
        assert text(screen, "#summary") == expected and start.disabled
        assert app.is_running and app.screen is screen
    assert image_calls(openrouter_server) == 0
    assert_books_clean(ledger(), 300)


async def test_cancelling_while_the_account_cannot_be_read_returns_to_the_picker(
    images_config, session, openrouter_server, ledger
):
    """The credits badge behind the dialog is refreshed on cancel; with the account's ledger
    connection gone that read fails. The picker comes back all the same, the badge says credits
    are unavailable, and the reader's once-a-second ledger poll does not end the app."""
    session(300)
    app = new_app(images_config)
    try:
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            screen = await open_dialog(pilot)
            slow_from_now(openrouter_server)
            await press_generate(pilot, screen)
            assert await asyncio.to_thread(openrouter_server.started.wait, 5)
            await settle_ui(pilot)
            assert app.account is not None
            app.account.ledger.conn.close()

            await pilot.press("escape")
            await wait_for(pilot, lambda: screen.state == "pick", "the cancel")
            assert "Cancelled. Nothing was charged." in toasts(app)
            assert text(screen, "#balance") == "Balance after this image: 295 credits"
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen), "the reader")
            badge = app.screen.query_one(CreditsBadge)
            await wait_for(
                pilot, lambda: "Credits unavailable" in str(badge.render()), "the ledger poll"
            )
            assert app.is_running
    finally:
        openrouter_server.release.set()
    assert_books_clean(ledger(), 300)
