"""The themes and their finishes: a classical glaze, watercolour washes and a two-tone woodcut,
all whole-image Pillow operations (no per-pixel Python loops). Stained glass is a pen rather
than a finish: ``canvas`` cuts its panes while the scene is drawn."""

from __future__ import annotations

import random
import re
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

from core.generation.sketch.palette import INK, PAPER, RGB, clamp

SKETCH_THEMES: tuple[str, ...] = ("classical", "stained-glass", "woodcut", "watercolor")
"""The themes with a finish of their own; any other theme (or None) draws the plain sketch."""


def normalise_theme(theme: str | None) -> str | None:
    """The theme's finish: spelling is forgiven ("Stained glass" and "stained_glass" mean
    "stained-glass"), and an unknown theme means the plain sketch rather than an error."""
    if theme is None:
        return None
    key = re.sub(r"[\s_]+", "-", theme.strip().casefold())
    return key if key in SKETCH_THEMES else None


def _vignette(img: Image.Image, color: RGB, strength: float) -> Image.Image:
    """Darken the edges towards ``color`` (a radial gradient used as the blend mask)."""
    w, h = img.size
    mask = Image.radial_gradient("L").resize((w, h), Image.Resampling.BILINEAR)
    lut = [clamp(max(0.0, (v - 100) / (255 - 100)) ** 1.4 * 255 * strength) for v in range(256)]
    return Image.composite(Image.new("RGB", (w, h), color), img, mask.point(lut))


def classical(img: Image.Image) -> Image.Image:
    """Classical: a warm glaze and a dark, warm vignette, like varnished oil."""
    glazed = ImageChops.multiply(img, Image.new("RGB", img.size, (255, 236, 200)))
    return _vignette(glazed, (34, 20, 10), 0.9)


def watercolor(img: Image.Image, rng: random.Random, u: float) -> Image.Image:
    """Watercolour: soft washes that bleed past their shapes on pale paper.

    The picture is shrunk, blurred and enlarged again (cheap, wide blur) and laid over a
    lightly blurred copy; a few pale blooms and the paper colour finish it.
    """
    w, h = img.size
    sw, sh = max(1, w // 6), max(1, h // 6)
    small = img.resize((sw, sh), Image.Resampling.BOX)
    draw = ImageDraw.Draw(small, "RGBA")
    for _ in range(rng.randint(4, 8)):  # blooms where the water pooled
        x, y, r = rng.uniform(0, sw), rng.uniform(0, sh), rng.uniform(8, 20) * u / 6
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 252, 240, 40))
    wash = small.filter(ImageFilter.GaussianBlur(1.2)).resize((w, h), Image.Resampling.BICUBIC)
    soft = img.filter(ImageFilter.BoxBlur(max(1, round(u * 0.4))))
    out = Image.blend(soft, wash, 0.45)
    out = Image.blend(out, Image.new("RGB", (w, h), (250, 244, 230)), 0.1)
    return _vignette(out, (250, 244, 230), 0.5)


@lru_cache(maxsize=8)
def _hatches(w: int, h: int, spacing: int, width: int) -> tuple[Image.Image, Image.Image]:
    """Single and crossed diagonal hatching masks (255 = ink) for a size, made once."""
    single = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(single)
    for k in range(-h, w + h, spacing):
        draw.line([(k, 0), (k + h, h)], fill=255, width=width)
    cross = single.copy()
    draw = ImageDraw.Draw(cross)
    for k in range(-h, w + h, spacing):
        draw.line([(k, h), (k + h, 0)], fill=255, width=width)
    return single, cross


def woodcut(small: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Woodcut: two tones only. Dark areas and edges are solid ink, middle tones are cut
    into crossed or single hatching, light areas are bare paper."""
    w, h = size
    gray = small.convert("L")
    # Half-way to full contrast: a night scene keeps its shapes but stays darker than a day.
    gray = Image.blend(gray, ImageOps.autocontrast(gray, cutoff=1), 0.5)
    edges = gray.filter(ImageFilter.FIND_EDGES).point(lambda v: 255 if v > 28 else 0)
    gray = gray.resize((w, h), Image.Resampling.BILINEAR)
    edges = edges.resize((w, h), Image.Resampling.BILINEAR).point(lambda v: 255 if v > 100 else 0)
    unit = max(1, min(w, h) // 140)
    single, cross = _hatches(w, h, 4 * unit + 2, unit)
    solid = gray.point(lambda v: 255 if v < 58 else 0)
    crossed = ImageChops.multiply(gray.point(lambda v: 255 if 58 <= v < 110 else 0), cross)
    hatched = ImageChops.multiply(gray.point(lambda v: 255 if 110 <= v < 170 else 0), single)
    ink = ImageChops.lighter(ImageChops.lighter(solid, edges), ImageChops.lighter(crossed, hatched))
    return Image.composite(Image.new("RGB", (w, h), INK), Image.new("RGB", (w, h), PAPER), ink)
