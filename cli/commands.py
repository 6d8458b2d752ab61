"""The names of the ``verselight`` commands and the module that runs each.

The reader starts from ``cli.main`` without importing any command's module (their parsers,
their services): a name is all ``main`` needs to choose, and the module loads when chosen.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

IMAGES_COMMAND = "images"
ACCOUNT_COMMANDS = ("session", "ledger", "admin", "doctor")
NOTES_COMMAND = "notes"
PLAN_COMMAND = "plan"
SERVE_COMMAND = "serve"

BIBLE_COMMANDS = ("read", "search", "translations", IMAGES_COMMAND)
"""Commands over the Bible and its illustrations (run by ``main`` with the library open)."""

OWN_MODULE = {
    **dict.fromkeys(ACCOUNT_COMMANDS, "cli.account"),
    IMAGES_COMMAND: "cli.images",
    NOTES_COMMAND: "cli.notes",
    PLAN_COMMAND: "cli.plans",
    SERVE_COMMAND: "cli.serve",
}
"""Commands with a module of their own, which adds their parser and runs them."""

COMMANDS = (*BIBLE_COMMANDS, *ACCOUNT_COMMANDS, NOTES_COMMAND, PLAN_COMMAND, SERVE_COMMAND)


def module_of(command: str) -> ModuleType:
    return import_module(OWN_MODULE[command])


def command_modules() -> list[ModuleType]:
    """Each command module once, in the order ``--help`` lists them."""
    return [import_module(name) for name in dict.fromkeys(OWN_MODULE.values())]
