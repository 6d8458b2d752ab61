"""The prompt sent to image models, built from the verse and its neighbours.

The verse is quoted exactly as the translation has it; its previous and next verses (same
chapter only) are given as storyboard context so the model draws the moment, not a caption.
Guardrails ask for one scene with no text or letters, in the chosen aspect ratio. Every input
is kept with the image (``PromptInputs.as_dict``) together with ``PROMPT_VERSION``, so any
stored illustration can be traced to exactly what was asked. Change ``PROMPT_VERSION`` whenever
the wording below changes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

PROMPT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Theme:
    id: str
    label: str
    style: str


THEMES: tuple[Theme, ...] = (
    Theme(
        "classical",
        "Classical painting",
        "a classical oil painting in the manner of the old masters: rich colour, "
        "chiaroscuro light, a balanced composition",
    ),
    Theme(
        "stained-glass",
        "Stained glass",
        "a medieval stained-glass window: jewel colours, bold dark lead lines, light shining "
        "through the glass",
    ),
    Theme(
        "woodcut",
        "Woodcut",
        "a black-and-white woodcut print: bold carved lines, cross-hatching, strong contrast",
    ),
    Theme(
        "watercolor",
        "Watercolor",
        "a soft watercolor painting: translucent washes, gentle edges, paper texture",
    ),
)
THEME_BY_ID = {t.id: t for t in THEMES}

ASPECT_RATIOS: dict[str, tuple[int, int]] = {
    "16:9": (1024, 576),
    "4:3": (1024, 768),
    "1:1": (1024, 1024),
    "3:4": (768, 1024),
    "9:16": (576, 1024),
}
DEFAULT_ASPECT_RATIO = "16:9"


@dataclass(frozen=True, slots=True)
class PromptInputs:
    reference: str
    translation: str
    verse_text: str
    previous_text: str | None
    """The verse before, in the same chapter; None at a chapter's first verse."""
    next_text: str | None
    theme: str | None
    aspect_ratio: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def build_prompt(inputs: PromptInputs) -> str:
    """The full prompt text. Unknown themes and aspect ratios are refused, not guessed."""
    if inputs.aspect_ratio not in ASPECT_RATIOS:
        raise ValueError(f"unknown aspect ratio {inputs.aspect_ratio!r}")
    if inputs.theme is not None and inputs.theme not in THEME_BY_ID:
        raise ValueError(f"unknown theme {inputs.theme!r}")
    lines = [
        f"Illustrate this Bible verse, {inputs.reference} ({inputs.translation}):",
        f'"{inputs.verse_text}"',
        "",
        "Storyboard context, for understanding the moment only (do not illustrate these):",
        f'Before: "{inputs.previous_text}"' if inputs.previous_text else "Before: (chapter start)",
        f'After: "{inputs.next_text}"' if inputs.next_text else "After: (chapter end)",
        "",
    ]
    if inputs.theme:
        lines.append(f"Style: {THEME_BY_ID[inputs.theme].style}.")
    else:
        lines.append("Style: a reverent, detailed illustration with natural light.")
    lines += [
        "Show one single scene, the moment of this verse; no panels, no borders.",
        "Absolutely no text, letters, words, numbers or captions anywhere in the image.",
        f"Aspect ratio {inputs.aspect_ratio}, the image filling the whole frame.",
    ]
    return "\n".join(lines)
