"""Position drift rules and the own-books audit, as pure functions."""

from __future__ import annotations

from decimal import Decimal

from checks_support import ACCOUNT, CLIENT, IID, MS, NOW, SECOND, VENUE, Bench, fill_report

from livetrade.execution.checks import (
    BookInconsistency,
    DriftTracker,
    PositionDrift,
    audit_own_book,
    own_levels,
    position_drifts,
    reconcile_reports,
)
from livetrade.execution.checks.settings import CheckSettings
from livetrade.execution.reconciliation import PositionAction, ReconciliationSettings
from livetrade.model import (
    BookAction,
    BookOrder,
    OrderBook,
    OrderBookDelta,
    OrderSide,
    OrderStatus,
    PositionSide,
    PositionStatusReport,
    Price,
    Quantity,
    QuoteTick,
    RecordFlag,
)

S = OrderStatus


def position(
    qty: str, side: PositionSide = PositionSide.LONG, avg: str | None = None
) -> PositionStatusReport:
    return PositionStatusReport(
        account_id=ACCOUNT,
        instrument_id=IID,
        position_side=side if Decimal(qty) else PositionSide.FLAT,
        quantity=Quantity(qty),
        avg_px_open=None if avg is None else Decimal(avg),
        ts_last=NOW,
        ts_init=NOW,
    )


def drifts(
    bench: Bench,
    *reports: PositionStatusReport,
    activity: int | None = None,
    scope: ReconciliationSettings | None = None,
) -> tuple[list[PositionDrift], list[str]]:
    return position_drifts(
        bench.cache,
        reports,
        now_ns=NOW,
        settings=CheckSettings(),
        scope=bench.scope if scope is None else scope,
        last_activity_ns={} if activity is None else {IID: activity},
    )


# -- position drifts ----------------------------------------------------------------------------


def test_a_venue_position_the_cache_lacks_is_a_drift() -> None:
    bench = Bench()
    found, skipped = drifts(bench, position("1.500"))
    (drift,) = found
    assert skipped == []
    assert drift.difference == Decimal("1.5")
    assert drift.describe() == "position BTCUSDT.SIM: cache 0, venue 1.5 (difference 1.5)"


def test_equal_positions_are_no_drift() -> None:
    bench = Bench()
    bench.order("O-1", S.FILLED)
    assert drifts(bench, position("1.000")) == ([], [])


def test_a_difference_below_the_size_precision_is_no_drift() -> None:
    bench = Bench()
    bench.order("O-1", S.FILLED)
    assert drifts(bench, position("1.0004"))[0] == []
    assert len(drifts(bench, position("1.0006"))[0]) == 1


def test_short_reports_count_negative() -> None:
    bench = Bench()
    bench.order("O-1", S.FILLED)
    (drift,) = drifts(bench, position("1.000", PositionSide.SHORT))[0]
    assert drift.difference == Decimal(-2)


def test_busy_instruments_are_not_checked() -> None:
    bench = Bench()
    bench.order("O-1", S.SUBMITTED)
    assert drifts(bench, position("1.000")) == (
        [],
        ["position BTCUSDT.SIM not checked: an order is in flight"],
    )
    quiet = Bench()
    assert drifts(quiet, position("1.000"), activity=NOW - 5 * SECOND + MS) == (
        [],
        [
            "position BTCUSDT.SIM not checked: order activity 4999 ms ago, within "
            "position_check_threshold_ms (5000)"
        ],
    )
    assert len(drifts(quiet, position("1.000"), activity=NOW - 5 * SECOND)[0]) == 1


def test_filtered_position_reports_are_not_checked() -> None:
    bench = Bench()
    scope = ReconciliationSettings(trader_id=bench.scope.trader_id, filter_position_reports=True)
    found, skipped = drifts(bench, position("1.000"), scope=scope)
    assert found == []
    assert skipped == ["position BTCUSDT.SIM not checked: filter_position_reports is set"]


def test_a_drift_is_confirmed_only_when_it_holds_still() -> None:
    bench = Bench()
    tracker = DriftTracker()
    assert tracker.confirmed(drifts(bench, position("1.000"))[0]) == []
    second = drifts(bench, position("1.000"))[0]
    assert tracker.confirmed(second) == second
    assert tracker.confirmed(drifts(bench, position("2.000"))[0]) == []  # it moved
    tracker.forget(IID)
    assert tracker.confirmed(drifts(bench, position("2.000"))[0]) == []
    assert tracker.confirmed([]) == [] and len(tracker) == 0


