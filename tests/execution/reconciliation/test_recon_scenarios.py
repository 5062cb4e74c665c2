"""One test per row of the guide's startup reconciliation scenario table.

Each builds the cached state through the execution engine, reconciles a mass
status, checks the exact events generated, applies them as startup does, and
checks statuses, filled quantities, average prices and net positions.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from recon_support import (
    ETH,
    IID,
    Harness,
    brief,
    briefs,
    fill_report,
    mass_status,
    order_report,
    position_report,
)

from livetrade.execution.reconciliation import (
    DuplicateClientOrderIds,
    OrderAction,
    PositionAction,
    PriceSource,
    Severity,
)
from livetrade.model import (
    ClientOrderId,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    StrategyId,
    VenueOrderId,
)

S = OrderStatus


def long_position(h: Harness, qty: str, px: str, coid: str = "O-1") -> None:
    """A cached order filled completely: the cache holds a position of ``qty`` at ``px``."""
    side = OrderSide.SELL if qty.startswith("-") else OrderSide.BUY
    ev = h.order(coid, side=side, quantity=qty.lstrip("-"), price=px)
    h.apply(ev.submitted(), ev.accepted(), ev.filled())


# -- order state discrepancy ----------------------------------------------------------------


def test_order_state_discrepancy_submitted_locally_rejected_at_venue() -> None:
    """Local SUBMITTED, venue REJECTED: the order is rejected with the venue's reason."""
    h = Harness()
    ev = h.order("O-1")
    h.apply(ev.submitted())
    mass = mass_status(
        [order_report(status=S.REJECTED, cancel_reason="insufficient margin", ts_accepted=0)]
    )
    result = h.reconcile_and_apply(mass)
    assert briefs(result) == [("OrderRejected", "O-1")]
    assert result.events[0].reason == "insufficient margin"  # type: ignore[attr-defined]
    assert h.status("O-1") == (S.REJECTED, "0.000", None)
    entry = result.report.order(ClientOrderId("O-1"))
    assert entry is not None
    assert (entry.action, entry.cached_status, entry.venue_status) == (
        OrderAction.UPDATED,
        S.SUBMITTED,
        S.REJECTED,
    )


@pytest.mark.parametrize(
    ("cached", "venue", "expected", "final"),
    [
        pytest.param(
            "submitted", S.ACCEPTED, [("OrderAccepted", "O-1", "V-O-1")], S.ACCEPTED, id="ack-lost"
        ),
        pytest.param(
            "accepted",
            S.CANCELED,
            [("OrderCanceled", "O-1", "V-O-1")],
            S.CANCELED,
            id="cancel-missed",
        ),
        pytest.param(
            "accepted", S.EXPIRED, [("OrderExpired", "O-1", "V-O-1")], S.EXPIRED, id="expiry-missed"
        ),
        pytest.param(
            "pending_cancel",
            S.CANCELED,
            [("OrderCanceled", "O-1", "V-O-1")],
            S.CANCELED,
            id="pending-cancel-done",
        ),
        pytest.param(
            "pending_cancel",
            S.ACCEPTED,
            [("OrderAccepted", "O-1", "V-O-1")],
            S.ACCEPTED,
            id="cancel-never-happened",
        ),
        pytest.param(
            "initialized",
            S.CANCELED,
            [("OrderAccepted", "O-1", "V-O-1"), ("OrderCanceled", "O-1", "V-O-1")],
            S.CANCELED,
            id="never-saw-submit",
        ),
    ],
)
def test_order_state_discrepancy_transitions(
    cached: str, venue: OrderStatus, expected: list[tuple[object, ...]], final: OrderStatus
) -> None:
    h = Harness()
    ev = h.order("O-1")
    steps = {
        "initialized": [],
        "submitted": [ev.submitted],
        "accepted": [ev.submitted, ev.accepted],
        "pending_cancel": [ev.submitted, ev.accepted, ev.pending_cancel],
    }[cached]
    for step in steps:
        h.apply(step())
    result = h.reconcile_and_apply(mass_status([order_report(status=venue)]))
    assert briefs(result) == expected
    assert h.status("O-1") == (final, "0.000", None)


