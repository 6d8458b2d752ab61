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
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import math
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from typing import Literal

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

SKETCH_THEMES: tuple[str, ...] = ("classical", "stained-glass", "woodcut", "watercolor")
"""The themes with a finish of their own; any other theme (or None) draws the plain sketch."""

Sky = Literal["night", "dawn", "storm", "day"]
"""Night (stars, moon), dawn (low sun and rays), storm (grey, no sun) or a plain day."""
RGB = tuple[int, int, int]
RGBA = tuple[int, int, int, int]
Point = tuple[float, float]

_LEAD: RGB = (24, 20, 26)
"""The lead between stained-glass panes."""
_INK: RGB = (28, 22, 18)
_PAPER: RGB = (238, 228, 204)
"""The two tones of the woodcut."""

# --------------------------------------------------------------------------------------------
# What the verse is about
# --------------------------------------------------------------------------------------------


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


_MOTIFS: dict[str, frozenset[str]] = {
    "night": _words(
        "night nights darkness dark darkened star stars moon evening midnight shadow watch watches"
    ),
    "light": _words(
        "light lights sun sunrise morning day days dawn dayspring shine shined shineth "
        "shining bright brightness noon rising risen glory"
    ),
    "sea": _words(
        "sea seas water waters rain flood floods deep waves wave billows shore "
        "lake fountain fountains springs"
    ),
    "river": _words("river rivers jordan stream streams brook brooks"),
    "rain": _words("rain rained showers storm tempest flood"),
    "mountains": _words(
        "mountain mountains mount hill hills rock rocks sinai zion horeb valley valleys"
    ),
    "desert": _words("wilderness desert deserts sand dry barren egypt dust drought thirst"),
    "trees": _words(
        "tree trees vine vines vineyard garden gardens fig figs olive olives cedar cedars "
        "palm palms branch branches root leaf leaves fruit fruits eden forest wood"
    ),
    "field": _words(
        "field fields seed seeds sower soweth sow wheat corn harvest grass flower flowers "
        "lily lilies tares grain reap reaped reapeth plow plough"
    ),
    "fire": _words(
        "fire fires flame flames flaming burning burn burned burnt bush smoke lamp lamps "
        "candle torch coals"
    ),
    "clouds": _words(
        "cloud clouds heaven heavens wind winds sky skies firmament whirlwind storm tempest air"
    ),
    "sheep": _words(
        "sheep shepherd shepherds flock flocks lamb lambs ewe ewes ram rams fold pasture "
        "pastures goat goats"
    ),
    "city": _words(
        "city cities jerusalem temple house houses gate gates wall walls tower towers "
        "palace sanctuary zion babylon"
    ),
    "cross": _words("cross crucified crucify calvary golgotha"),
    "boat": _words("fish fishes fishers fishermen boat boats ship ships net nets sail sailed"),
}

_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class Scene:
    """The motifs a verse calls for, read from its words; drives the composition."""

    sky: Sky
    sea: bool = False
    river: bool = False
    rain: bool = False
    mountains: bool = False
    desert: bool = False
    trees: bool = False
    field: bool = False
    fire: bool = False
    clouds: bool = False
    sheep: bool = False
    city: bool = False
    cross: bool = False
    boat: bool = False


def _counts(text: str) -> dict[str, int]:
    """How many words of ``text`` belong to each motif (simple plural forms count too)."""
    counts = dict.fromkeys(_MOTIFS, 0)
    for word in _WORD.findall(text.casefold()):
        forms = {word}
        if word.endswith("s"):
            forms.add(word[:-1])
        if word.endswith("es"):
            forms.add(word[:-2])
        for motif, words in _MOTIFS.items():
            if not forms.isdisjoint(words):
                counts[motif] += 1
    return counts


_DRAWABLE = _words("sea river mountains desert trees field fire clouds sheep city cross boat")


def scene_for(verse_text: str) -> Scene:
    """The scene for a verse: its sky and the motifs its words name.

    A verse naming nothing drawable gets a pastoral landscape (hills, trees, a flock), so
    every verse has a picture. A boat always gets water to float on.
    """
    c = _counts(verse_text)
    sky: Sky
    if c["night"] > c["light"]:
        sky = "night"
    elif c["rain"] and c["rain"] >= c["light"]:
        sky = "storm"
    elif c["light"]:
        sky = "dawn"
    else:
        sky = "day"
    scene = Scene(
        sky=sky,
        sea=bool(c["sea"] or (c["boat"] and not c["river"])),
        river=bool(c["river"]),
        rain=bool(c["rain"]),
        mountains=bool(c["mountains"]),
        desert=bool(c["desert"]),
        trees=bool(c["trees"]),
        field=bool(c["field"]),
        fire=bool(c["fire"]),
        clouds=bool(c["clouds"] or c["rain"]),
        sheep=bool(c["sheep"]),
        city=bool(c["city"]),
        cross=bool(c["cross"]),
        boat=bool(c["boat"]),
    )
    if not any(getattr(scene, name) for name in _DRAWABLE):
        scene = replace(scene, trees=True, sheep=True, clouds=sky == "day")
    return scene


def _seed(verse_text: str, reference: str) -> int:
    """A seed from the verse alone (not the theme or size), stable across processes."""
    data = f"verselight-sketch-1\x1f{reference}\x1f{verse_text}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")


