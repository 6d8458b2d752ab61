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
from core.env_settings import (
    PaymentSettings,
    SwordRepo,
    image_renderer,
    payment_settings,
    sword_repos,
)
from core.printable import echo, printable
from storage.files import UnreadableFile, read_regular

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
    def ledger_db(self) -> Path:
        return self.data_dir / "ledger.sqlite"

    @property
    def user_db(self) -> Path:
        """The reader's own things (marks, notes, plans), per session, beside the ledger."""
        return self.data_dir / "user.sqlite"

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

    @property
    def sword_dir(self) -> Path:
        """Modules installed from remote repositories, kept as a SWORD tree."""
        return self.data_dir / "sword"

    @property
    def sword_catalogue(self) -> Path:
        """The cached list of the remote repositories' modules."""
        return self.state_dir / "sword-repositories.json"


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
    sword_repos: tuple[SwordRepo, ...] = ()
    """Remote repositories ``translations available`` lists and installs from (empty: none
    configured, as in tests that build a ``Config`` by hand)."""
    sword_repos_problem: str | None = None
    """Why the configured repositories cannot be used (a sentence), when they cannot."""
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
    payments: PaymentSettings = field(default_factory=PaymentSettings)
    image_renderer: str = "auto"
    """From VERSELIGHT_IMAGE_RENDERER: one of ``core.env_settings.IMAGE_RENDERERS`` (an
    unknown name means auto, as ``image_renderer_problem`` says)."""
    image_renderer_problem: str | None = None

    @property
    def admin_configured(self) -> bool:
        return bool(self.admin_password or self.admin_password_hash)


MAX_CONFIG_BYTES = 256 * 1024
"""A config file is a few hundred bytes; anything past this is not one."""

SESSION_DAYS = (1, 3650)
LIMIT_BOUNDS: dict[str, tuple[int, int]] = {
    "generations_per_minute": (0, 10_000),
    "invoices_per_minute": (0, 10_000),
    "daily_credit_cap": (0, 1_000_000_000),
    "stale_hold_minutes": (1, 7 * 24 * 60),
}
"""Each [limits] setting's least and greatest value (README, "Configuration and files")."""
SECONDS_MAX = 3600.0
"""[images] connect_timeout, read_timeout and deadline are seconds above 0 and at most this."""
MARKUP_BOUNDS = (Decimal(1), Decimal(100))
PRICE_BOUNDS = (1, 1_000_000)
MEGABYTES_BOUNDS = (1, 256)


def load_config(env: Mapping[str, str] | None = None, paths: Paths | None = None) -> Config:
    """The configuration from the TOML file and the environment (which wins)."""
    env = os.environ if env is None else env
    paths = paths or resolve_paths(env)
    data = _read_file(paths.config_file)
    where = Path(printable(paths.config_file))
    translation = env.get("VERSELIGHT_TRANSLATION") or data.get("translation", "KJV")
    if not _translation_id(translation):
        said = (
            "VERSELIGHT_TRANSLATION"
            if env.get("VERSELIGHT_TRANSLATION")
            else f"'translation' in {where}"
        )
        raise ConfigError(f"{said} must be a translation id, such as KJV.")
    assert isinstance(translation, str)
    sword = data.get("sword_paths", [])
    if not isinstance(sword, list) or not all(isinstance(p, str) for p in sword):
        raise ConfigError(f"'sword_paths' in {where} must be a list of folders.")
    extra = [p for p in env.get("VERSELIGHT_SWORD_PATH", "").split(os.pathsep) if p]
    renderer, renderer_problem = image_renderer(env)
    repos, repos_problem = sword_repos(env, data.get("sword_repos"), where)
    return Config(
        paths=paths,
        default_translation=translation.strip(),
        sword_paths=tuple(Path(p).expanduser() for p in [*extra, *sword]),
        sword_repos=repos,
        sword_repos_problem=repos_problem,
        session_secret=_session_secret(env),
        session_ttl=timedelta(days=_number(data, "session_days", 90, where, *SESSION_DAYS)),
        admin_password=env.get("VERSELIGHT_ADMIN_PASSWORD") or None,
        admin_password_hash=_optional_str(data, "admin_password_hash", where),
        limits=_limits(data.get("limits", {}), where),
        images=_images(data.get("images", {}), env, where),
        payments=payment_settings(env),
        image_renderer=renderer,
        image_renderer_problem=renderer_problem,
    )


