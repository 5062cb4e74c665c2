"""Restart against the sandbox: messages lost before the stop, reconciled at the next start.

The second node loads the first node's cache database (a ``MemoryStore`` both
share, so this runs under ``MockClock``; the SQLite file is tested by a real
subprocess in ``test_crash_recovery.py``), while the venue kept trading and the
node missed part of what it said.
"""

from __future__ import annotations

from pathlib import Path

import trio
from sandbox_node_support import example_strategy, venue_mismatches

from livetrade.adapters.sandbox.faults import Faults
from livetrade.execution.reconciliation import OrderAction
from livetrade.persistence import MemoryDatabase, MemoryStore
from livetrade.testing.node import running_node, settle
from livetrade.testing.sandbox import sandbox_node


async def test_restart_after_lost_messages_ends_equal_to_the_venue(
    autojump_clock: trio.testing.MockClock, tmp_path: Path
) -> None:
    state = tmp_path / "venue.json"
    faults = Faults(seed=4, drop_ack=0.2, drop_fill=0.3, duplicate_fill=0.1)
    store = MemoryStore()
    first = sandbox_node(
        example_strategy(),
        state_file=state,
        faults=faults,
        seed=9,
        cache_database=MemoryDatabase(namespace="TRADER-001", store=store),
    )
    async with running_node(first.node) as node:
        await trio.sleep(300)
        await settle(node)
        # The lost messages left the node behind the venue.
        assert faults.injected["drop_fill"] > 0 and faults.injected["drop_ack"] > 0
        assert venue_mismatches(first) != []
    assert node.kernel.exec_engine.statistics().refused.get("duplicate fill", 0) > 0

    second = sandbox_node(
        example_strategy(),
        state_file=state,
        seed=10,
        cache_database=MemoryDatabase(namespace="TRADER-001", store=store),
    )
    async with running_node(second.node) as node:
        load = node.persistence.load_report
        assert load is not None and load.problems == ()
        known = {o.client_order_id for o in first.node.cache.orders()}
        assert load.orders == len(known)
        report = node.reconciliation_reports[second.venue.id]
        updated = [e for e in report.orders if e.action is OrderAction.UPDATED]
        assert updated, report.summary()
        assert not [e for e in report.orders if e.action is OrderAction.FAILED]
        # Nothing the node knew was turned into an external order.
        assert all(
            o.strategy_id.value != "EXTERNAL"
            for o in node.cache.orders()
            if o.client_order_id in known
        )
        second.data.pause()
        await trio.sleep(0.5)
        await settle(node)
        assert venue_mismatches(second) == []
        trade_ids = [t for o in node.cache.orders() for t in o.trade_ids]
        assert len(trade_ids) == len(set(trade_ids))
