"""Get more translations: the Bibles the SWORD repositories offer, installed with progress.

The list comes from the same place as ``verselight translations available`` (cached, so it
opens at once after the first time); loading and installing run in worker threads. The
screen dismisses with the id of the translation it installed, or None.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from core.bible.importers.sword.catalogue import Catalogue, RemoteModule, size_text
from core.bible.importers.sword.install import refusal
from core.printable import printable
from core.services import Services
from tui.screens.quiet_repaints import QuietRepaints


class GetTranslationsScreen(QuietRepaints, ModalScreen[str | None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+r", "refresh", "Refresh", show=False),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.catalogue: Catalogue | None = None
        self.installing: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="get-translations") as box:
            box.border_title = "Get more translations"
            yield Input(placeholder="Language code to show, e.g. en, de, fr", id="language")
            yield OptionList(id="module-list")
            yield Static("Loading the list of Bibles...", id="status")
            yield ProgressBar(total=100, show_eta=False, id="install-progress")
            yield Label("[b]Enter[/b] install  [b]Ctrl+R[/b] refresh  [b]Esc[/b] close", id="keys")

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False
        self.query_one(OptionList).focus()
        self._load(refresh=False)

    # the list ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="list")
    def _load(self, refresh: bool) -> Catalogue:
        return self.services.available_translations(refresh=refresh)

    def action_refresh(self) -> None:
        if self.installing is None:
            self._status("Asking the repositories again...")
            self._load(refresh=True)

    @on(Input.Changed, "#language")
    def _filter(self) -> None:
        self._show()

    def _bibles(self) -> list[RemoteModule]:
        if self.catalogue is None:
            return []
        wanted = self.query_one("#language", Input).value.strip().lower().replace("_", "-")
        bibles = [m for m in self.catalogue.modules if m.is_bible]
        if wanted:
            bibles = [
                m
                for m in bibles
                if (code := m.language.lower().replace("_", "-")) == wanted
                or code.startswith(wanted + "-")
            ]
        return bibles

    def _show(self) -> None:
        if self.catalogue is None:
            return
        installed = {t.id.upper() for t in self.services.ctx.library.translations()}
        options = self.query_one(OptionList)
        options.clear_options()
        bibles = self._bibles()
        for m in bibles:
            line = Text(f"{m.name:<16} {m.language:<6}{size_text(m.size):>8}  ", no_wrap=True)
            line.overflow = "ellipsis"
            # The tag comes before the description, which is cut to the width.
            if m.locked:
                line.append("locked ", style="bold")
            elif m.translation_id.upper() in installed:
                line.append(f"installed as {m.translation_id} ", style="dim")
            line.append(printable(m.description))
            options.add_option(Option(line, id=f"{m.repo}\x00{m.name}"))
        if bibles:
            options.highlighted = 0
        failures = " ".join(self.catalogue.failures)
        count = f"{len(bibles)} Bibles" if bibles else "No Bible in that language"
        self._status(f"{count}. {failures}".strip(), error=bool(failures))

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#status", Static)
        status.update(Text(text))
        status.set_class(error, "-error")

    # installing --------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#module-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if self.installing is not None or self.catalogue is None or event.option.id is None:
            return
        repo, _, name = event.option.id.partition("\x00")
        module = next(m for m in self.catalogue.modules if (m.repo, m.name) == (repo, name))
        if (why := refusal(module)) is not None:
            self._status(why, error=True)
            return
        self.installing = module.name
        bar = self.query_one(ProgressBar)
        bar.update(total=100, progress=0)
        bar.display = True
        self._status(f"Installing {module.name}...")
        self._install(module.name)

    @work(thread=True, exclusive=True, exit_on_error=False, group="install")
    def _install(self, name: str) -> str:
        def progress(label: str, done: int, total: int) -> None:
            self.app.call_from_thread(self._progress, label, done, total)

        return self.services.install_translation(name, progress).id

    def _progress(self, label: str, done: int, total: int) -> None:
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)
        self._status(f"{label}...")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.SUCCESS and event.worker.group == "list":
            result = event.worker.result
            assert isinstance(result, Catalogue)
            self.catalogue = result
            self._show()
        elif event.state == WorkerState.SUCCESS and event.worker.group == "install":
            self.installing = None
            self.notify(f"Installed {event.worker.result}.")
            self.dismiss(str(event.worker.result))
        elif event.state == WorkerState.ERROR:
            self.installing = None
            self.query_one(ProgressBar).display = False
            self._status(str(event.worker.error), error=True)

    def action_close(self) -> None:
        if self.installing is not None:
            self.notify(f"{self.installing} is being installed; this closes when it is done.")
            return
        self.dismiss(None)
