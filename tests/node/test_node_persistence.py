"""The node's cache database: load at start, write-ahead of submits, every event kept.

Under ``autojump_clock`` with the memory backend (a ``MemoryStore`` shared between
nodes stands in for the file), so every time asserted is exact. The SQLite file
and a real Redis server are tested with real processes elsewhere
(``tests/adapters/sandbox/test_crash_recovery.py``, ``tests/persistence/``).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import trio
import trio.testing
from maintenance_support import BTC, Driver, quote

from livetrade.cache.cache import Cache
from livetrade.config import NodeConfig
from livetrade.config.engines import ExecEngineConfig, RiskEngineConfig
from livetrade.config.persistence import CacheConfig, DatabaseConfig
from livetrade.errors import StartupError
from livetrade.execution.messages import SubmitOrder
from livetrade.model import OrderRejected, OrderSide, OrderStatus
from livetrade.node.lifecycle import NodeState
from livetrade.node.node import LiveNode
from livetrade.persistence import MemoryDatabase, MemoryStore, PersistenceService
from livetrade.persistence.records import Op
from livetrade.testing.node import make_test_node, running_node, settle
from livetrade.testing.scripted import ScriptedDataClient, ScriptedExecutionClient

TRADER = "TRADER-001"


class SlowDatabase(MemoryDatabase):
    """A memory database whose writes take ``delay`` virtual seconds."""

    def __init__(self, store: MemoryStore, delay: float = 0.0) -> None:
        super().__init__(namespace=TRADER, store=store)
        self.delay = delay

    async def write(self, batch: Sequence[Op]) -> None:
        await trio.sleep(self.delay)
        await super().write(batch)


class WitnessVenue(ScriptedExecutionClient):
    """Notes, for each submit it receives, whether the order was already in the store."""

    def __init__(self, store: MemoryStore, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.store = store
        self.submitted: list[tuple[float, str, bool]] = []

    def submit_order(self, command: SubmitOrder) -> None:
        coid = command.order.client_order_id.value
        stored = ("order", coid) in self.store.rows(TRADER)
        self.submitted.append((trio.current_time(), coid, stored))
        super().submit_order(command)


def build(
    store: MemoryStore,
    *,
    delay: float = 0.0,
    on_submit: str = "accept",
    cache: CacheConfig | None = None,
    **exec_engine: object,
) -> tuple[LiveNode, ScriptedDataClient, WitnessVenue, Driver]:
    config = NodeConfig(
        exec_engine=ExecEngineConfig(**exec_engine),  # type: ignore[arg-type]
        risk_engine=RiskEngineConfig(bypass=True),
        cache=cache or CacheConfig(database=DatabaseConfig(type="memory", timeout=2.0)),
    )
    node = make_test_node(config, cache_database=SlowDatabase(store, delay))
    data = ScriptedDataClient()
    venue = WitnessVenue(store, on_submit=on_submit)
    driver = Driver()
    node.add_data_client(data)
    node.add_exec_client(venue)
    node.add_strategy(driver)
    return node, data, venue, driver


async def started(data: ScriptedDataClient, node: LiveNode) -> None:
    await data.push(quote())
    await settle(node)


def sent(venue: ScriptedExecutionClient, kind: type) -> list[object]:
    return [c for c in venue.commands if isinstance(c, kind)]


# -- write-ahead -----------------------------------------------------------------------------


async def test_a_submit_leaves_only_once_its_order_is_written(
    autojump_clock: trio.testing.MockClock,
) -> None:
    store = MemoryStore()
    node, data, venue, driver = build(store, delay=0.050)
    async with running_node(node):
        await started(data, node)
        t0 = trio.current_time()
        order = driver.limit("99.00")
        await trio.sleep(0.049)
        assert venue.submitted == []
        assert order.status is OrderStatus.SUBMITTED  # locally; held at the gate
        await trio.sleep(0.002)
        assert venue.submitted == [(t0 + 0.050, order.client_order_id.value, True)]
        assert node.persistence.gate is not None
        assert node.persistence.gate.statistics().held == 1


async def test_orders_held_together_are_written_ahead_in_one_batch(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Under load the write-ahead costs one commit per batch, not one per order."""
    store = MemoryStore()
    node, data, venue, driver = build(store, delay=0.050)
    async with running_node(node):
        await started(data, node)
        t0 = trio.current_time()
        first = driver.limit("99.00")
        await trio.sleep(0.010)  # its write is under way; these three queue behind it
        rest = [driver.limit(f"9{i}.00") for i in range(3)]
        await trio.sleep(0.2)
        await settle(node)
        assert venue.submitted == [
            (t0 + 0.050, first.client_order_id.value, True),
            *[(t0 + 0.100, o.client_order_id.value, True) for o in rest],
        ]
        assert node.persistence.service is not None
        assert node.persistence.service.statistics().write_aheads == 4


