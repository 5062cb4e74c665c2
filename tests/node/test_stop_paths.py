"""Every way to stop a node takes the same path, from any state, leaving no task behind."""

from __future__ import annotations

import logging
import os
import signal

import pytest
import trio
import trio.lowlevel
import trio.testing
from node_support import BTC, Recorder, quote

from livetrade import NodeState
from livetrade.config import StrategyConfig
from livetrade.config.engines import DataEngineConfig
from livetrade.execution.messages import Subscribe
from livetrade.model import OrderSide, OrderStatus, Quantity, QuoteTick
from livetrade.testing.node import make_test_node, running_node, settle
from livetrade.testing.scripted import ScriptedDataClient, ScriptedExecutionClient


class Quitter(Recorder):
    def on_quote_tick(self, tick: QuoteTick) -> None:
        super().on_quote_tick(tick)
        self.shutdown_system("target reached")


async def test_stop_from_another_thread(autojump_clock: trio.testing.MockClock) -> None:
    node = make_test_node()
    async with trio.open_nursery() as nursery:
        await nursery.start(node.run)
        await trio.to_thread.run_sync(node.handle.stop, "from a thread")
    assert node.state is NodeState.STOPPED
    assert node.stop_reason == "from a thread"


async def test_stop_before_run_returns_at_once(autojump_clock: trio.testing.MockClock) -> None:
    node = make_test_node()
    node.handle.stop("never mind")
    result = await node.run(handle_signals=False)
    assert (result.reason, result.was_running, node.state) == (
        "never mind",
        False,
        NodeState.STOPPED,
    )
    assert trio.current_time() == 0


async def test_shutdown_system_from_a_strategy(autojump_clock: trio.testing.MockClock) -> None:
    node = make_test_node()
    data = ScriptedDataClient()
    node.add_data_client(data)
    strategy = Quitter()
    node.add_strategy(strategy)
    strategy_started = trio.Event()
    async with trio.open_nursery() as nursery:
        await nursery.start(node.run)
        strategy.subscribe_quote_ticks(BTC)
        strategy_started.set()
        await data.push(quote())
    assert node.stop_reason == "ShutdownSystem by Quitter-000: target reached"
    assert strategy.kinds() == ["on_start", "on_quote_tick", "on_stop"]


class ExplodingData(ScriptedDataClient):
    def subscribe(self, command: Subscribe) -> None:
        raise RuntimeError("venue refused the subscription")


@pytest.mark.parametrize("stop_on_error", [True, False])
async def test_engine_error_stops_only_when_configured(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture, stop_on_error: bool
) -> None:
    node = make_test_node(
        data_engine=DataEngineConfig(graceful_shutdown_on_exception=stop_on_error)
    )
    node.add_data_client(ExplodingData())
    strategy = Recorder()
    node.add_strategy(strategy)
    with caplog.at_level(logging.ERROR):
        async with running_node(node):
            strategy.subscribe_quote_ticks(BTC)
            await trio.sleep(1)
            running_after_error = node.state is NodeState.RUNNING
    assert running_after_error is not stop_on_error
    assert any(
        "venue refused the subscription" in r.getMessage() or r.exc_info for r in caplog.records
    )
    if stop_on_error:
        assert node.stop_reason is not None
        assert node.stop_reason.startswith("engine error in data_commands: RuntimeError(")


async def test_stop_during_a_hanging_connect_aborts_the_start(
    autojump_clock: trio.testing.MockClock,
) -> None:
    node = make_test_node()
    node.add_data_client(ScriptedDataClient(connect_hangs=True))
    strategy = Recorder()
    node.add_strategy(strategy)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(node.run)
        await trio.sleep(3)
        assert node.state is NodeState.STARTING
        node.handle.stop("impatient")
    assert trio.current_time() == 3  # no waiting for the 30 s connection timeout
    assert node.state is NodeState.STOPPED
    assert strategy.started_at is None


async def test_skip_grace_ends_the_remaining_waits(autojump_clock: trio.testing.MockClock) -> None:
    node = make_test_node()
    node.add_data_client(ScriptedDataClient(disconnect_hangs=True))
    node.add_exec_client(ScriptedExecutionClient(on_submit="ignore"))
    strategy = Recorder()
    node.add_strategy(strategy)
    async with trio.open_nursery() as nursery:
        await nursery.start(node.run)
        price = strategy.cache.instrument(BTC).make_price("100")  # type: ignore[union-attr]
        strategy.submit_order(
            strategy.order_factory.limit(BTC, OrderSide.BUY, Quantity("1"), price)
        )
        await settle(node)
        node.handle.stop("first Ctrl+C")
        await trio.sleep(1)
        node.skip_grace()  # what a second Ctrl+C does
    # 1 s into the 5 s residual-events grace; the 10 s disconnection wait is skipped too.
    assert trio.current_time() == 1


