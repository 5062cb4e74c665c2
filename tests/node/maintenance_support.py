"""Shared pieces for the maintenance tests: a venue whose reports the test controls.

``FakeVenue`` is a scripted execution client (commands answered as scripted)
whose report queries answer from ``truth``, the venue's own view that a test
sets order by order. Each query is recorded with the Trio time it started, and
can be slowed (``*_delay``), made to fail or to hang (``*_mode``). What a query
returns is captured when it starts, as a real venue answers from the state it
had when the request reached it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any, Literal

import attrs
import trio
import trio.testing

from livetrade.config import NodeConfig
from livetrade.config.engines import ExecEngineConfig, RiskEngineConfig
from livetrade.errors import VenueQueryError
from livetrade.model import (
    ClientOrderId,
    Currency,
    ExecutionMassStatus,
    InstrumentId,
    LiquiditySide,
    Money,
    Order,
    OrderAccepted,
    OrderFilled,
    OrderSide,
    OrderStatus,
    OrderStatusReport,
    Price,
    Quantity,
    QuoteTick,
    TradeId,
    VenueOrderId,
)
from livetrade.model.reports import FillReport, PositionStatusReport
from livetrade.node.clocks import DEFAULT_TEST_EPOCH_NS
from livetrade.node.maintenance import Maintenance
from livetrade.node.node import LiveNode
from livetrade.testing.node import make_test_node, running_node
from livetrade.testing.scripted import ScriptedDataClient, ScriptedExecutionClient
from livetrade.trading.strategy import Strategy

BTC = InstrumentId("BTCUSDT.SIM")
USDT = Currency.from_str("USDT")
NS = 1_000_000_000
Mode = Literal["ok", "fail", "hang"]


def at(seconds: float) -> int:
    """The UNIX ns timestamp of a virtual time (seconds since the test began)."""
    return DEFAULT_TEST_EPOCH_NS + round(seconds * NS)


def quote(bid: str = "100.00", ask: str = "100.02", ts: int = 0) -> QuoteTick:
    return QuoteTick(
        instrument_id=BTC,
        bid_price=Price(bid),
        ask_price=Price(ask),
        bid_size=Quantity("1.000"),
        ask_size=Quantity("1.000"),
        ts_event=ts,
        ts_init=ts,
    )


@attrs.define
class Query:
    """One report query the venue received."""

    at: float
    kind: str
    client_order_id: ClientOrderId | None = None


class FakeVenue(ScriptedExecutionClient):
    """A scripted venue whose report queries answer from ``truth`` (see the module doc)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.truth: dict[ClientOrderId, OrderStatusReport] = {}
        self.fill_truth: list[FillReport] = []
        self.position_truth: list[PositionStatusReport] = []
        #: orders the bulk query leaves out (a venue's bulk endpoint limitation)
        self.bulk_hides: set[ClientOrderId] = set()
        self.bulk_mode: Mode = "ok"
        self.single_mode: Mode = "ok"
        self.bulk_delay = 0.0
        self.single_delay = 0.0
        self.queries: list[Query] = []

    def know(
        self,
        order: Order,
        status: OrderStatus,
        *,
        filled: str | None = None,
        ts: int | None = None,
    ) -> OrderStatusReport:
        """Make the venue hold ``order`` in ``status`` (``filled`` defaults to the cache's)."""
        filled_qty = order.filled_qty if filled is None else Quantity(filled)
        ts_last = ts if ts is not None else order.ts_last
        report = OrderStatusReport(
            account_id=self.account_id,
            instrument_id=order.instrument_id,
            venue_order_id=order.venue_order_id or VenueOrderId(f"V-{order.client_order_id}"),
            client_order_id=order.client_order_id,
            order_side=order.side,
            order_type=order.order_type,
            time_in_force=order.time_in_force,
            order_status=status,
            quantity=order.quantity,
            filled_qty=filled_qty,
            avg_px=None if filled_qty.is_zero() else order.price.as_decimal(),  # type: ignore[union-attr]
            price=order.price,
            ts_accepted=ts_last,
            ts_last=ts_last,
            ts_init=ts_last,
        )
        self.truth[order.client_order_id] = report
        return report

    def singles(self) -> list[Query]:
        return [q for q in self.queries if q.kind == "single"]

    async def _gate(self, mode: Mode, delay: float) -> None:
        if mode == "hang":
            await trio.sleep_forever()
        if delay:
            await trio.sleep(delay)
        if mode == "fail":
            raise VenueQueryError("fake venue: query failed")

    async def generate_order_status_reports(
        self,
        *,
        instrument_id: InstrumentId | None = None,
        open_only: bool = False,
        start_ns: int | None = None,
    ) -> list[OrderStatusReport]:
        self.queries.append(Query(trio.current_time(), "bulk"))
        answer = [
            r
            for coid, r in self.truth.items()
            if coid not in self.bulk_hides
            and (instrument_id is None or r.instrument_id == instrument_id)
            and (not open_only or r.is_open)
            and (start_ns is None or r.is_open or r.ts_last >= start_ns)
        ]
        await self._gate(self.bulk_mode, self.bulk_delay)
        return answer

    async def generate_order_status_report(
        self,
        *,
        instrument_id: InstrumentId,
        client_order_id: ClientOrderId | None = None,
        venue_order_id: VenueOrderId | None = None,
    ) -> OrderStatusReport | None:
        self.queries.append(Query(trio.current_time(), "single", client_order_id))
        answer = self.truth.get(client_order_id) if client_order_id is not None else None
        await self._gate(self.single_mode, self.single_delay)
        return answer

    async def generate_fill_reports(
        self,
        *,
        instrument_id: InstrumentId | None = None,
        venue_order_id: VenueOrderId | None = None,
        start_ns: int | None = None,
    ) -> list[FillReport]:
        self.queries.append(Query(trio.current_time(), "fills"))
        answer = [
            f
            for f in self.fill_truth
            if (instrument_id is None or f.instrument_id == instrument_id)
            and (venue_order_id is None or f.venue_order_id == venue_order_id)
            and (start_ns is None or f.ts_event >= start_ns)
        ]
        await self._gate(self.bulk_mode, self.bulk_delay)
        return answer

    async def generate_position_status_reports(
        self, *, instrument_id: InstrumentId | None = None
    ) -> list[PositionStatusReport]:
        self.queries.append(Query(trio.current_time(), "positions"))
        answer = [
            p
            for p in self.position_truth
            if instrument_id is None or p.instrument_id == instrument_id
        ]
        await self._gate(self.bulk_mode, self.bulk_delay)
        return answer


