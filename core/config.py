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
from decimal import Decimal, InvalidOperation
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

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"


def resolve_paths(env: Mapping[str, str] | None = None) -> Paths:
    env = os.environ if env is None else env
    home = env.get("VERSELIGHT_HOME")
    if home:
        root = Path(home).expanduser()
        return Paths(root / "config", root / "data", root / "state")
    import platformdirs

    dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
    return Paths(Path(dirs.user_config_dir), Path(dirs.user_data_dir), Path(dirs.user_state_dir))


DEFAULT_MODEL = "openrouter/google/gemini-2.5-flash-image"


@dataclass(frozen=True, slots=True)
class ImageSettings:
    """Image providers and prices (DESIGN.md section 7). Keys come from the environment only."""

    openrouter_url: str = "https://openrouter.ai/api/v1"
    openrouter_key: str | None = field(default=None, repr=False)
    images_url: str | None = None
    """An OpenAI-style server's base URL, e.g. https://api.openai.com/v1."""
    images_key: str | None = field(default=None, repr=False)
    images_models: tuple[str, ...] = ("gpt-image-1",)
    markup: Decimal = Decimal("1.25")
    pinned: dict[str, int] = field(default_factory=dict)
    """Credits per image fixed by the operator, keyed "provider/model"."""
    default_model: str = DEFAULT_MODEL
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    deadline: float = 180.0
    max_bytes: int = 32 * 1024 * 1024


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
    images: ImageSettings = field(default_factory=ImageSettings)

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
        images=_images(data.get("images", {}), env, paths.config_file),
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


def _url(value: object, name: str, where: str) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} {where} must be an http:// or https:// URL.")
    return value.rstrip("/")


def _seconds(data: Mapping[str, object], key: str, default: float, where: Path) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"'{key}' in [images] of {where} must be a number of seconds above 0.")
    return float(value)


def _images(data: object, env: Mapping[str, str], where: Path) -> ImageSettings:
    """[images] from the config file; URLs, keys and model names from the environment win."""
    if not isinstance(data, dict):
        raise ConfigError(f"[images] in {where} must be a table.")
    known = {
        "openrouter_url", "images_url", "images_models", "markup", "prices", "default_model",
        "connect_timeout", "read_timeout", "deadline", "max_megabytes",
    }  # fmt: skip
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"Unknown setting [images] {unknown[0]} in {where}.")
    d = ImageSettings()
    in_file = f"in [images] of {where}"
    openrouter_url = d.openrouter_url
    if "VERSELIGHT_OPENROUTER_URL" in env:
        openrouter_url = _url(env["VERSELIGHT_OPENROUTER_URL"], "VERSELIGHT_OPENROUTER_URL", "")
    elif "openrouter_url" in data:
        openrouter_url = _url(data["openrouter_url"], "'openrouter_url'", in_file)
    images_url: str | None = None
    if env.get("VERSELIGHT_IMAGES_URL"):
        images_url = _url(env["VERSELIGHT_IMAGES_URL"], "VERSELIGHT_IMAGES_URL", "")
    elif "images_url" in data:
        images_url = _url(data["images_url"], "'images_url'", in_file)
    models: object = data.get("images_models", list(d.images_models))
    if env.get("VERSELIGHT_IMAGES_MODELS"):
        models = [m.strip() for m in env["VERSELIGHT_IMAGES_MODELS"].split(",") if m.strip()]
    if not isinstance(models, list) or not all(isinstance(m, str) and m for m in models):
        raise ConfigError(f"'images_models' {in_file} must be a list of model names.")
    try:
        markup = Decimal(str(data.get("markup", d.markup)))
    except InvalidOperation:
        markup = Decimal(-1)
    if not markup.is_finite() or markup < 1 or isinstance(data.get("markup"), bool):
        raise ConfigError(f"'markup' {in_file} must be a number of at least 1 (like \"1.25\").")
    prices = data.get("prices", {})
    if not isinstance(prices, dict) or not all(
        isinstance(k, str)
        and "/" in k
        and isinstance(v, int)
        and not isinstance(v, bool)
        and v >= 1
        for k, v in prices.items()
    ):
        raise ConfigError(
            f'[images.prices] in {where} must map "provider/model" to a whole number of '
            "credits of at least 1."
        )
    default_model = env.get("VERSELIGHT_IMAGES_DEFAULT_MODEL") or data.get(
        "default_model", d.default_model
    )
    if not isinstance(default_model, str) or "/" not in default_model:
        raise ConfigError(f"'default_model' {in_file} must be \"provider/model\".")
    megabytes = data.get("max_megabytes", d.max_bytes // (1024 * 1024))
    if isinstance(megabytes, bool) or not isinstance(megabytes, int) or megabytes < 1:
        raise ConfigError(f"'max_megabytes' {in_file} must be a whole number of at least 1.")
    return ImageSettings(
        openrouter_url=openrouter_url,
        openrouter_key=env.get("OPENROUTER_API_KEY") or None,
        images_url=images_url,
        images_key=env.get("VERSELIGHT_IMAGES_KEY") or None,
        images_models=tuple(models),
        markup=markup,
        pinned=dict(prices),
        default_model=default_model,
        connect_timeout=_seconds(data, "connect_timeout", d.connect_timeout, where),
        read_timeout=_seconds(data, "read_timeout", d.read_timeout, where),
        deadline=_seconds(data, "deadline", d.deadline, where),
        max_bytes=megabytes * 1024 * 1024,
    )
