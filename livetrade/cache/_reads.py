"""The read side of the ``Cache``: every ``CacheView`` method, over the cache's state.

Split from ``cache.py`` so each module stays one concept: this one answers
queries, ``cache.py`` decides what is stored, updated and purged. Queries on
orders and positions intersect index sets (``_index.py``), so their cost follows
the matching set; results are fresh lists, oldest (or, for ticks, newest) first.
"""

from __future__ import annotations

from collections import deque
from fractions import Fraction
from typing import TypeVar

from livetrade.cache._orders import OrderStore
from livetrade.cache._positions import PositionStore
from livetrade.cache.view import CacheStatistics
from livetrade.model.account import AccountState
from livetrade.model.book import OrderBook
from livetrade.model.data import QuoteTick, TradeTick
from livetrade.model.enums import OrderSide, PositionSide
from livetrade.model.identifiers import (
    AccountId,
    ClientId,
    ClientOrderId,
    InstrumentId,
    PositionId,
    StrategyId,
    Venue,
    VenueOrderId,
)
from livetrade.model.instruments import Instrument
from livetrade.model.orders import Order
from livetrade.model.positions import Position

__all__ = ["CacheReads"]

T = TypeVar("T")


def _at(ticks: deque[T] | None, index: int) -> T | None:
    if ticks is None or not 0 <= index < len(ticks):
        return None
    return ticks[index]


