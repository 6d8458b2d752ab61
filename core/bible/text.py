"""Verse text conventions shared by importers, search and display.

KJV marks the words its translators supplied with [brackets]. We keep them in the stored text
so the reader can set them in italics, and strip them from the copy that is indexed and
printed plainly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def plain(text: str) -> str:
    """The text without supplied-word brackets, for the search index and plain output."""
    # split() and join() collapse whitespace as ``\s+`` -> " " and strip() would, faster.
    return " ".join(text.replace("[", "").replace("]", "").split())


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    supplied: bool


def segments(text: str) -> list[Segment]:
    """Split text into runs of ordinary and translator-supplied (bracketed) words."""
    out: list[Segment] = []
    for i, part in enumerate(re.split(r"\[|\]", text)):
        if part:
            out.append(Segment(part, supplied=i % 2 == 1))
    return out
