"""A node trading on the sandbox with its cache database in a real ``redis-server``.

Redis is killed mid-run and restarted on the same port: the node keeps trading,
buffers what it records while Redis is down and catches up once it is back.
With ``write_ahead = false`` nothing waits for Redis: orders keep filling during
the outage. With the default ``write_ahead = true`` a submit waits at the
write-ahead gate, at most ``timeout`` seconds counted from when it was held,
then its order is rejected locally, never sent unrecorded; submits still held
when Redis is back are sent. Down at start, Redis fails the start.

The server here keeps an append-only file fsynced before every reply
(``--appendonly yes --appendfsync always``), so killing it loses nothing it
acknowledged and the restarted server holds what was written before the kill.
(The ``redis_server`` fixture of the other Redis tests keeps nothing: its
restarted server is empty, and a comparison with the node's cache could only
show what was buffered during the outage.) At the end the database, loaded into
a fresh ``Cache``, must equal the node's cache at stop: every event recorded
before, during and after the outage reached Redis, none was lost or doubled.

Real clock, not autojump (the server answers from another process), every test
capped with ``trio.fail_after``; waits are on order events or on the writer
(``PersistenceService.flush``), never on wall-clock polling.
"""

from __future__ import annotations

import importlib.util
import itertools
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
import trio
from persistence_support import RedisServer, redis_executable, snapshot

from livetrade.cache import Cache, CacheView
from livetrade.config.node import NodeConfig
from livetrade.config.persistence import CacheConfig, DatabaseConfig
from livetrade.errors import StartupError
from livetrade.model import ClientOrderId, OrderEvent, OrderFilled, OrderRejected, OrderSubmitted
from livetrade.model.orders import Order
from livetrade.node.lifecycle import NodeState
from livetrade.node.node import LiveNode
from livetrade.persistence import PersistenceService
from livetrade.testing.node import running_node
from livetrade.testing.sandbox import SandboxSetup, sandbox_node

CAP = 60.0  # seconds of real time per test; a run takes a few seconds
#: ``DatabaseConfig.timeout``: how long a submit waits at the write-ahead gate
TIMEOUT = 1.0
#: the outage with write-ahead lasts until this many held submits timed out
OUTAGE_REJECTIONS = 5
#: scheduling slack on a loaded machine, seconds
SLACK = 0.5
NOT_WRITTEN_AHEAD = "not written ahead, so not sent"


def _sandbox_support() -> ModuleType:
    """``tests/adapters/sandbox/sandbox_node_support.py`` (another directory, not on the path)."""
    path = Path(__file__).resolve().parents[1] / "adapters" / "sandbox" / "sandbox_node_support.py"
    spec = importlib.util.spec_from_file_location("sandbox_node_support_for_redis", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SANDBOX = _sandbox_support()


class DurableRedisServer(RedisServer):
    """A ``redis-server`` whose data survives being killed: AOF, fsync before each reply."""

    def start(self) -> None:
        args = [
            self.executable,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--dir",
            str(self.directory),
        ]
        self._process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=self.directory
        )
        self._wait_ready()


