"""Shared pieces for the reconciliation tests: a cache with an engine, report builders.

``Harness`` holds a real ``Cache`` and ``ExecutionEngine`` so cached state is
built the way the node builds it (events through ``process``), and a result
is applied the way startup applies it (``apply_reconciliation``).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from livetrade.cache import Cache
from livetrade.config.engines import RiskEngineConfig
from livetrade.execution.engine import ExecutionEngine
from livetrade.execution.reconciliation import (
    ReconciliationResult,
    ReconciliationSettings,
    reconcile_mass_status,
)
from livetrade.model import (
    AccountId,
    ClientId,
    ClientOrderId,
    Currency,
    ExecutionMassStatus,
    FillReport,
    InstrumentId,
    LiquiditySide,
    Money,
    OmsType,
    OrderEvent,
    OrderFilled,
    OrderSide,
    OrderStatus,
    OrderStatusReport,
    OrderType,
    PositionSide,
    PositionStatusReport,
    Price,
    Quantity,
    QuoteTick,
    TimeInForce,
    TradeId,
    TraderId,
    Venue,
    VenueOrderId,
)
from livetrade.model.instruments import Instrument
from livetrade.msgbus import MessageBus
from livetrade.risk.engine import RiskEngine
from livetrade.testing.builders import OrderEvents, make_order
from livetrade.testing.scripted import make_instrument

IID = InstrumentId("BTCUSDT.SIM")
ETH = InstrumentId("ETHUSDT.SIM")
ACCOUNT = AccountId("SIM-001")
CLIENT = ClientId("SIM")
VENUE = Venue("SIM")
TRADER = TraderId("TRADER-001")
USDT = Currency.from_str("USDT")


class FixedClock:
    def __init__(self) -> None:
        self.now = 1_000

    def timestamp_ns(self) -> int:
        return self.now


class Client:
    """The smallest execution client the engine accepts."""

    def __init__(self, oms_type: OmsType = OmsType.NETTING) -> None:
        self.id = CLIENT
        self.venue = VENUE
        self.account_id = ACCOUNT
        self.oms_type = oms_type

    def _take(self, command: object) -> None:
        raise AssertionError(f"reconciliation sent a command: {command!r}")

    submit_order = submit_order_list = modify_order = cancel_order = _take
    cancel_all_orders = query_order = _take


class Harness:
    """A cache and an execution engine, with helpers to fill the cache and reconcile."""

    def __init__(
        self,
        instruments: Iterable[Instrument] | None = None,
        oms_type: OmsType = OmsType.NETTING,
    ) -> None:
        self.cache = Cache()
        for instrument in (
            instruments
            if instruments is not None
            else [make_instrument(), make_instrument("ETHUSDT")]
        ):
            self.cache.add_instrument(instrument)
        self.bus = MessageBus()
        clock = FixedClock()
        self.engine = ExecutionEngine(
            self.cache, self.bus, clock, RiskEngine(RiskEngineConfig(), self.cache, clock)
        )
        self.engine.register_client(Client(oms_type))  # type: ignore[arg-type]
        self.published: list[Any] = []
        self.bus.subscribe("events.*", self.published.append)

    def order(
        self,
        coid: str = "O-1",
        *,
        side: OrderSide = OrderSide.BUY,
        quantity: str = "1.000",
        price: str = "100.00",
        order_type: OrderType = OrderType.LIMIT,
        instrument_id: InstrumentId = IID,
        strategy_id: str = "S-001",
    ) -> OrderEvents:
        """Add an INITIALIZED order; the returned builder makes its events (apply them)."""
        order = make_order(
            coid,
            side=side,
            quantity=quantity,
            price=price,
            order_type=order_type,
            instrument_id=instrument_id.value,
            strategy_id=strategy_id,
        )
        self.cache.add_order(order, client_id=CLIENT)
        return OrderEvents(order, account_id=ACCOUNT.value, venue_order_id=f"V-{coid}")

    def apply(self, *events: OrderEvent) -> None:
        refused = self.engine.refused.total()
        for event in events:
            self.engine.process(event)
        assert self.engine.refused.total() == refused, self.engine.refused

    def quote(self, bid: str, ask: str, instrument_id: InstrumentId = IID) -> None:
        self.cache.add_quote_tick(
            QuoteTick(
                instrument_id=instrument_id,
                bid_price=Price(bid),
                ask_price=Price(ask),
                bid_size=Quantity("1.000"),
                ask_size=Quantity("1.000"),
                ts_event=0,
                ts_init=0,
            )
        )

    def reconcile(self, mass: ExecutionMassStatus, **settings: Any) -> ReconciliationResult:
        return reconcile_mass_status(
            self.cache, mass, ReconciliationSettings(trader_id=TRADER, **settings)
        )

    def reconcile_and_apply(
        self, mass: ExecutionMassStatus, **settings: Any
    ) -> ReconciliationResult:
        result = self.reconcile(mass, **settings)
        assert self.engine.apply_reconciliation(result) == 0, self.engine.refused
        return result

    def net(self, instrument_id: InstrumentId = IID) -> Decimal:
        return Decimal(self.cache.net_position_raw(instrument_id)).scaleb(-9).normalize()

    def status(self, coid: str) -> tuple[OrderStatus, str, str | None]:
        """(status, filled, avg_px rounded to 2 decimals) of a cached order."""
        order = self.cache.order(ClientOrderId(coid))
        assert order is not None, coid
        avg = order.avg_px_rounded(2)
        return order.status, str(order.filled_qty), None if avg is None else str(avg)


def order_report(
    venue_order_id: str = "V-O-1",
    *,
    coid: str | None = "O-1",
    status: OrderStatus = OrderStatus.ACCEPTED,
    quantity: str = "1.000",
    filled: str = "0.000",
    avg_px: str | None = None,
    side: OrderSide = OrderSide.BUY,
    order_type: OrderType = OrderType.LIMIT,
    price: str | None = "100.00",
    trigger_price: str | None = None,
    time_in_force: TimeInForce = TimeInForce.GTC,
    instrument_id: InstrumentId = IID,
    ts_accepted: int = 10,
    ts_last: int = 20,
    cancel_reason: str | None = None,
    account_id: AccountId = ACCOUNT,
) -> OrderStatusReport:
    return OrderStatusReport(
        account_id=account_id,
        instrument_id=instrument_id,
        venue_order_id=VenueOrderId(venue_order_id),
        client_order_id=None if coid is None else ClientOrderId(coid),
        order_side=side,
        order_type=order_type,
        time_in_force=time_in_force,
        order_status=status,
        quantity=Quantity(quantity),
        filled_qty=Quantity(filled),
        avg_px=None if avg_px is None else Decimal(avg_px),
        price=None if price is None or not order_type.has_price else Price(price),
        trigger_price=None if trigger_price is None else Price(trigger_price),
        ts_accepted=ts_accepted,
        ts_last=ts_last,
        ts_init=ts_last,
        cancel_reason=cancel_reason,
    )


def fill_report(
    trade_id: str,
    venue_order_id: str = "V-O-1",
    *,
    coid: str | None = "O-1",
    qty: str = "1.000",
    px: str = "100.00",
    commission: str = "0",
    side: OrderSide = OrderSide.BUY,
    instrument_id: InstrumentId = IID,
    ts: int = 15,
) -> FillReport:
    return FillReport(
        account_id=ACCOUNT,
        instrument_id=instrument_id,
        venue_order_id=VenueOrderId(venue_order_id),
        client_order_id=None if coid is None else ClientOrderId(coid),
        trade_id=TradeId(trade_id),
        order_side=side,
        last_qty=Quantity(qty),
        last_px=Price(px),
        commission=Money(commission, USDT),
        liquidity_side=LiquiditySide.TAKER,
        ts_event=ts,
        ts_init=ts,
    )


def position_report(
    side: PositionSide,
    qty: str,
    avg_px: str | None = None,
    *,
    instrument_id: InstrumentId = IID,
    ts: int = 30,
) -> PositionStatusReport:
    return PositionStatusReport(
        account_id=ACCOUNT,
        instrument_id=instrument_id,
        position_side=side,
        quantity=Quantity(qty),
        avg_px_open=None if avg_px is None else Decimal(avg_px),
        ts_last=ts,
        ts_init=ts,
    )


def mass_status(
    orders: Iterable[OrderStatusReport] = (),
    fills: Iterable[FillReport] = (),
    positions: Iterable[PositionStatusReport] = (),
    *,
    ts_init: int = 1_000,
    client_id: ClientId = CLIENT,
    account_id: AccountId = ACCOUNT,
    venue: Venue = VENUE,
) -> ExecutionMassStatus:
    mass = ExecutionMassStatus(
        client_id=client_id, account_id=account_id, venue=venue, ts_init=ts_init
    )
    mass.add_order_reports(orders)
    mass.add_fill_reports(fills)
    mass.add_position_reports(positions)
    return mass


def brief(event: OrderEvent) -> tuple[object, ...]:
    """An event as a short comparable tuple: type, order, and the fields that matter."""
    name = type(event).__name__
    coid = event.client_order_id.value
    if isinstance(event, OrderFilled):
        return (name, coid, event.trade_id.value, str(event.last_qty), str(event.last_px))
    venue_order_id = getattr(event, "venue_order_id", None)
    quantity = getattr(event, "quantity", None)
    if quantity is not None:
        return (name, coid, str(quantity), str(getattr(event, "price", None)))
    if venue_order_id is not None:
        return (name, coid, venue_order_id.value)
    return (name, coid)


def briefs(result: ReconciliationResult) -> list[tuple[object, ...]]:
    assert all(e.reconciliation for e in result.events)
    assert all(i.reconciliation for i in result.new_orders)
    return [brief(e) for e in result.events]
