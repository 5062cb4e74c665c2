"""The node's lifecycle states and the moves allowed between them (pure).

``IDLE -> STARTING -> RUNNING -> SHUTTING_DOWN -> STOPPED``. A stop may be
requested in any state before STOPPED: from STARTING (a hanging connect) it goes
straight to SHUTTING_DOWN, and from IDLE (never run) straight to STOPPED.
"""

from __future__ import annotations

from enum import Enum, unique
from typing import Final

from livetrade.errors import LifecycleError

__all__ = ["NodeState", "check_transition"]


@unique
class NodeState(Enum):
    """Where a node is in its life; observable from other tasks and threads."""

    IDLE = "IDLE"  #: built; components may be added
    STARTING = "STARTING"  #: connecting clients, reconciling
    RUNNING = "RUNNING"  #: the trader is started
    SHUTTING_DOWN = "SHUTTING_DOWN"  #: stopping strategies, residual events, disconnect
    STOPPED = "STOPPED"  #: ``run()`` has returned or is about to

    @property
    def accepts_components(self) -> bool:
        """Components, strategies and the cache database can be added only when IDLE."""
        return self is NodeState.IDLE


_ALLOWED: Final[dict[NodeState, frozenset[NodeState]]] = {
    NodeState.IDLE: frozenset({NodeState.STARTING, NodeState.STOPPED}),
    NodeState.STARTING: frozenset({NodeState.RUNNING, NodeState.SHUTTING_DOWN}),
    NodeState.RUNNING: frozenset({NodeState.SHUTTING_DOWN}),
    NodeState.SHUTTING_DOWN: frozenset({NodeState.STOPPED}),
    NodeState.STOPPED: frozenset(),
}


def check_transition(current: NodeState, new: NodeState) -> NodeState:
    """Return ``new`` if the move is allowed, else raise ``LifecycleError``."""
    if new not in _ALLOWED[current]:
        raise LifecycleError(f"node cannot go from {current.name} to {new.name}")
    return new