def _normalise_theme(theme: str | None) -> str | None:
    """The theme's finish: spelling is forgiven ("Stained glass" and "stained_glass" mean
    "stained-glass"), and an unknown theme means the plain sketch rather than an error."""
    if theme is None:
        return None
    key = re.sub(r"[\s_]+", "-", theme.strip().casefold())
    return key if key in SKETCH_THEMES else None


# --------------------------------------------------------------------------------------------
# Colours
# --------------------------------------------------------------------------------------------


def _clamp(v: float) -> int:
    return 0 if v < 0 else 255 if v > 255 else round(v)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        _clamp(a[0] + (b[0] - a[0]) * t),
        _clamp(a[1] + (b[1] - a[1]) * t),
        _clamp(a[2] + (b[2] - a[2]) * t),
    )


def _scale(c: RGB, f: float) -> RGB:
    return (_clamp(c[0] * f), _clamp(c[1] * f), _clamp(c[2] * f))


def _hsv(c: RGB, hue: float = 0.0, sat: float = 1.0, sat_add: float = 0.0, val: float = 1.0) -> RGB:
    h, s, v = colorsys.rgb_to_hsv(c[0] / 255, c[1] / 255, c[2] / 255)
    s = min(1.0, max(0.0, s * sat + sat_add))
    v = min(1.0, v * val)
    r, g, b = colorsys.hsv_to_rgb((h + hue) % 1.0, s, v)
    return (_clamp(r * 255), _clamp(g * 255), _clamp(b * 255))


def _alpha(c: RGB, a: int) -> RGBA:
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


def _base_palette(sky: Sky) -> Palette:
    if sky == "night":
        p = _terrain(_DAY, lambda c: _mix(_scale(c, 0.28), (10, 16, 40), 0.3))
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
        p = _terrain(_DAY, lambda c: _hsv(c, sat=0.6, val=0.72))
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
        p = _terrain(_DAY, lambda c: _scale(_mix(c, (255, 166, 96), 0.18), 0.88))
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


def _themed(p: Palette, style: str | None) -> Palette:
    """The palette each finish starts from (woodcut only needs the values to be ordered)."""
    if style == "classical":
        return p.map(lambda c: _scale(_mix(c, (150, 100, 50), 0.28), 0.9))
    if style == "stained-glass":
        return p.map(lambda c: _hsv(c, sat=1.5, sat_add=0.15, val=1.05))
    if style == "watercolor":
        return p.map(lambda c: _mix(_hsv(c, sat=0.85), (246, 240, 226), 0.12))
    return p


# --------------------------------------------------------------------------------------------
# Drawing helpers
# --------------------------------------------------------------------------------------------


