"""Actors: user components that react to data, events and time.

An actor is registered with a node, started after startup reconciliation and
stopped first in the stop path. Every hook runs in the node's dispatcher, one at
a time, so hooks may read the cache and send commands without locks; they must
not block. I/O belongs in a task started with ``spawn``.

A hook that raises is logged with the actor id, the hook and the message it was
handling; the actor keeps receiving messages (DESIGN section 8).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import Enum, unique
from typing import TYPE_CHECKING, Any, Protocol

from livetrade.data.engine import topic_for
from livetrade.errors import LifecycleError
from livetrade.execution.messages import DataType, ShutdownSystem, Subscribe, Unsubscribe

if TYPE_CHECKING:
    from livetrade.cache.cache import Cache
    from livetrade.cache.view import CacheView
    from livetrade.clock import ActorClock
    from livetrade.model.data import OrderBookDeltas, QuoteTick, TradeTick
    from livetrade.model.identifiers import ClientId, InstrumentId, TraderId
    from livetrade.model.instruments import Instrument
    from livetrade.msgbus import MessageBus
    from livetrade.trading.portfolio import Portfolio

__all__ = ["Actor", "ComponentState", "NodeServices"]


class NodeServices(Protocol):
    """What a node gives its actors and strategies (implemented by the runtime)."""

    @property
    def trader_id(self) -> TraderId: ...

    @property
    def cache(self) -> Cache: ...

    @property
    def portfolio(self) -> Portfolio: ...

    @property
    def msgbus(self) -> MessageBus: ...

    def clock_for(
        self, owner: str, on_error: Callable[[str, object, Exception], None] | None = None
    ) -> ActorClock: ...

    def send_exec_command(self, command: object) -> None: ...

    def send_data_command(self, command: object) -> None: ...

    def apply_event(self, event: object) -> None:
        """Apply an event the strategy itself concluded (held orders), right now."""
        ...

    def spawn(
        self, fn: Callable[..., Awaitable[object]], *args: object, name: str | None = None
    ) -> None: ...


@unique
class ComponentState(Enum):
    """An actor's life: created, registered with a node, running, stopped."""

    CREATED = "CREATED"
    READY = "READY"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


