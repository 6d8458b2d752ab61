"""What a visitor may run without a terminal: ``read REF`` and ``search WORDS``, nothing else.

No shell is ever involved: the words are checked here and handed to ``python -m cli`` as an
argument list. Anything that looks like shell syntax is refused outright rather than
interpreted, so no quoting trick can reach a shell that is not there anyway.
"""

from __future__ import annotations

import shlex

ALLOWED = ("read", "search")
SHELL_CHARACTERS = set(";|&<>()$`\\*?[]{}~!#\n\r\t\x00")
MAX_COMMAND_CHARS = 1000


class Refused(Exception):
    """``str()`` is the one line the visitor sees on stderr (exit status 2)."""


def parse(command: str) -> list[str]:
    """The argument list for ``python -m cli``, or ``Refused``."""
    if len(command) > MAX_COMMAND_CHARS:
        raise Refused("verselight: that command is far too long.")
    if any(c in SHELL_CHARACTERS for c in command) or not command.isprintable():
        raise Refused(
            "verselight: only `read REFERENCE` and `search WORDS` can be run here, "
            "without shell syntax."
        )
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()  # an apostrophe in a search ("Lord's") is a word, not a quote
    if not words or words[0] not in ALLOWED:
        raise Refused(
            "verselight: only `read REFERENCE` and `search WORDS` can be run here "
            "(or connect with a terminal for the reader)."
        )
    return words
