"""The rules around the scenario table: matching, duplicates, failures, application."""

from __future__ import annotations

from decimal import Decimal

import pytest
from recon_support import (
    CLIENT,
    ETH,
    IID,
    TRADER,
    Harness,
    briefs,
    fill_report,
    mass_status,
    order_report,
    position_report,
)

from livetrade.config.engines import ExecEngineConfig
from livetrade.errors import InvalidValue
from livetrade.execution.reconciliation import (
    OrderAction,
    ReconciliationError,
    ReconciliationResult,
    ReconciliationSettings,
    Severity,
    collect_claims,
)
from livetrade.model import (
    ClientOrderId,
    OrderInitialized,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    StrategyId,
    TimeInForce,
)

S = OrderStatus


def test_report_without_client_order_id_matches_by_venue_order_id() -> None:
    h = Harness()
    ev = h.order("O-1")
    h.apply(ev.submitted(), ev.accepted())
    result = h.reconcile_and_apply(mass_status([order_report(coid=None, status=S.CANCELED)]))
    assert result.new_orders == ()
    assert briefs(result) == [("OrderCanceled", "O-1", "V-O-1")]
    entry = result.report.orders[0]
    assert entry.matched_by == "venue order id"
    assert entry.describe().startswith("order O-1 (matched by venue order id V-O-1): ")


def test_unknown_client_order_id_with_a_known_venue_order_id_is_the_cached_order() -> None:
    h = Harness()
    ev = h.order("O-1")
    h.apply(ev.submitted(), ev.accepted())
    result = h.reconcile_and_apply(mass_status([order_report(coid="VENUE-SIDE-ID")]))
    assert result.new_orders == () and result.events == ()
    (entry,) = result.report.orders
    assert entry.client_order_id == ClientOrderId("O-1")
    assert entry.discrepancies == (
        "the venue reports client order id VENUE-SIDE-ID for cached order O-1",
    )


def test_duplicate_trade_ids_are_applied_once_and_reported() -> None:
    h = Harness()
    ev = h.order("O-1", quantity="2.000")
    h.apply(ev.submitted(), ev.accepted())
    mass = mass_status(
        [
            order_report(
                status=S.PARTIALLY_FILLED, quantity="2.000", filled="1.000", avg_px="100.00"
            )
        ],
        [fill_report("T-1"), fill_report("T-1"), fill_report("T-1", px="100.50")],
    )
    result = h.reconcile_and_apply(mass)
    assert briefs(result) == [("OrderFilled", "O-1", "T-1", "1.000", "100.00")]
    assert result.report.duplicate_trade_ids == (result.events[0].trade_id,)  # type: ignore[attr-defined]
    entry = result.report.orders[0]
    assert entry.discrepancies[0] == "trade T-1 reported 3 times: applied once"
    assert (
        "the repeated report differs (1.000 @ 100.50 vs 1.000 @ 100.00)" in entry.discrepancies[1]
    )
    assert h.status("O-1") == (S.PARTIALLY_FILLED, "1.000", "100.00")


def test_reconciling_twice_generates_nothing_the_second_time() -> None:
    h = Harness()
    ev = h.order("O-1", quantity="2.000")
    h.apply(ev.submitted(), ev.accepted())
    mass = mass_status(
        [
            order_report(status=S.CANCELED, quantity="2.000", filled="1.500", avg_px="100.10"),
            order_report("V-9", coid=None, status=S.FILLED, filled="1.000", avg_px="99.00"),
        ],
        [fill_report("T-1", qty="0.500")],
        [position_report(PositionSide.LONG, "3.500", "100.00")],
    )
    first = h.reconcile_and_apply(mass)
    assert len(first.events) > 0
    second = h.reconcile_and_apply(mass)
    assert second.is_empty
    assert all(e.severity is not Severity.INFO for e in second.report.orders)
    assert h.net() == 3.5


