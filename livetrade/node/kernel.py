"""The node's parts wired together: channels, cache, bus, engines, timers, trader.

The kernel builds everything a node needs from a ``NodeConfig`` and implements
``NodeServices``, the API actors and strategies are given. It holds no
lifecycle: ``LiveNode`` decides when things connect, start and stop.

Stream handlers (DESIGN section 2):

=================  ====================================
exec_commands      risk + execution engine (and ``ShutdownSystem``)
exec_events        execution engine
time_events        the fired timer's callback
data_commands      data engine
data_events        data engine
=================  ====================================
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import trio

from livetrade.cache.cache import Cache
from livetrade.data.engine import DataEngine
from livetrade.errors import LifecycleError
from livetrade.execution.engine import ExecutionEngine
from livetrade.execution.messages import ShutdownSystem
from livetrade.msgbus import MessageBus
from livetrade.node.channels import Channels
from livetrade.node.dispatcher import Dispatcher
from livetrade.node.timers import TimerFired, TimerService
from livetrade.risk.engine import RiskEngine
from livetrade.trading.portfolio import Portfolio
from livetrade.trading.trader import Trader

if TYPE_CHECKING:
    from livetrade.clock import ActorClock, Clock
    from livetrade.config.node import NodeConfig
    from livetrade.model.identifiers import TraderId

__all__ = ["NodeKernel"]

log = logging.getLogger("livetrade.node")


class NodeKernel:
    """Everything a node is made of; also the ``NodeServices`` given to actors."""

    def __init__(
        self,
        config: NodeConfig,
        clock: Clock,
        request_stop: Callable[[str], None],
    ) -> None:
        self.config = config
        self.clock = clock
        self._request_stop = request_stop
        self.channels = Channels(
            {
                "exec_commands": config.risk_engine.qsize,
                "exec_events": config.exec_engine.qsize,
                "time_events": config.exec_engine.qsize,
                "data_commands": config.data_engine.qsize,
                "data_events": config.data_engine.qsize,
            }
        )
        self._cache = Cache()
        self._msgbus = MessageBus()
        self.risk_engine = RiskEngine(config.risk_engine, self._cache, clock)
        self._portfolio = Portfolio(self._cache, config.portfolio)
        self.data_engine = DataEngine(self._cache, self._msgbus)
        self.exec_engine = ExecutionEngine(self._cache, self._msgbus, clock, self.risk_engine)
        self.timers = TimerService(clock, self.channels.inbox("time_events"))
        self.trader = Trader(self, self.exec_engine)
        self.dispatcher = Dispatcher(
            self.channels,
            {
                "exec_commands": self._on_exec_command,
                "exec_events": self.exec_engine.process,
                "time_events": _fire_timer,
                "data_commands": self.data_engine.execute,
                "data_events": self.data_engine.process,
            },
            on_error=self._on_engine_error,
        )
        self._exec_commands = self.channels.inbox("exec_commands")
        self._data_commands = self.channels.inbox("data_commands")
        self.task_nursery: trio.Nursery | None = None
        #: more conditions for ``is_quiet`` (the write-ahead gate adds "nothing held")
        self.busy_checks: list[Callable[[], bool]] = []

    # -- NodeServices --------------------------------------------------------------------------

    @property
    def trader_id(self) -> TraderId:
        return self.config.trader_id

    @property
    def cache(self) -> Cache:
        return self._cache

    @property
    def portfolio(self) -> Portfolio:
        return self._portfolio

    @property
    def msgbus(self) -> MessageBus:
        return self._msgbus

    def clock_for(
        self, owner: str, on_error: Callable[[str, object, Exception], None] | None = None
    ) -> ActorClock:
        return self.timers.for_owner(owner, on_error)

    def send_exec_command(self, command: object) -> None:
        self._exec_commands.post(command)

    def send_data_command(self, command: object) -> None:
        self._data_commands.post(command)

    def apply_event(self, event: object) -> None:
        self.exec_engine.process(event)

    def spawn(
        self, fn: Callable[..., Awaitable[object]], *args: object, name: str | None = None
    ) -> None:
        if self.task_nursery is None:
            raise LifecycleError("tasks can be spawned only while the node runs")
        self.task_nursery.start_soon(_logged_task, fn, args, name or repr(fn), name=name)

    # -- stream handlers ---------------------------------------------------------------------

    def _on_exec_command(self, command: object) -> None:
        if isinstance(command, ShutdownSystem):
            who = f" by {command.requested_by}" if command.requested_by else ""
            log.warning("ShutdownSystem requested%s: %s", who, command.reason or "(no reason)")
            self._request_stop(f"ShutdownSystem{who}: {command.reason}".rstrip(": "))
            return
        self.exec_engine.execute(command)

    def _on_engine_error(self, stream: str, item: object, exc: Exception) -> None:
        config = self.config
        stop_on_error = {
            "exec_commands": config.risk_engine.graceful_shutdown_on_exception
            or config.exec_engine.graceful_shutdown_on_exception,
            "exec_events": config.exec_engine.graceful_shutdown_on_exception,
            "time_events": config.exec_engine.graceful_shutdown_on_exception,
            "data_commands": config.data_engine.graceful_shutdown_on_exception,
            "data_events": config.data_engine.graceful_shutdown_on_exception,
        }[stream]
        if stop_on_error:
            self._request_stop(f"engine error in {stream}: {exc!r}")

    def is_quiet(self) -> bool:
        """Nothing queued and no order awaiting its venue: the post-stop grace can end."""
        return (
            self.channels.is_empty()
            and self._cache.orders_inflight_count() == 0
            and not any(busy() for busy in self.busy_checks)
        )


def _fire_timer(item: object) -> None:
    if isinstance(item, TimerFired):
        item()
    else:
        log.error("time-events stream: unexpected item %r (ignored)", item)


async def _logged_task(
    fn: Callable[..., Awaitable[object]], args: tuple[object, ...], name: str
) -> None:
    try:
        await fn(*args)
    except Exception:
        log.exception("task %s failed (the node keeps running)", name)
