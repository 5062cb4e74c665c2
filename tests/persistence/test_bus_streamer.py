"""BusStreamer: message-bus topics to Redis streams, against a real ``redis-server``."""

from __future__ import annotations

import logging
from typing import Any

import coredis
import pytest
import trio
from persistence_support import (
    TRADER,
    FixedClock,
    RedisServer,
    account_state_samples,
    order_event_samples,
    redis_server_fixture,  # noqa: F401  (a fixture)
    wait_until,
)

from livetrade.config.persistence import DatabaseConfig, MessageBusConfig
from livetrade.model import InstrumentId, Price, Quantity, QuoteTick
from livetrade.msgbus import MessageBus
from livetrade.persistence import Codec, PersistenceError
from livetrade.persistence._redis_client import RedisConnection
from livetrade.persistence.streamer import BusStreamer

CAP = 30.0


def quote(n: int) -> QuoteTick:
    return QuoteTick(
        instrument_id=InstrumentId("BTCUSDT.SIM"),
        bid_price=Price("100.00"),
        ask_price=Price(f"{101 + n}.00"),
        bid_size=Quantity("1.000"),
        ask_size=Quantity("2.000"),
        ts_event=n,
        ts_init=n,
    )


def streamer(server: RedisServer, **kwargs: Any) -> BusStreamer:
    settings: dict[str, Any] = {
        "topics": ["events.order.*", "data.quotes.*"],
        "retry_initial": 0.05,
        "retry_max": 0.2,
        **kwargs,
    }
    return BusStreamer(
        connection=RedisConnection(host=server.host, port=server.port, timeout=5.0),
        namespace="TRADER-001",
        clock=FixedClock(),
        **settings,
    )


async def read_stream(server: RedisServer, key: str) -> list[dict[bytes, bytes]]:
    async with coredis.Redis(host=server.host, port=server.port, decode_responses=False) as client:
        entries = await client.xrange(key)
    return [dict(entry.field_values) for entry in entries]


async def wait_streamed(bus_streamer: BusStreamer, count: int) -> None:
    await wait_until(lambda: bus_streamer.statistics().streamed >= count)


async def test_topics_go_to_one_stream_each_with_decodable_payloads(
    redis_server: RedisServer,
) -> None:
    bus = MessageBus()
    events = order_event_samples()[:3]
    with trio.fail_after(CAP):
        bus_streamer = streamer(redis_server, codec=Codec("json"))
        bus_streamer.attach(bus)
        async with trio.open_nursery() as nursery:
            await nursery.start(bus_streamer.run)
            for event in events:
                bus.publish("events.order.S-001", event)
            bus.publish("data.quotes.SIM", quote(1))
            bus.publish("events.position.S-001", quote(2))  # not subscribed
            await wait_streamed(bus_streamer, 4)
            bus_streamer.stop()
        orders = await read_stream(redis_server, "livetrade:TRADER-001:stream:events.order.*")
        quotes = await read_stream(redis_server, "livetrade:TRADER-001:stream:data.quotes.*")
    assert [Codec().decode(e[b"payload"]) for e in orders] == events
    assert [e[b"type"] for e in orders] == [b"OrderInitialized", b"OrderDenied", b"OrderSubmitted"]
    assert orders[0][b"topic"] == b"events.order.*"
    assert Codec().decode(quotes[0][b"payload"]) == quote(1)
    assert bus_streamer.statistics().received == 4


async def test_one_stream_for_all_topics_and_types_filter(redis_server: RedisServer) -> None:
    bus = MessageBus()
    with trio.fail_after(CAP):
        bus_streamer = streamer(
            redis_server, stream_per_topic=False, types_filter=["QuoteTick"], autotrim_mins=30
        )
        bus_streamer.attach(bus)
        async with trio.open_nursery() as nursery:
            await nursery.start(bus_streamer.run)
            bus.publish("data.quotes.SIM", quote(1))
            bus.publish("events.order.S-001", order_event_samples()[0])
            await wait_streamed(bus_streamer, 1)
            bus_streamer.stop()
        entries = await read_stream(redis_server, "livetrade:TRADER-001:stream")
    assert [e[b"type"] for e in entries] == [b"OrderInitialized"]
    stats = bus_streamer.statistics()
    assert (stats.filtered, stats.streamed, stats.dropped) == (1, 1, 0)


