"""The in-memory cache: the node's current state, indexed for the queries engines make.

Theory of operation
-------------------
The dispatcher is the cache's only writer (DESIGN section 2), so there are no
locks and every method is plain and synchronous. The cache holds the live
``Order`` and ``Position`` objects; the dispatcher changes them through their
``apply`` and then calls ``update_order`` / ``update_position`` so the indexes
follow. Queries intersect index sets, so their cost follows the matching set,
not every order ever seen.

The cache is pure: no clock reads (purges take ``ts_now`` in UNIX nanoseconds),
no I/O, no logging. Persistence lives behind ``CacheDatabase`` in ``persistence/``.

Purge rules (each returns what it removed, so the caller can delete it from the
database too):

- an order is purged once it has been closed for at least the buffer, its
  closing time being ``order.ts_last``, unless the position it filled into is
  still open (the position's history needs it);
- a position is purged once it has been flat for at least the buffer;
- an account state is purged once it is at least the lookback old, except the
  latest state of each account, which is always kept.
"""

from __future__ import annotations

from bisect import insort
from collections import deque
from typing import final

from livetrade.cache._orders import OrderStore
from livetrade.cache._positions import PositionStore
from livetrade.cache._reads import CacheReads
from livetrade.cache.view import CacheView
from livetrade.errors import LiveTradeError
from livetrade.model.account import AccountState
from livetrade.model.book import OrderBook
from livetrade.model.data import OrderBookDeltas, QuoteTick, TradeTick
from livetrade.model.identifiers import ClientId, ClientOrderId, PositionId
from livetrade.model.instruments import Instrument
from livetrade.model.orders import Order
from livetrade.model.positions import Position

__all__ = ["Cache", "CacheError"]


class CacheError(LiveTradeError, ValueError):
    """The cache was asked to do something inconsistent (usage error).

    A second order or position under an id it already holds, an update for one
    it does not hold, a purge of something still open, an invalid setting.
    ``key`` is the id concerned (None for a setting).
    """

    def __init__(self, message: str, *, key: object = None) -> None:
        self.key = key
        super().__init__(message)


def _account_ts(state: AccountState) -> int:
    return state.ts_event


