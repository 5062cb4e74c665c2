"""The other maintenance jobs on a running node: positions, own books, purges, snapshots,
reconnects; and the sandbox end to end with injected faults.

Same policy as ``test_maintenance.py``: maintenance starts at virtual time 0 with
the node, the first runs are at 10 s, and each outcome is asserted at its exact
virtual time.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import pytest
import trio
import trio.testing
from maintenance_support import (
    BTC,
    NS,
    MassStatusVenue,
    Setup,
    build,
    fill_report_of,
    maintained,
    quote,
    start_maintenance,
)

from livetrade.adapters.sandbox.faults import Faults
from livetrade.clock import TimeEvent
from livetrade.config.engines import ExecEngineConfig
from livetrade.execution.checks import OrderSnapshot, PositionSnapshot
from livetrade.model import (
    AccountState,
    ClientOrderId,
    InstrumentId,
    Order,
    OrderFilled,
    OrderSide,
    OrderStatus,
    PositionId,
    PositionSide,
    PositionStatusReport,
    Quantity,
    TradeId,
)
from livetrade.node.clocks import DEFAULT_TEST_EPOCH_NS
from livetrade.node.maintenance import Maintenance
from livetrade.testing.node import running_node, settle
from livetrade.testing.sandbox import SandboxSetup, sandbox_node
from livetrade.trading.strategy import Strategy

S = OrderStatus
SANDBOX_BTC = InstrumentId("BTCUSDT.SANDBOX")


def applied_at(event_ts_init: int) -> float:
    return (event_ts_init - DEFAULT_TEST_EPOCH_NS) / NS


async def run_until(setup: Setup, seconds: float) -> None:
    await trio.sleep_until(seconds)
    await settle(setup.node)


def long(setup: Setup, qty: str, avg: str | None = None) -> PositionStatusReport:
    ts = setup.node.kernel.clock.timestamp_ns()
    return PositionStatusReport(
        account_id=setup.venue.account_id,
        instrument_id=BTC,
        position_side=PositionSide.LONG,
        quantity=Quantity(qty),
        avg_px_open=None if avg is None else Decimal(avg),
        ts_last=ts,
        ts_init=ts,
    )


# -- position checks -------------------------------------------------------------------------------


async def test_a_position_drift_from_a_missed_fill_is_closed_by_the_fill(
    autojump_clock: trio.testing.MockClock,
) -> None:
    setup = build(position_check_interval_secs=5.0)
    async with maintained(setup):
        order = setup.driver.limit("99.00")
        await settle(setup.node)
        # The venue filled it; the fill message never arrived.
        lost = OrderFilled(
            **{
                **_fill_fields(setup, order),
                "trade_id": TradeId("T-LOST"),
            }
        )
        setup.venue.know(order, S.FILLED, filled="1.000")
        setup.venue.fill_truth.append(fill_report_of(setup, lost))
        setup.venue.position_truth.append(long(setup, "1.000", "99.00"))
        await run_until(setup, 9.9)
        assert order.status is S.ACCEPTED
        await run_until(setup, 11)
        assert order.status is S.FILLED
        assert order.trade_ids == {TradeId("T-LOST")}
        assert applied_at(order.last_event.ts_init) == 10.0
        assert setup.node.portfolio.net_position(BTC) == Decimal("1.000")
        await run_until(setup, 60)
        assert len(setup.node.cache.orders()) == 1  # no INTERNAL-DIFF order


async def test_an_unexplained_drift_that_holds_is_reconciled_as_at_startup(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="livetrade.maintenance")
    setup = build(position_check_interval_secs=5.0)
    async with maintained(setup):
        setup.venue.position_truth.append(long(setup, "0.500", "100.00"))
        await run_until(setup, 14.9)
        assert setup.node.cache.orders() == []  # seen at 10, not yet confirmed
        await run_until(setup, 16)
        (diff,) = setup.node.cache.orders()
        assert diff.strategy_id.value == "INTERNAL-DIFF"
        assert diff.status is S.FILLED
        assert applied_at(diff.last_event.ts_init) == 15.0
        assert setup.node.portfolio.net_position(BTC) == Decimal("0.500")
        await run_until(setup, 60)
        assert len(setup.node.cache.orders()) == 1
    assert "position BTCUSDT.SIM: cache 0, venue 0.5 (difference 0.5): looking for missed" in (
        caplog.text
    )
    assert "unchanged since the last check and not explained by fills" in caplog.text


async def test_a_failed_position_query_decides_nothing(
    autojump_clock: trio.testing.MockClock,
) -> None:
    setup = build(position_check_interval_secs=5.0)
    setup.venue.bulk_mode = "fail"
    async with maintained(setup) as maintenance:
        setup.venue.position_truth.append(long(setup, "0.500", "100.00"))
        await run_until(setup, 100)
        assert setup.node.cache.orders() == []
        assert maintenance.statistics().checks.unknown == 19  # 10, 15, ... 100


# -- own-books audit --------------------------------------------------------------------------------


async def test_the_own_books_audit_names_the_orders_the_book_contradicts(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="livetrade.maintenance")
    setup = build(own_books_audit_interval_secs=5.0)
    async with maintained(setup) as maintenance:
        crossed = setup.driver.limit("100.05")
        fine = setup.driver.limit("99.00")
        await run_until(setup, 1)
        await setup.data.push(quote("100.00", "100.02", ts=DEFAULT_TEST_EPOCH_NS + NS))
        await run_until(setup, 11)
        assert maintenance.statistics().checks.book_inconsistencies == 1
    assert (
        f"own-books audit: own book BTCUSDT.SIM: BUY 1.000 @ 100.05 ({crossed.client_order_id}) "
        "crossed: the venue's best ask is 100.02 (quote)"
    ) in caplog.text
    assert str(fine.client_order_id) not in caplog.text


# -- purges --------------------------------------------------------------------------------------------


class Sink:
    def __init__(self) -> None:
        self.orders: list[ClientOrderId] = []
        self.positions: list[PositionId] = []
        self.accounts: list[AccountState] = []

    def delete_orders(self, ids: Iterable[ClientOrderId]) -> None:
        self.orders.extend(ids)

    def delete_positions(self, ids: Iterable[PositionId]) -> None:
        self.positions.extend(ids)

    def delete_account_events(self, states: Sequence[AccountState]) -> None:
        self.accounts.extend(states)


@pytest.mark.parametrize("from_database", [True, False])
async def test_purges_run_at_their_interval_after_their_buffer(
    autojump_clock: trio.testing.MockClock, from_database: bool
) -> None:
    setup = build(
        venue_options={"on_submit": "fill"},
        purge_closed_orders_interval_mins=1,
        purge_closed_orders_buffer_mins=1,
        purge_closed_positions_interval_mins=1,
        purge_closed_positions_buffer_mins=1,
        purge_account_events_interval_mins=1,
        purge_account_events_lookback_mins=1,
        purge_from_database=from_database,
    )
    sink = Sink()
    async with maintained(setup, purge_sink=sink) as maintenance:
        buy = setup.driver.limit("99.00")
        sell = setup.driver.limit("99.00", side=OrderSide.SELL)
        await run_until(setup, 5)
        await setup.venue.push_event(setup.venue.account_state())
        await run_until(setup, 69.9)
        cache = setup.node.cache
        assert len(cache.orders()) == 2 and cache.positions_closed_count() == 1
        await run_until(setup, 71)
        assert cache.orders() == [] and cache.positions() == []
        assert len(cache.account_states(setup.venue.account_id)) == 1  # the latest stays
        statistics = maintenance.statistics()
        assert (
            statistics.purged_orders,
            statistics.purged_positions,
            statistics.purged_account_events,
        ) == (2, 1, 1)
    if from_database:
        assert sink.orders == [buy.client_order_id, sell.client_order_id]
        assert len(sink.positions) == 1 and len(sink.accounts) == 1
    else:
        assert (sink.orders, sink.positions, sink.accounts) == ([], [], [])


# -- snapshots ------------------------------------------------------------------------------------------


async def test_snapshots_follow_events_and_the_interval(
    autojump_clock: trio.testing.MockClock,
) -> None:
    setup = build(
        venue_options={"on_submit": "fill"},
        snapshot_orders=True,
        snapshot_positions=True,
        snapshot_positions_interval_secs=5.0,
    )
    seen: list[Any] = []
    async with maintained(setup):
        setup.node.msgbus.subscribe("snapshots.*", seen.append)
        await setup.data.push(quote())
        order = setup.driver.limit("99.00")
        await run_until(setup, 16)
    orders = [s for s in seen if isinstance(s, OrderSnapshot)]
    positions = [s for s in seen if isinstance(s, PositionSnapshot)]
    assert [s.status for s in orders] == [S.INITIALIZED, S.SUBMITTED, S.ACCEPTED, S.FILLED]
    assert {s.client_order_id for s in orders} == {order.client_order_id}
    assert [applied_at(s.ts_snapshot) for s in positions] == [0.0, 10.0, 15.0]
    assert positions[-1].unrealized_pnl is not None


# -- reconnects -------------------------------------------------------------------------------------


async def test_a_reconnected_client_is_reconciled_before_it_is_trusted(
    autojump_clock: trio.testing.MockClock,
) -> None:
    setup = build(venue_class=MassStatusVenue)
    venue = setup.venue
    async with maintained(setup) as maintenance:
        order = setup.driver.limit("99.00")
        await run_until(setup, 3)
        lost = OrderFilled(**{**_fill_fields(setup, order), "trade_id": TradeId("T-LOST")})
        venue.know(order, S.FILLED, filled="1.000")
        venue.fill_truth.append(fill_report_of(setup, lost))
        venue.bulk_delay = 2.0
        maintenance.on_client_reconnected(venue)
        await run_until(setup, 4)
        assert maintenance.checks.untrusted == {venue.id}
        assert order.status is S.ACCEPTED
        await run_until(setup, 5)
        assert maintenance.checks.untrusted == set()
        assert order.status is S.FILLED and order.trade_ids == {TradeId("T-LOST")}
        assert applied_at(order.last_event.ts_init) == 3.0  # the mass status' time
        assert maintenance.statistics().checks.reconnect_reconciliations == 1


async def test_a_reconnect_before_maintenance_runs_waits_for_it(
    autojump_clock: trio.testing.MockClock,
) -> None:
    setup = build(venue_class=MassStatusVenue)
    venue = setup.venue
    async with running_node(setup.node) as node, trio.open_nursery() as nursery:
        maintenance = Maintenance(node.kernel)
        maintenance.on_client_reconnected(venue)
        assert maintenance.checks.untrusted == {venue.id}
        await nursery.start(maintenance.run)
        await run_until(setup, 1)
        assert maintenance.checks.untrusted == set()
        assert [q.kind for q in venue.queries] == ["mass", "mass"]  # startup, then reconnect
        maintenance.cancel()


def _fill_fields(setup: Setup, order: Order) -> dict[str, Any]:
    from livetrade.model import Currency, LiquiditySide, Money, VenueOrderId

    ts = setup.node.kernel.clock.timestamp_ns()
    usdt = Currency.from_str("USDT")
    assert order.price is not None
    return {
        "trader_id": order.trader_id,
        "strategy_id": order.strategy_id,
        "instrument_id": order.instrument_id,
        "client_order_id": order.client_order_id,
        "ts_event": ts,
        "ts_init": ts,
        "account_id": setup.venue.account_id,
        "venue_order_id": order.venue_order_id or VenueOrderId(f"V-{order.client_order_id}"),
        "order_side": order.side,
        "order_type": order.order_type,
        "last_qty": order.quantity,
        "last_px": order.price,
        "currency": usdt,
        "commission": Money("0", usdt),
        "liquidity_side": LiquiditySide.MAKER,
    }


# -- the sandbox, end to end -----------------------------------------------------------------------------


class Churner(Strategy):
    """Every 2 s: cancel own orders older than 10 s, quote one buy and one sell near the top."""

    def __init__(self, seed: int = 3) -> None:
        super().__init__()
        self.active = True
        self.rng = random.Random(seed)

    def on_start(self) -> None:
        self.subscribe_quote_ticks(SANDBOX_BTC)
        self.clock.set_timer("churn", 2 * NS, self.churn)

    def churn(self, event: TimeEvent) -> None:
        if not self.active:
            return
        quote_tick = self.cache.quote_tick(SANDBOX_BTC)
        instrument = self.cache.instrument(SANDBOX_BTC)
        if quote_tick is None or instrument is None:
            return
        now = self.clock.timestamp_ns()
        for order in self.cache.orders_open(strategy_id=self.strategy_id):
            if now - order.ts_last > 10 * NS and order.status is not S.PENDING_CANCEL:
                self.cancel_order(order)
        tick = instrument.price_increment.as_decimal()
        qty = Quantity("0.010")
        for side, top, sign in (
            (OrderSide.BUY, quote_tick.bid_price, -1),
            (OrderSide.SELL, quote_tick.ask_price, 1),
        ):
            offset = self.rng.randint(0, 3) * tick
            price = instrument.make_price(top.as_decimal() + sign * offset)
            self.submit_order(self.order_factory.limit(SANDBOX_BTC, side, qty, price))


def cache_vs_venue(setup: SandboxSetup) -> list[str]:
    """Every difference between the node's cache and the sandbox's own view (empty: equal)."""
    node, exchange = setup.node, setup.venue.exchange
    ts = node.kernel.clock.timestamp_ns()
    problems: list[str] = []
    reports = {r.client_order_id: r for r in exchange.order_status_reports(ts)}
    cached = {o.client_order_id: o for o in node.cache.orders()}
    for coid in sorted(set(reports) | set(cached), key=str):
        report, order = reports.get(coid), cached.get(coid)
        if report is None or order is None:
            problems.append(
                f"{coid}: at the venue {report is not None}, cached {order is not None}"
            )
            continue
        if order.status is not report.order_status:
            problems.append(f"{coid}: cached {order.status.name}, venue {report.order_status.name}")
        if order.filled_qty != report.filled_qty:
            problems.append(f"{coid}: filled {order.filled_qty}, venue {report.filled_qty}")
    venue_trades = {f.trade_id for f in exchange.fills()}
    node_trades = {t for o in node.cache.orders() for t in o.trade_ids}
    if venue_trades != node_trades:
        problems.append(f"trade ids differ: {sorted(map(str, venue_trades ^ node_trades))}")
    for report in exchange.position_status_reports(ts):
        net = node.portfolio.net_position(report.instrument_id)
        if net != report.signed_qty:
            problems.append(f"{report.instrument_id}: net {net}, venue {report.signed_qty}")
    return problems


async def test_sandbox_with_faults_converges_to_the_venue(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """30 virtual minutes of churn with dropped acks and fills, a stream outage, hung queries."""
    faults = Faults(seed=11, drop_ack=0.15, drop_fill=0.15)
    churner = Churner()
    setup = sandbox_node(
        churner,
        faults=faults,
        latency_ms=5,
        exec_engine=ExecEngineConfig(
            open_check_interval_secs=5.0,
            open_check_open_only=False,
            position_check_interval_secs=30.0,
        ),
    )
    async with running_node(setup.node) as node, trio.open_nursery() as nursery:
        maintenance = await start_maintenance(node, nursery)
        await trio.sleep_until(600)
        setup.venue.drop_stream(5.0)
        await trio.sleep_until(900)  # the venue signals its reconnect; no test help
        faults.reports = "hang"
        await trio.sleep_until(1020)
        faults.reports = "ok"
        await trio.sleep_until(1800)
        injected = dict(faults.injected)
        churner.active = False
        faults.drop_ack = faults.drop_fill = 0.0
        setup.data.pause()
        await trio.sleep_until(1920)
        await settle(node)
        assert cache_vs_venue(setup) == []
        assert injected["drop_ack"] > 10 and injected["drop_fill"] > 10
        assert injected["report_hang"] > 0
        assert setup.venue.reconnects == 1
        statistics = maintenance.statistics().checks
        assert statistics.reconnect_reconciliations == 1
        assert statistics.unknown > 0
        assert not [o for o in node.cache.orders() if o.strategy_id.value == "INTERNAL-DIFF"]
        maintenance.cancel()
