"""The providers this configuration offers, built once per generator."""

from __future__ import annotations

from core.config import ImageSettings
from core.generation.providers.base import Provider
from core.generation.providers.http import HttpLimits
from core.generation.providers.openai_images import OpenAIImagesProvider
from core.generation.providers.openrouter import OpenRouterProvider
from core.generation.providers.sketch import SketchProvider


def build_providers(settings: ImageSettings) -> dict[str, Provider]:
    """OpenRouter when it has a key, the OpenAI-style server when it has a URL, and the
    offline sketch always (it needs nothing)."""
    limits = HttpLimits(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        deadline=settings.deadline,
        max_bytes=settings.max_bytes,
    )
    providers: dict[str, Provider] = {}
    if settings.openrouter_key:
        providers["openrouter"] = OpenRouterProvider(
            settings.openrouter_url, settings.openrouter_key, limits
        )
    if settings.images_url:
        providers["openai"] = OpenAIImagesProvider(
            settings.images_url, settings.images_key, settings.images_models, limits
        )
    providers["sketch"] = SketchProvider()
    return providers
