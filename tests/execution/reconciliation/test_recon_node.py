"""Startup reconciliation inside a running node (scripted venue, virtual time)."""

from __future__ import annotations

import logging

import pytest
import trio
from recon_support import (
    CLIENT,
    IID,
    fill_report,
    mass_status,
    order_report,
    position_report,
)

import livetrade.node.startup as startup_module
from livetrade import NodeState, StartupError
from livetrade.config.strategies import StrategyConfig
from livetrade.execution.reconciliation import OrderAction, PositionAction
from livetrade.model import (
    AccountId,
    ClientId,
    ClientOrderId,
    ExecutionMassStatus,
    OrderStatus,
    PositionSide,
    StrategyId,
    Venue,
)
from livetrade.testing.node import make_test_node, running_node
from livetrade.testing.scripted import ScriptedDataClient, ScriptedExecutionClient, make_instrument
from livetrade.trading.strategy import Strategy

S = OrderStatus


def claiming_strategy() -> Strategy:
    return Strategy(
        StrategyConfig(
            path="livetrade.trading.strategy:Strategy",
            strategy_id=StrategyId("EMA-001"),
            external_order_claims=[IID],
        )
    )


async def test_node_start_applies_the_mass_status_before_the_trader_starts(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="livetrade.node")
    mass = mass_status(
        [
            order_report("V-9", coid=None, status=S.FILLED, filled="1.000", avg_px="100.00"),
            order_report("V-10", coid=None, price="95.00"),
        ],
        [fill_report("T-9", "V-9", coid=None)],
        [position_report(PositionSide.LONG, "1.500", "100.00")],
    )
    node = make_test_node()
    node.add_data_client(ScriptedDataClient())
    node.add_exec_client(
        ScriptedExecutionClient(CLIENT.value, mass_status=mass, mass_status_delay=2.0)
    )
    node.add_strategy(claiming_strategy())
    async with running_node(node):
        assert node.state is NodeState.RUNNING
        assert trio.current_time() == 2.0
        cache = node.cache
        filled = cache.order(ClientOrderId("V-9"))
        working = cache.order(ClientOrderId("V-10"))
        assert filled is not None and working is not None
        assert (filled.strategy_id, filled.status, str(filled.filled_qty)) == (
            StrategyId("EMA-001"),
            S.FILLED,
            "1.000",
        )
        assert (working.strategy_id, working.status) == (StrategyId("EMA-001"), S.ACCEPTED)
        assert cache.client_id_for_order(ClientOrderId("V-10")) == CLIENT
        assert cache.net_position_raw(IID) == 1_500_000_000
        assert [
            o.strategy_id.value for o in cache.orders(strategy_id=StrategyId("INTERNAL-DIFF"))
        ] == ["INTERNAL-DIFF"]
        report = node.reconciliation_reports[CLIENT]
        assert report.count(OrderAction.CREATED) == 2
        position = report.position(IID)
        assert position is not None and position.action is PositionAction.GENERATED
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert (
        logging.INFO,
        "reconciliation SIM: order V-9 [EMA-001]: not cached, venue FILLED 1.000/1.000 "
        "(1 fill report): applied OrderAccepted, OrderFilled (not in the cache: created as EMA-001)",
    ) in messages
    assert any(
        m.startswith("reconciliation of SIM: 2 orders (0 updated, 2 created") for _, m in messages
    )


async def test_duplicate_client_order_ids_fail_the_start(
    autojump_clock: trio.testing.MockClock,
) -> None:
    mass = mass_status([order_report("V-1", coid="O-1"), order_report("V-2", coid="O-1")])
    node = make_test_node()
    node.add_data_client(ScriptedDataClient())
    node.add_exec_client(ScriptedExecutionClient(CLIENT.value, mass_status=mass))
    with pytest.raises(StartupError) as info:
        await node.run(handle_signals=False)
    assert str(info.value) == (
        "mass status from SIM has duplicate client order ids: O-1 (venue orders V-1, V-2); "
        "reconciliation refused to guess (list them in exec_engine.filtered_client_order_ids "
        "to skip them)"
    )
    assert node.cache.orders_count() == 0
    assert node.state is NodeState.STOPPED


async def test_one_client_failing_leaves_nothing_of_it_and_the_others_go_on(
    autojump_clock: trio.testing.MockClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = startup_module.reconcile_mass_status

    def flaky(cache: object, mass: ExecutionMassStatus, settings: object) -> object:
        if mass.client_id == CLIENT:
            raise RuntimeError("boom")
        return real(cache, mass, settings)  # type: ignore[arg-type]

    monkeypatch.setattr(startup_module, "reconcile_mass_status", flaky)
    other_account = AccountId("OTHER-1")
    other = mass_status(
        [
            order_report(
                coid=None,
                instrument_id=make_instrument(venue="OTHER").instrument_id,
                account_id=other_account,
            )
        ],
        client_id=ClientId("OTHER"),
        account_id=other_account,
        venue=Venue("OTHER"),
    )
    node = make_test_node()
    node.add_data_client(ScriptedDataClient(instruments=[make_instrument()]))
    node.add_exec_client(
        ScriptedExecutionClient(
            CLIENT.value, mass_status=mass_status([order_report("V-1", coid=None)])
        )
    )
    node.add_exec_client(
        ScriptedExecutionClient(
            "OTHER", venue=Venue("OTHER"), account_id="OTHER-1", mass_status=other
        )
    )
    async with running_node(node):
        assert node.state is NodeState.RUNNING
        assert node.cache.order(ClientOrderId("V-1")) is None
        assert node.cache.order(ClientOrderId("V-O-1")) is not None
        assert set(node.reconciliation_reports) == {ClientId("OTHER")}
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert (
        "reconciliation of SIM failed: RuntimeError('boom'); nothing of it was applied, "
        "other clients go on"
    ) in errors
