"""Every error livetrade raises, in one tree.

Each class mixes in the builtin it means, so ``except ValueError`` keeps working
for callers that do not know livetrade, and carries the data a program needs
(ids, statuses, key paths) as attributes, not only as text::

    LiveTradeError
    ├── ConfigError (ValueError)             a config file or value is wrong; lists every problem
    ├── InvalidIdentifier (ValueError)       an id string does not have the expected form
    ├── InvalidValue (ValueError)            a price, quantity or money value is malformed
    │   └── CurrencyMismatch                 arithmetic across two currencies
    ├── InvalidInstrument (ValueError)       an instrument definition is inconsistent
    ├── OrderError (ValueError)              an order was asked to do something it cannot
    │   ├── InvalidOrderTransition           event not allowed in the order's current status
    │   ├── OverfillError                    a fill would take filled quantity above the order's
    │   ├── DuplicateFillError               a trade id was already applied to the order
    │   └── OrderEventMismatch               the event belongs to another order or instrument
    ├── PositionError (ValueError)           a fill cannot be applied to a position
    │   ├── PositionDuplicateFill            the trade (id and side) was already applied
    │   └── PositionFillMismatch             the fill is for another instrument/account/id
    ├── LifecycleError (RuntimeError)        an API used in the wrong node state (usage error)
    └── StartupError (RuntimeError)          the node could not start; it has stopped again

Usage errors (wrong state, bad argument) are kept apart from operational ones
(a venue that is down) and from remote faults (a venue that sent nonsense),
which later layers add under the same base.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence


class LiveTradeError(Exception):
    """Base of every error raised on purpose by livetrade."""


class ConfigError(LiveTradeError, ValueError):
    """A configuration could not be loaded; ``problems`` lists every one found.

    Each problem is one line that names the file, the key path, what was
    expected and what was found, so a user can fix them all in one pass.
    """

    def __init__(self, problems: Sequence[str], *, source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        head = f"{source}: " if source else ""
        count = len(self.problems)
        noun = "error" if count == 1 else "errors"
        super().__init__(f"{head}{count} configuration {noun}:\n" + "\n".join(self.problems))


class InvalidIdentifier(LiveTradeError, ValueError):
    """An identifier string is empty or not in the form its type requires."""

    def __init__(self, kind: str, value: object, expected: str) -> None:
        self.kind = kind
        self.value = value
        self.expected = expected
        super().__init__(f"invalid {kind} {value!r}: expected {expected}")


class InvalidValue(LiveTradeError, ValueError):
    """A price, quantity or money value is malformed or out of range."""


class CurrencyMismatch(InvalidValue):
    """Money of two different currencies was combined."""


class InvalidInstrument(LiveTradeError, ValueError):
    """An instrument definition contradicts itself (increment vs precision, limits...)."""


class OrderError(LiveTradeError, ValueError):
    """An order could not apply an event; the order is left exactly as it was."""


class InvalidOrderTransition(OrderError):
    """The event is not allowed from the order's current status."""

    def __init__(self, client_order_id: object, status: object, event: object) -> None:
        self.client_order_id = client_order_id
        self.status = status
        self.event = event
        status_name = getattr(status, "name", status)
        super().__init__(
            f"order {client_order_id}: {type(event).__name__} is not allowed "
            f"in status {status_name}"
        )


class OverfillError(OrderError):
    """A fill would make the filled quantity exceed the order quantity."""

    def __init__(
        self,
        client_order_id: object,
        quantity: object,
        filled_qty: object,
        last_qty: object,
        trade_id: object,
    ) -> None:
        self.client_order_id = client_order_id
        self.quantity = quantity
        self.filled_qty = filled_qty
        self.last_qty = last_qty
        self.trade_id = trade_id
        super().__init__(
            f"order {client_order_id}: overfill by trade {trade_id}: "
            f"filled {filled_qty} + last {last_qty} exceeds quantity {quantity}"
        )


class DuplicateFillError(OrderError):
    """The trade id of a fill was already applied to this order."""

    def __init__(self, client_order_id: object, trade_id: object) -> None:
        self.client_order_id = client_order_id
        self.trade_id = trade_id
        super().__init__(f"order {client_order_id}: trade {trade_id} was already applied")


class OrderEventMismatch(OrderError):
    """The event names another order or instrument than the one it was applied to."""


class PositionError(LiveTradeError, ValueError):
    """A fill cannot be applied to a position (other instrument, zero quantity...)."""


class PositionDuplicateFill(PositionError):
    """A fill with this trade id and side was already applied to the position."""

    def __init__(self, position_id: object, trade_id: object, side: Any) -> None:
        self.position_id = position_id
        self.trade_id = trade_id
        self.side = side
        super().__init__(
            f"position {position_id}: {side.name} trade {trade_id} was already applied"
        )


class PositionFillMismatch(PositionError):
    """The fill names another instrument, account or position id than the position's."""

    def __init__(self, position_id: object, field: str, expected: object, found: object) -> None:
        self.position_id = position_id
        self.field = field
        self.expected = expected
        self.found = found
        super().__init__(f"position {position_id}: fill has {field} {found}, expected {expected}")


class LifecycleError(LiveTradeError, RuntimeError):
    """An operation was called in a node or component state that does not allow it."""


class StartupError(LiveTradeError, RuntimeError):
    """The node could not start (a client did not connect in time, a startup step failed).

    The node has already run its stop path when this is raised: nothing is left running.
    """


class VenueQueryError(LiveTradeError, RuntimeError):
    """A venue did not answer a report query (error, rate limit, outage).

    Reconciliation treats it as *unknown*, never as "the venue has no such
    order": only a definitive answer may resolve an order.
    """
