"""Instrument definitions: what can be traded, on which grid, within which limits.

An instrument is validated once, when it is built, so every later use can trust
it: the price and size increments sit exactly on the declared precisions, limits
are ordered (min <= max) and money limits are in the settlement currency. A
definition that contradicts itself raises ``InvalidInstrument`` naming the
instrument and the field.

Everything is exact. ``make_price``/``make_qty`` round to the increment with a
named mode (half-even by default); ``notional_value`` and ``commission`` are
computed as exact rationals and rounded half-even to the settlement currency's
precision only once, at the end. The ``check_*`` methods return a sentence the
risk engine puts in ``OrderDenied.reason`` (or None when the value is fine).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import ClassVar, Final, final

import attrs

from livetrade.errors import InvalidInstrument, InvalidValue
from livetrade.model.enums import LiquiditySide
from livetrade.model.identifiers import InstrumentId, Symbol
from livetrade.model.money import Currency, Money
from livetrade.model.quantities import (
    FIXED_PRECISION,
    FIXED_SCALAR,
    Price,
    Quantity,
    Rounding,
    exact_number,
    round_div,
)

__all__ = ["CryptoPerpetual", "CurrencyPair", "Instrument"]

_ONE: Final = Quantity.from_raw(FIXED_SCALAR, 0)
_NOTIONAL_SCALE: Final = FIXED_SCALAR**3  # qty raw * price raw * multiplier raw


def _to_fraction(kind: str, value: object) -> Fraction:
    """An exact rational from str/int/Decimal (any number of decimals); never a float."""
    return Fraction(exact_number(kind, value))


@attrs.frozen(kw_only=True, repr=False)
class Instrument:
    """Fields and rules shared by every instrument; use a concrete subclass."""

    _kind: ClassVar[str] = "linear instrument"

    instrument_id: InstrumentId
    raw_symbol: Symbol
    base_currency: Currency
    quote_currency: Currency
    settlement_currency: Currency = attrs.field(
        default=attrs.Factory(lambda self: self.quote_currency, takes_self=True)
    )
    price_precision: int
    size_precision: int
    price_increment: Price
    size_increment: Quantity
    multiplier: Quantity = _ONE
    min_quantity: Quantity | None = None
    max_quantity: Quantity | None = None
    min_notional: Money | None = None
    max_notional: Money | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    maker_fee: Decimal = Decimal(0)
    taker_fee: Decimal = Decimal(0)
    margin_init: Decimal = Decimal(0)
    margin_maint: Decimal = Decimal(0)
    is_inverse: bool = False
    ts_event: int = 0
    ts_init: int = 0
    # Derived once so the per-fill fee path does no Decimal conversion.
    _maker_rate: Fraction = attrs.field(init=False, eq=False, repr=False)
    _taker_rate: Fraction = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self._validate()
        object.__setattr__(self, "_maker_rate", Fraction(self.maker_fee))
        object.__setattr__(self, "_taker_rate", Fraction(self.taker_fee))

    # -- validation ----------------------------------------------------------------------

    def _fail(self, field: str, problem: str) -> InvalidInstrument:
        return InvalidInstrument(f"instrument {self.instrument_id}: {field} {problem}")

    def _validate(self) -> None:
        """Reject a definition that contradicts itself; subclasses extend this."""
        fail = self._fail
        if self.is_inverse is not False:
            raise fail(
                "is_inverse",
                "is true, but inverse instruments (settled in the base currency) are not "
                "supported yet; only linear, quote-settled instruments can be traded",
            )
        for name in ("price_precision", "size_precision"):
            value = getattr(self, name)
            if type(value) is not int or not 0 <= value <= FIXED_PRECISION:
                raise fail(name, f"must be an integer from 0 to {FIXED_PRECISION}, got {value!r}")
        self._check_increment("price_increment", self.price_increment, Price, "price_precision")
        self._check_increment("size_increment", self.size_increment, Quantity, "size_precision")
        if type(self.multiplier) is not Quantity or not self.multiplier.is_positive():
            raise fail("multiplier", f"must be a positive Quantity, got {self.multiplier!r}")
        if self.base_currency == self.quote_currency:
            raise fail("quote_currency", f"must differ from base_currency {self.base_currency}")
        if self.settlement_currency != self.quote_currency:
            raise fail(
                "settlement_currency",
                f"{self.settlement_currency} must be the quote currency {self.quote_currency} "
                f"for a {self._kind}",
            )
        self._check_range("min_quantity", self.min_quantity, "max_quantity", self.max_quantity)
        if self.max_quantity is not None and not self.max_quantity.is_positive():
            raise fail("max_quantity", f"must be positive, got {self.max_quantity}")
        self._check_range("min_price", self.min_price, "max_price", self.max_price)
        for name in ("min_notional", "max_notional"):
            money = getattr(self, name)
            if money is None:
                continue
            if money.currency != self.settlement_currency:
                raise fail(
                    name,
                    f"is in {money.currency}, expected the settlement currency "
                    f"{self.settlement_currency}",
                )
            if money.raw < 0:
                raise fail(name, f"cannot be negative, got {money}")
        self._check_range("min_notional", self.min_notional, "max_notional", self.max_notional)
        for name in ("maker_fee", "taker_fee", "margin_init", "margin_maint"):
            rate = getattr(self, name)
            if type(rate) is not Decimal or not rate.is_finite():
                raise fail(name, f"must be a finite Decimal, got {rate!r}")
        if self.margin_init < 0 or self.margin_maint < 0:
            raise fail("margin_init", "and margin_maint cannot be negative")
        if self.margin_maint > self.margin_init:
            raise fail(
                "margin_maint",
                f"{self.margin_maint} cannot exceed margin_init {self.margin_init}",
            )

    def _check_increment(
        self, name: str, increment: object, kind: type[Price | Quantity], precision_name: str
    ) -> None:
        precision = getattr(self, precision_name)
        if type(increment) is not kind or not increment.is_positive():
            raise self._fail(name, f"must be a positive {kind.__name__}, got {increment!r}")
        if increment.precision != precision:
            raise self._fail(
                name,
                f"{increment} has precision {increment.precision}, expected "
                f"{precision_name} {precision}",
            )

    def _check_range(
        self,
        low_name: str,
        low: Price | Quantity | Money | None,
        high_name: str,
        high: Price | Quantity | Money | None,
    ) -> None:
        if low is not None and high is not None and low.raw > high.raw:
            raise self._fail(low_name, f"{low} is above {high_name} {high}")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.instrument_id}, tick={self.price_increment}, "
            f"lot={self.size_increment}, settles {self.settlement_currency})"
        )

    # -- making values on the grid -------------------------------------------------------

    def make_price(
        self, value: str | int | Decimal | Price, rounding: Rounding = "half_even"
    ) -> Price:
        """``value`` rounded to the nearest price increment, at ``price_precision``."""
        step = self.price_increment.raw
        if isinstance(value, Price):
            raw = round_div(value.raw, step, rounding) * step
        else:
            exact = _to_fraction("price", value) * FIXED_SCALAR / step
            raw = round_div(exact.numerator, exact.denominator, rounding) * step
        return Price.from_raw(raw, self.price_precision)

    def make_qty(
        self, value: str | int | Decimal | Quantity, rounding: Rounding = "half_even"
    ) -> Quantity:
        """``value`` rounded to the nearest size increment, at ``size_precision``."""
        step = self.size_increment.raw
        if isinstance(value, Quantity):
            raw = round_div(value.raw, step, rounding) * step
        else:
            exact = _to_fraction("quantity", value)
            if exact < 0:
                raise InvalidValue(f"quantity cannot be negative: {value!r}")
            scaled = exact * FIXED_SCALAR / step
            raw = round_div(scaled.numerator, scaled.denominator, rounding) * step
        return Quantity.from_raw(raw, self.size_precision)

    # -- money ---------------------------------------------------------------------------

    def notional_exact(self, quantity: Quantity, price: Price) -> Fraction:
        """``quantity * price * multiplier`` exactly, in the settlement currency."""
        return Fraction(quantity.raw * price.raw * self.multiplier.raw, _NOTIONAL_SCALE)

    def notional_value(self, quantity: Quantity, price: Price) -> Money:
        """The notional of ``quantity`` at ``price``, rounded half-even to the currency."""
        return Money.from_fraction(self.notional_exact(quantity, price), self.settlement_currency)

    def fee_rate(self, liquidity_side: LiquiditySide) -> Decimal:
        """The maker or taker rate; a fill must know which side it was."""
        if liquidity_side is LiquiditySide.MAKER:
            return self.maker_fee
        if liquidity_side is LiquiditySide.TAKER:
            return self.taker_fee
        raise InvalidValue(
            f"instrument {self.instrument_id}: commission needs a MAKER or TAKER "
            f"liquidity side, got {liquidity_side.name}"
        )

    def commission(self, quantity: Quantity, price: Price, liquidity_side: LiquiditySide) -> Money:
        """The fee for a fill: exact notional x rate, rounded half-even once.

        Positive means paid, negative a rebate (a negative rate), as in ``OrderFilled``.
        Half-even is unbiased over many fills; a venue that rounds otherwise should
        report its own commission in the fill, which always takes precedence.
        """
        self.fee_rate(liquidity_side)  # validates the side
        rate = self._maker_rate if liquidity_side is LiquiditySide.MAKER else self._taker_rate
        return Money.from_fraction(
            self.notional_exact(quantity, price) * rate, self.settlement_currency
        )

    # -- pre-trade checks ----------------------------------------------------------------

    def check_price(self, price: Price) -> str | None:
        """None if ``price`` can be sent to the venue, else the reason it cannot."""
        where = f"for {self.instrument_id}"
        if price.precision > self.price_precision:
            return (
                f"price {price} has precision {price.precision}, above the "
                f"price_precision {self.price_precision} {where}"
            )
        if not price.is_multiple_of(self.price_increment):
            return (
                f"price {price} is not a multiple of the price increment "
                f"{self.price_increment} {where}"
            )
        if self.min_price is not None and price < self.min_price:
            return f"price {price} is below the minimum {self.min_price} {where}"
        if self.max_price is not None and price > self.max_price:
            return f"price {price} is above the maximum {self.max_price} {where}"
        return None

    def check_quantity(self, quantity: Quantity, price: Price | None = None) -> str | None:
        """None if ``quantity`` can be sent, else the reason; with ``price``, notional too."""
        where = f"for {self.instrument_id}"
        if not quantity.is_positive():
            return f"quantity {quantity} must be positive {where}"
        if quantity.precision > self.size_precision:
            return (
                f"quantity {quantity} has precision {quantity.precision}, above the "
                f"size_precision {self.size_precision} {where}"
            )
        if not quantity.is_multiple_of(self.size_increment):
            return (
                f"quantity {quantity} is not a multiple of the size increment "
                f"{self.size_increment} {where}"
            )
        if self.min_quantity is not None and quantity < self.min_quantity:
            return f"quantity {quantity} is below the minimum {self.min_quantity} {where}"
        if self.max_quantity is not None and quantity > self.max_quantity:
            return f"quantity {quantity} is above the maximum {self.max_quantity} {where}"
        if price is None:
            return None
        notional = self.notional_exact(quantity, price)
        if self.min_notional is not None and notional < self.min_notional.as_fraction():
            shown = self.notional_value(quantity, price)
            return f"notional {shown} is below the minimum {self.min_notional} {where}"
        if self.max_notional is not None and notional > self.max_notional.as_fraction():
            shown = self.notional_value(quantity, price)
            return f"notional {shown} is above the maximum {self.max_notional} {where}"
        return None


@final
@attrs.frozen(kw_only=True, repr=False)
class CurrencyPair(Instrument):
    """A spot pair such as ETH/USDT: buy the base with the quote; settles in the quote."""

    _kind: ClassVar[str] = "spot pair"


@final
@attrs.frozen(kw_only=True, repr=False)
class CryptoPerpetual(Instrument):
    """A linear perpetual swap: margined and settled in the quote currency.

    Inverse perpetuals (settled in the base currency, PnL in 1/price) are refused
    until their PnL arithmetic is implemented.
    """

    _kind: ClassVar[str] = "linear perpetual"
