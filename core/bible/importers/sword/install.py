"""Installing a Bible from a remote SWORD repository: download, verify, import, keep.

Everything is written under the app's data: the files are downloaded into a staging folder
inside ``Paths.sword_dir`` (so the final move is a rename on one filesystem), checked
(``verify``), read and imported into the library in one transaction, and only then moved into
``sword_dir`` as a SWORD tree (``translations add`` can import them again, offline). Any
failure removes the staging folder: nothing is ever half-installed.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from core.bible.importers import TRANSLATION_ID, ImportFailed
from core.bible.importers.sword.catalogue import RemoteModule, available, repo_confs
from core.bible.importers.sword.fetching import TIMEOUTS, NotThere, Timeouts, client, download
from core.bible.importers.sword.modules import module_from_conf
from core.bible.importers.sword.reading import load
from core.bible.importers.sword.verify import TESTAMENTS, check, file_names
from core.bible.library import Library, Translation
from core.config import Config
from core.printable import echo

Stage = Callable[[str, int, int], None]
"""Told (what is happening, done, of how many) while installing: bytes, then verses."""

MAX_MODULE_BYTES = 512 * 1024 * 1024
"""Past this, one file is not a Bible's (the largest SWORD Bibles are tens of MB)."""
STAGING = ".staging"
STALE_STAGING = 6 * 3600
"""A staging folder this old (seconds) was left by an install that was killed."""
_MODULE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}")


def refusal(module: RemoteModule) -> str | None:
    """Why ``module`` cannot be installed as a translation (a sentence), or None."""
    if not module.is_bible:
        return (
            f"{module.name} is not a Bible (ModDrv={module.conf.get('moddrv', 'missing')}); "
            "only Bible text modules install as translations."
        )
    if module.locked:
        return (
            f"{module.name} is locked: its publisher sells the key, and Verselight does not "
            "install locked modules."
        )
    return None


def data_path(name: str, conf: dict[str, str]) -> PurePosixPath:
    """The module's DataPath, which must be a relative folder under ./modules/ with no ``..``."""
    raw = conf.get("datapath", "").strip()
    path = PurePosixPath(raw)
    parts = [p for p in path.parts if p != "."]
    if (
        not raw
        or "\\" in raw
        or path.is_absolute()
        or ".." in parts
        or len(parts) < 2
        or parts[0] != "modules"
        or not all(p.isprintable() for p in parts)
    ):
        raise ImportFailed(
            f"{name}'s conf gives DataPath={echo(raw) or 'nothing'}, which is not a folder "
            "under ./modules/; it was not installed."
        )
    return PurePosixPath(*parts)


