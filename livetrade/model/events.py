"""Order events: one immutable record per status transition of the guide.

Every event names the order it belongs to (trader, strategy, instrument, client
order id), has an ``event_id`` (a UUID4 string), ``ts_event`` (when it happened,
UNIX ns, venue time where known) and ``ts_init`` (when the node created the
record). ``reconciliation`` is true for events generated to align the cache with
a venue rather than received from it.
"""

from __future__ import annotations

import os
import random

import attrs

from livetrade.model.enums import (
    ContingencyType,
    LiquiditySide,
    OrderSide,
    OrderType,
    TimeInForce,
)
from livetrade.model.identifiers import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    OrderListId,
    PositionId,
    StrategyId,
    TradeId,
    TraderId,
    VenueOrderId,
)
from livetrade.model.money import Currency, Money
from livetrade.model.quantities import Price, Quantity

__all__ = [
    "OrderAccepted",
    "OrderCancelRejected",
    "OrderCanceled",
    "OrderDenied",
    "OrderEvent",
    "OrderExpired",
    "OrderFilled",
    "OrderInitialized",
    "OrderModifyRejected",
    "OrderPendingCancel",
    "OrderPendingUpdate",
    "OrderRejected",
    "OrderSubmitted",
    "OrderTriggered",
    "OrderUpdated",
    "new_event_id",
]


_random = random.Random()
os.register_at_fork(after_in_child=_random.seed)  # a forked child must not repeat ids

_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)


def new_event_id() -> str:
    """A fresh UUID4 string for ``event_id``.

    Made from a process-local generator seeded from the OS once (and again after a
    fork) rather than ``uuid.uuid4()``, which reads ``os.urandom`` on every call and
    costs about 2 µs: ids need to be unique, not secret.
    """
    value = (_random.getrandbits(128) & _V4_CLEAR) | _V4_SET
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _ts_init_default(self: OrderEvent) -> int:
    return self.ts_event


@attrs.frozen(kw_only=True)
class OrderEvent:
    """Fields shared by every order event."""

    trader_id: TraderId
    strategy_id: StrategyId
    instrument_id: InstrumentId
    client_order_id: ClientOrderId
    ts_event: int
    ts_init: int = attrs.field(default=attrs.Factory(_ts_init_default, takes_self=True))
    event_id: str = attrs.field(factory=new_event_id)
    reconciliation: bool = False


@attrs.frozen(kw_only=True)
class OrderInitialized(OrderEvent):
    """The order was created by a strategy (or from a venue report); it defines the order."""

    order_side: OrderSide
    order_type: OrderType
    quantity: Quantity
    time_in_force: TimeInForce = TimeInForce.GTC
    price: Price | None = None
    trigger_price: Price | None = None
    expire_time_ns: int | None = None
    post_only: bool = False
    reduce_only: bool = False
    contingency_type: ContingencyType = ContingencyType.NO_CONTINGENCY
    order_list_id: OrderListId | None = None
    linked_order_ids: tuple[ClientOrderId, ...] = ()
    parent_order_id: ClientOrderId | None = None
    tags: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class OrderDenied(OrderEvent):
    """Pre-trade risk refused the order before it left the node."""

    reason: str


@attrs.frozen(kw_only=True)
class OrderSubmitted(OrderEvent):
    """The submit command was sent to the venue; no answer yet."""

    account_id: AccountId


@attrs.frozen(kw_only=True)
class OrderAccepted(OrderEvent):
    """The venue accepted the order and gave it a venue order id."""

    account_id: AccountId
    venue_order_id: VenueOrderId


@attrs.frozen(kw_only=True)
class OrderRejected(OrderEvent):
    """The venue refused the order (or reconciliation concluded it never existed)."""

    account_id: AccountId | None = None
    reason: str = ""
    due_post_only: bool = False


@attrs.frozen(kw_only=True)
class OrderCanceled(OrderEvent):
    """The order stopped working at the venue; fills received so far stay."""

    account_id: AccountId | None = None
    venue_order_id: VenueOrderId | None = None


@attrs.frozen(kw_only=True)
class OrderExpired(OrderEvent):
    """The order reached its time in force limit (GTD expire time, end of DAY)."""

    account_id: AccountId | None = None
    venue_order_id: VenueOrderId | None = None


@attrs.frozen(kw_only=True)
class OrderTriggered(OrderEvent):
    """A stop order's trigger price was reached; a stop-limit now works as a limit."""

    account_id: AccountId | None = None
    venue_order_id: VenueOrderId | None = None


@attrs.frozen(kw_only=True)
class OrderPendingUpdate(OrderEvent):
    """A modify command was sent; the venue has not answered yet."""

    account_id: AccountId | None = None
    venue_order_id: VenueOrderId | None = None


@attrs.frozen(kw_only=True)
class OrderPendingCancel(OrderEvent):
    """A cancel command was sent; the venue has not answered yet."""

    account_id: AccountId | None = None
    venue_order_id: VenueOrderId | None = None


@attrs.frozen(kw_only=True)
class OrderModifyRejected(OrderEvent):
    """The venue refused a modify; the order keeps its previous terms."""

    account_id: AccountId | None = None
    venue_order_id: VenueOrderId | None = None
    reason: str = ""


@attrs.frozen(kw_only=True)
class OrderCancelRejected(OrderEvent):
    """The venue refused a cancel (often because the order already filled)."""

    account_id: AccountId | None = None
    venue_order_id: VenueOrderId | None = None
    reason: str = ""


@attrs.frozen(kw_only=True)
class OrderUpdated(OrderEvent):
    """The order's quantity, price or trigger price changed at the venue."""

    quantity: Quantity
    price: Price | None = None
    trigger_price: Price | None = None
    account_id: AccountId | None = None
    venue_order_id: VenueOrderId | None = None


@attrs.frozen(kw_only=True)
class OrderFilled(OrderEvent):
    """One execution of (part of) the order at the venue."""

    account_id: AccountId
    venue_order_id: VenueOrderId
    trade_id: TradeId
    order_side: OrderSide
    order_type: OrderType
    last_qty: Quantity
    last_px: Price
    currency: Currency
    commission: Money
    liquidity_side: LiquiditySide = LiquiditySide.NO_LIQUIDITY_SIDE
    position_id: PositionId | None = None
