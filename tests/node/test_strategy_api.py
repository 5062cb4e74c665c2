"""The strategy API end to end on a node with scripted venue clients (virtual time)."""

from __future__ import annotations

from decimal import Decimal

import trio
import trio.testing
from node_support import BTC, Recorder, quote

from livetrade.clock import TimeEvent
from livetrade.config import StrategyConfig
from livetrade.execution.messages import CancelOrder, SubmitOrder, SubmitOrderList
from livetrade.model import (
    ClientOrderId,
    Order,
    OrderSide,
    OrderStatus,
    Quantity,
    QuoteTick,
    TimeInForce,
)
from livetrade.node.clocks import DEFAULT_TEST_EPOCH_NS
from livetrade.testing.builders import make_order
from livetrade.testing.node import make_test_node, running_node, settle
from livetrade.testing.scripted import ScriptedDataClient, ScriptedExecutionClient

NS = 1_000_000_000


def build(
    strategy: Recorder, **venue_options: object
) -> tuple[object, ScriptedDataClient, ScriptedExecutionClient]:
    node = make_test_node()
    data = ScriptedDataClient()
    venue = ScriptedExecutionClient(**venue_options)  # type: ignore[arg-type]
    node.add_data_client(data)
    node.add_exec_client(venue)
    node.add_strategy(strategy)
    return node, data, venue


def limit(strategy: Recorder, side: OrderSide, qty: str, px: str, **kw: object) -> Order:
    instrument = strategy.cache.instrument(BTC)
    assert instrument is not None
    return Order(
        strategy.order_factory.limit(BTC, side, Quantity(qty), instrument.make_price(px), **kw)
    )  # type: ignore[arg-type]


async def test_submit_fill_position_and_portfolio(autojump_clock: trio.testing.MockClock) -> None:
    strategy = Recorder()
    node, data, venue = build(strategy, on_submit="fill")
    async with running_node(node):
        await data.push(quote("100.00", "100.02"))
        order = strategy.submit_order(limit(strategy, OrderSide.BUY, "2", "100.02"))
        await settle(node)
        assert order.status is OrderStatus.FILLED
        assert strategy.kinds()[1:] == [
            "OrderInitialized",
            "OrderSubmitted",
            "OrderAccepted",
            "OrderFilled",
            "PositionOpened",
        ]
        assert node.portfolio.net_position(BTC) == Decimal("2")
        unrealized = node.portfolio.unrealized_pnl(BTC)
        assert unrealized is not None and str(unrealized) == "-0.04000000 USDT"  # marked at the bid
        (command,) = venue.commands
        assert (
            isinstance(command, SubmitOrder)
            and command.order.client_order_id == order.client_order_id
        )


async def test_risk_denies_bad_precision_and_throttles(
    autojump_clock: trio.testing.MockClock,
) -> None:
    strategy = Recorder()
    node, _data, _venue = build(strategy)
    async with running_node(node):
        bad = strategy.submit_order(
            strategy.order_factory.limit(
                BTC,
                OrderSide.BUY,
                Quantity("0.0001"),
                strategy.cache.instrument(BTC).make_price("1"),
            )  # type: ignore[union-attr]
        )
        await settle(node)
        assert bad.status is OrderStatus.DENIED
        assert "quantity" in bad.last_event.reason  # type: ignore[attr-defined]
        orders = [
            strategy.submit_order(limit(strategy, OrderSide.BUY, "1", "90")) for _ in range(101)
        ]
        await settle(node)
        statuses = [o.status for o in orders]
        assert statuses.count(OrderStatus.ACCEPTED) == 100  # max_order_submit_rate 100/00:00:01
        assert statuses[-1] is OrderStatus.DENIED
        await trio.sleep(1)
        late = strategy.submit_order(limit(strategy, OrderSide.BUY, "1", "90"))
        await settle(node)
        assert late.status is OrderStatus.ACCEPTED


