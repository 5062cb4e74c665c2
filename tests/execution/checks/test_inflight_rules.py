"""The in-flight rules: one test per row of the guide's in-flight table, and the retry rules.

Each row: an order stuck in flight, the venue answering "not found" to every
single-order query; after ``inflight_check_retries`` (5) answers the order is
resolved to the row's status, with the rule in the decision.
"""

from __future__ import annotations

import pytest
from checks_support import MS, NOW, SECOND, Bench, coid, report, settings

from livetrade.errors import VenueQueryError
from livetrade.execution.checks import (
    Action,
    Answer,
    Decision,
    OrderTracker,
    fairest_first,
    inflight_due,
    judge_inflight,
)
from livetrade.execution.reconciliation import ReconciliationSettings, Severity
from livetrade.model import Order, OrderRejected, OrderStatus

S = OrderStatus


def five_not_found(bench: Bench, order: Order, tracker: OrderTracker) -> list[Decision]:
    return [judge_inflight(order, Answer.not_found(), tracker, settings()) for _ in range(5)]


def resolves(status: S, target: S) -> None:
    bench = Bench()
    order = bench.order("O-77", status)
    tracker = OrderTracker()
    decisions = five_not_found(bench, order, tracker)
    assert [d.action for d in decisions] == [Action.WAIT] * 4 + [Action.RESOLVE]
    assert [d.rule for d in decisions[:4]] == [
        f"O-77 {status.name}: not found at the venue (retry {n}/5)" for n in range(1, 5)
    ]
    final = decisions[-1]
    assert final.rule == (
        f"O-77 {status.name} with no venue response after 5 retries: resolved {target.name}"
    )
    assert final.severity is Severity.WARNING
    assert final.target is target
    bench.carry_out(final)
    assert order.status is target
    assert order.last_event.reconciliation


def test_row_submitted_not_confirmed_resolves_rejected() -> None:
    resolves(S.SUBMITTED, S.REJECTED)


def test_row_pending_update_unacknowledged_resolves_canceled() -> None:
    resolves(S.PENDING_UPDATE, S.CANCELED)


def test_row_pending_cancel_unconfirmed_resolves_canceled() -> None:
    resolves(S.PENDING_CANCEL, S.CANCELED)


def test_the_rejection_carries_the_rule_as_its_reason() -> None:
    bench = Bench()
    order = bench.order("O-77", S.SUBMITTED)
    bench.carry_out(five_not_found(bench, order, OrderTracker())[-1])
    event = order.last_event
    assert isinstance(event, OrderRejected)
    assert (
        event.reason == "O-77 SUBMITTED with no venue response after 5 retries: resolved REJECTED"
    )
    assert event.ts_event == NOW


def test_unknown_answers_never_spend_a_retry() -> None:
    """A query error or timeout is not "not found": 100 of them decide nothing."""
    bench = Bench()
    order = bench.order("O-1", S.SUBMITTED)
    tracker = OrderTracker()
    for _ in range(100):
        decision = judge_inflight(
            order, Answer.unknown(repr(VenueQueryError("rate limited"))), tracker, settings()
        )
        assert decision.action is Action.WAIT
    assert tracker.retries(order.client_order_id) == 0
    assert decision.rule == (
        "O-1 SUBMITTED: the venue query gave no answer (VenueQueryError('rate limited')): "
        "unknown, no retry spent (0/5)"
    )
    assert decision.severity is Severity.WARNING


def test_the_venue_knowing_the_order_resets_the_retries_and_reconciles() -> None:
    bench = Bench()
    order = bench.order("O-1", S.SUBMITTED)
    tracker = OrderTracker()
    for _ in range(4):
        judge_inflight(order, Answer.not_found(), tracker, settings())
    assert tracker.retries(order.client_order_id) == 4
    found = judge_inflight(order, Answer.found(report(order, S.ACCEPTED)), tracker, settings())
    assert tracker.retries(order.client_order_id) == 0
    assert found.action is Action.RECONCILE
    assert found.rule == (
        "O-1 SUBMITTED for too long; the venue reports ACCEPTED 0.000/1.000: reconciled"
    )
    bench.carry_out(found)
    assert order.status is S.ACCEPTED
    # Five more "not found" are needed now, as if it had never been missing.
    again = [judge_inflight(order, Answer.not_found(), tracker, settings()) for _ in range(4)]
    assert {d.action for d in again} == {Action.WAIT}


def test_a_venue_that_shows_the_request_pending_agrees() -> None:
    bench = Bench()
    order = bench.order("O-1", S.PENDING_CANCEL)
    decision = judge_inflight(
        order, Answer.found(report(order, S.PENDING_CANCEL)), OrderTracker(), settings()
    )
    assert decision.action is Action.NONE


def test_a_lost_cancel_returns_the_order_to_working() -> None:
    """PENDING_CANCEL, and the venue still shows the order working: back to ACCEPTED."""
    bench = Bench()
    order = bench.order("O-1", S.PENDING_CANCEL)
    decision = judge_inflight(
        order, Answer.found(report(order, S.ACCEPTED)), OrderTracker(), settings()
    )
    assert decision.action is Action.RECONCILE
    bench.carry_out(decision)
    assert order.status is S.ACCEPTED


def test_zero_retries_still_asks_the_venue_once() -> None:
    bench = Bench()
    order = bench.order("O-1", S.SUBMITTED)
    decision = judge_inflight(
        order, Answer.not_found(), OrderTracker(), settings(inflight_check_retries=0)
    )
    assert decision.action is Action.RESOLVE
    assert "after 1 retries" in decision.rule


def test_only_orders_past_the_threshold_are_due() -> None:
    bench = Bench()
    old = bench.order("O-old", S.SUBMITTED, at_ns=NOW - 5 * SECOND)
    bench.order("O-young", S.PENDING_CANCEL, at_ns=NOW - 5 * SECOND + MS)
    bench.order("O-open", S.ACCEPTED, at_ns=0)
    due = inflight_due(
        bench.cache, old.instrument_id.venue, now_ns=NOW, settings=settings(), scope=bench.scope
    )
    assert due == [old]


def test_filtered_orders_are_not_due() -> None:
    bench = Bench()
    bench.order("O-1", S.SUBMITTED)
    scope = bench.scope
    filtered = ReconciliationSettings(
        trader_id=scope.trader_id, filtered_client_order_ids=[coid("O-1")]
    )
    order = bench.cache.order(coid("O-1"))
    assert order is not None
    assert (
        inflight_due(
            bench.cache, order.instrument_id.venue, now_ns=NOW, settings=settings(), scope=filtered
        )
        == []
    )


def test_fairest_first_puts_the_least_recently_queried_first() -> None:
    bench = Bench()
    a, b, c = (bench.order(f"O-{n}", S.SUBMITTED) for n in "abc")
    tracker = OrderTracker()
    tracker.queried(a.client_order_id, 30)
    tracker.queried(b.client_order_id, 20)
    assert fairest_first([a, b, c], tracker) == [c, b, a]


@pytest.mark.parametrize("status", [S.SUBMITTED, S.PENDING_UPDATE, S.PENDING_CANCEL])
def test_a_resolution_is_the_only_event_and_is_flagged(status: S) -> None:
    bench = Bench()
    order = bench.order("O-1", status)
    events_before = len(order.events)
    bench.carry_out(five_not_found(bench, order, OrderTracker())[-1])
    assert len(order.events) == events_before + 1
    assert order.last_event.reconciliation
