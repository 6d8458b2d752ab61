"""The things in the scene (city, cross, field, trees, flock, fire, boat, rain), drawn over
the background in every finish."""

from __future__ import annotations

import math
import random

from core.generation.sketch.canvas import Canvas
from core.generation.sketch.layout import Layout, perspective, spots
from core.generation.sketch.palette import Palette, alpha, mix, scale
from core.generation.sketch.scene import Scene


def _paint_city(cv: Canvas, pal: Palette, rng: random.Random, lay: Layout) -> None:
    """A walled skyline on the horizon: houses, towers and domes; windows lit at night."""
    w, u, hy = cv.w, cv.u, lay.horizon
    span = rng.uniform(0.35, 0.55) * w
    x0 = rng.uniform(0.02 * w, w - span - 0.02 * w)
    base = hy + 3 * u
    x = x0
    while x < x0 + span:
        bw, bh = rng.uniform(3, 8) * u, rng.uniform(5, 16) * u
        kind = rng.random()
        col = mix(pal.stone, pal.stone_dark, rng.uniform(0, 0.6))
        if kind < 0.2:  # a tower
            bw *= 0.6
            bh *= 1.5
        cv.rect(x, base - bh, x + bw, base, col)
        if kind > 0.75:  # a dome
            cv.draw.chord(
                (x + bw * 0.1, base - bh - bw * 0.5, x + bw * 0.9, base - bh + bw * 0.5), 180, 360,
                fill=mix(col, pal.sun, 0.25), outline=cv.lead, width=cv.lead_width if cv.lead else 0,
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


def _paint_cross(cv: Canvas, pal: Palette, rng: random.Random, lay: Layout) -> None:
    """A hill with a wooden cross on it, against the sky."""
    u, hy = cv.u, lay.horizon
    lo, hi = lay.land_x
    cx = rng.uniform(lo + 0.3 * (hi - lo), hi - 0.3 * (hi - lo))
    base = max(hy + 6 * u, lay.land_y[0] + 2 * u)
    hill_w, hill_h = rng.uniform(18, 28) * u, rng.uniform(5, 9) * u
    top = base - hill_h
    cv.draw.chord(
        (cx - hill_w, top, cx + hill_w, base + hill_h), 180, 360,
        fill=mix(pal.ground_far, pal.sand_near, 0.3), outline=cv.lead, width=cv.lead_width,
    )  # fmt: skip
    height = rng.uniform(22, 30) * u
    beam = height * rng.uniform(0.5, 0.62)
    thick = max(1.0, height * 0.07)
    dark = scale(pal.wood, 0.55)
    cv.rect(cx - thick / 2, top - height, cx + thick / 2, top + thick, dark)
    by = top - height * 0.72
    cv.rect(cx - beam / 2, by - thick / 2, cx + beam / 2, by + thick / 2, dark)


def _paint_tree(cv: Canvas, pal: Palette, rng: random.Random, x: float, y: float, s: float) -> None:
    """One tree: a round olive or fig, a tall cypress, or a palm."""
    u = cv.u * s
    kind = rng.random()
    height = rng.uniform(12, 20) * u
    leaf = mix(pal.leaf, pal.leaf_dark, rng.uniform(0, 0.7))
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
             (x - r * 0.6, y - 1.5 * u), (x - r, y - height * 0.45)], scale(leaf, 0.85),
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


def _paint_field(cv: Canvas, pal: Palette, rng: random.Random, lay: Layout) -> None:
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
    furrow = alpha(scale(pal.field, 0.7), 200)
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
        s = perspective(lay, h, y)
        cv.line(
            [(x, y), (x + 0.4 * u * s, y - 3 * u * s)], mix(pal.field, pal.sun, 0.4), 0.5 * u * s
        )


def _paint_sheep(
    cv: Canvas, pal: Palette, rng: random.Random, x: float, y: float, s: float
) -> None:
    """A small sheep: woolly body, dark head and legs."""
    u = cv.u * s
    face = rng.choice((-1, 1))
    bw, bh = rng.uniform(4.2, 5.4) * u, rng.uniform(2.6, 3.2) * u
    for dx in (-0.55, -0.2, 0.25, 0.55):
        cv.line([(x + dx * bw, y - bh * 0.3), (x + dx * bw, y + bh * 0.9)], pal.head, 0.5 * u)
    cv.oval(x, y - bh * 0.3, bw, bh, pal.wool)
    cv.oval(x + face * bw * 1.05, y - bh * 0.75, bw * 0.32, bh * 0.42, pal.head)


def _paint_boat(cv: Canvas, pal: Palette, rng: random.Random, lay: Layout) -> None:
    """A fishing boat on the water with a mast and a sail, and a net over the side."""
    w, h, u, hy = cv.w, cv.h, cv.u, lay.horizon
    lo_x, hi_x = (0.55 * w, 0.9 * w) if lay.shore_side < 0 else (0.1 * w, 0.45 * w)
    x = rng.uniform(lo_x, hi_x)
    y = hy + (h - hy) * rng.uniform(0.3, 0.55)
    s = perspective(lay, h, y) * 1.2
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
    cv.rect(x - 0.4 * u * s, y - depth - mast_h, x + 0.4 * u * s, y - depth, scale(pal.wood, 0.8))
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
            alpha(pal.head, 150),
            0.3 * u * s,
        )
    cv.line(
        [(nx - 2 * u * s, y + 2.2 * u * s), (nx + 3.5 * u * s, y + 2.2 * u * s)],
        alpha(pal.head, 150),
        0.3 * u * s,
    )


def _paint_fire(cv: Canvas, pal: Palette, rng: random.Random, x: float, y: float, s: float) -> None:
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


def paint_features(cv: Canvas, scene: Scene, pal: Palette, rng: random.Random, lay: Layout) -> None:
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
        things += [(y, 0, x) for x, y in spots(rng, lay, rng.randint(2, 6))]
    elif not scene.desert and not scene.sea:  # a tree or two on otherwise bare land
        things += [(y, 0, x) for x, y in spots(rng, lay, rng.randint(0, 2))]
    if scene.sheep:
        flock_x = rng.uniform(*lay.land_x)
        flock_y = rng.uniform(lay.land_y[0], lay.land_y[0] * 0.4 + lay.land_y[1] * 0.6)
        for _ in range(rng.randint(3, 9)):
            s = perspective(lay, h, flock_y)
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
        s = perspective(lay, h, y)
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
            cv.line([(x, y), (x + slant * length, y + length)], alpha(pal.rain, 110), 0.3 * u)
