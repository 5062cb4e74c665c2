"""Order books from deltas: market-by-price and market-by-order, exact sizes."""

from __future__ import annotations

import pytest

from livetrade.errors import InvalidValue
from livetrade.model import (
    BookAction,
    BookOrder,
    InstrumentId,
    OrderBook,
    OrderBookDelta,
    OrderBookDeltas,
    OrderSide,
    Price,
    Quantity,
    RecordFlag,
)

BTC = InstrumentId("BTCUSDT.SIM")
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def delta(
    action: BookAction, side: OrderSide, px: str, size: str, order_id: int = 0, seq: int = 1
) -> OrderBookDelta:
    return OrderBookDelta(
        instrument_id=BTC,
        action=action,
        order=BookOrder(side=side, price=Price(px), size=Quantity(size), order_id=order_id),
        ts_event=seq,
        ts_init=seq,
        sequence=seq,
    )


def test_market_by_price_levels_and_top() -> None:
    book = OrderBook(BTC)
    book.apply(
        OrderBookDeltas(
            instrument_id=BTC,
            deltas=(
                OrderBookDelta.clear(BTC, ts_event=0, ts_init=0),
                delta(BookAction.ADD, BUY, "99.00", "1.000"),
                delta(BookAction.ADD, BUY, "99.50", "2.000"),
                delta(BookAction.ADD, SELL, "100.00", "0.500"),
                delta(BookAction.ADD, SELL, "100.50", "3.000", seq=4),
            ),
        )
    )
    assert book.best_bid() == (Price("99.50"), Quantity("2.000"))
    assert book.best_ask() == (Price("100.00"), Quantity("0.500"))
    assert book.spread() == Price("0.50")
    book.apply(delta(BookAction.UPDATE, BUY, "99.50", "0.250", seq=5))
    book.apply(delta(BookAction.DELETE, SELL, "100.00", "0", seq=6))
    assert book.bids() == [(Price("99.50"), Quantity("0.250")), (Price("99.00"), Quantity("1.000"))]
    assert book.asks(1) == [(Price("100.50"), Quantity("3.000"))]
    assert (book.sequence, book.ts_last, book.update_count) == (6, 6, 7)


def test_market_by_order_aggregates_orders_per_level() -> None:
    book = OrderBook(BTC)
    book.apply(delta(BookAction.ADD, SELL, "101.00", "1.000", order_id=1))
    book.apply(delta(BookAction.ADD, SELL, "101.00", "2.000", order_id=2))
    assert book.best_ask() == (Price("101.00"), Quantity("3.000"))
    book.apply(delta(BookAction.UPDATE, SELL, "101.00", "0.500", order_id=1))
    assert book.best_ask() == (Price("101.00"), Quantity("2.500"))
    book.apply(delta(BookAction.UPDATE, SELL, "102.00", "0.500", order_id=1))  # order moved
    assert book.asks() == [
        (Price("101.00"), Quantity("2.000")),
        (Price("102.00"), Quantity("0.500")),
    ]
    book.apply(delta(BookAction.DELETE, SELL, "101.00", "2.000", order_id=2))
    assert book.asks() == [(Price("102.00"), Quantity("0.500"))]
    mbp = OrderBookDelta(
        instrument_id=BTC,
        action=BookAction.ADD,
        flags=RecordFlag.F_MBP,
        ts_event=9,
        ts_init=9,
        order=BookOrder(side=BUY, price=Price("100.00"), size=Quantity("1.000"), order_id=7),
    )
    book.apply(mbp)
    assert book.best_bid() == (Price("100.00"), Quantity("1.000"))
    book.apply(OrderBookDelta.clear(BTC, ts_event=10, ts_init=10))
    assert (book.best_bid(), book.best_ask(), book.spread()) == (None, None, None)


def test_delta_for_another_instrument_is_refused() -> None:
    book = OrderBook(InstrumentId("ETHUSDT.SIM"))
    with pytest.raises(InvalidValue, match=r"ETHUSDT\.SIM: got a delta for BTCUSDT\.SIM"):
        book.apply(delta(BookAction.ADD, BUY, "1.00", "1.000"))
