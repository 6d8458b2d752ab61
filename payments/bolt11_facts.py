"""The two facts of a BOLT 11 invoice Verselight checks: its amount and its payment hash.

A node-less wallet makes the invoice for us; before it is shown as a QR we make sure it asks for
the amount we requested and carries the hash we will look it up by. Reading (not verifying the
signature: the wallet is the payee, and its answer arrived signed over Nostr) needs only bech32,
so no Lightning library is loaded in the app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_SIGNATURE_WORDS = 104  # 65 bytes of signature and recovery id, in 5-bit words
_TIMESTAMP_WORDS = 7
_TAG_PAYMENT_HASH = 1  # "p"
_HRP = re.compile(r"ln([a-z]+?)(?:(\d+)([munp]?))?")
_MSAT_PER_UNIT = {"": 100_000_000_000, "m": 100_000_000, "u": 100_000, "n": 100}


class Bolt11Error(ValueError):
    """The text is not a BOLT 11 invoice we can read (one sentence)."""


@dataclass(frozen=True)
class Bolt11Facts:
    amount_msat: int | None
    """None for an invoice without an amount (Verselight never asks for one)."""
    payment_hash: str | None
    """Lower-case hex; None if the invoice carries no ``p`` field."""


def read_bolt11(invoice: str) -> Bolt11Facts:
    """The amount and payment hash of ``invoice`` (with or without a ``lightning:`` prefix)."""
    text = invoice.strip().lower().removeprefix("lightning:")
    hrp, sep, data = text.rpartition("1")
    if not sep or not hrp or len(data) < 6 + _TIMESTAMP_WORDS + _SIGNATURE_WORDS:
        raise Bolt11Error("The wallet's invoice is not a BOLT 11 invoice.")
    try:
        words = [_CHARSET.index(ch) for ch in data]
    except ValueError:
        raise Bolt11Error("The wallet's invoice is not a BOLT 11 invoice.") from None
    if _polymod([ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + words) != 1:
        raise Bolt11Error("The wallet's invoice has a bad checksum.")
    match = _HRP.fullmatch(hrp)
    if match is None:
        raise Bolt11Error("The wallet's invoice has no network prefix.")
    return Bolt11Facts(
        amount_msat=_amount_msat(match.group(2), match.group(3)),
        payment_hash=_payment_hash(words[_TIMESTAMP_WORDS : -6 - _SIGNATURE_WORDS]),
    )


def _amount_msat(digits: str | None, unit: str | None) -> int | None:
    if digits is None:
        return None
    if unit == "p":  # pico-bitcoin: a tenth of a millisatoshi, so a multiple of 10
        if int(digits) % 10:
            raise Bolt11Error("The wallet's invoice asks for a fraction of a millisatoshi.")
        return int(digits) // 10
    return int(digits) * _MSAT_PER_UNIT[unit or ""]


def _payment_hash(tagged: list[int]) -> str | None:
    i = 0
    while i + 3 <= len(tagged):
        tag, length = tagged[i], tagged[i + 1] * 32 + tagged[i + 2]
        field = tagged[i + 3 : i + 3 + length]
        if len(field) < length:
            break
        if tag == _TAG_PAYMENT_HASH and length == 52:  # 256 bits and 4 bits of padding
            return _to_bytes(field)[:32].hex()
        i += 3 + length
    return None


def _to_bytes(words: list[int]) -> bytes:
    bits = "".join(f"{w:05b}" for w in words)
    return bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits) - 7, 8))


def _polymod(values: list[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(_GENERATOR):
            if (top >> i) & 1:
                check ^= generator
    return check
