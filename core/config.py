"""Where Verselight keeps its files and what the operator has configured.

Environment variables override a TOML file in the user's config dir. ``VERSELIGHT_HOME`` puts
config, data and state under one folder, which is what tests and portable installs use. A bad
config file is reported in one sentence and never half-applied.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

APP_NAME = "verselight"


class ConfigError(Exception):
    """The configuration cannot be used. ``str()`` is a sentence for the user."""


@dataclass(frozen=True, slots=True)
class Paths:
    config_dir: Path
    data_dir: Path
    state_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def library_db(self) -> Path:
        return self.data_dir / "library.sqlite"

    @property
    def reader_state(self) -> Path:
        return self.state_dir / "reader.json"

    @property
    def sword_cache(self) -> Path:
        return self.data_dir / "cache" / "sword"


def resolve_paths(env: Mapping[str, str] | None = None) -> Paths:
    env = os.environ if env is None else env
    home = env.get("VERSELIGHT_HOME")
    if home:
        root = Path(home).expanduser()
        return Paths(root / "config", root / "data", root / "state")
    import platformdirs

    dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
    return Paths(Path(dirs.user_config_dir), Path(dirs.user_data_dir), Path(dirs.user_state_dir))


@dataclass(frozen=True, slots=True)
class Config:
    paths: Paths
    default_translation: str = "KJV"
    sword_paths: tuple[Path, ...] = field(default_factory=tuple)
    """Folders searched for installed SWORD modules, besides ~/.sword and /usr/share/sword."""


def load_config(env: Mapping[str, str] | None = None, paths: Paths | None = None) -> Config:
    """The configuration from the TOML file and the environment (which wins)."""
    env = os.environ if env is None else env
    paths = paths or resolve_paths(env)
    data: dict[str, object] = {}
    if paths.config_file.exists():
        try:
            data = tomllib.loads(paths.config_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(
                f"The config file {paths.config_file} cannot be read: {exc}."
            ) from exc
    translation = env.get("VERSELIGHT_TRANSLATION") or data.get("translation", "KJV")
    if not isinstance(translation, str) or not translation.strip():
        raise ConfigError(f"'translation' in {paths.config_file} must be a translation id.")
    sword = data.get("sword_paths", [])
    if not isinstance(sword, list) or not all(isinstance(p, str) for p in sword):
        raise ConfigError(f"'sword_paths' in {paths.config_file} must be a list of folders.")
    extra = [p for p in env.get("VERSELIGHT_SWORD_PATH", "").split(os.pathsep) if p]
    return Config(
        paths=paths,
        default_translation=translation.strip(),
        sword_paths=tuple(Path(p).expanduser() for p in [*extra, *sword]),
    )
