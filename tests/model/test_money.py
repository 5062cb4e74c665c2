"""Money is exact, on its currency's grid, and never mixes currencies."""

from __future__ import annotations

from fractions import Fraction

import pytest

from livetrade.errors import CurrencyMismatch, InvalidValue
from livetrade.model.enums import CurrencyType
from livetrade.model.money import Currency, Money

USD = Currency.from_str("USD")
USDT = Currency.from_str("USDT")


def test_sums_are_exact() -> None:
    """0.1 + 0.2 is 0.30 exactly."""
    assert Money("0.1", USD) + Money("0.2", USD) == Money("0.30", USD)
    assert str(Money("0.1", USD)) == "0.10 USD"


def test_currencies_never_mix() -> None:
    """Adding or comparing two currencies raises CurrencyMismatch."""
    with pytest.raises(CurrencyMismatch, match="cannot combine USD and USDT"):
        Money("1", USD) + Money("1", USDT)
    with pytest.raises(CurrencyMismatch):
        assert Money("1", USD) < Money("2", USDT)
    assert Money("1", USD) != Money("1", USDT)


def test_value_must_fit_the_currency_precision() -> None:
    """USD has 2 decimals; 0.001 USD cannot exist without explicit rounding."""
    with pytest.raises(InvalidValue, match="more decimals than precision 2"):
        Money("0.001", USD)


@pytest.mark.parametrize(
    ("value", "rounding", "expected"),
    [
        pytest.param(Fraction(1, 3), "half_even", "0.33", id="third"),
        pytest.param(Fraction(2, 3), "half_even", "0.67", id="two-thirds"),
        pytest.param(Fraction(5, 1000), "half_even", "0.00", id="tie-even"),
        pytest.param(Fraction(15, 1000), "half_even", "0.02", id="tie-even-up"),
        pytest.param(Fraction(1, 1000), "up", "0.01", id="up"),
        pytest.param(Fraction(-1, 1000), "down", "-0.01", id="down"),
    ],
)
def test_from_fraction_rounds_explicitly(value: Fraction, rounding: str, expected: str) -> None:
    """Exact rationals become Money only through a named rounding mode."""
    assert (
        Money.from_fraction(value, USD, rounding).as_decimal() == Money(expected, USD).as_decimal()
    )  # type: ignore[arg-type]


def test_unknown_currency_lists_the_known_ones() -> None:
    with pytest.raises(InvalidValue, match=r"unknown currency 'XYZ'.*USDT"):
        Currency.from_str("XYZ")


def test_register_a_currency() -> None:
    """A user can add a currency; a conflicting redefinition is refused."""
    doge = Currency(code="DOGE", precision=8, currency_type=CurrencyType.CRYPTO)
    assert Currency.register(doge) is doge
    assert Currency.from_str("DOGE") == doge
    with pytest.raises(InvalidValue, match="already registered"):
        Currency.register(Currency(code="DOGE", precision=2, currency_type=CurrencyType.CRYPTO))


def test_currency_code_and_precision_are_validated() -> None:
    with pytest.raises(InvalidValue, match="upper-case"):
        Currency(code="usd", precision=2, currency_type=CurrencyType.FIAT)
    with pytest.raises(ValueError, match="precision"):
        Currency(code="ABC", precision=12, currency_type=CurrencyType.FIAT)
