"""The reader's dialogs and start-up paths, driven through Pilot."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandList
from textual.widgets import Input, Label, OptionList, Static

from core.bible.library import Library
from core.bible.references import VerseRef
from tests.tui.helpers import settle, shown_lines, toasts, wait_for
from tui.screens.first_run import FirstRunScreen
from tui.screens.goto import GotoScreen
from tui.screens.onboarding import OnboardingScreen
from tui.screens.reader import ReaderScreen
from tui.screens.search import SearchScreen
from tui.screens.translations import TranslationsScreen
from tui.widgets.chapter_view import CURRENT_BAR


def preview(app) -> Static:
    shown: Static = app.screen.query_one("#preview", Static)
    return shown


async def test_goto_parses_as_you_type_and_goes(app_factory):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, GotoScreen)
        await pilot.press(*"jn 3 16")
        await settle(pilot)
        shown = str(preview(app).render())
        assert "John 3:16" in shown and "For God so loved" in shown
        assert preview(app).has_class("-ok")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.ref == VerseRef(43, 3, 16)


async def test_goto_explains_a_bad_reference_and_stays_open(app_factory):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g", *"John 3:99")
        await settle(pilot)
        assert preview(app).has_class("-error")
        assert "John 3 has verses 1 to 36" in str(preview(app).render())
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, GotoScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.ref == VerseRef(1, 1, 1)


async def test_goto_suggests_books_and_tab_completes(app_factory):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g", *"1 co")
        await settle(pilot)
        books = app.screen.query_one("#books", OptionList)
        assert books.display
        names = [str(books.get_option_at_index(i).prompt) for i in range(books.option_count)]
        assert names == ["1 Corinthians"]
        await pilot.press("tab")
        await settle(pilot)
        field = app.screen.query_one("#ref", Input)
        assert field.value == "1 Corinthians "
        await pilot.press(*"13:4", "enter")
        await settle(pilot)
        assert app.screen.ref == VerseRef(46, 13, 4)


async def test_goto_picks_a_suggestion_with_the_arrow_keys(app_factory):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g", *"jo")
        await settle(pilot)
        books = app.screen.query_one("#books", OptionList)
        names = [str(books.get_option_at_index(i).prompt) for i in range(books.option_count)]
        assert names[:3] == ["Joshua", "Job", "Joel"]
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert app.screen.query_one("#ref", Input).value == "Job "
        await pilot.press(*"38", "enter")
        await settle(pilot)
        assert app.screen.ref == VerseRef(18, 38, 1)


async def test_goto_suggestion_keeps_the_chapter_already_typed(app_factory):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g", *"jo 38:4")
        await settle(pilot)
        assert "could be Joshua, Job" in str(preview(app).render())
        books = app.screen.query_one("#books", OptionList)
        assert books.display
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert app.screen.query_one("#ref", Input).value == "Job 38:4"
        assert not books.display
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.ref == VerseRef(18, 38, 4)


async def test_goto_reads_numbers_relative_to_the_current_chapter(app_factory):
    app = app_factory("John 3:1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g", *"16", "enter")
        await settle(pilot)
        assert app.screen.ref == VerseRef(43, 3, 16)
        await pilot.press("g", *"1:29", "enter")
        await settle(pilot)
        assert app.screen.ref == VerseRef(43, 1, 29)


async def test_search_finds_hyphenated_and_apostrophe_words_and_opens_a_result(app_factory):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"son-in-law")
        await settle(pilot)
        results = app.screen.query_one("#results", OptionList)
        assert results.option_count == 14  # son-in-law, sons-in-law
        status = str(app.screen.query_one("#status", Static).render())
        assert "14 verses, best first" in status
        await pilot.press("ctrl+o")  # Bible order: Genesis 19:12 comes first
        await settle(pilot)
        assert "14 verses, in Bible order" in str(app.screen.query_one("#status", Static).render())
        assert "best first" in str(app.screen.query_one("#keys", Label).render())
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.ref == VerseRef(1, 19, 12)
        await pilot.press("slash", *"Lord's NEAR( * \"")
        await settle(pilot)
        assert app.screen.query_one("#results", OptionList).option_count > 0


async def test_search_result_chosen_with_arrows(app_factory):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"faith hope charity")
        await settle(pilot)
        results = app.screen.query_one("#results", OptionList)
        assert results.option_count == 1
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen.ref == VerseRef(46, 13, 13)


async def test_search_with_no_hits_says_so(app_factory):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"xylophone")
        await settle(pilot)
        assert "No verse contains" in str(app.screen.query_one("#status", Static).render())
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)


async def test_switching_translation_keeps_the_place_or_the_nearest(
    app_factory, with_tiny_translation
):
    app = app_factory("John 3:16")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TranslationsScreen)
        options = app.screen.query_one(OptionList)
        assert options.option_count == 2
        ids = [options.get_option_at_index(i).id for i in range(2)]
        await pilot.press(*(["down"] if ids.index("TINY") == 1 else ["up"]), "enter")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        assert reader.translation == "TINY"
        assert reader.ref == VerseRef(43, 3, 16)
        (current,) = [line for line in shown_lines(reader) if line.current]
        assert current.verse.text == "Tiny John 3:16."
        await pilot.press("end")
        await settle(pilot)
        assert reader.ref == VerseRef(43, 3, 20)
        # TINY has no John 4: the next chapter is the next one it has.
        await pilot.press("l")
        await settle(pilot)
        assert reader.ref == VerseRef(66, 22, 1)
        assert any("Tiny Test Translation" in m for m in toasts(app))


async def test_command_palette_goes_to_a_reference(app_factory):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"ps 23")
        commands = app.screen.query_one(CommandList)
        await wait_for(
            pilot,
            lambda: (
                commands.option_count > 0
                and "Go to Psalms 23" in str(commands.get_option_at_index(0).prompt)
            ),
            "the palette to offer Psalms 23",
        )
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.ref == VerseRef(19, 23, 1)


async def test_command_palette_runs_a_command(app_factory):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"search the bible")
        commands = app.screen.query_one(CommandList)
        await wait_for(
            pilot,
            lambda: (
                commands.option_count > 0
                and "Search the Bible" in str(commands.get_option_at_index(0).prompt)
            ),
            "the palette to offer the search command",
        )
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)


async def test_first_run_imports_kjv_with_progress_then_opens_the_reader(
    tmp_path: Path, monkeypatch
):
    from core.config import load_config
    from tui.app import make_app

    monkeypatch.setenv("VERSELIGHT_HOME", str(tmp_path))
    app = make_app(load_config())
    seen_first_run = False
    async with app.run_test(size=(80, 24)) as pilot:
        if isinstance(app.screen, FirstRunScreen):
            seen_first_run = True
        await app.workers.wait_for_complete()
        await settle(pilot)
        # A first run ends with the welcome on top of the reader.
        assert isinstance(app.screen, OnboardingScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.ref == VerseRef(1, 1, 1)
    assert seen_first_run
    library = Library.open(tmp_path / "data" / "library.sqlite")
    assert library.translation("KJV").verse_count == 31102
    library.close()


async def test_damaged_library_is_set_aside_and_the_reader_still_opens(tmp_path: Path, monkeypatch):
    from core.config import load_config
    from tui.app import make_app

    monkeypatch.setenv("VERSELIGHT_HOME", str(tmp_path))
    junk = b"this is not a database" * 100
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "library.sqlite").write_bytes(junk)
    app = make_app(load_config())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await app.workers.wait_for_complete()
        await settle(pilot)
        await pilot.press("escape")  # the first-run welcome
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        # Shown as a toast at start; the toast may have timed out during a slow first-run
        # import, so the sentence is read where the app took it from.
        assert app.services is not None
        assert any("damaged" in m for m in app.services.notices)
    kept = list((tmp_path / "data").glob("library.sqlite.damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == junk


async def test_no_color_is_respected(app_factory, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_factory("John 3:16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        (current,) = [line for line in shown_lines(app.screen) if line.current]
        assert current.verse.ref == VerseRef(43, 3, 16)
        # Without colour the current verse must still stand out: bold and a bar at its left.
        assert current.style.bold
        assert current.gutter == CURRENT_BAR


async def test_search_ranks_the_phrase_first_and_orders_by_bible_on_request(app_factory):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"living water")
        await settle(pilot)
        results = app.screen.query_one("#results", OptionList)
        top = [str(results.get_option_at_index(i).id) for i in range(8)]
        for ref in ("22:4:15", "24:17:13", "38:14:8", "43:4:10"):
            assert ref in top, top
        keys = str(app.screen.query_one("#keys", Label).render())
        assert "^O Bible order" in keys
        await pilot.press("ctrl+o")
        await settle(pilot)
        ids = [str(results.get_option_at_index(i).id) for i in range(results.option_count)]
        refs = [tuple(int(x) for x in i.split(":")) for i in ids]
        assert refs == sorted(refs) and (3, 14, 6) in refs


async def test_search_a_quoted_phrase_in_the_dialog(app_factory):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *'"living water"')
        await settle(pilot)
        results = app.screen.query_one("#results", OptionList)
        ids = [str(results.get_option_at_index(i).id) for i in range(results.option_count)]
        assert "43:4:10" in ids and not any(i.startswith("3:") for i in ids)


async def test_search_a_pasted_page_is_refused_and_the_newest_query_wins(app_factory):
    app = app_factory("Gen 1:1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        field = app.screen.query_one("#query", Input)
        field.value = "love " * 4000  # a 20 KB paste
        await settle(pilot)
        status = app.screen.query_one("#status", Static)
        assert "at most 300 characters" in str(status.render())
        assert app.screen.query_one("#results", OptionList).option_count == 0
        # several queries in a row: only the last one's results stay
        for text in ("love", "the", "faith hope charity"):
            field.value = text
        await settle(pilot)
        results = app.screen.query_one("#results", OptionList)
        assert [results.get_option_at_index(i).id for i in range(results.option_count)] == [
            "46:13:13"
        ]
        assert "1 verse" in str(status.render())
