"""The Redis backend against a real ``redis-server`` (real clock, ``fail_after`` caps)."""

from __future__ import annotations

import logging

import pytest
import trio
from persistence_support import (
    OTHER_TRADER,
    TRADER,
    RedisServer,
    Scenario,
    account_state_samples,
    order_event_samples,
    perpetual,
    redis_server_fixture,  # noqa: F401  (a fixture)
    redis_server_with_password_fixture,  # noqa: F401  (a fixture)
    route_samples,
    snapshot,
    spot,
    wait_until,
)

from livetrade.cache import Cache
from livetrade.config.persistence import CacheConfig, DatabaseConfig
from livetrade.config.secrets import Secret
from livetrade.model import ClientOrderId, OrderInitialized
from livetrade.persistence import (
    STORE_VERSION,
    Codec,
    DatabaseUnavailable,
    IncompatibleDatabase,
    PersistenceService,
)
from livetrade.persistence.redis import RedisDatabase

CAP = 30.0  # seconds; generous, the real clock runs

CODECS = [
    pytest.param(Codec("msgpack"), id="msgpack"),
    pytest.param(Codec("json"), id="json"),
    pytest.param(Codec("msgpack", timestamps_as_iso8601=True), id="msgpack-iso"),
    pytest.param(Codec("json", timestamps_as_iso8601=True), id="json-iso"),
]


