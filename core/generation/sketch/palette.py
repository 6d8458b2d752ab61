"""Colours: small RGB arithmetic, the palette of every sky, and each theme's starting palette.

A palette is every colour the scene uses; the sky picks the base, the theme transforms it.
Nothing here draws from a random stream.
"""

from __future__ import annotations

import colorsys
from collections.abc import Callable
from dataclasses import dataclass, fields, replace

from core.generation.sketch.scene import Sky

RGB = tuple[int, int, int]
RGBA = tuple[int, int, int, int]

LEAD: RGB = (24, 20, 26)
"""The lead between stained-glass panes."""
INK: RGB = (28, 22, 18)
PAPER: RGB = (238, 228, 204)
"""The two tones of the woodcut."""


def clamp(v: float) -> int:
    return 0 if v < 0 else 255 if v > 255 else round(v)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        clamp(a[0] + (b[0] - a[0]) * t),
        clamp(a[1] + (b[1] - a[1]) * t),
        clamp(a[2] + (b[2] - a[2]) * t),
    )


def scale(c: RGB, f: float) -> RGB:
    return (clamp(c[0] * f), clamp(c[1] * f), clamp(c[2] * f))


def hsv(c: RGB, hue: float = 0.0, sat: float = 1.0, sat_add: float = 0.0, val: float = 1.0) -> RGB:
    h, s, v = colorsys.rgb_to_hsv(c[0] / 255, c[1] / 255, c[2] / 255)
    s = min(1.0, max(0.0, s * sat + sat_add))
    v = min(1.0, v * val)
    r, g, b = colorsys.hsv_to_rgb((h + hue) % 1.0, s, v)
    return (clamp(r * 255), clamp(g * 255), clamp(b * 255))


def alpha(c: RGB, a: int) -> RGBA:
    return (c[0], c[1], c[2], a)


@dataclass(frozen=True, slots=True)
class Palette:
    """Every colour the scene uses; the sky picks the base, the theme transforms it."""

    sky_top: RGB
    sky_mid: RGB
    sky_low: RGB
    sun: RGB
    glow: RGB
    cloud: RGB
    far: RGB
    mountain: RGB
    hill: RGB
    ground_far: RGB
    ground_near: RGB
    sand_far: RGB
    sand_near: RGB
    water_far: RGB
    water_near: RGB
    wave: RGB
    stone: RGB
    stone_dark: RGB
    window: RGB
    trunk: RGB
    leaf: RGB
    leaf_dark: RGB
    field: RGB
    wool: RGB
    head: RGB
    wood: RGB
    sail: RGB
    flame_out: RGB
    flame_mid: RGB
    flame_core: RGB
    rain: RGB

    def map(self, fn: Callable[[RGB], RGB]) -> Palette:
        return Palette(*(fn(getattr(self, f.name)) for f in fields(self)))


_DAY = Palette(
    sky_top=(62, 118, 196),
    sky_mid=(128, 176, 226),
    sky_low=(206, 228, 242),
    sun=(255, 248, 214),
    glow=(255, 240, 190),
    cloud=(250, 250, 252),
    far=(132, 156, 184),
    mountain=(98, 118, 140),
    hill=(118, 162, 96),
    ground_far=(112, 160, 78),
    ground_near=(62, 112, 48),
    sand_far=(232, 202, 146),
    sand_near=(204, 160, 98),
    water_far=(120, 172, 214),
    water_near=(30, 84, 150),
    wave=(214, 236, 250),
    stone=(222, 208, 178),
    stone_dark=(170, 150, 120),
    window=(90, 70, 60),
    trunk=(98, 70, 46),
    leaf=(72, 128, 58),
    leaf_dark=(40, 86, 40),
    field=(214, 184, 90),
    wool=(246, 242, 232),
    head=(54, 46, 42),
    wood=(118, 78, 46),
    sail=(244, 236, 214),
    flame_out=(214, 64, 24),
    flame_mid=(250, 148, 30),
    flame_core=(255, 232, 140),
    rain=(200, 214, 230),
)


def _terrain(p: Palette, fn: Callable[[RGB], RGB]) -> Palette:
    """``p`` with ``fn`` applied to everything but the sky, sun and lights."""
    keep = {"sky_top", "sky_mid", "sky_low", "sun", "glow", "window", "flame_out",
            "flame_mid", "flame_core"}  # fmt: skip
    return Palette(
        *(getattr(p, f.name) if f.name in keep else fn(getattr(p, f.name)) for f in fields(p))
    )


def base_palette(sky: Sky) -> Palette:
    if sky == "night":
        p = _terrain(_DAY, lambda c: mix(scale(c, 0.28), (10, 16, 40), 0.3))
        return replace(
            p,
            sky_top=(6, 8, 26),
            sky_mid=(16, 24, 58),
            sky_low=(38, 52, 96),
            sun=(240, 238, 214),
            glow=(150, 170, 220),
            cloud=(70, 78, 108),
            window=(255, 206, 110),
            rain=(90, 104, 140),
        )
    if sky == "storm":
        p = _terrain(_DAY, lambda c: hsv(c, sat=0.6, val=0.72))
        return replace(
            p,
            sky_top=(58, 64, 78),
            sky_mid=(98, 106, 120),
            sky_low=(150, 156, 166),
            cloud=(120, 124, 136),
            wave=(190, 200, 210),
            rain=(180, 190, 204),
        )
    if sky == "dawn":
        p = _terrain(_DAY, lambda c: scale(mix(c, (255, 166, 96), 0.18), 0.88))
        return replace(
            p,
            sky_top=(72, 84, 150),
            sky_mid=(238, 146, 108),
            sky_low=(255, 214, 140),
            sun=(255, 236, 170),
            glow=(255, 190, 110),
            cloud=(252, 200, 170),
            wave=(255, 214, 160),
        )
    return _DAY


def themed(p: Palette, style: str | None) -> Palette:
    """The palette each finish starts from (woodcut only needs the values to be ordered)."""
    if style == "classical":
        return p.map(lambda c: scale(mix(c, (150, 100, 50), 0.28), 0.9))
    if style == "stained-glass":
        return p.map(lambda c: hsv(c, sat=1.5, sat_add=0.15, val=1.05))
    if style == "watercolor":
        return p.map(lambda c: mix(hsv(c, sat=0.85), (246, 240, 226), 0.12))
    return p
