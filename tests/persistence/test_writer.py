"""PersistenceService: write-through/behind timing, outages, write-ahead, close, restart.

Timing tests run on the memory store under ``autojump_clock`` and assert exact
virtual times; the restart tests also run on SQLite (real clock).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing
from persistence_support import (
    TRADER,
    Scenario,
    order_event_samples,
    snapshot,
    spot,
)

from livetrade.cache import Cache
from livetrade.model import ClientOrderId, OrderInitialized
from livetrade.persistence import (
    CacheDatabase,
    DatabaseUnavailable,
    MemoryDatabase,
    MemoryStore,
    PersistenceError,
    PersistenceService,
    SqliteDatabase,
)
from livetrade.persistence.records import Op


class Timed:
    """A memory database that notes the virtual time of every write attempt."""

    def __init__(self, store: MemoryStore | None = None, namespace: str = "TRADER-001") -> None:
        self.inner = MemoryDatabase(namespace=namespace, store=store)
        self.store = self.inner.store
        self.attempts: list[float] = []
        self.writes: list[tuple[float, int]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def write(self, batch: Sequence[Op]) -> None:
        self.attempts.append(trio.current_time())
        await self.inner.write(batch)
        self.writes.append((trio.current_time(), len(batch)))


def stored_rows(store: MemoryStore, namespace: str = "TRADER-001") -> int:
    return sum(len(fields) for fields in store.rows(namespace).values())


async def opened(database: object, **kwargs: Any) -> PersistenceService:
    service = PersistenceService(database, **kwargs)  # type: ignore[arg-type]
    await service.open()
    return service


# -- buffering and timing ----------------------------------------------------------------------


async def test_write_through_writes_a_burst_as_one_batch_at_once(
    autojump_clock: trio.testing.MockClock,
) -> None:
    db = Timed()
    service = await opened(db, buffer_interval_ms=0)
    async with trio.open_nursery() as nursery:
        await nursery.start(service.run)
        for event in order_event_samples()[:3]:
            service.record(event)
        await trio.testing.wait_all_tasks_blocked()
        assert db.writes == [(0.0, 3)]
        report = await service.close(1.0)
    assert report.complete


async def test_write_behind_writes_buffer_interval_ms_after_the_first_item(
    autojump_clock: trio.testing.MockClock,
) -> None:
    db = Timed()
    service = await opened(db, buffer_interval_ms=250)
    async with trio.open_nursery() as nursery:
        await nursery.start(service.run)
        await trio.sleep(1.0)
        service.record(spot())
        await trio.sleep(0.1)
        service.record(order_event_samples()[0])
        await trio.sleep(0.5)
        service.record(order_event_samples()[1])
        await trio.sleep(1.0)
        assert db.writes == [(1.25, 2), (1.85, 1)]
        await service.close(1.0)
    assert stored_rows(db.store) == 3


async def test_a_large_buffer_is_written_in_batches_of_max_batch(
    autojump_clock: trio.testing.MockClock,
) -> None:
    db = Timed()
    service = await opened(db, max_batch=2)
    for event in order_event_samples()[:5]:
        service.record(event)
    report = await service.close(1.0)
    assert [n for _, n in db.writes] == [2, 2, 1]
    assert report.written == 5


# -- outages ---------------------------------------------------------------------------------


async def test_an_outage_keeps_records_buffered_and_retries_with_backoff(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    db = Timed()
    service = await opened(db, retry_initial=0.1, retry_max=0.4)
    db.store.available = False
    caplog.set_level(logging.WARNING, logger="livetrade.persistence")
    async with trio.open_nursery() as nursery:
        await nursery.start(service.run)
        for event in order_event_samples()[:3]:
            service.record(event)
        await trio.sleep(1.0)
        assert db.attempts == pytest.approx([0.0, 0.1, 0.3, 0.7])
        assert service.pending == 3
        assert service.statistics().unavailable
        db.store.available = True
        await trio.sleep(1.0)
        assert db.writes == [(pytest.approx(1.1), 3)]
        assert service.pending == 0
        await service.close(1.0)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "memory store is unavailable (unavailable (simulated outage)): 3 records kept in "
        "memory; retrying with backoff (up to 0.4s between attempts)",
        "memory store is available again after 1.1s; wrote 3 records, 0 still buffered",
    ]
    stats = service.statistics()
    assert (stats.outages, stats.failed_attempts, stats.written) == (1, 4, 3)


async def test_close_reports_what_could_not_be_written_when_the_database_stays_down(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    db = Timed()
    service = await opened(db)
    db.store.available = False
    events = order_event_samples()[:2]
    for event in events:
        service.record(event)
    service.delete_orders([ClientOrderId("O-7")])
    start = trio.current_time()
    report = await service.close(3.0)
    assert trio.current_time() - start == 3.0
    assert report.written == 0
    assert report.unwritten[:2] == tuple(events)
    assert not report.complete
    assert "3 records could not be written before stopping" in caplog.text


async def test_the_final_flush_is_shielded_from_the_callers_cancellation(
    autojump_clock: trio.testing.MockClock,
) -> None:
    db = Timed()
    service = await opened(db)
    service.record(spot())
    with trio.CancelScope() as scope:
        scope.cancel()
        report = await service.close(1.0)
    assert report.complete
    assert stored_rows(db.store) == 1


async def test_close_stops_a_running_writer_and_flushes(
    autojump_clock: trio.testing.MockClock,
) -> None:
    db = Timed()
    service = await opened(db, buffer_interval_ms=60_000)
    async with trio.open_nursery() as nursery:
        await nursery.start(service.run)
        service.record(spot())
        await trio.sleep(1.0)
        report = await service.close(1.0)
    assert trio.current_time() == 1.0  # run() returned: the nursery did not wait a minute
    assert report.written == 1


# -- write-ahead ------------------------------------------------------------------------------


def _init() -> OrderInitialized:
    event = order_event_samples()[0]
    assert isinstance(event, OrderInitialized)
    return event


async def test_write_ahead_writes_the_order_now_without_the_rest_of_the_buffer(
    autojump_clock: trio.testing.MockClock,
) -> None:
    db = Timed()
    service = await opened(db, buffer_interval_ms=10_000)
    async with trio.open_nursery() as nursery:
        await nursery.start(service.run)
        service.record(spot())
        service.record(_init())
        await service.write_ahead(_init())
        assert db.writes == [(0.0, 1)]
        assert service.pending == 1  # the instrument waits for the write-behind
        await service.write_ahead(_init())  # durable already: no second write
        assert len(db.writes) == 1
        assert service.statistics().write_aheads == 1
        await trio.sleep(10.0)
        await trio.testing.wait_all_tasks_blocked()
        assert db.writes == [(0.0, 1), (10.0, 1)]
        await service.close(1.0)
    state = await MemoryDatabase(namespace="TRADER-001", store=db.store).load()
    assert state.orders[0].events == (_init(),)


async def test_write_ahead_of_an_order_never_recorded_records_it() -> None:
    db = Timed()
    service = await opened(db)
    await service.write_ahead(_init())
    await service.close(1.0)
    state = await MemoryDatabase(namespace="TRADER-001", store=db.store).load()
    assert state.orders[0].events == (_init(),)


async def test_write_ahead_gives_up_after_its_timeout_and_keeps_the_record(
    autojump_clock: trio.testing.MockClock,
) -> None:
    db = Timed()
    service = await opened(db, write_ahead_timeout=2.0)
    service.record(_init())
    db.store.available = False
    with pytest.raises(DatabaseUnavailable) as excinfo:
        await service.write_ahead(_init())
    assert trio.current_time() == 2.0
    assert str(excinfo.value) == (
        "memory store: order O-1 could not be written ahead within 2.0s; it stays buffered"
    )
    assert service.pending == 1
    db.store.available = True
    report = await service.close(1.0)
    assert report.written == 1 and report.complete


async def test_a_cancelled_write_ahead_keeps_the_record_buffered(
    autojump_clock: trio.testing.MockClock,
) -> None:
    db = Timed()
    service = await opened(db)
    db.store.available = False
    with trio.move_on_after(0.5):
        await service.write_ahead(_init())
    assert service.pending == 1
    db.store.available = True
    assert (await service.close(1.0)).written == 1


# -- start, restart and purge --------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite"])
def reopen(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A factory of databases that all see the same store (a restart)."""
    store = MemoryStore()

    def make(namespace: str = "TRADER-001") -> CacheDatabase:
        if request.param == "memory":
            return MemoryDatabase(namespace=namespace, store=store)
        return SqliteDatabase(tmp_path / "cache.sqlite", namespace=namespace)

    return make


