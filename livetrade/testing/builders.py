"""Builders with safe defaults, so a test states only what it is about."""

from __future__ import annotations

from typing import Any

from livetrade.model.enums import (
    ContingencyType,
    LiquiditySide,
    OrderSide,
    OrderType,
    TimeInForce,
)
from livetrade.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderExpired,
    OrderFilled,
    OrderInitialized,
    OrderModifyRejected,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderRejected,
    OrderSubmitted,
    OrderTriggered,
    OrderUpdated,
)
from livetrade.model.identifiers import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    PositionId,
    StrategyId,
    TradeId,
    TraderId,
    VenueOrderId,
)
from livetrade.model.money import Currency, Money
from livetrade.model.orders import Order
from livetrade.model.quantities import Price, Quantity

__all__ = ["OrderEvents", "make_order", "make_order_init"]


def make_order_init(
    client_order_id: str = "O-1",
    *,
    side: OrderSide = OrderSide.BUY,
    order_type: OrderType = OrderType.LIMIT,
    quantity: str | Quantity = "1.000",
    price: str | Price | None = "100.00",
    trigger_price: str | Price | None = None,
    time_in_force: TimeInForce = TimeInForce.GTC,
    expire_time_ns: int | None = None,
    post_only: bool = False,
    reduce_only: bool = False,
    instrument_id: str = "ETHUSDT.BINANCE",
    strategy_id: str = "S-001",
    trader_id: str = "TRADER-001",
    contingency_type: ContingencyType = ContingencyType.NO_CONTINGENCY,
    ts_event: int = 0,
) -> OrderInitialized:
    """An ``OrderInitialized``; ``price`` is dropped for order types that take none."""
    qty = quantity if isinstance(quantity, Quantity) else Quantity(quantity)
    px = None if price is None or not order_type.has_price else _price(price)
    trigger = trigger_price
    if trigger is None and order_type.has_trigger_price:
        trigger = "99.00"
    return OrderInitialized(
        trader_id=TraderId(trader_id),
        strategy_id=StrategyId(strategy_id),
        instrument_id=InstrumentId(instrument_id),
        client_order_id=ClientOrderId(client_order_id),
        ts_event=ts_event,
        order_side=side,
        order_type=order_type,
        quantity=qty,
        time_in_force=time_in_force,
        price=px,
        trigger_price=None if trigger is None else _price(trigger),
        expire_time_ns=expire_time_ns,
        post_only=post_only,
        reduce_only=reduce_only,
        contingency_type=contingency_type,
    )


def make_order(client_order_id: str = "O-1", **kwargs: Any) -> Order:
    """An ``Order`` in status INITIALIZED (see ``make_order_init`` for the options)."""
    return Order(make_order_init(client_order_id, **kwargs))


def _price(value: str | Price) -> Price:
    return value if isinstance(value, Price) else Price(value)


class OrderEvents:
    """Makes the events of one order, with increasing ``ts_event`` and fresh trade ids."""

    def __init__(
        self,
        order: Order,
        *,
        account_id: str = "BINANCE-001",
        venue_order_id: str | None = None,
        currency: str = "USDT",
        ts_start: int = 1,
    ) -> None:
        self.order = order
        self.account_id = AccountId(account_id)
        self.venue_order_id = VenueOrderId(venue_order_id or f"V-{order.client_order_id}")
        self.currency = Currency.from_str(currency)
        self._ts = ts_start
        self._trades = 0

    def _common(self) -> dict[str, Any]:
        ts = self._ts
        self._ts += 1
        order = self.order
        return {
            "trader_id": order.trader_id,
            "strategy_id": order.strategy_id,
            "instrument_id": order.instrument_id,
            "client_order_id": order.client_order_id,
            "ts_event": ts,
        }

    def denied(self, reason: str = "denied") -> OrderDenied:
        return OrderDenied(**self._common(), reason=reason)

    def submitted(self) -> OrderSubmitted:
        return OrderSubmitted(**self._common(), account_id=self.account_id)

    def accepted(self) -> OrderAccepted:
        return OrderAccepted(
            **self._common(), account_id=self.account_id, venue_order_id=self.venue_order_id
        )

    def rejected(self, reason: str = "rejected") -> OrderRejected:
        return OrderRejected(**self._common(), account_id=self.account_id, reason=reason)

    def canceled(self) -> OrderCanceled:
        return OrderCanceled(**self._venue())

    def expired(self) -> OrderExpired:
        return OrderExpired(**self._venue())

    def triggered(self) -> OrderTriggered:
        return OrderTriggered(**self._venue())

    def pending_update(self) -> OrderPendingUpdate:
        return OrderPendingUpdate(**self._venue())

    def pending_cancel(self) -> OrderPendingCancel:
        return OrderPendingCancel(**self._venue())

    def modify_rejected(self, reason: str = "modify rejected") -> OrderModifyRejected:
        return OrderModifyRejected(**self._venue(), reason=reason)

    def cancel_rejected(self, reason: str = "cancel rejected") -> OrderCancelRejected:
        return OrderCancelRejected(**self._venue(), reason=reason)

    def updated(
        self,
        quantity: str | Quantity | None = None,
        price: str | Price | None = None,
        trigger_price: str | Price | None = None,
    ) -> OrderUpdated:
        qty = self.order.quantity if quantity is None else quantity
        return OrderUpdated(
            **self._venue(),
            quantity=qty if isinstance(qty, Quantity) else Quantity(qty),
            price=None if price is None else _price(price),
            trigger_price=None if trigger_price is None else _price(trigger_price),
        )

    def filled(
        self,
        last_qty: str | Quantity | None = None,
        last_px: str | Price | None = None,
        *,
        trade_id: str | None = None,
        commission: str = "0",
        liquidity_side: LiquiditySide = LiquiditySide.TAKER,
        position_id: str | None = None,
    ) -> OrderFilled:
        """A fill; by default of the whole leaves quantity at the order price (or 100)."""
        order = self.order
        qty = order.leaves_qty if last_qty is None else last_qty
        px = last_px if last_px is not None else (order.price or Price("100.00"))
        self._trades += 1
        return OrderFilled(
            **self._common(),
            account_id=self.account_id,
            venue_order_id=self.venue_order_id,
            trade_id=TradeId(trade_id or f"T-{order.client_order_id}-{self._trades}"),
            order_side=order.side,
            order_type=order.order_type,
            last_qty=qty if isinstance(qty, Quantity) else Quantity(qty),
            last_px=_price(px),
            currency=self.currency,
            commission=Money(commission, self.currency),
            liquidity_side=liquidity_side,
            position_id=None if position_id is None else PositionId(position_id),
        )

    def _venue(self) -> dict[str, Any]:
        return {
            **self._common(),
            "account_id": self.account_id,
            "venue_order_id": self.venue_order_id,
        }
