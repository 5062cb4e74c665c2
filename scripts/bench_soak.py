"""The ``soak`` suite of ``scripts/bench.py``: does memory stay flat over a trading day?

A node on Trio's ``MockClock`` (autojump, so 24 hours run in well under an
hour of wall time) trades ``--rate`` orders per minute (default 50) for
``--hours`` virtual hours (default 24) against a scripted venue that fills each
order at once. Orders go in BUY/SELL pairs of the same size, so the NETTING
position is flat between pairs and closed orders can be purged. Maintenance
runs with its defaults plus purging: closed orders, closed positions and
account events every 10 minutes once 60 minutes old (the guide's
recommendations).

Reported: ``orders_in_memory_end`` (orders still in the cache at the end),
``rss_mb_hour1`` and ``rss_mb_end`` (resident set size after a full garbage
collection, after the first virtual hour and at the end), their ratio, RSS at
the end of every hour (``rss_mb_by_hour``), the
orders submitted and purged, the wall time, and ``position_fills_end``: the
fills held by the positions in memory. A NETTING position that is never flat
for a whole purge buffer is never purged; it keeps only the fills since it
last opened from flat (``Position.events``), so that number stays small too.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path
from typing import Any

import trio
import trio.testing

from livetrade.clock import TimeEvent
from livetrade.config import NodeConfig
from livetrade.config.engines import ExecEngineConfig, RiskEngineConfig
from livetrade.config.persistence import CacheConfig, DatabaseConfig
from livetrade.model.enums import OrderSide
from livetrade.model.identifiers import InstrumentId
from livetrade.model.quantities import Price, Quantity
from livetrade.node.maintenance import Maintenance
from livetrade.node.node import LiveNode
from livetrade.testing.node import make_test_node, running_node, settle
from livetrade.testing.scripted import (
    ScriptedDataClient,
    ScriptedExecutionClient,
    make_instrument,
)
from livetrade.trading.strategy import Strategy

#: virtual hours the node trades
SOAK_HOURS = 24
#: orders per virtual minute (half BUY, half SELL)
SOAK_RATE = 50

_NS = 1_000_000_000


class _Pairs(Strategy):
    """Submits a BUY and a SELL of 0.010 at 100.00 every ``interval_ns``."""

    def __init__(self, instrument_id: InstrumentId, interval_ns: int) -> None:
        super().__init__()
        self.instrument_id = instrument_id
        self.interval_ns = interval_ns
        self.submitted = 0

    def on_start(self) -> None:
        self.clock.set_timer("pairs", self.interval_ns, self._pair)

    def _pair(self, event: TimeEvent) -> None:
        qty, price = Quantity("0.010"), Price("100.00")
        for side in (OrderSide.BUY, OrderSide.SELL):
            self.submit_order(self.order_factory.limit(self.instrument_id, side, qty, price))
        self.submitted += 2


def _rss_after_gc() -> float:
    """Resident set size (``VmRSS``, MiB) after a full collection; the peak without /proc."""
    gc.collect()
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource  # Unix only

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _config(database: Path) -> NodeConfig:
    return NodeConfig(
        risk_engine=RiskEngineConfig(bypass=True),
        exec_engine=ExecEngineConfig(
            purge_closed_orders_interval_mins=10,
            purge_closed_orders_buffer_mins=60,
            purge_closed_positions_interval_mins=10,
            purge_closed_positions_buffer_mins=60,
            purge_account_events_interval_mins=10,
            purge_account_events_lookback_mins=60,
        ),
        # the default backend, in a temporary directory
        cache=CacheConfig(database=DatabaseConfig(path=database)),
    )


async def _forget_commands(venue: ScriptedExecutionClient) -> None:
    """The scripted venue keeps every command for tests; a soak must not measure that."""
    while True:
        await trio.sleep(60)
        venue.commands.clear()


async def _soak(hours: int, rate: int, database: Path) -> dict[str, Any]:
    instrument = make_instrument()
    node: LiveNode = make_test_node(_config(database))
    data = ScriptedDataClient(instruments=[instrument])
    venue = ScriptedExecutionClient(on_submit="fill")
    strategy = _Pairs(instrument.instrument_id, round(2 * 60 * _NS / rate))
    node.add_data_client(data)
    node.add_exec_client(venue)
    node.add_strategy(strategy)
    wall = time.perf_counter()
    async with running_node(node), trio.open_nursery() as nursery:
        maintenance = getattr(node, "maintenance", None)
        if not isinstance(maintenance, Maintenance):  # the node does not start its own yet
            maintenance = Maintenance(node.kernel)
            await nursery.start(maintenance.run)
        nursery.start_soon(_forget_commands, venue)
        await trio.sleep(3600)
        await settle(node)
        rss_hour1 = _rss_after_gc()
        orders_hour1 = node.cache.orders_count()
        rss_by_hour = [rss_hour1]
        for _ in range(max(0, hours - 1)):
            await trio.sleep(3600)
            rss_by_hour.append(_rss_after_gc())
        await settle(node)
        rss_end = _rss_after_gc()
        statistics = maintenance.statistics()
        result = {
            "suite": "soak",
            "hours": hours,
            "orders_per_min": rate,
            "orders_submitted": strategy.submitted,
            "orders_in_memory_hour1": orders_hour1,
            "orders_in_memory_end": node.cache.orders_count(),
            "positions_in_memory_end": node.cache.positions_count(),
            "position_fills_end": sum(len(p.events) for p in node.cache.positions()),
            "orders_purged": statistics.purged_orders,
            "positions_purged": statistics.purged_positions,
            "tracked_orders_end": statistics.tracked_orders,
            "recent_fills_end": statistics.recent_fills,
            "rss_mb_hour1": rss_hour1,
            "rss_mb_end": rss_end,
            "rss_end_vs_hour1": round(rss_end / rss_hour1, 3),
            "rss_mb_by_hour": rss_by_hour,
            "database_records_written": node.persistence.service.statistics().written
            if node.persistence.service is not None
            else 0,
            "wall_s": round(time.perf_counter() - wall, 1),
        }
        maintenance.cancel()
        nursery.cancel_scope.cancel()
    return result


def bench_soak(args: argparse.Namespace) -> dict[str, object]:
    # the SQLite writer thread gets 3 ms of real time before the clock jumps, so virtual
    # time never runs ahead of the database (autojump at 0 would not wait for threads)
    clock = trio.testing.MockClock(autojump_threshold=0.003)
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "soak.sqlite"
        result: dict[str, object] = trio.run(_soak, args.hours, args.rate, database, clock=clock)
        result["database_mb_end"] = round(database.stat().st_size / 1e6, 1)
    return result
