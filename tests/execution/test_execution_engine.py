"""The execution engine without a node: routing, local events, refusals, positions."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from livetrade.cache import Cache
from livetrade.config.engines import RiskEngineConfig
from livetrade.execution.engine import ExecutionEngine
from livetrade.execution.messages import CancelOrder, SubmitOrder
from livetrade.model import (
    AccountId,
    ClientId,
    OmsType,
    OrderSide,
    OrderStatus,
    PositionClosed,
    PositionId,
    PositionOpened,
    StrategyId,
    TraderId,
    Venue,
)
from livetrade.msgbus import MessageBus
from livetrade.risk.engine import RiskEngine
from livetrade.testing.builders import OrderEvents, make_order
from livetrade.testing.scripted import make_instrument

IID = "BTCUSDT.SIM"


class FixedClock:
    def __init__(self) -> None:
        self.now = 1_000

    def timestamp_ns(self) -> int:
        return self.now


class Client:
    """The smallest execution client: records what it is given."""

    def __init__(self, oms_type: OmsType = OmsType.NETTING, fail: bool = False) -> None:
        self.id = ClientId("SIM")
        self.venue = Venue("SIM")
        self.account_id = AccountId("SIM-001")
        self.oms_type = oms_type
        self.fail = fail
        self.taken: list[object] = []

    def _take(self, command: object) -> None:
        if self.fail:
            raise ConnectionError("socket closed")
        self.taken.append(command)

    submit_order = submit_order_list = modify_order = cancel_order = _take
    cancel_all_orders = query_order = _take


def setup(
    oms: OmsType = OmsType.NETTING, fail: bool = False
) -> tuple[ExecutionEngine, Cache, Client, list[Any]]:
    cache, bus, clock = Cache(), MessageBus(), FixedClock()
    cache.add_instrument(make_instrument())
    engine = ExecutionEngine(cache, bus, clock, RiskEngine(RiskEngineConfig(), cache, clock))
    client = Client(oms, fail)
    engine.register_client(client)  # type: ignore[arg-type]
    published: list[Any] = []
    bus.subscribe("events.*", published.append)
    return engine, cache, client, published


def submit(
    engine: ExecutionEngine, cache: Cache, coid: str = "O-1", side: OrderSide = OrderSide.BUY
) -> Any:
    order = make_order(coid, instrument_id=IID, side=side, price="100.00")
    cache.add_order(order)
    engine.execute(
        SubmitOrder(
            trader_id=TraderId("TRADER-001"),
            strategy_id=StrategyId("S-001"),
            instrument_id=order.instrument_id,
            ts_init=0,
            order=order.init_event,
        )
    )
    return order


def test_submit_goes_to_the_client_after_a_local_submitted() -> None:
    engine, cache, client, published = setup()
    order = submit(engine, cache)
    assert order.status is OrderStatus.SUBMITTED
    assert order.account_id == AccountId("SIM-001")
    assert [type(c).__name__ for c in client.taken] == ["SubmitOrder"]
    assert [type(e).__name__ for e in published] == ["OrderSubmitted"]
    assert published[0].ts_event == 1_000


def test_a_client_that_raises_rejects_the_order() -> None:
    engine, cache, _client, _published = setup(fail=True)
    order = submit(engine, cache)
    assert order.status is OrderStatus.REJECTED
    assert "ConnectionError('socket closed')" in order.last_event.reason  # type: ignore[attr-defined]


def test_refused_events_are_logged_counted_and_change_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine, cache, _client, published = setup()
    order = submit(engine, cache)
    events = OrderEvents(order, account_id="SIM-001")
    engine.process(events.accepted())
    fill = events.filled("1.000", "100.00")
    engine.process(fill)
    with caplog.at_level(logging.WARNING):
        engine.process(fill)  # duplicate trade id
        engine.process(events.accepted())  # FILLED -> ACCEPTED is not allowed
        stranger = make_order("O-404", instrument_id=IID)
        engine.process(OrderEvents(stranger, account_id="SIM-001").accepted())
    assert order.status is OrderStatus.FILLED
    assert engine.statistics().refused == {
        "duplicate fill": 1,
        "InvalidOrderTransition": 1,
        "unknown order": 1,
    }
    assert len(caplog.records) == 3
    assert [type(e).__name__ for e in published][-2:] == ["OrderFilled", "PositionOpened"]


@pytest.mark.parametrize(
    ("oms", "expected"),
    [(OmsType.NETTING, "BTCUSDT.SIM-S-001"), (OmsType.HEDGING, "BTCUSDT.SIM-S-001-O-1")],
)
def test_positions_follow_the_oms_type(oms: OmsType, expected: str) -> None:
    engine, cache, _client, published = setup(oms)
    buy = submit(engine, cache, "O-1")
    buy_events = OrderEvents(buy, account_id="SIM-001")
    engine.process(buy_events.accepted())
    engine.process(buy_events.filled("1.000", "100.00"))
    (position,) = cache.positions()
    assert position.id == PositionId(expected)
    assert isinstance(published[-1], PositionOpened)
    sell = submit(engine, cache, "O-2", OrderSide.SELL)
    if oms is OmsType.HEDGING:
        sell.position_id = position.id  # a closing order names the position it closes
    sell_events = OrderEvents(sell, account_id="SIM-001", ts_start=10)
    engine.process(sell_events.accepted())
    engine.process(sell_events.filled("1.000", "101.00"))
    assert position.is_closed
    assert isinstance(published[-1], PositionClosed)
    assert published[-1].realized_pnl.as_decimal() == 1


def test_cancel_of_a_held_order_is_local() -> None:
    engine, cache, client, _published = setup()
    held = make_order("O-9", instrument_id=IID)
    cache.add_order(held)
    engine.execute(
        CancelOrder(
            trader_id=TraderId("TRADER-001"),
            strategy_id=StrategyId("S-001"),
            instrument_id=held.instrument_id,
            ts_init=0,
            client_order_id=held.client_order_id,
        )
    )
    assert held.status is OrderStatus.CANCELED
    assert client.taken == []
