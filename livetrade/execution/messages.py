"""Commands that flow from strategies to the engines and on to venue clients.

Commands are immutable records. A trading command carries the order's
immutable definition (``OrderInitialized``) or its ids, never the mutable
``Order`` itself, so a client task can hold one safely while the dispatcher
keeps changing the order.
"""

from __future__ import annotations

from enum import Enum, unique

import attrs

from livetrade.model.enums import OrderSide
from livetrade.model.events import OrderInitialized, new_event_id
from livetrade.model.identifiers import (
    ClientId,
    ClientOrderId,
    InstrumentId,
    OrderListId,
    PositionId,
    StrategyId,
    TraderId,
    VenueOrderId,
)
from livetrade.model.quantities import Price, Quantity

__all__ = [
    "CancelAllOrders",
    "CancelOrder",
    "DataCommand",
    "DataType",
    "ModifyOrder",
    "QueryOrder",
    "ShutdownSystem",
    "SubmitOrder",
    "SubmitOrderList",
    "Subscribe",
    "TradingCommand",
    "Unsubscribe",
]


def _command_id() -> str:
    return new_event_id()


@attrs.frozen(kw_only=True)
class TradingCommand:
    """Fields shared by all trading commands; ``client_id`` None = route by venue."""

    trader_id: TraderId
    strategy_id: StrategyId
    instrument_id: InstrumentId
    ts_init: int
    client_id: ClientId | None = None
    command_id: str = attrs.field(factory=_command_id)


@attrs.frozen(kw_only=True)
class SubmitOrder(TradingCommand):
    """Send a new order to its venue."""

    order: OrderInitialized
    position_id: PositionId | None = None


@attrs.frozen(kw_only=True)
class SubmitOrderList(TradingCommand):
    """Send a group of linked orders (a bracket, an OCO pair) together."""

    order_list_id: OrderListId
    orders: tuple[OrderInitialized, ...]
    position_id: PositionId | None = None


@attrs.frozen(kw_only=True)
class ModifyOrder(TradingCommand):
    """Change a working order's quantity, price or trigger price."""

    client_order_id: ClientOrderId
    venue_order_id: VenueOrderId | None = None
    quantity: Quantity | None = None
    price: Price | None = None
    trigger_price: Price | None = None


@attrs.frozen(kw_only=True)
class CancelOrder(TradingCommand):
    """Cancel one working order."""

    client_order_id: ClientOrderId
    venue_order_id: VenueOrderId | None = None


@attrs.frozen(kw_only=True)
class CancelAllOrders(TradingCommand):
    """Cancel every working order of the strategy on the instrument (one side if given)."""

    order_side: OrderSide | None = None


@attrs.frozen(kw_only=True)
class QueryOrder(TradingCommand):
    """Ask the venue for an order's current status."""

    client_order_id: ClientOrderId
    venue_order_id: VenueOrderId | None = None


@unique
class DataType(Enum):
    """The market data streams a strategy can subscribe to."""

    QUOTES = "QUOTES"
    TRADES = "TRADES"
    ORDER_BOOK_DELTAS = "ORDER_BOOK_DELTAS"
    INSTRUMENT = "INSTRUMENT"


@attrs.frozen(kw_only=True)
class DataCommand:
    """Fields shared by subscribe and unsubscribe."""

    data_type: DataType
    instrument_id: InstrumentId
    ts_init: int
    client_id: ClientId | None = None
    command_id: str = attrs.field(factory=_command_id)


@attrs.frozen(kw_only=True)
class Subscribe(DataCommand):
    """Start receiving a data stream from the client for the instrument's venue."""


@attrs.frozen(kw_only=True)
class Unsubscribe(DataCommand):
    """Stop receiving a data stream."""


@attrs.frozen(kw_only=True)
class ShutdownSystem:
    """Ask the node to stop (sent by a strategy or actor); the same path as Ctrl+C."""

    reason: str
    ts_init: int
    requested_by: str = ""
