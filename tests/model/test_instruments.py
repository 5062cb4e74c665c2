"""Instruments validate themselves once, round values to their grid and price fees exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest

from livetrade.errors import InvalidInstrument, InvalidValue
from livetrade.model.enums import LiquiditySide
from livetrade.model.identifiers import InstrumentId, Symbol
from livetrade.model.instruments import CryptoPerpetual, CurrencyPair, Instrument
from livetrade.model.money import Currency, Money
from livetrade.model.quantities import Price, Quantity

USDT = Currency.from_str("USDT")
USD = Currency.from_str("USD")
ETH = Currency.from_str("ETH")
BTC = Currency.from_str("BTC")


def make_pair(**overrides: Any) -> CurrencyPair:
    fields: dict[str, Any] = {
        "instrument_id": InstrumentId("ETHUSDT.BINANCE"),
        "raw_symbol": Symbol("ETHUSDT"),
        "base_currency": ETH,
        "quote_currency": USDT,
        "price_precision": 2,
        "size_precision": 3,
        "price_increment": Price("0.01"),
        "size_increment": Quantity("0.001"),
        "maker_fee": Decimal("0.001"),
        "taker_fee": Decimal("0.001"),
    }
    fields.update(overrides)
    return CurrencyPair(**fields)


def make_perp(**overrides: Any) -> CryptoPerpetual:
    fields: dict[str, Any] = {
        "instrument_id": InstrumentId("BTCUSDT-PERP.BINANCE"),
        "raw_symbol": Symbol("BTCUSDT"),
        "base_currency": BTC,
        "quote_currency": USDT,
        "price_precision": 1,
        "size_precision": 3,
        "price_increment": Price("0.1"),
        "size_increment": Quantity("0.001"),
        "min_quantity": Quantity("0.001"),
        "max_quantity": Quantity("1000.000"),
        "min_notional": Money("5", USDT),
        "min_price": Price("100.0"),
        "max_price": Price("1000000.0"),
        "maker_fee": Decimal("-0.0001"),
        "taker_fee": Decimal("0.0004"),
        "margin_init": Decimal("0.05"),
        "margin_maint": Decimal("0.025"),
    }
    fields.update(overrides)
    return CryptoPerpetual(**fields)


class TestConstruction:
    def test_valid_instruments_build(self) -> None:
        """A consistent definition builds; a linear perp settles in its quote currency."""
        perp = make_perp()
        assert perp.settlement_currency == USDT
        assert perp.is_inverse is False
        assert perp.multiplier == Quantity("1")
        assert isinstance(perp, Instrument)
        assert make_pair().settlement_currency == USDT

    def test_repr_is_short(self) -> None:
        assert repr(make_pair()) == (
            "CurrencyPair(ETHUSDT.BINANCE, tick=0.01, lot=0.001, settles USDT)"
        )

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            pytest.param(
                {"price_increment": Price("0.001")},
                "instrument BTCUSDT-PERP.BINANCE: price_increment 0.001 has precision 3, "
                "expected price_precision 1",
                id="price-increment-precision",
            ),
            pytest.param(
                {"size_increment": Quantity("0.01")},
                "instrument BTCUSDT-PERP.BINANCE: size_increment 0.01 has precision 2, "
                "expected size_precision 3",
                id="size-increment-precision",
            ),
            pytest.param(
                {"price_increment": Price("0.0")},
                "price_increment must be a positive Price, got Price('0.0')",
                id="zero-tick",
            ),
            pytest.param(
                {"size_increment": "0.001"},
                "size_increment must be a positive Quantity, got '0.001'",
                id="increment-wrong-type",
            ),
            pytest.param(
                {"price_precision": 10},
                "price_precision must be an integer from 0 to 9",
                id="precision-range",
            ),
            pytest.param(
                {"multiplier": Quantity("0")},
                "multiplier must be a positive Quantity",
                id="zero-multiplier",
            ),
            pytest.param(
                {"min_quantity": Quantity("2"), "max_quantity": Quantity("1")},
                "min_quantity 2 is above max_quantity 1",
                id="min-qty-above-max",
            ),
            pytest.param(
                {"min_price": Price("10"), "max_price": Price("5")},
                "min_price 10 is above max_price 5",
                id="min-price-above-max",
            ),
            pytest.param(
                {"min_notional": Money("5", USD)},
                "min_notional is in USD, expected the settlement currency USDT",
                id="notional-currency",
            ),
            pytest.param(
                {"min_notional": Money("10", USDT), "max_notional": Money("5", USDT)},
                "min_notional 10.00000000 USDT is above max_notional 5.00000000 USDT",
                id="min-notional-above-max",
            ),
            pytest.param(
                {"taker_fee": 0.0004},
                "taker_fee must be a finite Decimal, got 0.0004",
                id="float-fee",
            ),
            pytest.param(
                {"maker_fee": Decimal("NaN")}, "maker_fee must be a finite Decimal", id="nan-fee"
            ),
            pytest.param(
                {"margin_init": Decimal("0.01"), "margin_maint": Decimal("0.02")},
                "margin_maint 0.02 cannot exceed margin_init 0.01",
                id="maint-above-init",
            ),
            pytest.param(
                {"quote_currency": BTC},
                "quote_currency must differ from base_currency BTC",
                id="same-currencies",
            ),
            pytest.param(
                {"is_inverse": True},
                "is_inverse is true, but inverse instruments (settled in the base currency) "
                "are not supported yet",
                id="inverse-refused",
            ),
            pytest.param(
                {"settlement_currency": BTC},
                "settlement_currency BTC must be the quote currency USDT for a linear perpetual",
                id="settles-in-base",
            ),
        ],
    )
    def test_inconsistent_definitions_are_refused(
        self, overrides: dict[str, Any], message: str
    ) -> None:
        """Each contradiction raises InvalidInstrument naming the instrument and field."""
        with pytest.raises(InvalidInstrument) as info:
            make_perp(**overrides)
        assert message in str(info.value)
        assert str(info.value).startswith("instrument BTCUSDT-PERP.BINANCE: ")

    def test_spot_settles_in_quote(self) -> None:
        with pytest.raises(InvalidInstrument, match="must be the quote currency USDT for a spot"):
            make_pair(settlement_currency=ETH)

    def test_instruments_are_frozen_and_hashable(self) -> None:
        perp = make_perp()
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            perp.taker_fee = Decimal(0)  # type: ignore[misc]
        assert hash(perp) == hash(make_perp())
        assert perp == make_perp()
        assert perp != make_perp(taker_fee=Decimal("0.0005"))


class TestMakeValues:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            pytest.param("100.005", "100.00", id="tie-to-even-down"),
            pytest.param("100.015", "100.02", id="tie-to-even-up"),
            pytest.param(Decimal("100.0149999999999"), "100.01", id="many-decimals"),
            pytest.param(100, "100.00", id="int"),
            pytest.param(Price("99.999"), "100.00", id="price"),
            pytest.param("-1.005", "-1.00", id="negative"),
        ],
    )
    def test_make_price_rounds_half_even_to_tick(self, value: Any, expected: str) -> None:
        price = make_pair().make_price(value)
        assert price == Price(expected)
        assert price.precision == 2

    def test_make_price_on_coarse_tick(self) -> None:
        """A tick of 0.5 at precision 1: 100.25 is a tie and goes to the even multiple 100.0."""
        pair = make_pair(price_precision=1, price_increment=Price("0.5"))
        assert str(pair.make_price("100.25")) == "100.0"
        assert str(pair.make_price("100.26")) == "100.5"
        assert str(pair.make_price("100.26", "down")) == "100.0"

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            pytest.param("0.0015", "0.002", id="tie-up-to-even"),
            pytest.param("0.0025", "0.002", id="tie-down-to-even"),
            pytest.param(Quantity("1.23456"), "1.235", id="quantity"),
            pytest.param(3, "3.000", id="int"),
        ],
    )
    def test_make_qty_rounds_half_even_to_lot(self, value: Any, expected: str) -> None:
        qty = make_pair().make_qty(value)
        assert str(qty) == expected
        assert qty.precision == 3

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param(1.5, id="float"),
            pytest.param(True, id="bool"),
            pytest.param("abc", id="not-a-number"),
            pytest.param("inf", id="infinite"),
        ],
    )
    def test_make_price_refuses_inexact_input(self, value: Any) -> None:
        with pytest.raises(InvalidValue):
            make_pair().make_price(value)

    def test_make_qty_refuses_negative(self) -> None:
        with pytest.raises(InvalidValue, match="quantity cannot be negative"):
            make_pair().make_qty("-1")


class TestMoney:
    def test_notional_is_exact_then_rounded_half_even(self) -> None:
        """1.5 x 2000.01 x 1 = 3000.015 exactly; USDT has 8 decimals, so no rounding."""
        pair = make_pair()
        assert pair.notional_exact(Quantity("1.5"), Price("2000.01")) == Decimal("3000.015")
        assert pair.notional_value(Quantity("1.5"), Price("2000.01")) == Money("3000.015", USDT)

    def test_notional_uses_multiplier_and_rounds_to_currency(self) -> None:
        """0.333 x 0.03 x 10 = 0.0999 USD -> 0.10 USD (half-even at 2 decimals)."""
        pair = make_pair(quote_currency=USD, multiplier=Quantity("10"))
        assert pair.notional_value(Quantity("0.333"), Price("0.03")) == Money("0.10", USD)

    @pytest.mark.parametrize(
        ("side", "expected"),
        [
            pytest.param(LiquiditySide.TAKER, "1.20000600", id="taker"),
            pytest.param(LiquiditySide.MAKER, "-0.30000150", id="maker-rebate"),
        ],
    )
    def test_commission_is_notional_times_rate(self, side: LiquiditySide, expected: str) -> None:
        perp = make_perp()
        commission = perp.commission(Quantity("1.5"), Price("2000.01"), side)
        assert commission == Money(expected, USDT)

    def test_commission_rounds_half_even_once(self) -> None:
        """0.025 USD of fee at 2 decimals is a tie: half-even gives 0.02."""
        pair = make_pair(quote_currency=USD, taker_fee=Decimal("0.001"))
        assert pair.commission(Quantity("1"), Price("25.00"), LiquiditySide.TAKER) == Money(
            "0.02", USD
        )
        assert pair.commission(Quantity("1"), Price("35.00"), LiquiditySide.TAKER) == Money(
            "0.04", USD
        )

    def test_commission_needs_a_liquidity_side(self) -> None:
        with pytest.raises(InvalidValue, match="needs a MAKER or TAKER liquidity side"):
            make_perp().commission(Quantity("1"), Price("100"), LiquiditySide.NO_LIQUIDITY_SIDE)


class TestChecks:
    @pytest.mark.parametrize(
        ("price", "reason"),
        [
            pytest.param("50000.1", None, id="ok"),
            pytest.param("50000", None, id="ok-lower-precision"),
            pytest.param(
                "50000.12",
                "price 50000.12 has precision 2, above the price_precision 1 "
                "for BTCUSDT-PERP.BINANCE",
                id="precision",
            ),
            pytest.param(
                "99.9",
                "price 99.9 is below the minimum 100.0 for BTCUSDT-PERP.BINANCE",
                id="below-min",
            ),
            pytest.param(
                "1000000.1",
                "price 1000000.1 is above the maximum 1000000.0 for BTCUSDT-PERP.BINANCE",
                id="above-max",
            ),
        ],
    )
    def test_check_price(self, price: str, reason: str | None) -> None:
        assert make_perp().check_price(Price(price)) == reason

    def test_check_price_off_increment(self) -> None:
        perp = make_perp(price_increment=Price("0.5"))
        assert perp.check_price(Price("100.3")) == (
            "price 100.3 is not a multiple of the price increment 0.5 for BTCUSDT-PERP.BINANCE"
        )

    @pytest.mark.parametrize(
        ("qty", "price", "reason"),
        [
            pytest.param("0.010", "1000.0", None, id="ok"),
            pytest.param("0", None, "quantity 0 must be positive", id="zero"),
            pytest.param(
                "0.0001",
                None,
                "quantity 0.0001 has precision 4, above the size_precision 3",
                id="precision",
            ),
            pytest.param(
                "1001", None, "quantity 1001 is above the maximum 1000.000", id="above-max"
            ),
            pytest.param(
                "0.004",
                "1000.0",
                "notional 4.00000000 USDT is below the minimum 5.00000000 USDT",
                id="notional-below-min",
            ),
            pytest.param("0.005", "1000.0", None, id="notional-at-min"),
        ],
    )
    def test_check_quantity(self, qty: str, price: str | None, reason: str | None) -> None:
        px = None if price is None else Price(price)
        found = make_perp().check_quantity(Quantity(qty), px)
        if reason is None:
            assert found is None
        else:
            assert found == f"{reason} for BTCUSDT-PERP.BINANCE"

    def test_check_quantity_below_min_and_off_lot(self) -> None:
        perp = make_perp(size_increment=Quantity("0.002"), min_quantity=Quantity("0.004"))
        assert perp.check_quantity(Quantity("0.003")) == (
            "quantity 0.003 is not a multiple of the size increment 0.002 for BTCUSDT-PERP.BINANCE"
        )
        assert perp.check_quantity(Quantity("0.002")) == (
            "quantity 0.002 is below the minimum 0.004 for BTCUSDT-PERP.BINANCE"
        )

    def test_check_quantity_above_max_notional(self) -> None:
        perp = make_perp(max_notional=Money("1000", USDT))
        assert perp.check_quantity(Quantity("1.001"), Price("1000.0")) == (
            "notional 1001.00000000 USDT is above the maximum 1000.00000000 USDT "
            "for BTCUSDT-PERP.BINANCE"
        )
