"""The open-order rules: one test per row of the guide's consistency table and per caveat.

Rows where the venue reports the order are decided from one bulk answer; rows
where it does not ("not found") take ``open_check_missing_retries`` (5) bulk
answers without the order, then a targeted single-order query that says
"not found" too. Full-history mode (``open_check_open_only=False``) unless a
test says otherwise.
"""

from __future__ import annotations

import attrs
from checks_support import (
    MS,
    NOW,
    SECOND,
    VENUE,
    Bench,
    coid,
    fill_report,
    report,
    settings,
)

from livetrade.execution.checks import (
    Action,
    Answer,
    CheckSettings,
    OpenCheckPlan,
    OrderMark,
    OrderTracker,
    judge_inflight,
    judge_probe,
    plan_open_check,
)
from livetrade.execution.reconciliation import Severity
from livetrade.model import (
    Order,
    OrderPendingCancel,
    OrderStatus,
    OrderStatusReport,
    Quantity,
    VenueOrderId,
)

S = OrderStatus
FULL = settings(open_check_open_only=False)


def plan(
    bench: Bench,
    reports: list[OrderStatusReport],
    tracker: OrderTracker,
    check: CheckSettings = FULL,
    **options: object,
) -> OpenCheckPlan:
    return plan_open_check(
        bench.cache,
        VENUE,
        reports,
        now_ns=bench.clock.now,
        tracker=tracker,
        settings=check,
        scope=bench.scope,
        **options,  # type: ignore[arg-type]
    )


def only(result: OpenCheckPlan, order: Order) -> tuple[Action, str]:
    (decision,) = [d for d in result.decisions if d.client_order_id == order.client_order_id]
    return decision.action, decision.rule


def reconciled_to(status: S, venue_status: S) -> Order:
    bench = Bench()
    order = bench.order("O-7", status)
    result = plan(bench, [report(order, venue_status)], OrderTracker())
    (decision,) = result.reconcile
    assert decision.severity is Severity.INFO
    assert decision.rule == (
        f"O-7 {status.name}, venue {venue_status.name} {order.filled_qty}/1.000: "
        "reconciled to the venue"
    )
    bench.carry_out(decision)
    return order


def not_found_resolves(status: S) -> tuple[Order, str]:
    bench = Bench()
    order = bench.order("O-7", status)
    tracker = OrderTracker()
    actions = [only(plan(bench, [], tracker), order)[0] for _ in range(5)]
    assert actions == [Action.WAIT] * 4 + [Action.PROBE]
    decision = judge_probe(order, Answer.not_found(), tracker, FULL)
    assert decision.action is Action.RESOLVE
    assert decision.severity is Severity.WARNING
    bench.carry_out(decision)
    return order, decision.rule


# -- the consistency table ------------------------------------------------------------------


def test_row_accepted_not_found_resolves_rejected() -> None:
    order, rule = not_found_resolves(S.ACCEPTED)
    assert order.status is S.REJECTED
    assert rule == (
        "O-7 ACCEPTED not found at the venue after 5 checks and a targeted query: "
        "resolved REJECTED (likely never placed)"
    )


def test_row_accepted_venue_canceled_reconciles_canceled() -> None:
    assert reconciled_to(S.ACCEPTED, S.CANCELED).status is S.CANCELED


def test_row_accepted_venue_expired_reconciles_expired() -> None:
    assert reconciled_to(S.ACCEPTED, S.EXPIRED).status is S.EXPIRED


def test_row_accepted_venue_rejected_reconciles_rejected() -> None:
    assert reconciled_to(S.ACCEPTED, S.REJECTED).status is S.REJECTED


def test_row_partially_filled_venue_canceled_reconciles_canceled_with_fills() -> None:
    order = reconciled_to(S.PARTIALLY_FILLED, S.CANCELED)
    assert order.status is S.CANCELED
    assert order.filled_qty == Quantity("0.400")
    assert len(order.trade_ids) == 1


def test_row_partially_filled_not_found_resolves_canceled() -> None:
    order, rule = not_found_resolves(S.PARTIALLY_FILLED)
    assert order.status is S.CANCELED
    assert order.filled_qty == Quantity("0.400")
    assert rule.endswith("resolved CANCELED (its fills are kept)")


# -- caveats ----------------------------------------------------------------------------------