async def test_load_rebuilds_an_equal_cache(reopen: Any) -> None:
    service = await opened(reopen())
    scenario = Scenario(service)
    scenario.trade()
    assert (await service.close(5.0)).complete

    restarted = await opened(reopen())
    cache = Cache()
    report = restarted.load_into(cache)
    await restarted.close(1.0)
    assert report.problems == ()
    assert (report.orders, report.positions, report.account_states) == (6, 2, 3)
    assert snapshot(cache) == snapshot(scenario.cache)
    assert len(cache.positions_open()) == 1 and len(cache.orders_open()) == 1


async def test_sequence_numbers_continue_after_a_restart(reopen: Any) -> None:
    events = order_event_samples()
    first = await opened(reopen())
    first.record(events[0])
    first.record(events[2])
    await first.close(1.0)
    second = await opened(reopen())
    second.record(events[3])  # the order's next event, after the restart
    await second.close(1.0)
    third = PersistenceService(reopen())
    state = await third.open()
    await third.close(1.0)
    assert state.orders[0].events == (events[0], events[2], events[3])


async def test_purge_without_purge_from_database_keeps_the_rows(reopen: Any) -> None:
    service = await opened(reopen())
    scenario = Scenario(service)
    scenario.trade()
    removed = scenario.cache.purge_order(ClientOrderId("O-4"))
    assert removed is not None
    await service.close(5.0)
    cache = Cache()
    restarted = await opened(reopen())
    restarted.load_into(cache)
    await restarted.close(1.0)
    assert cache.order(ClientOrderId("O-4")) is not None


