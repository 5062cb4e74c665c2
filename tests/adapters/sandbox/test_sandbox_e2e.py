"""End to end: node + sandbox venue + the example strategy, ten virtual minutes."""

from __future__ import annotations

from fractions import Fraction

import trio
from sandbox_node_support import (
    BTC,
    example_strategy,
    fills_of,
    recomputed_pnl,
    venue_mismatches,
)

from livetrade.model import OrderStatus
from livetrade.testing.node import running_node, settle
from livetrade.testing.sandbox import sandbox_node


async def test_ten_virtual_minutes_cache_equals_venue_and_pnl_recomputes(
    autojump_clock: trio.testing.MockClock,
) -> None:
    strategy = example_strategy()
    setup = sandbox_node(strategy, rate=10, latency_ms=5, seed=3)
    async with running_node(setup.node) as node:
        await trio.sleep(600)
        setup.data.pause()  # freeze the market; in-flight messages land within 5 ms
        await trio.sleep(0.5)
        await settle(node)
        assert venue_mismatches(setup) == []
        orders = node.cache.orders()
        statuses = {o.status for o in orders}
        # The strategy placed, amended and canceled limit orders and took positions.
        assert len(orders) > 100
        assert {OrderStatus.FILLED, OrderStatus.CANCELED} <= statuses
        assert any(o.order_type.name == "MARKET" for o in orders)
        assert any(type(e).__name__ == "OrderUpdated" for o in orders for e in o.events), (
            "no order was amended"
        )
        fills = fills_of(node)
        assert len(fills) > 20
        assert {f.trade_id for f in fills} == {f.trade_id for f in setup.venue.exchange.fills()}
        quote = node.cache.quote_tick(BTC)
        assert quote is not None
        mark = quote.mid_price_exact()
        realized, total = recomputed_pnl(fills, mark)
        positions = node.cache.positions(instrument_id=BTC)
        assert sum((p.realized_pnl_exact for p in positions), Fraction(0)) == realized
        node_total = sum(
            (p.realized_pnl_exact + p.unrealized_pnl_exact(quote.mid_price()) for p in positions),
            Fraction(0),
        )
        assert node_total == total
        # Balances: the node's last account state is the venue's.
        account = node.cache.account_state(setup.venue.account_id)
        assert account is not None
        venue_account = setup.venue.exchange.account_state(0)
        assert {b.currency: b.total for b in account.balances} == {
            b.currency: b.total for b in venue_account.balances
        }


async def test_same_seed_same_run(autojump_clock: trio.testing.MockClock) -> None:
    """Everything is deterministic under the mock clock: two runs, identical trades."""
    runs = []
    for _ in range(2):
        setup = sandbox_node(example_strategy(), rate=10, latency_ms=5, seed=11)
        async with running_node(setup.node) as node:
            await trio.sleep(60)
            await settle(node)
        fills = setup.venue.exchange.fills()
        runs.append([(f.ts - fills[0].ts, f.last_px, f.last_qty) for f in fills])
    assert runs[0] == runs[1]
    assert len(runs[0]) > 0