def test_caveat_not_found_is_never_resolved_in_open_only_mode() -> None:
    bench = Bench()
    order = bench.order("O-7", S.ACCEPTED)
    tracker = OrderTracker()
    open_only = settings()  # the default: open_check_open_only=True
    for _ in range(20):
        action, rule = only(plan(bench, [], tracker, open_only), order)
        assert action is Action.NONE
    assert rule == (
        "O-7 ACCEPTED not in the venue's open orders: may have closed; not resolved in "
        "open-only mode (open_check_open_only)"
    )
    assert tracker.retries(order.client_order_id) == 0
    assert judge_probe(order, Answer.not_found(), tracker, open_only).action is Action.NONE
    assert order.status is S.ACCEPTED


def test_caveat_recent_orders_are_left_alone() -> None:
    bench = Bench()
    young = bench.order("O-young", S.ACCEPTED, at_ns=NOW - 5 * SECOND + MS)
    missing = bench.order("O-missing", S.ACCEPTED, at_ns=NOW - 5 * SECOND + MS)
    old = bench.order("O-old", S.ACCEPTED, at_ns=NOW - 5 * SECOND)
    tracker = OrderTracker()
    result = plan(bench, [report(young, S.CANCELED), report(old, S.CANCELED)], tracker)
    assert only(result, young) == (
        Action.NONE,
        "O-young ACCEPTED, venue CANCELED 0.000/1.000: last event 4999 ms ago, within "
        "open_check_threshold_ms (5000): left alone",
    )
    assert only(result, missing)[0] is Action.NONE
    assert tracker.retries(missing.client_order_id) == 0
    assert only(result, old)[0] is Action.RECONCILE


def test_caveat_targeted_query_finds_the_order_and_resets_the_counter() -> None:
    bench = Bench()
    order = bench.order("O-7", S.ACCEPTED)
    tracker = OrderTracker()
    for _ in range(5):
        plan(bench, [], tracker)
    assert tracker.retries(order.client_order_id) == 5
    decision = judge_probe(order, Answer.found(report(order, S.ACCEPTED)), tracker, FULL)
    assert decision.action is Action.NONE
    assert decision.rule == (
        "O-7 ACCEPTED: found by the targeted query (ACCEPTED 0.000/1.000): retries reset"
    )
    assert tracker.retries(order.client_order_id) == 0
    assert only(plan(bench, [], tracker), order)[0] is Action.WAIT  # counting starts over


def test_caveat_targeted_query_finds_a_closed_order_and_reconciles_it() -> None:
    bench = Bench()
    order = bench.order("O-7", S.ACCEPTED)
    tracker = OrderTracker()
    for _ in range(5):
        plan(bench, [], tracker)
    filled = report(order, S.FILLED, filled="1.000")
    decision = judge_probe(order, Answer.found(filled), tracker, FULL)
    assert decision.action is Action.RECONCILE
    bench.carry_out(decision, fills=[fill_report(order, "T-9", "1.000")])
    assert order.status is S.FILLED
    assert order.trade_ids == {fill_report(order, "T-9", "1.000").trade_id}


def test_caveat_filled_orders_not_found_are_ignored_silently() -> None:
    bench = Bench()
    bench.order("O-7", S.FILLED)
    tracker = OrderTracker()
    for _ in range(10):
        assert plan(bench, [], tracker).decisions == ()
    assert len(tracker) == 0


# -- retry coordination -----------------------------------------------------------------------


def test_a_failed_targeted_query_resolves_nothing_and_spends_nothing() -> None:
    bench = Bench()
    order = bench.order("O-7", S.ACCEPTED)
    tracker = OrderTracker()
    for _ in range(5):
        plan(bench, [], tracker)
    for _ in range(10):
        decision = judge_probe(order, Answer.unknown("no answer within 10s"), tracker, FULL)
        assert decision.action is Action.WAIT
        assert only(plan(bench, [], tracker), order)[0] is Action.PROBE  # still due, not past it
    assert tracker.retries(order.client_order_id) == 5
    assert decision.rule == (
        "O-7 ACCEPTED: the targeted query gave no answer (no answer within 10s): unknown, "
        "not resolved, no retry spent"
    )


def test_the_counter_is_shared_with_the_inflight_check() -> None:
    """Three bulk misses while ACCEPTED, then a cancel is lost: two more misses resolve it."""
    bench = Bench()
    order = bench.order("O-7", S.ACCEPTED)
    tracker = OrderTracker()
    for _ in range(3):
        plan(bench, [], tracker)
    bench.engine.process(_pending_cancel(order, NOW - 10 * SECOND))
    assert order.status is S.PENDING_CANCEL
    first = judge_inflight(order, Answer.not_found(), tracker, FULL)
    second = judge_inflight(order, Answer.not_found(), tracker, FULL)
    assert (first.action, second.action) == (Action.WAIT, Action.RESOLVE)
    assert first.rule == "O-7 PENDING_CANCEL: not found at the venue (retry 4/5)"
    bench.carry_out(second)
    assert order.status is S.CANCELED


