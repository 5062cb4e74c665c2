"""What a strategy manages itself: GTD expiry and contingent (bracket) orders.

``manage_gtd_expiry``: each GTD order gets a time alert at its expire time; if
the order is still open then, the strategy cancels it (some venues do not
support GTD, and the node must not rely on the venue's clock). The alert is
cancelled as soon as the order closes.

``manage_contingent_orders``: after each order event the pure rules of
``livetrade.trading.contingency`` say what to do with the linked orders, and
this class does it: release held children, change quantities, cancel siblings,
deny children that must never be sent. Changes to orders that never left the
node (held children) are applied as local events through the execution engine,
so the cache, the strategy's hooks and the persistence see them like any other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from livetrade.model.enums import OrderStatus, TimeInForce
from livetrade.model.events import OrderDenied, OrderEvent, OrderUpdated
from livetrade.trading.contingency import (
    CancelLinked,
    DenyHeld,
    ModifyQuantity,
    SubmitChild,
    contingent_actions,
)

if TYPE_CHECKING:
    from livetrade.clock import TimeEvent
    from livetrade.model.orders import Order
    from livetrade.model.quantities import Quantity
    from livetrade.trading.strategy import Strategy

__all__ = ["GTD_ALERT_PREFIX", "ManagedOrders"]

GTD_ALERT_PREFIX = "GTD-EXPIRY:"


class ManagedOrders:
    """GTD expiry alerts and contingent-order actions for one strategy."""

    def __init__(self, strategy: Strategy) -> None:
        self._strategy = strategy
        self._config = strategy.config

    def on_submit(self, order: Order) -> None:
        if (
            self._config.manage_gtd_expiry
            and order.time_in_force is TimeInForce.GTD
            and order.expire_time_ns is not None
        ):
            self._strategy.clock.set_time_alert(
                GTD_ALERT_PREFIX + order.client_order_id.value,
                order.expire_time_ns,
                self.on_gtd_alert,
            )

    def on_gtd_alert(self, event: TimeEvent) -> None:
        strategy = self._strategy
        coid = event.name.removeprefix(GTD_ALERT_PREFIX)
        order = next(
            (
                o
                for o in strategy.cache.orders_open(strategy_id=strategy.strategy_id)
                if o.client_order_id.value == coid
            ),
            None,
        )
        if order is None or order.status is OrderStatus.PENDING_CANCEL:
            return
        strategy.log.info("%s: GTD order %s reached its expire time: canceling", strategy.id, coid)
        strategy.cancel_order(order)

    def on_order_event(self, event: OrderEvent) -> None:
        strategy = self._strategy
        order = strategy.cache.order(event.client_order_id)
        if order is None:
            return
        if order.is_closed and order.time_in_force is TimeInForce.GTD:
            strategy.clock.cancel_timer(GTD_ALERT_PREFIX + order.client_order_id.value)
        if self._config.manage_contingent_orders:
            for action in contingent_actions(event, strategy.cache):
                self._do(action)

    def _do(self, action: object) -> None:
        strategy = self._strategy
        cache = strategy.cache
        if isinstance(action, SubmitChild):
            child = cache.order(action.client_order_id)
            if child is None or child.status is not OrderStatus.INITIALIZED:
                return
            self._set_held_quantity(child, action.quantity)
            strategy._send_submit(
                child, child.position_id, cache.client_id_for_order(child.client_order_id)
            )
        elif isinstance(action, ModifyQuantity):
            linked = cache.order(action.client_order_id)
            if linked is None or linked.is_closed:
                return
            if linked.status is OrderStatus.INITIALIZED:
                self._set_held_quantity(linked, action.quantity)
            elif linked.quantity != action.quantity:
                strategy.modify_order(linked, quantity=action.quantity)
        elif isinstance(action, CancelLinked):
            linked = cache.order(action.client_order_id)
            if (linked is not None and linked.is_open) or (
                linked is not None and (linked.status is OrderStatus.INITIALIZED)
            ):
                strategy.log.info(
                    "%s: canceling %s (%s)", strategy.id, linked.client_order_id, action.reason
                )
                strategy.cancel_order(linked)
        elif isinstance(action, DenyHeld):
            held = cache.order(action.client_order_id)
            if held is not None and held.status is OrderStatus.INITIALIZED:
                self._local(held, OrderDenied, reason=action.reason)

    def _set_held_quantity(self, order: Order, quantity: Quantity) -> None:
        if order.quantity != quantity:
            self._local(
                order,
                OrderUpdated,
                quantity=quantity,
                price=order.price,
                trigger_price=order.trigger_price,
            )

    def _local(self, order: Order, event_type: type[OrderEvent], **fields: Any) -> None:
        ts = self._strategy.clock.timestamp_ns()
        self._strategy._node.apply_event(
            event_type(
                trader_id=order.trader_id,
                strategy_id=order.strategy_id,
                instrument_id=order.instrument_id,
                client_order_id=order.client_order_id,
                ts_event=ts,
                ts_init=ts,
                **fields,
            )
        )
