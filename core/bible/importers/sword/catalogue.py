"""What the remote SWORD repositories offer: each one's ``mods.d.tar.gz`` read into a list of
modules, cached in the state dir so that listing again needs no network.

A repository that is down, slow or answers garbage does not hide the others: its failure is
kept as one sentence beside their modules. The archive is read in memory and only its
``mods.d/*.conf`` members are looked at; an archive naming a path outside ``mods.d/`` (``../``,
an absolute path) is refused whole, since a repository that sends one cannot be trusted.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

from core.bible.importers import ImportFailed
from core.bible.importers.sword.conf import BIBLE_DRIVERS, MAX_CONF_BYTES, decode, parse_conf
from core.bible.importers.sword.fetching import TIMEOUTS, Timeouts, client, download
from core.config import Config
from core.env_settings import SwordRepo
from storage.files import UnreadableFile, read_regular

MAX_LIST_BYTES = 32 * 1024 * 1024
"""CrossWire's ``mods.d.tar.gz`` is well under 1 MB; a bigger one is not a module list."""
MAX_MEMBERS = 50_000
MAX_CACHE_BYTES = 64 * 1024 * 1024
CACHE_VERSION = 1
FRESH_FOR = timedelta(days=7)
"""A cached list is used, without asking the repository, for this long (or until --refresh)."""

_KEPT = ("abbreviation", "description", "lang", "installsize", "moddrv", "datapath", "version")


@dataclass(frozen=True, slots=True)
class RemoteModule:
    """One module a repository offers, as its conf describes it."""

    repo: str
    name: str
    conf: Mapping[str, str] = field(compare=False)
    """The settings a listing needs (keys in lower case); ``locked`` stands for CipherKey."""

    @property
    def translation_id(self) -> str:
        abbreviation = self.conf.get("abbreviation", "").strip()
        return abbreviation if abbreviation and " " not in abbreviation else self.name

    @property
    def description(self) -> str:
        return self.conf.get("description", "").strip() or self.name

    @property
    def language(self) -> str:
        return self.conf.get("lang", "").strip() or "und"

    @property
    def size(self) -> int | None:
        """``InstallSize`` in bytes: only approximate, and missing from many confs."""
        value = self.conf.get("installsize", "").strip()
        return int(value) if value.isdigit() else None

    @property
    def driver(self) -> str:
        return self.conf.get("moddrv", "").strip().lower()

    @property
    def is_bible(self) -> bool:
        return self.driver in BIBLE_DRIVERS

    @property
    def locked(self) -> bool:
        return "locked" in self.conf


@dataclass(frozen=True, slots=True)
class RepoList:
    """One repository's modules, or why they could not be had."""

    repo: SwordRepo
    modules: tuple[RemoteModule, ...] = ()
    fetched: str | None = None
    """ISO time the list was fetched (None when it could not be)."""
    failure: str | None = None
    """A sentence: why the repository could not be listed (the cached list may still be used)."""


@dataclass(frozen=True, slots=True)
class Catalogue:
    lists: tuple[RepoList, ...]

    @property
    def modules(self) -> list[RemoteModule]:
        return [m for listed in self.lists for m in listed.modules]

    @property
    def failures(self) -> list[str]:
        return [listed.failure for listed in self.lists if listed.failure]

    def find(self, wanted: str) -> RemoteModule | None:
        """The module with that name, else the one with that abbreviation (any case); the
        first configured repository that has it wins."""
        key = wanted.strip().lower()
        modules = self.modules
        for m in modules:
            if m.name.lower() == key:
                return m
        for m in modules:
            if m.translation_id.lower() == key:
                return m
        return None


def repo_confs(
    repo: SwordRepo, timeouts: Timeouts = TIMEOUTS
) -> dict[str, tuple[dict[str, str], str]]:
    """Module name -> (its settings, its conf's text), from the repository's mods.d.tar.gz."""
    buffer = io.BytesIO()
    with client(timeouts) as http:
        download(
            http,
            f"{repo.url}/mods.d.tar.gz",
            f"The repository {repo.name}",
            buffer,
            limit=MAX_LIST_BYTES,
            timeouts=timeouts,
        )
    return _read_list(repo, buffer.getvalue())


