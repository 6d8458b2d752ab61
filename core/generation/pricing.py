"""What an illustration costs in credits, from the provider's listed price.

The formula (DESIGN.md section 7), in ``Decimal`` throughout::

    credits = max(1, ceil(usd_per_image * markup / 0.01))

1 credit is $0.01 and the markup defaults to 1.25. An operator may pin a model's price in
credits (``[images.prices]``), which wins over the formula. A model with neither a listed
price nor a pin is refused: we never guess what to charge. The offline sketch costs 0 and is
the only model that may. Floats would be wrong here: ceil(0.056 * 1.25 / 0.01) is 8 in
floating point and 7 exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, Decimal

CREDIT_USD = Decimal("0.01")
DEFAULT_MARKUP = Decimal("1.25")


class Unpriced(Exception):
    """The model has no price we can charge. ``str()`` is a sentence for the user."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"{key} has no listed price, so Verselight will not use it; the operator can pin "
            f"one in the config file under [images.prices]."
        )


def credits_for_usd(usd: Decimal, markup: Decimal = DEFAULT_MARKUP) -> int:
    """Credits for a listed USD price: the marked-up price rounded up to whole credits, >= 1."""
    if not usd.is_finite() or usd < 0:
        raise ValueError(f"a price must be a finite amount of at least 0, not {usd}")
    if markup < 1:
        raise ValueError("the markup must be at least 1")
    credits = (usd * markup / CREDIT_USD).to_integral_value(rounding=ROUND_CEILING)
    return max(1, int(credits))


def price_in_credits(
    key: str,
    usd_per_image: Decimal | None,
    *,
    pinned: Mapping[str, int],
    markup: Decimal = DEFAULT_MARKUP,
    free: bool = False,
) -> int:
    """The credits shown before generating and charged after (``key`` is "provider/model").

    ``free`` is for the offline sketch, which is drawn locally and costs nothing.
    """
    if free:
        return 0
    if key in pinned:
        return pinned[key]
    if usd_per_image is None:
        raise Unpriced(key)
    return credits_for_usd(usd_per_image, markup)
