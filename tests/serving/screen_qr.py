"""QR codes read off an emulated terminal (pyte), as a phone would read the visitor's screen.

Each cell drawn with half blocks is two pixels tall: the upper half ``▀`` shows the foreground
on top and the background below, ``▄`` the reverse, ``█`` and space one colour for both.
"""

from __future__ import annotations

import pyte
from PIL import Image

from tests.qr_raster import decode_picture

NAMED = {"black": 0, "white": 255, "brightwhite": 255, "brightblack": 85}
CELL_PX = 4


def _grey(colour: str, default: int) -> int:
    if colour == "default":
        return default
    if colour in NAMED:
        return NAMED[colour]
    if len(colour) == 6:
        r, g, b = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
        return (r * 299 + g * 587 + b * 114) // 1000
    return default


def screen_picture(screen: pyte.Screen) -> Image.Image:
    width, height = screen.columns, screen.lines
    picture = Image.new("L", ((width + 8) * CELL_PX, (height * 2 + 8) * CELL_PX), 255)
    pixels = picture.load()
    assert pixels is not None
    for y in range(height):
        row = screen.buffer[y]
        for x in range(width):
            char = row[x]
            fg, bg = _grey(char.fg, 255), _grey(char.bg, 0)
            if char.reverse:
                fg, bg = bg, fg
            top, bottom = {
                "▀": (fg, bg),
                "▄": (bg, fg),
                "█": (fg, fg),
                " ": (bg, bg),
            }.get(char.data, (bg, bg))
            for half, shade in ((0, top), (1, bottom)):
                for dy in range(CELL_PX):
                    for dx in range(CELL_PX):
                        px = (x + 4) * CELL_PX + dx
                        py = (y * 2 + half + 4) * CELL_PX + dy
                        pixels[px, py] = shade
    return picture


def decode_terminal(screen: pyte.Screen) -> list[str]:
    return decode_picture(screen_picture(screen))