@final
class Cache(CacheReads):
    """Instruments, orders, positions, accounts and recent market data, indexed.

    Args:
        tick_capacity: quotes (and, separately, trades) kept per instrument; the
            oldest is dropped when a new one arrives.
    """

    __slots__ = ()

    def __init__(self, *, tick_capacity: int = 10_000) -> None:
        if type(tick_capacity) is not int or tick_capacity <= 0:
            raise CacheError(f"tick_capacity: expected a positive integer, got {tick_capacity!r}")
        self._tick_capacity = tick_capacity
        self.reset()

    def reset(self) -> None:
        """Forget everything (a node reset before a fresh start)."""
        self._instruments = {}
        self._orders = OrderStore()
        self._positions = PositionStore()
        self._accounts = {}
        self._quotes = {}
        self._trades = {}
        self._books = {}

    # -- instruments ----------------------------------------------------------------------

    def add_instrument(self, instrument: Instrument) -> None:
        """Add or replace (a venue may republish a definition) an instrument."""
        self._instruments[instrument.instrument_id] = instrument

    # -- orders ---------------------------------------------------------------------------

    def add_order(self, order: Order, *, client_id: ClientId | None = None) -> None:
        """Start holding ``order``; ``client_id`` names the execution client routing it.

        Raises:
            CacheError: an order with the same client order id is already held
                (client order ids are never reused, so this is a bug upstream).
        """
        coid = order.client_order_id
        if coid in self._orders.orders:
            raise CacheError(f"order {coid} is already in the cache", key=coid)
        self._orders.add(order, client_id)
        if order.position_id is not None:
            self._positions.link(coid, order.position_id)

    def update_order(self, order: Order) -> None:
        """Re-index ``order`` after the dispatcher applied an event to it.

        Raises:
            CacheError: the order is not held (add it first).
        """
        coid = order.client_order_id
        orders = self._orders
        if coid not in orders.orders:
            raise CacheError(f"order {coid} is not in the cache: add_order it first", key=coid)
        orders.orders[coid] = order
        orders.update(order)
        position_id = order.position_id
        if position_id is not None:
            self._positions.link(coid, position_id)

    # -- positions ------------------------------------------------------------------------

    def add_position(self, position: Position) -> None:
        """Start holding ``position`` (opened from its first fill).

        Raises:
            CacheError: a position with the same id is already held; a NETTING
                position that reopens is the same object: ``update_position`` it.
        """
        if position.id in self._positions.positions:
            raise CacheError(f"position {position.id} is already in the cache", key=position.id)
        self._positions.add(position)

    def update_position(self, position: Position) -> None:
        """Re-index ``position`` after the dispatcher applied a fill to it.

        Raises:
            CacheError: the position is not held (add it first).
        """
        pid = position.id
        store = self._positions
        if pid not in store.positions:
            raise CacheError(f"position {pid} is not in the cache: add_position it first", key=pid)
        store.positions[pid] = position
        store.update(position)

    # -- accounts -------------------------------------------------------------------------

    def add_account_state(self, state: AccountState) -> None:
        """Record an account state, kept in ``ts_event`` order (late ones slot in)."""
        history = self._accounts.get(state.account_id)
        if history is None:
            self._accounts[state.account_id] = [state]
        elif history[-1].ts_event <= state.ts_event:
            history.append(state)
        else:
            insort(history, state, key=_account_ts)

    # -- market data: the hot path, so no validation and one deque append ------------

    def add_quote_tick(self, tick: QuoteTick) -> None:
        """Keep ``tick`` as the latest quote; the oldest drops out at ``tick_capacity``."""
        ticks = self._quotes.get(tick.instrument_id)
        if ticks is None:
            ticks = self._quotes[tick.instrument_id] = deque(maxlen=self._tick_capacity)
        ticks.appendleft(tick)

    def add_trade_tick(self, tick: TradeTick) -> None:
        """Keep ``tick`` as the latest trade; the oldest drops out at ``tick_capacity``."""
        ticks = self._trades.get(tick.instrument_id)
        if ticks is None:
            ticks = self._trades[tick.instrument_id] = deque(maxlen=self._tick_capacity)
        ticks.appendleft(tick)

    def apply_book_deltas(self, deltas: OrderBookDeltas) -> OrderBook:
        """Apply ``deltas`` to the instrument's book (created on first use); returns it."""
        book = self._books.get(deltas.instrument_id)
        if book is None:
            book = self._books[deltas.instrument_id] = OrderBook(deltas.instrument_id)
        book.apply(deltas)
        return book

    # -- purging --------------------------------------------------------------------------

    def purge_closed_orders(self, ts_now: int, buffer_ns: int) -> list[ClientOrderId]:
        """Remove orders closed at or before ``ts_now - buffer_ns``; returns their ids.

        An order whose position is still open is kept, whatever its age.
        """
        orders = self._orders.orders
        cutoff = ts_now - buffer_ns
        due = [
            coid
            for coid in self._orders.closed
            if orders[coid].ts_last <= cutoff and not self._in_open_position(coid)
        ]
        due.sort(key=self._orders.seq.__getitem__)
        for coid in due:
            self._remove_order(coid)
        return due

    def purge_order(self, client_order_id: ClientOrderId) -> Order | None:
        """Remove one closed order now (no buffer, no position check); None if not held.

        Raises:
            CacheError: the order is not closed; the engine still needs it.
        """
        order = self._orders.orders.get(client_order_id)
        if order is None:
            return None
        if not order.is_closed:
            raise CacheError(
                f"cannot purge order {client_order_id}: it is {order.status.name}, "
                "only closed orders can be purged",
                key=client_order_id,
            )
        self._remove_order(client_order_id)
        return order

    def purge_closed_positions(self, ts_now: int, buffer_ns: int) -> list[PositionId]:
        """Remove positions flat since at or before ``ts_now - buffer_ns``; returns their ids."""
        store = self._positions
        positions = store.positions
        cutoff = ts_now - buffer_ns
        due = []
        for pid in store.closed:
            ts_closed = positions[pid].ts_closed
            if ts_closed is not None and ts_closed <= cutoff:
                due.append(pid)
        due.sort(key=store.seq.__getitem__)
        for pid in due:
            store.remove(pid)
        return due

    def purge_position(self, position_id: PositionId) -> Position | None:
        """Remove one flat position now (no buffer); None if not held.

        Raises:
            CacheError: the position is open.
        """
        position = self._positions.positions.get(position_id)
        if position is None:
            return None
        if position.is_open:
            raise CacheError(
                f"cannot purge position {position_id}: it is open ({position.side.name})",
                key=position_id,
            )
        self._positions.remove(position_id)
        return position

    def purge_account_events(self, ts_now: int, lookback_ns: int) -> list[AccountState]:
        """Remove account states from at or before ``ts_now - lookback_ns``; returns them.

        The latest state of each account is always kept: it is the account's balance.
        """
        cutoff = ts_now - lookback_ns
        removed: list[AccountState] = []
        for history in self._accounts.values():
            keep_from = 0
            last = len(history) - 1
            while keep_from < last and history[keep_from].ts_event <= cutoff:
                keep_from += 1
            if keep_from:
                removed.extend(history[:keep_from])
                del history[:keep_from]
        return removed

    def _in_open_position(self, coid: ClientOrderId) -> bool:
        position = self.position_for_order(coid)
        return position is not None and position.is_open

    def _remove_order(self, coid: ClientOrderId) -> None:
        self._orders.remove(coid)
        self._positions.unlink_order(coid)


def _satisfies_view(cache: Cache) -> CacheView:
    """Never called: makes mypy check that ``Cache`` implements ``CacheView``."""
    return cache
