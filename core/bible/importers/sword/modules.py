"""SWORD modules: reading their confs and finding them in a zip, a SWORD folder or the
installed folders, with one sentence for the user when a source holds no single Bible."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType

from core.bible.importers import ImportFailed
from core.bible.importers.sword.conf import BIBLE_DRIVERS, MAX_CONF_BYTES, decode, parse_conf
from core.config import Config
from storage.files import read_regular, why


@dataclass(frozen=True, slots=True)
class SwordModule:
    """One Bible module, installed in a SWORD folder or inside a zip."""

    name: str
    translation_id: str
    description: str
    location: str
    """Where it is, for the user: the SWORD folder or the zip file."""
    root: Path
    """The SWORD folder (with mods.d/ and modules/) or the zip file."""
    zip_prefix: str | None = None
    """For a zip: the folder inside it that holds mods.d/ ("" at the top); None otherwise."""
    conf: Mapping[str, str] = field(default_factory=dict, compare=False)
    """The module's conf, keys in lower case."""

    @property
    def driver(self) -> str:
        return self.conf.get("moddrv", "").lower()

    @property
    def is_bible(self) -> bool:
        return self.driver in BIBLE_DRIVERS


def module_from_conf(
    name: str, conf: dict[str, str], root: Path, zip_prefix: str | None = None
) -> SwordModule:
    abbreviation = conf.get("abbreviation", "").strip()
    return SwordModule(
        name=name,
        translation_id=abbreviation if abbreviation and " " not in abbreviation else name,
        description=conf.get("description", "").strip() or name,
        location=str(root),
        root=root,
        zip_prefix=zip_prefix,
        conf=MappingProxyType(dict(conf)),
    )


def _folder_modules(root: Path) -> list[SwordModule]:
    """Every module a SWORD folder's mods.d/ describes; unreadable confs are passed over."""
    found: list[SwordModule] = []
    try:
        confs = sorted((root / "mods.d").glob("*.conf"))
    except OSError:
        return found
    for path in confs:
        try:
            text = decode(read_regular(path, MAX_CONF_BYTES).data)
        except OSError:  # storage.files.UnreadableFile included
            continue
        for name, conf in parse_conf(text).items():
            found.append(module_from_conf(name, conf, root))
    return found


ZIP_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error)
"""What a damaged zip raises while it is read (corrupt deflate data surfaces as zlib.error)."""


def _zip_modules(path: Path) -> list[SwordModule]:
    """Every module a zip's mods.d/*.conf describes (read in place, nothing extracted)."""
    try:
        with zipfile.ZipFile(path) as archive:
            found: list[SwordModule] = []
            for member in sorted(archive.namelist()):
                parts = PurePosixPath(member).parts
                if len(parts) < 2 or parts[-2].lower() != "mods.d":
                    continue
                if not parts[-1].lower().endswith(".conf"):
                    continue
                prefix = "/".join(parts[:-2])
                text = decode(archive.read(member))
                for name, conf in parse_conf(text).items():
                    found.append(module_from_conf(name, conf, path, prefix))
            return found
    except ZIP_ERRORS as exc:
        raise ImportFailed(f"{path} cannot be read as a zip file ({exc}).") from exc


def search_paths(config: Config) -> list[Path]:
    """Where installed modules are looked for: the operator's own folders first, then the
    modules installed from repositories (kept in the app's data), then SWORD's own."""
    try:
        home = [Path.home() / ".sword"]
    except RuntimeError:  # no home directory (a bare service account)
        home = []
    return [*config.sword_paths, config.paths.sword_dir, *home, Path("/usr/share/sword")]


def discover(config: Config) -> list[SwordModule]:
    """Installed Bible modules, one per module name (the first folder that has it wins)."""
    seen: set[str] = set()
    found: list[SwordModule] = []
    for root in search_paths(config):
        for module in _folder_modules(root):
            if module.is_bible and module.name.lower() not in seen:
                seen.add(module.name.lower())
                found.append(module)
    return found


def _only_bible(modules: list[SwordModule], where: Path) -> SwordModule:
    if not modules:
        raise ImportFailed(f"{where} is not a SWORD module: it has no mods.d/*.conf file.")
    bibles = [m for m in modules if m.is_bible]
    if not bibles:
        kinds = ", ".join(f"{m.name} ({m.driver or 'no ModDrv'})" for m in modules)
        raise ImportFailed(
            f"{where} holds no Bible text module, only {kinds}; Verselight imports Bibles only."
        )
    if len(bibles) > 1:
        names = ", ".join(m.name for m in bibles)
        raise ImportFailed(
            f"{where} holds several Bibles ({names}); add the folder to sword_paths in the "
            "config and add one of them by name."
        )
    return bibles[0]


def _looks_like_path(source: str) -> bool:
    return "/" in source or "\\" in source or source.lower().endswith(".zip")


def locate(source: str, config: Config) -> SwordModule:
    """The module ``source`` names: a zip, a SWORD folder, or an installed module's name or id.

    A bare name means an installed module even if a file of that name sits in the current
    folder; the file is used only when no module is called that.
    """
    path = Path(source).expanduser()
    try:
        if not _looks_like_path(source):
            modules = discover(config)
            module = _installed(source, modules)
            if module is not None:
                return module
            if not path.exists():
                raise _not_installed(source, modules, config)
        return _from_path(path)
    except OSError as exc:  # a name too long for a path, a folder we may not enter...
        raise ImportFailed(f"{path} cannot be looked at ({why(exc)}).") from None


def _from_path(path: Path) -> SwordModule:
    if path.is_dir():
        return _only_bible(_folder_modules(path), path)
    if not path.is_file():
        raise ImportFailed(f"There is no file or folder at {path}.")
    if zipfile.is_zipfile(path):
        return _only_bible(_zip_modules(path), path)
    if path.suffix.lower() == ".zip":
        raise ImportFailed(f"{path} is not a readable zip file; it may be damaged or cut short.")
    raise ImportFailed(f"{path} is not a zip file, a SWORD folder or a module name.")


def _installed(wanted: str, modules: list[SwordModule]) -> SwordModule | None:
    """The module with that name, else the one with that translation id (any case)."""
    key = wanted.lower()
    by_name = [m for m in modules if m.name.lower() == key]
    by_id = [m for m in modules if m.translation_id.lower() == key]
    hits = by_name or by_id
    return hits[0] if hits else None


def _not_installed(wanted: str, modules: list[SwordModule], config: Config) -> ImportFailed:
    where = ", ".join(str(p) for p in search_paths(config))
    have = ", ".join(m.name for m in modules) or "none"
    return ImportFailed(
        f'No installed SWORD Bible is called "{wanted}" (looked in {where}; found: {have}).'
    )