async def test_heartbeats_are_written_every_interval(redis_server: RedisServer) -> None:
    with trio.fail_after(CAP):
        bus_streamer = streamer(redis_server, heartbeat_interval_secs=0.05)
        async with trio.open_nursery() as nursery:
            await nursery.start(bus_streamer.run)
            await wait_until(lambda: bus_streamer.statistics().heartbeats >= 3)
            bus_streamer.stop()
        beats = await read_stream(redis_server, "livetrade:TRADER-001:heartbeat")
    assert len(beats) >= 3
    assert beats[0][b"type"] == b"Heartbeat"
    assert int(beats[0][b"ts"]) > 0


async def test_messages_of_types_that_cannot_be_encoded_are_counted(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    bus = MessageBus()
    with trio.fail_after(CAP):
        bus_streamer = streamer(redis_server)
        bus_streamer.attach(bus)
        async with trio.open_nursery() as nursery:
            await nursery.start(bus_streamer.run)
            bus.publish("events.order.S-001", {"not": "an attrs class"})
            bus.publish("events.order.S-001", {"again": 1})
            bus.publish("events.order.S-001", order_event_samples()[0])
            await wait_streamed(bus_streamer, 1)
            bus_streamer.stop()
    assert bus_streamer.statistics().unsupported == 2
    assert caplog.text.count("dict messages cannot be encoded") == 1


async def test_the_stream_survives_an_outage_and_drops_only_beyond_its_bound(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="livetrade.persistence")
    bus = MessageBus()
    with trio.fail_after(CAP):
        bus_streamer = streamer(redis_server, max_buffer=5)
        bus_streamer.attach(bus)
        async with trio.open_nursery() as nursery:
            await nursery.start(bus_streamer.run)
            bus.publish("data.quotes.SIM", quote(0))
            await wait_streamed(bus_streamer, 1)
            redis_server.stop()
            for n in range(1, 9):  # publishing never blocks, whatever Redis does
                bus.publish("data.quotes.SIM", quote(n))
            await wait_until(lambda: bus_streamer.statistics().failed_attempts >= 2)
            redis_server.start()
            await wait_streamed(bus_streamer, 6)
            bus_streamer.stop()
        entries = await read_stream(redis_server, "livetrade:TRADER-001:stream:data.quotes.*")
    stats = bus_streamer.statistics()
    assert stats.dropped == 3  # 8 published during the outage, 5 kept: the newest
    assert [Codec().decode(e[b"payload"]).ts_event for e in entries] == [4, 5, 6, 7, 8]
    assert stats.outages == 1
    assert sum("is unavailable" in r.getMessage() for r in caplog.records) == 1


async def test_a_server_down_at_start_is_retried(redis_server: RedisServer) -> None:
    bus = MessageBus()
    redis_server.stop()
    with trio.fail_after(CAP):
        bus_streamer = streamer(redis_server)
        bus_streamer.attach(bus)
        async with trio.open_nursery() as nursery:
            await nursery.start(bus_streamer.run)
            bus.publish("events.order.S-001", account_state_samples()[0])
            await wait_until(lambda: bus_streamer.statistics().failed_attempts >= 2)
            redis_server.start()
            await wait_streamed(bus_streamer, 1)
            bus_streamer.stop()


def test_from_config_needs_a_redis_database() -> None:
    clock = FixedClock()
    with pytest.raises(PersistenceError, match="must be a redis database"):
        BusStreamer.from_config(MessageBusConfig(), trader_id=TRADER, topics=["x"], clock=clock)
    config = MessageBusConfig(
        database=DatabaseConfig(type="redis", port=7000),
        use_instance_id=True,
        stream_per_topic=False,
    )
    built = BusStreamer.from_config(
        config, trader_id=TRADER, instance_id="i1", topics=["x"], clock=clock
    )
    assert built.stream_key("x") == "livetrade:TRADER-001:i1:stream"
    assert built.heartbeat_key == "livetrade:TRADER-001:i1:heartbeat"
