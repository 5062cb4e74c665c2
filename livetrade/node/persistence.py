"""The node's cache database and bus stream: load at start, record events, flush at stop.

Where it sits in the node (DESIGN sections 3, 4 and 7):

- start, before any client connects: ``open`` opens the database (clearing this
  node's rows with ``flush_on_start``) and rebuilds the cache from it, so the
  order factory resumes past stored ids and reconciliation only fills the gap.
  A database that cannot be opened fails the start with a message naming it;
- ``start_tasks``: the writer task, the write-ahead gate and the bus streamer,
  in the node's root nursery;
- while running: the dispatcher calls ``record`` through bus subscriptions
  (``events.order.*``, ``events.position.*``, ``events.account.*`` and
  instruments) -- synchronous appends, never a wait on the database;
- stop, last step: ``close`` hands back commands still held at the gate (their
  orders are rejected), then a final flush shielded from cancellation and
  bounded by the database's ``timeout``; what could not be written is logged
  and kept in ``close_report``.

``LiveNode(..., cache_database=...)`` replaces the configured backend (tests pass
a ``MemoryDatabase`` sharing a ``MemoryStore`` between two nodes to restart under
``MockClock``); the write-ahead gate is then on as for a durable database. A
SQLite database with no ``path`` (a config built in code rather than loaded
from a file, which places it next to the file) means no cache database at all,
with a warning: nothing of that node survives a restart, and it pays nothing for
recording (a memory backend would encode every event for nobody).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import trio

from livetrade.errors import StartupError
from livetrade.model.enums import OrderStatus
from livetrade.model.events import OrderInitialized, OrderSubmitted
from livetrade.node.write_ahead import WriteAheadGate
from livetrade.persistence.errors import PersistenceError
from livetrade.persistence.service import CloseReport, LoadReport, PersistenceService

if TYPE_CHECKING:
    from livetrade.config.node import NodeConfig
    from livetrade.node.kernel import NodeKernel
    from livetrade.persistence.database import CacheDatabase
    from livetrade.persistence.streamer import BusStreamer

__all__ = ["NodePersistence"]

log = logging.getLogger("livetrade.node")

#: what the cache database records, as message-bus subscriptions
RECORDED_TOPICS = ("events.order.*", "events.position.*", "events.account.*", "data.instrument.*")
#: the bus streamer streams every family of topics the node publishes, one stream per
#: family with ``stream_per_topic``; ``types_filter`` leaves message types out
STREAMED_TOPICS = (
    "events.order.*",
    "events.position.*",
    "events.account.*",
    "snapshots.order.*",
    "snapshots.position.*",
    "data.instrument.*",
    "data.quotes.*",
    "data.trades.*",
    "data.book.deltas.*",
)


class NodePersistence:
    """Owns the node's ``PersistenceService``, its write-ahead gate and its bus streamer."""

    def __init__(self, kernel: NodeKernel, database: CacheDatabase | None = None) -> None:
        self._kernel = kernel
        config = kernel.config
        self._injected = database is not None
        self.service: PersistenceService | None = None
        self.gate: WriteAheadGate | None = None
        self.streamer: BusStreamer | None = None
        #: what the start loaded into the cache (None before, or without a database)
        self.load_report: LoadReport | None = None
        #: how the final flush went (None before the stop)
        self.close_report: CloseReport | None = None
        self._config_error: str | None = None
        try:
            self.service = _service_for(config, database)
            self.streamer = _streamer_for(config, kernel)
        except PersistenceError as exc:
            self._config_error = str(exc)

    # -- start ------------------------------------------------------------------------------------

    async def open(self) -> None:
        """Open the database and rebuild the cache from it (before clients connect).

        Raises:
            StartupError: the settings cannot work, or the database cannot be opened
                (unreachable, or written by another format version); names the database.
        """
        if self._config_error is not None:
            raise StartupError(f"cache database: {self._config_error}")
        service = self.service
        if service is None:
            return
        config = self._kernel.config.cache
        try:
            await service.open(flush_on_start=config.flush_on_start)
        except PersistenceError as exc:
            raise StartupError(f"cache database could not be opened: {exc}") from exc
        kernel = self._kernel
        report = service.load_into(kernel.cache)
        self.load_report = report
        for problem in report.problems:
            log.warning("cache database %s: %s", service.database.name, problem)
        log.info(
            "cache database %s: loaded %d orders, %d positions, %d account states, %d instruments",
            service.database.name,
            report.orders,
            report.positions,
            report.account_states,
            report.instruments,
        )
        bus = kernel.msgbus
        for topic in RECORDED_TOPICS:
            bus.subscribe(topic, self._record)
        self._resume_unsent()
        # (a SQLite database without a path has no service: open returned above)
        if config.write_ahead and (self._injected or config.database.type != "memory"):
            self.gate = WriteAheadGate(service, kernel.channels.inbox("exec_commands").post)
            kernel.exec_engine.gate = self.gate

    def _resume_unsent(self) -> None:
        """Loaded INITIALIZED orders are taken as in flight (SUBMITTED) until the venue answers.

        Such an order was written (ahead of its submit, or as a strategy's order not
        yet sent) and then the node stopped: whether its submit left is unknown, and
        nothing in this process will ever send it. As SUBMITTED, reconciliation
        applies what the venue reports for it, or reports it missing and the in-flight
        checks query the venue; only a definitive "not found" resolves it (REJECTED).
        """
        kernel = self._kernel
        cache, engine, now = kernel.cache, kernel.exec_engine, kernel.clock.timestamp_ns()
        for order in cache.orders():
            if order.status is not OrderStatus.INITIALIZED:
                continue
            coid = order.client_order_id
            client = engine.client_for(order.instrument_id, cache.client_id_for_order(coid))
            if client is None:
                log.warning("loaded order %s is INITIALIZED and has no execution client", coid)
                continue
            log.warning(
                "loaded order %s is INITIALIZED: its submit may have left before the node "
                "stopped, so it is in flight (SUBMITTED) until %s answers",
                coid,
                client.id,
            )
            engine.process(
                OrderSubmitted(
                    trader_id=order.trader_id,
                    strategy_id=order.strategy_id,
                    instrument_id=order.instrument_id,
                    client_order_id=coid,
                    account_id=client.account_id,
                    ts_event=now,
                    ts_init=now,
                )
            )

    def _record(self, item: object) -> None:
        service = self.service
        assert service is not None
        if type(item) is OrderInitialized:
            cache = self._kernel.cache
            order = cache.order(item.client_order_id)
            if order is not None:
                client_id = cache.client_id_for_order(item.client_order_id)
                service.record_order(order, client_id=client_id)
                return
        service.record(item)  # type: ignore[arg-type]

    async def start_tasks(self, nursery: trio.Nursery) -> None:
        """The writer, the write-ahead gate and the bus streamer, as children of ``nursery``."""
        if self.service is not None:
            await nursery.start(self.service.run)
        if self.gate is not None:
            await nursery.start(self.gate.run)
        if self.streamer is not None:
            self.streamer.attach(self._kernel.msgbus)
            await nursery.start(self.streamer.run)

    @property
    def busy(self) -> bool:
        """Commands wait at the write-ahead gate (the stop's quiet wait includes them)."""
        return self.gate is not None and self.gate.busy

    # -- stop -------------------------------------------------------------------------------------

    def abandon_held(self) -> None:
        """Reject, through the engine, the orders of commands still held at the gate."""
        if self.gate is not None:
            count = self.gate.abandon("node stopped before the order could be written ahead")
            if count:
                log.error("%d commands held for write-ahead were not sent (node stopping)", count)

    async def close(self) -> CloseReport | None:
        """The final flush (shielded, bounded by the database's ``timeout``), then close."""
        if self.streamer is not None:
            self.streamer.detach(self._kernel.msgbus)
            self.streamer.stop()
        service = self.service
        if service is None:
            return None
        report = await service.close(self._kernel.config.cache.database.timeout)
        self.close_report = report
        log.info(
            "cache database %s: %d records written at stop, %d not written",
            report.database,
            report.written,
            len(report.unwritten),
        )
        return report


def _service_for(config: NodeConfig, database: CacheDatabase | None) -> PersistenceService | None:
    cache = config.cache
    if database is not None:
        return PersistenceService(
            database,
            buffer_interval_ms=cache.buffer_interval_ms,
            write_ahead_timeout=cache.database.timeout,
        )
    if cache.database.type == "sqlite" and cache.database.path is None:
        log.warning(
            "cache.database is SQLite without a path (a config built in code): nothing is "
            "persisted, so nothing survives a restart; set cache.database.path"
        )
        return None
    return PersistenceService.from_config(
        cache, trader_id=config.trader_id, instance_id=config.instance_id
    )


def _streamer_for(config: NodeConfig, kernel: NodeKernel) -> BusStreamer | None:
    bus = config.message_bus
    if bus.database is None:
        return None
    try:
        from livetrade.persistence.streamer import BusStreamer
    except ImportError as exc:
        raise PersistenceError(
            f"message_bus.database is redis, which needs the redis extra "
            f"(pip install 'livetrade[redis]'): {exc}"
        ) from exc

    return BusStreamer.from_config(
        bus,
        trader_id=config.trader_id,
        instance_id=config.instance_id,
        topics=STREAMED_TOPICS,
        clock=kernel.clock,
    )
