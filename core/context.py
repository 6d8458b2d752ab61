"""Opening everything a front end needs, once, with the user's configuration.

Both the command line and the TUI start here, so they see the same library, the same
translation choice and the same first-run behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.bible.library import Library, Progress, UnknownTranslation
from core.bible.navigation import clamp
from core.bible.references import BadReference, VerseRef
from core.config import Config

if TYPE_CHECKING:
    from core.visits import Visits


@dataclass(slots=True)
class Context:
    config: Config
    library: Library
    notices: list[str]
    """Sentences to show the user once (a damaged library moved aside, a first-run import)."""
    visits: Visits | None = field(default=None)
    """Where the place read and the welcome are remembered (``core.visits``): this terminal's
    state dir unless the session's own (served) were set."""

    def remembered(self) -> Visits:
        if self.visits is None:
            from core.visits import TerminalVisits

            paths = self.config.paths
            self.visits = TerminalVisits(paths.reader_state, paths.onboarded_marker)
        return self.visits

    def translation_id(self, wanted: str | None = None) -> str:
        """The translation to use: the one asked for, else the configured default, else KJV."""
        if wanted:
            return self.library.translation(wanted).id
        if self.library.has(self.config.default_translation):
            return self.library.translation(self.config.default_translation).id
        return "KJV"

    def close(self) -> None:
        self.library.close()


def open_context(
    config: Config, progress: Progress | None = None, *, first_run_import: bool = True
) -> Context:
    """Open the library, importing the default translation on first run (with progress).

    The TUI passes ``first_run_import=False`` and runs the import itself, in a worker, behind
    a progress screen.
    """
    library = Library.open(config.paths.library_db)
    notices = [library.notice] if library.notice else []
    if library.read_only:
        notices.append(read_only_notice(config))
    if first_run_import and library.needs_first_run_import():
        library.import_default(progress)
    return Context(config, library, notices)


def read_only_notice(config: Config) -> str:
    """One sentence: the data folder refuses writes, so what is not kept (credits, and the
    reader's place when the state folder refuses them too)."""
    from storage.private import cannot_write

    data = config.paths.data_dir
    why = cannot_write(data) or "it refuses writes"
    place_kept = config.paths.state_dir.is_dir() and cannot_write(config.paths.state_dir) is None
    kept = (
        "credits are not saved (your place still is)"
        if place_kept
        else ("neither your place nor credits are saved")
    )
    return f"{data} cannot be written ({why}), so the Bible is read as it is and {kept}."


@dataclass(frozen=True, slots=True)
class StartPoint:
    translation: str
    ref: VerseRef
    problems: list[str]
    """Why the reader did not open where it was asked to, one sentence each."""


def start_point(ctx: Context, reference: str | None, translation: str | None) -> StartPoint:
    """Where the reader opens: the reference asked for, else where it was, else Genesis 1:1.

    A bad reference or an unknown translation never stops the reader from opening; the user
    is told and lands on the next best place.
    """
    problems: list[str] = []
    saved = ctx.remembered().place()
    tid: str | None = None
    for wanted in (translation, saved.translation if saved else None):
        if wanted:
            try:
                tid = ctx.translation_id(wanted)
                break
            except UnknownTranslation as exc:
                if wanted == translation:
                    problems.append(str(exc))
    tid = tid or ctx.translation_id()
    versification = ctx.library.versification(tid)
    if reference:
        try:
            named, passages = ctx.library.locate(reference, tid)
            return StartPoint(named, passages[0].start, problems)
        except (BadReference, UnknownTranslation) as exc:
            problems.append(str(exc))
    if saved:
        return StartPoint(tid, clamp(saved.ref, versification), problems)
    return StartPoint(tid, clamp(VerseRef(1, 1, 1), versification), problems)