def test_the_stricter_limit_wins() -> None:
    bench = Bench()
    order = bench.order("O-7", S.ACCEPTED)
    tracker = OrderTracker()
    strict = settings(open_check_open_only=False, open_check_missing_retries=2)
    assert only(plan(bench, [], tracker, strict), order)[0] is Action.WAIT
    assert only(plan(bench, [], tracker, strict), order)[0] is Action.PROBE


def test_inflight_orders_missing_from_the_bulk_are_left_to_the_inflight_check() -> None:
    bench = Bench()
    order = bench.order("O-7", S.PENDING_CANCEL)
    tracker = OrderTracker()
    for _ in range(8):
        action, rule = only(plan(bench, [], tracker), order)
        assert action is Action.NONE
    assert rule == (
        "O-7 PENDING_CANCEL not found at the venue (retry 8); the in-flight check queries it"
    )
    assert tracker.retries(order.client_order_id) == 8
    without = plan(bench, [], tracker, inflight_watched=False)
    assert only(without, order)[0] is Action.PROBE


def test_the_venue_reporting_an_order_resets_its_counter() -> None:
    bench = Bench()
    order = bench.order("O-7", S.ACCEPTED)
    tracker = OrderTracker()
    for _ in range(4):
        plan(bench, [], tracker)
    assert only(plan(bench, [report(order, S.ACCEPTED)], tracker), order)[0] is Action.NONE
    assert tracker.retries(order.client_order_id) == 0


def test_orders_that_moved_during_the_query_are_left_for_the_next_cycle() -> None:
    bench = Bench()
    order = bench.order("O-7", S.ACCEPTED)
    marks = {order.client_order_id: OrderMark.of(order)}
    bench.engine.process(_pending_cancel(order, NOW - 6 * SECOND))
    tracker = OrderTracker()
    result = plan(bench, [report(order, S.CANCELED)], tracker, marks=marks)
    assert only(result, order) == (
        Action.NONE,
        "O-7 PENDING_CANCEL changed while the venue was asked: left for the next cycle",
    )
    assert tracker.retries(order.client_order_id) == 0


def test_probes_come_least_recently_queried_first() -> None:
    bench = Bench()
    orders = [bench.order(f"O-{n}", S.ACCEPTED) for n in range(4)]
    tracker = OrderTracker()
    for _ in range(5):
        plan(bench, [], tracker)
    tracker.queried(orders[0].client_order_id, 5)
    tracker.queried(orders[1].client_order_id, 3)
    result = plan(bench, [], tracker)
    assert [d.client_order_id for d in result.probes] == [
        orders[2].client_order_id,
        orders[3].client_order_id,
        orders[1].client_order_id,
        orders[0].client_order_id,
    ]


def test_an_open_venue_order_the_cache_does_not_know_is_external() -> None:
    bench = Bench()
    order = bench.order("O-7", S.ACCEPTED)
    stranger = report(order, S.ACCEPTED)
    stranger = _evolve(stranger, client_order_id=coid("X-1"), venue_order_id="V-X-1")
    closed = _evolve(report(order, S.CANCELED), client_order_id=coid("X-2"), venue_order_id="V-X-2")
    result = plan(bench, [stranger, closed, report(order, S.ACCEPTED)], OrderTracker())
    assert result.external == (stranger,)


def _evolve(item: OrderStatusReport, **changes: object) -> OrderStatusReport:
    venue_order_id = changes.pop("venue_order_id", None)
    if venue_order_id is not None:
        changes["venue_order_id"] = VenueOrderId(str(venue_order_id))
    return attrs.evolve(item, **changes)  # type: ignore[arg-type]


def _pending_cancel(order: Order, ts: int) -> OrderPendingCancel:
    return OrderPendingCancel(
        trader_id=order.trader_id,
        strategy_id=order.strategy_id,
        instrument_id=order.instrument_id,
        client_order_id=order.client_order_id,
        ts_event=ts,
        ts_init=ts,
        account_id=order.account_id,
        venue_order_id=order.venue_order_id,
    )
