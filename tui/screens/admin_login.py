"""Admin login before the reader opens: a masked password, and the lockout made plain."""

from __future__ import annotations

from datetime import timedelta

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from core.admin.gate import AdminGate, format_duration
from tui.screens.quiet_repaints import QuietRepaints


class AdminLoginScreen(QuietRepaints, ModalScreen[bool]):
    """Dismisses with True once the session is admin, False if the reader gave up."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "dismiss(False)", "Continue without admin")]

    def __init__(self, gate: AdminGate, session_id: str) -> None:
        super().__init__()
        self.gate = gate
        self.session_id = session_id

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="admin") as box:
            box.border_title = "Admin login"
            yield Static("Admin mode generates without credits. Every login is audited.")
            yield Input(placeholder="Admin password", password=True, id="password")
            yield Static("", id="message")
            yield Label("[b]Enter[/b] log in  [b]Esc[/b] continue without admin", id="keys")

    def on_mount(self) -> None:
        self._show_lock(self.gate.is_locked())

    def _show_lock(self, locked_for: timedelta | None) -> bool:
        field = self.query_one("#password", Input)
        if locked_for is None:
            field.disabled = False
            field.focus()
            return False
        field.disabled = True
        self._say(
            f"Admin login is locked for {format_duration(locked_for)} after too many wrong passwords.",
            error=True,
        )
        return True

    def _say(self, text: str, *, error: bool) -> None:
        message = self.query_one("#message", Static)
        message.update(text)
        message.set_class(error, "-error")

    @on(Input.Submitted, "#password")
    def _submitted(self, event: Input.Submitted) -> None:
        password = event.value
        event.input.value = ""
        if not password:
            self._say("Type the admin password, or press Esc.", error=True)
            return
        result = self.gate.login(self.session_id, password)
        if result.ok:
            self.dismiss(True)
        elif not self._show_lock(result.locked_for):
            self._say(result.message, error=True)
