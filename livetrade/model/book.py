"""An order book built from deltas: market-by-order or market-by-price.

Each side keeps the orders by id and the total size per price level (raw
integers, exact). For market-by-price data (``RecordFlag.F_MBP``, or order id 0)
a level is its own order, keyed by its price. The best price is found when asked
(a scan of the levels), which keeps each delta O(1); books in live feeds are
shallow, and strategies ask for the top far less often than deltas arrive.
"""

from __future__ import annotations

from typing import final

from livetrade.errors import InvalidValue
from livetrade.model.data import BookOrder, OrderBookDelta, OrderBookDeltas, RecordFlag
from livetrade.model.enums import BookAction, OrderSide
from livetrade.model.identifiers import InstrumentId
from livetrade.model.quantities import Price, Quantity

__all__ = ["BookLevel", "OrderBook"]

BookLevel = tuple[Price, Quantity]
"""One price level: price and total size."""


class _Side:
    __slots__ = ("levels", "orders", "prices", "size_precision")

    def __init__(self) -> None:
        self.orders: dict[int, BookOrder] = {}
        self.levels: dict[int, int] = {}  # price raw -> total size raw
        self.prices: dict[int, Price] = {}
        self.size_precision = 0

    def add(self, key: int, order: BookOrder) -> None:
        self.remove(key)
        self.orders[key] = order
        raw = order.price.raw
        self.levels[raw] = self.levels.get(raw, 0) + order.size.raw
        self.prices[raw] = order.price
        self.size_precision = order.size.precision

    def remove(self, key: int) -> None:
        old = self.orders.pop(key, None)
        if old is None:
            return
        raw = old.price.raw
        left = self.levels[raw] - old.size.raw
        if left > 0:
            self.levels[raw] = left
        else:
            del self.levels[raw]
            del self.prices[raw]

    def sorted_levels(self, descending: bool, depth: int | None) -> list[BookLevel]:
        raws = sorted(self.levels, reverse=descending)[:depth]
        return [
            (self.prices[r], Quantity.from_raw(self.levels[r], self.size_precision)) for r in raws
        ]


@final
class OrderBook:
    """The current book of one instrument; changed only by ``apply``."""

    __slots__ = ("_asks", "_bids", "instrument_id", "sequence", "ts_last", "update_count")

    def __init__(self, instrument_id: InstrumentId) -> None:
        self.instrument_id = instrument_id
        self._bids = _Side()
        self._asks = _Side()
        self.sequence = 0
        self.ts_last = 0
        self.update_count = 0

    def apply(self, item: OrderBookDelta | OrderBookDeltas) -> None:
        """Apply one delta or a batch (in order)."""
        deltas = item.deltas if isinstance(item, OrderBookDeltas) else (item,)
        for delta in deltas:
            self._apply(delta)

    def _apply(self, delta: OrderBookDelta) -> None:
        if delta.instrument_id != self.instrument_id:
            raise InvalidValue(f"book {self.instrument_id}: got a delta for {delta.instrument_id}")
        self.sequence = delta.sequence
        self.ts_last = delta.ts_event
        self.update_count += 1
        order = delta.order
        if delta.action is BookAction.CLEAR or order is None:
            self._bids = _Side()
            self._asks = _Side()
            return
        side = self._bids if order.side is OrderSide.BUY else self._asks
        by_price = order.order_id == 0 or bool(delta.flags & RecordFlag.F_MBP)
        key = order.price.raw if by_price else order.order_id
        if delta.action is BookAction.DELETE or order.size.raw == 0:
            side.remove(key)
        else:  # ADD and UPDATE both set the order (or level) to the given size
            side.add(key, order)

    def bids(self, depth: int | None = None) -> list[BookLevel]:
        """Bid levels, best (highest) first."""
        return self._bids.sorted_levels(True, depth)

    def asks(self, depth: int | None = None) -> list[BookLevel]:
        """Ask levels, best (lowest) first."""
        return self._asks.sorted_levels(False, depth)

    def best_bid(self) -> BookLevel | None:
        levels = self.bids(1)
        return levels[0] if levels else None

    def best_ask(self) -> BookLevel | None:
        levels = self.asks(1)
        return levels[0] if levels else None

    def spread(self) -> Price | None:
        bid, ask = self.best_bid(), self.best_ask()
        if bid is None or ask is None:
            return None
        precision = max(bid[0].precision, ask[0].precision)
        return Price.from_raw(ask[0].raw - bid[0].raw, precision)

    def __repr__(self) -> str:
        return f"OrderBook({self.instrument_id}, bid={self.best_bid()}, ask={self.best_ask()})"
