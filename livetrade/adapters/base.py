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

from collections.abc import Callable
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
    from livetrade.model.identifiers import (
        AccountId,
        ClientId,
        ClientOrderId,
        InstrumentId,
        TraderId,
        Venue,
        VenueOrderId,
    )
    from livetrade.model.reports import (
        ExecutionMassStatus,
        FillReport,
        OrderStatusReport,
        PositionStatusReport,
    )
    from livetrade.node.channels import Inbox

__all__ = ["ClientContext", "DataClient", "ExecutionClient"]


def _ignore_reconnect(client_id: ClientId) -> None:
    """Default for a context built outside a node (tests): nobody to tell."""


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
    #: call with the client's id after its stream dropped and came back (messages may be
    #: lost): the node reconciles that client's orders before trusting them again
    reconnected: Callable[[ClientId], None] = _ignore_reconnect


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

    # -- reports: the venue's own view, for reconciliation ------------------------------------
    #
    # Each query may raise (venue error, rate limit) or be cancelled by the caller's
    # timeout: reconciliation treats both as "unknown", never as "not found". Only a
    # definitive answer ("the venue has no such order") is ``None`` or an empty list.

    async def generate_order_status_reports(
        self,
        *,
        instrument_id: InstrumentId | None = None,
        open_only: bool = False,
        start_ns: int | None = None,
    ) -> list[OrderStatusReport]:
        """The account's orders: open ones always, closed ones updated since ``start_ns``."""
        ...

    async def generate_order_status_report(
        self,
        *,
        instrument_id: InstrumentId,
        client_order_id: ClientOrderId | None = None,
        venue_order_id: VenueOrderId | None = None,
    ) -> OrderStatusReport | None:
        """One order by either id; ``None`` only when the venue says it does not exist."""
        ...

    async def generate_fill_reports(
        self,
        *,
        instrument_id: InstrumentId | None = None,
        venue_order_id: VenueOrderId | None = None,
        start_ns: int | None = None,
    ) -> list[FillReport]:
        """The account's executions since ``start_ns`` (all history when None)."""
        ...

    async def generate_position_status_reports(
        self, *, instrument_id: InstrumentId | None = None
    ) -> list[PositionStatusReport]:
        """The venue's positions (one per instrument on a netting venue)."""
        ...

    async def generate_mass_status(self, lookback_mins: int | None) -> ExecutionMassStatus | None:
        """Orders, fills and positions in one snapshot (startup reconciliation).

        ``lookback_mins`` bounds closed orders and fills (open orders are always
        included); ``None`` asks for everything the venue keeps.
        """
        ...
