"""The offline sketch: a procedural illustration of a verse, drawn with Pillow.

This is the one image source that needs no network, no key and no money, so the reader can
always show *something* for a verse. It is labelled "Offline sketch (procedural, not AI)"
wherever it appears (the label lives in the UI and the stored metadata, never in the pixels:
the image holds no text or letters) and it is priced 0. It is never used silently in place
of a paid model (DESIGN.md section 7); that rule lives in the generation flow, not here.

What the picture shows comes from the words of the verse: night, light, water, hills, trees,
fire, clouds, sheep, a city, a cross or a boat (``scene_for``), with a pastoral landscape when
no word matches. Where things go and their exact colours come from a ``random.Random`` seeded
with a sha256 of the reference and the verse text, so:

- the same verse gives the same bytes, in every process and on every run (no time, no global
  random, no ``hash()``, no PNG metadata), given the same Pillow and zlib;
- different verses give visibly different pictures, even when they share their motifs;
- the theme changes only the palette and the finish, never the layout, so one verse looks
  like the same scene in every theme.

Speed matters because the sketch is drawn while the user waits (target: at most 100 ms at
1024x576 on a small machine). The scene is drawn at half resolution with ``ImageDraw``
primitives and gradients made by resizing ``Image.linear_gradient``, then upscaled; the
finishes use only whole-image Pillow operations (no per-pixel Python loops, no numpy).

The package follows the drawing: ``scene`` (what the verse is about, and its seed),
``palette`` (colours per sky and theme), ``layout`` (where things go), ``canvas`` (the pen
of the finish), ``background`` and ``features`` (the painting), ``finishes`` (the themes'
whole-image treatments); this module puts them together.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

from core.generation.sketch.background import paint_background
from core.generation.sketch.canvas import Canvas
from core.generation.sketch.features import paint_features
from core.generation.sketch.finishes import (
    SKETCH_THEMES,
    classical,
    normalise_theme,
    watercolor,
    woodcut,
)
from core.generation.sketch.layout import layout
from core.generation.sketch.palette import LEAD, base_palette, hsv, themed
from core.generation.sketch.scene import Scene, scene_for, seed

__all__ = ["SKETCH_THEMES", "Scene", "draw_sketch", "scene_for", "sketch_image"]


def sketch_image(
    verse_text: str, reference: str, theme: str | None, width: int = 1024, height: int = 576
) -> Image.Image:
    """The sketch as a Pillow RGB image of exactly ``width`` x ``height``."""
    if width < 1 or height < 1:
        raise ValueError(f"sketch size must be positive, got {width}x{height}")
    style = normalise_theme(theme)
    scene = scene_for(verse_text)
    verse_seed = seed(verse_text, reference)
    rng = random.Random(verse_seed)
    finish_rng = random.Random(verse_seed ^ 0x5EED5EED)

    # Half resolution keeps drawing cheap; tiny images are drawn at full size.
    factor = 2 if min(width, height) >= 96 else 1
    w, h = -(-width // factor), -(-height // factor)
    u = min(w, h) / 100

    jitter_hue, jitter_val = rng.uniform(-0.025, 0.025), rng.uniform(0.93, 1.06)
    base = base_palette(scene.sky).map(lambda c: hsv(c, hue=jitter_hue, val=jitter_val))
    pal = themed(base, style)
    lay = layout(scene, rng, w, h)

    img = Image.new("RGB", (w, h), pal.sky_low)
    glass = style == "stained-glass"
    canvas = Canvas(img, u, finish_rng if glass else None)
    paint_background(canvas, scene, pal, rng, lay)
    paint_features(canvas, scene, pal, rng, lay)

    if style == "woodcut":
        return woodcut(img, (width, height))
    if style == "classical":
        img = classical(img)
    elif style == "watercolor":
        img = watercolor(img, finish_rng, u)
    if glass:  # the frame that holds the window
        ImageDraw.Draw(img).rectangle((0, 0, w - 1, h - 1), outline=LEAD, width=max(1, round(u)))
    if (w, h) != (width, height):
        img = img.resize((width, height), Image.Resampling.BICUBIC)
    return img


def draw_sketch(
    verse_text: str, reference: str, theme: str | None, width: int = 1024, height: int = 576
) -> bytes:
    """The offline sketch of a verse as PNG bytes, identical for identical inputs.

    ``theme`` is one of ``SKETCH_THEMES`` or anything else (drawn plain). The PNG carries no
    metadata and is compressed at level 1: it is written once and drawn while the user
    waits, so speed matters more than the last bytes.
    """
    img = sketch_image(verse_text, reference, theme, width, height)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=False, compress_level=1)
    return buf.getvalue()
