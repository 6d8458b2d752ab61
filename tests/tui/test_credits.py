"""The credits side of the reader: badge, onboarding, history and admin login, through Pilot."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Button, DataTable, Input, Static

from core.admin.gate import AdminGate
from core.admin.passwords import Verifier
from core.billing.ledger import Ledger
from core.config import load_config
from storage import ledger as db
from tests.clock import ManualClock
from tests.tui.helpers import KNOWN_SID, settle, toasts, wait_for
from tui.app import make_app
from tui.screens.admin_login import AdminLoginScreen
from tui.screens.buy_credits import BuyCreditsScreen
from tui.screens.history import HistoryScreen
from tui.screens.onboarding import OnboardingScreen
from tui.screens.reader import ReaderScreen
from tui.widgets.credits_badge import PENDING, CreditsBadge
from tui.widgets.image_pane import UNAVAILABLE, ImagePane

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


def badge(app) -> str:
    return str(app.screen.query_one(CreditsBadge).render())


def grant_in_another_process(home: Path, sid: str, amount: int) -> None:
    """Grant credits the way a second terminal would: another process, its own connection."""
    code = (
        "import sys; from pathlib import Path; from core.billing.ledger import Ledger;"
        "l = Ledger.open(Path(sys.argv[1])); l.grant(sys.argv[2], int(sys.argv[3]), 'test');"
        "l.close()"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(home / "data" / "ledger.sqlite"), sid, str(amount)],
        check=True,
        cwd=ROOT,
    )


async def test_keys_pressed_before_the_session_opens_wait_for_it(app_factory, known_session):
    """The session and the ledger open just after the first frame. A key that needs them
    before then (here: the first thing the test does once the reader is up) opens them
    first: the history shows this terminal's session, the viewer's answer is about this
    verse, and nothing says credits or illustrations are unavailable."""
    app = app_factory("John 3:16")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        assert app.services is not None and app.services.credits_pending
        assert badge(app) == PENDING
        reader.action_view_images()  # v
        assert not app.services.credits_pending
        reader.action_credits()  # c
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        assert app.screen.account is not None and app.screen.account.session_id == KNOWN_SID
        assert toasts(app) == ["No illustrations for John 3:16 yet; press i to make one."]
        await pilot.press("escape")
        await settle(pilot)
        assert badge(app) == "Free \u00b7 0 credits"


async def test_buying_before_the_session_opens_waits_for_it(app_factory, known_session):
    app = app_factory("John 3:16")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        assert app.services is not None and app.services.credits_pending
        app.action_buy_credits()  # b, or the badge
        await settle(pilot)
        assert isinstance(app.screen, BuyCreditsScreen)
        assert not any("unavailable" in t for t in toasts(app))


async def test_badge_starts_free_and_follows_another_process(app_factory, home):
    app = app_factory("John 3:16")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert badge(app) == "Free \u00b7 0 credits"
        grant_in_another_process(home, app.account.session_id, 300)
        await wait_for(
            pilot, lambda: badge(app) == "Paid \u00b7 300 credits", "the badge to update"
        )
        assert app.screen.query_one(CreditsBadge).has_class("-paid")


async def test_history_lists_entries_and_holds(app_factory, home):
    app = app_factory("John 3:16")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        sid = app.account.session_id
        ledger = Ledger.open(home / "data" / "ledger.sqlite")
        ledger.grant(sid, 50, "welcome gift")
        ledger.place_hold(sid, 7)
        ledger.close()
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1
        assert [str(c) for c in table.get_row_at(0)][1:] == ["Granted", "+50", "welcome gift"]
        holds = str(app.screen.query_one("#holds").render())
        assert "7 for generation" in holds
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert badge(app) == "Paid \u00b7 43 credits (7 held)"


async def test_history_of_a_new_session_says_nothing_moved_and_offers_to_buy(app_factory):
    app = app_factory("John 3:16")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        assert "No credits have moved" in str(app.screen.query_one("#summary", Static).render())
        await pilot.click("#buy-credits")
        await settle(pilot)
        assert isinstance(app.screen, BuyCreditsScreen)


async def test_clicking_the_badge_opens_buying(app_factory):
    app = app_factory("John 3:16")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.click(CreditsBadge)
        await settle(pilot)
        assert isinstance(app.screen, BuyCreditsScreen)


async def test_onboarding_shows_once_and_browse_free_closes_it(app_factory, home):
    (home / "state" / "onboarded").unlink()
    app = app_factory("John 3:16")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OnboardingScreen)
        text = str(app.screen.query_one("#welcome", Static).render())
        for needed in ("Lightning is the only way to pay", "No refunds", "No accounts"):
            assert needed in text
        await pilot.click("#browse")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
    again = app_factory("John 3:16")
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(again.screen, ReaderScreen)


async def test_onboarding_buy_credits_opens_the_shop_which_explains_it_is_unavailable(
    app_factory, home, monkeypatch
):
    for name in ("VERSELIGHT_LND_HOST", "VERSELIGHT_LND_TLS_CERT", "VERSELIGHT_LND_MACAROON"):
        monkeypatch.delenv(name, raising=False)
    (home / "state" / "onboarded").unlink()
    app = app_factory("John 3:16")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.screen.query_one("#buy", Button).press()
        await settle(pilot)
        assert isinstance(app.screen, BuyCreditsScreen)
        assert app.screen.state == "unavailable"
        text = str(app.screen.query_one("#unavailable-text", Static).render())
        assert "VERSELIGHT_LND_HOST" in text and "Reading and viewing work as usual" in text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)


@pytest.fixture
def admin_config(home, monkeypatch):
    monkeypatch.setenv("VERSELIGHT_ADMIN_PASSWORD", PASSWORD)
    return load_config()


async def type_password(pilot, password: str) -> None:
    await pilot.press(*password, "enter")
    await settle(pilot)


async def test_admin_login_wrong_then_right(admin_config):
    app = make_app(admin_config, "John 3:16", admin=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, AdminLoginScreen)
        field = app.screen.query_one("#password", Input)
        assert field.password
        await type_password(pilot, "guess")
        message = str(app.screen.query_one("#message", Static).render())
        assert "Wrong password" in message or "wrong password" in message
        assert field.value == ""
        await type_password(pilot, PASSWORD)
        assert isinstance(app.screen, ReaderScreen)
        assert badge(app) == "Admin"
        sid = app.account.session_id
    ledger = Ledger.open(admin_config.paths.ledger_db)
    assert db.get_session(ledger.conn, sid).is_admin
    events = [row.event for row in db.audit_rows(ledger.conn)]
    ledger.close()
    assert events.count("admin_login_failed") == 1 and events.count("admin_login_ok") == 1


async def test_admin_login_locked_says_how_long(admin_config):
    clock = ManualClock(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    ledger = Ledger.open(admin_config.paths.ledger_db, clock=clock)
    gate = AdminGate(ledger, Verifier.from_config(admin_config))
    db.create_session(ledger.conn, "ab" * 16, clock())
    for _ in range(5):
        gate.login("ab" * 16, "nope")
    ledger.close()
    clock.now += timedelta(minutes=1)
    app = make_app(admin_config, "John 3:16", admin=True, clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, AdminLoginScreen)
        assert app.screen.query_one("#password", Input).disabled
        assert "locked for 59 min" in str(app.screen.query_one("#message", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert badge(app) != "Admin"


async def test_five_wrong_passwords_lock_the_modal(admin_config):
    app = make_app(admin_config, "John 3:16", admin=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for _ in range(5):
            await type_password(pilot, "wrong password")
        assert app.screen.query_one("#password", Input).disabled
        assert "locked for 1 h" in str(app.screen.query_one("#message", Static).render())


def test_admin_flag_without_configuration_exits_2(home, capsys):
    from cli.main import main

    assert main(["--admin"]) == 2
    err = capsys.readouterr().err
    assert "VERSELIGHT_ADMIN_PASSWORD" in err and "verselight admin hash" in err


async def test_unusable_ledger_means_free_browsing_with_a_notice(app_factory, home):
    junk = b"not a ledger at all" * 50
    (home / "data" / "ledger.sqlite").write_bytes(junk)
    app = app_factory("John 3:16")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert badge(app) == "Credits unavailable"
        assert any("reading works as usual" in m.lower() for m in toasts(app))
        assert app.screen.query_one(ImagePane).message == UNAVAILABLE
        await pilot.press("j")
        await settle(pilot)
        assert app.screen.ref.verse == 17
    assert (home / "data" / "ledger.sqlite").read_bytes() == junk
