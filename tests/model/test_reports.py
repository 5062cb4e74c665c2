"""Venue reports check their own invariants; a mass status keeps every report."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest

from livetrade.errors import InvalidValue
from livetrade.model.enums import (
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    TimeInForce,
)
from livetrade.model.identifiers import (
    AccountId,
    ClientId,
    ClientOrderId,
    InstrumentId,
    PositionId,
    TradeId,
    Venue,
    VenueOrderId,
)
from livetrade.model.money import Currency, Money
from livetrade.model.quantities import Price, Quantity
from livetrade.model.reports import (
    ExecutionMassStatus,
    FillReport,
    OrderStatusReport,
    PositionStatusReport,
)

USDT = Currency.from_str("USDT")
ACCOUNT = AccountId("BINANCE-001")
ETH = InstrumentId("ETHUSDT.BINANCE")


def order_report(venue_order_id: str = "V-1", **overrides: Any) -> OrderStatusReport:
    fields: dict[str, Any] = {
        "account_id": ACCOUNT,
        "instrument_id": ETH,
        "client_order_id": ClientOrderId("O-1"),
        "venue_order_id": VenueOrderId(venue_order_id),
        "order_side": OrderSide.BUY,
        "order_type": OrderType.LIMIT,
        "time_in_force": TimeInForce.GTC,
        "order_status": OrderStatus.PARTIALLY_FILLED,
        "quantity": Quantity("2.000"),
        "filled_qty": Quantity("0.500"),
        "avg_px": Decimal("100.5"),
        "price": Price("101.00"),
        "ts_accepted": 10,
        "ts_last": 20,
        "ts_init": 30,
    }
    fields.update(overrides)
    return OrderStatusReport(**fields)


def fill_report(trade_id: str = "T-1", venue_order_id: str = "V-1", **overrides: Any) -> FillReport:
    fields: dict[str, Any] = {
        "account_id": ACCOUNT,
        "instrument_id": ETH,
        "venue_order_id": VenueOrderId(venue_order_id),
        "trade_id": TradeId(trade_id),
        "order_side": OrderSide.BUY,
        "last_qty": Quantity("0.500"),
        "last_px": Price("100.50"),
        "commission": Money("0.05", USDT),
        "liquidity_side": LiquiditySide.MAKER,
        "ts_event": 15,
        "ts_init": 30,
    }
    fields.update(overrides)
    return FillReport(**fields)


def position_report(**overrides: Any) -> PositionStatusReport:
    fields: dict[str, Any] = {
        "account_id": ACCOUNT,
        "instrument_id": ETH,
        "position_side": PositionSide.SHORT,
        "quantity": Quantity("1.500"),
        "ts_last": 20,
        "ts_init": 30,
    }
    fields.update(overrides)
    return PositionStatusReport(**fields)


def mass_status() -> ExecutionMassStatus:
    return ExecutionMassStatus(
        client_id=ClientId("BINANCE"), account_id=ACCOUNT, venue=Venue("BINANCE"), ts_init=1
    )


class TestOrderStatusReport:
    def test_valid_report(self) -> None:
        report = order_report()
        assert report.leaves_qty == Quantity("1.500")
        assert report.is_open
        assert len(report.report_id) == 36
        assert report.report_id != order_report().report_id
        assert report.venue_position_id is None

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            pytest.param(
                {"filled_qty": Quantity("2.001")},
                "order status report V-1: filled_qty 2.001 exceeds quantity 2.000",
                id="overfilled",
            ),
            pytest.param(
                {"quantity": Quantity("0"), "filled_qty": Quantity("0")},
                "order status report V-1: quantity must be positive, got 0",
                id="zero-quantity",
            ),
            pytest.param(
                {"order_status": OrderStatus.FILLED},
                "order status report V-1: status FILLED but filled_qty 0.500 is not the quantity 2.000",
                id="filled-but-not-full",
            ),
            pytest.param(
                {"avg_px": 100.5},
                "order status report V-1: avg_px must be a finite Decimal or None, got 100.5",
                id="float-avg-px",
            ),
        ],
    )
    def test_incoherent_reports_are_refused(self, overrides: dict[str, Any], message: str) -> None:
        with pytest.raises(InvalidValue) as info:
            order_report(**overrides)
        assert str(info.value) == message

    def test_reports_are_frozen(self) -> None:
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            order_report().filled_qty = Quantity("1")  # type: ignore[misc]


class TestFillReport:
    def test_valid_report(self) -> None:
        report = fill_report(client_order_id=ClientOrderId("O-1"))
        assert report.commission == Money("0.05", USDT)
        assert report.client_order_id == ClientOrderId("O-1")

    def test_zero_quantity_is_refused(self) -> None:
        with pytest.raises(InvalidValue, match="fill report T-1: last_qty must be positive"):
            fill_report(last_qty=Quantity("0"))


class TestPositionStatusReport:
    @pytest.mark.parametrize(
        ("side", "qty", "signed"),
        [
            pytest.param(PositionSide.LONG, "1.500", Decimal("1.500"), id="long"),
            pytest.param(PositionSide.SHORT, "1.500", Decimal("-1.500"), id="short"),
            pytest.param(PositionSide.FLAT, "0", Decimal("0"), id="flat"),
        ],
    )
    def test_signed_qty(self, side: PositionSide, qty: str, signed: Decimal) -> None:
        assert position_report(position_side=side, quantity=Quantity(qty)).signed_qty == signed

    @pytest.mark.parametrize(
        ("side", "qty"),
        [
            pytest.param(PositionSide.FLAT, "1", id="flat-with-quantity"),
            pytest.param(PositionSide.LONG, "0", id="long-without-quantity"),
        ],
    )
    def test_side_must_match_quantity(self, side: PositionSide, qty: str) -> None:
        with pytest.raises(InvalidValue, match="FLAT if and only if zero"):
            position_report(position_side=side, quantity=Quantity(qty))

    def test_float_avg_px_is_refused(self) -> None:
        with pytest.raises(InvalidValue, match="avg_px_open must be a finite Decimal"):
            position_report(avg_px_open=1.5)


class TestExecutionMassStatus:
    def test_two_orders_with_one_client_order_id_are_both_kept(self) -> None:
        """Reconciliation must see both to fail the start (DESIGN section 4)."""
        status = mass_status()
        first, second = order_report("V-1"), order_report("V-2")
        status.add_order_reports([first, second])
        assert status.order_reports == {VenueOrderId("V-1"): first, VenueOrderId("V-2"): second}
        assert status.duplicate_client_order_ids() == {
            ClientOrderId("O-1"): (VenueOrderId("V-1"), VenueOrderId("V-2"))
        }

    def test_no_duplicates_when_client_ids_differ_or_are_missing(self) -> None:
        status = mass_status()
        status.add_order_reports(
            [
                order_report("V-1"),
                order_report("V-2", client_order_id=ClientOrderId("O-2")),
                order_report("V-3", client_order_id=None),
                order_report("V-4", client_order_id=None),
            ]
        )
        assert status.duplicate_client_order_ids() == {}

    def test_same_venue_order_twice_keeps_the_latest_and_every_report(self) -> None:
        status = mass_status()
        newer = order_report("V-1", ts_last=50, filled_qty=Quantity("1"))
        older = order_report("V-1", ts_last=20)
        status.add_order_reports([newer, older])
        assert status.order_reports == {VenueOrderId("V-1"): newer}
        assert status.all_order_reports == [newer, older]

    def test_same_report_added_twice_is_kept_once(self) -> None:
        status = mass_status()
        report, fill = order_report(), fill_report()
        status.add_order_reports([report, report])
        status.add_fill_reports([fill])
        status.add_fill_reports([fill])
        assert status.all_order_reports == [report]
        assert status.fill_reports == {VenueOrderId("V-1"): [fill]}

    def test_fill_reports_keep_duplicate_trade_ids(self) -> None:
        """Deduplicating by trade id is reconciliation's rule, not the container's."""
        status = mass_status()
        fills = [fill_report("T-1"), fill_report("T-1"), fill_report("T-2", "V-2")]
        status.add_fill_reports(fills)
        assert status.fill_reports == {
            VenueOrderId("V-1"): fills[:2],
            VenueOrderId("V-2"): fills[2:],
        }

    def test_position_reports_are_grouped_by_instrument(self) -> None:
        status = mass_status()
        hedged = [
            position_report(venue_position_id=PositionId("P-1")),
            position_report(venue_position_id=PositionId("P-2"), position_side=PositionSide.LONG),
        ]
        status.add_position_reports(hedged)
        assert status.position_reports == {ETH: hedged}

    @pytest.mark.parametrize(
        ("report", "message"),
        [
            pytest.param(
                order_report(account_id=AccountId("BINANCE-002")),
                "mass status BINANCE: order status report for account BINANCE-002, "
                "expected BINANCE-001",
                id="other-account",
            ),
            pytest.param(
                order_report(instrument_id=InstrumentId("ETHUSDT.BYBIT")),
                "mass status BINANCE: order status report for instrument ETHUSDT.BYBIT, "
                "not on venue BINANCE",
                id="other-venue",
            ),
        ],
    )
    def test_reports_of_another_account_or_venue_are_refused(
        self, report: OrderStatusReport, message: str
    ) -> None:
        status = mass_status()
        with pytest.raises(InvalidValue) as info:
            status.add_order_reports([report])
        assert str(info.value) == message
        assert status.all_order_reports == []
