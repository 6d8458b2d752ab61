"""Opening everything a front end needs, once, with the user's configuration.

Both the command line and the TUI start here, so they see the same library, the same
translation choice and the same first-run behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.bible.library import Library, Progress
from core.config import Config


@dataclass(slots=True)
class Context:
    config: Config
    library: Library
    notices: list[str]
    """Sentences to show the user once (a damaged library moved aside, a first-run import)."""

    def translation_id(self, wanted: str | None = None) -> str:
        """The translation to use: the one asked for, else the configured default, else KJV."""
        if wanted:
            return self.library.translation(wanted).id
        if self.library.has(self.config.default_translation):
            return self.library.translation(self.config.default_translation).id
        return "KJV"

    def close(self) -> None:
        self.library.close()


def open_context(config: Config, progress: Progress | None = None) -> Context:
    """Open the library, importing the default translation on first run (with progress)."""
    library = Library.open(config.paths.library_db)
    notices = [library.notice] if library.notice else []
    if library.needs_first_run_import():
        library.import_default(progress)
    return Context(config, library, notices)
