"""Shared pieces for the pure check tests: a cache with an engine, orders in any state.

``Bench`` holds a real ``Cache`` and ``ExecutionEngine`` so orders reach their
state the way the node moves them (events through ``process``), and carries a
decision out the way the maintenance jobs do: ``resolution_event`` through
``process``, ``reconcile_reports`` through ``apply_reconciliation``.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from livetrade.cache import Cache
from livetrade.config.engines import RiskEngineConfig
from livetrade.execution.checks import (
    Action,
    CheckSettings,
    Decision,
    reconcile_reports,
    resolution_event,
)
from livetrade.execution.engine import ExecutionEngine
from livetrade.execution.reconciliation import ReconciliationSettings
from livetrade.model import (
    AccountId,
    ClientId,
    ClientOrderId,
    Currency,
    FillReport,
    InstrumentId,
    LiquiditySide,
    Money,
    OmsType,
    Order,
    OrderEvent,
    OrderSide,
    OrderStatus,
    OrderStatusReport,
    OrderType,
    Price,
    Quantity,
    TimeInForce,
    TradeId,
    TraderId,
    Venue,
    VenueOrderId,
)
from livetrade.msgbus import MessageBus
from livetrade.risk.engine import RiskEngine
from livetrade.testing.builders import OrderEvents, make_order
from livetrade.testing.scripted import make_instrument

IID = InstrumentId("BTCUSDT.SIM")
ACCOUNT = AccountId("SIM-001")
CLIENT = ClientId("SIM")
VENUE = Venue("SIM")
TRADER = TraderId("TRADER-001")
USDT = Currency.from_str("USDT")
MS = 1_000_000
SECOND = 1_000 * MS
#: "now" in the tests: far enough from the orders' events to be past every threshold
NOW = 100 * SECOND


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def timestamp_ns(self) -> int:
        return self.now


class Client:
    """The smallest execution client the engine accepts; commands are not expected."""

    def __init__(self) -> None:
        self.id = CLIENT
        self.venue = VENUE
        self.account_id = ACCOUNT
        self.oms_type = OmsType.NETTING

    def _take(self, command: object) -> None:
        raise AssertionError(f"a check sent a command: {command!r}")

    submit_order = submit_order_list = modify_order = cancel_order = _take
    cancel_all_orders = query_order = _take


class Bench:
    """A cache and an engine; orders are put in a state with events at chosen times."""

    def __init__(self) -> None:
        self.cache = Cache()
        self.cache.add_instrument(make_instrument())
        self.bus = MessageBus()
        self.clock = Clock()
        self.engine = ExecutionEngine(
            self.cache,
            self.bus,
            self.clock,
            RiskEngine(RiskEngineConfig(), self.cache, self.clock),
        )
        self.engine.register_client(Client())  # type: ignore[arg-type]
        self.scope = ReconciliationSettings(trader_id=TRADER)

    def order(
        self,
        coid: str,
        status: OrderStatus,
        *,
        at_ns: int = 0,
        filled: str = "0.400",
        quantity: str = "1.000",
        price: str = "100.00",
    ) -> Order:
        """An order brought to ``status``; its last event is at ``at_ns``."""
        order = make_order(
            coid,
            side=OrderSide.BUY,
            quantity=quantity,
            price=price,
            order_type=OrderType.LIMIT,
            instrument_id=IID.value,
        )
        self.cache.add_order(order, client_id=CLIENT)
        events = OrderEvents(order, account_id=ACCOUNT.value, venue_order_id=f"V-{coid}")
        steps = {
            OrderStatus.SUBMITTED: [events.submitted()],
            OrderStatus.ACCEPTED: [events.submitted(), events.accepted()],
            OrderStatus.PARTIALLY_FILLED: [
                events.submitted(),
                events.accepted(),
                events.filled(filled, price, trade_id=f"T-{coid}-1"),
            ],
            OrderStatus.PENDING_UPDATE: [
                events.submitted(),
                events.accepted(),
                events.pending_update(),
            ],
            OrderStatus.PENDING_CANCEL: [
                events.submitted(),
                events.accepted(),
                events.pending_cancel(),
            ],
            OrderStatus.FILLED: [
                events.submitted(),
                events.accepted(),
                events.filled(quantity, price, trade_id=f"T-{coid}-1"),
            ],
        }[status]
        for event in steps:
            self.engine.process(_at(event, at_ns))
        assert order.status is status, order
        assert order.ts_last == at_ns
        return order

    def carry_out(self, decision: Decision, *, fills: list[FillReport] | None = None) -> None:
        """Apply a decision as the maintenance jobs do."""
        order = self.cache.order(decision.client_order_id)
        assert order is not None
        if decision.action is Action.RESOLVE:
            assert decision.target is not None
            refused = self.engine.refused.total()
            event = resolution_event(
                order, decision.target, ts_ns=self.clock.now, reason=decision.rule
            )
            self.engine.process(event)
            assert self.engine.refused.total() == refused, self.engine.refused
        elif decision.action is Action.RECONCILE:
            assert decision.report is not None
            result = reconcile_reports(
                self.cache,
                client_id=CLIENT,
                account_id=ACCOUNT,
                venue=VENUE,
                ts_init=self.clock.now,
                settings=self.scope,
                order_reports=[decision.report],
                fill_reports=fills or [],
            )
            assert self.engine.apply_reconciliation(result) == 0, self.engine.refused


def _at(event: OrderEvent, ts: int) -> OrderEvent:
    return attrs.evolve(event, ts_event=ts, ts_init=ts)


def settings(**overrides: object) -> CheckSettings:
    return CheckSettings(**overrides)  # type: ignore[arg-type]


def report(
    order: Order,
    status: OrderStatus,
    *,
    filled: str | None = None,
    avg_px: str | None = None,
    ts_ns: int = 50 * SECOND,
) -> OrderStatusReport:
    """The venue's report of ``order`` in ``status``."""
    filled_qty = order.filled_qty if filled is None else Quantity(filled)
    price = order.price
    assert price is not None
    return OrderStatusReport(
        account_id=ACCOUNT,
        instrument_id=order.instrument_id,
        venue_order_id=order.venue_order_id or VenueOrderId(f"V-{order.client_order_id}"),
        client_order_id=order.client_order_id,
        order_side=order.side,
        order_type=order.order_type,
        time_in_force=TimeInForce.GTC,
        order_status=status,
        quantity=order.quantity,
        filled_qty=filled_qty,
        avg_px=None if filled_qty.is_zero() else Decimal(avg_px or str(price)),
        price=price,
        ts_accepted=0,
        ts_last=ts_ns,
        ts_init=ts_ns,
    )


def fill_report(order: Order, trade_id: str, qty: str, px: str = "100.00") -> FillReport:
    return FillReport(
        account_id=ACCOUNT,
        instrument_id=order.instrument_id,
        venue_order_id=order.venue_order_id or VenueOrderId(f"V-{order.client_order_id}"),
        client_order_id=order.client_order_id,
        trade_id=TradeId(trade_id),
        order_side=order.side,
        last_qty=Quantity(qty),
        last_px=Price(px),
        commission=Money("0", USDT),
        liquidity_side=LiquiditySide.MAKER,
        ts_event=40 * SECOND,
        ts_init=40 * SECOND,
    )


def coid(text: str) -> ClientOrderId:
    return ClientOrderId(text)