class CacheReads:
    """The cache's state and its read methods (documented on ``CacheView``).

    ``Cache`` adds the writes; nothing else subclasses this.
    """

    __slots__ = (
        "_accounts",
        "_books",
        "_instruments",
        "_orders",
        "_positions",
        "_quotes",
        "_tick_capacity",
        "_trades",
    )

    _instruments: dict[InstrumentId, Instrument]
    _orders: OrderStore
    _positions: PositionStore
    _accounts: dict[AccountId, list[AccountState]]
    _quotes: dict[InstrumentId, deque[QuoteTick]]
    _trades: dict[InstrumentId, deque[TradeTick]]
    _books: dict[InstrumentId, OrderBook]
    _tick_capacity: int

    @property
    def tick_capacity(self) -> int:
        return self._tick_capacity

    def __repr__(self) -> str:
        s = self.statistics()
        return (
            f"Cache(instruments={s.instruments}, orders={s.orders} (open={s.orders_open}), "
            f"positions={s.positions} (open={s.positions_open}), accounts={s.accounts})"
        )

    # -- instruments ----------------------------------------------------------------------

    def instrument(self, instrument_id: InstrumentId) -> Instrument | None:
        return self._instruments.get(instrument_id)

    def instruments(self, *, venue: Venue | None = None) -> list[Instrument]:
        if venue is None:
            return list(self._instruments.values())
        return [i for k, i in self._instruments.items() if k.venue == venue]

    def instrument_ids(self, *, venue: Venue | None = None) -> list[InstrumentId]:
        return [i.instrument_id for i in self.instruments(venue=venue)]

    # -- orders ---------------------------------------------------------------------------

    def order(self, client_order_id: ClientOrderId) -> Order | None:
        return self._orders.orders.get(client_order_id)

    def client_order_id_for(self, venue_order_id: VenueOrderId) -> ClientOrderId | None:
        return self._orders.by_venue_order_id.get(venue_order_id)

    def client_order_ids(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> set[ClientOrderId]:
        return set(self._orders.select(None, venue, instrument_id, strategy_id, side))

    def strategy_id_for_order(self, client_order_id: ClientOrderId) -> StrategyId | None:
        order = self._orders.orders.get(client_order_id)
        return None if order is None else order.strategy_id

    def client_id_for_order(self, client_order_id: ClientOrderId) -> ClientId | None:
        return self._orders.client_ids.get(client_order_id)

    def orders(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> list[Order]:
        store = self._orders
        return store.in_order(store.select(None, venue, instrument_id, strategy_id, side))

    def orders_open(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> list[Order]:
        store = self._orders
        return store.in_order(store.select(store.open, venue, instrument_id, strategy_id, side))

    def orders_closed(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> list[Order]:
        store = self._orders
        return store.in_order(store.select(store.closed, venue, instrument_id, strategy_id, side))

    def orders_inflight(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> list[Order]:
        store = self._orders
        ids = store.select(store.inflight, venue, instrument_id, strategy_id, side)
        return store.in_order(ids)

    def orders_count(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> int:
        return len(self._orders.select(None, venue, instrument_id, strategy_id, side))

    def orders_open_count(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> int:
        store = self._orders
        return len(store.select(store.open, venue, instrument_id, strategy_id, side))

    def orders_closed_count(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> int:
        store = self._orders
        return len(store.select(store.closed, venue, instrument_id, strategy_id, side))

    def orders_inflight_count(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> int:
        store = self._orders
        return len(store.select(store.inflight, venue, instrument_id, strategy_id, side))

    # -- positions ------------------------------------------------------------------------

    def position(self, position_id: PositionId) -> Position | None:
        return self._positions.positions.get(position_id)

    def position_for_order(self, client_order_id: ClientOrderId) -> Position | None:
        store = self._positions
        position_id = store.order_position.get(client_order_id)
        return None if position_id is None else store.positions.get(position_id)

    def position_id_for_order(self, client_order_id: ClientOrderId) -> PositionId | None:
        return self._positions.order_position.get(client_order_id)

    def positions(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: PositionSide | None = None,
    ) -> list[Position]:
        store = self._positions
        return store.in_order(store.select(None, venue, instrument_id, strategy_id, side))

    def positions_open(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: PositionSide | None = None,
    ) -> list[Position]:
        store = self._positions
        return store.in_order(store.select(store.open, venue, instrument_id, strategy_id, side))

    def positions_closed(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: PositionSide | None = None,
    ) -> list[Position]:
        store = self._positions
        return store.in_order(store.select(store.closed, venue, instrument_id, strategy_id, side))

    def positions_count(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: PositionSide | None = None,
    ) -> int:
        return len(self._positions.select(None, venue, instrument_id, strategy_id, side))

    def positions_open_count(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: PositionSide | None = None,
    ) -> int:
        store = self._positions
        return len(store.select(store.open, venue, instrument_id, strategy_id, side))

    def positions_closed_count(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: PositionSide | None = None,
    ) -> int:
        store = self._positions
        return len(store.select(store.closed, venue, instrument_id, strategy_id, side))

    def net_position_raw(
        self, instrument_id: InstrumentId, *, strategy_id: StrategyId | None = None
    ) -> int:
        store = self._positions
        ids = store.select(store.open, None, instrument_id, strategy_id, None)
        positions = store.positions
        return sum(positions[pid].signed_qty_raw for pid in ids)

    # -- accounts -------------------------------------------------------------------------

    def account_state(self, account_id: AccountId) -> AccountState | None:
        history = self._accounts.get(account_id)
        return None if history is None else history[-1]

    def account_states(self, account_id: AccountId) -> list[AccountState]:
        return list(self._accounts.get(account_id, ()))

    def account_id_for_venue(self, venue: Venue) -> AccountId | None:
        # Few accounts per node: a scan beats keeping another index in step.
        for account_id in self._accounts:
            if account_id.issuer == venue.value:
                return account_id
        return None

    def account_ids(self) -> list[AccountId]:
        return list(self._accounts)

    # -- market data ----------------------------------------------------------------------

    def quote_tick(self, instrument_id: InstrumentId, *, index: int = 0) -> QuoteTick | None:
        return _at(self._quotes.get(instrument_id), index)

    def quote_ticks(self, instrument_id: InstrumentId) -> list[QuoteTick]:
        return list(self._quotes.get(instrument_id, ()))

    def trade_tick(self, instrument_id: InstrumentId, *, index: int = 0) -> TradeTick | None:
        return _at(self._trades.get(instrument_id), index)

    def trade_ticks(self, instrument_id: InstrumentId) -> list[TradeTick]:
        return list(self._trades.get(instrument_id, ()))

    def order_book(self, instrument_id: InstrumentId) -> OrderBook | None:
        return self._books.get(instrument_id)

    def mid_price(self, instrument_id: InstrumentId) -> Fraction | None:
        ticks = self._quotes.get(instrument_id)
        return ticks[0].mid_price_exact() if ticks else None

    # -- observability --------------------------------------------------------------------

    def statistics(self) -> CacheStatistics:
        orders = self._orders
        positions = self._positions
        return CacheStatistics(
            instruments=len(self._instruments),
            orders=len(orders.orders),
            orders_open=len(orders.open),
            orders_closed=len(orders.closed),
            orders_inflight=len(orders.inflight),
            positions=len(positions.positions),
            positions_open=len(positions.open),
            positions_closed=len(positions.closed),
            accounts=len(self._accounts),
            account_states=sum(map(len, self._accounts.values())),
            quote_ticks=sum(map(len, self._quotes.values())),
            trade_ticks=sum(map(len, self._trades.values())),
            venue_order_ids=len(orders.by_venue_order_id),
            order_positions=len(positions.order_position),
        )
