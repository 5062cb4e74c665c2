"""Open-order checks: the cache's working orders against the venue's bulk answer.

Each cycle the runtime asks the venue for its orders in one bulk query (open
ones only with ``open_check_open_only``, else also those closed within
``open_check_lookback_mins``) and ``plan_open_check`` compares, per cached order
that is open (or in flight) at that venue:

- **reported** (matched by client order id, else venue order id): the retry
  counter resets (the venue knows the order); if the report differs from the
  cache the order is reconciled to it, which covers the guide's rows
  ACCEPTED -> CANCELED / EXPIRED / REJECTED and PARTIALLY_FILLED -> CANCELED
  (fills kept), and any missed fill;
- **not reported**: in open-only mode nothing is decided (a missing order may
  simply have closed). In full-history mode each cycle it is missing spends one
  retry; at ``open_check_missing_retries`` a targeted single-order query is due
  (``Action.PROBE``), and ``judge_probe`` reads its answer: found -> reconciled
  and the counter reset; not found -> ACCEPTED -> REJECTED, PARTIALLY_FILLED ->
  CANCELED; no answer -> nothing, no retry spent. In-flight orders are left to
  the in-flight check's queries (their misses still count);
- **recent**: an order whose last event is younger than
  ``open_check_threshold_ms`` is left alone whatever the venue says.

A cached order that is already closed is never a candidate: a FILLED order the
venue no longer lists is normal and produces no decision at all. A report of an
open venue order the cache does not know (and is not filtered) is returned in
``external``: reconciling it creates the order as startup does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import final

import attrs

from livetrade.cache.view import CacheView
from livetrade.execution.checks.decisions import (
    Action,
    Answer,
    AnswerKind,
    Decision,
    OrderMark,
    Severity,
)
from livetrade.execution.checks.resolve import agrees, not_found_target
from livetrade.execution.checks.settings import CheckSettings
from livetrade.execution.checks.tracker import OrderTracker
from livetrade.execution.reconciliation.filters import order_filter_reason
from livetrade.execution.reconciliation.settings import ReconciliationSettings
from livetrade.model.identifiers import ClientId, ClientOrderId, Venue
from livetrade.model.orders import Order
from livetrade.model.reports import OrderStatusReport

__all__ = ["OpenCheckPlan", "judge_probe", "plan_open_check"]


@final
@attrs.frozen(kw_only=True)
class OpenCheckPlan:
    """One open-order check cycle's decisions, one per cached order looked at."""

    decisions: tuple[Decision, ...] = ()
    #: open venue orders unknown to the cache (created when reconciled)
    external: tuple[OrderStatusReport, ...] = ()

    def with_action(self, action: Action) -> list[Decision]:
        return [d for d in self.decisions if d.action is action]

    @property
    def reconcile(self) -> list[Decision]:
        return self.with_action(Action.RECONCILE)

    @property
    def probes(self) -> list[Decision]:
        """Targeted queries due, least recently queried first."""
        return self.with_action(Action.PROBE)


def _match(
    cache: CacheView, reports: Sequence[OrderStatusReport]
) -> tuple[dict[ClientOrderId, OrderStatusReport], list[OrderStatusReport]]:
    matched: dict[ClientOrderId, OrderStatusReport] = {}
    unknown: list[OrderStatusReport] = []
    for report in reports:
        coid = report.client_order_id
        order = cache.order(coid) if coid is not None else None
        if order is None:
            alt = cache.client_order_id_for(report.venue_order_id)
            order = cache.order(alt) if alt is not None else None
        if order is None:
            unknown.append(report)
            continue
        known = matched.get(order.client_order_id)
        if known is None or report.ts_last >= known.ts_last:
            matched[order.client_order_id] = report
    return matched, unknown


def _candidates(cache: CacheView, venue: Venue, client_id: ClientId | None) -> list[Order]:
    seen: dict[ClientOrderId, Order] = {}
    for order in (*cache.orders_open(venue=venue), *cache.orders_inflight(venue=venue)):
        if client_id is not None:
            routed = cache.client_id_for_order(order.client_order_id)
            if routed is not None and routed != client_id:
                continue
        seen.setdefault(order.client_order_id, order)
    return list(seen.values())


def _reported(
    order: Order, report: OrderStatusReport, now_ns: int, settings: CheckSettings
) -> Decision:
    coid, status = order.client_order_id, order.status.name
    venue_state = f"{report.order_status.name} {report.filled_qty}/{report.quantity}"
    age_ms = (now_ns - order.ts_last) // 1_000_000
    if age_ms < settings.open_check_threshold_ms:
        return Decision(
            client_order_id=coid,
            action=Action.NONE,
            rule=(
                f"{coid} {status}, venue {venue_state}: last event {age_ms} ms ago, within "
                f"open_check_threshold_ms ({settings.open_check_threshold_ms}): left alone"
            ),
        )
    if agrees(order, report):
        return Decision(
            client_order_id=coid, action=Action.NONE, rule=f"{coid} {status}: venue agrees"
        )
    return Decision(
        client_order_id=coid,
        action=Action.RECONCILE,
        rule=f"{coid} {status}, venue {venue_state}: reconciled to the venue",
        severity=Severity.INFO,
        report=report,
    )


