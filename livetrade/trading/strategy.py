"""Strategies: actors that trade.

A strategy owns the orders it submits (they carry its id) and the positions
they open. It builds orders with ``self.order_factory`` and sends them with
``submit_order``; every command goes through the exec-commands stream, so the
risk engine sees it and the strategy's hooks never run re-entrantly in the middle
of a call that sent a command.

Order events reach ``on_order_<kind>`` (``on_order_filled``, ...), then
``on_order_event``, then ``on_event``; position events reach
``on_position_opened``/``changed``/``closed``, then ``on_position_event``, then
``on_event``.

With ``manage_gtd_expiry`` a GTD order is cancelled by the strategy when its
expire time comes (a time alert per order). With ``manage_contingent_orders``
the children of an OTO order are held until the parent fills and OCO/OUO
siblings are cancelled or reduced by the rules in ``livetrade.trading.contingency``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from livetrade.config.strategies import StrategyConfig
from livetrade.errors import LifecycleError
from livetrade.execution.messages import (
    CancelAllOrders,
    CancelOrder,
    ModifyOrder,
    QueryOrder,
    SubmitOrder,
    SubmitOrderList,
)
from livetrade.model import events as ev
from livetrade.model.enums import OmsType, OrderSide, TimeInForce
from livetrade.model.events import OrderEvent, OrderInitialized
from livetrade.model.identifiers import StrategyId
from livetrade.model.orders import Order
from livetrade.model.position_events import (
    PositionChanged,
    PositionClosed,
    PositionEvent,
    PositionOpened,
)
from livetrade.trading.actor import Actor, NodeServices
from livetrade.trading.managed import ManagedOrders
from livetrade.trading.order_factory import OrderFactory, OrderList

if TYPE_CHECKING:
    from livetrade.clock import TimeEvent
    from livetrade.model.identifiers import ClientId, InstrumentId, PositionId
    from livetrade.model.positions import Position
    from livetrade.model.quantities import Price, Quantity

__all__ = ["Strategy"]

_ORDER_HOOKS: dict[type[OrderEvent], str] = {
    ev.OrderInitialized: "on_order_initialized",
    ev.OrderDenied: "on_order_denied",
    ev.OrderSubmitted: "on_order_submitted",
    ev.OrderAccepted: "on_order_accepted",
    ev.OrderRejected: "on_order_rejected",
    ev.OrderCanceled: "on_order_canceled",
    ev.OrderExpired: "on_order_expired",
    ev.OrderTriggered: "on_order_triggered",
    ev.OrderPendingUpdate: "on_order_pending_update",
    ev.OrderPendingCancel: "on_order_pending_cancel",
    ev.OrderModifyRejected: "on_order_modify_rejected",
    ev.OrderCancelRejected: "on_order_cancel_rejected",
    ev.OrderUpdated: "on_order_updated",
    ev.OrderFilled: "on_order_filled",
}
_POSITION_HOOKS: dict[type[PositionEvent], str] = {
    PositionOpened: "on_position_opened",
    PositionChanged: "on_position_changed",
    PositionClosed: "on_position_closed",
}


class Strategy(Actor):
    """Base class for trading strategies; see the module docstring."""

    #: path used when the strategy is built in code without a ``StrategyConfig``
    default_order_id_tag: ClassVar[str] = "000"

    def __init__(self, config: StrategyConfig | None = None) -> None:
        if config is None:
            config = StrategyConfig(
                path=f"{type(self).__module__}:{type(self).__name__}",
                order_id_tag=self.default_order_id_tag,
            )
        self.config = config
        self.strategy_id: StrategyId = config.effective_strategy_id
        super().__init__(self.strategy_id.value)
        self._factory: OrderFactory | None = None
        self._managed: ManagedOrders | None = None
        self._order_topic = ""

    @property
    def params(self) -> dict[str, object]:
        """The ``params`` table of the strategy's TOML entry."""
        return self.config.params

    @property
    def oms_type(self) -> OmsType:
        return self.config.oms_type or OmsType.UNSPECIFIED

    @property
    def order_factory(self) -> OrderFactory:
        if self._factory is None:
            raise LifecycleError(f"{self.id} is not registered with a node yet")
        return self._factory

    # -- lifecycle ------------------------------------------------------------------------

    def register(self, services: NodeServices) -> None:
        super().register(services)
        self._factory = OrderFactory(
            services.trader_id,
            self.strategy_id,
            self.clock,
            order_id_tag=self.config.effective_order_id_tag,
            use_uuid_client_order_ids=self.config.use_uuid_client_order_ids,
        )
        self._managed = ManagedOrders(self)
        bus = services.msgbus
        self._order_topic = f"events.order.{self.strategy_id}"
        bus.subscribe(self._order_topic, self._handle_order_event)
        bus.subscribe(f"events.position.{self.strategy_id}", self._handle_position_event)

    def start(self) -> None:
        # A restarted node never reuses a client order id: resume past the cache's.
        cache = self._node.cache
        self.order_factory.resume_after(cache.client_order_ids())
        self.order_factory.resume_order_lists_after(
            o.order_list_id for o in cache.orders() if o.order_list_id is not None
        )
        super().start()

    def apply_stop_policy(self) -> None:
        """Do what ``stop_policy`` says with this strategy's orders and positions."""
        policy = self.config.stop_policy
        if policy == "leave":
            return
        cache = self._node.cache
        open_orders = cache.orders_open(strategy_id=self.strategy_id)
        # A submit still awaiting its ack is cancelled too: the venue may accept it
        # after the stop, and an order left working there would trade unwatched.
        submitted = [
            o
            for o in cache.orders_inflight(strategy_id=self.strategy_id)
            if o.status.name == "SUBMITTED"
        ]
        open_orders += submitted
        instruments = sorted({o.instrument_id for o in open_orders}, key=str)
        for instrument_id in instruments:
            self.cancel_all_orders(instrument_id)
        held = cache.orders(strategy_id=self.strategy_id)
        for order in held:
            if order.status.name == "INITIALIZED":
                self.cancel_order(order)
        if policy == "cancel_and_flatten":
            self.close_all_positions()
        self.log.info(
            "%s stop policy %s: cancel requested for %d open orders%s",
            self.id,
            policy,
            len(open_orders),
            " and open positions closed at market" if policy == "cancel_and_flatten" else "",
        )

    # -- orders ---------------------------------------------------------------------------

    def submit_order(
        self,
        order: Order | OrderInitialized,
        *,
        position_id: PositionId | None = None,
        client_id: ClientId | None = None,
    ) -> Order:
        """Add ``order`` to the cache and send it (through risk) to its venue."""
        order = self._add_order(order, position_id, client_id)
        self._send_submit(order, position_id, client_id)
        return order

    def submit_order_list(
        self,
        order_list: OrderList,
        *,
        position_id: PositionId | None = None,
        client_id: ClientId | None = None,
    ) -> list[Order]:
        """Submit linked orders; with ``manage_contingent_orders`` only the entry leaves now."""
        orders = [self._add_order(init, position_id, client_id) for init in order_list.orders]
        if self.config.manage_contingent_orders:
            for order in orders:
                if order.parent_order_id is None:
                    self._send_submit(order, position_id, client_id)
            return orders
        self._node.send_exec_command(
            SubmitOrderList(
                **self._command_fields(orders[0].instrument_id, client_id),
                order_list_id=order_list.order_list_id,
                orders=order_list.orders,
                position_id=position_id,
            )
        )
        for order in orders:
            self._managed_orders.on_submit(order)
        return orders

    def _send_submit(
        self, order: Order, position_id: PositionId | None, client_id: ClientId | None
    ) -> None:
        self._node.send_exec_command(
            SubmitOrder(
                **self._command_fields(order.instrument_id, client_id),
                order=order.init_event,
                position_id=position_id,
            )
        )
        self._managed_orders.on_submit(order)

    def _command_fields(
        self, instrument_id: InstrumentId, client_id: ClientId | None
    ) -> dict[str, Any]:
        """The fields every trading command of this strategy shares."""
        return {
            "trader_id": self.trader_id,
            "strategy_id": self.strategy_id,
            "instrument_id": instrument_id,
            "client_id": client_id,
            "ts_init": self.clock.timestamp_ns(),
        }

    def _add_order(
        self,
        order: Order | OrderInitialized,
        position_id: PositionId | None,
        client_id: ClientId | None,
    ) -> Order:
        if isinstance(order, OrderInitialized):
            order = Order(order)
        if order.strategy_id != self.strategy_id:
            raise ValueError(
                f"{self.id} cannot submit {order.client_order_id} of {order.strategy_id}"
            )
        if position_id is not None:
            order.position_id = position_id
        self._node.cache.add_order(order, client_id=client_id)
        self._node.msgbus.publish(self._order_topic, order.init_event)
        return order

    def modify_order(
        self,
        order: Order,
        *,
        quantity: Quantity | None = None,
        price: Price | None = None,
        trigger_price: Price | None = None,
        client_id: ClientId | None = None,
    ) -> None:
        """Ask the venue to change a working order (risk checks apply)."""
        if quantity is None and price is None and trigger_price is None:
            self.log.warning(
                "%s: modify of %s changes nothing; not sent", self.id, order.client_order_id
            )
            return
        self._node.send_exec_command(
            ModifyOrder(
                **self._command_fields(order.instrument_id, client_id),
                client_order_id=order.client_order_id,
                venue_order_id=order.venue_order_id,
                quantity=quantity,
                price=price,
                trigger_price=trigger_price,
            )
        )

    def cancel_order(self, order: Order, *, client_id: ClientId | None = None) -> None:
        self._node.send_exec_command(
            CancelOrder(
                **self._command_fields(order.instrument_id, client_id),
                client_order_id=order.client_order_id,
                venue_order_id=order.venue_order_id,
            )
        )

    def cancel_all_orders(
        self,
        instrument_id: InstrumentId,
        order_side: OrderSide | None = None,
        *,
        client_id: ClientId | None = None,
    ) -> None:
        """Cancel this strategy's open orders on the instrument (one side if given)."""
        self._node.send_exec_command(
            CancelAllOrders(
                **self._command_fields(instrument_id, client_id),
                order_side=order_side,
            )
        )

    def query_order(self, order: Order, *, client_id: ClientId | None = None) -> None:
        self._node.send_exec_command(
            QueryOrder(
                **self._command_fields(order.instrument_id, client_id),
                client_order_id=order.client_order_id,
                venue_order_id=order.venue_order_id,
            )
        )

    def close_position(
        self,
        position: Position,
        *,
        client_id: ClientId | None = None,
        tags: tuple[str, ...] = ("CLOSE",),
    ) -> Order | None:
        """Close an open position with a reduce-only market order; None if already flat."""
        if not position.is_open:
            return None
        init = self.order_factory.market(
            position.instrument_id,
            position.entry.opposite,
            position.quantity,
            time_in_force=TimeInForce.GTC,
            reduce_only=True,
            tags=tags,
        )
        return self.submit_order(init, position_id=position.id, client_id=client_id)

    def close_all_positions(
        self, instrument_id: InstrumentId | None = None, *, client_id: ClientId | None = None
    ) -> list[Order]:
        """Close every open position of this strategy (on one instrument if given)."""
        positions = self._node.cache.positions_open(
            instrument_id=instrument_id, strategy_id=self.strategy_id
        )
        closing = [self.close_position(p, client_id=client_id) for p in positions]
        return [order for order in closing if order is not None]

    # -- hooks (override) -----------------------------------------------------------------

    def on_order_event(self, event: OrderEvent) -> None:
        """Every event of this strategy's orders (after the per-kind hook)."""

    def on_position_event(self, event: PositionEvent) -> None:
        """Every event of this strategy's positions (after the per-kind hook)."""

    def on_order_initialized(self, event: ev.OrderInitialized) -> None: ...
    def on_order_denied(self, event: ev.OrderDenied) -> None: ...
    def on_order_submitted(self, event: ev.OrderSubmitted) -> None: ...
    def on_order_accepted(self, event: ev.OrderAccepted) -> None: ...
    def on_order_rejected(self, event: ev.OrderRejected) -> None: ...
    def on_order_canceled(self, event: ev.OrderCanceled) -> None: ...
    def on_order_expired(self, event: ev.OrderExpired) -> None: ...
    def on_order_triggered(self, event: ev.OrderTriggered) -> None: ...
    def on_order_pending_update(self, event: ev.OrderPendingUpdate) -> None: ...
    def on_order_pending_cancel(self, event: ev.OrderPendingCancel) -> None: ...
    def on_order_modify_rejected(self, event: ev.OrderModifyRejected) -> None: ...
    def on_order_cancel_rejected(self, event: ev.OrderCancelRejected) -> None: ...
    def on_order_updated(self, event: ev.OrderUpdated) -> None: ...
    def on_order_filled(self, event: ev.OrderFilled) -> None: ...
    def on_position_opened(self, event: PositionOpened) -> None: ...
    def on_position_changed(self, event: PositionChanged) -> None: ...
    def on_position_closed(self, event: PositionClosed) -> None: ...

    # -- dispatch -------------------------------------------------------------------------

    @property
    def _managed_orders(self) -> ManagedOrders:
        if self._managed is None:
            raise LifecycleError(f"{self.id} is not registered with a node yet")
        return self._managed

    def _handle_order_event(self, event: OrderEvent) -> None:
        hook = _ORDER_HOOKS.get(type(event))
        if hook is not None:
            self._guard(hook, getattr(self, hook), event)
        self._guard("on_order_event", self.on_order_event, event)
        self._guard("on_event", self.on_event, event)
        if not isinstance(event, OrderInitialized):
            self._managed_orders.on_order_event(event)

    def _handle_position_event(self, event: PositionEvent) -> None:
        hook = _POSITION_HOOKS.get(type(event))
        if hook is not None:
            self._guard(hook, getattr(self, hook), event)
        self._guard("on_position_event", self.on_position_event, event)
        self._guard("on_event", self.on_event, event)

    def _on_gtd_expiry(self, event: TimeEvent) -> None:
        self._managed_orders.on_gtd_alert(event)