class _Canvas:
    """ImageDraw with the pen of the current finish.

    Stained glass (``glass`` holds its own random stream) outlines every shape in lead, turns
    gradients into panes and has no soft glows; the other finishes draw plain shapes. Nothing
    here draws from the scene's random stream, so the layout does not depend on the theme.
    """

    def __init__(self, image: Image.Image, u: float, glass: random.Random | None) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image, "RGBA")
        self.w, self.h = image.size
        self.u = u
        self.glass = glass
        self.lead: RGB | None = _LEAD if glass is not None else None
        self.lead_width = max(1, round(u * 0.45))

    def poly(self, pts: Sequence[Point], fill: RGB | RGBA) -> None:
        if len(pts) < 3:
            return
        if self.lead is None:
            self.draw.polygon(list(pts), fill=fill)
        else:
            self.draw.polygon(list(pts), fill=fill, outline=self.lead, width=self.lead_width)

    def oval(self, cx: float, cy: float, rx: float, ry: float, fill: RGB | RGBA) -> None:
        box = (cx - rx, cy - ry, cx + max(rx, 0.5), cy + max(ry, 0.5))
        if self.lead is None or rx < 1.5 * self.lead_width:
            self.draw.ellipse(box, fill=fill)
        else:
            self.draw.ellipse(box, fill=fill, outline=self.lead, width=self.lead_width)

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: RGB | RGBA) -> None:
        box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        if self.lead is None or box[2] - box[0] < 2 * self.lead_width:
            self.draw.rectangle(box, fill=fill)
        else:
            self.draw.rectangle(box, fill=fill, outline=self.lead, width=self.lead_width)

    def line(self, pts: Sequence[Point], fill: RGB | RGBA, width: float) -> None:
        self.draw.line(list(pts), fill=fill, width=max(1, round(width)))

    def glow(self, cx: float, cy: float, r: float, color: RGB, strength: int) -> None:
        """A soft halo of concentric translucent discs (none in stained glass)."""
        if self.lead is not None:
            return
        steps = 6
        for i in range(steps):
            rr = r * (1 - i / steps)
            self.draw.ellipse(
                (cx - rr, cy - rr, cx + rr, cy + rr), fill=_alpha(color, strength // steps + 2)
            )

    def gradient(
        self,
        y0: float,
        y1: float,
        top: RGB,
        bottom: RGB,
        mid: RGB | None = None,
        mask_poly: Sequence[Point] | None = None,
    ) -> None:
        """A vertical gradient from ``y0`` to ``y1`` across the width, optionally clipped to a
        polygon (made by resizing Pillow's 256-step linear gradient, so it costs little).
        In stained glass the gradient is cut into panes and the polygon edged in lead."""
        top_y, bot_y = max(0, math.floor(y0)), min(self.h, math.ceil(y1))
        if bot_y <= top_y:
            return
        grad = Image.linear_gradient("L").resize((self.w, bot_y - top_y))
        band = ImageOps.colorize(grad, top, bottom, mid)
        if self.glass is not None:
            _glass_cells(band, self.glass, self.u)
        if mask_poly is None:
            self.image.paste(band, (0, top_y))
        else:
            mask = Image.new("L", (self.w, bot_y - top_y), 0)
            ImageDraw.Draw(mask).polygon([(x, y - top_y) for x, y in mask_poly], fill=255)
            self.image.paste(band, (0, top_y), mask)
        if self.lead is not None and mask_poly is not None:
            self.draw.line([*mask_poly, mask_poly[0]], fill=self.lead, width=self.lead_width)


def _curve(
    rng: random.Random, w: float, base: float, amp: float, waves: float, points: int = 28
) -> list[Point]:
    """A smooth ridge line across the width: two random sines around ``base``."""
    p1, p2 = rng.uniform(0, math.tau), rng.uniform(0, math.tau)
    f2 = waves * rng.uniform(1.8, 2.6)
    a2 = rng.uniform(0.2, 0.45)
    out = []
    for i in range(points + 1):
        t = i / points
        y = base - amp * (
            0.5
            + 0.5
            * (
                (1 - a2) * math.sin(t * waves * math.tau + p1)
                + a2 * math.sin(t * f2 * math.tau + p2)
            )
        )
        out.append((-2 + t * (w + 4), y))
    return out


def _jagged(rng: random.Random, w: float, base: float, amp: float, u: float) -> list[Point]:
    """A mountain ridge: a few peaks with rough slopes."""
    peaks = [
        (rng.uniform(-0.1, 1.1) * w, amp * rng.uniform(0.45, 1.0)) for _ in range(rng.randint(2, 4))
    ]
    out = []
    x = -2.0
    while x < w + 2 + 4 * u:
        height = max(0.0, *(ph * (1 - abs(x - px) / (w * 0.32)) for px, ph in peaks))
        height += rng.uniform(-0.06, 0.06) * amp
        out.append((x, base - max(0.0, height)))
        x += rng.uniform(2.5, 6.0) * u
    return out


# --------------------------------------------------------------------------------------------
# The composition
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Layout:
    """Where things are, fixed by the verse's random stream before any drawing."""

    horizon: float
    land_x: tuple[float, float]
    land_y: tuple[float, float]
    shore_side: int


def _perspective(lay: _Layout, h: float, y: float) -> float:
    """How big a thing standing at ``y`` is drawn: small near the horizon, full size in front."""
    span = max(1.0, h - lay.horizon)
    return 0.45 + 0.6 * max(0.0, min(1.0, (y - lay.horizon) / span))


def _spots(rng: random.Random, lay: _Layout, n: int) -> list[Point]:
    """``n`` places on the land, far ones first so near ones overlap them."""
    pts = [(rng.uniform(*lay.land_x), rng.uniform(*lay.land_y)) for _ in range(n)]
    return sorted(pts, key=lambda p: p[1])


def _paint_background(
    cv: _Canvas, scene: Scene, pal: Palette, rng: random.Random, lay: _Layout
) -> None:
    """Sky, lights, clouds and terrain, back to front (in stained glass, the gradients among
    them are what is cut into panes)."""
    w, h, u = cv.w, cv.h, cv.u
    hy = lay.horizon
    cv.gradient(0, hy + 2 * u, pal.sky_top, pal.sky_low, pal.sky_mid)

    # Sun, moon and stars.
    if scene.sky == "night":
        for _ in range(rng.randint(40, 90)):
            x, y, r = (
                rng.uniform(0, w),
                rng.uniform(0, hy) ** 1.25 / max(1, hy) ** 0.25,
                rng.uniform(0.15, 0.55) * u,
            )
            cv.draw.ellipse(
                (x - r, y - r, x + r, y + r), fill=_alpha(pal.sun, rng.randint(150, 255))
            )
        mx, my, mr = rng.uniform(0.12, 0.88) * w, rng.uniform(0.12, 0.3) * hy, rng.uniform(4, 7) * u
        cv.glow(mx, my, mr * 3.2, pal.glow, 70)
        bite = mr * rng.choice((-0.45, 0.45))
        if rng.random() < 0.6 and cv.glass is None:  # a crescent: the disc minus a bite
            box = math.ceil(2 * mr) + 2
            mask = Image.new("L", (box, box), 0)
            md = ImageDraw.Draw(mask)
            md.ellipse((1, 1, box - 2, box - 2), fill=255)
            md.ellipse((1 + bite, 1 - 0.05 * mr, box - 2 + bite, box - 2 - 0.05 * mr), fill=0)
            cv.image.paste(pal.sun, (round(mx - box / 2), round(my - box / 2)), mask)
        else:
            cv.oval(mx, my, mr, mr, pal.sun)
    elif scene.sky == "dawn":
        sx, sr = rng.uniform(0.2, 0.8) * w, rng.uniform(7, 11) * u
        sy = hy - rng.uniform(0.0, 0.6) * sr
        cv.glow(sx, sy, sr * 5, pal.glow, 150)
        cv.oval(sx, sy, sr, sr, pal.sun)
        for i in range(rng.randint(5, 9)):  # rays
            ang = math.pi + (i + rng.uniform(0.2, 0.8)) * math.pi / 9
            cv.line(
                [(sx, sy), (sx + math.cos(ang) * w, sy + math.sin(ang) * w)],
                _alpha(pal.glow, 38),
                rng.uniform(1.5, 4) * u,
            )
    elif scene.sky == "day":
        sx, sy, sr = rng.uniform(0.1, 0.9) * w, rng.uniform(0.15, 0.35) * hy, rng.uniform(4, 6) * u
        cv.glow(sx, sy, sr * 3.5, pal.glow, 110)
        cv.oval(sx, sy, sr, sr, pal.sun)

    # Clouds: clusters of overlapping puffs.
    if scene.clouds:
        shade = pal.cloud
        for _ in range(rng.randint(3, 6) + (3 if scene.rain else 0)):
            cx, cy = rng.uniform(-0.05, 1.05) * w, rng.uniform(0.08, 0.7) * hy
            size = rng.uniform(5, 11) * u
            for _ in range(rng.randint(4, 7)):
                px, py = cx + rng.uniform(-1.6, 1.6) * size, cy + rng.uniform(-0.4, 0.3) * size
                rx = rng.uniform(0.6, 1.1) * size
                cv.oval(px, py, rx, rx * 0.55, _alpha(shade, 215))

    # Mountains behind everything else on the ground.
    if scene.mountains:
        far = _jagged(rng, w, hy + 2 * u, rng.uniform(0.3, 0.45) * hy, u)
        cv.poly([*far, (w + 2, hy + 4 * u), (-2, hy + 4 * u)], pal.far)
        near = _jagged(rng, w, hy + 2 * u, rng.uniform(0.15, 0.25) * hy, u)
        cv.poly([*near, (w + 2, hy + 4 * u), (-2, hy + 4 * u)], pal.mountain)

    # Far hills or dunes, then the ground.
    if scene.desert:
        top_sand, low_sand = pal.sand_far, pal.sand_near
        for i in range(3):
            base = hy + (h - hy) * (i * 0.28)
            ridge = _curve(rng, w, base, rng.uniform(3, 7) * u, rng.uniform(0.6, 1.4))
            col = _mix(top_sand, low_sand, i / 2)
            cv.gradient(
                base - 8 * u, h, _mix(col, (255, 255, 255), 0.08), _scale(col, 0.9),
                mask_poly=[*ridge, (w + 2, h + 2), (-2, h + 2)],
            )  # fmt: skip
        for _ in range(rng.randint(3, 7)):  # rocks strewn over the sand, casting shadows
            x, y = rng.uniform(0, w), rng.uniform(hy + 4 * u, h)
            r = rng.uniform(1.5, 4.5) * u * _perspective(lay, h, y)
            cv.oval(
                x + r * 0.4, y + r * 0.15, r * 1.3, r * 0.35, _alpha(_scale(low_sand, 0.6), 150)
            )
            cv.poly(
                [(x - r, y), (x - r * 0.6, y - r * rng.uniform(0.6, 1.1)),
                 (x + r * rng.uniform(0, 0.5), y - r * rng.uniform(0.8, 1.3)),
                 (x + r, y - r * 0.3), (x + r * 0.9, y)],
                _mix(pal.stone_dark, pal.mountain, 0.4),
            )  # fmt: skip
    else:
        hills = _curve(rng, w, hy + u, rng.uniform(4, 10) * u, rng.uniform(0.6, 1.6))
        cv.poly([*hills, (w + 2, hy + 6 * u), (-2, hy + 6 * u)], pal.hill)
        if not scene.sea:
            ground = _curve(rng, w, hy + 3 * u, rng.uniform(2, 5) * u, rng.uniform(0.5, 1.2))
            cv.gradient(
                hy - 3 * u, h, pal.ground_far, pal.ground_near,
                mask_poly=[*ground, (w + 2, h + 2), (-2, h + 2)],
            )  # fmt: skip

    # Water: a sea from the horizon down, or a river winding towards the viewer.
    if scene.sea:
        cv.gradient(
            hy,
            h,
            pal.water_far,
            pal.water_near,
            mask_poly=[(-2, hy), (w + 2, hy), (w + 2, h + 2), (-2, h + 2)],
        )
        for _ in range(rng.randint(45, 80)):
            y = hy + (h - hy) * rng.random() ** 1.4
            s = _perspective(lay, h, y)
            x, half = rng.uniform(0, w), rng.uniform(2, 5) * u * s
            cv.draw.arc(
                (x - half, y - half * 0.35, x + half, y + half * 0.35), 200, 340,
                fill=_alpha(pal.wave, 170), width=max(1, round(0.5 * u * s)),
            )  # fmt: skip
        if scene.trees or scene.sheep or scene.fire or scene.cross or scene.field:
            side = lay.shore_side
            top = lay.land_y[0] - 4 * u
            reach = rng.uniform(0.38, 0.5) * w
            pts: list[Point] = []
            for i in range(13):
                t = i / 12
                x = t * reach
                y = top + (h - top) * (t**2.2) + math.sin(t * 9 + rng.random()) * u * 0.6
                pts.append((x if side < 0 else w - x, y))
            corner = (-2.0, h + 2.0) if side < 0 else (w + 2.0, h + 2.0)
            shore = [(corner[0], top), *pts, corner]
            land_far = pal.sand_far if scene.desert else pal.ground_far
            land_near = pal.sand_near if scene.desert else pal.ground_near
            cv.gradient(top - u, h, land_far, land_near, mask_poly=shore)
    elif scene.river:
        cx0 = rng.uniform(0.3, 0.7) * w
        phase, swing = rng.uniform(0, math.tau), rng.uniform(0.1, 0.22) * w
        left: list[Point] = []
        right: list[Point] = []
        for i in range(21):
            t = i / 20
            y = hy + 2 * u + (h - hy) * t
            x = cx0 + swing * t * math.sin(t * 5 + phase)
            half = (0.6 + 16 * t**1.5) * u
            left.append((x - half, y))
            right.append((x + half, y))
        cv.gradient(hy, h + 2, pal.water_far, pal.water_near, mask_poly=[*left, *reversed(right)])
        for i in range(2, 20, 2):
            (lx, y), (rx, _) = left[i], right[i]
            a = lx + (rx - lx) * rng.uniform(0.2, 0.5)
            cv.line([(a, y), (a + (rx - lx) * 0.3, y)], _alpha(pal.wave, 150), max(1, 0.4 * u))


def _paint_city(cv: _Canvas, pal: Palette, rng: random.Random, lay: _Layout) -> None:
    """A walled skyline on the horizon: houses, towers and domes; windows lit at night."""
    w, u, hy = cv.w, cv.u, lay.horizon
    span = rng.uniform(0.35, 0.55) * w
    x0 = rng.uniform(0.02 * w, w - span - 0.02 * w)
    base = hy + 3 * u
    x = x0
    while x < x0 + span:
        bw, bh = rng.uniform(3, 8) * u, rng.uniform(5, 16) * u
        kind = rng.random()
        col = _mix(pal.stone, pal.stone_dark, rng.uniform(0, 0.6))
        if kind < 0.2:  # a tower
            bw *= 0.6
            bh *= 1.5
        cv.rect(x, base - bh, x + bw, base, col)
        if kind > 0.75:  # a dome
            cv.draw.chord(
                (x + bw * 0.1, base - bh - bw * 0.5, x + bw * 0.9, base - bh + bw * 0.5), 180, 360,
                fill=_mix(col, pal.sun, 0.25), outline=cv.lead, width=cv.lead_width if cv.lead else 0,
            )  # fmt: skip
        for _ in range(rng.randint(0, 3)):
            wx, wy = x + rng.uniform(0.2, 0.7) * bw, base - rng.uniform(0.3, 0.85) * bh
            cv.draw.rectangle((wx, wy, wx + 0.6 * u, wy + 1.1 * u), fill=pal.window)
        x += bw + rng.uniform(-0.5, 1.5) * u
    wall_h = rng.uniform(3, 5) * u
    cv.rect(x0 - 2 * u, base - wall_h, x0 + span + 2 * u, base + u, pal.stone_dark)
    for i in range(int((span + 4 * u) // (2 * u))):
        if i % 2 == 0:
            bx = x0 - 2 * u + i * 2 * u
            cv.draw.rectangle(
                (bx, base - wall_h - u, bx + u * 1.2, base - wall_h), fill=pal.stone_dark
            )
    gx = x0 + span * rng.uniform(0.3, 0.7)
    cv.draw.chord(
        (gx - 1.6 * u, base - 3.2 * u, gx + 1.6 * u, base + 0.2 * u), 180, 360, fill=pal.head
    )
    cv.draw.rectangle((gx - 1.6 * u, base - 1.6 * u, gx + 1.6 * u, base + u), fill=pal.head)


def _paint_cross(cv: _Canvas, pal: Palette, rng: random.Random, lay: _Layout) -> None:
    """A hill with a wooden cross on it, against the sky."""
    u, hy = cv.u, lay.horizon
    lo, hi = lay.land_x
    cx = rng.uniform(lo + 0.3 * (hi - lo), hi - 0.3 * (hi - lo))
    base = max(hy + 6 * u, lay.land_y[0] + 2 * u)
    hill_w, hill_h = rng.uniform(18, 28) * u, rng.uniform(5, 9) * u
    top = base - hill_h
    cv.draw.chord(
        (cx - hill_w, top, cx + hill_w, base + hill_h), 180, 360,
        fill=_mix(pal.ground_far, pal.sand_near, 0.3), outline=cv.lead, width=cv.lead_width,
    )  # fmt: skip
    height = rng.uniform(22, 30) * u
    beam = height * rng.uniform(0.5, 0.62)
    thick = max(1.0, height * 0.07)
    dark = _scale(pal.wood, 0.55)
    cv.rect(cx - thick / 2, top - height, cx + thick / 2, top + thick, dark)
    by = top - height * 0.72
    cv.rect(cx - beam / 2, by - thick / 2, cx + beam / 2, by + thick / 2, dark)


def _paint_tree(
    cv: _Canvas, pal: Palette, rng: random.Random, x: float, y: float, s: float
) -> None:
    """One tree: a round olive or fig, a tall cypress, or a palm."""
    u = cv.u * s
    kind = rng.random()
    height = rng.uniform(12, 20) * u
    leaf = _mix(pal.leaf, pal.leaf_dark, rng.uniform(0, 0.7))
    if kind < 0.5:  # round crown
        cv.rect(x - 0.7 * u, y - height * 0.55, x + 0.7 * u, y, pal.trunk)
        r = height * rng.uniform(0.28, 0.36)
        cy = y - height * 0.62
        for _ in range(rng.randint(3, 5)):
            cv.oval(
                x + rng.uniform(-0.6, 0.6) * r, cy + rng.uniform(-0.4, 0.3) * r,
                r * rng.uniform(0.6, 0.9), r * rng.uniform(0.5, 0.8), leaf,
            )  # fmt: skip
    elif kind < 0.8:  # cypress
        cv.rect(x - 0.5 * u, y - 2 * u, x + 0.5 * u, y, pal.trunk)
        r = height * 0.14
        cv.poly(
            [(x, y - height), (x + r, y - height * 0.45), (x + r * 0.6, y - 1.5 * u),
             (x - r * 0.6, y - 1.5 * u), (x - r, y - height * 0.45)], _scale(leaf, 0.85),
        )  # fmt: skip
    else:  # palm
        lean = rng.uniform(-0.25, 0.25) * height
        top = (x + lean, y - height)
        cv.line([(x, y), ((x + top[0]) / 2 + lean * 0.2, y - height / 2), top], pal.trunk, 1.2 * u)
        for i in range(6):
            ang = math.pi * (1.05 + i * 0.18) + rng.uniform(-0.1, 0.1)
            tip = (
                top[0] + math.cos(ang) * height * 0.4,
                top[1] + math.sin(ang) * height * 0.25 + 3 * u,
            )
            cv.poly([top, ((top[0] + tip[0]) / 2, (top[1] + tip[1]) / 2 - 1.5 * u), tip], leaf)


def _paint_field(cv: _Canvas, pal: Palette, rng: random.Random, lay: _Layout) -> None:
    """A patch of ripe grain in furrows that run towards the horizon."""
    h, u = cv.h, cv.u
    lo, hi = lay.land_x
    y0 = lay.land_y[0] + (lay.land_y[1] - lay.land_y[0]) * rng.uniform(0.0, 0.3)
    cx = rng.uniform(lo + 0.3 * (hi - lo), hi - 0.3 * (hi - lo))
    half_top, half_bot = rng.uniform(8, 14) * u, rng.uniform(28, 45) * u
    cv.poly(
        [(cx - half_top, y0), (cx + half_top, y0), (cx + half_bot, h + 2), (cx - half_bot, h + 2)],
        pal.field,
    )
    rows = rng.randint(6, 10)
    furrow = _alpha(_scale(pal.field, 0.7), 200)
    for i in range(rows + 1):
        t = i / rows
        cv.line(
            [(cx - half_top + 2 * half_top * t, y0), (cx - half_bot + 2 * half_bot * t, h + 2)],
            furrow,
            0.5 * u,
        )
    for _ in range(rng.randint(25, 45)):  # ears of grain
        y = rng.uniform(y0 + u, h)
        t = (y - y0) / max(1.0, h - y0)
        half = half_top + (half_bot - half_top) * t
        x = rng.uniform(cx - half, cx + half)
        s = _perspective(lay, h, y)
        cv.line(
            [(x, y), (x + 0.4 * u * s, y - 3 * u * s)], _mix(pal.field, pal.sun, 0.4), 0.5 * u * s
        )


def _paint_sheep(
    cv: _Canvas, pal: Palette, rng: random.Random, x: float, y: float, s: float
) -> None:
    """A small sheep: woolly body, dark head and legs."""
    u = cv.u * s
    face = rng.choice((-1, 1))
    bw, bh = rng.uniform(4.2, 5.4) * u, rng.uniform(2.6, 3.2) * u
    for dx in (-0.55, -0.2, 0.25, 0.55):
        cv.line([(x + dx * bw, y - bh * 0.3), (x + dx * bw, y + bh * 0.9)], pal.head, 0.5 * u)
    cv.oval(x, y - bh * 0.3, bw, bh, pal.wool)
    cv.oval(x + face * bw * 1.05, y - bh * 0.75, bw * 0.32, bh * 0.42, pal.head)


def _paint_boat(cv: _Canvas, pal: Palette, rng: random.Random, lay: _Layout) -> None:
    """A fishing boat on the water with a mast and a sail, and a net over the side."""
    w, h, u, hy = cv.w, cv.h, cv.u, lay.horizon
    lo_x, hi_x = (0.55 * w, 0.9 * w) if lay.shore_side < 0 else (0.1 * w, 0.45 * w)
    x = rng.uniform(lo_x, hi_x)
    y = hy + (h - hy) * rng.uniform(0.3, 0.55)
    s = _perspective(lay, h, y) * 1.2
    length, depth = 22 * u * s, 4 * u * s
    cv.poly(
        [
            (x - length / 2, y - depth),
            (x + length / 2, y - depth),
            (x + length * 0.35, y),
            (x - length * 0.35, y),
        ],
        pal.wood,
    )
    mast_h = length * rng.uniform(0.7, 0.95)
    cv.rect(x - 0.4 * u * s, y - depth - mast_h, x + 0.4 * u * s, y - depth, _scale(pal.wood, 0.8))
    cv.poly(
        [
            (x + 0.6 * u * s, y - depth - mast_h * 0.95),
            (x + 0.6 * u * s, y - depth - 1.5 * u * s),
            (x + length * 0.4, y - depth - 1.5 * u * s),
        ],
        pal.sail,
    )
    nx = x - length * 0.45
    for i in range(4):
        cv.line(
            [(nx + i * u * s, y - depth), (nx - 2 * u * s + i * 1.5 * u * s, y + 3 * u * s)],
            _alpha(pal.head, 150),
            0.3 * u * s,
        )
    cv.line(
        [(nx - 2 * u * s, y + 2.2 * u * s), (nx + 3.5 * u * s, y + 2.2 * u * s)],
        _alpha(pal.head, 150),
        0.3 * u * s,
    )


def _paint_fire(
    cv: _Canvas, pal: Palette, rng: random.Random, x: float, y: float, s: float
) -> None:
    """A fire: a wide warm glow and three layers of flame tongues."""
    u = cv.u * s
    size = rng.uniform(11, 16) * u
    cv.glow(x, y - size * 0.4, size * 3.2, pal.flame_mid, 170)
    for col, k in ((pal.flame_out, 1.0), (pal.flame_mid, 0.7), (pal.flame_core, 0.42)):
        tongues = rng.randint(3, 5)
        for i in range(tongues):
            off = (i - (tongues - 1) / 2) * size * 0.28 * k
            tip_h = size * k * rng.uniform(0.9, 1.5)
            cv.poly(
                [(x + off - size * 0.3 * k, y), (x + off + rng.uniform(-0.2, 0.2) * size, y - tip_h),
                 (x + off + size * 0.3 * k, y)], col,
            )  # fmt: skip
    cv.rect(x - size * 0.5, y - 0.6 * u, x + size * 0.5, y + 0.6 * u, pal.trunk)


def _paint_features(
    cv: _Canvas, scene: Scene, pal: Palette, rng: random.Random, lay: _Layout
) -> None:
    """The things in the scene, drawn over the background in every finish."""
    w, h, u = cv.w, cv.h, cv.u
    if scene.city:
        _paint_city(cv, pal, rng, lay)
    if scene.field:
        _paint_field(cv, pal, rng, lay)
    if scene.cross:
        _paint_cross(cv, pal, rng, lay)
    things: list[tuple[float, int, float]] = []  # (y, kind, x): drawn far to near
    if scene.trees:
        things += [(y, 0, x) for x, y in _spots(rng, lay, rng.randint(2, 6))]
    elif not scene.desert and not scene.sea:  # a tree or two on otherwise bare land
        things += [(y, 0, x) for x, y in _spots(rng, lay, rng.randint(0, 2))]
    if scene.sheep:
        flock_x = rng.uniform(*lay.land_x)
        flock_y = rng.uniform(lay.land_y[0], lay.land_y[0] * 0.4 + lay.land_y[1] * 0.6)
        for _ in range(rng.randint(3, 9)):
            s = _perspective(lay, h, flock_y)
            x = min(max(flock_x + rng.gauss(0, 9) * u * s, lay.land_x[0]), lay.land_x[1])
            y = min(max(flock_y + rng.gauss(0, 4) * u * s, lay.land_y[0]), lay.land_y[1])
            things.append((y, 1, x))
    if scene.fire:
        fx = rng.uniform(
            lay.land_x[0] * 0.7 + lay.land_x[1] * 0.3, lay.land_x[0] * 0.3 + lay.land_x[1] * 0.7
        )
        fy = rng.uniform(lay.land_y[0] * 0.5 + lay.land_y[1] * 0.5, lay.land_y[1])
        things.append((fy, 2, fx))
    for y, kind, x in sorted(things):
        s = _perspective(lay, h, y)
        if kind == 0:
            _paint_tree(cv, pal, rng, x, y, s)
        elif kind == 1:
            _paint_sheep(cv, pal, rng, x, y, s)
        else:
            _paint_fire(cv, pal, rng, x, y, s)
    if scene.boat:
        _paint_boat(cv, pal, rng, lay)
    if scene.rain:
        slant = rng.uniform(-0.35, 0.1)
        for _ in range(rng.randint(90, 150)):
            x, y = rng.uniform(-0.1, 1.1) * w, rng.uniform(0, h)
            length = rng.uniform(3, 7) * u
            cv.line([(x, y), (x + slant * length, y + length)], _alpha(pal.rain, 110), 0.3 * u)


def _layout(scene: Scene, rng: random.Random, w: int, h: int) -> _Layout:
    hy = h * (rng.uniform(0.45, 0.55) if scene.sea else rng.uniform(0.52, 0.64))
    side = rng.choice((-1, 1))
    if scene.sea:
        top = hy + (h - hy) * 0.6
        xs = (0.06 * w, 0.3 * w) if side < 0 else (0.7 * w, 0.94 * w)
        return _Layout(hy, xs, (top + (h - top) * 0.3, h * 0.97), side)
    return _Layout(hy, (0.04 * w, 0.96 * w), (hy + (h - hy) * 0.12, h * 0.96), side)


# --------------------------------------------------------------------------------------------
# Finishes
# --------------------------------------------------------------------------------------------


def _glass_cells(img: Image.Image, rng: random.Random, u: float) -> None:
    """Stained glass: cut ``img`` (a gradient band) into flat saturated panes held in lead.

    A jittered grid of quads, each split into two triangles, takes the colour of the picture
    at its centre (a little lighter or darker per pane, as real glass varies).
    """
    w, h = img.size
    cell = max(4.0, 10 * u)
    cols, rows = max(2, round(w / cell)), max(2, round(h / cell))
    grid: list[list[Point]] = []
    for j in range(rows + 1):
        row: list[Point] = []
        for i in range(cols + 1):
            jx = rng.uniform(-0.35, 0.35) if 0 < i < cols else 0.0
            jy = rng.uniform(-0.35, 0.35) if 0 < j < rows else 0.0
            row.append(((i + jx) * w / cols, (j + jy) * h / rows))
        grid.append(row)
    src = img.copy()
    draw = ImageDraw.Draw(img)
    lead = max(1, round(u * 0.35))
    for j in range(rows):
        for i in range(cols):
            a, b, c, d = grid[j][i], grid[j][i + 1], grid[j + 1][i + 1], grid[j + 1][i]
            tris = ((a, b, c), (a, c, d)) if rng.random() < 0.5 else ((a, b, d), (b, c, d))
            for tri in tris:
                cx = min(w - 1, max(0, int(sum(p[0] for p in tri) / 3)))
                cy = min(h - 1, max(0, int(sum(p[1] for p in tri) / 3)))
                px = src.getpixel((cx, cy))
                assert isinstance(px, tuple)
                col = _hsv((px[0], px[1], px[2]), sat=1.15, val=rng.uniform(0.88, 1.1))
                draw.polygon(list(tri), fill=col, outline=_LEAD, width=lead)


def _vignette(img: Image.Image, color: RGB, strength: float) -> Image.Image:
    """Darken the edges towards ``color`` (a radial gradient used as the blend mask)."""
    w, h = img.size
    mask = Image.radial_gradient("L").resize((w, h), Image.Resampling.BILINEAR)
    lut = [_clamp(max(0.0, (v - 100) / (255 - 100)) ** 1.4 * 255 * strength) for v in range(256)]
    return Image.composite(Image.new("RGB", (w, h), color), img, mask.point(lut))


def _classical(img: Image.Image) -> Image.Image:
    """Classical: a warm glaze and a dark, warm vignette, like varnished oil."""
    glazed = ImageChops.multiply(img, Image.new("RGB", img.size, (255, 236, 200)))
    return _vignette(glazed, (34, 20, 10), 0.9)


def _watercolor(img: Image.Image, rng: random.Random, u: float) -> Image.Image:
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


def _woodcut(small: Image.Image, size: tuple[int, int]) -> Image.Image:
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
    return Image.composite(Image.new("RGB", (w, h), _INK), Image.new("RGB", (w, h), _PAPER), ink)


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def sketch_image(
    verse_text: str, reference: str, theme: str | None, width: int = 1024, height: int = 576
) -> Image.Image:
    """The sketch as a Pillow RGB image of exactly ``width`` x ``height``."""
    if width < 1 or height < 1:
        raise ValueError(f"sketch size must be positive, got {width}x{height}")
    style = _normalise_theme(theme)
    scene = scene_for(verse_text)
    seed = _seed(verse_text, reference)
    rng = random.Random(seed)
    finish_rng = random.Random(seed ^ 0x5EED5EED)

    # Half resolution keeps drawing cheap; tiny images are drawn at full size.
    factor = 2 if min(width, height) >= 96 else 1
    w, h = -(-width // factor), -(-height // factor)
    u = min(w, h) / 100

    jitter_hue, jitter_val = rng.uniform(-0.025, 0.025), rng.uniform(0.93, 1.06)
    base = _base_palette(scene.sky).map(lambda c: _hsv(c, hue=jitter_hue, val=jitter_val))
    pal = _themed(base, style)
    lay = _layout(scene, rng, w, h)

    img = Image.new("RGB", (w, h), pal.sky_low)
    glass = style == "stained-glass"
    canvas = _Canvas(img, u, finish_rng if glass else None)
    _paint_background(canvas, scene, pal, rng, lay)
    _paint_features(canvas, scene, pal, rng, lay)

    if style == "woodcut":
        return _woodcut(img, (width, height))
    if style == "classical":
        img = _classical(img)
    elif style == "watercolor":
        img = _watercolor(img, finish_rng, u)
    if glass:  # the frame that holds the window
        ImageDraw.Draw(img).rectangle((0, 0, w - 1, h - 1), outline=_LEAD, width=max(1, round(u)))
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
