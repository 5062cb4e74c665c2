"""Each injected fault: what the node does with it, and that reconciliation repairs it.

The market is frozen (``data.pause()``) before orders go out, so every price and
virtual time below is exact. "Reconciliation" here is the startup rule run on the
live node against the venue's mass status, as it runs after a restart (and, once
the continuous checks exist, after a reconnect).
"""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
import trio
from sandbox_node_support import BTC, venue_mismatches

from livetrade.adapters.sandbox.faults import Faults
from livetrade.errors import VenueQueryError
from livetrade.model import Order, OrderSide, OrderStatus, Price, Quantity
from livetrade.testing.node import running_node, settle
from livetrade.testing.sandbox import SandboxSetup, sandbox_node
from livetrade.trading.strategy import Strategy

QTY = Quantity("0.010")


class Driver(Strategy):
    """A strategy the test drives by hand."""

    def on_start(self) -> None:
        self.subscribe_quote_ticks(BTC)

    def buy(self, price: Price | None = None) -> Order:
        if price is None:
            init = self.order_factory.market(BTC, OrderSide.BUY, QTY)
        else:
            init = self.order_factory.limit(BTC, OrderSide.BUY, QTY, price)
        return self.submit_order(init)


async def frozen(setup: SandboxSetup) -> tuple[Driver, Price, Price]:
    """Let one quote in, freeze the market; return the strategy, bid and ask."""
    await trio.sleep(1)
    setup.data.pause()
    await settle(setup.node)
    quote = setup.node.cache.quote_tick(BTC)
    assert quote is not None
    driver = setup.node.trader.strategies[0]
    assert isinstance(driver, Driver)
    return driver, quote.bid_price, quote.ask_price


async def reconcile_now(setup: SandboxSetup) -> None:
    mass = await setup.venue.generate_mass_status(None)
    assert mass is not None
    setup.node.startup.reconcile(setup.venue, mass)
    await settle(setup.node)


def make(faults: Faults, **kwargs: object) -> SandboxSetup:
    setup = sandbox_node(Driver(), latency_ms=5, faults=faults, **kwargs)  # type: ignore[arg-type]
    return setup


async def test_dropped_ack_leaves_the_order_submitted_until_reconciled(
    autojump_clock: trio.testing.MockClock,
) -> None:
    setup = make(Faults(drop_ack=1.0))
    async with running_node(setup.node) as node:
        driver, bid, _ = await frozen(setup)
        order = driver.buy(Price(bid.as_decimal() - Decimal(5), 2))
        await trio.sleep(1)
        await settle(node)
        assert order.status is OrderStatus.SUBMITTED  # the venue accepted it; we never heard
        assert setup.venue.exchange.order(order.client_order_id) is not None
        assert setup.venue.faults.injected == {"drop_ack": 1}
        await reconcile_now(setup)
        assert order.status is OrderStatus.ACCEPTED
        assert order.venue_order_id is not None
        assert venue_mismatches(setup) == []


async def test_dropped_fill_leaves_the_order_accepted_until_reconciled(
    autojump_clock: trio.testing.MockClock,
) -> None:
    setup = make(Faults(drop_fill=1.0))
    async with running_node(setup.node) as node:
        driver, _, ask = await frozen(setup)
        order = driver.buy()
        await trio.sleep(1)
        await settle(node)
        assert order.status is OrderStatus.ACCEPTED
        venue_order = setup.venue.exchange.order(order.client_order_id)
        assert venue_order is not None
        assert node.portfolio.net_position(BTC) == 0
        await reconcile_now(setup)
        assert order.status is OrderStatus.FILLED
        assert order.filled_qty == QTY
        assert order.avg_px == ask.as_fraction()
        assert node.portfolio.net_position(BTC) == Decimal("0.010")
        assert venue_mismatches(setup) == []


async def test_duplicated_fill_is_applied_once(autojump_clock: trio.testing.MockClock) -> None:
    setup = make(Faults(duplicate_fill=1.0))
    async with running_node(setup.node) as node:
        driver, _, _ = await frozen(setup)
        order = driver.buy()
        await trio.sleep(1)
        await settle(node)
        assert order.status is OrderStatus.FILLED
        assert order.filled_qty == QTY
        assert node.kernel.exec_engine.statistics().refused == {"duplicate fill": 1}
        assert node.portfolio.net_position(BTC) == Decimal("0.010")
        assert venue_mismatches(setup) == []