def test_order_state_discrepancy_modified_at_venue() -> None:
    """A pending modify that went through: OrderUpdated with the venue's terms."""
    h = Harness()
    ev = h.order("O-1", quantity="2.000", price="100.00")
    h.apply(ev.submitted(), ev.accepted(), ev.pending_update())
    mass = mass_status([order_report(quantity="3.000", price="99.50")])
    result = h.reconcile_and_apply(mass)
    assert briefs(result) == [("OrderUpdated", "O-1", "3.000", "99.50")]
    order = h.cache.order(ClientOrderId("O-1"))
    assert order is not None
    assert (order.status, str(order.quantity), str(order.price)) == (S.ACCEPTED, "3.000", "99.50")


def test_order_state_discrepancy_stop_triggered() -> None:
    h = Harness()
    ev = h.order("O-1", order_type=OrderType.STOP_LIMIT)
    h.apply(ev.submitted(), ev.accepted())
    mass = mass_status(
        [order_report(status=S.TRIGGERED, order_type=OrderType.STOP_LIMIT, trigger_price="99.00")]
    )
    result = h.reconcile_and_apply(mass)
    assert briefs(result) == [("OrderTriggered", "O-1", "V-O-1")]
    assert h.status("O-1") == (S.TRIGGERED, "0.000", None)


# -- fills ----------------------------------------------------------------------------------


def test_missed_fills() -> None:
    """Venue FILLED with two trades the engine never saw: two OrderFilled from the reports."""
    h = Harness()
    ev = h.order("O-1", quantity="2.000")
    h.apply(ev.submitted(), ev.accepted())
    mass = mass_status(
        [order_report(status=S.FILLED, quantity="2.000", filled="2.000", avg_px="100.50")],
        [fill_report("T-1", px="100.00", ts=11), fill_report("T-2", px="101.00", ts=12)],
        [position_report(PositionSide.LONG, "2.000", "100.50")],
    )
    result = h.reconcile_and_apply(mass)
    assert briefs(result) == [
        ("OrderFilled", "O-1", "T-1", "1.000", "100.00"),
        ("OrderFilled", "O-1", "T-2", "1.000", "101.00"),
    ]
    assert h.status("O-1") == (S.FILLED, "2.000", "100.50")
    assert h.net() == 2
    position = result.report.position(IID)
    assert position is not None and position.action is PositionAction.MATCHED


def test_multiple_fills_reconstructs_history() -> None:
    """One of three partial fills is cached: the other two are added, in time order."""
    h = Harness()
    ev = h.order("O-1", quantity="3.000")
    h.apply(ev.submitted(), ev.accepted(), ev.filled("1.000", "100.00", trade_id="T-1"))
    mass = mass_status(
        [order_report(status=S.FILLED, quantity="3.000", filled="3.000", avg_px="101.00")],
        [
            fill_report("T-3", px="102.00", ts=13),
            fill_report("T-1", px="100.00", ts=11),
            fill_report("T-2", px="101.00", ts=12),
        ],
        [position_report(PositionSide.LONG, "3.000", "101.00")],
    )
    result = h.reconcile_and_apply(mass)
    assert briefs(result) == [
        ("OrderFilled", "O-1", "T-2", "1.000", "101.00"),
        ("OrderFilled", "O-1", "T-3", "1.000", "102.00"),
    ]
    order = h.cache.order(ClientOrderId("O-1"))
    assert order is not None
    assert {t.value for t in order.trade_ids} == {"T-1", "T-2", "T-3"}
    assert h.status("O-1") == (S.FILLED, "3.000", "101.00")
    assert h.net() == 3


