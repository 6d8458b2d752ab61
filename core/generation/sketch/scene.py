"""What the verse is about: the motifs its words name, and the seed of its random stream.

The scene decides what is drawn; the palette (``palette``), the painting (``background``,
``features``) and the theme's finish (``finishes``) decide how.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from typing import Literal

Sky = Literal["night", "dawn", "storm", "day"]
"""Night (stars, moon), dawn (low sun and rays), storm (grey, no sun) or a plain day."""


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


def seed(verse_text: str, reference: str) -> int:
    """A seed from the verse alone (not the theme or size), stable across processes."""
    data = f"verselight-sketch-1\x1f{reference}\x1f{verse_text}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")