async def test_delayed_messages_arrive_late_and_in_order(
    autojump_clock: trio.testing.MockClock,
) -> None:
    setup = make(Faults(delay=1.0, delay_ms=250))
    async with running_node(setup.node) as node:
        driver, _, _ = await frozen(setup)
        sent = node.kernel.clock.timestamp_ns()
        order = driver.buy()
        await trio.sleep(1)
        await settle(node)
        # 5 ms latency + 250 ms injected delay on each; per-order order is kept.
        delivered = [
            (type(e).__name__, e.ts_init - sent)
            for e in order.events
            if type(e).__name__ in ("OrderAccepted", "OrderFilled")
        ]
        assert delivered == [("OrderAccepted", 255_000_000), ("OrderFilled", 255_000_000)]
        assert venue_mismatches(setup) == []


async def test_fill_before_ack_still_ends_filled(autojump_clock: trio.testing.MockClock) -> None:
    setup = make(Faults(reorder_fill_before_ack=1.0))
    async with running_node(setup.node) as node:
        driver, _, _ = await frozen(setup)
        order = driver.buy()
        await trio.sleep(1)
        await settle(node)
        kinds = [type(e).__name__ for e in order.events]
        # The fill arrives first and is applied (SUBMITTED -> FILLED is allowed); the late
        # ack is refused as an invalid transition and counted, never half-applied.
        assert order.status is OrderStatus.FILLED
        assert setup.venue.faults.injected == {"reorder_fill_before_ack": 1}
        assert kinds == ["OrderInitialized", "OrderSubmitted", "OrderFilled"]
        assert (
            order.venue_order_id
            == setup.venue.exchange.order_status_report(
                0, client_order_id=order.client_order_id
            ).venue_order_id
        )  # type: ignore[union-attr]
        assert node.kernel.exec_engine.statistics().refused == {"InvalidOrderTransition": 1}
        assert venue_mismatches(setup) == []


async def test_stream_disconnect_loses_messages_until_the_reconnect_reconciles(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The fill lost while the stream was down is recovered by the reconnect's reconciliation."""
    caplog.set_level(logging.WARNING, logger="livetrade")
    setup = make(Faults())
    async with running_node(setup.node) as node:
        driver, _, _ = await frozen(setup)
        down_at = trio.current_time()
        setup.venue.drop_stream(3.0)
        order = driver.buy()
        await trio.sleep(1)
        await settle(node)
        assert order.status is OrderStatus.SUBMITTED
        assert setup.venue.lost_while_down == 2  # the ack and the fill
        # back at +3 s; the mass status query answers after the venue's 5 ms latency
        await trio.sleep_until(down_at + 3.004)
        assert setup.venue.reconnects == 1
        assert order.status is OrderStatus.SUBMITTED
        await trio.sleep_until(down_at + 3.005)
        await trio.testing.wait_all_tasks_blocked()
        assert order.status is OrderStatus.FILLED
        assert "reconnected; 2 messages were lost" in caplog.text
        assert f"execution client {setup.venue.id} reconnected: reconciling" in caplog.text
        assert all(e.reconciliation for e in order.events[2:])
        assert node.maintenance.statistics().checks.reconnect_reconciliations == 1
        assert venue_mismatches(setup) == []


async def test_cancel_of_a_filled_order_is_rejected(autojump_clock: trio.testing.MockClock) -> None:
    setup = make(Faults(drop_fill=1.0))
    async with running_node(setup.node) as node:
        driver, _, _ = await frozen(setup)
        order = driver.buy()
        await trio.sleep(1)
        driver.cancel_order(order)
        await trio.sleep(1)
        await settle(node)
        kinds = [type(e).__name__ for e in order.events]
        assert kinds[-2:] == ["OrderPendingCancel", "OrderCancelRejected"]
        assert order.status is OrderStatus.ACCEPTED  # back from PENDING_CANCEL
        await reconcile_now(setup)
        assert order.status is OrderStatus.FILLED


@pytest.mark.parametrize("mode", ["fail", "hang"])
async def test_report_queries_fail_or_hang(
    autojump_clock: trio.testing.MockClock, mode: str
) -> None:
    faults = Faults()
    faults.reports = mode  # type: ignore[assignment]
    setup = make(faults, timeout_reconciliation=3.0)
    start = trio.current_time()
    async with running_node(setup.node) as node:
        # Startup reconciliation could not get the mass status; the node still started.
        assert node.state.name == "RUNNING"
        if mode == "hang":
            assert trio.current_time() - start == pytest.approx(3.0, abs=0.01)
        with pytest.raises(VenueQueryError) if mode == "fail" else trio.move_on_after(5):
            await setup.venue.generate_order_status_reports()
    assert faults.injected[f"report_{mode}"] >= 2
