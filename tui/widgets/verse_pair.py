"""One verse number in two translations: in two columns where the text has room for them,
else one above the other, the second marked with its translation's id.

The choice is made each time the verse is drawn, from the width it is given, so a resize or
the navigator opening switches between the two without rebuilding anything.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.containers import Lines
from rich.measure import Measurement
from rich.segment import Segment
from rich.text import Text

from tui.widgets.wrap_height import wrap, wrapped_height

MIN_COLUMN = 28
"""Narrowest column worth reading: below two of these (and the gap) the texts are stacked.
With the image pane beside the text (and the navigator hidden) that is a terminal of about
92 columns."""
GAP = 3
"""Cells between the two columns."""
MISSING = "\u2014"
"""Shown after the id of a translation that lacks the verse, when the two are stacked."""


def side_by_side(width: int) -> bool:
    return width >= 2 * MIN_COLUMN + GAP


def _column(width: int) -> int:
    """Each text's width when the two are in columns."""
    return (width - GAP) // 2


def pair_height(left: str, right: str, right_id: str, width: int) -> int | None:
    """The lines a ``Beside`` of texts saying ``left`` and ``right`` draws at ``width`` (as
    ``Beside.lines`` lays them out), from their words alone; None when only drawing can tell
    (see ``wrapped_height``)."""
    if side_by_side(width):
        column = _column(width)
        left_height = wrapped_height(left, column) if left else 0
        right_height = wrapped_height(right, column) if right else 0
        if left_height is None or right_height is None:
            return None
        return max(left_height, right_height, 1)
    left_height = wrapped_height(left, width) if left else 0
    right_height = wrapped_height(right or MISSING, _hanging_width(right_id, width))
    if left_height is None or right_height is None:
        return None
    return left_height + right_height


def _label(right_id: str) -> str:
    """What the second text hangs from when the two are stacked."""
    return f"{right_id} "


def _hanging_width(right_id: str, width: int) -> int:
    """The width left for the second text when stacked, beside its label."""
    return max(width - cell_len(_label(right_id)), 1)


class Beside:
    """Two texts, in columns or stacked, whichever ``width`` allows (a Rich renderable).

    ``right_id`` labels the second text when stacked; an empty text is a gap in its column.
    """

    def __init__(self, left: Text, right: Text, right_id: str) -> None:
        self.left = left
        self.right = right
        self.right_id = right_id

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines(console, options.max_width):
            yield from line
            yield Segment.line()

    def height(self, width: int) -> int | None:
        """The lines drawn at ``width``, counted without drawing them; None when only
        drawing can tell (see ``wrapped_height``)."""
        return pair_height(self.left.plain, self.right.plain, self.right_id, width)

    def lines(self, console: Console, width: int) -> list[list[Segment]]:
        """The drawing at ``width``: its lines of segments, each padded to ``width`` (what
        Rich's ``split_and_crop_lines`` makes of it as a renderable, without going through
        ``console.render`` and back: a third of the time it took)."""
        if not side_by_side(width):
            return self._stacked(console, width)
        column = _column(width)
        lefts = wrap(self.left, console, column) if self.left else Lines()
        rights = wrap(self.right, console, column) if self.right else Lines()
        blank = Segment(" " * column)
        between = Segment(" " * GAP)
        drawn = []
        for i in range(max(len(lefts), len(rights), 1)):
            if i < len(lefts):
                lefts[i].set_length(column)
                line = list(lefts[i].render(console, end=""))
            else:
                line = [blank]
            line.append(between)
            if i < len(rights):
                line.extend(rights[i].render(console, end=""))
            drawn.append(Segment.adjust_line_length(line, width))
        return drawn

    def _stacked(self, console: Console, width: int) -> list[list[Segment]]:
        drawn = []
        if self.left:
            for line in wrap(self.left, console, width):
                drawn.append(Segment.adjust_line_length(list(line.render(console, end="")), width))
        # The second text hangs from its translation's id, so it reads as the other one.
        label = Segment(_label(self.right_id), console.get_style("dim"))
        indent = Segment(" " * label.cell_length)
        right = self.right or Text(MISSING, style="dim")
        for i, line in enumerate(wrap(right, console, _hanging_width(self.right_id, width))):
            hanging = [label if i == 0 else indent, *line.render(console, end="")]
            drawn.append(Segment.adjust_line_length(hanging, width))
        return drawn

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(min(options.max_width, 2 * MIN_COLUMN + GAP), options.max_width)


def column_heads(left_name: str, right_id: str, right_name: str, right_has_it: bool) -> Beside:
    """The two translations' names above their columns; says so when the second has none of
    this chapter (a New Testament, a book it leaves out)."""
    # Styled spans, not a base style: padding a column to its width drops a base style.
    right = Text.assemble((right_name, "bold"))
    if not right_has_it:
        right.append("  (lacks this chapter)", style="dim")
    return Beside(Text.assemble((left_name, "bold")), right, right_id)
