"""The ``Order`` aggregate: built from ``OrderInitialized``, changed only by ``apply``.

An order's status moves through ``livetrade.model.order_status.TRANSITIONS``.
Fills keep three numbers exact: the filled quantity, the leaves quantity
(always ``quantity - filled``, so ``filled + leaves == quantity`` holds in every
status) and the average fill price, kept as the exact sum of ``price * qty``
over fills so ``avg_px`` is an exact ``Fraction``.

``apply`` validates everything before it changes anything: an invalid
transition, an overfill, a trade id applied twice or an event of another order
raises a specific ``OrderError`` and leaves the order untouched.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import Final

from livetrade.errors import (
    DuplicateFillError,
    InvalidOrderTransition,
    InvalidValue,
    OrderError,
    OrderEventMismatch,
    OverfillError,
)
from livetrade.model.enums import (
    ContingencyType,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from livetrade.model.events import (
    OrderAccepted,
    OrderEvent,
    OrderFilled,
    OrderInitialized,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderTriggered,
    OrderUpdated,
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
from livetrade.model.order_status import FILL, PREVIOUS, SAME, TRANSITIONS
from livetrade.model.quantities import FIXED_SCALAR, Price, Quantity, Rounding, round_div

__all__ = ["Order"]

_FILLED: Final = OrderStatus.FILLED
_PARTIALLY_FILLED: Final = OrderStatus.PARTIALLY_FILLED
_PENDING: Final = frozenset({OrderStatus.PENDING_UPDATE, OrderStatus.PENDING_CANCEL})


def _check_terms(init: OrderInitialized) -> None:
    """Reject order terms that no venue could make sense of."""
    order_type = init.order_type
    where = f"order {init.client_order_id}"
    if not init.quantity.is_positive():
        raise InvalidValue(f"{where}: quantity must be positive, got {init.quantity}")
    if order_type.has_price != (init.price is not None):
        need = "requires" if order_type.has_price else "does not take"
        raise InvalidValue(f"{where}: a {order_type.name} order {need} a price")
    if order_type.has_trigger_price != (init.trigger_price is not None):
        need = "requires" if order_type.has_trigger_price else "does not take"
        raise InvalidValue(f"{where}: a {order_type.name} order {need} a trigger price")
    if (init.time_in_force is TimeInForce.GTD) != (init.expire_time_ns is not None):
        raise InvalidValue(f"{where}: expire_time_ns is required for GTD and only for GTD")
    if init.post_only and not order_type.has_price:
        raise InvalidValue(f"{where}: post_only needs a limit price")


class Order:
    """One order's terms, status and fills; the single place its state changes."""

    __slots__ = (
        "_commissions",
        "_fill_notional",
        "_filled_raw",
        "_previous_status",
        "_trade_ids",
        "account_id",
        "client_order_id",
        "contingency_type",
        "events",
        "expire_time_ns",
        "init_event",
        "instrument_id",
        "linked_order_ids",
        "order_list_id",
        "order_type",
        "parent_order_id",
        "position_id",
        "post_only",
        "price",
        "quantity",
        "reduce_only",
        "side",
        "status",
        "strategy_id",
        "tags",
        "time_in_force",
        "trader_id",
        "trigger_price",
        "ts_accepted",
        "ts_init",
        "ts_last",
        "venue_order_id",
    )

    trader_id: TraderId
    strategy_id: StrategyId
    instrument_id: InstrumentId
    client_order_id: ClientOrderId
    venue_order_id: VenueOrderId | None
    account_id: AccountId | None
    position_id: PositionId | None
    side: OrderSide
    order_type: OrderType
    quantity: Quantity
    price: Price | None
    trigger_price: Price | None
    time_in_force: TimeInForce
    expire_time_ns: int | None
    post_only: bool
    reduce_only: bool
    contingency_type: ContingencyType
    order_list_id: OrderListId | None
    linked_order_ids: tuple[ClientOrderId, ...]
    parent_order_id: ClientOrderId | None
    tags: tuple[str, ...]
    status: OrderStatus
    events: list[OrderEvent]
    init_event: OrderInitialized
    ts_init: int
    ts_last: int
    ts_accepted: int | None
    _previous_status: OrderStatus
    _filled_raw: int
    _fill_notional: int
    _trade_ids: set[str]
    _commissions: dict[str, tuple[Currency, int]]

    def __init__(self, init: OrderInitialized) -> None:
        _check_terms(init)
        self.init_event = init
        self.trader_id = init.trader_id
        self.strategy_id = init.strategy_id
        self.instrument_id = init.instrument_id
        self.client_order_id = init.client_order_id
        self.venue_order_id = None
        self.account_id = None
        self.position_id = None
        self.side = init.order_side
        self.order_type = init.order_type
        self.quantity = init.quantity
        self.price = init.price
        self.trigger_price = init.trigger_price
        self.time_in_force = init.time_in_force
        self.expire_time_ns = init.expire_time_ns
        self.post_only = init.post_only
        self.reduce_only = init.reduce_only
        self.contingency_type = init.contingency_type
        self.order_list_id = init.order_list_id
        self.linked_order_ids = init.linked_order_ids
        self.parent_order_id = init.parent_order_id
        self.tags = init.tags
        self.status = OrderStatus.INITIALIZED
        self._previous_status = OrderStatus.INITIALIZED
        self.events = [init]
        self.ts_init = init.ts_init
        self.ts_last = init.ts_event
        self.ts_accepted = None
        self._filled_raw = 0
        self._fill_notional = 0
        self._trade_ids = set()
        self._commissions = {}

    @classmethod
    def from_events(cls, events: Iterable[OrderEvent]) -> Order:
        """Rebuild an order by replaying its events (the first is ``OrderInitialized``)."""
        iterator = iter(events)
        first = next(iterator, None)
        if not isinstance(first, OrderInitialized):
            raise OrderError("an order's first event must be OrderInitialized")
        order = cls(first)
        for event in iterator:
            order.apply(event)
        return order

    # -- derived state -----------------------------------------------------------------

    @property
    def filled_qty(self) -> Quantity:
        """Quantity executed so far."""
        return Quantity.from_raw(self._filled_raw, self.quantity.precision)

    @property
    def leaves_qty(self) -> Quantity:
        """Quantity not (yet) executed: always ``quantity - filled_qty``."""
        return Quantity.from_raw(self.quantity.raw - self._filled_raw, self.quantity.precision)

    @property
    def avg_px(self) -> Fraction | None:
        """The exact volume-weighted average fill price, or None before any fill."""
        if self._filled_raw == 0:
            return None
        return Fraction(self._fill_notional, self._filled_raw * FIXED_SCALAR)

    def avg_px_rounded(self, precision: int, rounding: Rounding = "half_even") -> Price | None:
        """``avg_px`` rounded to ``precision`` decimals, for display and reports."""
        if self._filled_raw == 0:
            return None
        step = 10 ** (9 - precision)
        raw = round_div(self._fill_notional, self._filled_raw * step, rounding) * step
        return Price.from_raw(raw, precision)

    @property
    def trade_ids(self) -> frozenset[TradeId]:
        """Every trade id applied to this order."""
        return frozenset(TradeId(value) for value in self._trade_ids)

    def has_trade(self, trade_id: TradeId) -> bool:
        """True if a fill with ``trade_id`` was applied (reconciliation applies each once)."""
        return trade_id.value in self._trade_ids

    @property
    def commissions(self) -> dict[Currency, Money]:
        """Commission paid per currency over all fills."""
        return {ccy: Money.from_raw(raw, ccy) for ccy, raw in self._commissions.values()}

    @property
    def last_event(self) -> OrderEvent:
        return self.events[-1]

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    @property
    def is_closed(self) -> bool:
        return self.status.is_closed

    @property
    def is_inflight(self) -> bool:
        return self.status.is_inflight

    @property
    def signed_leaves_raw(self) -> int:
        """Leaves quantity (raw) with the sign of the side: what the order may still add."""
        return self.side.sign * (self.quantity.raw - self._filled_raw)

    def __repr__(self) -> str:
        terms = f"{self.side.name} {self.order_type.name} {self.quantity}"
        if self.price is not None:
            terms += f" @ {self.price}"
        if self.trigger_price is not None:
            terms += f" trigger {self.trigger_price}"
        return (
            f"Order({self.client_order_id}, {self.status.name}, {terms}, "
            f"filled={self.filled_qty}/{self.quantity})"
        )

    # -- the one mutator -----------------------------------------------------------------

    def apply(self, event: OrderEvent) -> None:
        """Apply ``event``; raises ``OrderError`` (order unchanged) if it cannot apply."""
        if event.client_order_id.value != self.client_order_id.value:
            raise OrderEventMismatch(
                f"order {self.client_order_id}: got an event for {event.client_order_id}"
            )
        target = TRANSITIONS.get((self.status, type(event)))
        if target is None:
            raise InvalidOrderTransition(self.client_order_id, self.status, event)
        if type(event) is OrderFilled:
            self._apply_fill(event, target)
        else:
            self._apply_other(event, target)
        self.events.append(event)
        self.ts_last = event.ts_event

    def _apply_fill(self, fill: OrderFilled, target: object) -> None:
        if fill.instrument_id.value != self.instrument_id.value or fill.order_side is not self.side:
            raise OrderEventMismatch(
                f"order {self.client_order_id}: fill {fill.trade_id} is for "
                f"{fill.order_side.name} {fill.instrument_id}, not "
                f"{self.side.name} {self.instrument_id}"
            )
        trade_id = fill.trade_id
        if trade_id.value in self._trade_ids:
            raise DuplicateFillError(self.client_order_id, trade_id)
        last_qty = fill.last_qty
        last_raw = last_qty._raw
        if last_raw <= 0:
            raise InvalidValue(f"order {self.client_order_id}: fill {trade_id} has zero quantity")
        filled = self._filled_raw + last_raw
        quantity_raw = self.quantity._raw
        if filled > quantity_raw:
            raise OverfillError(
                self.client_order_id, self.quantity, self.filled_qty, last_qty, trade_id
            )
        # Validated: mutate.
        self._filled_raw = filled
        self._fill_notional += fill.last_px._raw * last_raw
        self._trade_ids.add(trade_id.value)
        commission = fill.commission
        entry = self._commissions.get(commission.currency.code)
        if entry is None:
            self._commissions[commission.currency.code] = (commission.currency, commission._raw)
        else:
            self._commissions[commission.currency.code] = (entry[0], entry[1] + commission._raw)
        self.venue_order_id = fill.venue_order_id
        self.account_id = fill.account_id
        if fill.position_id is not None:
            self.position_id = fill.position_id
        if filled == quantity_raw:
            self.status = _FILLED  # also a LATE_FILL that completes a canceled order
        elif target is FILL:
            if self.status in _PENDING:
                # The modify/cancel request is still outstanding: stay pending, and
                # come back to PARTIALLY_FILLED if the venue refuses the request.
                self._previous_status = _PARTIALLY_FILLED
            else:
                self.status = _PARTIALLY_FILLED

    def _apply_other(self, event: OrderEvent, target: object) -> None:
        event_type = type(event)
        if event_type is OrderUpdated:
            assert isinstance(event, OrderUpdated)
            self._check_update(event)
        elif event_type is OrderTriggered and not self.order_type.has_trigger_price:
            raise OrderEventMismatch(
                f"order {self.client_order_id}: a {self.order_type.name} order cannot trigger"
            )
        # Validated: mutate.
        venue_order_id = getattr(event, "venue_order_id", None)
        if venue_order_id is not None:
            self.venue_order_id = venue_order_id
        account_id = getattr(event, "account_id", None)
        if account_id is not None:
            self.account_id = account_id
        if event_type is OrderAccepted:
            self.ts_accepted = event.ts_event
        elif event_type is OrderUpdated:
            assert isinstance(event, OrderUpdated)
            self.quantity = event.quantity
            if event.price is not None:
                self.price = event.price
            if event.trigger_price is not None:
                self.trigger_price = event.trigger_price

        if target is SAME:
            new_status = self.status
        elif target is PREVIOUS:
            if event_type is OrderAccepted and self._previous_status is OrderStatus.SUBMITTED:
                # The first ack of an order whose cancel or modify is already on its way:
                # that request is still pending; refused, it falls back to ACCEPTED.
                self._previous_status = OrderStatus.ACCEPTED
                new_status = self.status
            else:
                new_status = self._previous_status
        else:
            assert isinstance(target, OrderStatus)
            new_status = target
        if (
            event_type is OrderPendingUpdate or event_type is OrderPendingCancel
        ) and self.status not in _PENDING:
            self._previous_status = self.status
        if (
            event_type is OrderUpdated
            and self._filled_raw
            and self._filled_raw == self.quantity.raw
        ):
            new_status = _FILLED  # reduced to what was already filled
        self.status = new_status

    def _check_update(self, event: OrderUpdated) -> None:
        if event.quantity.raw < self._filled_raw:
            raise OrderError(
                f"order {self.client_order_id}: cannot update quantity to {event.quantity}, "
                f"below the filled {self.filled_qty}"
            )
        if event.quantity.raw <= 0:
            raise InvalidValue(f"order {self.client_order_id}: updated quantity must be positive")
        if event.price is not None and not self.order_type.has_price:
            raise OrderEventMismatch(
                f"order {self.client_order_id}: a {self.order_type.name} order has no price"
            )
        if event.trigger_price is not None and not self.order_type.has_trigger_price:
            raise OrderEventMismatch(
                f"order {self.client_order_id}: a {self.order_type.name} order has no trigger"
            )
