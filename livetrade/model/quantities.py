"""Exact fixed-point ``Price`` and ``Quantity``: an integer raw value, never a float.

Theory of operation
-------------------
Every value is stored as an integer ``raw`` scaled by ``10**FIXED_PRECISION``
(``10**9``), whatever its own ``precision`` (the number of decimals it is shown
and validated with, 0 to 9). So ``Price("1.5")`` and ``Price("1.50")`` have the
same raw value, 1_500_000_000, and compare and hash equal; adding them is a
plain integer addition whose result takes the larger precision.

Nothing here ever goes through ``float``: construction takes ``str``, ``int`` or
``Decimal`` (a float argument is refused, since ``0.1`` is not a decimal number),
and results that are not representable at a precision (an average price, a fee)
are produced by explicit rounding functions with a named mode.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Final, Literal, Self

from livetrade.errors import InvalidValue

__all__ = [
    "FIXED_PRECISION",
    "FIXED_SCALAR",
    "Price",
    "Quantity",
    "Rounding",
    "exact_number",
    "round_div",
]

FIXED_PRECISION: Final = 9
FIXED_SCALAR: Final = 10**FIXED_PRECISION

Rounding = Literal["half_even", "half_up", "down", "up"]
"""How a value that falls between two representable ones is rounded.

