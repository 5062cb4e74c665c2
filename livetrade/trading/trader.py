"""The trader: the node's actors and strategies, started and stopped together.

Start order is actors, then strategies (so data helpers are ready before the
first order); stop order is the reverse. Stopping a strategy runs its
``on_stop`` and then its ``stop_policy``, whose cancels and closes are
processed during the node's post-stop grace.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from livetrade.errors import LifecycleError
from livetrade.trading.strategy import Strategy

if TYPE_CHECKING:
    from livetrade.execution.engine import ExecutionEngine
    from livetrade.trading.actor import Actor, NodeServices

__all__ = ["Trader"]

log = logging.getLogger(__name__)


class Trader:
    """Owns the registration and lifecycle of actors and strategies."""

    def __init__(self, services: NodeServices, exec_engine: ExecutionEngine) -> None:
        self._services = services
        self._exec_engine = exec_engine
        self._actors: list[Actor] = []
        self._strategies: list[Strategy] = []
        self._ids: set[str] = set()
        self.is_running = False

    @property
    def actors(self) -> list[Actor]:
        return list(self._actors)

    @property
    def strategies(self) -> list[Strategy]:
        return list(self._strategies)

    def add(self, component: Actor) -> None:
        """Register an actor or strategy; ids must be unique within the node."""
        if component.id in self._ids:
            raise LifecycleError(f"a component with id {component.id!r} is already added")
        component.register(self._services)
        self._ids.add(component.id)
        if isinstance(component, Strategy):
            self._strategies.append(component)
            self._exec_engine.register_oms_type(component.strategy_id, component.oms_type)
        else:
            self._actors.append(component)

    def start(self) -> None:
        self.is_running = True
        for component in [*self._actors, *self._strategies]:
            component.start()
        log.info(
            "trader started: %d actors, %d strategies", len(self._actors), len(self._strategies)
        )

    def stop(self) -> None:
        """Stop strategies (then apply their stop policies), then actors."""
        if not self.is_running:
            return
        self.is_running = False
        for strategy in reversed(self._strategies):
            strategy.stop()
            strategy.apply_stop_policy()
        for actor in reversed(self._actors):
            actor.stop()
        log.info("trader stopped")
