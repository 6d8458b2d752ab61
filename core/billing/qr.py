"""What a Lightning invoice QR code contains and how big it must be drawn (DESIGN.md section 6).

No Textual here: the widget in ``tui/widgets/qr_code.py`` draws what these pure functions decide,
and the tests check the arithmetic without a terminal.

Why the choices:

* The payload is ``lightning:`` in lower case followed by the invoice in UPPER case. BOLT 11 asks for
  upper case in QR codes because then ``qrcode`` can use its alphanumeric mode (5.5 bits a character
  instead of 8, so a smaller code), but an upper-case scheme breaks some wallets, so the scheme stays
  lower case (NOTES.md, "QR").
* Error correction M by default; L only when the screen is too small for M, because a terminal QR is
  photographed off a screen (moire, glare) and M's extra redundancy is worth the space when we have it.
* The quiet zone (the light margin scanners need to find the code) is added here, not by ``qrcode``,
  so that the widget can shrink it from the standard 4 modules to 2 when space is short.
* Drawn with half-block characters each terminal cell holds one module across and two down, so a
  ``w x h`` module matrix needs ``w`` columns and ``ceil(h / 2)`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal, TypeAlias

import qrcode
from qrcode.constants import ERROR_CORRECT_L, ERROR_CORRECT_M

Ecc: TypeAlias = Literal["M", "L"]
"""Error-correction level: M recovers about 15% damage, L about 7% (but gives a smaller code)."""

QrMatrix: TypeAlias = list[list[bool]]
"""Rows of modules, top to bottom, quiet zone included; ``True`` is a dark module."""

STANDARD_QUIET: Final = 4
"""The quiet zone ISO/IEC 18004 asks for, in modules."""

SHORT_QUIET: Final = 2
"""The narrower quiet zone phone scanners still accept when the terminal is short of room."""

PREFERENCES: Final[tuple[tuple[Ecc, int], ...]] = (
    ("M", STANDARD_QUIET),
    ("M", SHORT_QUIET),
    ("L", SHORT_QUIET),
)
"""Layouts to try, most robust first; each needs no more room than the one before."""

_QRCODE_ECC: Final[dict[str, int]] = {"M": ERROR_CORRECT_M, "L": ERROR_CORRECT_L}

SCHEME: Final = "lightning:"


@dataclass(frozen=True, slots=True)
class Layout:
    """How to draw the code: error correction, quiet zone and the terminal cells it covers."""

    ecc: Ecc
    quiet: int
    cols: int
    rows: int


@dataclass(frozen=True, slots=True)
class TooSmall:
    """No layout fits; the smallest one (L, quiet zone 2) needs this many cells."""

    needed_cols: int
    needed_rows: int


def qr_payload(invoice: str) -> str:
    """The text to encode: lower-case scheme, upper-case invoice (see the module docstring).

    Surrounding whitespace is dropped and an invoice that already carries the scheme is not given
    a second one, so a pasted ``lightning:lnbc...`` link gives the same code as the bare invoice.
    """
    invoice = invoice.strip()
    if invoice[: len(SCHEME)].lower() == SCHEME:
        invoice = invoice[len(SCHEME) :]
    return SCHEME + invoice.upper()


@lru_cache(maxsize=32)
def _symbol(payload: str, ecc: Ecc) -> tuple[int, tuple[tuple[bool, ...], ...]]:
    """The smallest symbol for ``payload`` at ``ecc``: its version and modules, no quiet zone.

    Cached because the widget asks for it at every layout pass and making a version-11 code
    (mask evaluation included) takes tens of milliseconds.
    """
    if ecc not in _QRCODE_ECC:
        raise ValueError(f"error correction must be 'M' or 'L', not {ecc!r}")
    code = qrcode.QRCode(error_correction=_QRCODE_ECC[ecc], border=0, box_size=1)
    code.add_data(payload)
    code.make(fit=True)
    modules = tuple(tuple(bool(module) for module in row) for row in code.get_matrix())
    version = code.version
    assert isinstance(version, int)
    return version, modules


def qr_matrix(payload: str, ecc: Ecc = "M", quiet: int = STANDARD_QUIET) -> QrMatrix:
    """The module matrix of ``payload`` with a light quiet zone of ``quiet`` modules on every side.

    Returns a fresh list the caller may keep or change.
    """
    if quiet < 0:
        raise ValueError("the quiet zone cannot be negative")
    _, modules = _symbol(payload, ecc)
    width = len(modules) + 2 * quiet
    margin = [False] * quiet
    rows: QrMatrix = [[False] * width for _ in range(quiet)]
    rows.extend(margin + list(row) + margin for row in modules)
    rows.extend([False] * width for _ in range(quiet))
    return rows


def layout_size(payload: str, ecc: Ecc, quiet: int) -> tuple[int, int]:
    """Cells ``(cols, rows)`` the code needs at ``ecc`` with a ``quiet``-module quiet zone."""
    _, modules = _symbol(payload, ecc)
    side = len(modules) + 2 * quiet
    return side, (side + 1) // 2


def choose_layout(payload: str, cols: int, rows: int) -> Layout | TooSmall:
    """The most robust layout that fits in ``cols x rows`` cells, else how much room is needed.

    Tries M with the standard quiet zone, then M with a quiet zone of 2, then L with 2 (DESIGN.md:
    "L + quiet zone 2 when space is short"). Each candidate is no larger than the one before, so
    asking again with the chosen layout's own size gives the same layout; the widget relies on
    that when it sizes itself to the code.
    """
    needed = (0, 0)
    for ecc, quiet in PREFERENCES:
        needed = layout_size(payload, ecc, quiet)
        if needed[0] <= cols and needed[1] <= rows:
            return Layout(ecc=ecc, quiet=quiet, cols=needed[0], rows=needed[1])
    return TooSmall(needed_cols=needed[0], needed_rows=needed[1])