``down`` and ``up`` are toward negative and positive infinity (floor and ceiling).
"""

_STEP = tuple(10 ** (FIXED_PRECISION - p) for p in range(FIXED_PRECISION + 1))


def round_div(numerator: int, denominator: int, rounding: Rounding = "half_even") -> int:
    """Divide two integers and round the quotient to an integer, exactly."""
    if denominator <= 0:
        raise InvalidValue(f"denominator must be positive, got {denominator}")
    quotient, remainder = divmod(numerator, denominator)
    if remainder == 0 or rounding == "down":
        return quotient
    if rounding == "up":
        return quotient + 1
    twice = 2 * remainder
    if twice > denominator:
        return quotient + 1
    if twice < denominator:
        return quotient
    if rounding == "half_up":
        return quotient + 1
    return quotient + (quotient & 1)


def _check_precision(precision: object) -> int:
    if type(precision) is not int or not 0 <= precision <= FIXED_PRECISION:
        raise InvalidValue(
            f"precision must be an integer from 0 to {FIXED_PRECISION}, got {precision!r}"
        )
    return precision


def exact_number(kind: str, value: object) -> int | Decimal:
    """Check that ``value`` is an exact number (int, decimal str or Decimal), never a float.

    Returns the int unchanged or the finite Decimal; anything else raises
    ``InvalidValue`` naming ``kind`` and what was given.
    """
    if isinstance(value, bool | float) or not isinstance(value, str | int | Decimal):
        raise InvalidValue(
            f"{kind} cannot be built from {type(value).__name__} {value!r}: "
            "pass a string, int or Decimal so the value is exact"
        )
    if isinstance(value, int):
        return value
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise InvalidValue(f"{kind} {value!r} is not a decimal number") from None
    if not number.is_finite():
        raise InvalidValue(f"{kind} {value!r} is not a finite number")
    return number


def _parse(kind: str, value: object, precision: int | None) -> tuple[int, int]:
    """Turn a str/int/Decimal into (raw, precision) without any loss."""
    number = exact_number(kind, value)
    if isinstance(number, int):
        implied = 0
        raw = number * FIXED_SCALAR
    else:
        exponent = number.as_tuple().exponent
        assert isinstance(exponent, int)
        implied = max(0, -exponent)
        if implied > FIXED_PRECISION:
            # Trailing zeros beyond the supported precision are harmless.
            number = number.normalize()
            exponent = number.as_tuple().exponent
            assert isinstance(exponent, int)
            implied = max(0, -exponent)
            if implied > FIXED_PRECISION:
                raise InvalidValue(
                    f"{kind} {value!r} has {implied} decimals; at most "
                    f"{FIXED_PRECISION} are supported"
                )
        raw = int(number.scaleb(FIXED_PRECISION))
    if precision is None:
        return raw, implied
    precision = _check_precision(precision)
    if raw % _STEP[precision]:
        raise InvalidValue(
            f"{kind} {value!r} has more decimals than precision {precision}; "
            "round it explicitly first"
        )
    return raw, precision


def _format(raw: int, precision: int) -> str:
    sign = "-" if raw < 0 else ""
    whole, frac = divmod(abs(raw), FIXED_SCALAR)
    if precision == 0 and frac == 0:
        return f"{sign}{whole}"
    digits = f"{frac:09d}"
    shown = digits[:precision]
    rest = digits[precision:].rstrip("0")
    text = shown + rest
    return f"{sign}{whole}.{text}" if text else f"{sign}{whole}"


class _FixedPoint:
    """Shared implementation of Price and Quantity (not public)."""

    __slots__ = ("_precision", "_raw")

    _raw: int
    _precision: int
    _kind: str = "value"

    def __init__(self, value: str | int | Decimal, precision: int | None = None) -> None:
        raw, prec = _parse(self._kind, value, precision)
        self._check_raw(raw)
        self._raw = raw
        self._precision = prec

    @classmethod
    def from_raw(cls, raw: int, precision: int) -> Self:
        """Build from an already scaled raw integer (raw = value * 10**9), unchecked."""
        obj = object.__new__(cls)
        obj._raw = raw
        obj._precision = precision
        return obj

    @classmethod
    def zero(cls, precision: int = 0) -> Self:
        """The value 0 at ``precision``."""
        return cls.from_raw(0, _check_precision(precision))

    @classmethod
    def _check_raw(cls, raw: int) -> None:
        """Hook for subclasses that restrict the range (Quantity is non-negative)."""

    @property
    def raw(self) -> int:
        """The value scaled by ``10**9``, as an exact integer."""
        return self._raw

    @property
    def precision(self) -> int:
        """The number of decimals the value is expressed with."""
        return self._precision

    def as_decimal(self) -> Decimal:
        """The exact value as a Decimal with ``precision`` decimals."""
        return (
            Decimal(self._raw)
            .scaleb(-FIXED_PRECISION)
            .quantize(Decimal(1).scaleb(-self._precision))
        )

    def as_fraction(self) -> Fraction:
        """The exact value as a Fraction (for exact arithmetic beyond fixed point)."""
        return Fraction(self._raw, FIXED_SCALAR)

    def is_zero(self) -> bool:
        return self._raw == 0

    def is_positive(self) -> bool:
        return self._raw > 0

    def __bool__(self) -> bool:
        return self._raw != 0

    def __str__(self) -> str:
        return _format(self._raw, self._precision)

    def __repr__(self) -> str:
        return f"{type(self).__name__}('{_format(self._raw, self._precision)}')"

    def __hash__(self) -> int:
        return hash(self._raw)

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return self._raw == other._raw
        return NotImplemented

    def __lt__(self, other: Self) -> bool:
        if type(other) is type(self):
            return self._raw < other._raw
        return NotImplemented

    def __le__(self, other: Self) -> bool:
        if type(other) is type(self):
            return self._raw <= other._raw
        return NotImplemented

    def __gt__(self, other: Self) -> bool:
        if type(other) is type(self):
            return self._raw > other._raw
        return NotImplemented

    def __ge__(self, other: Self) -> bool:
        if type(other) is type(self):
            return self._raw >= other._raw
        return NotImplemented

    def __add__(self, other: Self) -> Self:
        if type(other) is not type(self):
            return NotImplemented
        raw = self._raw + other._raw
        return type(self).from_raw(raw, max(self._precision, other._precision))

    def __sub__(self, other: Self) -> Self:
        if type(other) is not type(self):
            return NotImplemented
        raw = self._raw - other._raw
        self._check_raw(raw)
        return type(self).from_raw(raw, max(self._precision, other._precision))

    def __reduce__(self) -> tuple[object, tuple[int, int]]:
        return (type(self).from_raw, (self._raw, self._precision))

    def with_precision(self, precision: int, rounding: Rounding = "half_even") -> Self:
        """The value rounded (if needed) to ``precision`` decimals."""
        step = _STEP[_check_precision(precision)]
        raw = round_div(self._raw, step, rounding) * step
        self._check_raw(raw)
        return type(self).from_raw(raw, precision)

    def round_to_increment(self, increment: Self, rounding: Rounding = "half_even") -> Self:
        """The nearest multiple of ``increment`` (a tick or lot size), at its precision."""
        if type(increment) is not type(self) or increment._raw <= 0:
            raise InvalidValue(f"increment must be a positive {type(self).__name__}")
        raw = round_div(self._raw, increment._raw, rounding) * increment._raw
        self._check_raw(raw)
        return type(self).from_raw(raw, increment._precision)

    def is_multiple_of(self, increment: Self) -> bool:
        """True when the value lies exactly on the ``increment`` grid."""
        return increment._raw > 0 and self._raw % increment._raw == 0


class Price(_FixedPoint):
    """A price, exact at up to 9 decimals; may be negative (spreads, some futures)."""

    __slots__ = ()
    _kind = "price"

    def __neg__(self) -> Price:
        return Price.from_raw(-self._raw, self._precision)


class Quantity(_FixedPoint):
    """A non-negative amount of an instrument, exact at up to 9 decimals."""

    __slots__ = ()
    _kind = "quantity"

    @classmethod
    def _check_raw(cls, raw: int) -> None:
        if raw < 0:
            raise InvalidValue(f"quantity cannot be negative: {_format(raw, FIXED_PRECISION)}")
