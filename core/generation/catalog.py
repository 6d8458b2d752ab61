"""The models a user may pick, each with its credit price and ETA, from every configured provider.

OpenRouter's model list is fetched at most once a day and kept in the database, so the generate
dialog opens instantly and offline; when a fetch fails the last list is used, however old, and
the user is told. Only configured providers are offered: OpenRouter with a key, the
OpenAI-style server with a URL, and always the offline sketch (listed last, plainly labelled,
never put in a paid model's place).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from core.clock import Clock
from core.config import ImageSettings
from core.generation import stats
from core.generation.pricing import Unpriced, price_in_credits
from core.generation.providers.base import ModelListing, Provider, ProviderError
from storage import images as db
from storage import ledger as ledger_db

LIST_TTL = timedelta(days=1)
CACHED_LISTS = frozenset({"openrouter"})
"""Providers whose model list comes from the network (and so is cached)."""


@dataclass(frozen=True, slots=True)
class Offer:
    provider: str
    provider_label: str
    model: str
    name: str
    credits: int | None
    """The price shown and charged; None when the model cannot be priced (see ``refusal``)."""
    refusal: str | None
    eta: stats.Eta
    modalities: tuple[str, ...] = ("image", "text")

    @property
    def key(self) -> str:
        return f"{self.provider}/{self.model}"

    @property
    def is_sketch(self) -> bool:
        return self.provider == "sketch"

    @property
    def usable(self) -> bool:
        return self.credits is not None


@dataclass(frozen=True, slots=True)
class OfferList:
    offers: list[Offer]
    notices: list[str]
    """Why a provider's models are missing or possibly out of date, one sentence each."""


def _encode(listings: list[ModelListing]) -> str:
    return json.dumps(
        [
            [
                m.model,
                m.name,
                None if m.usd_per_image is None else str(m.usd_per_image),
                list(m.modalities),
            ]
            for m in listings
        ]
    )


def _decode(provider: str, body: str) -> list[ModelListing] | None:
    """The cached list, or None when it cannot be trusted (then it is fetched again)."""
    try:
        listings = []
        for model, name, usd, modalities in json.loads(body):
            price = None if usd is None else Decimal(usd)
            if not (
                isinstance(model, str) and isinstance(name, str) and isinstance(modalities, list)
            ):
                return None
            if price is not None and (not price.is_finite() or price < 0):
                return None
            listings.append(
                ModelListing(provider, model, name, price, tuple(str(m) for m in modalities))
            )
    except (ValueError, TypeError, ArithmeticError):
        return None
    return listings


async def _listings(
    conn: sqlite3.Connection, provider: Provider, clock: Clock, notices: list[str]
) -> list[ModelListing]:
    if provider.name not in CACHED_LISTS:
        return await provider.models()
    found = db.get_model_list(conn, provider.name)
    cached = None if found is None else _decode(provider.name, found[1])
    age = None if found is None else clock() - found[0]
    # A list from the future (a clock set back) counts as stale, not as fresh forever.
    if cached is not None and age is not None and timedelta(0) <= age < LIST_TTL:
        return cached
    try:
        fresh = await provider.models()
    except ProviderError as exc:
        if cached is None:
            notices.append(f"{provider.label}'s models could not be listed: {exc}")
            return []
        notices.append(f"{provider.label}'s model list could not be refreshed; using the last one.")
        return cached
    with ledger_db.transaction(conn):
        db.put_model_list(conn, provider.name, _encode(fresh), clock())
    return fresh


async def offers(
    conn: sqlite3.Connection,
    providers: Mapping[str, Provider],
    settings: ImageSettings,
    width: int,
    height: int,
    clock: Clock,
) -> OfferList:
    """Every model on offer at this resolution: the default first, the sketch last."""
    notices: list[str] = []
    if set(providers) <= {"sketch"}:
        notices.append(
            "No AI image service is set up here (OPENROUTER_API_KEY or VERSELIGHT_IMAGES_URL), "
            "so only the offline sketch is offered."
        )
    found: list[Offer] = []
    res = stats.resolution(width, height)
    for provider in providers.values():
        for listing in await _listings(conn, provider, clock, notices):
            key = f"{listing.provider}/{listing.model}"
            try:
                credits: int | None = price_in_credits(
                    key,
                    listing.usd_per_image,
                    pinned=settings.pinned,
                    markup=settings.markup,
                    free=provider.name == "sketch",
                )
                refusal = None
            except Unpriced as exc:
                credits, refusal = None, str(exc)
            eta = stats.eta(conn, listing.provider, listing.model, res, provider.default_eta)
            found.append(
                Offer(listing.provider, provider.label, listing.model, listing.name, credits,
                      refusal, eta, listing.modalities)
            )  # fmt: skip

    def order(offer: Offer) -> tuple[int, int, str]:
        if offer.key == settings.default_model:
            return (0, 0, "")
        if offer.is_sketch:
            return (3, 0, offer.name)
        if offer.credits is None:
            return (2, 0, offer.name)
        return (1, offer.credits, offer.name)

    return OfferList(sorted(found, key=order), notices)
