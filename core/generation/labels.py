"""How providers and the offline sketch are named on every screen and in every listing.

Kept apart from the providers themselves so that showing an illustration never has to import
Pillow drawing code or an HTTP client.
"""

from __future__ import annotations

SKETCH_LABEL = "Offline sketch (procedural, not AI)"
"""How the sketch is named everywhere it appears; never shorten it to hide what it is."""

SKETCH_MODEL = "offline-sketch"
"""The single "model" the sketch provider offers, stored with each sketch."""

PROVIDER_LABELS = {"openrouter": "OpenRouter", "openai": "Images API", "sketch": SKETCH_LABEL}
