"""Market data records: exact mids, and book deltas that cannot be malformed."""

from __future__ import annotations

from fractions import Fraction

import attrs
import pytest

from livetrade.errors import InvalidValue
from livetrade.model.data import (
    BookOrder,
    OrderBookDelta,
    OrderBookDeltas,
    QuoteTick,
    RecordFlag,
    TradeTick,
)
from livetrade.model.enums import AggressorSide, BookAction, OrderSide
from livetrade.model.identifiers import InstrumentId, TradeId
from livetrade.model.quantities import Price, Quantity

ETH = InstrumentId("ETHUSDT.BINANCE")
BTC = InstrumentId("BTCUSDT.BINANCE")


def quote(bid: str, ask: str) -> QuoteTick:
    return QuoteTick(
        instrument_id=ETH,
        bid_price=Price(bid),
        ask_price=Price(ask),
        bid_size=Quantity("1.0"),
        ask_size=Quantity("2.0"),
        ts_event=1,
        ts_init=2,
    )


def delta(
    action: BookAction = BookAction.ADD, instrument_id: InstrumentId = ETH, seq: int = 1
) -> OrderBookDelta:
    order = BookOrder(side=OrderSide.BUY, price=Price("100.00"), size=Quantity("1"), order_id=7)
    return OrderBookDelta(
        instrument_id=instrument_id,
        action=action,
        order=None if action is BookAction.CLEAR else order,
        ts_event=seq,
        ts_init=seq + 1,
        sequence=seq,
    )


class TestQuoteTick:
    @pytest.mark.parametrize(
        ("bid", "ask", "mid", "exact"),
        [
            pytest.param("100.01", "100.02", "100.015", Fraction(20003, 200), id="odd-sum"),
            pytest.param("100.00", "100.02", "100.010", Fraction(10001, 100), id="even-sum"),
            pytest.param("1.5", "1.75", "1.625", Fraction(13, 8), id="mixed-precision"),
            pytest.param(
                "0.000000001",
                "0.000000002",
                "0.000000002",
                Fraction(3, 2 * 10**9),
                id="max-precision-half-even",
            ),
        ],
    )
    def test_mid_price(self, bid: str, ask: str, mid: str, exact: Fraction) -> None:
        """The mid has one more decimal than the quotes (half-even at precision 9)."""
        tick = quote(bid, ask)
        assert tick.mid_price_exact() == exact
        assert str(tick.mid_price()) == mid
        assert tick.mid_price().precision == min(
            max(Price(bid).precision, Price(ask).precision) + 1, 9
        )

    def test_spread(self) -> None:
        assert quote("100.01", "100.03").spread() == Price("0.02")

    def test_ticks_are_frozen_and_slotted(self) -> None:
        tick = quote("1", "2")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            tick.bid_price = Price("0")  # type: ignore[misc]
        assert not hasattr(tick, "__dict__")

    def test_trade_tick(self) -> None:
        trade = TradeTick(
            instrument_id=ETH,
            price=Price("100.5"),
            size=Quantity("0.1"),
            aggressor_side=AggressorSide.SELLER,
            trade_id=TradeId("123"),
            ts_event=1,
            ts_init=2,
        )
        assert trade == attrs.evolve(trade)
        assert not hasattr(trade, "__dict__")


class TestBookDeltas:
    def test_clear_has_no_order(self) -> None:
        clear = OrderBookDelta.clear(ETH, ts_event=1, ts_init=2, sequence=3)
        assert clear.action is BookAction.CLEAR
        assert clear.order is None
        assert clear.sequence == 3

    @pytest.mark.parametrize(
        ("action", "has_order", "message"),
        [
            pytest.param(BookAction.CLEAR, True, "CLEAR takes no order", id="clear-with-order"),
            pytest.param(BookAction.ADD, False, "ADD needs an order", id="add-without-order"),
            pytest.param(
                BookAction.DELETE, False, "DELETE needs an order", id="delete-without-order"
            ),
        ],
    )
    def test_order_present_unless_clear(
        self, action: BookAction, has_order: bool, message: str
    ) -> None:
        order = (
            BookOrder(side=OrderSide.SELL, price=Price("1"), size=Quantity("1"))
            if has_order
            else None
        )
        with pytest.raises(InvalidValue, match=rf"book delta for ETHUSDT\.BINANCE: {message}"):
            OrderBookDelta(instrument_id=ETH, action=action, order=order, ts_event=1, ts_init=1)

    def test_deltas_batch(self) -> None:
        batch = OrderBookDeltas(
            instrument_id=ETH,
            deltas=(delta(BookAction.CLEAR, seq=1), delta(seq=2), delta(BookAction.UPDATE, seq=3)),
        )
        assert batch.sequence == 3
        assert batch.ts_event == 3
        assert batch.ts_init == 4

    def test_deltas_must_not_be_empty(self) -> None:
        with pytest.raises(InvalidValue, match="need at least one delta"):
            OrderBookDeltas(instrument_id=ETH, deltas=())

    def test_deltas_must_share_the_instrument(self) -> None:
        with pytest.raises(InvalidValue, match=r"contains a delta for BTCUSDT\.BINANCE"):
            OrderBookDeltas(instrument_id=ETH, deltas=(delta(), delta(instrument_id=BTC)))

    def test_flags_combine(self) -> None:
        flags = RecordFlag.F_LAST | RecordFlag.F_SNAPSHOT
        assert int(flags) == 160
        assert RecordFlag.F_SNAPSHOT in RecordFlag(delta().flags | flags)
