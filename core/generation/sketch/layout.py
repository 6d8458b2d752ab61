"""The composition: where the horizon, the land and the shore are, fixed before any drawing."""

from __future__ import annotations

import random
from dataclasses import dataclass

from core.generation.sketch.canvas import Point
from core.generation.sketch.scene import Scene


@dataclass(slots=True)
class Layout:
    """Where things are, fixed by the verse's random stream before any drawing."""

    horizon: float
    land_x: tuple[float, float]
    land_y: tuple[float, float]
    shore_side: int


def perspective(lay: Layout, h: float, y: float) -> float:
    """How big a thing standing at ``y`` is drawn: small near the horizon, full size in front."""
    span = max(1.0, h - lay.horizon)
    return 0.45 + 0.6 * max(0.0, min(1.0, (y - lay.horizon) / span))


def spots(rng: random.Random, lay: Layout, n: int) -> list[Point]:
    """``n`` places on the land, far ones first so near ones overlap them."""
    pts = [(rng.uniform(*lay.land_x), rng.uniform(*lay.land_y)) for _ in range(n)]
    return sorted(pts, key=lambda p: p[1])


def layout(scene: Scene, rng: random.Random, w: int, h: int) -> Layout:
    hy = h * (rng.uniform(0.45, 0.55) if scene.sea else rng.uniform(0.52, 0.64))
    side = rng.choice((-1, 1))
    if scene.sea:
        top = hy + (h - hy) * 0.6
        xs = (0.06 * w, 0.3 * w) if side < 0 else (0.7 * w, 0.94 * w)
        return Layout(hy, xs, (top + (h - top) * 0.3, h * 0.97), side)
    return Layout(hy, (0.04 * w, 0.96 * w), (hy + (h - hy) * 0.12, h * 0.96), side)
