"""OpenRouter: image models through the chat completions API (NOTES.md, "Images").

A request is a chat completion with ``modalities: ["image", "text"]`` and
``image_config.aspect_ratio``; the image comes back as a base64 data URL in
``choices[0].message.images[0].image_url.url`` and ``usage.cost`` is the USD charged.

Price estimate per image (``models()``), all in ``Decimal`` from the listing's strings::

    usd_per_image = per_output_token * IMAGE_OUTPUT_TOKENS + prompt_per_token * PROMPT_TOKENS

``per_output_token`` is ``pricing.image_output`` when the listing has it, else
``pricing.completion``: output images are billed as completion tokens. ``pricing.image`` is the
price of an *input* image and plays no part. ``IMAGE_OUTPUT_TOKENS`` (1,290) is what one 1K image
costs in tokens on Gemini 2.5 Flash Image; ``PROMPT_TOKENS`` (400) is a generous size for our
prompt (verse, its neighbours, theme and guardrails). For Gemini 2.5 Flash Image
(``image_output`` 0.00003, ``prompt`` 0.0000003) that is 0.0387 + 0.00012 = 0.03882 USD, in line
with the ~0.039 USD OpenRouter bills. A model whose prices are missing, unparseable or negative
(OpenRouter writes "-1" for "varies") gets ``usd_per_image = None``: unpriced unless pinned.
"""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from core.generation.providers.base import ImageRequest, ModelListing, ProviderError, ProviderImage
from core.generation.providers.http import (
    HttpLimits,
    clean_reason,
    error_reason,
    get_json,
    make_client,
    out_of_funds,
    post_json,
    secrets_in,
)

IMAGE_OUTPUT_TOKENS = 1290
"""Completion tokens one output image is billed as (Gemini 2.5 Flash Image, 1K)."""
PROMPT_TOKENS = 400
"""Prompt tokens assumed for one request."""

KEY_ENV = "OPENROUTER_API_KEY"
APP_URL = "https://github.com/verselight/verselight"
"""Sent as ``HTTP-Referer``: OpenRouter attributes requests to an app by it."""
APP_TITLE = "Verselight"

_REFUSAL_FINISH = frozenset(
    {
        "content_filter",
        "refusal",
        "safety",
        "prohibited_content",
        "blocklist",
        "spii",
        "recitation",
        "image_safety",
        "image_prohibited_content",
        "image_recitation",
    }
)
"""``finish_reason``/``native_finish_reason`` values (lower-cased) that mean a refusal: the
OpenAI-style ``content_filter`` and Gemini's native safety reasons."""