def _translation_id(value: object) -> bool:
    """Text that can name a translation: printable, at most 64 characters, valid UTF-8."""
    return (
        isinstance(value, str)
        and bool(value.strip())
        and len(value) <= 64
        and value.isprintable()  # False for controls and for lone surrogates
    )


def _read_file(path: Path) -> dict[str, object]:
    """The config file's settings; {} when there is none. Whatever sits at the path (a FIFO,
    a link to /dev/zero, a huge or binary file, TOML nested a thousand deep) gives one sentence
    naming the file."""
    where = printable(path)
    try:
        raw = read_regular(path, MAX_CONFIG_BYTES).data
    except FileNotFoundError:
        return {}
    except UnreadableFile as exc:
        raise ConfigError(f"The config file {where} cannot be read: {exc.reason}.") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"The config file {where} is not UTF-8 text.") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The config file {where} is not valid TOML: {printable(exc)}.") from None
    except RecursionError:
        raise ConfigError(
            f"The config file {where} nests tables or lists too deeply to be a config."
        ) from None


MIN_SECRET_BYTES = 32
MAX_SECRET_BYTES = 4096
"""A session secret, from the environment or the secret file, is 32 to 4096 bytes."""


def _session_secret(env: Mapping[str, str]) -> bytes | None:
    raw = env.get("VERSELIGHT_SESSION_SECRET")
    if raw is None:
        return None
    try:
        # os.environ holds undecodable bytes as lone surrogates, which strict UTF-8 refuses.
        secret = raw.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(
            "VERSELIGHT_SESSION_SECRET must be UTF-8 text (for example 64 hex digits); "
            "unset it to let Verselight keep its own secret."
        ) from None
    if not MIN_SECRET_BYTES <= len(secret) <= MAX_SECRET_BYTES:
        raise ConfigError(
            f"VERSELIGHT_SESSION_SECRET must be at least {MIN_SECRET_BYTES} bytes long and at "
            f"most {MAX_SECRET_BYTES} (it is {len(secret)}); unset it to let Verselight keep "
            "its own secret."
        )
    return secret


def _number(
    data: Mapping[str, object], key: str, default: int, where: object, least: int, most: int
) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= most:
        raise ConfigError(f"'{key}' in {where} must be a whole number from {least} to {most:,}.")
    return value


def _optional_str(data: Mapping[str, object], key: str, where: object) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"'{key}' in {where} must be text.")
    return value or None


def _unknown(data: Mapping[str, object], known: set[str], table: str, where: object) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"Unknown setting [{table}] {echo(unknown[0])} in {where}.")