def _read_list(repo: SwordRepo, data: bytes) -> dict[str, tuple[dict[str, str], str]]:
    import tarfile

    found: dict[str, tuple[dict[str, str], str]] = {}
    bad = f"The repository {repo.name} did not send a module list (mods.d.tar.gz"
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            for count, member in enumerate(archive, start=1):
                if count > MAX_MEMBERS:
                    raise ImportFailed(f"{bad} holds too many files).")
                path = PurePosixPath(member.name)
                if path.is_absolute() or ".." in path.parts:
                    shown = "".join(c if c.isprintable() else "?" for c in member.name)[:80]
                    raise ImportFailed(
                        f"The repository {repo.name}'s module list names a path outside "
                        f"mods.d/ ({shown}); it was not used."
                    )
                parts = [p for p in path.parts if p != "."]
                if not (member.isfile() and len(parts) >= 2 and parts[-2] == "mods.d"):
                    continue
                if not parts[-1].lower().endswith(".conf") or member.size > MAX_CONF_BYTES:
                    continue
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                text = decode(handle.read())
                for name, conf in parse_conf(text).items():
                    found.setdefault(name, (conf, text))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise ImportFailed(f"{bad} cannot be read: {exc}).") from None
    if not found:
        raise ImportFailed(f"{bad} holds no module's conf).")
    return found


def _listed(repo: SwordRepo, confs: Mapping[str, tuple[dict[str, str], str]]) -> RepoList:
    modules = []
    for name, (conf, _) in sorted(confs.items(), key=lambda item: item[0].lower()):
        kept = {k: conf[k] for k in _KEPT if k in conf}
        if "cipherkey" in conf:
            kept["locked"] = "yes"
        modules.append(RemoteModule(repo.name, name, kept))
    return RepoList(repo, tuple(modules), datetime.now(UTC).isoformat(timespec="seconds"))


def available(config: Config, *, refresh: bool = False, timeouts: Timeouts = TIMEOUTS) -> Catalogue:
    """The configured repositories' modules: from the cache while it is fresh, else fetched
    (and cached). A repository that fails keeps its cached list, if any, with its sentence."""
    if config.sword_repos_problem:
        raise ImportFailed(config.sword_repos_problem)
    cached = _read_cache(config)
    lists: list[RepoList] = []
    fetched_any = False
    for repo in config.sword_repos:
        old = cached.get(repo.url)
        if old is not None and old.repo != repo:  # renamed in the config: ask again
            old = None
        if old is not None and not refresh and _fresh(old.fetched):
            lists.append(old)
            continue
        try:
            lists.append(_listed(repo, repo_confs(repo, timeouts)))
            fetched_any = True
        except ImportFailed as exc:
            failure = str(exc)
            if old is not None:
                failure += f" Its list from {(old.fetched or '')[:10]} is shown."
            lists.append(
                RepoList(repo, old.modules if old else (), old.fetched if old else None, failure)
            )
    catalogue = Catalogue(tuple(lists))
    if fetched_any:
        _write_cache(config, catalogue.lists)
    return catalogue


def _fresh(fetched: str | None) -> bool:
    try:
        when = datetime.fromisoformat(fetched or "")
    except ValueError:
        return False
    return timedelta(0) <= datetime.now(UTC) - when < FRESH_FOR


def _read_cache(config: Config) -> dict[str, RepoList]:
    """Cached lists by repository URL; a missing or damaged cache is simply no cache."""
    try:
        raw = json.loads(read_regular(config.paths.sword_catalogue, MAX_CACHE_BYTES).data)
        if raw.get("version") != CACHE_VERSION:
            return {}
        lists = {}
        for entry in raw["repos"]:
            repo = SwordRepo(str(entry["name"]), str(entry["url"]))
            modules = tuple(
                RemoteModule(
                    repo.name, str(m["name"]), {str(k): str(v) for k, v in m["conf"].items()}
                )
                for m in entry["modules"]
            )
            lists[repo.url] = RepoList(repo, modules, str(entry["fetched"]))
        return lists
    except (OSError, UnreadableFile, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _write_cache(config: Config, lists: Iterable[RepoList]) -> None:
    """Keep the lists that were had (fetched now or before); failures are not kept."""
    doc = {
        "version": CACHE_VERSION,
        "repos": [
            {
                "name": listed.repo.name,
                "url": listed.repo.url,
                "fetched": listed.fetched,
                "modules": [{"name": m.name, "conf": dict(m.conf)} for m in listed.modules],
            }
            for listed in lists
            if listed.fetched
        ],
    }
    from core.files import write_atomic

    path = config.paths.sword_catalogue
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(path, json.dumps(doc, ensure_ascii=False).encode("utf-8"))
    except OSError:
        pass  # only a cache: the next listing fetches again


def size_text(size: int | None) -> str:
    """InstallSize for people: "4.3 MB", or "?" when the conf gives none."""
    if size is None:
        return "?"
    if size < 1_000_000:
        return f"{max(1, round(size / 1000))} kB"
    return f"{size / 1_000_000:.1f} MB"