def _missing(
    order: Order,
    now_ns: int,
    tracker: OrderTracker,
    settings: CheckSettings,
    inflight_watched: bool,
) -> Decision:
    coid, status = order.client_order_id, order.status.name
    age_ms = (now_ns - order.ts_last) // 1_000_000

    def none(rule: str) -> Decision:
        return Decision(client_order_id=coid, action=Action.NONE, rule=f"{coid} {status} {rule}")

    if not order.is_open:
        return none("not in the venue's answer yet: left to the in-flight check")
    if age_ms < settings.open_check_threshold_ms:
        return none(
            f"not in the venue's answer, last event {age_ms} ms ago, within "
            f"open_check_threshold_ms ({settings.open_check_threshold_ms}): left alone"
        )
    if settings.open_check_open_only:
        return none(
            "not in the venue's open orders: may have closed; not resolved in open-only mode "
            "(open_check_open_only)"
        )
    limit = settings.missing_limit
    if order.is_inflight and inflight_watched:
        spent = tracker.spend(coid)
        return none(f"not found at the venue (retry {spent}); the in-flight check queries it")
    count = tracker.retries(coid)
    if count < limit:
        count = tracker.spend(coid)
    if count < limit:
        return Decision(
            client_order_id=coid,
            action=Action.WAIT,
            rule=f"{coid} {status} not found at the venue (retry {count}/{limit})",
            severity=Severity.INFO,
        )
    return Decision(
        client_order_id=coid,
        action=Action.PROBE,
        rule=f"{coid} {status} not found at the venue after {count} checks: targeted query",
        severity=Severity.INFO,
    )


def plan_open_check(
    cache: CacheView,
    venue: Venue,
    reports: Sequence[OrderStatusReport],
    *,
    now_ns: int,
    tracker: OrderTracker,
    settings: CheckSettings,
    scope: ReconciliationSettings,
    client_id: ClientId | None = None,
    inflight_watched: bool = True,
    marks: Mapping[ClientOrderId, OrderMark] | None = None,
) -> OpenCheckPlan:
    """Compare the venue's bulk answer with the cache (see the module docstring).

    ``inflight_watched`` says the in-flight check runs, so in-flight orders the
    venue did not list are left to its single-order queries. ``marks`` are the
    orders as they were when the venue was asked: an order that took an event
    since (or was not there yet) is left for the next cycle, whatever the
    venue said, because the answer may predate that event.
    """
    matched, unknown = _match(cache, reports)
    decisions: list[Decision] = []
    for order in _candidates(cache, venue, client_id):
        coid = order.client_order_id
        if order_filter_reason(scope, order.instrument_id, coid) is not None:
            continue
        if marks is not None:
            mark = marks.get(coid)
            if mark is None or mark.moved(order):
                decisions.append(
                    Decision(
                        client_order_id=coid,
                        action=Action.NONE,
                        rule=(
                            f"{coid} {order.status.name} changed while the venue was asked: "
                            "left for the next cycle"
                        ),
                    )
                )
                continue
        report = matched.get(coid)
        if report is not None:
            tracker.reset(coid)
            decisions.append(_reported(order, report, now_ns, settings))
        else:
            decisions.append(_missing(order, now_ns, tracker, settings, inflight_watched))
    probes = [d for d in decisions if d.action is Action.PROBE]
    if probes:
        others = [d for d in decisions if d.action is not Action.PROBE]
        probes.sort(key=lambda d: tracker.last_queried(d.client_order_id) or -1)
        decisions = [*others, *probes]
    threshold = settings.open_threshold_ns
    external = tuple(
        r
        for r in unknown
        if r.is_open
        and now_ns - r.ts_last >= threshold
        and order_filter_reason(scope, r.instrument_id, r.client_order_id) is None
    )
    return OpenCheckPlan(decisions=tuple(decisions), external=external)


def judge_probe(
    order: Order, answer: Answer, tracker: OrderTracker, settings: CheckSettings
) -> Decision:
    """What the targeted single-order query about a missing order established."""
    coid, status = order.client_order_id, order.status.name
    count = tracker.retries(coid)
    if answer.kind is AnswerKind.UNKNOWN:
        return Decision(
            client_order_id=coid,
            action=Action.WAIT,
            rule=(
                f"{coid} {status}: the targeted query gave no answer ({answer.reason}): unknown, "
                "not resolved, no retry spent"
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
                rule=f"{coid} {status}: found by the targeted query ({venue_state}): retries reset",
                severity=Severity.INFO,
            )
        return Decision(
            client_order_id=coid,
            action=Action.RECONCILE,
            rule=f"{coid} {status}: found by the targeted query, venue {venue_state}: reconciled",
            severity=Severity.INFO,
            report=report,
        )
    if settings.open_check_open_only:
        return Decision(
            client_order_id=coid,
            action=Action.NONE,
            rule=f"{coid} {status} not found: not resolved in open-only mode",
        )
    target = not_found_target(order)
    why = "its fills are kept" if order.filled_qty.raw else "likely never placed"
    return Decision(
        client_order_id=coid,
        action=Action.RESOLVE,
        rule=(
            f"{coid} {status} not found at the venue after {count} checks and a targeted "
            f"query: resolved {target.name} ({why})"
        ),
        severity=Severity.WARNING,
        target=target,
    )
