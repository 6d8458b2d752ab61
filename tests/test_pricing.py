"""The credit price of an illustration: exact Decimal arithmetic, the markup, the floor of one
credit, pins, and refusal of unpriced models (DESIGN.md section 7)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.generation.pricing import Unpriced, credits_for_usd, price_in_credits

TABLE = [
    # (listed USD per image, markup, credits)
    ("0.056", "1.25", 7),  # 7.0 exactly: floats make it 8
    ("0.0387", "1.25", 5),  # Gemini 2.5 Flash Image at 1K: 4.8375 -> 5
    ("0.039", "1.25", 5),  # 4.875 -> 5
    ("0.04", "1.25", 5),  # 5.0 exactly stays 5
    ("0.040000000000000001", "1.25", 6),  # a hair over 5 rounds up
    ("0.08", "1.25", 10),
    ("0.0", "1.25", 1),  # a free listing still costs the floor of one credit
    ("0.000001", "1.25", 1),
    ("0.008", "1.25", 1),  # 1.0
    ("0.00800001", "1.25", 2),
    ("0.19", "1.0", 19),
    ("0.19", "2", 38),
    ("1", "1.25", 125),
    ("0.1", "1.1", 11),  # 11.000000000000002 as floats -> 12
]


@pytest.mark.parametrize(("usd", "markup", "credits"), TABLE)
def test_the_pricing_table(usd: str, markup: str, credits: int) -> None:
    assert credits_for_usd(Decimal(usd), Decimal(markup)) == credits


def test_floats_would_get_the_table_wrong() -> None:
    """Why the table matters: the same formula with floats overcharges these."""
    import math

    assert math.ceil(0.056 * 1.25 / 0.01) == 8
    assert math.ceil(0.1 * 1.1 / 0.01) == 12


@pytest.mark.parametrize("bad", ["-0.01", "NaN", "Infinity"])
def test_impossible_prices_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        credits_for_usd(Decimal(bad))


def test_a_markup_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        credits_for_usd(Decimal("0.04"), Decimal("0.99"))


def test_a_pin_wins_over_the_listed_price() -> None:
    pins = {"openrouter/google/gemini-2.5-flash-image": 4}
    key = "openrouter/google/gemini-2.5-flash-image"
    assert price_in_credits(key, Decimal("0.0387"), pinned=pins) == 4
    assert price_in_credits("openrouter/other", Decimal("0.0387"), pinned=pins) == 5


def test_an_unpriced_model_is_refused_unless_pinned() -> None:
    with pytest.raises(Unpriced) as caught:
        price_in_credits("openai/gpt-image-1", None, pinned={})
    assert "openai/gpt-image-1 has no listed price" in str(caught.value)
    assert "[images.prices]" in str(caught.value)
    assert price_in_credits("openai/gpt-image-1", None, pinned={"openai/gpt-image-1": 9}) == 9


def test_the_sketch_is_free_whatever_is_listed() -> None:
    assert price_in_credits("sketch/offline-sketch", None, pinned={}, free=True) == 0


@given(
    cents=st.integers(min_value=0, max_value=10_000_000),
    scale=st.integers(min_value=0, max_value=8),
    markup_hundredths=st.integers(min_value=100, max_value=500),
)
def test_the_price_covers_the_marked_up_cost_by_less_than_one_credit(
    cents: int, scale: int, markup_hundredths: int
) -> None:
    usd = Decimal(cents).scaleb(-2 - scale)
    markup = Decimal(markup_hundredths).scaleb(-2)
    credits = credits_for_usd(usd, markup)
    owed = usd * markup / Decimal("0.01")
    assert credits >= 1
    assert credits >= owed
    assert credits - owed < 1 or credits == 1