def test_a_report_that_cannot_apply_fails_alone() -> None:
    """Wrong side on one report: that order is left as cached, the others are reconciled."""
    h = Harness()
    for coid in ("O-1", "O-2"):
        ev = h.order(coid)
        h.apply(ev.submitted(), ev.accepted())
    mass = mass_status(
        [
            order_report("V-O-1", coid="O-1", status=S.CANCELED, side=OrderSide.SELL),
            order_report("V-O-2", coid="O-2", status=S.CANCELED),
        ]
    )
    result = h.reconcile_and_apply(mass)
    assert briefs(result) == [("OrderCanceled", "O-2", "V-O-2")]
    failed = result.report.order(ClientOrderId("O-1"))
    assert failed is not None and failed.action is OrderAction.FAILED
    assert failed.reason == "the venue reports a SELL order, the cached order is a BUY"
    assert h.status("O-1")[0] is S.ACCEPTED


def test_terminal_cached_order_is_left_and_the_position_fixed() -> None:
    """Cached REJECTED (e.g. by the in-flight check) but the venue filled it."""
    h = Harness()
    ev = h.order("O-1")
    h.apply(ev.submitted(), ev.rejected())
    mass = mass_status(
        [order_report(status=S.FILLED, filled="1.000", avg_px="100.00")],
        [fill_report("T-1")],
        [position_report(PositionSide.LONG, "1.000", "100.00")],
    )
    result = h.reconcile_and_apply(mass)
    entry = result.report.order(ClientOrderId("O-1"))
    assert entry is not None and entry.severity is Severity.WARNING
    assert entry.discrepancies == (
        "fill reports T-1 not applied: a REJECTED order takes no fill",
        "the venue says FILLED, but REJECTED is final: left as cached",
        "the venue's filled 1.000 differs from the cached 0.000: left as cached",
    )
    assert h.status("O-1")[0] is S.REJECTED
    assert h.net() == 1  # INTERNAL-DIFF


def test_inferred_fill_needs_a_price() -> None:
    """A MARKET order with no avg_px: the missing quantity is reported, not invented."""
    h = Harness()
    ev = h.order("O-1", order_type=OrderType.MARKET)
    h.apply(ev.submitted(), ev.accepted())
    mass = mass_status([order_report(status=S.FILLED, filled="1.000", order_type=OrderType.MARKET)])
    result = h.reconcile_and_apply(mass)
    assert result.events == ()
    entry = result.report.orders[0]
    assert entry.discrepancies == (
        "the venue filled 1.000 but the known fills add up to 0.000: no price for an inferred "
        "fill of 1.000, left unfilled",
        "status stays ACCEPTED: the venue's FILLED cannot be reached from it",
    )


def test_cached_open_orders_the_venue_did_not_report_are_listed() -> None:
    h = Harness()
    ev = h.order("O-1")
    h.apply(ev.submitted(), ev.accepted())
    ev = h.order("O-2")
    h.apply(ev.submitted())
    result = h.reconcile_and_apply(mass_status())
    assert [
        (e.client_order_id.value, e.action) for e in result.report.orders if e.client_order_id
    ] == [
        ("O-1", OrderAction.NOT_REPORTED),
        ("O-2", OrderAction.NOT_REPORTED),
    ]
    assert result.is_empty


def test_external_gtd_without_expire_time_is_recorded_as_gtc() -> None:
    h = Harness()
    mass = mass_status([order_report("V-9", coid=None, time_in_force=TimeInForce.GTD)])
    result = h.reconcile_and_apply(mass)
    (init,) = result.new_orders
    assert init.time_in_force is TimeInForce.GTC
    assert result.report.orders[0].discrepancies == (
        "the venue reports GTD without an expire time: recorded as GTC",
    )


def test_apply_registers_orders_and_publishes_every_event() -> None:
    h = Harness()
    mass = mass_status(
        [order_report("V-9", coid=None, status=S.FILLED, filled="1.000", avg_px="100.00")],
        [fill_report("T-9", "V-9", coid=None)],
    )
    result = h.reconcile_and_apply(mass)
    order_events = [type(e).__name__ for e in h.published if hasattr(e, "client_order_id")]
    assert order_events == ["OrderInitialized", "OrderAccepted", "OrderFilled"]
    assert [type(e).__name__ for e in h.published if not hasattr(e, "client_order_id")] == [
        "PositionOpened"
    ]
    assert all(e.reconciliation for e in h.published if hasattr(e, "client_order_id"))
    assert h.cache.client_id_for_order(ClientOrderId("V-9")) == CLIENT
    assert result.report.orders_created == 1


