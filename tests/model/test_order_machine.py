"""Stateful property test of Order.apply over random event sequences.

Invariants after every step, whatever the sequence:
- ``filled + leaves == quantity`` and ``filled <= quantity``;
- a terminal order never becomes open again;
- an event whose (status, type) pair is not in the table always raises
  InvalidOrderTransition, and any refused event leaves the order unchanged;
- the average price is exactly the volume-weighted mean of the applied fills.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from livetrade.errors import InvalidOrderTransition, OrderError
from livetrade.model.enums import OrderStatus, OrderType
from livetrade.model.events import OrderEvent
from livetrade.model.order_status import TRANSITIONS
from livetrade.model.quantities import Price, Quantity
from livetrade.testing import OrderEvents, make_order

NON_FILL_EVENTS = [
    "denied",
    "submitted",
    "accepted",
    "rejected",
    "canceled",
    "expired",
    "triggered",
    "pending_update",
    "pending_cancel",
    "modify_rejected",
    "cancel_rejected",
]


class OrderMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.order = make_order(order_type=OrderType.STOP_LIMIT, quantity="10.00")
        self.events = OrderEvents(self.order)
        self.fills: list[tuple[Quantity, Price]] = []
        self.was_closed = False
        self.trade_seq = 0

    def _snapshot(self) -> tuple[object, ...]:
        o = self.order
        return (o.status, o.filled_qty, o.quantity, o.price, len(o.events), o.avg_px)

    def _apply(self, event: OrderEvent) -> None:
        before = self._snapshot()
        allowed = (self.order.status, type(event)) in TRANSITIONS
        try:
            self.order.apply(event)
        except InvalidOrderTransition:
            assert not allowed
            assert self._snapshot() == before
            return
        except OrderError:
            assert self._snapshot() == before
            return
        assert allowed, f"{type(event).__name__} applied in {before[0]}"

    @rule(name=st.sampled_from(NON_FILL_EVENTS))
    def status_event(self, name: str) -> None:
        self._apply(getattr(self.events, name)())

    @rule(
        qty=st.integers(min_value=1, max_value=1200).map(
            lambda n: Quantity(n, 0).with_precision(2)
        ),
        cents=st.integers(min_value=9_000, max_value=11_000),
        reuse_trade=st.booleans(),
    )
    def fill(self, qty: Quantity, cents: int, reuse_trade: bool) -> None:
        qty = Quantity.from_raw(qty.raw // 100, 2)  # 0.01 .. 12.00
        if qty.is_zero():
            return
        px = Price.from_raw(cents * 10**7, 2)
        if not reuse_trade or self.trade_seq == 0:
            self.trade_seq += 1
        event = self.events.filled(qty, px, trade_id=f"T-{self.trade_seq}")
        filled_before = self.order.filled_qty
        self._apply(event)
        if self.order.filled_qty != filled_before:
            self.fills.append((qty, px))

    @rule(qty=st.integers(min_value=1, max_value=2000))
    def update(self, qty: int) -> None:
        self._apply(self.events.updated(quantity=Quantity.from_raw(qty * 10**7, 2)))

    @precondition(lambda self: self.order.status.is_closed)
    @rule()
    def mark_closed(self) -> None:
        self.was_closed = True

    @invariant()
    def quantities_add_up(self) -> None:
        o = self.order
        assert o.filled_qty + o.leaves_qty == o.quantity
        assert o.filled_qty <= o.quantity

    @invariant()
    def terminal_never_reopens(self) -> None:
        if self.was_closed:
            assert self.order.status.is_closed
        if self.order.status.is_closed:
            self.was_closed = True

    @invariant()
    def average_price_is_exact(self) -> None:
        if not self.fills:
            assert self.order.avg_px is None
            return
        notional = sum((q.as_fraction() * p.as_fraction() for q, p in self.fills), Fraction(0))
        volume = sum((q.as_fraction() for q, _ in self.fills), Fraction(0))
        assert self.order.avg_px == notional / volume
        assert self.order.filled_qty.as_fraction() == volume

    @invariant()
    def filled_status_matches_quantity(self) -> None:
        o = self.order
        if o.status is OrderStatus.FILLED:
            assert o.leaves_qty.is_zero()
        if o.status is OrderStatus.PARTIALLY_FILLED:
            assert not o.filled_qty.is_zero() and not o.leaves_qty.is_zero()


OrderMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
TestOrderMachine = OrderMachine.TestCase