async def test_modify_cancel_and_cancel_all(autojump_clock: trio.testing.MockClock) -> None:
    strategy = Recorder()
    node, _data, _venue = build(strategy)
    async with running_node(node):
        a = strategy.submit_order(limit(strategy, OrderSide.BUY, "1", "90"))
        b = strategy.submit_order(limit(strategy, OrderSide.SELL, "1", "110"))
        c = strategy.submit_order(limit(strategy, OrderSide.SELL, "1", "111"))
        await settle(node)
        instrument = strategy.cache.instrument(BTC)
        assert instrument is not None
        strategy.modify_order(a, price=instrument.make_price("91"))
        await settle(node)
        assert a.price == instrument.make_price("91") and a.status is OrderStatus.ACCEPTED
        strategy.cancel_order(a)
        await settle(node)
        assert a.status is OrderStatus.CANCELED
        strategy.cancel_all_orders(BTC, OrderSide.SELL)
        await settle(node)
        assert (b.status, c.status) == (OrderStatus.CANCELED, OrderStatus.CANCELED)
    kinds = strategy.kinds()
    assert kinds.count("OrderPendingUpdate") == 1 and kinds.count("OrderUpdated") == 1
    assert kinds.count("OrderPendingCancel") == 3 and kinds.count("OrderCanceled") == 3


async def test_client_order_ids_resume_past_the_cache(
    autojump_clock: trio.testing.MockClock,
) -> None:
    strategy = Recorder()
    node, _data, _venue = build(strategy)
    cached = make_order(
        "O-20251231-235959-001-000-41", instrument_id="BTCUSDT.SIM", strategy_id="Recorder-000"
    )
    node.kernel.cache.add_order(cached)  # as if loaded from the database at start
    async with running_node(node):
        order = strategy.submit_order(limit(strategy, OrderSide.BUY, "1", "90"))
    assert order.client_order_id == ClientOrderId("O-20260101-000000-001-000-42")


async def test_uuid_client_order_ids(autojump_clock: trio.testing.MockClock) -> None:
    config = StrategyConfig(path="node_support:Recorder", use_uuid_client_order_ids=True)
    strategy = Recorder(config)
    node, _data, _venue = build(strategy)
    async with running_node(node):
        order = strategy.submit_order(limit(strategy, OrderSide.BUY, "1", "90"))
    assert len(order.client_order_id.value) == 36 and order.client_order_id.value.count("-") == 4


async def test_gtd_expiry_managed_by_the_strategy(autojump_clock: trio.testing.MockClock) -> None:
    config = StrategyConfig(path="node_support:Recorder", manage_gtd_expiry=True)
    strategy = Recorder(config)
    node, _data, venue = build(strategy)
    expire = DEFAULT_TEST_EPOCH_NS + 30 * NS
    async with running_node(node):
        order = strategy.submit_order(
            limit(
                strategy,
                OrderSide.BUY,
                "1",
                "90",
                time_in_force=TimeInForce.GTD,
                expire_time_ns=expire,
            )
        )
        await trio.sleep(29.999)
        assert order.status is OrderStatus.ACCEPTED
        await trio.sleep(0.001)
        await settle(node)
        assert order.status is OrderStatus.CANCELED
    (cancel,) = [c for c in venue.commands if isinstance(c, CancelOrder)]
    assert cancel.ts_init == expire


async def test_bracket_managed_contingencies(autojump_clock: trio.testing.MockClock) -> None:
    config = StrategyConfig(path="node_support:Recorder", manage_contingent_orders=True)
    strategy = Recorder(config)
    node, _data, venue = build(strategy, on_submit="accept")
    async with running_node(node):
        instrument = strategy.cache.instrument(BTC)
        assert instrument is not None
        bracket = strategy.order_factory.bracket(
            BTC,
            OrderSide.BUY,
            Quantity("1"),
            entry_price=instrument.make_price("100"),
            sl_trigger_price=instrument.make_price("95"),
            tp_price=instrument.make_price("110"),
        )
        entry, sl, tp = strategy.submit_order_list(bracket)
        await settle(node)
        assert [type(c).__name__ for c in venue.commands] == ["SubmitOrder"]
        assert (sl.status, tp.status) == (OrderStatus.INITIALIZED, OrderStatus.INITIALIZED)
        await venue.push_event(
            venue._fill(entry.init_event, entry.venue_order_id, venue._base(entry.client_order_id))
        )  # type: ignore[arg-type]
        await settle(node)
        assert (sl.status, tp.status) == (OrderStatus.ACCEPTED, OrderStatus.ACCEPTED)
        await venue.push_event(
            venue._fill(tp.init_event, tp.venue_order_id, venue._base(tp.client_order_id))
        )  # type: ignore[arg-type]
        await settle(node)
        assert tp.status is OrderStatus.FILLED
        assert sl.status is OrderStatus.CANCELED
    (position,) = node.cache.positions()
    assert position.is_closed