async def test_a_cancel_never_overtakes_its_held_submit(
    autojump_clock: trio.testing.MockClock,
) -> None:
    store = MemoryStore()
    node, data, venue, driver = build(store, delay=0.050)
    async with running_node(node):
        await started(data, node)
        order = driver.limit("99.00")
        driver.cancel_order(order)
        await trio.sleep(0.1)
        await settle(node)
        kinds = [type(c).__name__ for c in venue.commands]
        assert kinds == ["SubmitOrder", "CancelOrder"]
        assert order.status is OrderStatus.CANCELED


async def test_with_the_database_down_the_order_is_rejected_after_its_timeout_never_sent(
    autojump_clock: trio.testing.MockClock,
) -> None:
    store = MemoryStore()
    node, data, venue, driver = build(store)
    async with running_node(node):
        await started(data, node)
        store.available = False
        t0 = trio.current_time()
        order = driver.limit("99.00")
        await trio.sleep(1.999)
        assert order.status is OrderStatus.SUBMITTED
        await trio.sleep(0.002)
        await settle(node)
        assert order.status is OrderStatus.REJECTED
        rejected = order.events[-1]
        assert isinstance(rejected, OrderRejected)
        assert rejected.ts_event == node.clock.timestamp_ns() - 1_000_000  # at t0 + 2.000
        assert "memory store" in rejected.reason and "not sent" in rejected.reason
        assert venue.submitted == []
        assert trio.current_time() - t0 == pytest.approx(2.001)
        # Back up: the next order goes, and the rejection itself is written.
        store.available = True
        second = driver.limit("98.00")
        await trio.sleep(1)
        await settle(node)
        assert [coid for _, coid, _ in venue.submitted] == [second.client_order_id.value]


async def test_write_ahead_off_sends_at_once(autojump_clock: trio.testing.MockClock) -> None:
    store = MemoryStore()
    cache = CacheConfig(database=DatabaseConfig(type="memory"), write_ahead=False)
    node, data, venue, driver = build(store, delay=0.050, cache=cache)
    async with running_node(node):
        await started(data, node)
        t0 = trio.current_time()
        order = driver.limit("99.00")
        await settle(node)
        assert venue.submitted == [(t0, order.client_order_id.value, False)]
        assert node.persistence.gate is None


async def test_a_stop_rejects_what_is_still_held(autojump_clock: trio.testing.MockClock) -> None:
    store = MemoryStore()
    cache = CacheConfig(database=DatabaseConfig(type="memory", timeout=30.0))
    node, data, venue, driver = build(store, cache=cache)
    async with running_node(node):
        await started(data, node)
        store.available = False
        order = driver.limit("99.00")
        await trio.sleep(0.5)
    # the residual-events grace (5 s) ended before the write-ahead's 30 s timeout
    assert order.status is OrderStatus.REJECTED
    assert "node stopped" in order.events[-1].reason  # type: ignore[attr-defined]
    assert venue.submitted == []
    report = node.persistence.close_report
    assert report is not None and not report.complete  # the database stayed down


# -- start and stop ------------------------------------------------------------------------