def test_missed_fills_resolve_a_drift_first_then_startup_rules_close_the_rest() -> None:
    bench = Bench()
    order = bench.order("O-1", S.ACCEPTED)
    # Step 1: the venue's fill report explains the drift; applying it closes it.
    result = reconcile_reports(
        bench.cache,
        client_id=CLIENT,
        account_id=ACCOUNT,
        venue=VENUE,
        ts_init=NOW,
        settings=bench.scope,
        fill_reports=[fill_report(order, "T-1", "1.000")],
    )
    assert bench.engine.apply_reconciliation(result) == 0
    assert order.status is S.FILLED
    assert drifts(bench, position("1.000"))[0] == []
    # Step 2: a difference no fill explains becomes an INTERNAL-DIFF order, as at startup.
    (drift,) = drifts(bench, position("1.500", avg="100.00"))[0]
    result = reconcile_reports(
        bench.cache,
        client_id=CLIENT,
        account_id=ACCOUNT,
        venue=VENUE,
        ts_init=NOW,
        settings=bench.scope,
        position_reports=drift.reports,
    )
    (entry,) = result.report.positions
    assert entry.action is PositionAction.GENERATED
    assert bench.engine.apply_reconciliation(result) == 0
    assert drifts(bench, position("1.500"))[0] == []


# -- own books ----------------------------------------------------------------------------------


def quote(bid: str, ask: str, size: str = "5.000", ts: int = NOW) -> QuoteTick:
    return QuoteTick(
        instrument_id=IID,
        bid_price=Price(bid),
        ask_price=Price(ask),
        bid_size=Quantity(size),
        ask_size=Quantity(size),
        ts_event=ts,
        ts_init=ts,
    )


def audit(
    bench: Bench, *, book: OrderBook | None = None, quote_tick: QuoteTick | None = None
) -> list[BookInconsistency]:
    return audit_own_book(
        IID,
        bench.cache.orders_open(),
        book=book,
        quote=quote_tick,
        now_ns=NOW,
        threshold_ns=5 * SECOND,
    )


def test_own_levels_group_resting_orders_by_price_best_first() -> None:
    bench = Bench()
    bench.order("O-1", S.ACCEPTED, price="99.00")
    bench.order("O-2", S.PARTIALLY_FILLED, price="99.00", filled="0.250")
    bench.order("O-3", S.ACCEPTED, price="99.50")
    bench.order("O-4", S.PENDING_CANCEL, price="99.90")
    levels = own_levels(bench.cache.orders_open())
    buys = [
        (str(lv.price), str(lv.quantity), [str(c) for c in lv.orders])
        for lv in levels[OrderSide.BUY]
    ]
    assert buys == [("99.50", "1.000", ["O-3"]), ("99.00", "1.750", ["O-1", "O-2"])]
    assert levels[OrderSide.SELL] == []


def test_an_own_buy_through_the_best_ask_is_crossed() -> None:
    bench = Bench()
    bench.order("O-1", S.ACCEPTED, price="100.05")
    (problem,) = audit(bench, quote_tick=quote("100.00", "100.02"))
    assert problem.kind == "crossed"
    assert problem.describe() == (
        "own book BTCUSDT.SIM: BUY 1.000 @ 100.05 (O-1) crossed: the venue's best ask is "
        "100.02 (quote)"
    )


def test_more_own_size_at_the_best_bid_than_the_quote_shows_is_oversized() -> None:
    bench = Bench()
    bench.order("O-1", S.ACCEPTED, price="100.00", quantity="2.000")
    bench.order("O-2", S.ACCEPTED, price="100.00", quantity="2.000")
    (problem,) = audit(bench, quote_tick=quote("100.00", "100.02", size="3.000"))
    assert problem.kind == "oversized"
    assert problem.level.orders == (
        bench.cache.orders_open()[0].client_order_id,
        bench.cache.orders_open()[1].client_order_id,
    )
    assert problem.public == "public size 3.000 at that price (quote)"
    assert audit(bench, quote_tick=quote("100.00", "100.02", size="4.000")) == []


def test_a_level_missing_inside_the_public_book_is_oversized() -> None:
    bench = Bench()
    bench.order("O-1", S.ACCEPTED, price="99.50")
    book = OrderBook(IID)
    for px in ("100.00", "99.00"):
        book.apply(
            OrderBookDelta(
                instrument_id=IID,
                action=BookAction.ADD,
                order=BookOrder(side=OrderSide.BUY, price=Price(px), size=Quantity("1.000")),
                flags=RecordFlag.F_MBP,
                ts_event=NOW,
                ts_init=NOW,
            )
        )
    (problem,) = audit(bench, book=book)
    assert problem.public == "public size 0.000 at that price (book)"


def test_young_orders_and_stale_public_data_are_not_audited() -> None:
    bench = Bench()
    bench.order("O-1", S.ACCEPTED, price="100.05", at_ns=NOW - SECOND)
    assert audit(bench, quote_tick=quote("100.00", "100.02")) == []
    older = Bench()
    older.order("O-1", S.ACCEPTED, price="100.05", at_ns=NOW - 10 * SECOND)
    assert audit(older, quote_tick=quote("100.00", "100.02", ts=NOW - 20 * SECOND)) == []
    assert audit(older) == []
