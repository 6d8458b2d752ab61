"""``verselight doctor``: is this installation able to read, keep credits and sell them?

Each check gives one line, ok or a problem a person can act on. Buying is the part most
likely to be misconfigured, so the payment backend is reached with the same invoice key or
macaroon buying uses (with a call it may make), and every price source is asked on its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from core.config import Config


@dataclass(frozen=True, slots=True)
class Finding:
    area: str
    ok: bool
    text: str
    needed_for_buying: bool = False


def examine(config: Config) -> Iterator[Finding]:
    yield from _library(config)
    yield from _ledger(config)
    yield from _payments(config.payments.backend)
    yield from _prices(config)
    yield from _images(config)
    yield from _serving(config)


def _library(config: Config) -> Iterator[Finding]:
    from core.bible.library import Library
    from storage.bible import LibraryError

    try:
        library = Library.open(config.paths.library_db)
    except LibraryError as exc:
        yield Finding("library", False, str(exc))
        return
    try:
        ids = [t.id for t in library.translations()]
    finally:
        library.close()
    if ids:
        yield Finding("library", True, f"translations: {', '.join(ids)}")
    else:
        yield Finding("library", False, "no translation yet: run verselight once to set up KJV")


def _ledger(config: Config) -> Iterator[Finding]:
    from core.billing.ledger import Ledger, LedgerError
    from core.sessions.secret import SecretError, load_secret

    try:
        ledger = Ledger.for_config(config)
    except LedgerError as exc:
        yield Finding("ledger", False, str(exc), needed_for_buying=True)
        return
    try:
        broken = sum(len(rows) for _, rows in ledger.verify())
    except LedgerError as exc:
        yield Finding("ledger", False, str(exc), needed_for_buying=True)
        return
    finally:
        ledger.close()
    if broken:
        yield Finding(
            "ledger", False, f"{broken} broken row(s): run verselight ledger --verify", True
        )
    else:
        yield Finding("ledger", True, "opens, and every invariant holds")
    try:
        load_secret(config)
    except SecretError as exc:
        yield Finding("sessions", False, str(exc), needed_for_buying=True)
    else:
        yield Finding("sessions", True, "signing secret present (not shown)")


def _payments(settings: Mapping[str, str]) -> Iterator[Finding]:
    """One line naming the backend (LND, LNbits or NWC), reached with the very key buying uses,
    by a call that key may make: ``PaymentBackend.check`` (which refuses a key that can spend)."""
    from payments.backend import BackendConfigError, PaymentError
    from payments.backend_config import NOT_CONFIGURED, chosen, open_backend, too_many

    kinds = chosen(settings)
    if len(kinds) > 1:
        yield Finding("payments", False, too_many(kinds), needed_for_buying=True)
        return
    if not kinds:
        text = "not configured: " + NOT_CONFIGURED.split(": ", 1)[1]
        yield Finding("payments", False, text, needed_for_buying=True)
        return
    name = kinds[0].name
    try:
        backend = open_backend(settings)
    except BackendConfigError as exc:
        yield Finding("payments", False, f"{name}: {exc}", needed_for_buying=True)
        return
    assert backend is not None
    try:
        text = backend.check()
    except PaymentError as exc:
        yield Finding("payments", False, f"{name}: {exc.user_message}", needed_for_buying=True)
    else:
        yield Finding("payments", True, f"{name}: {text}")
    finally:
        backend.close()


def _prices(config: Config) -> Iterator[Finding]:
    """Each source on its own line, then the verdict of ``aggregate``: the very rule an invoice
    is priced by (median, outliers dropped, at least ``min_sources``, sanity bounds), so doctor
    cannot say "ok" while buying refuses."""
    from payments.price import PriceSettings, PriceUnavailable, aggregate, check, default_sources
    from payments.price import median as median_of

    settings = PriceSettings()
    if config.payments.price_urls_problem is not None:
        yield Finding("prices", False, config.payments.price_urls_problem, needed_for_buying=True)
        return
    sources = default_sources(config.payments.price_urls)
    results = check(sources, settings)
    answered = {c.name: c.price for c in results if c.price is not None}
    spread = f"{(settings.outlier_fraction * 100).normalize():f}%"
    centre = median_of(list(answered.values())) if answered else None
    try:
        quote = aggregate(results, settings, datetime.now(UTC))
    except PriceUnavailable as exc:
        outliers = exc.outliers
        ok = False
        if exc.disagree:
            verdict = (
                f"the sources disagree ({_listed(outliers)}: more than {spread} from their "
                f"median ${centre:,}), so no invoice can be priced; "
                f"{settings.min_sources} must agree"
            )
        else:
            verdict = (
                f"only {len(answered)} source(s) answered; "
                f"{settings.min_sources} are needed to quote"
            )
    else:
        outliers = {name: answered[name] for name in quote.dropped if name in answered}
        ok, verdict = True, f"{len(quote.sources)} sources agree: ${quote.price:,}"
        if outliers:
            verdict += f"; {_listed(outliers)} left out as too far from the others"
    for result in results:
        area = f"price {result.name}"
        if result.name in outliers:
            text = (
                f"${result.price:,} is an outlier: more than {spread} from the median ${centre:,}"
            )
            yield Finding(area, False, text)
        elif result.ok:
            yield Finding(area, True, f"${result.price:,} ({result.elapsed_ms} ms)")
        else:
            yield Finding(area, False, result.reason or "no answer")
    yield Finding("prices", ok, verdict, needed_for_buying=not ok)


def _listed(prices: Mapping[str, Decimal]) -> str:
    return ", ".join(f"{name} ${price:,}" for name, price in prices.items())


def _images(config: Config) -> Iterator[Finding]:
    """Each configured image provider lists its models (fresh, not from the day's cache), the
    default model's price is shown as the generate dialog would show it, and every stored
    illustration has its file."""
    import asyncio

    from core.generation.pricing import Unpriced, price_in_credits
    from core.generation.providers.base import ModelListing, ProviderError
    from core.generation.providers.registry import build_providers

    settings = config.images
    providers = build_providers(settings)

    async def listings() -> dict[str, list[ModelListing] | ProviderError]:
        found: dict[str, list[ModelListing] | ProviderError] = {}
        for name, provider in providers.items():
            try:
                found[name] = await provider.models()
            except ProviderError as exc:
                found[name] = exc
            finally:
                await provider.aclose()
        return found

    results = asyncio.run(listings())
    if "openrouter" not in results:
        yield Finding(
            "openrouter", False, "not configured: set OPENROUTER_API_KEY to generate with it"
        )
    for name, area in (("openrouter", "openrouter"), ("openai", "images api")):
        result = results.get(name)
        if result is None:
            continue
        if isinstance(result, ProviderError):
            yield Finding(area, False, str(result))
            continue
        priced, unpriced = [], []
        for listing in result:
            key = f"{name}/{listing.model}"
            try:
                credits = price_in_credits(
                    key, listing.usd_per_image, pinned=settings.pinned, markup=settings.markup
                )
                priced.append(f"{listing.model} {credits} credits")
            except Unpriced:
                unpriced.append(listing.model)
        default = next(
            (p for p in priced if f"{name}/{p.split()[0]}" == settings.default_model), None
        )
        text = f"{len(result)} image model(s), {len(priced)} priced"
        if default:
            text += f"; default {default}"
        if unpriced and not priced:
            text += f"; pin a price under [images.prices] for {unpriced[0]}"
        yield Finding(area, bool(priced), text)
    yield from _image_files(config)


def _image_files(config: Config) -> Iterator[Finding]:
    from core.generation.gallery import Gallery, LedgerError

    try:
        gallery = Gallery.open(config)
    except LedgerError as exc:
        yield Finding("image files", False, str(exc))
        return
    try:
        check = gallery.check_files()
        count = gallery.count()
    except OSError as exc:
        yield Finding("image files", False, f"the images folder cannot be read ({exc.strerror})")
        return
    finally:
        gallery.close()
    if check.clean:
        yield Finding("image files", True, f"{count} stored, each with its record")
    else:
        yield Finding("image files", False, " ".join(check.sentences()))


def _serving(config: Config) -> Iterator[Finding]:
    """``verselight serve``'s own files: the host key and the admin keys (only when used)."""
    import stat

    from core.serving.admin_keys import admin_keys_path, load
    from core.serving.host_key import host_key_path

    key = host_key_path(config.paths.data_dir)
    if not key.exists():
        yield Finding("serve", True, "no SSH host key yet: verselight serve makes one at start")
    else:
        try:
            mode = stat.S_IMODE(key.stat().st_mode)
        except OSError as exc:
            yield Finding("serve", False, f"the SSH host key {key} cannot be read ({exc.strerror})")
        else:
            if mode & 0o077:
                yield Finding(
                    "serve", False, f"the SSH host key {key} is readable by others (mode {mode:o})"
                )
            else:
                yield Finding("serve", True, f"SSH host key {key} (private)")
    path = admin_keys_path(config.paths.config_dir)
    if not path.exists():
        return
    fingerprints, problem = load(config.paths.config_dir)
    if problem:
        yield Finding("serve admin", False, problem)
    elif not config.admin_configured:
        yield Finding(
            "serve admin",
            False,
            f"{path} lists {len(fingerprints)} key(s), but no admin password is set, "
            "so nobody can be admin over SSH",
        )
    else:
        yield Finding("serve admin", True, f"{len(fingerprints)} key(s) may ask for admin over SSH")