def test_external_orders_are_created_and_tagged_external() -> None:
    """Orders the cache does not know: created from their reports as EXTERNAL."""
    h = Harness()
    mass = mass_status(
        [
            order_report("V-9", coid=None, price="99.00"),
            order_report("V-7", coid="EXT-7", status=S.FILLED, filled="1.000", avg_px="100.00"),
        ],
        [fill_report("T-7", "V-7", coid="EXT-7")],
        [position_report(PositionSide.LONG, "1.000", "100.00")],
    )
    result = h.reconcile_and_apply(mass)
    assert [(i.client_order_id.value, i.strategy_id.value) for i in result.new_orders] == [
        ("V-9", "EXTERNAL"),
        ("EXT-7", "EXTERNAL"),
    ]
    assert briefs(result) == [
        ("OrderAccepted", "V-9", "V-9"),
        ("OrderAccepted", "EXT-7", "V-7"),
        ("OrderFilled", "EXT-7", "T-7", "1.000", "100.00"),
    ]
    assert h.status("V-9") == (S.ACCEPTED, "0.000", None)
    assert h.status("EXT-7") == (S.FILLED, "1.000", "100.00")
    external = h.cache.order(ClientOrderId("V-9"))
    assert external is not None and str(external.price) == "99.00"
    assert h.cache.client_order_id_for(external.venue_order_id) == ClientOrderId("V-9")  # type: ignore[arg-type]
    assert h.net() == 1
    assert result.report.count(OrderAction.CREATED) == 2


def test_external_orders_claimed_by_a_strategy() -> None:
    h = Harness()
    mass = mass_status(
        [order_report("V-9", coid=None), order_report("V-8", coid=None, instrument_id=ETH)]
    )
    result = h.reconcile_and_apply(mass, external_order_claims={IID: StrategyId("EMA-001")})
    owners = {i.client_order_id.value: i.strategy_id.value for i in result.new_orders}
    assert owners == {"V-9": "EMA-001", "V-8": "EXTERNAL"}


def test_partially_filled_then_canceled_keeps_fill_history() -> None:
    h = Harness()
    ev = h.order("O-1", quantity="2.000")
    h.apply(ev.submitted(), ev.accepted(), ev.filled("0.500", "100.00", trade_id="T-1"))
    mass = mass_status(
        [order_report(status=S.CANCELED, quantity="2.000", filled="1.000", avg_px="100.50")],
        [
            fill_report("T-1", qty="0.500", px="100.00"),
            fill_report("T-2", qty="0.500", px="101.00", ts=16),
        ],
        [position_report(PositionSide.LONG, "1.000", "100.50")],
    )
    result = h.reconcile_and_apply(mass)
    assert briefs(result) == [
        ("OrderFilled", "O-1", "T-2", "0.500", "101.00"),
        ("OrderCanceled", "O-1", "V-O-1"),
    ]
    assert h.status("O-1") == (S.CANCELED, "1.000", "100.50")
    order = h.cache.order(ClientOrderId("O-1"))
    assert order is not None and {t.value for t in order.trade_ids} == {"T-1", "T-2"}
    assert h.net() == 1


def test_different_fill_data_keeps_cached_and_logs_discrepancy() -> None:
    h = Harness()
    ev = h.order("O-1")
    h.apply(ev.submitted(), ev.accepted(), ev.filled(trade_id="T-1", commission="0.10"))
    mass = mass_status(
        [order_report(status=S.FILLED, filled="1.000", avg_px="100.05")],
        [fill_report("T-1", px="100.05", commission="0.12")],
    )
    result = h.reconcile_and_apply(mass)
    assert result.events == ()
    assert h.status("O-1") == (S.FILLED, "1.000", "100.00")  # cached data win
    entry = result.report.order(ClientOrderId("O-1"))
    assert entry is not None and entry.severity is Severity.WARNING
    assert entry.discrepancies == (
        "trade T-1: venue price 100.05 differs from cached 100.00 by 0.05 (cached kept)",
        "trade T-1: venue commission 0.12000000 USDT differs from cached 0.10000000 USDT "
        "by 0.02000000 (cached kept)",
    )
    # Within the tolerances, nothing is reported.
    quiet = h.reconcile(mass, price_tolerance=Decimal("0.05"), commission_tolerance=Decimal("0.02"))
    entry = quiet.report.order(ClientOrderId("O-1"))
    assert entry is not None and entry.discrepancies == ()


