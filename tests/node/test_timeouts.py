"""Every node timeout is a cancel scope that fires at exactly its configured virtual time."""

from __future__ import annotations

import logging

import pytest
import trio
import trio.testing
from node_support import BTC, Recorder

from livetrade import NodeState, StartupError
from livetrade.model import OrderSide, OrderStatus, Quantity
from livetrade.node.clocks import DEFAULT_TEST_EPOCH_NS
from livetrade.testing.node import make_test_node, running_node
from livetrade.testing.scripted import ScriptedDataClient, ScriptedExecutionClient

NS = 1_000_000_000


async def run_until_failure(node: object) -> StartupError:
    with pytest.raises(StartupError) as info:
        await node.run(handle_signals=False)  # type: ignore[attr-defined]
    return info.value


@pytest.mark.parametrize(("configured", "expected"), [(None, 30.0), (2.5, 2.5)])
async def test_timeout_connection_fires_at_exact_time(
    autojump_clock: trio.testing.MockClock,
    caplog: pytest.LogCaptureFixture,
    configured: float | None,
    expected: float,
) -> None:
    node = make_test_node(**({} if configured is None else {"timeout_connection": configured}))
    node.add_data_client(ScriptedDataClient("DATA-OK"))
    node.add_exec_client(ScriptedExecutionClient("EXEC-HANGS", connect_hangs=True))
    strategy = Recorder()
    node.add_strategy(strategy)
    with caplog.at_level(logging.ERROR, logger="livetrade.node"):
        error = await run_until_failure(node)
    assert trio.current_time() == expected  # no disconnection wait: both disconnect at once
    assert str(error) == f"timeout_connection ({expected:g}s) expired; not connected: EXEC-HANGS"
    table = next(r.getMessage() for r in caplog.records if "waiting for clients" in r.getMessage())
    assert "DATA-OK" in table and "yes" in table
    assert "EXEC-HANGS  execution  NO" in table
    assert strategy.started_at is None  # the trader never started
    assert node.state is NodeState.STOPPED


@pytest.mark.parametrize(("configured", "expected"), [(None, 10.0), (0.25, 0.25)])
async def test_timeout_reconciliation_per_client_then_start(
    autojump_clock: trio.testing.MockClock, configured: float | None, expected: float
) -> None:
    node = make_test_node(**({} if configured is None else {"timeout_reconciliation": configured}))
    node.add_exec_client(ScriptedExecutionClient("A", mass_status_hangs=True))
    node.add_exec_client(
        ScriptedExecutionClient(
            "B",
            venue=__import__("livetrade").model.Venue("OTHER"),
            account_id="OTHER-1",
            mass_status_hangs=True,
        )
    )
    strategy = Recorder()
    node.add_strategy(strategy)
    async with running_node(node):
        # Each client gets its own bound; the trader starts after both expired.
        assert strategy.started_at == DEFAULT_TEST_EPOCH_NS + round(2 * expected * NS)


@pytest.mark.parametrize(("configured", "expected"), [(None, 10.0), (3.0, 3.0)])
async def test_timeout_portfolio_without_account_state(
    autojump_clock: trio.testing.MockClock, configured: float | None, expected: float
) -> None:
    node = make_test_node(**({} if configured is None else {"timeout_portfolio": configured}))
    node.add_exec_client(ScriptedExecutionClient(send_account_state=False))
    error = await run_until_failure(node)
    assert trio.current_time() == expected
    assert (
        str(error) == f"timeout_portfolio ({expected:g}s) expired: no account state from venues SIM"
    )


@pytest.mark.parametrize(("configured", "expected"), [(None, 10.0), (1.5, 1.5)])
async def test_timeout_disconnection_names_the_laggard(
    autojump_clock: trio.testing.MockClock,
    caplog: pytest.LogCaptureFixture,
    configured: float | None,
    expected: float,
) -> None:
    node = make_test_node(**({} if configured is None else {"timeout_disconnection": configured}))
    node.add_data_client(ScriptedDataClient("SLOW", disconnect_hangs=True))
    node.add_exec_client(ScriptedExecutionClient("FAST"))
    with caplog.at_level(logging.ERROR, logger="livetrade.node"):
        async with trio.open_nursery() as nursery:
            await nursery.start(node.run)
            stop_at = trio.current_time()
            node.handle.stop()
    assert trio.current_time() - stop_at == expected
    assert any(
        r.getMessage() == f"timeout_disconnection ({expected:g}s) expired; not disconnected: SLOW"
        for r in caplog.records
    )


async def _submit_in_flight(node: object, strategy: Recorder) -> None:
    init = strategy.order_factory.limit(
        BTC,
        OrderSide.BUY,
        Quantity("1.000"),
        strategy.cache.instrument(BTC).make_price("100"),  # type: ignore[union-attr]
    )
    strategy.submit_order(init)
    await trio.testing.wait_all_tasks_blocked()


@pytest.mark.parametrize(("configured", "expected"), [(None, 5.0), (0.75, 0.75)])
async def test_timeout_post_stop_waits_for_in_flight_orders(
    autojump_clock: trio.testing.MockClock, configured: float | None, expected: float
) -> None:
    node = make_test_node(**({} if configured is None else {"timeout_post_stop": configured}))
    node.add_data_client(ScriptedDataClient())
    node.add_exec_client(ScriptedExecutionClient(on_submit="ignore"))
    strategy = Recorder()
    node.add_strategy(strategy)
    async with trio.open_nursery() as nursery:
        await nursery.start(node.run)
        await _submit_in_flight(node, strategy)
        stop_at = trio.current_time()
        node.handle.stop()
    assert trio.current_time() - stop_at == expected
    (order,) = node.cache.orders()
    assert order.status is OrderStatus.SUBMITTED


async def test_post_stop_grace_processes_events_arriving_during_it(
    autojump_clock: trio.testing.MockClock,
) -> None:
    node = make_test_node()
    node.add_data_client(ScriptedDataClient())
    node.add_exec_client(ScriptedExecutionClient(latency=1.25))
    strategy = Recorder()
    node.add_strategy(strategy)
    async with trio.open_nursery() as nursery:
        await nursery.start(node.run)
        await _submit_in_flight(node, strategy)
        stop_at = trio.current_time()
        node.handle.stop()
    # The ack came 1.25 s after the submit, during the grace, and ended it at once.
    assert trio.current_time() - stop_at == 1.25
    (order,) = node.cache.orders()
    assert order.status is OrderStatus.ACCEPTED
    assert "OrderAccepted" in strategy.kinds()


async def test_quiet_node_stops_without_waiting(autojump_clock: trio.testing.MockClock) -> None:
    node = make_test_node()
    node.add_data_client(ScriptedDataClient())
    node.add_exec_client(ScriptedExecutionClient())
    async with trio.open_nursery() as nursery:
        await nursery.start(node.run)
        stop_at = trio.current_time()
        node.handle.stop("quiet")
    assert trio.current_time() == stop_at
