"""The background: sky, lights, clouds, terrain and water, painted back to front."""

from __future__ import annotations

import math
import random

from PIL import Image, ImageDraw

from core.generation.sketch.canvas import Canvas, Point, curve, jagged
from core.generation.sketch.layout import Layout, perspective
from core.generation.sketch.palette import Palette, alpha, mix, scale
from core.generation.sketch.scene import Scene


def paint_background(
    cv: Canvas, scene: Scene, pal: Palette, rng: random.Random, lay: Layout
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
                (x - r, y - r, x + r, y + r), fill=alpha(pal.sun, rng.randint(150, 255))
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
                alpha(pal.glow, 38),
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
                cv.oval(px, py, rx, rx * 0.55, alpha(shade, 215))

    # Mountains behind everything else on the ground.
    if scene.mountains:
        far = jagged(rng, w, hy + 2 * u, rng.uniform(0.3, 0.45) * hy, u)
        cv.poly([*far, (w + 2, hy + 4 * u), (-2, hy + 4 * u)], pal.far)
        near = jagged(rng, w, hy + 2 * u, rng.uniform(0.15, 0.25) * hy, u)
        cv.poly([*near, (w + 2, hy + 4 * u), (-2, hy + 4 * u)], pal.mountain)

    # Far hills or dunes, then the ground.
    if scene.desert:
        top_sand, low_sand = pal.sand_far, pal.sand_near
        for i in range(3):
            base = hy + (h - hy) * (i * 0.28)
            ridge = curve(rng, w, base, rng.uniform(3, 7) * u, rng.uniform(0.6, 1.4))
            col = mix(top_sand, low_sand, i / 2)
            cv.gradient(
                base - 8 * u, h, mix(col, (255, 255, 255), 0.08), scale(col, 0.9),
                mask_poly=[*ridge, (w + 2, h + 2), (-2, h + 2)],
            )  # fmt: skip
        for _ in range(rng.randint(3, 7)):  # rocks strewn over the sand, casting shadows
            x, y = rng.uniform(0, w), rng.uniform(hy + 4 * u, h)
            r = rng.uniform(1.5, 4.5) * u * perspective(lay, h, y)
            cv.oval(x + r * 0.4, y + r * 0.15, r * 1.3, r * 0.35, alpha(scale(low_sand, 0.6), 150))
            cv.poly(
                [(x - r, y), (x - r * 0.6, y - r * rng.uniform(0.6, 1.1)),
                 (x + r * rng.uniform(0, 0.5), y - r * rng.uniform(0.8, 1.3)),
                 (x + r, y - r * 0.3), (x + r * 0.9, y)],
                mix(pal.stone_dark, pal.mountain, 0.4),
            )  # fmt: skip
    else:
        hills = curve(rng, w, hy + u, rng.uniform(4, 10) * u, rng.uniform(0.6, 1.6))
        cv.poly([*hills, (w + 2, hy + 6 * u), (-2, hy + 6 * u)], pal.hill)
        if not scene.sea:
            ground = curve(rng, w, hy + 3 * u, rng.uniform(2, 5) * u, rng.uniform(0.5, 1.2))
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
            s = perspective(lay, h, y)
            x, half = rng.uniform(0, w), rng.uniform(2, 5) * u * s
            cv.draw.arc(
                (x - half, y - half * 0.35, x + half, y + half * 0.35), 200, 340,
                fill=alpha(pal.wave, 170), width=max(1, round(0.5 * u * s)),
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
            cv.line([(a, y), (a + (rx - lx) * 0.3, y)], alpha(pal.wave, 150), max(1, 0.4 * u))
