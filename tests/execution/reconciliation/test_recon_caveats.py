"""One test per caveat of the guide's reconciliation section ("Common reconciliation
issues", the lookback warning, and the pricing hierarchy's last resort)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from recon_support import (
    IID,
    Harness,
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
from livetrade.model import ClientOrderId, OrderStatus, PositionSide

S = OrderStatus


def test_caveat_missing_trade_reports_yield_an_inferred_fill() -> None:
    """The venue dropped an old trade: an inferred fill makes up the rest at the venue's average."""
    h = Harness()
    ev = h.order("O-1", quantity="2.000")
    h.apply(ev.submitted(), ev.accepted())
    mass = mass_status(
        [order_report(status=S.FILLED, quantity="2.000", filled="2.000", avg_px="101.00")],
        [fill_report("T-2", px="102.00")],
        [position_report(PositionSide.LONG, "2.000", "101.00")],
    )
    result = h.reconcile_and_apply(mass)
    assert briefs(result) == [
        ("OrderFilled", "O-1", "T-2", "1.000", "102.00"),
        ("OrderFilled", "O-1", "V-O-1-INFERRED-2", "1.000", "100.00"),
    ]
    assert h.status("O-1") == (S.FILLED, "2.000", "101.00")
    assert h.net() == 2
    entry = result.report.order(ClientOrderId("O-1"))
    assert entry is not None and entry.events == ("OrderFilled", "inferred OrderFilled")
    assert entry.describe() == (
        "order O-1: cached ACCEPTED 0.000/2.000, venue FILLED 2.000/2.000 (1 fill report): "
        "applied OrderFilled, inferred OrderFilled (brought to the venue's state; fill reports "
        "missing for 1.000: inferred fill @ 100.00 (makes the order's average the venue's avg_px))"
    )


def test_caveat_no_fill_reports_at_all_two_inferred_fills_never() -> None:
    """The issue's example: venue FILLED, no trades reported: one inferred fill for it all."""
    h = Harness()
    ev = h.order("O-123", quantity="2.000")
    h.apply(ev.submitted(), ev.accepted())
    mass = mass_status(
        [
            order_report(
                "V-O-123",
                coid="O-123",
                status=S.FILLED,
                quantity="2.000",
                filled="2.000",
                avg_px="100.25",
            )
        ]
    )
    result = h.reconcile_and_apply(mass)
    assert briefs(result) == [("OrderFilled", "O-123", "V-O-123-INFERRED-1", "2.000", "100.25")]
    assert h.status("O-123") == (S.FILLED, "2.000", "100.25")


def test_caveat_position_predating_the_lookback_gets_an_internal_diff() -> None:
    """Orders before the lookback are gone: the venue's position alone becomes INTERNAL-DIFF."""
    h = Harness()
    mass = mass_status(positions=[position_report(PositionSide.LONG, "2.000", "100.00")])
    result = h.reconcile_and_apply(mass)
    coid = "INTERNAL-DIFF-BTCUSDT.SIM-1000"
    assert briefs(result) == [
        ("OrderAccepted", coid, coid),
        ("OrderFilled", coid, f"{coid}-FILL", "2.000", "100.00"),
    ]
    assert h.net() == 2
    position = h.cache.positions_open(instrument_id=IID)[0]
    assert position.avg_px_open == 100


def test_caveat_duplicate_order_ids_fail() -> None:
    h = Harness()
    mass = mass_status(
        [
            order_report("V-1", coid="O-1"),
            order_report("V-2", coid="O-1"),
            order_report("V-3", coid="O-3"),
        ]
    )
    with pytest.raises(DuplicateClientOrderIds) as info:
        h.reconcile(mass)
    assert set(info.value.duplicates) == {ClientOrderId("O-1")}
    assert h.cache.orders_count() == 0


def test_caveat_precision_differences_round_to_nothing() -> None:
    """A difference below the size precision (0.001) is no difference."""
    h = Harness()
    ev = h.order("O-1")
    h.apply(ev.submitted(), ev.accepted(), ev.filled())
    mass = mass_status(positions=[position_report(PositionSide.LONG, "1.0004", "100.00")])
    result = h.reconcile_and_apply(mass)
    assert result.events == ()
    entry = result.report.position(IID)
    assert entry is not None
    assert (entry.action, entry.reason) == (
        PositionAction.MATCHED,
        "the difference 0.0004 rounds to zero at size precision 3",
    )
    # One more unit of the precision is a real difference.
    mass = mass_status(positions=[position_report(PositionSide.LONG, "1.0006", "100.00")])
    result = h.reconcile_and_apply(mass)
    entry = result.report.position(IID)
    assert entry is not None and entry.action is PositionAction.GENERATED
    assert entry.fill_qty is not None and str(entry.fill_qty) == "0.001"


