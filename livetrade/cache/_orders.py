"""The cache's order store: orders by client order id, plus the indexes queries need.

Status indexes (open, closed, in-flight) are re-derived from ``order.status`` on
every ``update``, so they can never disagree with the order after the dispatcher
applied an event. Key indexes (venue, instrument, strategy, side) are written once
at ``add``: those fields never change during an order's life.

Note that the status sets overlap: PENDING_UPDATE and PENDING_CANCEL orders are
both open (still working at the venue) and in flight (a request awaits an
answer); INITIALIZED and SUBMITTED orders are neither open nor closed.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import final

from livetrade.cache._index import in_added_order, index_add, index_discard, select
from livetrade.model.enums import OrderSide
from livetrade.model.identifiers import (
    ClientId,
    ClientOrderId,
    InstrumentId,
    StrategyId,
    Venue,
    VenueOrderId,
)
from livetrade.model.orders import Order

__all__ = ["OrderStore"]


@final
class OrderStore:
    """Orders and their indexes; the ``Cache`` decides what may be stored."""

    __slots__ = (
        "_next_seq",
        "by_instrument",
        "by_side",
        "by_strategy",
        "by_venue",
        "by_venue_order_id",
        "client_ids",
        "closed",
        "inflight",
        "open",
        "orders",
        "seq",
        "venue_order_ids",
    )

    orders: dict[ClientOrderId, Order]
    seq: dict[ClientOrderId, int]
    client_ids: dict[ClientOrderId, ClientId]
    open: set[ClientOrderId]
    closed: set[ClientOrderId]
    inflight: set[ClientOrderId]
    by_venue: dict[Venue, set[ClientOrderId]]
    by_instrument: dict[InstrumentId, set[ClientOrderId]]
    by_strategy: dict[StrategyId, set[ClientOrderId]]
    by_side: dict[OrderSide, set[ClientOrderId]]
    by_venue_order_id: dict[VenueOrderId, ClientOrderId]
    venue_order_ids: dict[ClientOrderId, list[VenueOrderId]]
    _next_seq: int

    def __init__(self) -> None:
        self.orders = {}
        self.seq = {}
        self.client_ids = {}
        self.open = set()
        self.closed = set()
        self.inflight = set()
        self.by_venue = {}
        self.by_instrument = {}
        self.by_strategy = {}
        self.by_side = {}
        self.by_venue_order_id = {}
        self.venue_order_ids = {}
        self._next_seq = 0

    def add(self, order: Order, client_id: ClientId | None) -> None:
        coid = order.client_order_id
        self.orders[coid] = order
        self.seq[coid] = self._next_seq
        self._next_seq += 1
        if client_id is not None:
            self.client_ids[coid] = client_id
        instrument_id = order.instrument_id
        index_add(self.by_venue, instrument_id.venue, coid)
        index_add(self.by_instrument, instrument_id, coid)
        index_add(self.by_strategy, order.strategy_id, coid)
        index_add(self.by_side, order.side, coid)
        self.update(order)

    def update(self, order: Order) -> None:
        """Re-derive the status sets and the venue order id index from ``order``."""
        coid = order.client_order_id
        status = order.status
        if status.is_open:
            self.open.add(coid)
        else:
            self.open.discard(coid)
        if status.is_closed:
            self.closed.add(coid)
        else:
            self.closed.discard(coid)
        if status.is_inflight:
            self.inflight.add(coid)
        else:
            self.inflight.discard(coid)
        venue_order_id = order.venue_order_id
        if venue_order_id is not None:
            known = self.venue_order_ids.get(coid)
            if known is None:
                self.venue_order_ids[coid] = [venue_order_id]
                self.by_venue_order_id[venue_order_id] = coid
            elif known[-1] != venue_order_id:
                # The venue replaced the id (a modify done as cancel-replace). The
                # old id keeps pointing here, so a late message carrying it still
                # finds the order.
                known.append(venue_order_id)
                self.by_venue_order_id[venue_order_id] = coid

    def remove(self, coid: ClientOrderId) -> Order | None:
        """Drop the order from every index; None if it was not held."""
        order = self.orders.pop(coid, None)
        if order is None:
            return None
        del self.seq[coid]
        self.client_ids.pop(coid, None)
        self.open.discard(coid)
        self.closed.discard(coid)
        self.inflight.discard(coid)
        instrument_id = order.instrument_id
        index_discard(self.by_venue, instrument_id.venue, coid)
        index_discard(self.by_instrument, instrument_id, coid)
        index_discard(self.by_strategy, order.strategy_id, coid)
        index_discard(self.by_side, order.side, coid)
        for venue_order_id in self.venue_order_ids.pop(coid, ()):
            # Another order may have been given the same venue id since (ids are
            # only unique per venue): leave its entry alone.
            if self.by_venue_order_id.get(venue_order_id) == coid:
                del self.by_venue_order_id[venue_order_id]
        return order

    def select(
        self,
        status_set: set[ClientOrderId] | None,
        venue: Venue | None,
        instrument_id: InstrumentId | None,
        strategy_id: StrategyId | None,
        side: OrderSide | None,
    ) -> Collection[ClientOrderId]:
        """Ids in ``status_set`` (all if None) matching every given key; may alias an index."""
        return select(
            self.orders,
            status_set,
            (
                (self.by_venue, venue),
                (self.by_instrument, instrument_id),
                (self.by_strategy, strategy_id),
                (self.by_side, side),
            ),
        )

    def in_order(self, ids: Collection[ClientOrderId]) -> list[Order]:
        """The orders for ``ids``, oldest first, so results do not depend on hashing."""
        return in_added_order(self.orders, ids, self.seq)