def parse_cost(value: object) -> Decimal | None:
    """A provider-reported USD cost as ``Decimal`` (from a JSON number via its ``str``, or a
    string); None when absent, not a number, not finite or negative."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        cost = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not cost.is_finite() or cost < 0:
        return None
    return cost


def _price(pricing: dict[str, Any], key: str) -> Decimal | None:
    """One per-token price from the listing: a non-negative finite decimal, else None."""
    value = pricing.get(key)
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    return parse_cost(value)


def estimate_usd_per_image(pricing: object) -> Decimal | None:
    """The module docstring's formula for one listing's ``pricing`` object."""
    if not isinstance(pricing, dict):
        return None
    prompt = _price(pricing, "prompt")
    # A present but unreadable image_output price is not replaced by the (usually much lower)
    # completion price: that would underprice the image.
    output_key = "image_output" if pricing.get("image_output") is not None else "completion"
    output = _price(pricing, output_key)
    if prompt is None or output is None:
        return None
    return output * IMAGE_OUTPUT_TOKENS + prompt * PROMPT_TOKENS


def decode_data_url(url: object, *, what: str) -> bytes:
    """The bytes of a ``data:image/...;base64,...`` URL, decoded strictly; ``bad_answer`` when
    it is anything else (a link, another encoding, invalid or empty base64)."""
    if not isinstance(url, str) or not url.startswith("data:"):
        raise ProviderError("bad_answer", f"{what} answered with an image that is not inline data.")
    header, sep, data = url.partition(",")
    if not sep or not header.endswith(";base64") or not header[5:].startswith("image/"):
        raise ProviderError("bad_answer", f"{what} answered with an image in an unknown encoding.")
    return decode_base64(data, what=what)


def decode_base64(data: object, *, what: str) -> bytes:
    """Strict base64 (no stray characters); ``bad_answer`` when invalid or empty."""
    if not isinstance(data, str):
        raise ProviderError("bad_answer", f"{what} answered with image data that is not text.")
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ProviderError(
            "bad_answer", f"{what} answered with image data that is not valid base64."
        ) from None
    if not raw:
        raise ProviderError("bad_answer", f"{what} answered with empty image data.")
    return raw


def error_in_body(doc: dict[str, Any], *, what: str, secrets: tuple[str, ...]) -> ProviderError:
    """A 200 carrying an ``error`` object: its ``code`` chooses the kind, its message is shown."""
    error = doc.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    reason = error_reason(doc, secrets)
    said = f": {reason}" if reason else ""
    if code in (401, "401"):
        return ProviderError("auth", f"The {what} key was refused{said}.")
    if code in (402, "402"):
        return out_of_funds(what, "error 402")
    if code in (403, "403"):
        return ProviderError("refused", f"{what} refused the request{said}.")
    if code in (429, "429"):
        return ProviderError("rate_limited", f"{what} is limiting requests{said}.")
    return ProviderError("bad_answer", f"{what} reported an error{said}.")


class OpenRouterProvider:
    """Image generation through OpenRouter (default model ``google/gemini-2.5-flash-image``)."""

    name = "openrouter"
    label = "OpenRouter"
    default_eta = 20.0

    def __init__(
        self,
        base_url: str = "https://openrouter.ai/api/v1",
        api_key: str | None = None,
        limits: HttpLimits = HttpLimits(),  # noqa: B008 - frozen, so one shared default is safe
        *,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        """``client``, when given, belongs to the caller (``aclose`` leaves it open); the
        per-request timeouts still come from ``limits``."""
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key or None
        self.limits = limits
        self._owns_client = client is None
        self._client = client if client is not None else make_client(limits)

    def __repr__(self) -> str:
        return f"OpenRouterProvider(base_url={self.base_url!r}, configured={self.configured})"

    @property
    def configured(self) -> bool:
        """Whether an API key is set (no key, no call)."""
        return self._api_key is not None

    def _headers(self) -> dict[str, str]:
        headers = {"HTTP-Referer": APP_URL, "X-Title": APP_TITLE}
        if self._api_key is not None:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    async def models(self) -> list[ModelListing]:
        """Image-output models from ``/models?output_modalities=image`` with estimated prices.
        The list is public, so no key is needed; the key is sent when there is one."""
        doc = await get_json(
            self._client,
            f"{self.base_url}/models?output_modalities=image",
            headers=self._headers(),
            limits=self.limits,
            what=self.label,
            key_env=KEY_ENV,
        )
        entries = doc.get("data")
        if not isinstance(entries, list):
            raise ProviderError("bad_answer", "OpenRouter's model list has no data array.")
        listings: list[ModelListing] = []
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            model = entry.get("id")
            if not isinstance(model, str) or not model:
                continue
            architecture = entry.get("architecture")
            outputs = (
                architecture.get("output_modalities") if isinstance(architecture, dict) else None
            )
            if isinstance(outputs, list) and "image" not in outputs:
                continue
            name = entry.get("name")
            text_too = not isinstance(outputs, list) or "text" in outputs
            listings.append(
                ModelListing(
                    provider=self.name,
                    model=model,
                    name=name if isinstance(name, str) and name else model,
                    usd_per_image=estimate_usd_per_image(entry.get("pricing")),
                    modalities=("image", "text") if text_too else ("image",),
                )
            )
        return listings

    async def generate(self, request: ImageRequest) -> ProviderImage:
        """One image for ``request``; a ``ProviderError`` for every way it can fail."""
        if self._api_key is None:
            raise ProviderError("not_configured", f"OpenRouter needs an API key: set {KEY_ENV}.")
        headers = self._headers()
        payload = {
            "model": request.model,
            "messages": [{"role": "user", "content": request.prompt}],
            "modalities": list(request.modalities),
            # 1K is what the price estimate assumes (IMAGE_OUTPUT_TOKENS).
            "image_config": {"aspect_ratio": request.aspect_ratio, "image_size": "1K"},
        }
        doc = await post_json(
            self._client,
            f"{self.base_url}/chat/completions",
            headers=headers,
            payload=payload,
            limits=self.limits,
            what=self.label,
            key_env=KEY_ENV,
        )
        secrets = secrets_in(headers)
        if doc.get("error") is not None:
            raise error_in_body(doc, what=self.label, secrets=secrets)
        data = _first_image_url(doc, what=self.label, secrets=secrets)
        usage = doc.get("usage")
        cost = parse_cost(usage.get("cost")) if isinstance(usage, dict) else None
        model = doc.get("model")
        return ProviderImage(
            data=decode_data_url(data, what=self.label),
            provider_cost=cost,
            model=model if isinstance(model, str) and model else request.model,
        )

    async def aclose(self) -> None:
        """Close the HTTP client if this provider made it."""
        if self._owns_client:
            await self._client.aclose()


def _first_image_url(doc: dict[str, Any], *, what: str, secrets: tuple[str, ...]) -> object:
    """``choices[0].message.images[0].image_url.url``, after ruling out a refusal (by finish
    reason or the ``refusal`` field) and a text-only answer."""
    choices = doc.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ProviderError("bad_answer", f"{what} answered without any choices.")
    choice = choices[0]
    message = choice.get("message")
    if not isinstance(message, dict):
        raise ProviderError("bad_answer", f"{what} answered without a message.")
    finish = {
        str(choice.get(key) or "").lower() for key in ("finish_reason", "native_finish_reason")
    }
    refusal = message.get("refusal")
    if finish & _REFUSAL_FINISH or (isinstance(refusal, str) and refusal.strip()):
        said = ""
        if isinstance(refusal, str) and refusal.strip():
            said = f": {clean_reason(refusal, secrets)}"
        raise ProviderError("refused", f"{what}'s model refused to draw this{said}.")
    images = message.get("images")
    if not isinstance(images, list) or not images:
        raise ProviderError("no_image", f"{what}'s model answered without an image.")
    first = images[0]
    image_url = first.get("image_url") if isinstance(first, dict) else None
    url = image_url.get("url") if isinstance(image_url, dict) else None
    if url is None:
        raise ProviderError("bad_answer", f"{what} answered with an image entry without a URL.")
    return url