@pytest.fixture(name="durable_redis")
def durable_redis_fixture(tmp_path: Path) -> Iterator[RedisServer]:
    server = DurableRedisServer(redis_executable(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class OrderEventWatch:
    """Collects the order events ``predicate`` accepts, from the node's message bus."""

    def __init__(self, node: LiveNode, predicate: Callable[[OrderEvent], bool]) -> None:
        self.seen: list[OrderEvent] = []
        self._predicate = predicate
        self._want = 0
        self._enough = trio.Event()
        node.msgbus.subscribe("events.order.*", self._on_event)

    def _on_event(self, event: object) -> None:
        if isinstance(event, OrderEvent) and self._predicate(event):
            self.seen.append(event)
            if len(self.seen) >= self._want:
                self._enough.set()

    @property
    def count(self) -> int:
        return len(self.seen)

    async def wait_for(self, count: int) -> None:
        """Return once ``count`` events were seen in all."""
        if len(self.seen) >= count:
            await trio.lowlevel.checkpoint()
            return
        self._want = count
        self._enough = trio.Event()
        await self._enough.wait()


def trading_node(
    server: RedisServer, *, write_ahead: bool = True
) -> tuple[SandboxSetup, NodeConfig]:
    """The example strategy requoting every 50 ms on a 200 quotes/s market, cache in Redis."""
    config = NodeConfig(
        cache=CacheConfig(
            database=DatabaseConfig(
                type="redis", host=server.host, port=server.port, timeout=TIMEOUT
            ),
            write_ahead=write_ahead,
        )
    )
    strategy = SANDBOX.example_strategy(requote_secs=0.05, offset_ticks=1)
    return sandbox_node(strategy, rate=200, latency_ms=1, config=config), config


async def load_from_redis(config: NodeConfig) -> Cache:
    """A fresh cache rebuilt from the node's Redis keys, as the next start would load it."""
    service = PersistenceService.from_config(config.cache, trader_id=config.trader_id)
    await service.open()
    cache = Cache()
    report = service.load_into(cache)
    await service.close(TIMEOUT)
    assert report.problems == ()
    return cache


def orders_of(cache: CacheView) -> dict[ClientOrderId, tuple[object, ...]]:
    """Each order's status, filled quantity, trade ids and events."""
    return {
        o.client_order_id: (o.status, o.filled_qty, o.trade_ids, tuple(o.events))
        for o in cache.orders()
    }


def answer_wait(order: Order) -> float | None:
    """Seconds from the order's ``OrderSubmitted`` to the event after it (None: none yet)."""
    events = order.events
    for first, then in itertools.pairwise(events):
        if type(first) is OrderSubmitted:
            return (then.ts_event - first.ts_event) / 1e9
    return None


def is_fill(event: OrderEvent) -> bool:
    return isinstance(event, OrderFilled)


def is_write_ahead_rejection(event: OrderEvent) -> bool:
    return isinstance(event, OrderRejected) and event.reason.startswith(NOT_WRITTEN_AHEAD)


async def test_without_write_ahead_trading_goes_on_and_the_writes_catch_up(
    durable_redis: RedisServer,
) -> None:
    """``write_ahead = false``: nothing waits for Redis, orders keep filling while it is down."""
    server = durable_redis
    setup, config = trading_node(server, write_ahead=False)
    fills = OrderEventWatch(setup.node, is_fill)
    with trio.fail_after(CAP):
        async with running_node(setup.node) as node:
            service = node.persistence.service
            assert service is not None and node.persistence.gate is None
            await fills.wait_for(5)
            await service.flush()
            written = service.statistics().written
            server.stop()
            await fills.wait_for(fills.count + 10)  # filled while Redis is down
            down = service.statistics()
            assert down.unavailable and down.outages == 1
            assert down.written == written and down.pending > 0
            server.start()
            await service.flush()  # returns once the backlog is written
            up = service.statistics()
            assert not up.unavailable and up.outages == 1 and up.written > written
            await fills.wait_for(fills.count + 5)  # and trading goes on
    assert node.state is NodeState.STOPPED
    report = node.persistence.close_report
    assert report is not None and report.complete, report
    with trio.fail_after(CAP):
        loaded = await load_from_redis(config)
    assert orders_of(loaded) == orders_of(node.cache)
    assert snapshot(loaded) == snapshot(node.cache)  # type: ignore[arg-type]


async def test_with_write_ahead_submits_wait_for_redis_then_are_rejected_unsent(
    durable_redis: RedisServer,
) -> None:
    """The default ``write_ahead = true``: while Redis is down a submit waits at the gate
    for at most ``timeout`` seconds, then its order is rejected locally (the reason names
    the database) without reaching the venue; no order is ever at the venue before its
    ``OrderInitialized`` is in Redis. Submits still held when Redis comes back are sent.
    Every event, the local rejections included, ends up in Redis."""
    server = durable_redis
    setup, config = trading_node(server)
    fills = OrderEventWatch(setup.node, is_fill)
    rejections = OrderEventWatch(setup.node, is_write_ahead_rejection)
    submits = OrderEventWatch(setup.node, lambda e: type(e) is OrderSubmitted)
    with trio.fail_after(CAP):
        async with running_node(setup.node) as node:
            service, gate = node.persistence.service, node.persistence.gate
            assert service is not None and gate is not None
            exchange = setup.venue.exchange
            await fills.wait_for(5)
            await service.flush()
            assert gate.statistics().failed == 0
            server.stop()
            # The outage lasts until several held submits timed out (> TIMEOUT seconds).
            await rejections.wait_for(OUTAGE_REJECTIONS)
            # Nothing reached the venue unrecorded; newer submits are still held.
            at_venue = [r.client_order_id for r in exchange.order_status_reports(0)]
            unrecorded = [c for c in at_venue if c is not None and service.awaits_write(c)]
            assert at_venue and unrecorded == []
            down = gate.statistics()
            assert down.failed >= OUTAGE_REJECTIONS and down.waiting >= 1
            server.start()
            await service.flush()
            await fills.wait_for(fills.count + 3)  # trading again
    assert node.state is NodeState.STOPPED
    report = node.persistence.close_report
    assert report is not None and report.complete, report

    # Exactly the held submits that timed out were rejected, each naming the database
    # and each within its own timeout of being submitted.
    rejected = rejections.seen
    assert len(rejected) == gate.statistics().failed
    assert all(f"redis at 127.0.0.1:{server.port}" in r.reason for r in rejected)  # type: ignore[attr-defined]
    submitted_at = {e.client_order_id: e.ts_event for e in submits.seen}
    waits = [(r.ts_event - submitted_at[r.client_order_id]) / 1e9 for r in rejected]
    assert all(TIMEOUT <= w <= TIMEOUT + SLACK for w in waits), waits
    # No submit waited longer than that: whatever came after it (the venue's answer, or
    # the local rejection) came within the timeout, also for those sent once Redis was back.
    answered = [answer_wait(order) for order in node.cache.orders()]
    assert max(w for w in answered if w is not None) <= TIMEOUT + SLACK
    venue_ids = {r.client_order_id for r in exchange.order_status_reports(0)}
    assert not venue_ids & {r.client_order_id for r in rejected}

    with trio.fail_after(CAP):
        loaded = await load_from_redis(config)
    assert orders_of(loaded) == orders_of(node.cache)
    assert snapshot(loaded) == snapshot(node.cache)  # type: ignore[arg-type]


async def test_redis_down_at_start_fails_the_start_naming_it(durable_redis: RedisServer) -> None:
    server = durable_redis
    setup, _ = trading_node(server)
    server.stop()
    with trio.fail_after(CAP), pytest.raises(StartupError) as excinfo:
        await setup.node.run(handle_signals=False)
    assert f"redis at 127.0.0.1:{server.port}" in str(excinfo.value)
    assert "connection refused" in str(excinfo.value)
    assert setup.node.state is NodeState.STOPPED
