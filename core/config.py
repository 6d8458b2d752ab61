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
from datetime import timedelta
from pathlib import Path

from core.billing.limits import Limits

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

    @property
    def ledger_db(self) -> Path:
        return self.data_dir / "ledger.sqlite"

    @property
    def secret_file(self) -> Path:
        return self.data_dir / "session.secret"

    @property
    def token_file(self) -> Path:
        return self.state_dir / "session.token"

    @property
    def onboarded_marker(self) -> Path:
        return self.state_dir / "onboarded"


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
    session_secret: bytes | None = field(default=None, repr=False)
    """From VERSELIGHT_SESSION_SECRET; None means the secret file in the data dir is used."""
    session_ttl: timedelta = timedelta(days=90)
    """How long an unused session token stays valid; every use renews it."""
    admin_password: str | None = field(default=None, repr=False)
    """From VERSELIGHT_ADMIN_PASSWORD."""
    admin_password_hash: str | None = field(default=None, repr=False)
    """From the config file's ``admin_password_hash`` (made by ``verselight admin hash``)."""
    limits: Limits = field(default_factory=Limits)

    @property
    def admin_configured(self) -> bool:
        return bool(self.admin_password or self.admin_password_hash)


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
        session_secret=_session_secret(env),
        session_ttl=timedelta(days=_number(data, "session_days", 90, paths.config_file, least=1)),
        admin_password=env.get("VERSELIGHT_ADMIN_PASSWORD") or None,
        admin_password_hash=_optional_str(data, "admin_password_hash", paths.config_file),
        limits=_limits(data.get("limits", {}), paths.config_file),
    )


MIN_SECRET_BYTES = 32


def _session_secret(env: Mapping[str, str]) -> bytes | None:
    raw = env.get("VERSELIGHT_SESSION_SECRET")
    if raw is None:
        return None
    secret = raw.encode("utf-8")
    if len(secret) < MIN_SECRET_BYTES:
        raise ConfigError(
            f"VERSELIGHT_SESSION_SECRET must be at least {MIN_SECRET_BYTES} bytes long "
            f"(it is {len(secret)}); unset it to let Verselight keep its own secret."
        )
    return secret


def _number(
    data: Mapping[str, object], key: str, default: int, where: Path, *, least: int = 0
) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise ConfigError(f"'{key}' in {where} must be a whole number of at least {least}.")
    return value


def _optional_str(data: Mapping[str, object], key: str, where: Path) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"'{key}' in {where} must be text.")
    return value or None


def _limits(data: object, where: Path) -> Limits:
    if not isinstance(data, dict):
        raise ConfigError(f"[limits] in {where} must be a table.")
    known = {
        "generations_per_minute",
        "invoices_per_minute",
        "daily_credit_cap",
        "stale_hold_minutes",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"Unknown setting [limits] {unknown[0]} in {where}.")
    d = Limits()
    return Limits(
        generations_per_minute=_number(
            data, "generations_per_minute", d.generations_per_minute, where
        ),
        invoices_per_minute=_number(data, "invoices_per_minute", d.invoices_per_minute, where),
        daily_credit_cap=_number(data, "daily_credit_cap", d.daily_credit_cap, where),
        stale_hold_age=timedelta(
            minutes=_number(
                data, "stale_hold_minutes", int(d.stale_hold_age.total_seconds() // 60), where
            )
        ),
    )
