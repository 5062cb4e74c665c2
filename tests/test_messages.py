"""Commands are immutable records that carry the order's definition, not the order."""

from __future__ import annotations

import attrs
import pytest

from livetrade.execution.messages import CancelOrder, ShutdownSystem, SubmitOrder
from livetrade.model.identifiers import ClientOrderId
from livetrade.testing import make_order_init


def test_submit_carries_the_immutable_definition() -> None:
    init = make_order_init("O-7")
    command = SubmitOrder(
        trader_id=init.trader_id,
        strategy_id=init.strategy_id,
        instrument_id=init.instrument_id,
        ts_init=5,
        order=init,
    )
    assert command.order is init
    assert command.client_id is None
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        command.ts_init = 6  # type: ignore[misc]


def test_each_command_gets_a_fresh_id() -> None:
    init = make_order_init()
    common = {
        "trader_id": init.trader_id,
        "strategy_id": init.strategy_id,
        "instrument_id": init.instrument_id,
        "ts_init": 0,
    }
    a = CancelOrder(**common, client_order_id=ClientOrderId("O-1"))
    b = CancelOrder(**common, client_order_id=ClientOrderId("O-1"))
    assert a.command_id != b.command_id
    assert ShutdownSystem(reason="done", ts_init=0).requested_by == ""
