"""Startup reconciliation of one client: ``ExecutionMassStatus`` x cache -> result.

Order of work (each step indexed, so the cost grows with the number of reports):

1. duplicate client order ids (not filtered out) refuse the whole mass status;
2. fill reports whose venue order id has no order report are attached to an
   order: one of this mass status (by client order id), else a cached one (by
   client order id, then the cache's venue order id index), else *deferred*;
3. each order report is matched to a cached order by client order id, then by
   venue order id; unmatched, it becomes an external order owned by the
   strategy claiming its instrument, or ``EXTERNAL``; then ``orders.plan_order``;
4. cached orders with fill reports but no order report get their new fills;
5. cached open (and in-flight) orders the venue did not report are listed;
6. ``positions.reconcile_positions`` over the result of steps 3-4.

Nothing is applied here: the result lists what to apply.
"""

from __future__ import annotations

from collections.abc import Sequence

from livetrade.cache.view import CacheView
from livetrade.execution.reconciliation.context import Context
from livetrade.execution.reconciliation.errors import DuplicateClientOrderIds
from livetrade.execution.reconciliation.filters import (
    duplicate_client_order_ids,
    external_owner,
    order_filter_reason,
    unclaimed_filter_reason,
)
from livetrade.execution.reconciliation.orders import OrderResults, external_init, plan_order
from livetrade.execution.reconciliation.positions import reconcile_positions
from livetrade.execution.reconciliation.report import (
    DeferredFills,
    OrderAction,
    OrderEntry,
    ReconciliationReport,
    ReconciliationResult,
)
from livetrade.execution.reconciliation.settings import ReconciliationSettings
from livetrade.model.identifiers import ClientOrderId, VenueOrderId
from livetrade.model.orders import Order
from livetrade.model.reports import ExecutionMassStatus, FillReport, OrderStatusReport

__all__ = ["reconcile_mass_status"]


class _Fills:
    """Fill reports sorted by the order they belong to (step 2)."""

    __slots__ = ("by_cached", "by_report", "deferred", "filtered")

    def __init__(self) -> None:
        self.by_report: dict[VenueOrderId, list[FillReport]] = {}
        self.by_cached: dict[ClientOrderId, list[FillReport]] = {}
        self.deferred: list[tuple[VenueOrderId, list[FillReport]]] = []
        self.filtered: int = 0


def _sort_fills(ctx: Context) -> _Fills:
    mass, cache, settings = ctx.mass, ctx.cache, ctx.settings
    result = _Fills()
    report_of_coid: dict[ClientOrderId, VenueOrderId] = {
        r.client_order_id: v for v, r in mass.order_reports.items() if r.client_order_id
    }
    for venue_order_id, fills in mass.fill_reports.items():
        if venue_order_id in mass.order_reports:
            result.by_report.setdefault(venue_order_id, []).extend(fills)
            continue
        coid = next((f.client_order_id for f in fills if f.client_order_id is not None), None)
        if order_filter_reason(settings, fills[0].instrument_id, coid) is not None:
            result.filtered += len(fills)
            continue
        if coid is not None and coid in report_of_coid:
            result.by_report.setdefault(report_of_coid[coid], []).extend(fills)
            continue
        cached = cache.order(coid) if coid is not None else None
        if cached is None:
            alt = cache.client_order_id_for(venue_order_id)
            cached = cache.order(alt) if alt is not None else None
        if cached is None:
            result.deferred.append((venue_order_id, fills))
        elif order_filter_reason(settings, cached.instrument_id, cached.client_order_id):
            result.filtered += len(fills)
        else:
            result.by_cached.setdefault(cached.client_order_id, []).extend(fills)
    return result


def _filtered(
    report: OrderStatusReport, coid: ClientOrderId | None, reason: str, fills: int
) -> OrderEntry:
    return OrderEntry(
        instrument_id=report.instrument_id,
        client_order_id=coid,
        venue_order_id=report.venue_order_id,
        action=OrderAction.FILTERED,
        reason=reason,
        venue_status=report.order_status,
        venue_filled=report.filled_qty,
        quantity=report.quantity,
        fill_reports=fills,
    )


def _failed(report: OrderStatusReport, coid: ClientOrderId | None, reason: str) -> OrderEntry:
    return OrderEntry(
        instrument_id=report.instrument_id,
        client_order_id=coid,
        venue_order_id=report.venue_order_id,
        action=OrderAction.FAILED,
        reason=reason,
        venue_status=report.order_status,
        venue_filled=report.filled_qty,
        quantity=report.quantity,
    )


