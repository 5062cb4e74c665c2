"""Run a node inside a pytest-trio test, deterministically.

``running_node`` starts the node in the test's nursery, returns once it is
RUNNING, and on exit stops it and waits until every task of the node ended::

    async def test_my_strategy(autojump_clock):
        node = make_test_node()
        data, venue = ScriptedDataClient(), ScriptedExecutionClient(on_submit="fill")
        node.add_data_client(data)
        node.add_exec_client(venue)
        node.add_strategy(MyStrategy())
        async with running_node(node):
            await data.push(quote)
            await settle(node)
        assert venue.commands ...

With ``autojump_clock`` every delay, timer and timeout is virtual and exact.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import trio

from livetrade.config.node import NodeConfig
from livetrade.node.clocks import TrioClock
from livetrade.node.node import LiveNode, RunResult
from livetrade.persistence.database import CacheDatabase
from livetrade.persistence.memory import MemoryDatabase

__all__ = ["make_test_node", "running_node", "settle"]


def make_test_node(
    config: NodeConfig | None = None,
    *,
    cache_database: CacheDatabase | None = None,
    **config_fields: object,
) -> LiveNode:
    """A node on ``TrioClock`` (virtual time under ``MockClock``); fields override defaults.

    Its cache database is ``cache_database`` if given (share a ``MemoryStore`` between
    two nodes to test a restart), else a ``MemoryDatabase`` when the config names no
    SQLite file: a SQLite file is written by a thread, which autojump does not wait for.
    """
    if config is None:
        config = NodeConfig(**config_fields)  # type: ignore[arg-type]
    database = config.cache.database
    if cache_database is None and database.type == "sqlite" and database.path is None:
        cache_database = MemoryDatabase(namespace=config.trader_id.value)
    return LiveNode(config, clock=TrioClock(), cache_database=cache_database)


@asynccontextmanager
async def running_node(
    node: LiveNode, *, stop_reason: str = "test finished"
) -> AsyncIterator[LiveNode]:
    """Run ``node`` for the duration of the block, then stop it and wait for ``run()``."""
    async with trio.open_nursery() as nursery:
        results: list[RunResult] = []  # kept for debugging

        async def run(  # noqa: ASYNC128
            *, task_status: trio.TaskStatus[Any] = trio.TASK_STATUS_IGNORED
        ) -> None:
            results.append(await node.run(handle_signals=False, task_status=task_status))

        await nursery.start(run)
        try:
            yield node
        finally:
            node.request_stop(stop_reason)


async def settle(node: LiveNode) -> None:
    """Wait until nothing is queued for the node's dispatcher and everything was handled."""
    kernel = node.kernel
    while not kernel.channels.is_empty():
        await kernel.dispatcher.wait_drained()
    await trio.testing.wait_all_tasks_blocked()
    while not kernel.channels.is_empty():
        await kernel.dispatcher.wait_drained()
