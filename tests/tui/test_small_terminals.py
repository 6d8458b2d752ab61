"""Every dialog fits an 80x24 terminal with its keys on screen (the README promises 80x24).

These read what is really on screen (the compositor's rendered lines) and where widgets really
are, so a button pushed below the fold or a clipped line fails here, not only in a snapshot.
"""

from __future__ import annotations

import re

import pytest
from textual.widget import Widget

from core.config import load_config
from tests.qr_raster import decode_screen
from tests.tui.helpers import settle, wait_for
from tests.tui.test_buy_credits import (  # noqa: F401  (lightning is a fixture)
    lightning,
    open_invoice,
    shown_invoice,
)
from tui.app import make_app
from tui.screens.buy_credits import BuyCreditsScreen
from tui.screens.reader import ReaderScreen
from tui.widgets.qr_code import QrCode

SIZES = [(80, 24), (100, 32)]


def screen_lines(app) -> list[str]:
    """The text of every row of the screen as painted."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def screen_words(app) -> str:
    """The screen's text with runs of spaces and box-drawing squeezed, for phrase checks."""
    text = " ".join(line.strip(" \u2502\u2503\u258a\u258e") for line in screen_lines(app))
    return re.sub(r"\s+", " ", text)


def on_screen(app, widget: Widget) -> bool:
    """True when the whole widget lies inside the terminal and inside every parent's view."""
    region = widget.region
    if region.area == 0 or not app.screen.region.contains_region(region):
        return False
    return all(
        parent.region.contains_region(region)
        for parent in widget.ancestors
        if isinstance(parent, Widget) and parent is not app.screen
    )


@pytest.mark.parametrize("size", SIZES)
async def test_welcome_buttons_and_keys_are_on_screen(home, size):
    (home / "state" / "onboarded").unlink()
    app = make_app(load_config(), "John 3:16")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for selector in ("#buy", "#browse", "#keys"):
            assert on_screen(app, app.screen.query_one(selector)), selector
        words = screen_words(app)
        assert "Buy credits" in words and "Browse free" in words
        assert "Esc browse free" in words
        await pilot.press("enter")  # Browse free has the focus
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)


async def test_welcome_text_scrolls_with_the_arrows_while_the_buttons_keep_the_focus(home):
    (home / "state" / "onboarded").unlink()
    app = make_app(load_config(), "John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        dialog = app.screen.query_one("#dialog")
        assert dialog.max_scroll_y > 0  # the text is taller than the room at 80x24
        assert "verselight session export" not in screen_words(app)
        for _ in range(dialog.max_scroll_y):
            await pilot.press("down")
        await settle(pilot)
        assert dialog.scroll_y == dialog.max_scroll_y
        assert "verselight session export" in screen_words(app)
        assert app.focused is app.screen.query_one("#browse")
        assert on_screen(app, app.screen.query_one("#buy"))


@pytest.mark.parametrize("size", SIZES)
async def test_help_close_keys_are_on_screen_and_the_last_rows_scroll_into_view(app_factory, size):
    app = app_factory("John 3:16")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert on_screen(app, app.screen.query_one("#keys"))
        assert "Esc q ? close" in screen_words(app)
        await pilot.press("end")
        await settle(pilot)
        assert "your place is remembered" in screen_words(app)
        assert "Esc q ? close" in screen_words(app)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)


@pytest.mark.parametrize("size", SIZES)
async def test_translation_dialog_shows_its_whole_hint(app_factory, with_tiny_translation, size):
    app = app_factory("John 3:16")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        words = screen_words(app)
        assert "verselight translations add NAME" in words
        assert "m gets more Bibles from the SWORD repositories" in words
        assert "Enter read s beside m get more Esc close" in words
        assert on_screen(app, app.screen.query_one("#hint"))


