"""``[message_bus]`` wired into the node: its topics reach Redis streams, filtered types do not.

Real ``redis-server`` and the real clock (capped with ``fail_after``); the node
trades against the sandbox venue.
"""

from __future__ import annotations

import coredis
import trio
from persistence_support import (
    RedisServer,
    redis_server_fixture,  # noqa: F401  (a fixture)
    wait_until,
)

from livetrade.config.persistence import DatabaseConfig, MessageBusConfig
from livetrade.model import InstrumentId, OrderSide, Quantity, QuoteTick
from livetrade.testing.node import running_node
from livetrade.testing.sandbox import sandbox_node
from livetrade.trading.strategy import Strategy

CAP = 30.0
BTC = InstrumentId("BTCUSDT.SANDBOX")


class Buyer(Strategy):
    """Buys 0.001 at market on each of the first ``count`` quotes."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def on_start(self) -> None:
        self.subscribe_quote_ticks(BTC)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        if self.count > 0:
            self.count -= 1
            self.submit_order(self.order_factory.market(BTC, OrderSide.BUY, Quantity("0.001")))


async def stream_lengths(server: RedisServer, keys: list[str]) -> dict[str, int]:
    async with coredis.Redis(host=server.host, port=server.port) as client:
        return {key: await client.xlen(key) for key in keys}


async def test_the_node_streams_its_topics_and_leaves_filtered_types_out(
    redis_server: RedisServer,
) -> None:
    bus = MessageBusConfig(
        database=DatabaseConfig(type="redis", host=redis_server.host, port=redis_server.port),
        types_filter=["QuoteTick", "TradeTick"],
        heartbeat_interval_secs=1,
    )
    setup = sandbox_node(Buyer(3), rate=50, latency_ms=1, message_bus=bus)
    node = setup.node
    base = "livetrade:TRADER-001"
    orders, quotes = f"{base}:stream:events.order.*", f"{base}:stream:data.quotes.*"
    with trio.fail_after(CAP):
        async with running_node(node):
            events = 3 * 4  # initialized, submitted, accepted, filled
            lengths: dict[str, int] = {}

            async def refresh() -> None:
                lengths.update(await stream_lengths(redis_server, [orders, quotes]))

            while lengths.get(orders, 0) < events:
                await refresh()
                await trio.sleep(0.05)
            streamer = node.persistence.streamer
            assert streamer is not None
            await wait_until(lambda: streamer.statistics().heartbeats >= 1)
    order_events = [e for o in node.cache.orders() for e in o.events]
    assert len(order_events) == events
    assert lengths[orders] == events
    assert lengths[quotes] == 0  # filtered: never streamed
    async with coredis.Redis(
        host=redis_server.host, port=redis_server.port, decode_responses=False
    ) as client:
        entries = await client.xrange(orders)
        assert [dict(e.field_values)[b"type"] for e in entries][:4] == [
            b"OrderInitialized",
            b"OrderSubmitted",
            b"OrderAccepted",
            b"OrderFilled",
        ]
        assert await client.xlen(f"{base}:heartbeat") >= 1
