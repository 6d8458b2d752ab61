"""The pen: ImageDraw with the outline of the finish, gradients (cut into panes in stained
glass), and the ridge lines of the land."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageOps

from core.generation.sketch.palette import LEAD, RGB, RGBA, alpha, hsv

Point = tuple[float, float]


class Canvas:
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
        self.lead: RGB | None = LEAD if glass is not None else None
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
                (cx - rr, cy - rr, cx + rr, cy + rr), fill=alpha(color, strength // steps + 2)
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
            glass_cells(band, self.glass, self.u)
        if mask_poly is None:
            self.image.paste(band, (0, top_y))
        else:
            mask = Image.new("L", (self.w, bot_y - top_y), 0)
            ImageDraw.Draw(mask).polygon([(x, y - top_y) for x, y in mask_poly], fill=255)
            self.image.paste(band, (0, top_y), mask)
        if self.lead is not None and mask_poly is not None:
            self.draw.line([*mask_poly, mask_poly[0]], fill=self.lead, width=self.lead_width)


def curve(
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


def jagged(rng: random.Random, w: float, base: float, amp: float, u: float) -> list[Point]:
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


def glass_cells(img: Image.Image, rng: random.Random, u: float) -> None:
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
                col = hsv((px[0], px[1], px[2]), sat=1.15, val=rng.uniform(0.88, 1.1))
                draw.polygon(list(tri), fill=col, outline=LEAD, width=lead)