class MassStatusVenue(FakeVenue):
    """A ``FakeVenue`` whose mass status is built from its ``truth`` (for reconnects)."""

    async def generate_mass_status(self, lookback_mins: int | None) -> ExecutionMassStatus | None:
        self.queries.append(Query(trio.current_time(), "mass"))
        mass = ExecutionMassStatus(
            client_id=self.id,
            account_id=self.account_id,
            venue=self.venue,
            ts_init=self.ctx.clock.timestamp_ns(),
        )
        mass.add_order_reports(self.truth.values())
        mass.add_fill_reports(self.fill_truth)
        mass.add_position_reports(self.position_truth)
        await self._gate(self.bulk_mode, self.bulk_delay)
        return mass


class Driver(Strategy):
    """A strategy the test drives by hand; counts the quotes it receives, with their time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quotes: list[float] = []

    def on_start(self) -> None:
        self.subscribe_quote_ticks(BTC)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self.quotes.append(trio.current_time())

    def limit(self, price: str, qty: str = "1.000", side: OrderSide = OrderSide.BUY) -> Order:
        instrument = self.cache.instrument(BTC)
        assert instrument is not None
        init = self.order_factory.limit(BTC, side, Quantity(qty), instrument.make_price(price))
        return self.submit_order(init)


@attrs.frozen
class Setup:
    node: LiveNode
    data: ScriptedDataClient
    venue: FakeVenue
    driver: Driver


def build(
    *,
    venue_options: dict[str, Any] | None = None,
    venue_class: type[FakeVenue] = FakeVenue,
    **exec_engine: Any,
) -> Setup:
    """A node with a scripted data client, a ``FakeVenue`` and a ``Driver`` strategy."""
    config = NodeConfig(
        exec_engine=ExecEngineConfig(**exec_engine),
        risk_engine=RiskEngineConfig(bypass=True),
    )
    node = make_test_node(config)
    data = ScriptedDataClient()
    venue = venue_class(**(venue_options or {}))
    driver = Driver()
    node.add_data_client(data)
    node.add_exec_client(venue)
    node.add_strategy(driver)
    return Setup(node=node, data=data, venue=venue, driver=driver)


async def start_maintenance(node: LiveNode, nursery: trio.Nursery, **options: Any) -> Maintenance:
    """The node's own maintenance when it starts one, else one started in ``nursery``.

    ``options`` (``purge_sink``, ``query_timeout``) are applied either way.
    """
    own = getattr(node, "maintenance", None)
    if isinstance(own, Maintenance):
        for name, value in options.items():
            setattr(own, name, value)
        await trio.testing.wait_all_tasks_blocked()
        return own
    maintenance = Maintenance(node.kernel, **options)
    await nursery.start(maintenance.run)
    return maintenance


@asynccontextmanager
async def maintained(setup: Setup, **options: Any) -> AsyncIterator[Maintenance]:
    """Run the node and its maintenance (see ``start_maintenance``) for the block."""
    async with running_node(setup.node) as node, trio.open_nursery() as nursery:
        maintenance = await start_maintenance(node, nursery, **options)
        try:
            yield maintenance
        finally:
            maintenance.cancel()


def event_times(order: Order) -> list[tuple[str, float]]:
    """(event type, virtual seconds) for each event of ``order`` after its init."""
    return [(type(e).__name__, (e.ts_event - DEFAULT_TEST_EPOCH_NS) / NS) for e in order.events[1:]]


def last_event_at(order: Order) -> float:
    return (order.ts_last - DEFAULT_TEST_EPOCH_NS) / NS


def net(node: LiveNode, instrument_id: InstrumentId = BTC) -> Decimal:
    return node.portfolio.net_position(instrument_id)


async def venue_fill(setup: Setup, order: Order, qty: str, trade_id: str) -> OrderFilled:
    """The venue's fill message for ``order`` reaches the node (and is applied)."""
    ts = setup.node.kernel.clock.timestamp_ns()
    assert order.venue_order_id is not None and order.price is not None
    event = OrderFilled(
        trader_id=order.trader_id,
        strategy_id=order.strategy_id,
        instrument_id=order.instrument_id,
        client_order_id=order.client_order_id,
        ts_event=ts,
        ts_init=ts,
        account_id=setup.venue.account_id,
        venue_order_id=order.venue_order_id,
        trade_id=TradeId(trade_id),
        order_side=order.side,
        order_type=order.order_type,
        last_qty=Quantity(qty),
        last_px=order.price,
        currency=USDT,
        commission=Money("0", USDT),
        liquidity_side=LiquiditySide.MAKER,
    )
    await setup.venue.push_event(event)
    return event


def fill_report_of(setup: Setup, fill: OrderFilled) -> FillReport:
    return FillReport(
        account_id=setup.venue.account_id,
        instrument_id=fill.instrument_id,
        venue_order_id=fill.venue_order_id,
        client_order_id=fill.client_order_id,
        trade_id=fill.trade_id,
        order_side=fill.order_side,
        last_qty=fill.last_qty,
        last_px=fill.last_px,
        commission=fill.commission,
        liquidity_side=fill.liquidity_side,
        ts_event=fill.ts_event,
        ts_init=fill.ts_init,
    )


async def venue_accept(setup: Setup, order: Order) -> OrderAccepted:
    """The venue's (late) ack of ``order`` reaches the node."""
    ts = setup.node.kernel.clock.timestamp_ns()
    event = OrderAccepted(
        trader_id=order.trader_id,
        strategy_id=order.strategy_id,
        instrument_id=order.instrument_id,
        client_order_id=order.client_order_id,
        ts_event=ts,
        ts_init=ts,
        account_id=setup.venue.account_id,
        venue_order_id=VenueOrderId(f"V-{order.client_order_id}"),
    )
    await setup.venue.push_event(event)
    return event
