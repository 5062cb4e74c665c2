"""The cache's position store: positions by id, their indexes, and order links.

A position's side changes (a flip, a close), so the open/closed sets and the side
index are re-derived on every ``update``; venue, instrument and strategy are
fixed for a position id and indexed once.

Order links (client order id -> position id) come from two places: the fills a
position holds (each names its order) and ``order.position_id`` when the engine
assigned one. Fills are scanned incrementally: only those appended since the
last update, so an update costs the new fills, not the position's history.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final, final

from livetrade.cache._index import in_added_order, index_add, index_discard, select
from livetrade.model.enums import PositionSide
from livetrade.model.identifiers import (
    ClientOrderId,
    InstrumentId,
    PositionId,
    StrategyId,
    Venue,
)
from livetrade.model.positions import Position

__all__ = ["PositionStore"]

_SIDES: Final = tuple(PositionSide)


@final
class PositionStore:
    """Positions and their indexes; the ``Cache`` decides what may be stored."""

    __slots__ = (
        "_next_seq",
        "by_instrument",
        "by_side",
        "by_strategy",
        "by_venue",
        "closed",
        "fills_linked",
        "open",
        "order_position",
        "position_orders",
        "positions",
        "seq",
    )

    positions: dict[PositionId, Position]
    seq: dict[PositionId, int]
    open: set[PositionId]
    closed: set[PositionId]
    by_venue: dict[Venue, set[PositionId]]
    by_instrument: dict[InstrumentId, set[PositionId]]
    by_strategy: dict[StrategyId, set[PositionId]]
    by_side: dict[PositionSide, set[PositionId]]
    order_position: dict[ClientOrderId, PositionId]
    position_orders: dict[PositionId, set[ClientOrderId]]
    fills_linked: dict[PositionId, int]
    _next_seq: int

    def __init__(self) -> None:
        self.positions = {}
        self.seq = {}
        self.open = set()
        self.closed = set()
        self.by_venue = {}
        self.by_instrument = {}
        self.by_strategy = {}
        self.by_side = {}
        self.order_position = {}
        self.position_orders = {}
        self.fills_linked = {}
        self._next_seq = 0

    def add(self, position: Position) -> None:
        pid = position.id
        self.positions[pid] = position
        self.seq[pid] = self._next_seq
        self._next_seq += 1
        self.fills_linked[pid] = 0
        instrument_id = position.instrument_id
        index_add(self.by_venue, instrument_id.venue, pid)
        index_add(self.by_instrument, instrument_id, pid)
        index_add(self.by_strategy, position.strategy_id, pid)
        index_add(self.by_side, position.side, pid)
        self.update(position)

    def update(self, position: Position) -> None:
        """Re-derive open/closed and side from ``position``; link its new fills' orders."""
        pid = position.id
        if position.is_open:
            self.open.add(pid)
            self.closed.discard(pid)
        else:
            self.closed.add(pid)
            self.open.discard(pid)
        side = position.side
        for other in _SIDES:
            if other is not side:
                index_discard(self.by_side, other, pid)
        index_add(self.by_side, side, pid)
        unlinked = position.fill_count - self.fills_linked[pid]
        if unlinked > 0:
            events = position.events  # the current leg only: new fills are at its end
            for fill in events[max(0, len(events) - unlinked) :]:
                self.link(fill.client_order_id, pid)
            self.fills_linked[pid] = position.fill_count

    def link(self, coid: ClientOrderId, pid: PositionId) -> None:
        """Record that order ``coid`` belongs to position ``pid``."""
        previous = self.order_position.get(coid)
        if previous == pid:
            return
        if previous is not None:
            index_discard(self.position_orders, previous, coid)
        self.order_position[coid] = pid
        index_add(self.position_orders, pid, coid)

    def unlink_order(self, coid: ClientOrderId) -> None:
        pid = self.order_position.pop(coid, None)
        if pid is not None:
            index_discard(self.position_orders, pid, coid)

    def remove(self, pid: PositionId) -> Position | None:
        """Drop the position and its order links; None if it was not held."""
        position = self.positions.pop(pid, None)
        if position is None:
            return None
        del self.seq[pid]
        del self.fills_linked[pid]
        self.open.discard(pid)
        self.closed.discard(pid)
        instrument_id = position.instrument_id
        index_discard(self.by_venue, instrument_id.venue, pid)
        index_discard(self.by_instrument, instrument_id, pid)
        index_discard(self.by_strategy, position.strategy_id, pid)
        index_discard(self.by_side, position.side, pid)
        for coid in self.position_orders.pop(pid, ()):
            del self.order_position[coid]
        return position

    def select(
        self,
        status_set: set[PositionId] | None,
        venue: Venue | None,
        instrument_id: InstrumentId | None,
        strategy_id: StrategyId | None,
        side: PositionSide | None,
    ) -> Collection[PositionId]:
        """Ids in ``status_set`` (all if None) matching every given key; may alias an index."""
        return select(
            self.positions,
            status_set,
            (
                (self.by_venue, venue),
                (self.by_instrument, instrument_id),
                (self.by_strategy, strategy_id),
                (self.by_side, side),
            ),
        )

    def in_order(self, ids: Collection[PositionId]) -> list[Position]:
        """The positions for ``ids``, oldest first, so results do not depend on hashing."""
        return in_added_order(self.positions, ids, self.seq)
