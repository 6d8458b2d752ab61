"""The gate between a provider's bytes and the disk: only a sane PNG, JPEG or WEBP passes.

Providers return whatever their server sent; before anything is saved or charged as a success,
Pillow must be able to decode the whole image, its size must be plausible, and it must not be a
decompression bomb (a small file declaring a huge canvas that would take gigabytes to decode).
The dimensions are checked from the header before any pixel is decoded, so a bomb costs nothing.

Pillow's own bomb guard warns above ``Image.MAX_IMAGE_PIXELS`` and raises above twice that; we
leave its global settings and warning filters alone (other code shares them) and apply our
stricter ``max_pixels`` ourselves, catching Pillow's error and warning for when it fires first.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from core.generation.providers.base import ProviderError

_FORMATS = {
    "PNG": ("image/png", ".png"),
    "JPEG": ("image/jpeg", ".jpg"),
    "WEBP": ("image/webp", ".webp"),
}
"""Pillow format name -> (MIME type, file extension) for every format accepted."""


@dataclass(frozen=True, slots=True)
class CheckedImage:
    """Image bytes that decoded fully, with what the image store and the database record."""

    data: bytes
    mime: str
    extension: str
    """".png", ".jpg" or ".webp"."""
    width: int
    height: int
    size: int
    """Bytes."""
    sha256: str
    """Hex digest of ``data``."""


def _bad(why: str) -> ProviderError:
    return ProviderError("bad_image", f"The image received could not be read ({why}).")


def check_image(data: bytes, *, max_pixels: int = 40_000_000, min_side: int = 16) -> CheckedImage:
    """``data`` as a ``CheckedImage``, or ``ProviderError("bad_image", ...)`` saying why not.

    Opening reads only the header (format and size), which is checked first; ``verify()`` then
    checks the file's structure (PNG chunk CRCs) and a fresh ``load()`` decodes every pixel, which
    catches truncation that ``verify()`` alone misses.
    """
    if not data:
        raise _bad("it is empty")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format or "unknown"
            width, height = probe.size
            if image_format not in _FORMATS:
                raise _bad(f"{image_format} is not PNG, JPEG or WEBP")
            if width < min_side or height < min_side:
                raise _bad(f"{width}x{height} is smaller than {min_side} pixels a side")
            if width * height > max_pixels:
                raise _bad(f"{width}x{height} is more than {max_pixels:,} pixels")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except ProviderError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bad("it declares too many pixels to decode safely") from None
    except UnidentifiedImageError:
        raise _bad("not an image format Pillow knows") from None
    except Exception as exc:  # damaged files raise many kinds: OSError, SyntaxError, ...
        raise _bad(f"damaged or truncated: {type(exc).__name__}") from None
    mime, extension = _FORMATS[image_format]
    return CheckedImage(
        data=data,
        mime=mime,
        extension=extension,
        width=width,
        height=height,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
