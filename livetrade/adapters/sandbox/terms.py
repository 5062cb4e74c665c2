"""Exact money amounts of one instrument's fills and locks, in integers.

``Instrument.notional_value`` and ``Instrument.commission`` are exact but go
through ``Fraction``, which costs microseconds per call; the sandbox computes a
fill's notional, fee and the locks it changes several times per fill. ``Terms``
precomputes the instrument's rates as integer ratios once and gives the same
results (the same rational value, rounded the same way) with one integer
division each.

All amounts are ``Money`` raw values (scaled by ``10**9``) on the settlement
currency's precision grid; quantities and prices are raw too.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Final

from livetrade.model.instruments import Instrument
from livetrade.model.money import Currency
from livetrade.model.quantities import FIXED_PRECISION, FIXED_SCALAR, Rounding, round_div

__all__ = ["Terms"]

_PRODUCT_SCALE: Final = FIXED_SCALAR**2  #: qty raw * price raw * multiplier raw / this = money raw


def _ratio(value: Decimal | Fraction) -> tuple[int, int]:
    exact = Fraction(value)
    return exact.numerator, exact.denominator


class Terms:
    """One instrument's fee and margin arithmetic, exact, in integers."""

    __slots__ = (
        "_denominator",
        "_lock",
        "_maker",
        "_multiplier",
        "_step",
        "_taker",
        "currency",
        "instrument",
    )

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.currency: Currency = instrument.settlement_currency
        self._step: int = 10 ** (FIXED_PRECISION - self.currency.precision)
        self._denominator = _PRODUCT_SCALE * self._step
        self._multiplier = instrument.multiplier.raw
        self._maker = _ratio(instrument.maker_fee)
        self._taker = _ratio(instrument.taker_fee)
        # a buy on a cash account reserves its notional plus the taker fee on it
        self._lock = _ratio(1 + max(Fraction(instrument.taker_fee), Fraction(0)))

    def _money(self, product: int, ratio: tuple[int, int], rounding: Rounding) -> int:
        numerator, denominator = ratio
        quotient = round_div(product * numerator, self._denominator * denominator, rounding)
        return quotient * self._step

    def notional(self, qty_raw: int, px_raw: int) -> int:
        """``qty * px * multiplier``, rounded half-even (as ``notional_value``)."""
        product = qty_raw * px_raw * self._multiplier
        return round_div(product, self._denominator) * self._step

    def fee(self, qty_raw: int, px_raw: int, maker: bool) -> int:
        """The commission of a fill, exactly as ``Instrument.commission`` prices it."""
        ratio = self._maker if maker else self._taker
        return self._money(qty_raw * px_raw * self._multiplier, ratio, "half_even")

    def buy_lock(self, qty_raw: int, px_raw: int) -> int:
        """What a cash buy reserves: notional plus the (non-negative) taker fee, rounded up."""
        return self._money(qty_raw * px_raw * self._multiplier, self._lock, "up")

    def money(self, product: int | Fraction) -> int:
        """``product * multiplier`` (raw qty x raw price units) as an amount, half-even."""
        value = Fraction(product) * self._multiplier
        return self._money(value.numerator, (1, value.denominator), "half_even")

    def margin(self, qty_raw: int, px: int | Fraction, rate: Fraction) -> int:
        """``rate * qty * px * multiplier``, rounded up (``px`` raw, possibly a fraction)."""
        value = Fraction(px) * qty_raw * self._multiplier * rate
        return self._money(value.numerator, (1, value.denominator), "up")