def _limits(data: object, where: object) -> Limits:
    if not isinstance(data, dict):
        raise ConfigError(f"[limits] in {where} must be a table.")
    _unknown(data, set(LIMIT_BOUNDS), "limits", where)
    d = Limits()
    defaults = {
        "generations_per_minute": d.generations_per_minute,
        "invoices_per_minute": d.invoices_per_minute,
        "daily_credit_cap": d.daily_credit_cap,
        "stale_hold_minutes": int(d.stale_hold_age.total_seconds() // 60),
    }
    got = {
        key: _number(data, key, defaults[key], f"[limits] of {where}", *bounds)
        for key, bounds in LIMIT_BOUNDS.items()
    }
    return Limits(
        generations_per_minute=got["generations_per_minute"],
        invoices_per_minute=got["invoices_per_minute"],
        daily_credit_cap=got["daily_credit_cap"],
        stale_hold_age=timedelta(minutes=got["stale_hold_minutes"]),
    )


def _url(value: object, name: str, where: str) -> str:
    if (
        not isinstance(value, str)
        or not value.startswith(("http://", "https://"))
        or not (value.isascii() and value.isprintable())
        or " " in value
        or len(value) > 2048
    ):
        said = f"{name} {where}" if where else name
        raise ConfigError(f"{said} must be an http:// or https:// URL.")
    return value.rstrip("/")


def _key(env: Mapping[str, str], name: str) -> str | None:
    """An API key from the environment: it goes into an HTTP header, so printable ASCII only."""
    value = env.get(name) or None
    if value is not None and not (
        value.isascii() and value.isprintable() and " " not in value and len(value) <= 4096
    ):
        raise ConfigError(f"{name} must be printable ASCII without spaces (an API key).")
    return value


def _seconds(data: Mapping[str, object], key: str, default: float, where: object) -> float:
    value = data.get(key, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 < value <= SECONDS_MAX
    ):
        raise ConfigError(
            f"'{key}' in [images] of {where} must be a number of seconds above 0 and at most "
            f"{SECONDS_MAX:g}."
        )
    return float(value)


def _markup(data: Mapping[str, object], default: Decimal, in_file: str) -> Decimal:
    value = data.get("markup", default)
    try:
        markup = Decimal(str(value)) if isinstance(value, str | int | float | Decimal) else None
    except InvalidOperation:
        markup = None
    least, most = MARKUP_BOUNDS
    if markup is None or isinstance(value, bool) or not markup.is_finite():
        markup = Decimal(-1)
    if not least <= markup <= most:
        raise ConfigError(
            f"'markup' {in_file} must be a number from {least} to {most} (like \"1.25\")."
        )
    return markup


def _prices(data: Mapping[str, object], where: object) -> dict[str, int]:
    prices = data.get("prices", {})
    least, most = PRICE_BOUNDS
    if not isinstance(prices, dict) or not all(
        isinstance(k, str)
        and "/" in k
        and isinstance(v, int)
        and not isinstance(v, bool)
        and least <= v <= most
        for k, v in prices.items()
    ):
        raise ConfigError(
            f'[images.prices] in {where} must map "provider/model" to a whole number of '
            f"credits from {least} to {most:,}."
        )
    return dict(prices)


def _images(data: object, env: Mapping[str, str], where: object) -> ImageSettings:
    """[images] from the config file; URLs, keys and model names from the environment win."""
    if not isinstance(data, dict):
        raise ConfigError(f"[images] in {where} must be a table.")
    known = {
        "openrouter_url", "images_url", "images_models", "markup", "prices", "default_model",
        "connect_timeout", "read_timeout", "deadline", "max_megabytes",
    }  # fmt: skip
    _unknown(data, known, "images", where)
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
    if not isinstance(models, list) or not all(_model_name(m) for m in models):
        raise ConfigError(f"'images_models' {in_file} must be a list of model names.")
    default_model = env.get("VERSELIGHT_IMAGES_DEFAULT_MODEL") or data.get(
        "default_model", d.default_model
    )
    if not _model_name(default_model) or "/" not in str(default_model):
        raise ConfigError(f"'default_model' {in_file} must be \"provider/model\".")
    assert isinstance(default_model, str)
    least, most = MEGABYTES_BOUNDS
    megabytes = _number(
        data, "max_megabytes", d.max_bytes // (1024 * 1024), f"[images] of {where}", least, most
    )
    return ImageSettings(
        openrouter_url=openrouter_url,
        openrouter_key=_key(env, "OPENROUTER_API_KEY"),
        images_url=images_url,
        images_key=_key(env, "VERSELIGHT_IMAGES_KEY"),
        images_models=tuple(models),
        markup=_markup(data, d.markup, in_file),
        pinned=_prices(data, where),
        default_model=default_model,
        connect_timeout=_seconds(data, "connect_timeout", d.connect_timeout, where),
        read_timeout=_seconds(data, "read_timeout", d.read_timeout, where),
        deadline=_seconds(data, "deadline", d.deadline, where),
        max_bytes=megabytes * 1024 * 1024,
    )


def _model_name(value: object) -> bool:
    """A model name goes into requests and onto the screen: printable, no spaces, not huge."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= 200
        and value.isprintable()
        and not any(c.isspace() for c in value)
    )