def install(
    wanted: str,
    config: Config,
    library: Library,
    progress: Stage | None = None,
    *,
    timeouts: Timeouts = TIMEOUTS,
) -> Translation:
    """Install the module called ``wanted`` (name or abbreviation) from the configured
    repositories; the translation it became. ``ImportFailed`` (a sentence) if it cannot be."""
    catalogue = available(config, timeouts=timeouts)
    listed = catalogue.find(wanted)
    if listed is None:
        failed = " ".join(catalogue.failures)
        raise ImportFailed(
            f'No repository offers a module called "{echo(wanted)}" '
            "(verselight translations available lists them)." + (f" {failed}" if failed else "")
        )
    if (why := refusal(listed)) is not None:
        raise ImportFailed(why)
    repo = next(r.repo for r in catalogue.lists if r.repo.name == listed.repo)
    confs = repo_confs(repo, timeouts)  # the conf as it is now, text and all
    if listed.name not in confs:
        raise ImportFailed(f"The repository {repo.name} no longer offers {listed.name}.")
    conf, text = confs[listed.name]
    module = RemoteModule(
        repo.name, listed.name, {**conf, **({"locked": "yes"} if "cipherkey" in conf else {})}
    )
    if (why := refusal(module)) is not None:
        raise ImportFailed(why)
    if not _MODULE_NAME.fullmatch(module.name):
        raise ImportFailed(
            f"The repository {repo.name} names a module {echo(module.name)!r}, which cannot be a file name."
        )
    tid = module.translation_id
    if not TRANSLATION_ID.fullmatch(tid):
        tid = module.name
    if library.has(tid):
        raise ImportFailed(f"{tid} is already in the library; remove it first to install it again.")
    relative = data_path(module.name, conf)
    root = config.paths.sword_dir
    _check_not_taken(root, module.name, relative)
    staging = _staging(root)
    try:
        folder = staging / relative
        _fetch_files(repo.url, repo.name, module, relative, folder, progress, timeouts)
        check(
            folder,
            module.name,
            module.driver,
            conf.get("blocktype", "BOOK"),
            conf.get("compresstype", "ZIP"),
        )
        (staging / "mods.d").mkdir(mode=0o700)
        conf_file = staging / "mods.d" / f"{module.name.lower()}.conf"
        conf_file.write_text(text, encoding="utf-8")
        sword_module = module_from_conf(module.name, conf, staging)
        info, rows, expected = load(sword_module, config)
        if info.id != tid:
            import dataclasses

            info = dataclasses.replace(info, id=tid)
        report = (
            (lambda done, total: progress(f"Importing {tid}", done, total)) if progress else None
        )
        translation = library.add(info, rows, expected, report)
        _move_into_place(staging, relative, conf_file, root)
        return translation
    except OSError as exc:
        raise ImportFailed(
            f"{module.name} could not be installed: {exc.strerror or exc} ({exc.filename or root})."
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check_not_taken(root: Path, name: str, relative: PurePosixPath) -> None:
    """Refuse a DataPath where another installed module's files are (or inside them): its
    conf would be left pointing at this one's text."""
    from core.bible.importers.sword.conf import MAX_CONF_BYTES, parse_conf
    from storage.files import read_regular

    folder = root / "mods.d"
    for path in sorted(folder.glob("*.conf")) if folder.is_dir() else []:
        try:
            text = read_regular(path, MAX_CONF_BYTES).data.decode("utf-8", "replace")
        except OSError:
            continue
        for other, conf in parse_conf(text).items():
            if other.lower() == name.lower():
                continue
            try:
                theirs = data_path(other, conf)
            except ImportFailed:
                continue
            if relative == theirs or theirs in relative.parents or relative in theirs.parents:
                raise ImportFailed(
                    f"{name}'s conf gives DataPath=./{relative}/, where {other} is installed; "
                    "it was not installed."
                )


def _staging(root: Path) -> Path:
    """A new staging folder under ``root``; leftovers of killed installs are removed first."""
    parent = root / STAGING
    parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = time.time()
    for old in parent.iterdir():
        try:
            if now - old.lstat().st_mtime > STALE_STAGING:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass
    return Path(tempfile.mkdtemp(prefix="install-", dir=parent))


def _fetch_files(
    base: str,
    repo: str,
    module: RemoteModule,
    relative: PurePosixPath,
    folder: Path,
    progress: Stage | None,
    timeouts: Timeouts,
) -> None:
    """Download every file the driver reads; a testament whose index is not there is absent."""
    folder.mkdir(parents=True, mode=0o700)
    suffixes = file_names(module.driver, module.conf.get("blocktype", "BOOK"))
    total = module.size or 0
    done = 0
    label = f"Downloading {module.name}"

    def moved(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(label, done, max(total, done + 1))

    where = f"The repository {repo}"
    found = 0
    with client(timeouts) as http:
        for testament in TESTAMENTS:
            for i, suffix in enumerate(suffixes):
                name = f"{testament}{suffix}"
                url = f"{base}/{relative}/{name}"
                try:
                    with open(folder / name, "xb") as out:
                        download(
                            http,
                            url,
                            where,
                            out,
                            limit=MAX_MODULE_BYTES,
                            timeouts=timeouts,
                            progress=moved,
                        )
                except NotThere:
                    (folder / name).unlink(missing_ok=True)
                    if i == 0:
                        break  # this testament is not in the module
                    raise ImportFailed(
                        f"{where} has {testament}{suffixes[0]} but not {name} for {module.name}; "
                        "its files are incomplete."
                    ) from None
                found += i == 0
    if not found:
        raise ImportFailed(
            f"{where} has no text files at {module.name}'s DataPath (./{relative}/); "
            "its conf does not match what it publishes."
        )
    if progress is not None:
        progress(label, done, done)


def _move_into_place(staging: Path, relative: PurePosixPath, conf_file: Path, root: Path) -> None:
    """The module's folder, then its conf, renamed into ``root``; an older copy is replaced."""
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if target.exists():
        os.replace(target, staging / "replaced")
    os.replace(staging / relative, target)
    (root / "mods.d").mkdir(exist_ok=True, mode=0o700)
    os.replace(conf_file, root / "mods.d" / conf_file.name)
