"""Bible translations from SWORD modules: a zip, a SWORD folder or an installed module.

``pysword`` finds each verse in the module's files, but we clean the markup ourselves: its
cleaner glues words together where a footnote sat between them ("Godcreated") and leaves
pilcrows and stray tags. The module's own versification is kept as it is: we import exactly
the verses it has, by its own numbering, for the 66 books of our table.

Reading is eager (all verses are cleaned in ``load``), so a broken module is reported before
anything is written, and a zip's temporary copy is gone by the time ``load`` returns.

The parts: ``markup`` cleans the verse text, ``modules`` finds and describes modules
(``discover``, ``locate``), ``reading`` loads one (``load``); ``catalogue``, ``fetching``, ``verify`` and ``install``
bring Bibles from remote repositories.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.bible.importers.sword.conf import BIBLE_DRIVERS, parse_conf
    from core.bible.importers.sword.markup import clean, clean_gbf, clean_osis, clean_thml
    from core.bible.importers.sword.modules import SwordModule, discover, locate, search_paths
    from core.bible.importers.sword.reading import Row, load

_HOMES = {
    "markup": ("clean", "clean_gbf", "clean_osis", "clean_thml"),
    "conf": ("BIBLE_DRIVERS", "parse_conf"),
    "modules": ("SwordModule", "discover", "locate", "search_paths"),
    "reading": ("Row", "load"),
}


def __getattr__(name: str) -> Any:
    """The parts load when first asked for: listing the repositories' modules from the cache
    (``catalogue``) needs none of the markup cleaner or the reader."""
    import importlib

    for module, names in _HOMES.items():
        if name in names:
            return getattr(importlib.import_module(f"{__name__}.{module}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BIBLE_DRIVERS",
    "Row",
    "SwordModule",
    "clean",
    "clean_gbf",
    "clean_osis",
    "clean_thml",
    "discover",
    "load",
    "locate",
    "parse_conf",
    "search_paths",
]
