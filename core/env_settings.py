"""Settings read from the environment alone that never stop the app when they are wrong:
the payment backend (LND, LNbits or NWC) and the price sources (a mistake turns buying off, with its sentence, in the
buy dialog and ``verselight doctor``) and the image renderer (an unknown name means auto).
``core.config.load_config`` parses them once into ``Config``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ENV_PRICE_URLS = "VERSELIGHT_PRICE_URLS"
"""Price source base URLs, e.g. ``coinbase=http://127.0.0.1:8001,kraken=...`` (tests use it)."""
BACKEND_PREFIXES = ("VERSELIGHT_LND_", "VERSELIGHT_LNBITS_", "VERSELIGHT_NWC_")
"""The payment backends' settings (LND's node, LNbits' wallet, an NWC connection):
``payments.backend_config`` names them and decides which one is used."""
ENV_IMAGE_RENDERER = "VERSELIGHT_IMAGE_RENDERER"
IMAGE_RENDERERS = ("auto", "halfcell", "sixel", "kitty", "unicode")


@dataclass(frozen=True, slots=True)
class PaymentSettings:
    """Where buying's node and price sources are, from the environment. A mistake here turns
    buying off with its sentence (in the buy dialog and ``verselight doctor``), never stops
    reading: so it is kept as a ``problem`` here, not raised."""

    backend: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The ``VERSELIGHT_LND_*``, ``VERSELIGHT_LNBITS_*`` and ``VERSELIGHT_NWC_*`` settings as
    given; ``payments.backend_config`` checks them (exactly one backend) and reads the files they
    name when buying is set up."""
    price_urls: dict[str, str] | None = None
    """Base URLs by source name; None: every source at its own address."""
    price_urls_problem: str | None = None
    """Why ``VERSELIGHT_PRICE_URLS`` cannot be used (a sentence), when it cannot."""


def payment_settings(env: Mapping[str, str]) -> PaymentSettings:
    backend = {name: value for name, value in env.items() if name.startswith(BACKEND_PREFIXES)}
    urls, problem = _price_urls(env)
    return PaymentSettings(backend, urls, problem)


def _price_urls(env: Mapping[str, str]) -> tuple[dict[str, str] | None, str | None]:
    """Base URLs from ``VERSELIGHT_PRICE_URLS`` (None: all four defaults, when it is unset),
    or why they cannot be used."""
    raw = env.get(ENV_PRICE_URLS, "")
    pairs = [item.partition("=") for item in raw.split(",") if item.strip()]
    urls = {name.strip().lower(): url.strip() for name, _, url in pairs}
    if not urls:
        return None, None
    from payments.price import DEFAULT_BASE_URLS  # only when the setting is used

    unknown = sorted(set(urls) - set(DEFAULT_BASE_URLS)) + [n for n, u in urls.items() if not u]
    if unknown:
        return None, (
            f"{ENV_PRICE_URLS} must be name=url pairs with names from "
            f"{', '.join(DEFAULT_BASE_URLS)}; {unknown[0]!r} is not one."
        )
    return urls, None


def image_renderer(env: Mapping[str, str]) -> tuple[str, str | None]:
    """The renderer named in ``VERSELIGHT_IMAGE_RENDERER``, or ``auto`` (also for unknown
    names, with the sentence the log gets once the app runs)."""
    value = env.get(ENV_IMAGE_RENDERER, "").strip().lower() or "auto"
    if value not in IMAGE_RENDERERS:
        return "auto", (
            f"{ENV_IMAGE_RENDERER}={value!r} is not one of {', '.join(IMAGE_RENDERERS)}; using auto"
        )
    return value, None


ENV_SWORD_REPOS = "VERSELIGHT_SWORD_REPOS"
DEFAULT_SWORD_REPO = ("CrossWire", "https://www.crosswire.org/ftpmirror/pub/sword/raw")
"""CrossWire's main repository in InstallMgr's layout (``mods.d.tar.gz`` at its base)."""


@dataclass(frozen=True, slots=True)
class SwordRepo:
    """A remote SWORD repository: a base URL holding ``mods.d.tar.gz`` and each module's
    files under its ``DataPath``."""

    name: str
    url: str
    """The base URL, without a trailing slash."""


def sword_repos(
    env: Mapping[str, str], from_file: object, where: object
) -> tuple[tuple[SwordRepo, ...], str | None]:
    """The repositories ``VERSELIGHT_SWORD_REPOS`` (comma-separated) or the config file's
    ``sword_repos`` list name, each ``URL`` or ``NAME=URL``; CrossWire's when neither is set.

    A mistake only matters to the commands that install translations, so it is kept as a
    sentence (the second item) instead of stopping the reader.
    """
    default = (SwordRepo(*DEFAULT_SWORD_REPO),)
    raw = env.get(ENV_SWORD_REPOS, "")
    if raw.strip():
        items, said = [i for i in raw.split(",") if i.strip()], ENV_SWORD_REPOS
    elif from_file is None:
        return default, None
    elif isinstance(from_file, list) and all(isinstance(i, str) for i in from_file):
        items, said = from_file, f"'sword_repos' in {where}"
    else:
        return default, f"'sword_repos' in {where} must be a list of URLs (or NAME=URL)."
    repos: list[SwordRepo] = []
    for item in items:
        name, sep, url = item.strip().partition("=")
        if not sep or "://" in name:
            name, url = "", item.strip()
        url = url.strip().rstrip("/")
        scheme, _, rest = url.partition("://")
        if scheme.lower() not in ("http", "https") or not rest or not url.isprintable():
            shown = "".join(c if c.isprintable() else "?" for c in item.strip())[:80]
            return (
                default,
                f"{said} must list http(s) URLs, each optionally NAME=URL; {shown!r} is not one.",
            )
        repos.append(SwordRepo(name.strip() or rest.split("/", 1)[0], url))
    if not repos:
        return default, None
    return tuple(repos), None