def _reconcile_report(
    ctx: Context,
    results: OrderResults,
    report: OrderStatusReport,
    fills: _Fills,
    handled: set[ClientOrderId],
    reported_coids: set[ClientOrderId],
) -> None:
    cache, settings = ctx.cache, ctx.settings
    coid = report.client_order_id
    own = fills.by_report.get(report.venue_order_id, [])
    skipped = order_filter_reason(settings, report.instrument_id, coid)
    if skipped is not None:
        results.add(_filtered(report, coid, skipped, len(own)))
        return
    cached: Order | None = cache.order(coid) if coid is not None else None
    matched_by = "client order id"
    notes: list[str] = []
    if cached is None:
        alt = cache.client_order_id_for(report.venue_order_id)
        if alt is not None:
            cached = cache.order(alt)
            matched_by = "venue order id"
            if cached is not None and coid is not None:
                notes.append(f"the venue reports client order id {coid} for cached order {alt}")
    if cached is not None:
        known = cached.client_order_id
        skipped = order_filter_reason(settings, cached.instrument_id, known)
        if skipped is not None:
            results.add(_filtered(report, known, skipped, len(own)))
            return
        if known in handled:
            reason = f"order {known} was already reconciled from another report"
            results.add(_failed(report, known, reason))
            return
        handled.add(known)
        extra = fills.by_cached.pop(known, [])
        plan_order(
            ctx,
            results,
            cached=cached,
            init=None,
            report=report,
            fill_reports=[*own, *extra],
            matched_by=matched_by,
            notes=notes,
        )
        return
    owner = external_owner(settings, report.instrument_id)
    skipped = unclaimed_filter_reason(settings, owner)
    if skipped is not None:
        results.add(_filtered(report, coid, skipped, len(own)))
        return
    if coid is None:
        coid = ClientOrderId(report.venue_order_id.value)
        if coid in reported_coids or cache.order(coid) is not None or coid in handled:
            results.add(
                _failed(
                    report, None, f"the venue order id {coid} is already used as a client order id"
                )
            )
            return
    handled.add(coid)
    init, init_notes = external_init(ctx, report, coid, owner)
    plan_order(
        ctx,
        results,
        cached=None,
        init=init,
        report=report,
        fill_reports=own,
        matched_by="not in the cache",
        notes=init_notes,
    )


def _not_reported(ctx: Context, results: OrderResults, handled: set[ClientOrderId]) -> None:
    cache, settings, venue = ctx.cache, ctx.settings, ctx.mass.venue
    waiting: dict[ClientOrderId, Order] = {}
    for order in (*cache.orders_open(venue=venue), *cache.orders_inflight(venue=venue)):
        waiting[order.client_order_id] = order
    for coid, order in waiting.items():
        if coid in handled or order_filter_reason(settings, order.instrument_id, coid):
            continue
        routed_by = cache.client_id_for_order(coid)
        if routed_by is not None and routed_by != ctx.mass.client_id:
            continue  # another client's order on the same venue
        results.add(
            OrderEntry(
                instrument_id=order.instrument_id,
                client_order_id=coid,
                venue_order_id=order.venue_order_id,
                strategy_id=order.strategy_id,
                action=OrderAction.NOT_REPORTED,
                reason="the venue did not report this order: left for the continuous checks",
                quantity=order.quantity,
                cached_status=order.status,
                cached_filled=order.filled_qty,
                final_status=order.status,
                final_filled=order.filled_qty,
            )
        )


def _deferred(
    ctx: Context, groups: Sequence[tuple[VenueOrderId, list[FillReport]]]
) -> list[DeferredFills]:
    entries = []
    for venue_order_id, fills in groups:
        coid = next((f.client_order_id for f in fills if f.client_order_id is not None), None)
        entries.append(
            DeferredFills(
                instrument_id=fills[0].instrument_id,
                venue_order_id=venue_order_id,
                client_order_id=coid,
                trade_ids=tuple(dict.fromkeys(f.trade_id for f in fills)),
                reason="no order status report and no cached order; "
                "the venue's position report still counts them",
            )
        )
    return entries


def reconcile_mass_status(
    cache: CacheView, mass: ExecutionMassStatus, settings: ReconciliationSettings
) -> ReconciliationResult:
    """What to apply so the cache agrees with ``mass``; pure, nothing is changed.

    Raises:
        DuplicateClientOrderIds: two venue orders share a client order id that
            is not in ``filtered_client_order_ids``.
    """
    duplicates = duplicate_client_order_ids(mass, settings)
    if duplicates:
        raise DuplicateClientOrderIds(mass.client_id, duplicates)
    ctx = Context(cache, mass, settings)
    fills = _sort_fills(ctx)
    handled: set[ClientOrderId] = set()
    reported_coids = {r.client_order_id for r in mass.order_reports.values() if r.client_order_id}
    results = OrderResults()
    for order_report in mass.order_reports.values():
        _reconcile_report(ctx, results, order_report, fills, handled, reported_coids)
    for coid, extra in fills.by_cached.items():
        cached = cache.order(coid)
        assert cached is not None
        handled.add(coid)
        plan_order(
            ctx,
            results,
            cached=cached,
            init=None,
            report=None,
            fill_reports=extra,
            matched_by="fill reports",
        )
    _not_reported(ctx, results, handled)
    positions = reconcile_positions(ctx, results.fills)
    new_orders = [*results.new_orders, *positions.new_orders]
    events = [*results.events, *positions.events]

    deferred = _deferred(ctx, fills.deferred)
    report = ReconciliationReport(
        client_id=mass.client_id,
        venue=mass.venue,
        account_id=mass.account_id,
        ts_init=mass.ts_init,
        orders=tuple(results.entries),
        positions=tuple(positions.entries),
        deferred_fills=tuple(deferred),
        duplicate_trade_ids=tuple(results.duplicates),
        events_generated=len(events),
        orders_created=len(new_orders),
    )
    return ReconciliationResult(
        client_id=mass.client_id,
        new_orders=tuple(new_orders),
        events=tuple(events),
        deferred_fills=tuple(f for _, group in fills.deferred for f in group),
        report=report,
    )