async def test_the_database_holds_every_event_after_a_clean_stop(
    autojump_clock: trio.testing.MockClock,
) -> None:
    store = MemoryStore()
    node, data, venue, driver = build(store, on_submit="fill")
    async with running_node(node):
        await started(data, node)
        for i in range(5):
            driver.limit(f"{100 + i}.00")
            await trio.sleep(0.1)
        await settle(node)
    report = node.persistence.close_report
    assert report is not None and report.complete
    loaded = Cache()
    service = PersistenceService(MemoryDatabase(namespace=TRADER, store=store))
    await service.open()
    load = service.load_into(loaded)
    await service.close(1.0)
    assert load.problems == ()
    assert load.orders == 5 and load.instruments == 1
    for order in node.cache.orders():
        twin = loaded.order(order.client_order_id)
        assert twin is not None
        assert twin.events == order.events
        assert twin.status is OrderStatus.FILLED
    assert [p.signed_qty for p in loaded.positions()] == [
        p.signed_qty for p in node.cache.positions()
    ]
    assert len(loaded.account_states(venue.account_id)) == len(
        node.cache.account_states(venue.account_id)
    )


async def test_a_restart_loads_orders_before_clients_connect_and_ids_resume(
    autojump_clock: trio.testing.MockClock,
) -> None:
    store = MemoryStore()
    node, data, _, driver = build(store, on_submit="fill")
    async with running_node(node):
        await started(data, node)
        first = [driver.limit("99.00").client_order_id for _ in range(3)]
        await trio.sleep(0.1)
    again, data2, venue2, driver2 = build(store)
    async with running_node(again):
        assert again.persistence.load_report is not None
        assert again.persistence.load_report.orders == 3
        assert {o.client_order_id for o in again.cache.orders()} == set(first)
        await started(data2, again)
        new = driver2.limit("98.00")
        assert new.client_order_id not in first
        assert again.portfolio.net_position(BTC) == node.portfolio.net_position(BTC)
        await settle(again)
        assert len(sent(venue2, SubmitOrder)) == 1


async def test_an_unreachable_database_fails_the_start_naming_it(
    autojump_clock: trio.testing.MockClock,
) -> None:
    store = MemoryStore()
    store.available = False
    node, _, venue, _ = build(store)
    with pytest.raises(StartupError, match=r"cache database could not be opened: memory store"):
        await node.run(handle_signals=False)
    assert node.state is NodeState.STOPPED
    assert not venue.is_connected


async def test_flush_on_start_clears_only_this_nodes_rows(
    autojump_clock: trio.testing.MockClock,
) -> None:
    store = MemoryStore()
    node, data, _, driver = build(store, on_submit="fill")
    async with running_node(node):
        await started(data, node)
        driver.limit("99.00")
        await trio.sleep(0.1)
    other = MemoryDatabase(namespace="TRADER-002", store=store)
    service = PersistenceService(other)
    await service.open()
    service.record_order(node.cache.orders()[0])
    await service.close(1.0)
    cache = CacheConfig(database=DatabaseConfig(type="memory"), flush_on_start=True)
    again, _, _, _ = build(store, cache=cache)
    async with running_node(again):
        assert again.persistence.load_report is not None
        assert again.persistence.load_report.orders == 0
        assert again.cache.orders() == []
    assert store.rows("TRADER-002") != {}


async def test_purge_from_database_deletes_purged_orders_from_the_store(
    autojump_clock: trio.testing.MockClock,
) -> None:
    store = MemoryStore()
    node, data, _, driver = build(
        store,
        on_submit="fill",
        purge_from_database=True,
        purge_closed_orders_interval_mins=1,
        purge_closed_orders_buffer_mins=1,
    )
    async with running_node(node):
        await started(data, node)
        order = driver.limit("99.00")
        closing = driver.limit("99.00", side=OrderSide.SELL)  # flat: both orders can go
        await trio.sleep(1)
        assert ("order", order.client_order_id.value) in store.rows(TRADER)
        await trio.sleep(180)
        await settle(node)
        for purged in (order, closing):
            assert node.cache.order(purged.client_order_id) is None
            assert ("order", purged.client_order_id.value) not in store.rows(TRADER)


def test_a_config_built_in_code_without_a_sqlite_path_persists_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No file to write to: no cache database, and a warning rather than a hidden cost."""
    node = LiveNode(NodeConfig())
    assert node.persistence.service is None
    assert node.persistence.gate is None
    assert "SQLite without a path" in caplog.text and "nothing is persisted" in caplog.text