def test_caveat_out_of_order_fill_reports_are_deferred_not_dropped() -> None:
    """Fills whose order has no status report and is not cached are kept for later."""
    h = Harness()
    mass = mass_status(
        fills=[fill_report("T-77", "V-77", coid="O-77"), fill_report("T-78", "V-77", coid="O-77")]
    )
    result = h.reconcile_and_apply(mass)
    assert result.events == ()
    assert [f.trade_id.value for f in result.deferred_fills] == ["T-77", "T-78"]
    (deferred,) = result.report.deferred_fills
    assert deferred.severity is Severity.WARNING
    assert deferred.describe() == (
        "fill reports T-77, T-78 of venue order V-77 (client order O-77) on BTCUSDT.SIM: "
        "deferred (no order status report and no cached order; the venue's position report "
        "still counts them)"
    )


def test_caveat_fill_reports_of_a_cached_order_without_status_report_are_applied() -> None:
    """The order's state is in the cache, so its fills need not wait for a status report.

    O-1 is found by the fill's client order id, O-2 (no client order id on the
    fill) by the cache's venue order id index.
    """
    h = Harness()
    ev = h.order("O-1", quantity="2.000")
    h.apply(ev.submitted())
    ev2 = h.order("O-2", quantity="2.000")
    h.apply(ev2.submitted(), ev2.accepted())
    mass = mass_status(
        fills=[fill_report("T-1", "V-O-1", coid="O-1"), fill_report("T-2", "V-O-2", coid=None)]
    )
    result = h.reconcile_and_apply(mass)
    assert briefs(result) == [
        ("OrderAccepted", "O-1", "V-O-1"),
        ("OrderFilled", "O-1", "T-1", "1.000", "100.00"),
        ("OrderFilled", "O-2", "T-2", "1.000", "100.00"),
    ]
    assert h.status("O-1") == (S.PARTIALLY_FILLED, "1.000", "100.00")
    assert h.status("O-2") == (S.PARTIALLY_FILLED, "1.000", "100.00")
    assert result.deferred_fills == ()


def test_caveat_market_order_last_resort_never_gets_a_made_up_price() -> None:
    """No venue average, no quote, no position: nothing is generated and the report says why."""
    h = Harness()
    mass = mass_status(positions=[position_report(PositionSide.LONG, "1.000")])
    result = h.reconcile_and_apply(mass)
    assert result.is_empty
    entry = result.report.position(IID)
    assert entry is not None
    assert entry.action is PositionAction.UNRESOLVED and entry.severity is Severity.WARNING
    assert entry.fill_px is None and entry.price_source is None
    assert entry.reason.startswith("no price for an INTERNAL-DIFF fill of 1.000: ")
    assert "made-up fill price" in entry.reason
    assert h.net() == 0


def test_caveat_pricing_hierarchy_falls_back_in_order() -> None:
    """Calculated, then quote mid, then the position's average."""
    # Calculated (venue average known).
    h = Harness()
    mass = mass_status(positions=[position_report(PositionSide.LONG, "1.000", "100.00")])
    h.quote("89.99", "90.01")
    entry = h.reconcile(mass).report.position(IID)
    assert entry is not None and (entry.price_source, str(entry.fill_px)) == (
        PriceSource.CALCULATED,
        "100.00",
    )
    # Quote mid (no venue average).
    mass = mass_status(positions=[position_report(PositionSide.LONG, "1.000")])
    entry = h.reconcile(mass).report.position(IID)
    assert entry is not None and (entry.price_source, str(entry.fill_px)) == (
        PriceSource.MID,
        "90.00",
    )
    # The position's average (no venue average, no quote).
    h = Harness()
    ev = h.order("O-1", price="95.00")
    h.apply(ev.submitted(), ev.accepted(), ev.filled())
    mass = mass_status(positions=[position_report(PositionSide.LONG, "2.000")])
    entry = h.reconcile(mass).report.position(IID)
    assert entry is not None
    assert (entry.price_source, str(entry.fill_px)) == (PriceSource.POSITION_AVERAGE, "95.00")


def test_caveat_generate_missing_orders_off_leaves_the_difference() -> None:
    h = Harness()
    mass = mass_status(positions=[position_report(PositionSide.LONG, "1.000", "100.00")])
    result = h.reconcile_and_apply(mass, generate_missing_orders=False)
    assert result.is_empty
    entry = result.report.position(IID)
    assert entry is not None
    assert (entry.action, entry.reason, entry.difference) == (
        PositionAction.UNRESOLVED,
        "generate_missing_orders is false: no INTERNAL-DIFF order",
        Decimal("1.000"),
    )


def test_caveat_filter_position_reports_skips_them() -> None:
    h = Harness()
    mass = mass_status(positions=[position_report(PositionSide.LONG, "1.000", "100.00")])
    result = h.reconcile_and_apply(mass, filter_position_reports=True)
    assert result.is_empty
    entry = result.report.position(IID)
    assert entry is not None and entry.action is PositionAction.FILTERED
    assert result.report.count(OrderAction.CREATED) == 0
