"""The next chapter is made ready while the reader reads (``ChapterView.prepare``): pressing the
key for it then only paints. What shows must be exactly what a chapter read afresh shows, and
a chapter prepared for other marks or another width is counted again, never shown wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.bible.library import Verse
from core.bible.references import VerseRef
from core.config import Config
from core.marks import VerseMarks
from tests.second_translation import add_gappy
from tests.tui.helpers import settle
from tests.tui.test_side_by_side import reader_of, turn_on
from tui.screens.reader import ReaderScreen
from tui.widgets.chapter_view import ChapterView, Partner, Prepared

JOHN = 43


@pytest.fixture
def gappy(config: Config, kjv_rows) -> str:
    return add_gappy(Path(config.paths.library_db), kjv_rows)


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch) -> list[VerseRef]:
    """The verses whose height is counted from now on (the real counting runs)."""
    refs: list[VerseRef] = []
    original = ChapterView._measure

    def counted(self: ChapterView, row: Any, width: int, partner: Partner | None) -> None:
        refs.append(row.verse.ref)
        original(self, row, width, partner)

    monkeypatch.setattr(ChapterView, "_measure", counted)
    return refs


def layout(view: ChapterView) -> list[tuple[object, ...]]:
    """Every verse's place among the lines, its words and its marks."""
    return [(line.virtual_region, line.text, line.marks, line.pair) for line in view.lines()]


def chapter_of(reader: ReaderScreen, chapter: int) -> tuple[list[Verse], Partner | None]:
    library = reader.ctx.library
    verses = library.chapter(reader.translation, JOHN, chapter)
    partner = None
    if reader.beside is not None:
        partner = Partner(
            reader.beside,
            library.translation(reader.beside).name,
            library.chapter(reader.beside, JOHN, chapter),
            library.translation(reader.translation).name,
        )
    return verses, partner


async def test_next_chapter_is_shown_from_what_was_prepared(app_factory, gappy, measured):
    app = app_factory("John 3:16")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await turn_on(pilot)
        reader = reader_of(app)
        measured.clear()
        await pilot.press("l")
        await settle(pilot)
        assert reader.ref == VerseRef(JOHN, 4, 1)
        # John 4 was counted before the key (while John 3 was read); the key only painted
        # it, and John 5 was made ready after.
        assert measured and {ref.chapter for ref in measured} == {5}
        view = reader.query_one(ChapterView)
        shown = layout(view)
        verses, partner = chapter_of(reader, 4)
        await view.show_chapter(reader.translation, verses, {}, partner, verse=1)
        await settle(pilot)
        assert layout(view) == shown  # the same as John 4 read afresh


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_a_prepared_chapter_is_used_only_as_it_was_prepared(
    app_factory, gappy, measured, size
):
    app = app_factory("John 3:16")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await turn_on(pilot)
        reader = reader_of(app)
        view = reader.query_one(ChapterView)
        verses, partner = chapter_of(reader, 6)
        translation = reader.translation

        async def show(
            marks: dict[int, VerseMarks], prepared: Prepared | None = None
        ) -> list[tuple[object, ...]]:
            measured.clear()
            await view.show_chapter(translation, verses, marks, partner, prepared=prepared)
            await settle(pilot)
            return layout(view)

        # Prepared, then shown as prepared: nothing counted again, the same as afresh.
        prepared = view.prepare(translation, verses, {}, partner)
        assert prepared is not None
        as_prepared = await show({}, prepared)
        assert measured == []
        assert await show({}) == as_prepared
        assert measured

        # Marks that came after preparing: counted again with them.
        marks = {v: VerseMarks(bookmark=True, colour="yellow", note=True) for v in range(1, 8)}
        with_marks = await show(marks, view.prepare(translation, verses, {}, partner))
        assert measured
        assert with_marks[0][2] == marks[1]
        assert await show(marks) == with_marks

        # Another width since: counted again for it.
        prepared = view.prepare(translation, verses, {}, partner)
        await pilot.resize_terminal(size[0] - 17, size[1])
        await settle(pilot)
        narrower = await show({}, prepared)
        assert measured
        assert narrower != as_prepared
        assert await show({}) == narrower

        # Another chapter's preparation is never shown for this one.
        john_3, _ = chapter_of(reader, 3)
        assert await show({}, view.prepare(translation, john_3, {}, partner)) == narrower
        assert measured
