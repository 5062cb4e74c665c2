"""Order and position snapshots: immutable copies of state at one moment.

With ``snapshot_orders`` the node publishes an ``OrderSnapshot`` after every
order event, and with ``snapshot_positions`` a ``PositionSnapshot`` after every
position event and, when ``snapshot_positions_interval_secs`` is set, for every
open position at that interval (with the unrealized PnL at the latest quote's
mid when there is one). They go on the message bus under ``snapshots.order.{strategy_id}``
and ``snapshots.position.{strategy_id}``, where a persistence writer or a
monitoring actor can subscribe. A snapshot shares nothing mutable with the
live order or position.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import final

import attrs

from livetrade.model.enums import OrderSide, OrderStatus, OrderType, PositionSide
from livetrade.model.identifiers import (
    ClientOrderId,
    InstrumentId,
    PositionId,
    StrategyId,
    VenueOrderId,
)
from livetrade.model.money import Money
from livetrade.model.orders import Order
from livetrade.model.positions import Position
from livetrade.model.quantities import Price, Quantity

__all__ = [
    "OrderSnapshot",
    "PositionSnapshot",
    "order_snapshot",
    "order_snapshot_topic",
    "position_snapshot",
    "position_snapshot_topic",
]


def order_snapshot_topic(strategy_id: StrategyId) -> str:
    return f"snapshots.order.{strategy_id}"


def position_snapshot_topic(strategy_id: StrategyId) -> str:
    return f"snapshots.position.{strategy_id}"


def _decimal(value: Fraction | None, precision: int) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal(1).scaleb(-precision)
    )


@final
@attrs.frozen(kw_only=True)
class OrderSnapshot:
    """An order's identity, terms, status and fills at ``ts_snapshot``."""

    ts_snapshot: int
    client_order_id: ClientOrderId
    venue_order_id: VenueOrderId | None
    strategy_id: StrategyId
    instrument_id: InstrumentId
    side: OrderSide
    order_type: OrderType
    status: OrderStatus
    quantity: Quantity
    filled_qty: Quantity
    price: Price | None
    trigger_price: Price | None
    #: average fill price (quantised to 9 decimals), None before any fill
    avg_px: Decimal | None
    #: events applied so far, ``OrderInitialized`` included
    event_count: int
    ts_last: int


@final
@attrs.frozen(kw_only=True)
class PositionSnapshot:
    """A position's side, size, prices and PnL at ``ts_snapshot``."""

    ts_snapshot: int
    position_id: PositionId
    strategy_id: StrategyId
    instrument_id: InstrumentId
    side: PositionSide
    quantity: Quantity
    signed_qty: Decimal
    avg_px_open: Decimal
    realized_pnl: Money
    #: at the mark price given (the latest mid), None without one
    unrealized_pnl: Money | None
    ts_opened: int
    ts_last: int
    ts_closed: int | None


def order_snapshot(order: Order, ts_ns: int) -> OrderSnapshot:
    return OrderSnapshot(
        ts_snapshot=ts_ns,
        client_order_id=order.client_order_id,
        venue_order_id=order.venue_order_id,
        strategy_id=order.strategy_id,
        instrument_id=order.instrument_id,
        side=order.side,
        order_type=order.order_type,
        status=order.status,
        quantity=order.quantity,
        filled_qty=order.filled_qty,
        price=order.price,
        trigger_price=order.trigger_price,
        avg_px=_decimal(order.avg_px, 9),
        event_count=len(order.events),
        ts_last=order.ts_last,
    )


def position_snapshot(
    position: Position, ts_ns: int, mark: Price | None = None
) -> PositionSnapshot:
    return PositionSnapshot(
        ts_snapshot=ts_ns,
        position_id=position.id,
        strategy_id=position.strategy_id,
        instrument_id=position.instrument_id,
        side=position.side,
        quantity=position.quantity,
        signed_qty=position.signed_qty,
        avg_px_open=_decimal(position.avg_px_open, 9) or Decimal(0),
        realized_pnl=position.realized_pnl,
        unrealized_pnl=None if mark is None else position.unrealized_pnl(mark),
        ts_opened=position.ts_opened,
        ts_last=position.ts_last,
        ts_closed=position.ts_closed,
    )
