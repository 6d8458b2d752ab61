"""Importers bring Bible text into the library from packages, SWORD modules or the network."""


class ImportFailed(Exception):
    """A translation could not be imported. ``str()`` is a sentence for the user."""