class Actor:
    """Base class for components: override the ``on_*`` hooks you need."""

    def __init__(self, actor_id: str | None = None) -> None:
        self._id = actor_id or type(self).__name__
        self._services: NodeServices | None = None
        self._clock: ActorClock | None = None
        self.state = ComponentState.CREATED
        self.log = logging.getLogger(f"livetrade.actor.{self._id}")

    # -- identity and services ------------------------------------------------------------

    @property
    def id(self) -> str:
        """The component id (for strategies, the strategy id's value)."""
        return self._id

    @property
    def is_running(self) -> bool:
        return self.state is ComponentState.RUNNING

    @property
    def _node(self) -> NodeServices:
        if self._services is None:
            raise LifecycleError(f"{self.id} is not registered with a node yet")
        return self._services

    @property
    def trader_id(self) -> TraderId:
        return self._node.trader_id

    @property
    def clock(self) -> ActorClock:
        """The node's time plus this actor's timers and alerts."""
        if self._clock is None:
            raise LifecycleError(f"{self.id} is not registered with a node yet")
        return self._clock

    @property
    def cache(self) -> CacheView:
        """Read-only view of the node's cache."""
        return self._node.cache

    @property
    def portfolio(self) -> Portfolio:
        return self._node.portfolio

    @property
    def msgbus(self) -> MessageBus:
        return self._node.msgbus

    # -- hooks (override) -----------------------------------------------------------------

    def on_start(self) -> None:
        """Called once when the trader starts, after startup reconciliation."""

    def on_stop(self) -> None:
        """Called once when the node stops (before the stop policy is applied)."""

    def on_instrument(self, instrument: Instrument) -> None:
        """An instrument this actor subscribed to was added or updated."""

    def on_quote_tick(self, tick: QuoteTick) -> None:
        """A quote for a subscribed instrument."""

    def on_trade_tick(self, tick: TradeTick) -> None:
        """A trade for a subscribed instrument."""

    def on_order_book_deltas(self, deltas: OrderBookDeltas) -> None:
        """Book changes for a subscribed instrument."""

    def on_event(self, event: object) -> None:
        """Any event delivered to this component (called after the specific hook)."""

    # -- lifecycle (called by the trader) -------------------------------------------------

    def register(self, services: NodeServices) -> None:
        """Attach to a node; done by ``LiveNode.add_actor``/``add_strategy``."""
        if self.state is not ComponentState.CREATED:
            raise LifecycleError(f"{self.id} is already registered with a node")
        self._services = services
        self._clock = services.clock_for(self.id, self._hook_failed)
        self.state = ComponentState.READY

    def start(self) -> None:
        if self.state is not ComponentState.READY:
            raise LifecycleError(f"{self.id} cannot start from {self.state.name}")
        self.state = ComponentState.RUNNING
        self._guard("on_start", self.on_start)

    def stop(self) -> None:
        """Run ``on_stop`` and cancel this actor's timers; a no-op unless running."""
        if self.state is not ComponentState.RUNNING:
            return
        self.state = ComponentState.STOPPED
        self._guard("on_stop", self.on_stop)
        self.clock.cancel_timers()

    # -- subscriptions --------------------------------------------------------------------

    def subscribe_quote_ticks(
        self, instrument_id: InstrumentId, client_id: ClientId | None = None
    ) -> None:
        self._subscribe(DataType.QUOTES, instrument_id, self._handle_quote_tick, client_id)

    def unsubscribe_quote_ticks(
        self, instrument_id: InstrumentId, client_id: ClientId | None = None
    ) -> None:
        self._unsubscribe(DataType.QUOTES, instrument_id, self._handle_quote_tick, client_id)

    def subscribe_trade_ticks(
        self, instrument_id: InstrumentId, client_id: ClientId | None = None
    ) -> None:
        self._subscribe(DataType.TRADES, instrument_id, self._handle_trade_tick, client_id)

    def unsubscribe_trade_ticks(
        self, instrument_id: InstrumentId, client_id: ClientId | None = None
    ) -> None:
        self._unsubscribe(DataType.TRADES, instrument_id, self._handle_trade_tick, client_id)

    def subscribe_order_book_deltas(
        self, instrument_id: InstrumentId, client_id: ClientId | None = None
    ) -> None:
        self._subscribe(DataType.ORDER_BOOK_DELTAS, instrument_id, self._handle_deltas, client_id)

    def unsubscribe_order_book_deltas(
        self, instrument_id: InstrumentId, client_id: ClientId | None = None
    ) -> None:
        self._unsubscribe(DataType.ORDER_BOOK_DELTAS, instrument_id, self._handle_deltas, client_id)

    def subscribe_instrument(
        self, instrument_id: InstrumentId, client_id: ClientId | None = None
    ) -> None:
        self._subscribe(DataType.INSTRUMENT, instrument_id, self._handle_instrument, client_id)

    def _subscribe(
        self,
        data_type: DataType,
        instrument_id: InstrumentId,
        handler: Callable[[Any], None],
        client_id: ClientId | None,
    ) -> None:
        self._node.msgbus.subscribe(topic_for(data_type, instrument_id), handler)
        self._data_command(Subscribe, data_type, instrument_id, client_id)

    def _unsubscribe(
        self,
        data_type: DataType,
        instrument_id: InstrumentId,
        handler: Callable[[Any], None],
        client_id: ClientId | None,
    ) -> None:
        self._node.msgbus.unsubscribe(topic_for(data_type, instrument_id), handler)
        self._data_command(Unsubscribe, data_type, instrument_id, client_id)

    def _data_command(
        self,
        kind: type[Subscribe | Unsubscribe],
        data_type: DataType,
        instrument_id: InstrumentId,
        client_id: ClientId | None,
    ) -> None:
        self._node.send_data_command(
            kind(
                data_type=data_type,
                instrument_id=instrument_id,
                client_id=client_id,
                ts_init=self.clock.timestamp_ns(),
            )
        )

    # -- other services -------------------------------------------------------------------

    def shutdown_system(self, reason: str = "") -> None:
        """Ask the node to stop: the same stop path as Ctrl+C."""
        self._node.send_exec_command(
            ShutdownSystem(reason=reason, ts_init=self.clock.timestamp_ns(), requested_by=self.id)
        )

    def spawn(
        self, fn: Callable[..., Awaitable[object]], *args: object, name: str | None = None
    ) -> None:
        """Run ``await fn(*args)`` as a task of the node (for I/O; never block a hook).

        The task is cancelled when the node stops. An exception in it is logged
        and does not stop the node.
        """
        self._node.spawn(fn, *args, name=name or f"{self.id}:{getattr(fn, '__name__', 'task')}")

    # -- guarded dispatch -----------------------------------------------------------------

    def _handle_quote_tick(self, tick: QuoteTick) -> None:
        try:
            self.on_quote_tick(tick)
        except Exception as exc:
            self._hook_failed("on_quote_tick", tick, exc)

    def _handle_trade_tick(self, tick: TradeTick) -> None:
        try:
            self.on_trade_tick(tick)
        except Exception as exc:
            self._hook_failed("on_trade_tick", tick, exc)

    def _handle_deltas(self, deltas: OrderBookDeltas) -> None:
        try:
            self.on_order_book_deltas(deltas)
        except Exception as exc:
            self._hook_failed("on_order_book_deltas", deltas, exc)

    def _handle_instrument(self, instrument: Instrument) -> None:
        try:
            self.on_instrument(instrument)
        except Exception as exc:
            self._hook_failed("on_instrument", instrument, exc)

    def _guard(self, hook: str, fn: Callable[..., object], *args: object) -> None:
        try:
            fn(*args)
        except Exception as exc:
            self._hook_failed(hook, args[0] if args else None, exc)

    def _hook_failed(self, hook: str, message: object, exc: Exception) -> None:
        self.errors += 1
        self.log.error("%s: error in %s handling %r", self.id, hook, message, exc_info=exc)

    errors: int = 0
    """Hook exceptions so far (logged; the actor keeps running)."""
