"""Decode the QR codes a running Textual app shows, the way a phone would see them.

The screen is exported as Textual's SVG screenshot, rasterised by cairo (``cairosvg``) and decoded
by ZXing (``zxingcpp``). Nothing is re-drawn from the QR matrix: if a cell's colour, a glyph or the
half-block arithmetic is wrong on screen, it is wrong in the picture and decoding fails.

Why these settings:

* ``scale=2``: Rich's SVG cell is 12.2 x 24.4 px, so a module is about 24 px square at scale 2;
  the faint anti-aliased seams where text rows meet and the ``▀`` glyph edges are then a small
  fraction of a module.
* ``try_invert=False``: ZXing would otherwise also try the colour-inverted image, and a code that
  only decodes inverted (light modules on dark) is one many phone scanners cannot read.
* The screenshot's transparent corners are flattened onto white and the image is made greyscale,
  which is what ZXing works on anyway; there is no thresholding beyond ZXing's own binariser.
"""

from __future__ import annotations

import io
from typing import Any

import cairosvg
import zxingcpp
from PIL import Image
from textual.app import App

RASTER_SCALE = 2.0


def rasterise_screen(app: App[Any], scale: float = RASTER_SCALE) -> Image.Image:
    """The app's current screen as a greyscale picture, from its SVG screenshot."""
    svg = app.export_screenshot()
    png = cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale)
    with Image.open(io.BytesIO(png)) as picture:
        picture.load()
        flat = Image.new("RGB", picture.size, "white")
        flat.paste(picture, mask=picture.getchannel("A") if "A" in picture.getbands() else None)
    return flat.convert("L")


def decode_picture(picture: Image.Image) -> list[str]:
    """The texts of every QR code ZXing finds in ``picture`` (upright or rotated, never inverted)."""
    results = zxingcpp.read_barcodes(picture, try_invert=False)
    return [
        result.text
        for result in results
        if result.valid and result.format == zxingcpp.BarcodeFormat.QRCode
    ]


def decode_screen(app: App[Any], scale: float = RASTER_SCALE) -> list[str]:
    """The texts of every QR code on the app's current screen, as a phone scanner would read them."""
    return decode_picture(rasterise_screen(app, scale))
