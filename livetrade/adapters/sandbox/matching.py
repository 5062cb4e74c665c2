"""The sandbox venue's order records and its per-instrument book of working orders.

Theory of operation
-------------------
The simulated market for an instrument is its latest quote. The quote's sizes
are liquidity: every fill against the quote takes from ``bid_left``/``ask_left``
and a new quote refills them, so two orders matched on one quote share its size.

A ``Book`` keeps the venue's working orders of one instrument in four lists,
each sorted so that its head is the first order that can act:

==============  ===============================================  ======================
list            holds                                            sorted by
==============  ===============================================  ======================
``buys``        working buys (limits, market remainders,         market first, then
                triggered stops)                                 higher price, then time
``sells``       the same for sells                               market first, then
                                                                 lower price, then time
``buy_stops``   buy stops waiting for the touch/last to rise     lower trigger, then time
``sell_stops``  sell stops waiting for the touch/last to fall    higher trigger, then time
==============  ===============================================  ======================

Because of that order, a quote that crosses nothing is found out by looking at
the four heads only, and a quote for an instrument without working orders
touches nothing but the book's quote fields. ``seq`` is the time-priority
number: assigned on acceptance, and again when a trigger fires or a modify
changes the price or raises the quantity.

This module holds data and the small pure rules about it (what is marketable,
what triggers); ``exchange.py`` decides what happens.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from fractions import Fraction
from typing import Final

import attrs

from livetrade.model.data import QuoteTick
from livetrade.model.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from livetrade.model.identifiers import (
    ClientOrderId,
    InstrumentId,
    StrategyId,
    TraderId,
    VenueOrderId,
)
from livetrade.model.instruments import Instrument
from livetrade.model.money import Money
from livetrade.model.quantities import FIXED_SCALAR, Price, Quantity

__all__ = ["NS_PER_DAY", "Book", "SandboxOrder", "day_expiry_ns"]

NS_PER_DAY: Final = 86_400 * 1_000_000_000

_BUY: Final = OrderSide.BUY
_ANY_PRICE: Final = 1 << 200  #: above any raw price: a market order crosses every quote


def day_expiry_ns(ts_accepted: int) -> int:
    """When a DAY order accepted at ``ts_accepted`` expires: the next UTC midnight."""
    return (ts_accepted // NS_PER_DAY + 1) * NS_PER_DAY


@attrs.define(kw_only=True, eq=False, on_setattr=attrs.setters.NO_OP)
class SandboxOrder:
    """One order as the venue sees it, open or closed.

    The exchange owns and mutates these records; everything handed out
    (``SandboxExchange.open_orders()``, ``order()``) is the live record, to be
    read only. ``expire_time_ns`` is what the order was submitted with;
    ``expires_at_ns`` is when the venue will expire it (GTD: the same; DAY: the
    next UTC midnight after acceptance; otherwise None). ``lock_px`` is the price
    the account reserves funds at (the limit, a stop's trigger, or the ask/bid a
    market order was accepted against) and ``locked`` what is reserved now.
    """

    client_order_id: ClientOrderId
    venue_order_id: VenueOrderId
    instrument_id: InstrumentId
    trader_id: TraderId
    strategy_id: StrategyId
    side: OrderSide
    order_type: OrderType
    time_in_force: TimeInForce
    quantity: Quantity
    price: Price | None = None
    trigger_price: Price | None = None
    expire_time_ns: int | None = None
    expires_at_ns: int | None = None
    post_only: bool = False
    reduce_only: bool = False
    status: OrderStatus = OrderStatus.ACCEPTED
    triggered: bool = False
    filled_raw: int = 0
    fill_cost: int = 0  #: sum of price raw * qty raw over fills (exact average price)
    seq: int = 0
    ts_accepted: int = 0
    ts_last: int = 0
    cancel_reason: str | None = None
    lock_px: Price | None = None
    locked: Money | None = None
    listed: bool = False  #: True while the order sits in one of its ``Book``'s lists
    #: while listed: the raw price at which the order acts (limit, trigger, or any price
    #: for market orders), so a quote is checked against a list head with one comparison
    threshold: int = 0

    # -- derived -----------------------------------------------------------------------

    @property
    def filled_qty(self) -> Quantity:
        return Quantity.from_raw(self.filled_raw, self.quantity.precision)

    @property
    def leaves_raw(self) -> int:
        return self.quantity.raw - self.filled_raw

    @property
    def leaves_qty(self) -> Quantity:
        return Quantity.from_raw(self.quantity.raw - self.filled_raw, self.quantity.precision)

    @property
    def is_working(self) -> bool:
        """True while the order can still trade (accepted, triggered or partly filled)."""
        return self.status.is_open

    @property
    def waits_for_trigger(self) -> bool:
        """A stop order whose trigger price has not been reached yet."""
        return self.order_type.has_trigger_price and not self.triggered

    @property
    def works_as_market(self) -> bool:
        """A market order, or a stop-market that triggered: takes any price."""
        order_type = self.order_type
        return order_type is OrderType.MARKET or (
            order_type is OrderType.STOP_MARKET and self.triggered
        )

    @property
    def avg_px(self) -> Fraction | None:
        """Exact average fill price, None before the first fill."""
        if self.filled_raw == 0:
            return None
        return Fraction(self.fill_cost, self.filled_raw * FIXED_SCALAR)

    def crosses(self, quote: QuoteTick) -> bool:
        """True if the order would take liquidity from ``quote`` at its limit (or at all)."""
        if self.works_as_market:
            return True
        assert self.price is not None
        if self.side is _BUY:
            return self.price.raw >= quote.ask_price.raw
        return self.price.raw <= quote.bid_price.raw

    def priority(self) -> tuple[int, int, int]:
        """Sort key in ``Book.buys``/``Book.sells``: market first, better price, earlier."""
        if self.works_as_market:
            return (0, 0, self.seq)
        assert self.price is not None
        price = self.price.raw
        return (1, -price if self.side is _BUY else price, self.seq)

    def stop_priority(self) -> tuple[int, int]:
        """Sort key in the stop lists: the trigger nearest to firing first, then earlier."""
        assert self.trigger_price is not None
        trigger = self.trigger_price.raw
        return (trigger if self.side is _BUY else -trigger, self.seq)


def _priority(order: SandboxOrder) -> tuple[int, int, int]:
    return order.priority()


def _stop_priority(order: SandboxOrder) -> tuple[int, int]:
    return order.stop_priority()


@attrs.define(eq=False, on_setattr=attrs.setters.NO_OP)
class Book:
    """The latest quote and last trade of one instrument, with its working orders.

    ``quote`` is set on every quote; the sizes left at its bid and ask are read
    from it lazily (``fresh`` says they must be), so storing a quote costs two
    attribute writes.
    """

    instrument: Instrument
    quote: QuoteTick | None = None
    fresh: bool = False  #: True when ``quote`` is newer than ``bid_left``/``ask_left``
    bid_left: int = 0  #: raw size still available at the bid of ``quote``
    ask_left: int = 0  #: raw size still available at the ask of ``quote``
    last_trade: Price | None = None
    buys: list[SandboxOrder] = attrs.Factory(list)
    sells: list[SandboxOrder] = attrs.Factory(list)
    buy_stops: list[SandboxOrder] = attrs.Factory(list)
    sell_stops: list[SandboxOrder] = attrs.Factory(list)
    n_working: int = 0
    #: a lower bound of the earliest expiry among the working orders (None: none expire)
    next_expiry: int | None = None
    lot: int = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.lot = self.instrument.size_increment.raw

    def sizes_left(self) -> tuple[int, int]:
        """Raw ``(bid_left, ask_left)`` of the current quote."""
        if self.fresh:
            self._refill()
        return self.bid_left, self.ask_left

    def _refill(self) -> None:
        quote = self.quote
        assert quote is not None
        self.bid_left = quote.bid_size.raw
        self.ask_left = quote.ask_size.raw
        self.fresh = False

    def available(self, side: OrderSide) -> int:
        """Raw quantity an order of ``side`` can take now, rounded down to the lot size."""
        if self.fresh:
            self._refill()
        left = self.ask_left if side is _BUY else self.bid_left
        return left - left % self.lot if left > 0 else 0

    def consume(self, side: OrderSide, qty_raw: int) -> None:
        if self.fresh:
            self._refill()
        if side is _BUY:
            self.ask_left -= qty_raw
        else:
            self.bid_left -= qty_raw

    def touch(self, side: OrderSide) -> Price | None:
        """The price an order of ``side`` takes at: the ask for buys, the bid for sells."""
        quote = self.quote
        if quote is None:
            return None
        return quote.ask_price if side is _BUY else quote.bid_price

    def would_trigger(self, order: SandboxOrder) -> bool:
        """True if the touch or the last trade has reached the stop's trigger price."""
        trigger = order.trigger_price
        assert trigger is not None
        for px in (self.touch(order.side), self.last_trade):
            if px is None:
                continue
            if px.raw >= trigger.raw if order.side is _BUY else px.raw <= trigger.raw:
                return True
        return False

    # -- membership --------------------------------------------------------------------

    def _list_for(self, order: SandboxOrder) -> list[SandboxOrder]:
        if order.waits_for_trigger:
            return self.buy_stops if order.side is _BUY else self.sell_stops
        return self.buys if order.side is _BUY else self.sells

    def add(self, order: SandboxOrder) -> None:
        """Put a working order in its list, at its priority; set its ``threshold``."""
        if order.waits_for_trigger:
            assert order.trigger_price is not None
            order.threshold = order.trigger_price.raw
            bisect.insort(self._list_for(order), order, key=_stop_priority)
        else:
            if order.works_as_market:
                order.threshold = _ANY_PRICE if order.side is _BUY else -_ANY_PRICE
            else:
                assert order.price is not None
                order.threshold = order.price.raw
            bisect.insort(self._list_for(order), order, key=_priority)
        order.listed = True
        self.n_working += 1
        expiry = order.expires_at_ns
        if expiry is not None and (self.next_expiry is None or expiry < self.next_expiry):
            self.next_expiry = expiry

    def remove(self, order: SandboxOrder) -> None:
        """Take an order out of its list (call before changing what decides the list)."""
        self._list_for(order).remove(order)
        order.listed = False
        self.n_working -= 1

    def working(self) -> Iterator[SandboxOrder]:
        """Every working order of the instrument, in no particular order."""
        yield from self.buys
        yield from self.sells
        yield from self.buy_stops
        yield from self.sell_stops

    def due_to_expire(self, ts: int) -> list[SandboxOrder]:
        """Working orders whose expiry is at or before ``ts``, earliest first.

        Also tightens ``next_expiry`` to the earliest expiry among the others.
        """
        due: list[SandboxOrder] = []
        nearest: int | None = None
        for order in self.working():
            expiry = order.expires_at_ns
            if expiry is None:
                continue
            if expiry <= ts:
                due.append(order)
            elif nearest is None or expiry < nearest:
                nearest = expiry
        self.next_expiry = nearest
        due.sort(key=lambda order: (order.expires_at_ns, order.seq))
        return due
