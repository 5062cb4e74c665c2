"""What a venue adapter implements: a data client and an execution client.

Theory of operation
-------------------
A client owns its I/O; the node owns its lifetime. ``connect(ctx, nursery)`` is
awaited during start (bounded by ``timeout_connection``); the client starts its
long-lived tasks (socket readers, keep-alives, reconnect loops) in ``nursery``,
which the node cancels after ``disconnect()`` returned or timed out, so a client
can never leave an orphan task behind.

Everything the client learns goes to the node through ``ctx``: market data and
instruments into the data stream, order events, account states and reports into
the execution stream. The node's dispatcher applies them one at a time, so a
client never touches the cache itself.

Commands arrive through plain (synchronous) methods called by the dispatcher.
They must not block: queue the work for one of the client's own tasks (a memory
channel to a writer task is the usual way) and return. An exception from a command
method means the command was not queued; the engine turns it into a rejection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs

if TYPE_CHECKING:
    import trio

    from livetrade.cache.view import CacheView
    from livetrade.clock import Clock
    from livetrade.execution.messages import (
        CancelAllOrders,
        CancelOrder,
        ModifyOrder,
        QueryOrder,
        SubmitOrder,
        SubmitOrderList,
        Subscribe,
        Unsubscribe,
    )
    from livetrade.model.enums import OmsType
    from livetrade.model.identifiers import AccountId, ClientId, TraderId, Venue
    from livetrade.model.reports import ExecutionMassStatus
    from livetrade.node.channels import Inbox

__all__ = ["ClientContext", "DataClient", "ExecutionClient"]


@attrs.frozen(kw_only=True)
class ClientContext:
    """What the node hands a client when it connects.

    ``data`` takes instruments, quotes, trades and book deltas; ``events`` takes
    order events, account states and reports. Use ``await inbox.send(item)`` from
    a task (it waits when the node is behind: backpressure, never a drop) or
    ``inbox.send_nowait(item)`` from synchronous code.
    """

    trader_id: TraderId
    clock: Clock
    cache: CacheView
    data: Inbox[object]
    events: Inbox[object]


@runtime_checkable
class DataClient(Protocol):
    """A source of market data and instruments for one venue (or several)."""

    @property
    def id(self) -> ClientId: ...

    @property
    def venue(self) -> Venue | None:
        """The venue this client serves, or None for a multi-venue client."""
        ...

    async def connect(self, ctx: ClientContext, nursery: trio.Nursery) -> None:
        """Connect and publish the client's instruments into ``ctx.data``."""
        ...

    async def disconnect(self) -> None: ...

    def subscribe(self, command: Subscribe) -> None: ...

    def unsubscribe(self, command: Unsubscribe) -> None: ...


@runtime_checkable
class ExecutionClient(Protocol):
    """Order entry and account state for one venue account."""

    @property
    def id(self) -> ClientId: ...

    @property
    def venue(self) -> Venue: ...

    @property
    def account_id(self) -> AccountId: ...

    @property
    def oms_type(self) -> OmsType:
        """The venue's position model, used for strategies that do not set one."""
        ...

    async def connect(self, ctx: ClientContext, nursery: trio.Nursery) -> None:
        """Connect; instruments from the data clients are already in ``ctx.cache``."""
        ...

    async def disconnect(self) -> None: ...

    def submit_order(self, command: SubmitOrder) -> None: ...

    def submit_order_list(self, command: SubmitOrderList) -> None: ...

    def modify_order(self, command: ModifyOrder) -> None: ...

    def cancel_order(self, command: CancelOrder) -> None: ...

    def cancel_all_orders(self, command: CancelAllOrders) -> None: ...

    def query_order(self, command: QueryOrder) -> None: ...

    async def generate_mass_status(self, lookback_mins: int | None) -> ExecutionMassStatus | None:
        """Everything the venue knows about the account (startup reconciliation)."""
        ...
