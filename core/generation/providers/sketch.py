"""The offline sketch as a provider, so the generation flow treats it like any other.

It answers from this machine (``core.generation.sketch.draw_sketch``), costs nothing and is
never an AI model: its label says so in so many words, and the UI and the stored metadata
show that label. The drawing runs in a worker thread so the event loop (and the progress bar
against ``default_eta``) keeps moving while Pillow works.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from core.generation.labels import SKETCH_LABEL, SKETCH_MODEL
from core.generation.providers.base import (
    ImageRequest,
    ModelListing,
    ProviderError,
    ProviderImage,
)
from core.generation.sketch import draw_sketch

__all__ = ["SKETCH_LABEL", "SKETCH_MODEL", "SketchProvider"]


class SketchProvider:
    """The ``Provider`` that draws a procedural sketch locally, at price 0."""

    name: str = "sketch"
    label: str = SKETCH_LABEL
    default_eta: float = 0.1

    async def models(self) -> list[ModelListing]:
        """One free listing; no network, so this never raises."""
        return [ModelListing(self.name, SKETCH_MODEL, SKETCH_LABEL, Decimal(0))]

    async def generate(self, request: ImageRequest) -> ProviderImage:
        """Draw the verse (not the AI prompt) at the requested size, off the event loop.

        A size that cannot be drawn (zero or negative) is a ProviderError like any other
        provider's failure, so the flow around it needs no special case."""
        try:
            data = await asyncio.to_thread(
                draw_sketch,
                request.verse_text,
                request.reference,
                request.theme,
                request.width,
                request.height,
            )
        except ValueError as exc:
            raise ProviderError(
                "bad_image", "The offline sketch cannot be drawn at that size."
            ) from exc
        return ProviderImage(data, provider_cost=Decimal(0), model=SKETCH_MODEL)

    async def aclose(self) -> None:
        """Nothing to close: no connections are held."""
