"""What the checks remember is bounded and forgotten when it no longer matters; snapshots."""

from __future__ import annotations

from decimal import Decimal

import pytest
from checks_support import NOW, SECOND, Bench, coid

from livetrade.execution.checks import (
    OrderTracker,
    RecentFills,
    order_snapshot,
    position_snapshot,
)
from livetrade.model import OrderStatus, Price, TradeId


def test_the_tracker_never_holds_more_than_its_capacity() -> None:
    tracker = OrderTracker(capacity=3)
    for n in range(10):
        tracker.spend(coid(f"O-{n}"))
        tracker.queried(coid(f"O-{n}"), n)
    assert len(tracker) == 3
    assert [tracker.retries(coid(f"O-{n}")) for n in range(10)] == [0] * 7 + [1] * 3


def test_dropping_an_order_only_delays_its_resolution() -> None:
    """The oldest entry goes first; a touched entry is the newest again."""
    tracker = OrderTracker(capacity=2)
    tracker.spend(coid("A"))
    tracker.spend(coid("B"))
    tracker.spend(coid("A"))
    tracker.spend(coid("C"))
    assert (tracker.retries(coid("A")), tracker.retries(coid("B"))) == (2, 0)


def test_closed_orders_are_forgotten() -> None:
    tracker = OrderTracker()
    tracker.spend(coid("A"))
    tracker.queried(coid("B"), 1)
    tracker.clear(coid("A"))
    assert tracker.retries(coid("A")) == 0 and len(tracker) == 1
    assert tracker.retain(lambda c: c != coid("B")) == 1
    assert len(tracker) == 0


def test_tracker_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity: expected a positive integer, got 0"):
        OrderTracker(capacity=0)


def test_recent_fills_expire_after_sixty_seconds() -> None:
    fills = RecentFills()
    fills.add(TradeId("T-1"), 0)
    fills.add(TradeId("T-2"), 30 * SECOND)
    assert fills.prune(60 * SECOND) == 0
    assert fills.prune(60 * SECOND + 1) == 1
    assert TradeId("T-1") not in fills and TradeId("T-2") in fills
    assert fills.prune(91 * SECOND) == 1 and len(fills) == 0


def test_recent_fills_are_bounded() -> None:
    fills = RecentFills(capacity=2)
    for n in range(5):
        fills.add(TradeId(f"T-{n}"), n)
    assert len(fills) == 2 and TradeId("T-4") in fills and TradeId("T-2") not in fills


def test_an_order_snapshot_copies_the_order_state() -> None:
    bench = Bench()
    order = bench.order("O-1", OrderStatus.PARTIALLY_FILLED, filled="0.250", price="100.10")
    snapshot = order_snapshot(order, NOW)
    assert (snapshot.status, str(snapshot.filled_qty), snapshot.event_count) == (
        OrderStatus.PARTIALLY_FILLED,
        "0.250",
        4,
    )
    assert snapshot.avg_px == Decimal("100.100000000")
    assert snapshot.ts_snapshot == NOW and snapshot.ts_last == order.ts_last


def test_a_position_snapshot_marks_at_the_price_given() -> None:
    bench = Bench()
    bench.order("O-1", OrderStatus.FILLED, price="100.00")
    (position,) = bench.cache.positions_open()
    snapshot = position_snapshot(position, NOW, Price("101.00"))
    assert snapshot.signed_qty == Decimal("1.000")
    assert str(snapshot.unrealized_pnl) == "1.00000000 USDT"
    assert position_snapshot(position, NOW).unrealized_pnl is None