def test_apply_checks_everything_before_changing_anything() -> None:
    """A result that does not fit the cache is refused whole."""
    h = Harness()
    mass = mass_status([order_report("V-9", coid=None), order_report("V-8", coid=None)])
    result = h.reconcile(mass)
    ev = h.order("V-8")  # the cache changed after the result was computed
    before = h.cache.statistics()
    with pytest.raises(ReconciliationError) as info:
        h.engine.apply_reconciliation(result)
    assert str(info.value) == (
        "reconciliation of SIM: order V-8 is already in the cache; nothing was applied"
    )
    assert h.cache.statistics() == before
    assert h.cache.order(ClientOrderId("V-9")) is None
    assert ev.order.status is S.INITIALIZED
    # An event for an order that is neither cached nor new.
    orphan = ReconciliationResult(
        client_id=CLIENT,
        new_orders=(),
        events=result.events[:1],
        deferred_fills=(),
        report=result.report,
    )
    with pytest.raises(ReconciliationError, match="neither cached nor new; nothing was applied"):
        h.engine.apply_reconciliation(orphan)


def test_settings_from_exec_engine_config_and_claims() -> None:
    config = ExecEngineConfig(
        reconciliation_instrument_ids=[IID],
        filtered_client_order_ids=[ClientOrderId("O-1")],
        filter_unclaimed_external_orders=True,
        filter_position_reports=True,
        generate_missing_orders=False,
    )
    claims, problems = collect_claims(
        [
            (StrategyId("A-001"), [IID]),
            (StrategyId("B-001"), [IID, ETH]),
            (StrategyId("C-001"), None),
        ]
    )
    assert claims == {IID: StrategyId("A-001"), ETH: StrategyId("B-001")}
    assert problems == [
        "strategy B-001 claims external orders of BTCUSDT.SIM, already claimed by A-001: "
        "A-001 keeps them"
    ]
    settings = ReconciliationSettings.from_config(
        config, trader_id=TRADER, external_order_claims=claims
    )
    assert settings.reconciliation_instrument_ids == frozenset({IID})
    assert settings.filtered_client_order_ids == frozenset({ClientOrderId("O-1")})
    assert settings.filter_unclaimed_external_orders and settings.filter_position_reports
    assert not settings.generate_missing_orders
    assert settings.in_scope(IID) and not settings.in_scope(ETH)
    assert settings.external_order_claims[ETH] == StrategyId("B-001")


def test_report_lines_and_summary() -> None:
    h = Harness()
    ev = h.order("O-1")
    h.apply(ev.submitted(), ev.accepted())
    mass = mass_status(
        [
            order_report(status=S.FILLED, filled="1.000", avg_px="100.00"),
            order_report("V-2", coid="O-2"),
        ],
        [fill_report("T-1")],
        [position_report(PositionSide.LONG, "1.000", "100.00")],
    )
    report = h.reconcile(mass).report
    assert [(s, text.split(":")[0]) for s, text in report.lines()] == [
        (Severity.INFO, "order O-1"),
        (Severity.INFO, "order O-2 [EXTERNAL]"),
    ]
    assert len(list(report.lines(minimum=Severity.DEBUG))) == 3  # the matched position too
    assert report.discrepancies == 0
    assert report.summary() == (
        "reconciliation of SIM: 2 orders (1 updated, 1 created, 0 filtered, 0 failed), "
        "1 positions, 2 events, 0 deferred fill groups, 0 duplicate trade ids"
    )


def test_new_orders_come_first_in_the_result() -> None:
    h = Harness()
    result = h.reconcile(mass_status([order_report("V-9", coid=None)]))
    assert all(isinstance(i, OrderInitialized) for i in result.new_orders)
    assert result.new_orders[0].ts_init == 1_000


def test_tolerances_must_be_non_negative_decimals() -> None:
    with pytest.raises(InvalidValue) as info:
        ReconciliationSettings(trader_id=TRADER, price_tolerance=Decimal("-0.01"))
    assert (
        str(info.value) == "price_tolerance: expected a non-negative Decimal, got Decimal('-0.01')"
    )
