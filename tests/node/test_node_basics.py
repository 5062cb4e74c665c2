"""LiveNode: start order, RUNNING, a clean stop, lifecycle rules."""

from __future__ import annotations

import pytest
import trio
from node_support import BTC, Recorder

from livetrade import LifecycleError, NodeState
from livetrade.node.clocks import DEFAULT_TEST_EPOCH_NS
from livetrade.testing.node import make_test_node, running_node
from livetrade.testing.scripted import ScriptedDataClient, ScriptedExecutionClient


async def test_exec_client_connect_sees_data_client_instruments(
    autojump_clock: trio.testing.MockClock,
) -> None:
    node = make_test_node()
    data = ScriptedDataClient(connect_delay=1.0)
    venue = ScriptedExecutionClient()
    strategy = Recorder()
    node.add_data_client(data)
    node.add_exec_client(venue)
    node.add_strategy(strategy)
    async with running_node(node):
        assert node.state is NodeState.RUNNING
        assert venue.instruments_seen_at_connect == [BTC]
        assert data.connected_at == 1.0
        assert venue.connected_at == 1.0
        assert strategy.started_at == DEFAULT_TEST_EPOCH_NS + 1_000_000_000
    assert node.state is NodeState.STOPPED
    assert strategy.kinds() == ["on_start", "on_stop"]
    assert data.disconnected_at == 1.0 and venue.disconnected_at == 1.0


async def test_run_twice_and_late_add_raise(autojump_clock: trio.testing.MockClock) -> None:
    node = make_test_node()
    async with running_node(node):
        with pytest.raises(LifecycleError, match="IDLE"):
            node.add_strategy(Recorder())
        with pytest.raises(LifecycleError, match="already called"):
            await node.run(handle_signals=False)
    with pytest.raises(LifecycleError, match="already called"):
        await node.run(handle_signals=False)