async def test_first_run_sentence_is_whole_at_80x24(tmp_path, monkeypatch):
    monkeypatch.setenv("VERSELIGHT_HOME", str(tmp_path))
    app = make_app(load_config())
    async with app.run_test(size=(80, 24)) as pilot:
        detail = app.screen.query_one("#detail")
        await pilot.pause()
        # The label's own lines, as laid out in its box: nothing cut at the right edge.
        lines = [s.text.strip() for s in detail.render_lines(detail.size.region)]
        assert " ".join(line for line in lines if line) == (
            "Setting up the King James Version. This happens only once."
        )
        assert on_screen(app, detail) and on_screen(app, app.screen.query_one("#keys"))
        await app.workers.wait_for_complete()
        await settle(pilot)
        await pilot.press("escape")  # the welcome that follows a first run
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)


def invoice_on_screen(screen: BuyCreditsScreen) -> str:
    """The invoice text as the widget painted it, line by line, joined."""
    text = screen.query_one("#invoice-text")
    return "".join(s.text.strip() for s in text.render_lines(text.size.region))


@pytest.mark.parametrize("size", [(80, 31), (90, 32), (100, 32), (100, 40)])
async def test_invoice_is_whole_beside_the_qr_from_80_columns(lightning, size):  # noqa: F811
    app = make_app(load_config(), "John 3:16")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = await open_invoice(pilot)
        assert screen.query_one(QrCode).shows_code
        assert invoice_on_screen(screen) == shown_invoice(screen).payment_request
        for selector in ("#qr", "#amount", "#countdown", "#waiting", "#invoice-text"):
            assert on_screen(app, screen.query_one(selector)), selector
        waiting = screen.query_one("#waiting")
        painted = [s.text.strip() for s in waiting.render_lines(waiting.size.region)]
        assert " ".join(painted) == "Waiting for payment..."
        assert "y copy invoice Esc or q close" in screen_words(app)
        assert decode_screen(app) == ["lightning:" + shown_invoice(screen).payment_request.upper()]


async def test_too_small_message_names_the_size_that_shows_the_code(lightning):  # noqa: F811
    app = make_app(load_config(), "John 3:16")
    async with app.run_test(size=(79, 31)) as pilot:
        await settle(pilot)
        screen = await open_invoice(pilot)
        assert not screen.query_one(QrCode).shows_code
        assert "Make the terminal at least 80x31" in screen_words(app)
        assert invoice_on_screen(screen) == shown_invoice(screen).payment_request
        await pilot.resize_terminal(80, 31)
        await settle(pilot)
        assert screen.query_one(QrCode).shows_code


async def test_buy_dialog_buttons_have_the_focus_and_enter_presses_them(
    lightning,  # noqa: F811
    fake_lnd,
):
    app = make_app(load_config(), "John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BuyCreditsScreen)
        assert app.focused is screen.query_one("#get-invoice")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.state == "invoice", "the invoice")
        first = shown_invoice(screen)
        fake_lnd.expire(bytes.fromhex(first.payment_hash))
        await wait_for(pilot, lambda: screen.state == "expired", "the expiry")
        assert app.focused is screen.query_one("#new-invoice")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.state == "invoice", "a new invoice")
        assert shown_invoice(screen).payment_hash != first.payment_hash
        fake_lnd.settle(bytes.fromhex(shown_invoice(screen).payment_hash))
        await wait_for(pilot, lambda: screen.state == "success", "the payment")
        await settle(pilot)
        assert app.focused is screen.query_one("#done")
        assert on_screen(app, screen.query_one("#done"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen), "the dialog to close")


async def test_buy_dialog_error_focuses_try_again_and_q_closes(lightning, fake_lnd):  # noqa: F811
    app = make_app(load_config(), "John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        fake_lnd.stop()
        await pilot.press("b", "enter")
        screen = app.screen
        assert isinstance(screen, BuyCreditsScreen)
        await wait_for(pilot, lambda: screen.state == "error", "the error")
        await settle(pilot)
        assert app.focused is screen.query_one("#retry")
        assert on_screen(app, screen.query_one("#retry"))
        assert "Enter try again Esc or q close" in screen_words(app)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert app.is_running
