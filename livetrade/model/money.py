"""``Currency`` and ``Money``: exact amounts tied to a currency's precision.

Money uses the same raw scale as ``Price`` (``10**9``) and is always kept on its
currency's precision grid, so ``Money("0.1", USD) + Money("0.2", USD)`` is
exactly ``0.30 USD``. Amounts of two different currencies never mix
(``CurrencyMismatch``). Products of prices and quantities, which carry more
decimals than a currency has, become Money only through ``Money.from_fraction``
with an explicit rounding mode.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import ClassVar, Self

import attrs

from livetrade.errors import CurrencyMismatch, InvalidValue
from livetrade.model.enums import CurrencyType
from livetrade.model.quantities import (
    _STEP,
    FIXED_PRECISION,
    FIXED_SCALAR,
    Rounding,
    _format,
    _parse,
    round_div,
)

__all__ = ["Currency", "Money"]


@attrs.frozen(kw_only=True)
class Currency:
    """A currency or crypto asset with the number of decimals its amounts use."""

    code: str = attrs.field()
    precision: int = attrs.field(
        validator=attrs.validators.and_(
            attrs.validators.instance_of(int),
            attrs.validators.ge(0),
            attrs.validators.le(FIXED_PRECISION),
        )
    )
    currency_type: CurrencyType
    iso4217: int = 0
    name: str = ""

    _registry: ClassVar[dict[str, Currency]] = {}

    @code.validator
    def _check_code(self, _attribute: attrs.Attribute[str], value: str) -> None:
        if not value or not value.isalnum() or value.upper() != value:
            raise InvalidValue(f"currency code must be upper-case letters/digits, got {value!r}")

    @classmethod
    def register(cls, currency: Currency, *, overwrite: bool = False) -> Currency:
        """Make ``currency`` known to ``from_str``; returns it for chaining."""
        known = cls._registry.get(currency.code)
        if known is not None and known != currency and not overwrite:
            raise InvalidValue(f"currency {currency.code} is already registered as {known!r}")
        cls._registry[currency.code] = currency
        return currency

    @classmethod
    def from_str(cls, code: str) -> Currency:
        """Look up a registered currency by its code (``USDT``, ``BTC``...)."""
        try:
            return cls._registry[code]
        except KeyError:
            known = ", ".join(sorted(cls._registry))
            raise InvalidValue(
                f"unknown currency {code!r}; register it with Currency.register() (known: {known})"
            ) from None

    def __str__(self) -> str:
        return self.code


def _builtin(code: str, precision: int, kind: CurrencyType, iso: int, name: str) -> Currency:
    return Currency.register(
        Currency(code=code, precision=precision, currency_type=kind, iso4217=iso, name=name)
    )


_FIAT, _CRYPTO = CurrencyType.FIAT, CurrencyType.CRYPTO
USD = _builtin("USD", 2, _FIAT, 840, "United States dollar")
EUR = _builtin("EUR", 2, _FIAT, 978, "Euro")
GBP = _builtin("GBP", 2, _FIAT, 826, "British pound")
JPY = _builtin("JPY", 0, _FIAT, 392, "Japanese yen")
USDT = _builtin("USDT", 8, _CRYPTO, 0, "Tether")
USDC = _builtin("USDC", 8, _CRYPTO, 0, "USD Coin")
BTC = _builtin("BTC", 8, _CRYPTO, 0, "Bitcoin")
ETH = _builtin("ETH", 8, _CRYPTO, 0, "Ether")
BNB = _builtin("BNB", 8, _CRYPTO, 0, "BNB")
SOL = _builtin("SOL", 8, _CRYPTO, 0, "Solana")


class Money:
    """An exact amount of one currency, on that currency's precision grid."""

    __slots__ = ("_raw", "currency")

    _raw: int
    currency: Currency

    def __init__(self, value: str | int | Decimal, currency: Currency) -> None:
        raw, _ = _parse("money", value, currency.precision)
        self._raw = raw
        self.currency = currency

    @classmethod
    def from_raw(cls, raw: int, currency: Currency) -> Money:
        """Build from a raw integer already on the currency's grid (unchecked)."""
        obj = object.__new__(cls)
        obj._raw = raw
        obj.currency = currency
        return obj

    @classmethod
    def from_fraction(
        cls, value: Fraction, currency: Currency, rounding: Rounding = "half_even"
    ) -> Money:
        """Round an exact rational amount to the currency's precision."""
        step = _STEP[currency.precision]
        scaled = value * FIXED_SCALAR
        raw = round_div(scaled.numerator, scaled.denominator * step, rounding) * step
        return cls.from_raw(raw, currency)

    @classmethod
    def zero(cls, currency: Currency) -> Money:
        return cls.from_raw(0, currency)

    @property
    def raw(self) -> int:
        """The amount scaled by ``10**9``."""
        return self._raw

    @property
    def precision(self) -> int:
        return self.currency.precision

    def as_decimal(self) -> Decimal:
        """The exact amount as a Decimal with the currency's precision."""
        return (
            Decimal(self._raw)
            .scaleb(-FIXED_PRECISION)
            .quantize(Decimal(1).scaleb(-self.currency.precision))
        )

    def as_fraction(self) -> Fraction:
        return Fraction(self._raw, FIXED_SCALAR)

    def is_zero(self) -> bool:
        return self._raw == 0

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot combine {self.currency.code} and {other.currency.code} amounts"
            )

    def __add__(self, other: Money) -> Money:
        if type(other) is not Money:
            return NotImplemented
        self._same(other)
        return Money.from_raw(self._raw + other._raw, self.currency)

    def __sub__(self, other: Money) -> Money:
        if type(other) is not Money:
            return NotImplemented
        self._same(other)
        return Money.from_raw(self._raw - other._raw, self.currency)

    def __neg__(self) -> Money:
        return Money.from_raw(-self._raw, self.currency)

    def __eq__(self, other: object) -> bool:
        if type(other) is not Money:
            return NotImplemented
        return self._raw == other._raw and self.currency == other.currency

    def __hash__(self) -> int:
        return hash((self._raw, self.currency.code))

    def __lt__(self, other: Self) -> bool:
        self._same(other)
        return self._raw < other._raw

    def __le__(self, other: Self) -> bool:
        self._same(other)
        return self._raw <= other._raw

    def __gt__(self, other: Self) -> bool:
        self._same(other)
        return self._raw > other._raw

    def __ge__(self, other: Self) -> bool:
        self._same(other)
        return self._raw >= other._raw

    def __str__(self) -> str:
        return f"{_format(self._raw, self.currency.precision)} {self.currency.code}"

    def __repr__(self) -> str:
        return f"Money('{_format(self._raw, self.currency.precision)}', {self.currency.code})"

    def __reduce__(self) -> tuple[object, tuple[int, Currency]]:
        return (Money.from_raw, (self._raw, self.currency))