async def test_bracket_unmanaged_goes_to_the_venue_as_a_list(
    autojump_clock: trio.testing.MockClock,
) -> None:
    strategy = Recorder()
    node, _data, venue = build(strategy)
    async with running_node(node):
        instrument = strategy.cache.instrument(BTC)
        assert instrument is not None
        bracket = strategy.order_factory.bracket(
            BTC,
            OrderSide.SELL,
            Quantity("1"),
            sl_trigger_price=instrument.make_price("105"),
            tp_price=instrument.make_price("90"),
        )
        orders = strategy.submit_order_list(bracket)
        await settle(node)
    (command,) = venue.commands
    assert isinstance(command, SubmitOrderList) and len(command.orders) == 3
    assert all(o.status is OrderStatus.ACCEPTED for o in orders)


async def test_timers_and_alerts_fire_at_exact_virtual_times(
    autojump_clock: trio.testing.MockClock,
) -> None:
    fired: list[tuple[str, int, float]] = []

    class Timed(Recorder):
        def on_start(self) -> None:
            super().on_start()
            now = self.clock.timestamp_ns()
            self.clock.set_timer("tick", NS, self.on_time, stop_ns=now + 3 * NS)
            self.clock.set_time_alert("once", now + 2_500_000_000, self.on_time)
            self.clock.set_time_alert("cancelled", now + 2 * NS, self.on_time)
            self.clock.set_timer("boom", 4 * NS, self.explode)
            self.clock.cancel_timer("cancelled")

        def on_time(self, event: TimeEvent) -> None:
            fired.append((event.name, event.ts_event - DEFAULT_TEST_EPOCH_NS, trio.current_time()))

        def explode(self, event: TimeEvent) -> None:
            raise RuntimeError("timer bug")

    strategy = Timed()
    node, _data, _venue = build(strategy)
    async with running_node(node):
        await trio.sleep(10)
        assert strategy.clock.timer_names == ["boom"]
        assert strategy.errors == 2  # fired at 4 s and 8 s, logged, the node kept running
    assert fired == [
        ("tick", NS, 1.0),
        ("tick", 2 * NS, 2.0),
        ("once", 2_500_000_000, 2.5),
        ("tick", 3 * NS, 3.0),
    ]


async def test_cancel_is_handled_before_100k_queued_quotes(
    autojump_clock: trio.testing.MockClock,
) -> None:
    seen_at_cancel: list[int] = []

    class Counting(Recorder):
        count = 0

        def on_quote_tick(self, tick: QuoteTick) -> None:
            self.count += 1

    strategy = Counting()

    class Venue(ScriptedExecutionClient):
        def cancel_order(self, command: CancelOrder) -> None:
            seen_at_cancel.append(strategy.count)
            super().cancel_order(command)

    node = make_test_node()
    data = ScriptedDataClient()
    venue = Venue()
    node.add_data_client(data)
    node.add_exec_client(venue)
    node.add_strategy(strategy)
    async with running_node(node):
        strategy.subscribe_quote_ticks(BTC)
        order = strategy.submit_order(limit(strategy, OrderSide.BUY, "1", "90"))
        await settle(node)
        tick = quote()
        for _ in range(100_000):
            data.push_nowait(tick)
        strategy.cancel_order(order)  # queued after the quotes
        await settle(node)
        assert strategy.count == 100_000
    assert seen_at_cancel == [0]
