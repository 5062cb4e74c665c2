"""The execution engine: commands to venue clients, venue events to orders and positions.

It runs inside the dispatcher, so it is synchronous and owns every order and
position change. For a command it asks the risk engine, records the local
transition (``OrderSubmitted``, ``OrderPendingUpdate``, ``OrderPendingCancel``)
and hands the command to the client for the venue; for an event from a client
it applies the event to the order, updates the position per the strategy's OMS
type and publishes what happened:

- ``events.order.{strategy_id}``: every order event, after it was applied;
- ``events.position.{strategy_id}``: ``PositionOpened``/``Changed``/``Closed``;
- ``events.account.{account_id}``: account states.

An event the order refuses (an invalid transition, a duplicate trade id, an
overfill) is logged with the event and counted in ``statistics()``, never
applied halfway and never dropped silently. The same holds for an event about
an order the cache does not know (startup reconciliation creates those orders
as ``EXTERNAL``).

``apply_reconciliation`` applies a startup reconciliation result the same way:
its new orders are registered, then each event goes through ``process``, so
orders, positions and bus publications follow exactly as for venue events.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Any

import attrs

from livetrade.errors import LiveTradeError
from livetrade.execution.gate import HeldCommand, ReleasedCommand
from livetrade.execution.messages import (
    CancelAllOrders,
    CancelOrder,
    ModifyOrder,
    QueryOrder,
    SubmitOrder,
    SubmitOrderList,
)
from livetrade.execution.reconciliation.errors import ReconciliationError
from livetrade.model.account import AccountState
from livetrade.model.enums import OmsType, OrderStatus
from livetrade.model.events import (
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    OrderInitialized,
    OrderModifyRejected,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderRejected,
    OrderSubmitted,
)
from livetrade.model.orders import Order
from livetrade.model.position_events import (
    PositionChanged,
    PositionClosed,
    PositionEvent,
    PositionOpened,
)
from livetrade.model.positions import Position, position_id_for

if TYPE_CHECKING:
    from livetrade.adapters.base import ExecutionClient
    from livetrade.cache.cache import Cache
    from livetrade.clock import Clock
    from livetrade.execution.gate import CommandGate
    from livetrade.execution.reconciliation.report import ReconciliationResult
    from livetrade.model.identifiers import (
        ClientId,
        InstrumentId,
        PositionId,
        StrategyId,
        Venue,
    )
    from livetrade.msgbus import MessageBus
    from livetrade.risk.engine import RiskEngine

__all__ = ["ExecutionEngine", "ExecutionEngineStatistics"]

log = logging.getLogger(__name__)


@attrs.frozen
class ExecutionEngineStatistics:
    """Counters for observability and tests."""

    commands: int
    events: int
    denied: int
    #: events not applied, by reason (``invalid transition``, ``unknown order``, ...)
    refused: dict[str, int]


class ExecutionEngine:
    """Routes trading commands to clients and applies their events."""

    def __init__(self, cache: Cache, bus: MessageBus, clock: Clock, risk: RiskEngine) -> None:
        self._cache = cache
        self._bus = bus
        self._clock = clock
        self._risk = risk
        self._clients: dict[ClientId, ExecutionClient] = {}
        self._by_venue: dict[Venue, ExecutionClient] = {}
        self._oms: dict[StrategyId, OmsType] = {}
        self._order_topics: dict[StrategyId, str] = {}
        self.commands = 0
        self.events = 0
        self.denied = 0
        self.refused: Counter[str] = Counter()
        #: holds commands until their orders are durable (write-ahead); None: send at once
        self.gate: CommandGate | None = None

    # -- registration -----------------------------------------------------------------------

    def register_client(self, client: ExecutionClient) -> None:
        if client.id in self._clients:
            raise ValueError(f"execution client {client.id} is already registered")
        self._clients[client.id] = client
        self._by_venue.setdefault(client.venue, client)

    @property
    def clients(self) -> list[ExecutionClient]:
        return list(self._clients.values())

    def register_oms_type(self, strategy_id: StrategyId, oms_type: OmsType) -> None:
        """The strategy's OMS type; UNSPECIFIED means the venue client's default."""
        self._oms[strategy_id] = oms_type

    def client_for(
        self, instrument_id: InstrumentId, client_id: ClientId | None = None
    ) -> ExecutionClient | None:
        if client_id is not None:
            return self._clients.get(client_id)
        return self._by_venue.get(instrument_id.venue)

    # -- commands ---------------------------------------------------------------------------

    def execute(self, command: object) -> None:
        """Handle one trading command from the exec-commands stream."""
        if type(command) is ReleasedCommand:
            self._release(command)
            return
        self.commands += 1
        if isinstance(command, SubmitOrder):
            self._submit(command)
        elif isinstance(command, CancelOrder):
            self._cancel(command)
        elif isinstance(command, ModifyOrder):
            self._modify(command)
        elif isinstance(command, CancelAllOrders):
            self._cancel_all(command)
        elif isinstance(command, SubmitOrderList):
            self._submit_list(command)
        elif isinstance(command, QueryOrder):
            client = self.client_for(command.instrument_id, command.client_id)
            if client is None:
                log.error("no execution client for %s: query dropped", command.instrument_id)
            else:
                self._call(client.query_order, command, [])
        else:
            log.error("execution engine: unexpected command %r (ignored)", command)

    def _submit(self, command: SubmitOrder) -> None:
        order = self._held_order(command.order.client_order_id, "submit")
        if order is None:
            return
        if order.status is not OrderStatus.INITIALIZED:
            log.error("submit %s refused: order is %s, not INITIALIZED", order, order.status.name)
            return
        reason = self._risk.check_submit(command)
        client = self.client_for(command.instrument_id, command.client_id)
        if reason is None and client is None:
            reason = f"no execution client for venue {command.instrument_id.venue}"
        if reason is not None or client is None:
            self._deny(order, reason or "no client")
            return
        self._local(order, OrderSubmitted, account_id=client.account_id)
        self._call(client.submit_order, command, [order], (order.init_event,))

    def _submit_list(self, command: SubmitOrderList) -> None:
        orders: list[Order] = []
        for init in command.orders:
            order = self._held_order(init.client_order_id, "submit")
            if order is None:
                return
            orders.append(order)
        reason = self._risk.check_submit_list(command)
        client = self.client_for(command.instrument_id, command.client_id)
        if reason is None and client is None:
            reason = f"no execution client for venue {command.instrument_id.venue}"
        if reason is not None or client is None:
            for order in orders:
                self._deny(order, reason or "no client")
            return
        for order in orders:
            self._local(order, OrderSubmitted, account_id=client.account_id)
        inits = tuple(order.init_event for order in orders)
        self._call(client.submit_order_list, command, orders, inits)

    def _modify(self, command: ModifyOrder) -> None:
        order = self._held_order(command.client_order_id, "modify")
        if order is None:
            return
        if order.is_closed:
            log.warning("modify %s ignored: order is already %s", order, order.status.name)
            return
        reason = self._risk.check_modify(command)
        if reason is not None:
            self.denied += 1
            self._local(
                order,
                OrderModifyRejected,
                account_id=order.account_id,
                venue_order_id=order.venue_order_id,
                reason=reason,
            )
            return
        client = self.client_for(command.instrument_id, command.client_id)
        if client is None:
            log.error("no execution client for %s: modify %s dropped", command.instrument_id, order)
            return
        self._local(
            order,
            OrderPendingUpdate,
            account_id=order.account_id,
            venue_order_id=order.venue_order_id,
        )
        self._call(client.modify_order, command, [])

    def _cancel(self, command: CancelOrder) -> None:
        order = self._held_order(command.client_order_id, "cancel")
        if order is None:
            return
        if self._cancel_locally(order):
            return
        client = self.client_for(command.instrument_id, command.client_id)
        if client is None:
            log.error("no execution client for %s: cancel %s dropped", command.instrument_id, order)
            return
        if order.status is not OrderStatus.PENDING_CANCEL:
            self._local(
                order,
                OrderPendingCancel,
                account_id=order.account_id,
                venue_order_id=order.venue_order_id,
            )
        self._call(client.cancel_order, command, [])

    def _cancel_all(self, command: CancelAllOrders) -> None:
        instrument_id, strategy_id = command.instrument_id, command.strategy_id
        side = command.order_side
        cache = self._cache
        orders = cache.orders_open(instrument_id=instrument_id, strategy_id=strategy_id, side=side)
        # A submit still awaiting its ack is cancelled too (the venue has it, or will)
        orders += [
            o
            for o in cache.orders_inflight(
                instrument_id=instrument_id, strategy_id=strategy_id, side=side
            )
            if o.status is OrderStatus.SUBMITTED
        ]
        client = self.client_for(command.instrument_id, command.client_id)
        if client is None:
            log.error("no execution client for %s: cancel-all dropped", command.instrument_id)
            return
        for order in orders:
            if order.status is not OrderStatus.PENDING_CANCEL:
                self._local(
                    order,
                    OrderPendingCancel,
                    account_id=order.account_id,
                    venue_order_id=order.venue_order_id,
                )
        self._call(client.cancel_all_orders, command, [])

    def _cancel_locally(self, order: Order) -> bool:
        """Cancel an order that never left the node (a held bracket child); True if done."""
        if order.is_closed:
            log.warning("cancel %s ignored: order is already %s", order, order.status.name)
            return True
        if order.status is OrderStatus.INITIALIZED:
            self._local(order, OrderCanceled)
            return True
        return False

    def _held_order(self, client_order_id: object, action: str) -> Order | None:
        order = self._cache.order(client_order_id)  # type: ignore[arg-type]
        if order is None:
            log.error("%s refused: order %s is not in the cache", action, client_order_id)
        return order

    def _deny(self, order: Order, reason: str) -> None:
        self.denied += 1
        log.warning("order %s denied: %s", order.client_order_id, reason)
        self._local(order, OrderDenied, reason=reason)

    def _call(
        self,
        method: Any,
        command: object,
        orders: list[Order],
        inits: tuple[OrderInitialized, ...] = (),
    ) -> None:
        """Hand ``command`` to a client method, or to the gate when it must wait."""
        gate = self.gate
        if gate is not None and gate.must_hold(inits):
            gate.hold(HeldCommand(method, command, tuple(orders), inits))
            return
        self._send(method, command, orders)

    def _release(self, released: ReleasedCommand) -> None:
        """A held command may go now, or could not be written ahead (its orders are rejected)."""
        if self.gate is not None:
            self.gate.released()
        held = released.held
        if released.failure is None:
            self._send(held.method, held.command, list(held.orders))
            return
        for order in held.orders:
            if order.is_closed:
                continue
            log.error("order %s not sent: %s", order.client_order_id, released.failure)
            self._local(order, OrderRejected, account_id=order.account_id, reason=released.failure)

    def _send(self, method: Any, command: object, orders: list[Order]) -> None:
        """Call the client; a raise there rejects the orders sent."""
        try:
            method(command)
        except Exception as exc:  # a client bug must not stop the dispatcher
            log.exception("execution client failed to take %r", command)
            for order in orders:
                self._local(
                    order,
                    OrderRejected,
                    account_id=order.account_id,
                    reason=f"client error: {exc!r}",
                )

    def _local(self, order: Order, event_type: type[OrderEvent], **fields: Any) -> None:
        """Make, apply and publish an event the node itself concludes."""
        ts = self._clock.timestamp_ns()
        event = event_type(
            trader_id=order.trader_id,
            strategy_id=order.strategy_id,
            instrument_id=order.instrument_id,
            client_order_id=order.client_order_id,
            ts_event=ts,
            ts_init=ts,
            **fields,
        )
        self.process(event)

    # -- events -----------------------------------------------------------------------------

    def process(self, item: object) -> None:
        """Handle one item from the exec-events stream (an order event or account state)."""
        self.events += 1
        if isinstance(item, OrderEvent):
            self._apply(item)
        elif isinstance(item, AccountState):
            self._cache.add_account_state(item)
            self._bus.publish(f"events.account.{item.account_id}", item)
        else:
            self._refuse("unknown item", "execution engine: unknown item %r (skipped)", item)

    def _apply(self, event: OrderEvent) -> None:
        order = self._cache.order(event.client_order_id)
        if order is None:
            self._refuse(
                "unknown order", "event for unknown order %s: %r", event.client_order_id, event
            )
            return
        if isinstance(event, OrderFilled) and order.has_trade(event.trade_id):
            # Venues resend fills (reconnects, duplicated messages): apply each trade once.
            self._refuse(
                "duplicate fill",
                "order %s: fill %s already applied (skipped)",
                order.client_order_id,
                event.trade_id,
            )
            return
        try:
            order.apply(event)
        except LiveTradeError as exc:
            self._refuse(
                type(exc).__name__, "order %s refused %r: %s", order.client_order_id, event, exc
            )
            return
        self._cache.update_order(order)
        position_event = (
            self._update_position(order, event) if isinstance(event, OrderFilled) else None
        )
        self._bus.publish(self._order_topic(event.strategy_id), event)
        if position_event is not None:
            self._bus.publish(f"events.position.{event.strategy_id}", position_event)

    def _order_topic(self, strategy_id: StrategyId) -> str:
        topic = self._order_topics.get(strategy_id)
        if topic is None:
            topic = self._order_topics[strategy_id] = f"events.order.{strategy_id}"
        return topic

    def _update_position(self, order: Order, fill: OrderFilled) -> PositionEvent | None:
        instrument = self._cache.instrument(fill.instrument_id)
        if instrument is None:
            self._refuse(
                "no instrument for position",
                "fill %s of %s applied to the order, but instrument %s is unknown: no position",
                fill.trade_id,
                order.client_order_id,
                fill.instrument_id,
            )
            return None
        position_id = fill.position_id or order.position_id or self._position_id(order, fill)
        position = self._cache.position(position_id)
        try:
            if position is None:
                position = Position.open(instrument, fill, position_id)
                self._cache.add_position(position)
                event_type: type[PositionEvent] = PositionOpened
            else:
                was_open = position.is_open
                position.apply(fill)
                self._cache.update_position(position)
                event_type = (
                    PositionOpened
                    if not was_open
                    else PositionClosed
                    if position.is_closed
                    else PositionChanged
                )
        except LiveTradeError as exc:
            self._refuse(
                type(exc).__name__, "position %s refused fill %r: %s", position_id, fill, exc
            )
            return None
        if order.position_id is None:
            order.position_id = position_id
            self._cache.update_order(order)
        return event_type.of(position, fill)

    def _position_id(self, order: Order, fill: OrderFilled) -> PositionId:
        oms = self._oms.get(order.strategy_id, OmsType.UNSPECIFIED)
        if oms is OmsType.UNSPECIFIED:
            client = self.client_for(order.instrument_id)
            oms = OmsType.NETTING if client is None else client.oms_type
            if oms is OmsType.UNSPECIFIED:
                oms = OmsType.NETTING
        return position_id_for(oms, order.instrument_id, order.strategy_id, order.client_order_id)

    # -- reconciliation ----------------------------------------------------------------------

    def apply_reconciliation(self, result: ReconciliationResult) -> int:
        """Register ``result.new_orders``, then ``process`` each of ``result.events``.

        Everything is checked before anything changes: a new order whose id the
        cache already holds, or an event for an order that is neither held nor
        new, raises ``ReconciliationError`` and nothing is applied. The result
        was computed (and each event tried on a copy of its order) against this
        same cache state, so no event is refused; the number refused anyway is
        returned and logged as an error (0 unless the cache changed in between).
        """
        cache = self._cache
        new_ids: set[object] = set()
        for init in result.new_orders:
            coid = init.client_order_id
            if coid in new_ids or cache.order(coid) is not None:
                raise ReconciliationError(
                    f"reconciliation of {result.client_id}: order {coid} is already in the "
                    "cache; nothing was applied"
                )
            new_ids.add(coid)
        for event in result.events:
            coid = event.client_order_id
            if coid not in new_ids and cache.order(coid) is None:
                raise ReconciliationError(
                    f"reconciliation of {result.client_id}: event {type(event).__name__} for "
                    f"order {coid}, which is neither cached nor new; nothing was applied"
                )
        orders = [Order(init) for init in result.new_orders]
        refused_before = self.refused.total()
        for order in orders:
            cache.add_order(order, client_id=result.client_id)
            self._bus.publish(self._order_topic(order.strategy_id), order.init_event)
        for event in result.events:
            self.process(event)
        refused = self.refused.total() - refused_before
        if refused:
            log.error(
                "reconciliation of %s: %d of %d events were refused while applying "
                "(the cache changed since the result was computed?)",
                result.client_id,
                refused,
                len(result.events),
            )
        return refused

    def _refuse(self, reason: str, message: str, *args: object) -> None:
        self.refused[reason] += 1
        log.warning(message, *args)

    def statistics(self) -> ExecutionEngineStatistics:
        return ExecutionEngineStatistics(
            commands=self.commands,
            events=self.events,
            denied=self.denied,
            refused=dict(self.refused),
        )
