"""Importers bring Bible text into the library from packages, SWORD modules or the network."""

import re

TRANSLATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
"""What a translation id may be (the ``fullmatch``): it appears in commands and file names."""


class ImportFailed(Exception):
    """A translation could not be imported. ``str()`` is a sentence for the user."""
