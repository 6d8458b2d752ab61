"""Text a user typed, made safe to show back to them.

A message that echoes user input (a reference, a translation id, a search query, a file name,
a config key) goes to a terminal. Raw, ``\\x1b[2J`` would clear the screen, a bidi override
would reorder the words around it, a lone surrogate (an undecodable byte in ``argv``) would
make ``print`` itself fail, and a 20 KB paste would bury the sentence. ``echo`` escapes every
such character visibly (``\\x1b``, ``\\u202e``) and shortens what is too long, so the user still
sees what they typed. This is the one place that decides what is safe to print.
"""

from __future__ import annotations

import unicodedata

ECHO_LIMIT = 80
"""Characters of user text kept in a message; the rest becomes "…"."""

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
"""Controls (C0, C1, DEL), format characters (bidi overrides and isolates, zero-width ones),
lone surrogates, and line/paragraph separators."""


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def decoded(text: str) -> str:
    """Words from ``argv``: bytes that were not UTF-8 arrive as lone surrogates, which SQLite
    and strict streams refuse; here they become U+FFFD. Only for words (references, queries,
    ids), never for file names, which must reach the file system byte for byte."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def printable(text: object) -> str:
    """``str(text)`` with every unsafe character escaped; nothing is cut."""
    value = str(text)
    if value.isprintable() and value.isascii():
        return value
    return "".join(
        _escape(c) if unicodedata.category(c) in _UNSAFE_CATEGORIES else c for c in value
    )


def echo(text: object, limit: int = ECHO_LIMIT) -> str:
    """User text for a message: unsafe characters escaped, at most about ``limit`` characters."""
    value = str(text)
    cut = len(value) > limit
    safe = printable(value[:limit] if cut else value)
    return f"{safe}…" if cut else safe
