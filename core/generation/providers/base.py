"""The one interface every image provider speaks, and the errors it may raise.

A provider turns an ``ImageRequest`` into image bytes. It never touches the ledger or the disk:
the generation flow around it holds credits, checks the bytes with Pillow and saves them. A
provider is cancelled the asyncio way (the task running ``generate`` is cancelled), so an
HTTP call in flight is abandoned and nothing after it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

ErrorKind = Literal[
    "auth",  # 401: the key is missing or wrong
    "payment",  # 402: the provider account has no funds
    "refused",  # 403 or a moderation/safety refusal in the body
    "rate_limited",  # 429 (after the allowed retries)
    "unavailable",  # 5xx, 503 after retries
    "unreachable",  # connection refused, DNS, TLS: the request never went out
    "timeout",  # a read timeout or the overall deadline passed
    "too_large",  # the answer is over the size cap
    "bad_answer",  # not JSON, a 200 with an error body, an unexpected shape
    "no_image",  # a well-formed answer without an image (text only)
    "bad_image",  # bytes that Pillow cannot open or that are not a sane image
    "unpriced",  # the model has no known price and none is pinned
    "not_configured",  # no key or URL for this provider
]


class ProviderError(Exception):
    """A provider call failed. ``str()`` is one sentence for the user, never a secret or base64."""

    def __init__(self, kind: ErrorKind, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class ImageRequest:
    """Everything a provider may use. ``prompt`` is the full text sent to AI models; the
    offline sketch draws from ``verse_text``, ``reference`` and ``theme`` instead."""

    model: str
    prompt: str
    aspect_ratio: str
    """"16:9", "1:1", "4:3", "3:4" or "9:16"."""
    width: int
    height: int
    """Pixels wanted (1024x576 for 16:9); a provider may return another size."""
    verse_text: str
    reference: str
    """"John 3:16"."""
    theme: str | None
    modalities: tuple[str, ...] = ("image", "text")
    """What the model may answer with; OpenRouter needs ("image",) for image-only models."""


@dataclass(frozen=True, slots=True)
class ProviderImage:
    """Raw bytes as received (decoded from base64), not yet checked."""

    data: bytes
    provider_cost: Decimal | None
    """USD the provider says it charged (OpenRouter's ``usage.cost``); None when unknown."""
    model: str
    """The model that answered, as the provider names it."""


@dataclass(frozen=True, slots=True)
class ModelListing:
    """A model a provider offers, with its listed price per image when there is one."""

    provider: str
    model: str
    name: str
    usd_per_image: Decimal | None
    """The estimated USD cost of one image from the provider's list; None when unlisted."""
    modalities: tuple[str, ...] = ("image", "text")
    """What the model answers with (OpenRouter lists it; image-only models must be asked so)."""


class Provider(Protocol):
    name: str
    """"openrouter", "openai" or "sketch": stored with each image."""
    label: str
    """How the UI names the provider ("OpenRouter", "Images API", "Offline sketch ...")."""
    default_eta: float
    """Seconds a call usually takes, for the ETA before any stats exist."""

    async def models(self) -> list[ModelListing]:
        """The models offered (may call the network; raise ProviderError on failure)."""
        ...

    async def generate(self, request: ImageRequest) -> ProviderImage:
        """One image, or ProviderError. Cancelling the calling task abandons the call."""
        ...

    async def aclose(self) -> None: ...