def test_filtered_orders_by_client_order_id_and_instrument() -> None:
    h = Harness()
    for coid in ("O-1", "O-2"):
        ev = h.order(coid)
        h.apply(ev.submitted(), ev.accepted())
    ev = h.order("O-3", instrument_id=ETH)
    h.apply(ev.submitted(), ev.accepted())
    mass = mass_status(
        [
            order_report("V-O-1", coid="O-1", status=S.CANCELED),
            order_report("V-O-2", coid="O-2", status=S.CANCELED),
            order_report("V-O-3", coid="O-3", status=S.CANCELED, instrument_id=ETH),
        ]
    )
    result = h.reconcile_and_apply(
        mass,
        filtered_client_order_ids=[ClientOrderId("O-1")],
        reconciliation_instrument_ids=[IID],
    )
    assert briefs(result) == [("OrderCanceled", "O-2", "V-O-2")]
    assert h.status("O-1")[0] is S.ACCEPTED
    assert h.status("O-3")[0] is S.ACCEPTED
    actions = {
        e.client_order_id.value: (e.action, e.reason)
        for e in result.report.orders
        if e.client_order_id
    }
    assert actions["O-1"] == (OrderAction.FILTERED, "listed in filtered_client_order_ids")
    assert actions["O-3"] == (
        OrderAction.FILTERED,
        "ETHUSDT.SIM is not in reconciliation_instrument_ids",
    )


def test_duplicate_client_order_ids_fail_reconciliation() -> None:
    h = Harness()
    mass = mass_status([order_report("V-1", coid="O-1"), order_report("V-2", coid="O-1")])
    with pytest.raises(DuplicateClientOrderIds) as info:
        h.reconcile(mass)
    assert str(info.value) == (
        "mass status from SIM has duplicate client order ids: O-1 (venue orders V-1, V-2); "
        "fix the venue data or add them to exec_engine.filtered_client_order_ids"
    )
    assert set(info.value.duplicates[ClientOrderId("O-1")]) == {
        VenueOrderId("V-1"),
        VenueOrderId("V-2"),
    }
    # Listed in filtered_client_order_ids, they are skipped instead.
    result = h.reconcile(mass, filtered_client_order_ids=[ClientOrderId("O-1")])
    assert result.events == () and result.report.count(OrderAction.FILTERED) == 2


# -- positions ------------------------------------------------------------------------------


def _internal_diff(h: Harness, mass_ts: int = 1_000) -> tuple[object, ...]:
    order = h.cache.order(ClientOrderId(f"INTERNAL-DIFF-BTCUSDT.SIM-{mass_ts}"))
    assert order is not None
    return (
        order.strategy_id.value,
        order.side,
        order.order_type,
        str(order.quantity),
        str(order.price),
        order.status,
    )


def test_position_quantity_mismatch_long() -> None:
    """Internal 100 long @ 100, venue 150 @ 102: BUY 50 LIMIT @ 106 keeps the average at 102."""
    h = Harness()
    long_position(h, "100.000", "100.00")
    mass = mass_status(positions=[position_report(PositionSide.LONG, "150.000", "102.00")])
    result = h.reconcile_and_apply(mass)
    coid = "INTERNAL-DIFF-BTCUSDT.SIM-1000"
    assert briefs(result) == [
        ("OrderAccepted", coid, coid),
        ("OrderFilled", coid, f"{coid}-FILL", "50.000", "106.00"),
    ]
    assert _internal_diff(h) == (
        "INTERNAL-DIFF",
        OrderSide.BUY,
        OrderType.LIMIT,
        "50.000",
        "106.00",
        S.FILLED,
    )
    assert h.net() == 150
    entry = result.report.position(IID)
    assert entry is not None
    assert (entry.action, entry.price_source, entry.cached_qty, entry.venue_qty) == (
        PositionAction.GENERATED,
        PriceSource.CALCULATED,
        Decimal("100.000"),
        Decimal("150.000"),
    )


