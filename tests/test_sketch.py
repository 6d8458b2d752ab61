"""The offline sketch: deterministic, different per verse and theme, faithful to the verse's
words, a clean PNG of the size asked for, and a free provider that says what it is."""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import struct
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageStat

from core.generation.providers.base import ImageRequest, Provider, ProviderError
from core.generation.providers.sketch import SKETCH_LABEL, SKETCH_MODEL, SketchProvider
from core.generation.sketch import SKETCH_THEMES, draw_sketch, scene_for

ROOT = Path(__file__).resolve().parent.parent
THEMES: list[str | None] = [None, *SKETCH_THEMES]

JOHN_3_16 = ("John 3:16", "For God so loved the world, that he gave his only begotten Son")
JESUS_WEPT = ("John 11:35", "Jesus wept.")
ROMANS_8_28 = (
    "Romans 8:28",
    "And we know that all things work together for good to them that love God",
)
PSALM_23_1 = ("Psalm 23:1", "The LORD is my shepherd; I shall not want.")
JOHN_10_11 = (
    "John 10:11",
    "I am the good shepherd: the good shepherd giveth his life for the sheep.",
)
STARS = (
    "Genesis 15:5",
    "Look now toward heaven, and tell the stars, if thou be able to number them",
)
SHEPHERDS_BY_NIGHT = (
    "Luke 2:8",
    "And there were in the same country shepherds abiding in the field, keeping watch over "
    "their flock by night.",
)
LIGHT = ("Genesis 1:3", "And God said, Let there be light: and there was light.")
MORNING = ("Lamentations 3:23", "They are new every morning: great is thy faithfulness.")
WATERS = ("Genesis 1:2", "And the Spirit of God moved upon the face of the waters.")
WALKING_ON_THE_SEA = (
    "Matthew 14:25",
    "And in the fourth watch of the night Jesus went unto them, walking on the sea.",
)
WILDERNESS = (
    "Isaiah 40:3",
    "The voice of him that crieth in the wilderness, Prepare ye the way of the LORD",
)
DESERT = (
    "Matthew 4:1",
    "Then was Jesus led up of the Spirit into the wilderness to be tempted of the devil.",
)


def sketch(verse: tuple[str, str], theme: str | None, size: tuple[int, int] = (1024, 576)) -> bytes:
    return draw_sketch(verse[1], verse[0], theme, *size)


def image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def mean_abs_diff(a: bytes, b: bytes) -> float:
    """Mean absolute difference (0-255) of two pictures reduced to 64x36: layout and colour,
    not single pixels."""
    small_a = image(a).resize((64, 36), Image.Resampling.BOX)
    small_b = image(b).resize((64, 36), Image.Resampling.BOX)
    return sum(ImageStat.Stat(ImageChops.difference(small_a, small_b)).mean) / 3


def luminance(data: bytes) -> float:
    return float(ImageStat.Stat(image(data).convert("L")).mean[0])


