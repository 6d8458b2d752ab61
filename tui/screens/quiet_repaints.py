"""What every Verselight screen shares: no whole-terminal repaints for small changes.

Served over SSH, a whole 100x40 frame is 15-30 KB, and a dialog over the dimmed reader was
sending several for each small change. Two of Textual's defaults caused them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.reactive import Reactive
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.screen import Screen

    _Mixin = Screen[Any]
else:
    _Mixin = object


class QuietRepaints(_Mixin):
    """Mixed into every screen, before Textual's ``Screen`` or ``ModalScreen``.

    - Focus moves without a repaint of the whole screen. Textual's ``Screen.focused``
      repaints it at every focus change, but the widgets that gain and lose focus restyle
      themselves (``:focus``, ``:focus-within``). A dialog that changed state and focused
      its next button sent its whole screen twice.
    - A change to a screen beneath a dialog repaints only what changed. Textual marks such a
      screen for a whole repaint after any change of its own, so from then on every message
      it handled (a badge update, a timer) sent the whole terminal again: a settlement under
      the buy dialog cost four whole frames before "credits were added" got through. The
      changed regions are already repainted through the dialog, and a screen that comes back
      on top is repainted whole by Textual anyway.
    """

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def _compositor_refresh(self) -> None:
        super()._compositor_refresh()
        if self.is_attached and self is not self.app.screen:
            self._repaint_required = False