async def test_sigint_in_process_is_a_graceful_stop(autojump_clock: trio.testing.MockClock) -> None:
    node = make_test_node()
    async with trio.open_nursery() as nursery:
        await nursery.start(
            lambda task_status: node.run(handle_signals=True, task_status=task_status)
        )
        os.kill(os.getpid(), signal.SIGINT)
    assert node.stop_reason == "SIGINT"


async def test_no_task_outlives_run(autojump_clock: trio.testing.MockClock) -> None:
    finished: list[str] = []

    class Spawner(Recorder):
        def on_start(self) -> None:
            super().on_start()
            self.spawn(self.forever)

        async def forever(self) -> None:
            try:
                await trio.sleep_forever()
            finally:
                finished.append("spawned task")

    node = make_test_node()
    venue = ScriptedExecutionClient()
    node.add_exec_client(venue)
    node.add_strategy(Spawner())
    async with trio.open_nursery() as nursery:
        nursery.start_soon(node.run)
        await trio.sleep(1)
        node.handle.stop()
        await trio.lowlevel.checkpoint()  # only node.run is left; it must end without further help
    assert finished == ["spawned task"]
    assert node.state is NodeState.STOPPED


@pytest.mark.parametrize("policy", ["leave", "cancel_orders", "cancel_and_flatten"])
async def test_stop_policy(autojump_clock: trio.testing.MockClock, policy: str) -> None:
    node = make_test_node()
    data = ScriptedDataClient()
    venue = ScriptedExecutionClient(on_submit="fill")
    node.add_data_client(data)
    node.add_exec_client(venue)
    strategy = Recorder(StrategyConfig(path="node_support:Recorder", stop_policy=policy))  # type: ignore[arg-type]
    node.add_strategy(strategy)
    async with running_node(node):
        await data.push(quote("99.00", "99.02"))
        instrument = strategy.cache.instrument(BTC)
        assert instrument is not None
        strategy.submit_order(
            strategy.order_factory.limit(
                BTC, OrderSide.BUY, Quantity("2"), instrument.make_price("99.02")
            )
        )
        await settle(node)
        venue.on_submit = "accept"
        resting = strategy.submit_order(
            strategy.order_factory.limit(
                BTC, OrderSide.BUY, Quantity("1"), instrument.make_price("90")
            )
        )
        await settle(node)
        venue.on_submit = "fill"
    (position,) = node.cache.positions()
    if policy == "leave":
        assert resting.status is OrderStatus.ACCEPTED
        assert position.is_open
    elif policy == "cancel_orders":
        assert resting.status is OrderStatus.CANCELED
        assert position.is_open
    else:
        assert resting.status is OrderStatus.CANCELED
        assert position.is_closed
        closing = node.cache.order(position.closing_order_id)  # type: ignore[arg-type]
        assert closing is not None and closing.reduce_only and closing.side is OrderSide.SELL


async def test_strategy_exception_is_logged_and_isolated(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    class Fragile(Recorder):
        def on_quote_tick(self, tick: QuoteTick) -> None:
            super().on_quote_tick(tick)
            if len(self.calls) == 2:
                raise ValueError("bad strategy code")

    node = make_test_node()
    data = ScriptedDataClient()
    node.add_data_client(data)
    strategy = Fragile()
    node.add_strategy(strategy)
    with caplog.at_level(logging.ERROR):
        async with running_node(node):
            strategy.subscribe_quote_ticks(BTC)
            await data.push(quote(ts=1))
            await data.push(quote(ts=2))
            await settle(node)
            assert node.state is NodeState.RUNNING
    assert strategy.kinds() == ["on_start", "on_quote_tick", "on_quote_tick", "on_stop"]
    (record,) = [r for r in caplog.records if "bad strategy code" in str(r.exc_info)]
    assert record.getMessage().startswith("Fragile-000: error in on_quote_tick handling QuoteTick(")
    assert strategy.errors == 1
