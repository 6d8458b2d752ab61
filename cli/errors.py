"""The one failure type of the command line."""

from __future__ import annotations

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """A command that cannot go on: ``main`` prints the message as one line on stderr and
    exits with ``code`` (2 for bad usage or input, 1 for anything else)."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code
