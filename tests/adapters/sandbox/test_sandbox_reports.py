"""Reports come from the venue's own state; to_dict/from_dict keeps that state exactly."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest
from sandbox_support import (
    ACCOUNT,
    PAIR,
    PERP,
    cash_exchange,
    check_invariants,
    margin_exchange,
    order,
    quote,
    trade,
)

from livetrade.adapters.sandbox.exchange import SandboxExchange
from livetrade.adapters.sandbox.messages import VenueMessage
from livetrade.adapters.sandbox.reports import price_decimal
from livetrade.errors import InvalidValue
from livetrade.model.enums import (
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    TimeInForce,
)
from livetrade.model.identifiers import ClientOrderId, TradeId, VenueOrderId
from livetrade.model.money import Money
from livetrade.model.quantities import Price, Quantity
from livetrade.model.reports import FillReport, PositionStatusReport

BUY, SELL = OrderSide.BUY, OrderSide.SELL


def busy_exchange() -> SandboxExchange:
    """O-1 filled (ts 11), O-2 canceled (ts 30), O-3 open, O-4 partly filled (ts 40)."""
    ex = cash_exchange()
    ex.on_quote(quote("99.00", "100.00", ts=10))
    ex.submit(order("O-1", quantity="0.500", price="100.00"), ts=11)
    ex.submit(order("O-2", price="90.00"), ts=20)
    ex.cancel(ClientOrderId("O-2"), ts=30)
    ex.submit(order("O-3", side=SELL, price="120.00", time_in_force=TimeInForce.DAY), ts=31)
    ex.submit(order("O-4", quantity="2.000", price="98.00"), ts=32)
    ex.on_quote(quote("97.00", "97.50", ask_size="0.800", ts=40))
    return ex


class TestOrderReports:
    def test_reports_equal_the_venue_state(self) -> None:
        ex = busy_exchange()
        reports = ex.order_status_reports(100)
        assert [(str(r.client_order_id), r.order_status) for r in reports] == [
            ("O-1", OrderStatus.FILLED),
            ("O-2", OrderStatus.CANCELED),
            ("O-3", OrderStatus.ACCEPTED),
            ("O-4", OrderStatus.PARTIALLY_FILLED),
        ]
        o4 = reports[3]
        assert o4.account_id == ACCOUNT
        assert o4.venue_order_id == VenueOrderId("SANDBOX-4")
        assert o4.filled_qty == Quantity("0.800")
        assert o4.avg_px == Decimal("98.00")
        assert (o4.ts_accepted, o4.ts_last, o4.ts_init) == (32, 40, 100)
        assert reports[1].avg_px is None
        assert reports[2].time_in_force is TimeInForce.DAY
        assert reports[2].expire_time_ns is None
        for report in reports:
            record = ex.order(report.client_order_id)  # type: ignore[arg-type]
            assert record is not None
            assert (report.quantity, report.filled_qty, report.price) == (
                record.quantity,
                record.filled_qty,
                record.price,
            )

    @pytest.mark.parametrize(
        ("kwargs", "expected"),
        [
            ({"open_only": True}, ["O-3", "O-4"]),
            ({"start_ns": 12}, ["O-2", "O-3", "O-4"]),
            ({"start_ns": 31}, ["O-3", "O-4"]),
            ({"start_ns": 0}, ["O-1", "O-2", "O-3", "O-4"]),
            ({"instrument_id": PERP.instrument_id}, []),
        ],
    )
    def test_lookback_and_filters(self, kwargs: dict[str, object], expected: list[str]) -> None:
        """Open orders always; closed ones only if last updated at or after start_ns."""
        reports = busy_exchange().order_status_reports(100, **kwargs)  # type: ignore[arg-type]
        assert [str(r.client_order_id) for r in reports] == expected

    def test_single_report_by_either_id(self) -> None:
        ex = busy_exchange()
        by_coid = ex.order_status_report(100, client_order_id=ClientOrderId("O-4"))
        by_voi = ex.order_status_report(100, venue_order_id=VenueOrderId("SANDBOX-4"))
        assert by_coid is not None
        assert by_voi is not None
        assert by_coid.client_order_id == by_voi.client_order_id == ClientOrderId("O-4")
        mismatch = ex.order_status_report(
            100, client_order_id=ClientOrderId("O-4"), venue_order_id=VenueOrderId("SANDBOX-1")
        )
        assert mismatch is None
        assert ex.order_status_report(100, client_order_id=ClientOrderId("O-9")) is None
        with pytest.raises(InvalidValue, match="needs a client_order_id or a venue_order_id"):
            ex.order_status_report(100)

    def test_avg_px_is_exact_or_nine_decimals(self) -> None:
        assert price_decimal(Fraction(201, 2), 2) == Decimal("100.50")
        assert str(price_decimal(Fraction(30002, 300), 2)) == "100.006666667"
        assert str(price_decimal(Fraction(100125, 1000), 2)) == "100.125000000"


class TestFillReports:
    def test_fill_reports_and_filters(self) -> None:
        ex = busy_exchange()
        fills = ex.fill_reports(100)
        assert fills[0] == FillReport(
            account_id=ACCOUNT,
            instrument_id=PAIR.instrument_id,
            venue_order_id=VenueOrderId("SANDBOX-1"),
            client_order_id=ClientOrderId("O-1"),
            trade_id=TradeId("SANDBOX-T-1"),
            order_side=BUY,
            last_qty=Quantity("0.500"),
            last_px=Price("100.00"),
            commission=Money("0.10", PAIR.quote_currency),
            liquidity_side=LiquiditySide.TAKER,
            ts_event=11,
            ts_init=100,
            report_id=fills[0].report_id,
        )
        assert [str(f.trade_id) for f in fills] == ["SANDBOX-T-1", "SANDBOX-T-2"]
        assert [str(f.trade_id) for f in ex.fill_reports(100, start_ns=12)] == ["SANDBOX-T-2"]
        only = ex.fill_reports(100, venue_order_id=VenueOrderId("SANDBOX-1"))
        assert [str(f.trade_id) for f in only] == ["SANDBOX-T-1"]
        assert ex.fill_reports(100, instrument_id=PERP.instrument_id) == []


class TestPositionReports:
    def test_never_traded_is_not_reported(self) -> None:
        assert cash_exchange().position_status_reports(1) == []

    def test_long_then_flat(self) -> None:
        ex = busy_exchange()
        [report] = ex.position_status_reports(100)
        assert report == PositionStatusReport(
            account_id=ACCOUNT,
            instrument_id=PAIR.instrument_id,
            position_side=PositionSide.LONG,
            quantity=Quantity("1.300"),
            # (0.5 * 100 + 0.8 * 98) / 1.3
            avg_px_open=Decimal("98.769230769"),
            ts_last=40,
            ts_init=100,
            report_id=report.report_id,
        )
        ex.on_quote(quote("99.00", "100.00", bid_size="5.000", ts=50))
        ex.submit(
            order("S-1", side=SELL, order_type=OrderType.MARKET, price=None, quantity="1.300"),
            ts=51,
        )
        [flat] = ex.position_status_reports(101, instrument_id=PAIR.instrument_id)
        assert flat.position_side is PositionSide.FLAT
        assert flat.quantity == Quantity("0.000")
        assert flat.avg_px_open is None
        assert flat.ts_last == 51
        assert ex.position_status_reports(101, instrument_id=PERP.instrument_id) == []


class TestPersistence:
    def test_round_trip_behaves_identically(self) -> None:
        """Restore mid-session; both exchanges answer the same inputs with the same messages."""
        ex = busy_exchange()
        ex.submit(
            order("G-1", price="95.00", time_in_force=TimeInForce.GTD, expire_time_ns=500), ts=41
        )
        ex.submit(
            order(
                "T-1",
                order_type=OrderType.STOP_MARKET,
                price=None,
                trigger_price="110.00",
                quantity="0.100",
            ),
            ts=42,
        )
        ex.on_trade(trade("97.10", ts=43))
        data = ex.to_dict()
        text = json.dumps(data)
        restored = SandboxExchange.from_dict(json.loads(text), instruments=[PAIR])
        assert restored.to_dict() == data
        assert restored.account_state(1).balances == ex.account_state(1).balances
        check_invariants(restored)

        def script(venue: SandboxExchange) -> list[VenueMessage]:
            out: list[VenueMessage] = []
            # 0.8 was taken at ts 40; the same quote's size left is part of the state
            out += venue.submit(order("N-1", quantity="0.100", price="98.00"), ts=44)
            out += venue.modify(ClientOrderId("O-4"), ts=45, quantity=Quantity("1.000"))
            out += venue.on_quote(quote("94.00", "94.50", ask_size="3.000", ts=46))
            out += venue.advance(600)
            out += venue.on_quote(quote("110.00", "111.00", ts=700))
            out += venue.cancel(ClientOrderId("O-3"), ts=701)
            out += venue.submit(order("N-2", side=SELL, quantity="0.200", price="105.00"), ts=702)
            return out

        expected = script(ex)
        assert expected  # the script exercises matching
        assert script(restored) == expected
        assert restored.to_dict() == ex.to_dict()

    def test_margin_round_trip(self) -> None:
        ex = margin_exchange(leverage="3")
        ex.on_quote(quote("20000.0", "20000.5", "2.000", "2.000", instrument=PERP))
        ex.submit(
            order(
                "B-1", instrument=PERP, order_type=OrderType.MARKET, price=None, quantity="1.000"
            ),
            ts=11,
        )
        ex.submit(order("B-2", instrument=PERP, price="19000.0"), ts=12)
        data = json.loads(json.dumps(ex.to_dict()))
        restored = SandboxExchange.from_dict(data, instruments=[PERP, PAIR])
        assert restored.to_dict() == ex.to_dict()
        assert restored.account_state(1).margins == ex.account_state(1).margins
        assert restored.account_state(1).balances == ex.account_state(1).balances
        assert restored.leverage == Decimal(3)

    def test_every_number_is_a_string(self) -> None:
        def walk(value: object) -> None:
            if isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)
            else:
                assert value is None or isinstance(value, str | bool), value

        data = busy_exchange().to_dict()
        version = data.pop("version")
        assert version == 1
        walk(data)

    def test_unknown_version_is_refused(self) -> None:
        data = busy_exchange().to_dict()
        data["version"] = 2
        with pytest.raises(ValueError, match="has version 2; this livetrade reads version 1 only"):
            SandboxExchange.from_dict(data, instruments=[PAIR])

    def test_missing_instrument_is_refused(self) -> None:
        data = margin_exchange().to_dict()
        with pytest.raises(
            ValueError, match=r"ETHUSDT\.SANDBOX is not among the instruments given"
        ):
            SandboxExchange.from_dict(data, instruments=[PERP])

    def test_malformed_data_is_refused(self) -> None:
        data = busy_exchange().to_dict()
        del data["orders"][0]["side"]
        with pytest.raises(ValueError, match="sandbox exchange state is malformed: KeyError"):
            SandboxExchange.from_dict(data, instruments=[PAIR])
