"""Price and Quantity are exact: raw integers at 10**9, never a float."""

from __future__ import annotations

import pickle
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livetrade.errors import InvalidValue
from livetrade.model.quantities import Price, Quantity, round_div


class TestConstruction:
    def test_precision_is_inferred_from_the_text(self) -> None:
        """'1.230' has precision 3 and prints with its trailing zero."""
        price = Price("1.230")
        assert (price.raw, price.precision, str(price)) == (1_230_000_000, 3, "1.230")

    def test_explicit_precision_pads(self) -> None:
        """An int or shorter text at a larger precision is padded, not changed."""
        assert str(Price(5, precision=2)) == "5.00"
        assert str(Quantity("1.5", 4)) == "1.5000"

    def test_decimal_input(self) -> None:
        """Decimals are taken exactly."""
        assert Price(Decimal("0.000000001")).raw == 1

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            pytest.param(0.1, "cannot be built from float 0.1", id="float"),
            pytest.param(True, "cannot be built from bool", id="bool"),
            pytest.param("abc", "'abc' is not a decimal number", id="text"),
            pytest.param("NaN", "is not a finite number", id="nan"),
            pytest.param("1.0000000001", "has 10 decimals; at most 9", id="too-precise"),
            pytest.param([1], "cannot be built from list", id="list"),
        ],
    )
    def test_bad_input_is_refused(self, value: object, message: str) -> None:
        """Anything that is not an exact decimal number is refused with the reason."""
        with pytest.raises(InvalidValue, match=message):
            Price(value)  # type: ignore[arg-type]

    def test_more_decimals_than_precision_is_refused(self) -> None:
        """Building never rounds silently."""
        with pytest.raises(InvalidValue, match="more decimals than precision 2"):
            Price("1.234", precision=2)

    def test_trailing_zeros_beyond_nine_are_fine(self) -> None:
        """'1.50000000000' is 1.5, which fits."""
        assert Price("1.50000000000") == Price("1.5")

    def test_quantity_cannot_be_negative(self) -> None:
        """Negative quantities are refused at construction and by subtraction."""
        with pytest.raises(InvalidValue, match="cannot be negative"):
            Quantity("-1")
        with pytest.raises(InvalidValue, match="cannot be negative"):
            Quantity("1") - Quantity("2")

    def test_price_can_be_negative(self) -> None:
        """Spreads and some futures trade at negative prices."""
        assert str(-Price("1.25")) == "-1.25"
        assert Price("-0.5") < Price("0")


class TestArithmetic:
    def test_comparison_across_precisions(self) -> None:
        """1.5 and 1.50 are equal, hash equal, and order correctly against 1.49."""
        assert Price("1.5") == Price("1.50")
        assert hash(Price("1.5")) == hash(Price("1.50"))
        assert Price("1.49") < Price("1.5") <= Price("1.50")

    def test_add_takes_the_larger_precision(self) -> None:
        """The result keeps every decimal of both operands."""
        total = Price("1.5") + Price("0.001")
        assert (str(total), total.precision) == ("1.501", 3)

    def test_types_do_not_mix(self) -> None:
        """A price never equals or adds to a quantity."""
        assert Price("1") != Quantity("1")
        with pytest.raises(TypeError):
            Price("1") + Quantity("1")  # type: ignore[operator]
        with pytest.raises(TypeError):
            _ = Price("1") < Quantity("1")  # type: ignore[operator]

    @pytest.mark.parametrize(
        ("value", "increment", "rounding", "expected"),
        [
            pytest.param("1.23456", "0.05", "half_even", "1.25", id="nearest"),
            pytest.param("1.225", "0.05", "half_even", "1.20", id="tie-to-even-down"),
            pytest.param("1.275", "0.05", "half_even", "1.30", id="tie-to-even-up"),
            pytest.param("1.225", "0.05", "half_up", "1.25", id="tie-half-up"),
            pytest.param("1.29", "0.05", "down", "1.25", id="down"),
            pytest.param("1.21", "0.05", "up", "1.25", id="up"),
            pytest.param("-1.21", "0.05", "down", "-1.25", id="down-is-floor"),
            pytest.param("100", "0.5", "half_even", "100.0", id="already-on-grid"),
        ],
    )
    def test_round_to_increment(
        self, value: str, increment: str, rounding: str, expected: str
    ) -> None:
        """Rounding to a tick size uses the named mode and the tick's precision."""
        result = Price(value).round_to_increment(Price(increment), rounding)  # type: ignore[arg-type]
        assert str(result) == expected

    def test_with_precision_rounds_half_even(self) -> None:
        """Changing precision rounds explicitly."""
        assert str(Quantity("0.125").with_precision(2)) == "0.12"
        assert str(Quantity("0.135").with_precision(2)) == "0.14"

    def test_is_multiple_of(self) -> None:
        assert Quantity("0.300").is_multiple_of(Quantity("0.1"))
        assert not Quantity("0.305").is_multiple_of(Quantity("0.1"))

    def test_round_div_modes(self) -> None:
        """Integer division with explicit rounding, including negatives."""
        assert [round_div(n, 2) for n in (1, 3, 5, -1, -3)] == [0, 2, 2, 0, -2]
        assert round_div(7, 2, "down") == 3 and round_div(-7, 2, "down") == -4
        assert round_div(7, 2, "up") == 4 and round_div(7, 2, "half_up") == 4

    def test_pickle_and_repr(self) -> None:
        price = Price("101.50")
        assert pickle.loads(pickle.dumps(price)) == price
        assert repr(price) == "Price('101.50')"
        assert price.as_decimal() == Decimal("101.50")
        assert price.as_fraction() == Fraction(203, 2)


decimals = st.decimals(
    min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=9, allow_nan=False
)


@given(decimals, decimals)
def test_addition_and_comparison_agree_with_decimal(a: Decimal, b: Decimal) -> None:
    """Price arithmetic is exactly Decimal arithmetic at 9 places."""
    pa, pb = Price(a), Price(b)
    assert (pa + pb).as_fraction() == Fraction(a + b)
    assert (pa - pb).as_fraction() == Fraction(a - b)
    assert (pa < pb) == (a < b)
    assert (pa == pb) == (a == b)


@given(decimals.map(abs), st.integers(min_value=0, max_value=9))
def test_with_precision_is_within_half_a_step(value: Decimal, precision: int) -> None:
    """Rounding moves a value by at most half of the last kept decimal."""
    qty = Quantity(value)
    rounded = qty.with_precision(precision)
    assert abs(rounded.as_fraction() - qty.as_fraction()) <= Fraction(1, 2 * 10**precision)
    assert rounded.precision == precision
