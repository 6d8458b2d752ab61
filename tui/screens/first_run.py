"""First run: import the King James Version once, with progress, then open the reader."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Label, ProgressBar
from textual.worker import Worker, WorkerState

from core.bible.library import Library
from tui.screens.quiet_repaints import QuietRepaints


class FirstRunScreen(QuietRepaints, Screen[bool]):
    """Dismisses with True once the library is ready, False if the import failed."""

    DEFAULT_CSS = """
    FirstRunScreen { align: center middle; }
    FirstRunScreen #box {
        width: 60; height: auto; border: round $accent; padding: 1 2; background: $surface;
    }
    FirstRunScreen #box { max-width: 100%; max-height: 100%; }
    FirstRunScreen #detail { width: 100%; color: $text-muted; margin-top: 1; }
    FirstRunScreen #keys { width: 100%; color: $text-muted; margin-top: 1; }
    FirstRunScreen ProgressBar { margin-top: 1; }
    """

    BINDINGS = [Binding("q", "app.quit", "Quit")]

    def __init__(self, library: Library) -> None:
        super().__init__()
        self.library = library

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Label("[b]Welcome to Verselight[/b]")
            yield Label("Setting up the King James Version. This happens only once.", id="detail")
            yield ProgressBar(total=100, show_eta=False, id="progress")
            yield Label("[b]q[/b] quit (the import starts again next time)", id="keys")

    def on_mount(self) -> None:
        self._import()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _import(self) -> None:
        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(
                self.query_one(ProgressBar).update, total=total, progress=done
            )

        self.library.import_default_in_child(progress)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.SUCCESS:
            self.dismiss(True)
        elif event.state == WorkerState.ERROR:
            # The import is one transaction: nothing half-built remains for the next run.
            self.query_one("#detail", Label).update(
                f"{event.worker.error}\nPress q to quit; the next start tries again."
            )
