"""The Textual app and the one factory that builds it, for the command line and for tests."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from core.config import Config
from core.context import Context, open_context, start_point
from storage.bible import LibraryError
from tui.commands import ReaderCommands
from tui.screens.first_run import FirstRunScreen
from tui.screens.reader import ReaderScreen


class VerselightApp(App[None]):
    TITLE = "Verselight"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {ReaderCommands}
    BINDINGS = [Binding("q", "quit", "Quit", id="quit")]

    def __init__(self, config: Config, reference: str | None, translation: str | None) -> None:
        super().__init__()
        self.config = config
        self.reference = reference
        self.translation = translation
        self.ctx: Context | None = None

    def on_mount(self) -> None:
        try:
            self.ctx = open_context(self.config, first_run_import=False)
        except LibraryError as exc:
            self.exit(return_code=1, message=str(exc))
            return
        for notice in self.ctx.notices:
            self.notify(notice, severity="warning", timeout=10)
        if self.ctx.library.needs_first_run_import():
            self.push_screen(FirstRunScreen(self.ctx.library), self._library_ready)
        else:
            self._open_reader()

    def _library_ready(self, ok: bool | None) -> None:
        if ok:
            self._open_reader()

    def _open_reader(self) -> None:
        assert self.ctx is not None
        start = start_point(self.ctx, self.reference, self.translation)
        for problem in start.problems:
            self.notify(problem, severity="error", timeout=8)
        self.push_screen(ReaderScreen(self.ctx, start.translation, start.ref))

    def on_unmount(self) -> None:
        if self.ctx is not None:
            self.ctx.close()


def make_app(
    config: Config, reference: str | None = None, translation: str | None = None
) -> VerselightApp:
    return VerselightApp(config, reference, translation)