async def test_purge_from_database_deletes_orders_positions_and_account_states(
    reopen: Any,
) -> None:
    service = await opened(reopen())
    scenario = Scenario(service)
    scenario.trade()
    cache = scenario.cache
    purged_order = cache.purge_order(ClientOrderId("O-4"))
    assert purged_order is not None
    service.delete_orders([purged_order.client_order_id])
    flat = [p.id for p in cache.positions_closed()]
    for position_id in flat:
        cache.purge_position(position_id)
    service.delete_positions(flat)
    removed_states = cache.purge_account_events(ts_now=scenario.clock.now, lookback_ns=0)
    assert len(removed_states) == 2
    service.delete_account_events(removed_states)
    await service.close(5.0)

    rebuilt = Cache()
    restarted = await opened(reopen())
    restarted.load_into(rebuilt)
    await restarted.close(1.0)
    assert rebuilt.order(ClientOrderId("O-4")) is None
    assert [p.id for p in rebuilt.positions()] == [p.id for p in cache.positions()]
    assert rebuilt.account_states(scenario.engine.clients[0].account_id) == cache.account_states(
        scenario.engine.clients[0].account_id
    )
    assert len(rebuilt.orders()) == 5


async def test_flush_on_start_clears_only_this_nodes_rows(reopen: Any) -> None:
    for namespace in ("TRADER-001", "TRADER-002"):
        service = await opened(reopen(namespace))
        service.record(spot())
        service.record(_init())
        await service.close(1.0)
    mine = PersistenceService(reopen("TRADER-001"))
    state = await mine.open(flush_on_start=True)
    await mine.close(1.0)
    assert state.is_empty
    theirs = PersistenceService(reopen("TRADER-002"))
    kept = await theirs.open()
    await theirs.close(1.0)
    assert kept.instruments == (spot(),) and len(kept.orders) == 1


async def test_from_config_builds_the_configured_backend(tmp_path: Path) -> None:
    from livetrade.config.persistence import CacheConfig, DatabaseConfig

    config = CacheConfig(
        database=DatabaseConfig(type="sqlite", path=tmp_path / "x.sqlite"),
        encoding="json",
        buffer_interval_ms=100,
        use_instance_id=True,
    )
    service = PersistenceService.from_config(config, trader_id=TRADER, instance_id="abc")
    assert isinstance(service.database, SqliteDatabase)
    assert service.database.namespace == "TRADER-001:abc"
    with pytest.raises(PersistenceError, match="use_instance_id is set but the node has no"):
        PersistenceService.from_config(config, trader_id=TRADER)


async def test_misuse_is_refused_clearly() -> None:
    service = await opened(Timed())
    with pytest.raises(TypeError, match="not str"):
        service.record("an order")  # type: ignore[arg-type]
    await service.close(1.0)
    with pytest.raises(PersistenceError, match=r"memory store: record\(\) after close\(\)"):
        service.record(spot())
    with pytest.raises(PersistenceError, match=r"open\(\) was already called"):
        await service.open()
