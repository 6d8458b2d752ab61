"""Any OpenAI-style ``/images/generations`` server (OpenAI itself, or a local server speaking
its dialect), configured by base URL and key (``VERSELIGHT_IMAGES_URL`` and its key).

The request asks for one image as base64 (``response_format: b64_json``) so no second download
from a link is needed; the answer is ``data[0].b64_json``. These servers report no cost, so
``provider_cost`` is None and prices come from the operator's pins, not from ``models()``.

``size`` is the request's own ``WIDTHxHEIGHT`` (most local servers draw any size) unless the
provider was given the sizes its server accepts (OpenAI's models take only a few, see
``OPENAI_SIZES``); then the nearest by aspect ratio, and by area among equals, is sent.
"""

from __future__ import annotations

import math

import httpx

from core.generation.providers.base import ImageRequest, ModelListing, ProviderError, ProviderImage
from core.generation.providers.http import HttpLimits, make_client, post_json, secrets_in
from core.generation.providers.openrouter import decode_base64, error_in_body

KEY_ENV = "VERSELIGHT_IMAGES_KEY"
OPENAI_SIZES = ("1024x1024", "1536x1024", "1024x1536")
"""The sizes OpenAI's ``gpt-image-1`` accepts (besides "auto")."""

KNOWN_MODELS: dict[str, tuple[tuple[str, ...], bool]] = {
    "gpt-image": (OPENAI_SIZES, False),
    "dall-e-3": (("1024x1024", "1792x1024", "1024x1792"), True),
    "dall-e-2": (("1024x1024",), True),  # its largest; smaller ones only lose detail
}
"""OpenAI's own models by name prefix: the sizes each accepts, and whether it takes
``response_format`` (the gpt-image models always answer base64 and refuse the parameter)."""


def dialect(model: str, sizes: tuple[str, ...] | None) -> tuple[tuple[str, ...] | None, bool]:
    """(sizes, send response_format) for ``model``: OpenAI's known models by their rules,
    any other server's models with the configured sizes (or the exact size) and b64_json."""
    for prefix, rules in KNOWN_MODELS.items():
        if model.startswith(prefix):
            return rules
    return sizes, True


def _parse_size(size: str) -> tuple[int, int]:
    width, sep, height = size.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit() or not int(width) or not int(height):
        raise ValueError(f"not a WIDTHxHEIGHT size: {size!r}")
    return int(width), int(height)


def nearest_size(width: int, height: int, sizes: tuple[str, ...] | None) -> str:
    """The size to ask for: ``WIDTHxHEIGHT`` itself when ``sizes`` is None, else the entry of
    ``sizes`` closest in aspect ratio (log scale, so 2:1 and 1:2 are equally far from 1:1),
    then in area."""
    if not sizes:
        return f"{width}x{height}"
    wanted_ratio = math.log(width / height)

    def distance(size: str) -> tuple[float, int]:
        w, h = _parse_size(size)
        return (abs(math.log(w / h) - wanted_ratio), abs(w * h - width * height))

    return min(sizes, key=distance)


class OpenAIImagesProvider:
    """An OpenAI-style Images API at ``base_url`` (e.g. ``https://api.openai.com/v1``)."""

    name = "openai"
    label = "Images API"
    default_eta = 30.0

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model_names: tuple[str, ...],
        limits: HttpLimits = HttpLimits(),  # noqa: B008 - frozen, so one shared default is safe
        *,
        client: httpx.AsyncClient | None = None,
        sizes: tuple[str, ...] | None = None,
    ) -> None:
        """``api_key`` may be None for a local server that wants none (no ``Authorization`` is
        sent then); ``base_url`` may not be empty. ``client``, when given, belongs to the
        caller. ``sizes`` lists the sizes the server accepts (see ``nearest_size``)."""
        for size in sizes or ():
            _parse_size(size)
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key or None
        self.model_names = model_names
        self.limits = limits
        self.sizes = sizes
        self._owns_client = client is None
        self._client = client if client is not None else make_client(limits)

    def __repr__(self) -> str:
        return f"OpenAIImagesProvider(base_url={self.base_url!r}, models={self.model_names!r})"

    @property
    def configured(self) -> bool:
        """Whether a server URL is set (the key is optional for local servers)."""
        return bool(self.base_url)

    async def models(self) -> list[ModelListing]:
        """The configured model names, unpriced here: pins in the config price them."""
        return [
            ModelListing(provider=self.name, model=name, name=name, usd_per_image=None)
            for name in self.model_names
        ]

    async def generate(self, request: ImageRequest) -> ProviderImage:
        """One image for ``request``; a ``ProviderError`` for every way it can fail."""
        if not self.base_url:
            raise ProviderError(
                "not_configured", "The Images API needs a server: set VERSELIGHT_IMAGES_URL."
            )
        headers: dict[str, str] = {}
        if self._api_key is not None:
            headers["Authorization"] = f"Bearer {self._api_key}"
        sizes, takes_format = dialect(request.model, self.sizes)
        payload = {
            "model": request.model,
            "prompt": request.prompt,
            "n": 1,
            "size": nearest_size(request.width, request.height, sizes),
        }
        if takes_format:
            payload["response_format"] = "b64_json"
        doc = await post_json(
            self._client,
            f"{self.base_url}/images/generations",
            headers=headers,
            payload=payload,
            limits=self.limits,
            what=self.label,
            key_env=KEY_ENV,
        )
        if doc.get("error") is not None:
            raise error_in_body(doc, what=self.label, secrets=secrets_in(headers))
        data = doc.get("data")
        if not isinstance(data, list) or not data:
            raise ProviderError("no_image", f"The {self.label} answered without an image.")
        first = data[0]
        if not isinstance(first, dict):
            raise ProviderError("bad_answer", f"The {self.label} answered with a malformed image.")
        b64 = first.get("b64_json")
        if b64 is None:
            if first.get("url"):
                raise ProviderError(
                    "bad_answer",
                    f"The {self.label} answered with a link instead of image data.",
                )
            raise ProviderError("no_image", f"The {self.label} answered without an image.")
        return ProviderImage(
            data=decode_base64(b64, what=f"The {self.label}"),
            provider_cost=None,
            model=request.model,
        )

    async def aclose(self) -> None:
        """Close the HTTP client if this provider made it."""
        if self._owns_client:
            await self._client.aclose()
