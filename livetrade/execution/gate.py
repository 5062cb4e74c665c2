"""Commands held back until their orders are durable (write-ahead), in the order given.

The execution engine hands each client-bound command to the venue client at
once, unless a ``CommandGate`` is set and says to hold it: a submit whose
``OrderInitialized`` is not yet written to the cache database, or any command
given while earlier ones are held (commands reach a client in the order the
strategies gave them, so a cancel never overtakes its submit). The gate's owner
(``livetrade.node.write_ahead``) writes the orders, then posts a
``ReleasedCommand`` back onto the exec-commands stream, so the engine, inside
the dispatcher, is still the only one that calls clients and changes orders.

Pure: no trio, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import attrs

if TYPE_CHECKING:
    from livetrade.model.events import OrderInitialized
    from livetrade.model.orders import Order

__all__ = ["CommandGate", "HeldCommand", "ReleasedCommand"]


@attrs.frozen(slots=True)
class HeldCommand:
    """A client-bound command waiting at the gate."""

    #: the client method to call with ``command`` (``client.submit_order``, ...)
    method: Callable[[object], None]
    command: object
    #: orders rejected locally if the client raises (the submitted ones)
    orders: tuple[Order, ...]
    #: what must be durable before the command leaves (empty: only ordering)
    inits: tuple[OrderInitialized, ...]


@attrs.frozen(slots=True)
class ReleasedCommand:
    """The gate is done with ``held``: send it, or, with ``failure``, reject its orders."""

    held: HeldCommand
    failure: str | None = None


class CommandGate(Protocol):
    def must_hold(self, inits: tuple[OrderInitialized, ...]) -> bool:
        """True if a command needing ``inits`` durable must wait (or earlier ones wait)."""
        ...

    def hold(self, held: HeldCommand) -> None:
        """Take ``held``; it comes back as a ``ReleasedCommand`` on the exec-commands stream."""
        ...

    def released(self) -> None:
        """The engine has handled one ``ReleasedCommand``."""
        ...