def database(
    server: RedisServer, namespace: str = "TRADER-001", codec: Codec | None = None, **kwargs: object
) -> RedisDatabase:
    return RedisDatabase(
        host=server.host, port=server.port, namespace=namespace, codec=codec, timeout=5.0, **kwargs
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("codec", CODECS)
async def test_every_stored_type_round_trips_through_redis(
    redis_server: RedisServer, codec: Codec
) -> None:
    with trio.fail_after(CAP):
        db = database(redis_server, codec=codec)
        await db.open()
        items = [spot(), perpetual(), *order_event_samples(), *route_samples()]
        items += account_state_samples()
        await db.write(list(enumerate(items, 1)))
        state = await db.load()
        await db.close()
    assert state.instruments == (spot(), perpetual())
    o1 = [e for e in order_event_samples() if e.client_order_id == ClientOrderId("O-1")]
    assert [list(o.events) for o in state.orders] == [o1]
    assert state.orders[0].route == route_samples()[-1]
    assert state.account_states == tuple(account_state_samples())
    assert state.last_seq == len(items)


async def test_keys_are_namespaced_by_trader_and_instance(redis_server: RedisServer) -> None:
    with trio.fail_after(CAP):
        db = database(redis_server, namespace="TRADER-001:i7")
        await db.open()
        await db.write([(1, spot()), (2, order_event_samples()[0])])
        await db.close()
    keys = redis_server.command("KEYS", "*")
    assert b"livetrade:TRADER-001:i7:meta" in keys
    assert b"livetrade:TRADER-001:i7:instrument:BTCUSDT.SIM" in keys
    assert b"livetrade:TRADER-001:i7:order:O-1" in keys
    assert b"livetrade:TRADER-001:i7:index:order" in keys


async def test_load_rebuilds_an_equal_cache_from_redis(redis_server: RedisServer) -> None:
    with trio.fail_after(CAP):
        service = PersistenceService(database(redis_server, codec=Codec("json")))
        await service.open()
        scenario = Scenario(service)
        scenario.trade()
        async with trio.open_nursery() as nursery:
            await nursery.start(service.run)
            await service.write_ahead(scenario.cache.orders()[0].init_event)
            report = await service.close(10.0)
        assert report.complete
        restarted = PersistenceService(database(redis_server))
        await restarted.open()
        cache = Cache()
        loaded = restarted.load_into(cache)
        await restarted.close(5.0)
    assert loaded.problems == ()
    assert snapshot(cache) == snapshot(scenario.cache)


async def test_purge_from_database_removes_the_keys(redis_server: RedisServer) -> None:
    with trio.fail_after(CAP):
        service = PersistenceService(database(redis_server))
        await service.open()
        scenario = Scenario(service)
        scenario.trade()
        scenario.cache.purge_order(ClientOrderId("O-4"))
        service.delete_orders([ClientOrderId("O-4")])
        flat = [p.id for p in scenario.cache.positions_closed()]
        service.delete_positions(flat)
        await service.close(10.0)
    keys = redis_server.command("KEYS", "*")
    assert b"order:O-4" not in keys and b"order:O-5" in keys
    assert b"position:BTCUSDT.SIM-S-001\r" not in keys
    assert b"position:BTCUSDT.SIM-S-001-H1" in keys


async def test_flush_on_start_keeps_another_traders_keys(redis_server: RedisServer) -> None:
    with trio.fail_after(CAP):
        for trader in (TRADER, OTHER_TRADER):
            service = PersistenceService(database(redis_server, trader.value))
            await service.open()
            service.record(spot())
            service.record(order_event_samples()[0])
            await service.close(5.0)
        mine = PersistenceService(database(redis_server, TRADER.value))
        assert (await mine.open(flush_on_start=True)).is_empty
        await mine.close(5.0)
        theirs = PersistenceService(database(redis_server, OTHER_TRADER.value))
        kept = await theirs.open()
        await theirs.close(5.0)
    assert kept.instruments == (spot(),) and len(kept.orders) == 1
    keys = redis_server.command("KEYS", "livetrade:TRADER-001:*")
    assert keys == b"*1\r\n$25\r\nlivetrade:TRADER-001:meta\r\n"


async def test_a_store_of_another_version_is_refused_untouched(redis_server: RedisServer) -> None:
    redis_server.command("HSET", "livetrade:TRADER-001:meta", "version", "99")
    redis_server.command("SADD", "livetrade:TRADER-001:index:order", "O-1")
    with trio.fail_after(CAP), pytest.raises(IncompatibleDatabase) as excinfo:
        await database(redis_server).open()
    assert str(excinfo.value) == (
        f"redis at 127.0.0.1:{redis_server.port}: livetrade:TRADER-001:meta says stored "
        f"format version 99; this livetrade reads version {STORE_VERSION}. The keys were "
        "left untouched"
    )
    assert redis_server.command("HGET", "livetrade:TRADER-001:meta", "version") == b"$2\r\n99\r\n"
    assert redis_server.command("SCARD", "livetrade:TRADER-001:index:order") == b":1\r\n"


async def test_an_unreachable_server_at_open_is_an_error_naming_it(
    redis_server: RedisServer,
) -> None:
    redis_server.stop()
    with trio.fail_after(CAP), pytest.raises(DatabaseUnavailable) as excinfo:
        await PersistenceService(database(redis_server)).open()
    assert str(excinfo.value) == f"redis at 127.0.0.1:{redis_server.port}: connection refused"


async def test_the_password_comes_from_the_secret(
    redis_server_with_password: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = redis_server_with_password
    monkeypatch.setenv("LT_TEST_REDIS_PASSWORD", "s3cret-pass")
    config = CacheConfig(
        database=DatabaseConfig(
            type="redis", host="127.0.0.1", port=server.port, password=Secret("s3cret-pass")
        )
    )
    with trio.fail_after(CAP):
        service = PersistenceService.from_config(config, trader_id=TRADER)
        await service.open()
        service.record(spot())
        assert (await service.close(5.0)).complete
        wrong = database(server, password=Secret("nope"))
        with pytest.raises(DatabaseUnavailable, match=r"authentication failed|invalid password"):
            await wrong.open()
    assert "s3cret" not in repr(service.database) + repr(config)


async def test_an_outage_mid_run_is_buffered_retried_and_caught_up(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="livetrade.persistence")
    events = order_event_samples()
    with trio.fail_after(CAP):
        service = PersistenceService(
            database(redis_server), retry_initial=0.05, retry_max=0.2, write_ahead_timeout=0.5
        )
        await service.open()
        async with trio.open_nursery() as nursery:
            await nursery.start(service.run)
            service.record(spot())
            await wait_until(lambda: service.pending == 0)
            redis_server.stop()
            for event in events[:3]:
                service.record(event)
            await wait_until(lambda: service.statistics().failed_attempts >= 3)
            assert service.pending == 3
            init = events[0]
            assert isinstance(init, OrderInitialized)
            with pytest.raises(DatabaseUnavailable, match="could not be written ahead"):
                await service.write_ahead(init)
            redis_server.start()
            await wait_until(lambda: service.pending == 0)
            report = await service.close(5.0)
        assert report.complete
        check = database(redis_server)
        await check.open()
        state = await check.load()
        await check.close()
    # The restarted server is empty (no persistence): only what was buffered is there.
    assert state.orders[0].events == tuple(events[:3])
    outage_logs = [r for r in caplog.records if "is unavailable" in r.getMessage()]
    assert len(outage_logs) == 1
    assert "connection refused" in outage_logs[0].getMessage()
    assert any("is available again" in r.getMessage() for r in caplog.records)


async def test_close_reports_unwritten_items_while_redis_stays_down(
    redis_server: RedisServer,
) -> None:
    with trio.fail_after(CAP):
        service = PersistenceService(database(redis_server), retry_initial=0.05)
        await service.open()
        redis_server.stop()
        service.record(spot())
        service.record(order_event_samples()[0])
        start = trio.current_time()
        report = await service.close(1.0)
        elapsed = trio.current_time() - start
    assert 1.0 <= elapsed < 5.0
    assert report.unwritten == (spot(), order_event_samples()[0])
    assert report.database == f"redis at 127.0.0.1:{redis_server.port}"