def test_position_quantity_mismatch_short() -> None:
    """Internal -100 @ 100, venue -150 @ 98: SELL 50 LIMIT @ 94."""
    h = Harness()
    long_position(h, "-100.000", "100.00")
    mass = mass_status(positions=[position_report(PositionSide.SHORT, "150.000", "98.00")])
    h.reconcile_and_apply(mass)
    assert _internal_diff(h) == (
        "INTERNAL-DIFF",
        OrderSide.SELL,
        OrderType.LIMIT,
        "50.000",
        "94.00",
        S.FILLED,
    )
    assert h.net() == -150


def test_position_reduction() -> None:
    """Internal 150, venue 100: SELL 50 LIMIT; a reduction has no calculated price, so the mid."""
    h = Harness()
    long_position(h, "150.000", "100.00")
    h.quote("100.99", "101.01")
    mass = mass_status(positions=[position_report(PositionSide.LONG, "100.000", "100.00")])
    result = h.reconcile_and_apply(mass)
    assert _internal_diff(h) == (
        "INTERNAL-DIFF",
        OrderSide.SELL,
        OrderType.LIMIT,
        "50.000",
        "101.00",
        S.FILLED,
    )
    entry = result.report.position(IID)
    assert entry is not None and entry.price_source is PriceSource.MID
    assert h.net() == 100


def test_position_side_flip() -> None:
    """Internal 100 long, venue 50 short @ 99: one SELL 150 LIMIT @ 99 across zero."""
    h = Harness()
    long_position(h, "100.000", "100.00")
    mass = mass_status(positions=[position_report(PositionSide.SHORT, "50.000", "99.00")])
    result = h.reconcile_and_apply(mass)
    assert _internal_diff(h) == (
        "INTERNAL-DIFF",
        OrderSide.SELL,
        OrderType.LIMIT,
        "150.000",
        "99.00",
        S.FILLED,
    )
    assert h.net() == -50
    entry = result.report.position(IID)
    assert entry is not None and entry.price_source is PriceSource.CALCULATED


def test_internal_diff_orders_are_never_filtered() -> None:
    """With filter_unclaimed_external_orders the external order is skipped, its position is not."""
    h = Harness()
    mass = mass_status(
        [order_report("V-9", coid=None, status=S.FILLED, filled="1.000", avg_px="100.00")],
        [fill_report("T-9", "V-9", coid=None)],
        [position_report(PositionSide.LONG, "1.000", "100.00")],
    )
    result = h.reconcile_and_apply(mass, filter_unclaimed_external_orders=True)
    order_entry = result.report.orders[0]
    assert (order_entry.action, order_entry.reason) == (
        OrderAction.FILTERED,
        "unclaimed external order (filter_unclaimed_external_orders)",
    )
    assert h.cache.order(ClientOrderId("V-9")) is None
    assert _internal_diff(h) == (
        "INTERNAL-DIFF",
        OrderSide.BUY,
        OrderType.LIMIT,
        "1.000",
        "100.00",
        S.FILLED,
    )
    assert h.net() == 1
    assert [brief(e)[0] for e in result.events] == ["OrderAccepted", "OrderFilled"]


def test_internal_diff_orders_cannot_be_claimed() -> None:
    h = Harness()
    mass = mass_status(positions=[position_report(PositionSide.LONG, "1.000", "100.00")])
    result = h.reconcile_and_apply(mass, external_order_claims={IID: StrategyId("EMA-001")})
    assert [i.strategy_id.value for i in result.new_orders] == ["INTERNAL-DIFF"]
