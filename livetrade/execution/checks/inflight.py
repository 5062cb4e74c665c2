"""In-flight checks: orders still waiting for the venue's answer to a command.

An order is in flight while it is SUBMITTED, PENDING_UPDATE or PENDING_CANCEL.
Once its last event is ``inflight_check_threshold_ms`` old, each cycle asks the
venue about it with a single-order query, and ``judge_inflight`` reads the answer:

=================  =====================================================
venue answer       decision
=================  =====================================================
the order          retries reset; brought to the venue's state (or left
                   alone when the venue shows it pending too)
not found          one retry spent; at ``inflight_check_retries`` the
                   order is resolved: SUBMITTED -> REJECTED,
                   PENDING_UPDATE -> CANCELED, PENDING_CANCEL -> CANCELED
error or timeout   unknown: nothing decided, no retry spent
=================  =====================================================
"""

from __future__ import annotations

from collections.abc import Sequence

from livetrade.cache.view import CacheView
from livetrade.execution.checks.decisions import Action, Answer, AnswerKind, Decision, Severity
from livetrade.execution.checks.resolve import agrees, not_found_target
from livetrade.execution.checks.settings import CheckSettings
from livetrade.execution.checks.tracker import OrderTracker
from livetrade.execution.reconciliation.filters import order_filter_reason
from livetrade.execution.reconciliation.settings import ReconciliationSettings
from livetrade.model.identifiers import ClientId, Venue
from livetrade.model.orders import Order

__all__ = ["fairest_first", "inflight_due", "judge_inflight"]


def inflight_due(
    cache: CacheView,
    venue: Venue,
    *,
    now_ns: int,
    settings: CheckSettings,
    scope: ReconciliationSettings,
    client_id: ClientId | None = None,
) -> list[Order]:
    """In-flight orders of ``venue`` (routed by ``client_id``) whose last event is old enough."""
    threshold = settings.inflight_threshold_ns
    due = []
    for order in cache.orders_inflight(venue=venue):
        if now_ns - order.ts_last < threshold:
            continue
        if order_filter_reason(scope, order.instrument_id, order.client_order_id) is not None:
            continue
        if client_id is not None:
            routed = cache.client_id_for_order(order.client_order_id)
            if routed is not None and routed != client_id:
                continue
        due.append(order)
    return due


def fairest_first(orders: Sequence[Order], tracker: OrderTracker) -> list[Order]:
    """Never-queried orders first, then the least recently queried (stable).

    With a per-cycle cap on single-order queries, the orders deferred this
    cycle are the first ones asked about in the next.
    """
    return sorted(orders, key=lambda o: tracker.last_queried(o.client_order_id) or -1)


def judge_inflight(
    order: Order, answer: Answer, tracker: OrderTracker, settings: CheckSettings
) -> Decision:
    """What the venue's answer about an in-flight order means (see the module table)."""
    coid = order.client_order_id
    status = order.status.name
    limit = settings.inflight_limit
    if answer.kind is AnswerKind.UNKNOWN:
        return Decision(
            client_order_id=coid,
            action=Action.WAIT,
            rule=(
                f"{coid} {status}: the venue query gave no answer ({answer.reason}): unknown, "
                f"no retry spent ({tracker.retries(coid)}/{limit})"
            ),
            severity=Severity.WARNING,
        )
    if answer.kind is AnswerKind.FOUND:
        report = answer.report
        assert report is not None
        tracker.reset(coid)
        venue_state = f"{report.order_status.name} {report.filled_qty}/{report.quantity}"
        if agrees(order, report):
            return Decision(
                client_order_id=coid,
                action=Action.NONE,
                rule=f"{coid} {status}: the venue reports {venue_state}: still waiting",
            )
        return Decision(
            client_order_id=coid,
            action=Action.RECONCILE,
            rule=f"{coid} {status} for too long; the venue reports {venue_state}: reconciled",
            severity=Severity.INFO,
            report=report,
        )
    spent = tracker.spend(coid)
    if spent < limit:
        return Decision(
            client_order_id=coid,
            action=Action.WAIT,
            rule=f"{coid} {status}: not found at the venue (retry {spent}/{limit})",
            severity=Severity.INFO,
        )
    target = not_found_target(order)
    return Decision(
        client_order_id=coid,
        action=Action.RESOLVE,
        rule=(
            f"{coid} {status} with no venue response after {spent} retries: resolved {target.name}"
        ),
        severity=Severity.WARNING,
        target=target,
    )
