"""The maintenance nursery: continuous reconciliation, purging and snapshots.

Theory of operation
-------------------
``Maintenance.run()`` opens one nursery (DESIGN section 3) with one child task
per *enabled* job; a job whose interval is unset (or 0) has no task at all.
The node starts it right after startup reconciliation, once the trader runs.
Every job first runs ``reconciliation_startup_delay_secs`` after ``run()``
started, then every interval after that first run, on a fixed grid (a cycle
that overruns skips the grid points it missed):

======================  ==========================================  ===========================
job                     interval (key)                              does
======================  ==========================================  ===========================
inflight_check          ``inflight_check_interval_ms``              ``checks.inflight``
open_check              ``open_check_interval_secs``                ``checks.open_orders``
position_check          ``position_check_interval_secs``            ``checks.positions``
own_books_audit         ``own_books_audit_interval_secs``           ``checks.own_books``
purge_closed_orders     ``purge_closed_orders_interval_mins``       buffer: ``..._buffer_mins``
purge_closed_positions  ``purge_closed_positions_interval_mins``    buffer: ``..._buffer_mins``
purge_account_events    ``purge_account_events_interval_mins``      ``..._lookback_mins``
prune_recent_fills      60 s                                        trade ids over 60 s old
snapshot_positions      ``snapshot_positions_interval_secs``        every open position
======================  ==========================================  ===========================

Venue queries run in the job's own task (``venue_checks``), never in the
dispatcher. A job cycle that raises is logged and the job goes on at its next
cycle. ``cancel()`` (the node's stop path) cancels the nursery; ``run()``
returns once every job task has ended.

While it runs, maintenance follows the order events on the message bus
(``events.order.*``) to keep, bounded: the trade ids applied in the last 60 s
(``RecentFills``), the last order activity per instrument (for the position
check's threshold), and the per-order check memory, cleared as soon as the
order closes. With ``snapshot_orders`` / ``snapshot_positions`` it publishes
snapshots after each order / position event (``checks.snapshots``).

``on_client_reconnected(client)`` marks the client's orders untrusted (the
checks skip them) and runs a mass-status reconciliation for it (startup's pure
function, applied whole); its orders are checked again once that is applied.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol

import attrs
import trio

from livetrade.clock import NANOS_PER_SECOND
from livetrade.errors import LifecycleError
from livetrade.execution.checks import CheckSettings, OrderTracker, RecentFills
from livetrade.execution.checks.snapshots import (
    order_snapshot,
    order_snapshot_topic,
    position_snapshot,
    position_snapshot_topic,
)
from livetrade.execution.reconciliation import ReconciliationSettings, collect_claims
from livetrade.model.events import OrderEvent, OrderFilled
from livetrade.model.position_events import PositionEvent
from livetrade.node.venue_checks import CheckCounters, VenueChecks

if TYPE_CHECKING:
    from livetrade.adapters.base import ExecutionClient
    from livetrade.model.account import AccountState
    from livetrade.model.identifiers import ClientId, ClientOrderId, InstrumentId, PositionId
    from livetrade.node.kernel import NodeKernel

__all__ = ["Job", "Maintenance", "MaintenanceStatistics", "PurgeSink"]

log = logging.getLogger("livetrade.maintenance")

_NS_PER_MIN: Final = 60 * NANOS_PER_SECOND
RECENT_FILLS_PRUNE_SECS: Final = 60.0


class PurgeSink(Protocol):
    """Where purged state is deleted from the database (``purge_from_database``).

    ``PersistenceService`` implements it; the calls are synchronous and only
    queue the deletes for the persistence writer.
    """

    def delete_orders(self, ids: Iterable[ClientOrderId]) -> None: ...

    def delete_positions(self, ids: Iterable[PositionId]) -> None: ...

    def delete_account_events(self, states: Sequence[AccountState]) -> None: ...


@attrs.frozen
class Job:
    """One maintenance job: its name, its interval in seconds and what a cycle does."""

    name: str
    interval_secs: float
    run: Callable[[], Awaitable[None]] = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class MaintenanceStatistics:
    """What maintenance did so far."""

    #: the enabled jobs, in start order
    jobs: tuple[str, ...]
    #: completed cycles per job
    cycles: dict[str, int]
    #: the venue checks' counters
    checks: CheckCounters
    purged_orders: int
    purged_positions: int
    purged_account_events: int
    snapshots: int
    #: orders with a retry count or a query time, and trade ids in the recent-fills cache
    tracked_orders: int
    recent_fills: int


def _mins(value: int | None) -> int:
    return value or 0


async def _sync(fn: Callable[[], object]) -> None:
    fn()
    await trio.lowlevel.checkpoint()


class Maintenance:
    """The maintenance jobs of one node; see the module docstring.

    Args:
        kernel: the node's kernel (cache, engines, dispatcher, clock, bus).
        purge_sink: receives what was purged, to delete it from the database
            too; used only with ``purge_from_database``.
        query_timeout: bound of each venue query, in seconds (default: the
            node's ``timeout_reconciliation``).
    """

    def __init__(
        self,
        kernel: NodeKernel,
        *,
        purge_sink: PurgeSink | None = None,
        query_timeout: float | None = None,
    ) -> None:
        self._kernel = kernel
        config = kernel.config.exec_engine
        self._config = config
        #: receives what was purged when ``purge_from_database`` is set (settable until run)
        self.purge_sink = purge_sink
        self.settings = CheckSettings.from_config(config)
        self.tracker = OrderTracker()
        self.recent_fills = RecentFills()
        self._activity: dict[InstrumentId, int] = {}
        timeout = kernel.config.timeout_reconciliation if query_timeout is None else query_timeout
        self.checks = VenueChecks(
            kernel,
            settings=self.settings,
            query_timeout=timeout,
            single_query_delay=config.single_order_query_delay_ms / 1000,
            inflight_enabled=config.inflight_check_interval_ms > 0,
            tracker=self.tracker,
            recent_fills=self.recent_fills,
            activity=self._activity,
        )
        self.jobs: tuple[Job, ...] = tuple(self._enabled_jobs())
        self.cycles: dict[str, int] = {job.name: 0 for job in self.jobs}
        self.purged_orders = 0
        self.purged_positions = 0
        self.purged_account_events = 0
        self.snapshots = 0
        #: Trio time at which ``run()`` started (None before)
        self.started_at: float | None = None
        self._scope = trio.CancelScope()
        self._nursery: trio.Nursery | None = None
        self._ran = False
        self._pending: dict[ClientId, ExecutionClient] = {}
        self._reconnecting: set[ClientId] = set()
        self._again: set[ClientId] = set()

    @property
    def query_timeout(self) -> float:
        """Bound of each venue query, in seconds."""
        return self.checks.query_timeout

    @query_timeout.setter
    def query_timeout(self, seconds: float) -> None:
        self.checks.query_timeout = seconds

    # -- the job table -------------------------------------------------------------------------

    def _enabled_jobs(self) -> Iterable[Job]:
        config = self._config
        checks = self.checks
        if config.inflight_check_interval_ms > 0:
            yield Job(
                "inflight_check", config.inflight_check_interval_ms / 1000, checks.inflight_cycle
            )
        if config.open_check_interval_secs:
            yield Job("open_check", config.open_check_interval_secs, checks.open_cycle)
        if config.position_check_interval_secs:
            yield Job("position_check", config.position_check_interval_secs, checks.position_cycle)
        if config.own_books_audit_interval_secs:
            yield Job(
                "own_books_audit",
                config.own_books_audit_interval_secs,
                lambda: _sync(checks.audit_own_books),
            )
        if config.purge_closed_orders_interval_mins:
            yield Job(
                "purge_closed_orders",
                config.purge_closed_orders_interval_mins * 60.0,
                lambda: _sync(self.purge_closed_orders),
            )
        if config.purge_closed_positions_interval_mins:
            yield Job(
                "purge_closed_positions",
                config.purge_closed_positions_interval_mins * 60.0,
                lambda: _sync(self.purge_closed_positions),
            )
        if config.purge_account_events_interval_mins:
            yield Job(
                "purge_account_events",
                config.purge_account_events_interval_mins * 60.0,
                lambda: _sync(self.purge_account_events),
            )
        yield Job(
            "prune_recent_fills", RECENT_FILLS_PRUNE_SECS, lambda: _sync(self.prune_recent_fills)
        )
        if config.snapshot_positions and config.snapshot_positions_interval_secs:
            yield Job(
                "snapshot_positions",
                config.snapshot_positions_interval_secs,
                lambda: _sync(self.snapshot_open_positions),
            )

    # -- running -------------------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Run every enabled job until ``cancel()`` (or the caller's scope) stops them.

        Raises:
            LifecycleError: ``run()`` was already called.
        """
        if self._ran:
            raise LifecycleError("Maintenance.run() was already called; build a new one")
        self._ran = True
        self.checks.scope = self._scope_settings()
        self._subscribe()
        try:
            with self._scope:
                async with trio.open_nursery() as nursery:
                    self._nursery = nursery
                    self.started_at = start = trio.current_time()
                    first = start + self._config.reconciliation_startup_delay_secs
                    for job in self.jobs:
                        nursery.start_soon(self._every, job, first, name=f"maintenance.{job.name}")
                    for client in self._pending.values():
                        self._start_reconnect(client)
                    self._pending.clear()
                    log.info(
                        "maintenance: %s; first runs %gs from now "
                        "(reconciliation_startup_delay_secs)",
                        ", ".join(f"{j.name} every {j.interval_secs:g}s" for j in self.jobs),
                        self._config.reconciliation_startup_delay_secs,
                    )
                    task_status.started()
                    await trio.sleep_forever()
        finally:
            self._nursery = None
            self._unsubscribe()

    def cancel(self) -> None:
        """Stop every job (the node's stop path); also before ``run()``, which then returns."""
        self._scope.cancel()

    async def _every(self, job: Job, first: float) -> None:
        interval = job.interval_secs
        tick = 0
        while True:
            await trio.sleep_until(first + tick * interval)
            try:
                await job.run()
            except Exception:
                log.exception("maintenance job %s failed; it runs again next cycle", job.name)
            self.cycles[job.name] += 1
            now = trio.current_time()
            tick += 1
            while first + tick * interval < now:
                tick += 1  # the cycle overran: skip the grid points it missed

    def _scope_settings(self) -> ReconciliationSettings:
        kernel = self._kernel
        claims, _ = collect_claims(
            (strategy.strategy_id, strategy.config.external_order_claims)
            for strategy in kernel.trader.strategies
        )
        return ReconciliationSettings.from_config(
            self._config, trader_id=kernel.trader_id, external_order_claims=claims
        )

    # -- reconnects ----------------------------------------------------------------------------

    def on_client_reconnected(self, client: ExecutionClient) -> None:
        """``client``'s stream dropped and came back: reconcile it before trusting its orders.

        Synchronous, callable from any task of the node (or the dispatcher). Before
        ``run()`` the reconciliation waits for it; after ``cancel()`` it is ignored.
        """
        self.checks.untrusted.add(client.id)
        if self._nursery is None:
            if not self._ran:
                self._pending[client.id] = client
            return
        self._start_reconnect(client)

    def _start_reconnect(self, client: ExecutionClient) -> None:
        if client.id in self._reconnecting:
            self._again.add(client.id)  # reconcile once more when this one is done
            return
        assert self._nursery is not None
        self._reconnecting.add(client.id)
        self._nursery.start_soon(self._reconnect, client, name=f"maintenance.reconnect.{client.id}")

    async def _reconnect(self, client: ExecutionClient) -> None:
        try:
            while True:
                self._again.discard(client.id)
                await self.checks.reconcile_reconnected(
                    client,
                    lookback_mins=self._config.reconciliation_lookback_mins,
                    retry_delay=self.checks.query_timeout,
                )
                if client.id not in self._again:
                    break
        finally:
            self._reconnecting.discard(client.id)

    # -- what the jobs do (synchronous: they only touch the cache) -------------------------------

    def _now(self) -> int:
        return self._kernel.clock.timestamp_ns()

    def purge_closed_orders(self) -> list[ClientOrderId]:
        """Purge orders closed for ``purge_closed_orders_buffer_mins`` (0 when unset)."""
        config = self._config
        buffer_ns = _mins(config.purge_closed_orders_buffer_mins) * _NS_PER_MIN
        purged = self._kernel.cache.purge_closed_orders(self._now(), buffer_ns)
        for coid in purged:
            self.tracker.clear(coid)
        self.purged_orders += len(purged)
        if purged and config.purge_from_database and self.purge_sink is not None:
            self.purge_sink.delete_orders(purged)
        if purged:
            log.info("purged %d closed orders from memory", len(purged))
        return purged

    def purge_closed_positions(self) -> list[PositionId]:
        """Purge positions closed for ``purge_closed_positions_buffer_mins`` (0 when unset)."""
        config = self._config
        buffer_ns = _mins(config.purge_closed_positions_buffer_mins) * _NS_PER_MIN
        purged = self._kernel.cache.purge_closed_positions(self._now(), buffer_ns)
        self.purged_positions += len(purged)
        if purged and config.purge_from_database and self.purge_sink is not None:
            self.purge_sink.delete_positions(purged)
        if purged:
            log.info("purged %d closed positions from memory", len(purged))
        return purged

    def purge_account_events(self) -> list[AccountState]:
        """Purge account states older than ``purge_account_events_lookback_mins`` (0: unset).

        The latest state of each account is always kept.
        """
        config = self._config
        lookback_ns = _mins(config.purge_account_events_lookback_mins) * _NS_PER_MIN
        purged = self._kernel.cache.purge_account_events(self._now(), lookback_ns)
        self.purged_account_events += len(purged)
        if purged and config.purge_from_database and self.purge_sink is not None:
            self.purge_sink.delete_account_events(purged)
        if purged:
            log.info("purged %d account events from memory", len(purged))
        return purged

    def prune_recent_fills(self) -> int:
        """Drop trade ids applied more than 60 s ago; also forget closed orders' check memory."""
        cache = self._kernel.cache

        def alive(coid: ClientOrderId) -> bool:
            order = cache.order(coid)
            return order is not None and not order.is_closed

        self.tracker.retain(alive)
        return self.recent_fills.prune(self._now())

    def snapshot_open_positions(self) -> int:
        """Publish a snapshot of every open position; returns how many."""
        kernel = self._kernel
        cache, bus, now = kernel.cache, kernel.msgbus, self._now()
        positions = cache.positions_open()
        for position in positions:
            quote = cache.quote_tick(position.instrument_id)
            mark = None if quote is None else quote.mid_price()
            bus.publish(
                position_snapshot_topic(position.strategy_id),
                position_snapshot(position, now, mark),
            )
        self.snapshots += len(positions)
        return len(positions)

    # -- following the bus ---------------------------------------------------------------------

    def _subscribe(self) -> None:
        bus = self._kernel.msgbus
        bus.subscribe("events.order.*", self._on_order_event)
        if self._config.snapshot_positions:
            bus.subscribe("events.position.*", self._on_position_event)

    def _unsubscribe(self) -> None:
        bus = self._kernel.msgbus
        bus.unsubscribe("events.order.*", self._on_order_event)
        bus.unsubscribe("events.position.*", self._on_position_event)

    def _on_order_event(self, event: Any) -> None:
        if not isinstance(event, OrderEvent):
            return
        self._activity[event.instrument_id] = event.ts_init
        if type(event) is OrderFilled:
            self.recent_fills.add(event.trade_id, event.ts_init)
        order = self._kernel.cache.order(event.client_order_id)
        if order is None:
            return
        if order.is_closed:
            self.tracker.clear(order.client_order_id)
        if self._config.snapshot_orders:
            self._kernel.msgbus.publish(
                order_snapshot_topic(order.strategy_id), order_snapshot(order, self._now())
            )
            self.snapshots += 1

    def _on_position_event(self, event: Any) -> None:
        if not isinstance(event, PositionEvent):
            return
        cache = self._kernel.cache
        position = cache.position(event.position_id)
        if position is None:
            return
        quote = cache.quote_tick(position.instrument_id)
        mark = None if quote is None else quote.mid_price()
        self._kernel.msgbus.publish(
            position_snapshot_topic(position.strategy_id),
            position_snapshot(position, self._now(), mark),
        )
        self.snapshots += 1

    # -- observation ---------------------------------------------------------------------------

    def statistics(self) -> MaintenanceStatistics:
        return MaintenanceStatistics(
            jobs=tuple(job.name for job in self.jobs),
            cycles=dict(self.cycles),
            checks=attrs.evolve(self.checks.counters),
            purged_orders=self.purged_orders,
            purged_positions=self.purged_positions,
            purged_account_events=self.purged_account_events,
            snapshots=self.snapshots,
            tracked_orders=len(self.tracker),
            recent_fills=len(self.recent_fills),
        )
