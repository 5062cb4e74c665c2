"""The order state machine: every table row, fills kept exact, errors change nothing."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import attrs
import pytest

from livetrade.errors import (
    DuplicateFillError,
    InvalidOrderTransition,
    InvalidValue,
    OrderError,
    OrderEventMismatch,
    OverfillError,
)
from livetrade.model.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from livetrade.model.events import OrderEvent
from livetrade.model.order_status import TRANSITIONS
from livetrade.model.orders import Order
from livetrade.model.quantities import Price, Quantity
from livetrade.testing import OrderEvents, make_order, make_order_init

S = OrderStatus

# How to bring a STOP_LIMIT order of quantity 1.000 into each status.
PATHS: dict[OrderStatus, tuple[str, ...]] = {
    S.INITIALIZED: (),
    S.DENIED: ("denied",),
    S.SUBMITTED: ("submitted",),
    S.ACCEPTED: ("submitted", "accepted"),
    S.REJECTED: ("submitted", "rejected"),
    S.CANCELED: ("submitted", "accepted", "canceled"),
    S.EXPIRED: ("submitted", "accepted", "expired"),
    S.TRIGGERED: ("submitted", "accepted", "triggered"),
    S.PENDING_UPDATE: ("submitted", "accepted", "pending_update"),
    S.PENDING_CANCEL: ("submitted", "accepted", "pending_cancel"),
    S.PARTIALLY_FILLED: ("submitted", "accepted", "half_fill"),
    S.FILLED: ("submitted", "accepted", "full_fill"),
}

EVENT_MAKERS: dict[str, Callable[[OrderEvents], OrderEvent]] = {
    "denied": lambda ev: ev.denied(),
    "submitted": lambda ev: ev.submitted(),
    "accepted": lambda ev: ev.accepted(),
    "rejected": lambda ev: ev.rejected(),
    "canceled": lambda ev: ev.canceled(),
    "expired": lambda ev: ev.expired(),
    "triggered": lambda ev: ev.triggered(),
    "pending_update": lambda ev: ev.pending_update(),
    "pending_cancel": lambda ev: ev.pending_cancel(),
    "modify_rejected": lambda ev: ev.modify_rejected(),
    "cancel_rejected": lambda ev: ev.cancel_rejected(),
    "updated": lambda ev: ev.updated(price="101.00"),
    "quarter_fill": lambda ev: ev.filled("0.250"),
    "half_fill": lambda ev: ev.filled("0.500"),
    "full_fill": lambda ev: ev.filled(),
}

# Where each event leads from each status (the quarter fill stands for any fill
# that does not complete the order). Pairs absent here must raise.
EXPECTED: dict[OrderStatus, dict[str, OrderStatus]] = {
    S.INITIALIZED: {
        "denied": S.DENIED,
        "submitted": S.SUBMITTED,
        "rejected": S.REJECTED,
        "accepted": S.ACCEPTED,
        "canceled": S.CANCELED,
        "expired": S.EXPIRED,
        "triggered": S.TRIGGERED,
        "updated": S.INITIALIZED,
    },
    S.SUBMITTED: {
        "accepted": S.ACCEPTED,
        "rejected": S.REJECTED,
        "canceled": S.CANCELED,
        "expired": S.EXPIRED,
        "triggered": S.TRIGGERED,
        "quarter_fill": S.PARTIALLY_FILLED,
        "pending_update": S.PENDING_UPDATE,
        "pending_cancel": S.PENDING_CANCEL,
        "updated": S.SUBMITTED,
        "modify_rejected": S.SUBMITTED,
        "cancel_rejected": S.SUBMITTED,
    },
    S.ACCEPTED: {
        "rejected": S.REJECTED,
        "canceled": S.CANCELED,
        "expired": S.EXPIRED,
        "triggered": S.TRIGGERED,
        "pending_update": S.PENDING_UPDATE,
        "pending_cancel": S.PENDING_CANCEL,
        "quarter_fill": S.PARTIALLY_FILLED,
        "updated": S.ACCEPTED,
        "modify_rejected": S.ACCEPTED,
        "cancel_rejected": S.ACCEPTED,
    },
    S.TRIGGERED: {
        "rejected": S.REJECTED,
        "canceled": S.CANCELED,
        "expired": S.EXPIRED,
        "pending_update": S.PENDING_UPDATE,
        "pending_cancel": S.PENDING_CANCEL,
        "quarter_fill": S.PARTIALLY_FILLED,
        "updated": S.TRIGGERED,
        "modify_rejected": S.TRIGGERED,
        "cancel_rejected": S.TRIGGERED,
    },
    S.PENDING_UPDATE: {
        "rejected": S.REJECTED,
        "accepted": S.ACCEPTED,
        "canceled": S.CANCELED,
        "expired": S.EXPIRED,
        "triggered": S.TRIGGERED,
        "pending_update": S.PENDING_UPDATE,
        "pending_cancel": S.PENDING_CANCEL,
        "quarter_fill": S.PENDING_UPDATE,
        "updated": S.ACCEPTED,
        "modify_rejected": S.ACCEPTED,
        "cancel_rejected": S.PENDING_UPDATE,
    },
    S.PENDING_CANCEL: {
        "rejected": S.REJECTED,
        "accepted": S.ACCEPTED,
        "canceled": S.CANCELED,
        "expired": S.EXPIRED,
        "pending_cancel": S.PENDING_CANCEL,
        "quarter_fill": S.PENDING_CANCEL,
        "updated": S.PENDING_CANCEL,
        "modify_rejected": S.PENDING_CANCEL,
        "cancel_rejected": S.ACCEPTED,
    },
    S.PARTIALLY_FILLED: {
        "canceled": S.CANCELED,
        "expired": S.EXPIRED,
        "pending_update": S.PENDING_UPDATE,
        "pending_cancel": S.PENDING_CANCEL,
        "quarter_fill": S.PARTIALLY_FILLED,
        "updated": S.PARTIALLY_FILLED,
        "modify_rejected": S.PARTIALLY_FILLED,
        "cancel_rejected": S.PARTIALLY_FILLED,
    },
    S.CANCELED: {
        "quarter_fill": S.CANCELED,
        "modify_rejected": S.CANCELED,
        "cancel_rejected": S.CANCELED,
    },
    S.EXPIRED: {
        "quarter_fill": S.EXPIRED,
        "modify_rejected": S.EXPIRED,
        "cancel_rejected": S.EXPIRED,
    },
    S.FILLED: {"modify_rejected": S.FILLED, "cancel_rejected": S.FILLED},
    S.REJECTED: {"modify_rejected": S.REJECTED, "cancel_rejected": S.REJECTED},
    S.DENIED: {},
}

CANDIDATES = [name for name in EVENT_MAKERS if name not in ("half_fill", "full_fill")]


def order_in(status: OrderStatus) -> tuple[Order, OrderEvents]:
    order = make_order(order_type=OrderType.STOP_LIMIT, quantity="1.000")
    events = OrderEvents(order)
    for step in PATHS[status]:
        order.apply(EVENT_MAKERS[step](events))
    assert order.status is status
    return order, events


def snapshot(order: Order) -> tuple[object, ...]:
    return (
        order.status,
        order.filled_qty,
        order.leaves_qty,
        order.avg_px,
        order.quantity,
        order.price,
        len(order.events),
        order.venue_order_id,
        order.trade_ids,
        order.ts_last,
    )


@pytest.mark.parametrize(
    ("status", "event"),
    [
        pytest.param(status, name, id=f"{status.name}+{name}")
        for status in OrderStatus
        for name in CANDIDATES
    ],
)
def test_every_status_event_pair(status: OrderStatus, event: str) -> None:
    """Allowed pairs lead to the expected status; others raise and change nothing."""
    order, events = order_in(status)
    made = EVENT_MAKERS[event](events)
    expected = EXPECTED[status].get(event)
    assert ((status, type(made)) in TRANSITIONS) == (expected is not None)
    if expected is None:
        before = snapshot(order)
        with pytest.raises(InvalidOrderTransition) as info:
            order.apply(made)
        assert snapshot(order) == before
        assert info.value.status is status
        assert info.value.client_order_id == order.client_order_id
        assert str(info.value) == (
            f"order O-1: {type(made).__name__} is not allowed in status {status.name}"
        )
    else:
        order.apply(made)
        assert order.status is expected
        assert order.events[-1] is made


class TestFills:
    def test_partial_fills_keep_quantities_and_average_exact(self) -> None:
        """Filled, leaves and the volume-weighted average price are exact."""
        order = make_order(quantity="3.000", price="100.00")
        ev = OrderEvents(order)
        order.apply(ev.submitted())
        order.apply(ev.accepted())
        order.apply(ev.filled("1.000", "100.00"))
        order.apply(ev.filled("1.000", "100.01"))
        assert (order.status, order.filled_qty, order.leaves_qty) == (
            S.PARTIALLY_FILLED,
            Quantity("2.000"),
            Quantity("1.000"),
        )
        order.apply(ev.filled("1.000", "100.01"))
        assert order.status is S.FILLED
        assert order.avg_px == (Fraction("100.00") + 2 * Fraction("100.01")) / 3
        assert order.avg_px_rounded(2) == Price("100.01")
        assert order.avg_px_rounded(4) == Price("100.0067")

    def test_overfill_is_reported_and_not_applied(self) -> None:
        """A fill above the order quantity raises OverfillError with the numbers."""
        order, ev = order_in(S.PARTIALLY_FILLED)
        before = snapshot(order)
        with pytest.raises(OverfillError) as info:
            order.apply(ev.filled("0.600"))
        assert snapshot(order) == before
        assert str(info.value) == (
            "order O-1: overfill by trade T-O-1-2: filled 0.500 + last 0.600 exceeds quantity 1.000"
        )

    def test_duplicate_trade_id_is_refused(self) -> None:
        """The same trade id is never applied twice."""
        order, ev = order_in(S.ACCEPTED)
        order.apply(ev.filled("0.1", trade_id="T-9"))
        before = snapshot(order)
        with pytest.raises(DuplicateFillError, match="trade T-9 was already applied"):
            order.apply(ev.filled("0.1", trade_id="T-9"))
        assert snapshot(order) == before

    def test_fill_for_another_side_or_instrument_is_refused(self) -> None:
        order, _ = order_in(S.ACCEPTED)
        other = make_order("O-1", side=OrderSide.SELL, order_type=OrderType.STOP_LIMIT)
        with pytest.raises(OrderEventMismatch, match=r"SELL ETHUSDT\.BINANCE, not BUY"):
            order.apply(OrderEvents(other).filled("0.1"))
        with pytest.raises(OrderEventMismatch, match="got an event for O-2"):
            order.apply(OrderEvents(make_order("O-2")).accepted())

    def test_late_fill_after_cancel_keeps_canceled(self) -> None:
        """A fill that crossed the cancel is applied, and the order stays terminal."""
        order, ev = order_in(S.CANCELED)
        order.apply(ev.filled("0.400"))
        assert (order.status, order.filled_qty) == (S.CANCELED, Quantity("0.400"))
        order.apply(ev.filled("0.600"))
        assert order.status is S.FILLED

    def test_fill_while_cancel_pending_stays_pending_then_restores(self) -> None:
        """A partial fill during a pending cancel: a cancel reject returns to PARTIALLY_FILLED."""
        order, ev = order_in(S.PENDING_CANCEL)
        order.apply(ev.filled("0.300"))
        assert order.status is S.PENDING_CANCEL
        order.apply(ev.cancel_rejected())
        assert order.status is S.PARTIALLY_FILLED

    @pytest.mark.parametrize("pending", ["pending_cancel", "pending_update"])
    def test_the_first_ack_of_a_submit_with_a_request_on_its_way_keeps_it_pending(
        self, pending: str
    ) -> None:
        """Cancel (or modify) sent before the ack: the ack does not end the pending request."""
        order, ev = order_in(S.SUBMITTED)
        order.apply(getattr(ev, pending)())
        order.apply(ev.accepted())
        assert order.status is (S.PENDING_CANCEL if pending == "pending_cancel" else S.PENDING_UPDATE)
        assert order.venue_order_id is not None
        order.apply(ev.cancel_rejected() if pending == "pending_cancel" else ev.modify_rejected())
        assert order.status is S.ACCEPTED  # refused: back to the acknowledged order

    def test_fill_completing_a_pending_order_fills_it(self) -> None:
        order, ev = order_in(S.PENDING_UPDATE)
        order.apply(ev.filled())
        assert order.status is S.FILLED

    def test_commissions_accumulate_per_currency(self) -> None:
        order, ev = order_in(S.ACCEPTED)
        order.apply(ev.filled("0.5", commission="0.05"))
        order.apply(ev.filled("0.5", commission="0.07"))
        (money,) = order.commissions.values()
        assert str(money) == "0.12000000 USDT"

    def test_zero_quantity_fill_is_refused(self) -> None:
        order, ev = order_in(S.ACCEPTED)
        with pytest.raises(InvalidValue, match="zero quantity"):
            order.apply(ev.filled("0"))


class TestUpdates:
    def test_update_changes_terms_and_returns_from_pending(self) -> None:
        order, ev = order_in(S.PENDING_UPDATE)
        order.apply(ev.updated(quantity="2.000", price="99.50", trigger_price="98.00"))
        assert (order.status, order.quantity, order.price, order.trigger_price) == (
            S.ACCEPTED,
            Quantity("2.000"),
            Price("99.50"),
            Price("98.00"),
        )
        assert order.leaves_qty == Quantity("2.000")

    def test_update_below_filled_is_refused(self) -> None:
        order, ev = order_in(S.PARTIALLY_FILLED)
        with pytest.raises(OrderError, match=r"below the filled 0\.500"):
            order.apply(ev.updated(quantity="0.400"))

    def test_update_down_to_filled_fills(self) -> None:
        order, ev = order_in(S.PARTIALLY_FILLED)
        order.apply(ev.updated(quantity="0.500"))
        assert order.status is S.FILLED

    def test_modify_reject_restores_status_before_the_requests(self) -> None:
        """Pending update then pending cancel, both refused: back to TRIGGERED."""
        order, ev = order_in(S.TRIGGERED)
        order.apply(ev.pending_update())
        order.apply(ev.pending_cancel())
        order.apply(ev.cancel_rejected())
        assert order.status is S.TRIGGERED

    def test_market_order_cannot_trigger_or_take_a_price(self) -> None:
        order = make_order(order_type=OrderType.MARKET)
        ev = OrderEvents(order)
        order.apply(ev.submitted())
        order.apply(ev.accepted())
        with pytest.raises(OrderEventMismatch, match="MARKET order cannot trigger"):
            order.apply(ev.triggered())
        with pytest.raises(OrderEventMismatch, match="has no price"):
            order.apply(ev.updated(price="1.00"))


class TestTerms:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            pytest.param({"quantity": "0"}, "quantity must be positive", id="zero-qty"),
            pytest.param(
                {"order_type": OrderType.LIMIT, "price": None},
                "requires a price",
                id="limit-no-price",
            ),
            pytest.param(
                {"order_type": OrderType.LIMIT, "trigger_price": "1"},
                "does not take a trigger",
                id="limit-with-trigger",
            ),
            pytest.param(
                {"time_in_force": TimeInForce.GTD},
                "expire_time_ns is required for GTD",
                id="gtd-no-expiry",
            ),
            pytest.param({"expire_time_ns": 5}, "only for GTD", id="expiry-not-gtd"),
            pytest.param(
                {"order_type": OrderType.MARKET, "post_only": True},
                "post_only needs a limit price",
                id="market-post-only",
            ),
        ],
    )
    def test_inconsistent_terms_are_refused(self, kwargs: dict[str, object], message: str) -> None:
        with pytest.raises(InvalidValue, match=message):
            make_order(**kwargs)

    def test_stop_without_trigger_is_refused(self) -> None:
        init = attrs.evolve(make_order_init(order_type=OrderType.STOP_MARKET), trigger_price=None)
        with pytest.raises(InvalidValue, match="STOP_MARKET order requires a trigger price"):
            Order(init)

    def test_replay_rebuilds_the_same_order(self) -> None:
        """Order.from_events(order.events) reproduces status, fills and terms."""
        order, ev = order_in(S.PARTIALLY_FILLED)
        order.apply(ev.pending_cancel())
        replayed = Order.from_events(order.events)
        assert snapshot(replayed) == snapshot(order)

    def test_repr_shows_state(self) -> None:
        order, _ = order_in(S.PARTIALLY_FILLED)
        assert repr(order) == (
            "Order(O-1, PARTIALLY_FILLED, BUY STOP_LIMIT 1.000 @ 100.00 trigger 99.00, "
            "filled=0.500/1.000)"
        )