def blueness_of_lower_half(data: bytes) -> float:
    """Mean blue minus mean red below the middle line: positive for water, negative for sand."""
    img = image(data)
    red, _green, blue = ImageStat.Stat(img.crop((0, img.height // 2, img.width, img.height))).mean
    return float(blue - red)


def png_chunks(data: bytes) -> list[str]:
    """The chunk types of a PNG, in order."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    out, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        out.append(data[pos + 4 : pos + 8].decode("ascii"))
        pos += 12 + length
    return out


def assert_png(data: bytes, size: tuple[int, int]) -> None:
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "PNG"
        assert img.size == size
        assert img.mode == "RGB"
        img.verify()
    # Nothing but the picture: no time, text or other metadata that could vary or leak.
    assert set(png_chunks(data)) == {"IHDR", "IDAT", "IEND"}


# --- determinism ------------------------------------------------------------------------------


@pytest.mark.parametrize("theme", THEMES)
def test_same_inputs_give_the_same_bytes(theme: str | None) -> None:
    assert sketch(JOHN_3_16, theme) == sketch(JOHN_3_16, theme)


def test_same_bytes_in_a_fresh_process_with_another_hash_seed() -> None:
    """No per-process randomness (hash seeds, global random, time) reaches the picture."""
    code = (
        "import hashlib, sys\n"
        "from core.generation.sketch import draw_sketch\n"
        "for theme in (None, 'stained-glass', 'watercolor'):\n"
        "    data = draw_sketch(sys.argv[1], sys.argv[2], theme, 512, 288)\n"
        "    print(hashlib.sha256(data).hexdigest())\n"
    )
    expected = [
        hashlib.sha256(draw_sketch(STARS[1], STARS[0], theme, 512, 288)).hexdigest()
        for theme in (None, "stained-glass", "watercolor")
    ]
    for hash_seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code, STARS[1], STARS[0]],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert out.stdout.split() == expected


def test_the_layout_is_not_tied_to_the_size_or_the_theme_name_spelling() -> None:
    assert sketch(JOHN_3_16, "Stained Glass") == sketch(JOHN_3_16, "stained-glass")
    assert sketch(JOHN_3_16, " WOODCUT ") == sketch(JOHN_3_16, "woodcut")


# --- variety ----------------------------------------------------------------------------------


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize(
    ("one", "other"),
    [
        (JOHN_3_16, JESUS_WEPT),  # neither names anything drawable: pastoral defaults
        (ROMANS_8_28, JESUS_WEPT),
        (PSALM_23_1, JOHN_10_11),  # both shepherds
        (("Test 1:1", "x"), ("Test 1:2", "x")),  # same words, other reference
    ],
)
def test_different_verses_give_visibly_different_pictures(
    one: tuple[str, str], other: tuple[str, str], theme: str | None
) -> None:
    a, b = sketch(one, theme), sketch(other, theme)
    assert hashlib.sha256(a).digest() != hashlib.sha256(b).digest()
    assert mean_abs_diff(a, b) > 4.0


def test_every_theme_looks_different() -> None:
    pictures = {theme: sketch(JOHN_3_16, theme) for theme in THEMES}
    for (t1, a), (t2, b) in itertools.combinations(pictures.items(), 2):
        assert mean_abs_diff(a, b) > 20.0, (t1, t2)


@pytest.mark.parametrize("theme", THEMES)
def test_a_night_verse_is_darker_than_a_morning_verse(theme: str | None) -> None:
    darkest_day = min(luminance(sketch(v, theme)) for v in (LIGHT, MORNING))
    brightest_night = max(luminance(sketch(v, theme)) for v in (STARS, SHEPHERDS_BY_NIGHT))
    assert brightest_night + 25 < darkest_day


@pytest.mark.parametrize("theme", [t for t in THEMES if t != "woodcut"])  # woodcut: two tones
def test_a_sea_verse_has_more_blue_below_than_a_desert_verse(theme: str | None) -> None:
    sea = min(blueness_of_lower_half(sketch(v, theme)) for v in (WATERS, WALKING_ON_THE_SEA))
    sand = max(blueness_of_lower_half(sketch(v, theme)) for v in (WILDERNESS, DESERT))
    assert sea > sand + 40


def test_woodcut_has_two_tones_only() -> None:
    colours = image(sketch(JOHN_3_16, "woodcut")).getcolors(maxcolors=16)
    assert colours is not None and len(colours) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the stars of heaven by night", {"sky": "night", "clouds": True}),
        ("in the morning the sun was risen", {"sky": "dawn"}),
        ("the waters of the sea", {"sea": True}),
        ("by the river Jordan", {"river": True}),
        ("a great tempest and rain", {"sky": "storm", "rain": True, "clouds": True}),
        ("unto the hills and mountains", {"mountains": True}),
        ("in the wilderness and the desert", {"desert": True}),
        ("the vine and the fig tree", {"trees": True}),
        ("a sower went forth to sow his seed", {"field": True}),
        ("the bush burned with fire", {"fire": True}),
        ("the shepherd and his flock of sheep", {"sheep": True}),
        ("the gates of Jerusalem", {"city": True}),
        ("there they crucified him", {"cross": True}),
        ("they cast the net and took fishes", {"boat": True, "sea": True}),
        ("Jesus wept.", {"sky": "day", "trees": True, "sheep": True}),  # the pastoral default
    ],
)
def test_the_scene_follows_the_words(text: str, expected: dict[str, object]) -> None:
    scene = scene_for(text)
    for name, value in expected.items():
        assert getattr(scene, name) == value, name


# --- the file itself --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size", [(1024, 576), (1024, 1024), (576, 1024), (1, 1), (17, 31), (95, 400)]
)
@pytest.mark.parametrize("theme", THEMES)
def test_a_clean_png_of_the_requested_size(size: tuple[int, int], theme: str | None) -> None:
    assert_png(sketch(JOHN_3_16, theme, size), size)


def test_an_unknown_theme_draws_the_plain_sketch() -> None:
    data = sketch(JOHN_3_16, "baroque", (256, 144))
    assert_png(data, (256, 144))
    assert data == sketch(JOHN_3_16, None, (256, 144))


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "[And] [the] [LORD] {said} <unto> (Moses),",
        "...!?;:—\u2013-''\"\"«»¶§†‡",
        "神爱世人 Ἐν ἀρχῇ ἦν ὁ λόγος בְּרֵאשִׁית ✝︎ 🕊️",
        "\x00\t\n\r\u200b\ufeff",
        "lone surrogate \ud800 here",
        "light " * 5000,
    ],
)
@pytest.mark.parametrize("theme", THEMES)
def test_odd_verse_text_still_draws(text: str, theme: str | None) -> None:
    assert_png(draw_sketch(text, "", theme, 256, 144), (256, 144))


def test_a_size_that_cannot_be_drawn_is_refused() -> None:
    with pytest.raises(ValueError):
        draw_sketch("x", "y", None, 0, 10)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(max_size=120),
    reference=st.text(max_size=20),
    theme=st.sampled_from([*THEMES, "unknown"]),
)
def test_property_any_text_any_theme(text: str, reference: str, theme: str | None) -> None:
    data = draw_sketch(text, reference, theme, 256, 144)
    assert_png(data, (256, 144))
    assert draw_sketch(text, reference, theme, 256, 144) == data


# --- the provider -----------------------------------------------------------------------------


def request(theme: str | None = "woodcut", width: int = 512, height: int = 288) -> ImageRequest:
    return ImageRequest(
        model=SKETCH_MODEL,
        prompt="(ignored by the sketch)",
        aspect_ratio="16:9",
        width=width,
        height=height,
        verse_text=PSALM_23_1[1],
        reference=PSALM_23_1[0],
        theme=theme,
    )


def test_the_label_says_what_it_is() -> None:
    assert SKETCH_LABEL == "Offline sketch (procedural, not AI)"
    assert SKETCH_MODEL == "offline-sketch"
    provider: Provider = SketchProvider()  # satisfies the protocol
    assert provider.name == "sketch"
    assert provider.label == SKETCH_LABEL
    assert provider.default_eta == 0.1


async def test_the_provider_lists_one_free_model() -> None:
    listing = await SketchProvider().models()
    assert len(listing) == 1
    only = listing[0]
    assert (only.provider, only.model, only.name) == ("sketch", SKETCH_MODEL, SKETCH_LABEL)
    assert only.usd_per_image == Decimal(0)


async def test_the_provider_returns_the_sketch_at_no_cost() -> None:
    provider = SketchProvider()
    got = await provider.generate(request())
    await provider.aclose()
    assert got.data == draw_sketch(PSALM_23_1[1], PSALM_23_1[0], "woodcut", 512, 288)
    assert got.provider_cost == Decimal(0)
    assert isinstance(got.provider_cost, Decimal)
    assert got.model == SKETCH_MODEL
    assert_png(got.data, (512, 288))


async def test_the_provider_reports_a_bad_size_as_a_provider_error() -> None:
    with pytest.raises(ProviderError) as caught:
        await SketchProvider().generate(request(width=0))
    assert caught.value.kind == "bad_image"
