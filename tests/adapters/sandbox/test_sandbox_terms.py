"""The sandbox's integer money arithmetic equals the instrument's exact Fraction arithmetic."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import attrs
from hypothesis import given
from hypothesis import strategies as st
from sandbox_support import PAIR

from livetrade.adapters.sandbox.terms import Terms
from livetrade.model.enums import LiquiditySide
from livetrade.model.money import Money
from livetrade.model.quantities import Price, Quantity

fees = st.decimals(min_value=Decimal("-0.001"), max_value=Decimal("0.01"), places=6)


@given(
    qty=st.integers(1, 10**7),
    px=st.integers(1, 10**8),
    maker=fees,
    taker=fees,
    multiplier=st.sampled_from(["1", "10", "0.5"]),
)
def test_fee_and_notional_match_the_instrument(
    qty: int, px: int, maker: Decimal, taker: Decimal, multiplier: str
) -> None:
    """Same rational value, same half-even rounding: identical amounts."""
    instrument = attrs.evolve(
        PAIR, maker_fee=maker, taker_fee=taker, multiplier=Quantity(multiplier)
    )
    terms = Terms(instrument)
    quantity = Quantity.from_raw(qty * 1_000_000, 3)
    price = Price.from_raw(px * 10_000_000, 2)
    assert terms.notional(quantity.raw, price.raw) == instrument.notional_value(quantity, price).raw
    for side in (LiquiditySide.MAKER, LiquiditySide.TAKER):
        expected = instrument.commission(quantity, price, side).raw
        assert terms.fee(quantity.raw, price.raw, side is LiquiditySide.MAKER) == expected
    notional = instrument.notional_exact(quantity, price)
    lock = Money.from_fraction(
        notional * (1 + max(Fraction(taker), Fraction(0))), PAIR.quote_currency, "up"
    )
    assert terms.buy_lock(quantity.raw, price.raw) == lock.raw
