"""Dollars to sats at a quoted price, exactly: the one sum every invoice amount comes from."""

from __future__ import annotations

from decimal import Decimal

SATS_PER_BTC = 100_000_000


def sats_for_usd(usd: Decimal, price: Decimal) -> int:
    """Sats that cover ``usd`` at ``price`` USD/BTC: ``ceil(usd * 100_000_000 / price)``.

    Rounded up so the buyer never pays less than the dollar amount. Computed from the exact
    integer ratios of the two decimals, so no precision setting or float can shave a sat.
    """
    for label, value in (("usd", usd), ("price", price)):
        if not isinstance(value, Decimal) or not value.is_finite():
            raise TypeError(f"{label} must be a finite Decimal")
    if usd < 0 or price <= 0:
        raise ValueError("need usd >= 0 and price > 0")
    usd_num, usd_den = usd.as_integer_ratio()
    price_num, price_den = price.as_integer_ratio()
    numerator = usd_num * price_den * SATS_PER_BTC
    denominator = usd_den * price_num
    return -(-numerator // denominator)
