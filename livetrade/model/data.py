"""Market data: quotes, trades and order-book deltas.

This is the hot path (thousands of records a second), so ``QuoteTick`` and
``TradeTick`` are frozen, slotted attrs classes with no validators: adapters
build them from venue messages they have already validated at the edge (see
``adapters/<venue>/parsing.py``), and checking again here would be paid on every
tick. Book deltas keep one cheap check (an order exactly when the action is not
CLEAR), because a malformed delta would corrupt a book silently.
"""

from __future__ import annotations

from enum import IntFlag
from fractions import Fraction
from typing import final

import attrs

from livetrade.errors import InvalidValue
from livetrade.model.enums import AggressorSide, BookAction, OrderSide
from livetrade.model.identifiers import InstrumentId, TradeId
from livetrade.model.quantities import FIXED_PRECISION, FIXED_SCALAR, Price, Quantity, round_div

__all__ = [
    "BookOrder",
    "OrderBookDelta",
    "OrderBookDeltas",
    "QuoteTick",
    "RecordFlag",
    "TradeTick",
]


class RecordFlag(IntFlag):
    """Bits of ``OrderBookDelta.flags`` (the values NautilusTrader uses)."""

    F_LAST = 1 << 7  #: last record of an event (a book may be published after it)
    F_TOB = 1 << 6  #: top-of-book update
    F_SNAPSHOT = 1 << 5  #: part of a snapshot, not an incremental update
    F_MBP = 1 << 4  #: market-by-price (aggregated levels), not market-by-order


@final
@attrs.frozen(kw_only=True, slots=True)
class QuoteTick:
    """Best bid and ask at one moment. Not validated here: adapters validate at the edge."""

    instrument_id: InstrumentId
    bid_price: Price
    ask_price: Price
    bid_size: Quantity
    ask_size: Quantity
    ts_event: int
    ts_init: int

    def mid_price_exact(self) -> Fraction:
        """``(bid + ask) / 2`` as an exact rational."""
        return Fraction(self.bid_price.raw + self.ask_price.raw, 2 * FIXED_SCALAR)

    def mid_price(self) -> Price:
        """``(bid + ask) / 2`` at one more decimal than the quotes, so it is exact.

        The half of a sum of two prices at precision ``p`` always fits ``p + 1``
        decimals. At the maximum precision (9) there is no extra decimal, and the
        mid is rounded half-even.
        """
        precision = max(self.bid_price.precision, self.ask_price.precision)
        total = self.bid_price.raw + self.ask_price.raw
        return Price.from_raw(round_div(total, 2), min(precision + 1, FIXED_PRECISION))

    def spread(self) -> Price:
        """``ask - bid`` (negative when the book is crossed)."""
        return self.ask_price - self.bid_price


@final
@attrs.frozen(kw_only=True, slots=True)
class TradeTick:
    """One public trade. Not validated here: adapters validate at the edge."""

    instrument_id: InstrumentId
    price: Price
    size: Quantity
    aggressor_side: AggressorSide
    trade_id: TradeId
    ts_event: int
    ts_init: int


@final
@attrs.frozen(kw_only=True, slots=True)
class BookOrder:
    """An order (market-by-order) or a level (market-by-price) in a book."""

    side: OrderSide
    price: Price
    size: Quantity
    order_id: int = 0


@final
@attrs.frozen(kw_only=True, slots=True)
class OrderBookDelta:
    """One change to a book: add, update or delete an order, or clear the book."""

    instrument_id: InstrumentId
    action: BookAction
    order: BookOrder | None
    ts_event: int
    ts_init: int
    flags: int = 0
    sequence: int = 0

    def __attrs_post_init__(self) -> None:
        if (self.order is None) != (self.action is BookAction.CLEAR):
            raise InvalidValue(
                f"book delta for {self.instrument_id}: {self.action.name} "
                + ("takes no order" if self.action is BookAction.CLEAR else "needs an order")
            )

    @classmethod
    def clear(
        cls, instrument_id: InstrumentId, *, ts_event: int, ts_init: int, sequence: int = 0
    ) -> OrderBookDelta:
        """A CLEAR delta: empty the book (sent before a snapshot)."""
        return cls(
            instrument_id=instrument_id,
            action=BookAction.CLEAR,
            order=None,
            ts_event=ts_event,
            ts_init=ts_init,
            sequence=sequence,
        )


@final
@attrs.frozen(kw_only=True, slots=True)
class OrderBookDeltas:
    """A batch of deltas for one instrument, applied together (a snapshot or an update)."""

    instrument_id: InstrumentId
    deltas: tuple[OrderBookDelta, ...]

    def __attrs_post_init__(self) -> None:
        if not self.deltas:
            raise InvalidValue(f"book deltas for {self.instrument_id}: need at least one delta")
        for delta in self.deltas:
            if delta.instrument_id != self.instrument_id:
                raise InvalidValue(
                    f"book deltas for {self.instrument_id}: contains a delta "
                    f"for {delta.instrument_id}"
                )

    @property
    def ts_event(self) -> int:
        """``ts_event`` of the last delta (when the batch is complete)."""
        return self.deltas[-1].ts_event

    @property
    def ts_init(self) -> int:
        return self.deltas[-1].ts_init

    @property
    def sequence(self) -> int:
        return self.deltas[-1].sequence
