"""The maintenance checks that ask venues, and apply what the pure rules decide.

Theory of operation
-------------------
Every venue query runs in the calling job's own task, bounded by
``query_timeout`` (a ``trio.move_on_after`` scope), never in the dispatcher,
so events keep flowing while a venue is slow. A query that raises or times out
is *unknown* (``Unknown``): nothing is decided from it and no retry is spent.

After every query the job settles the node (``dispatcher.drain()``: what
arrived meanwhile is applied first), then compares the orders concerned with
the ``OrderMark`` taken before the query. An order that took an event while the
venue was being asked is left for the next cycle: the answer may predate that
event. Otherwise the pure rule decides and the result is applied through the
execution engine in the same synchronous step (``process`` for a terminal
event, ``apply_reconciliation`` for reports: whole or not at all), so nothing
can change in between and nothing is half-applied.

Single-order queries are capped at ``max_single_order_queries_per_cycle`` per
client and cycle (the least recently queried orders first, the rest deferred)
and spaced by ``single_order_query_delay_ms``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Final, TypeVar, final

import attrs
import trio

from livetrade.execution.checks import (
    Action,
    Answer,
    CheckSettings,
    Decision,
    DriftTracker,
    OrderMark,
    OrderTracker,
    PositionDrift,
    RecentFills,
    audit_own_book,
    fairest_first,
    inflight_due,
    judge_inflight,
    judge_probe,
    plan_open_check,
    position_drifts,
    reconcile_reports,
    resolution_event,
)
from livetrade.execution.reconciliation import (
    OrderAction,
    ReconciliationResult,
    ReconciliationSettings,
    Severity,
    reconcile_mass_status,
)

if TYPE_CHECKING:
    from livetrade.adapters.base import ExecutionClient
    from livetrade.model.identifiers import ClientId, ClientOrderId, InstrumentId, VenueOrderId
    from livetrade.model.orders import Order
    from livetrade.model.reports import FillReport, OrderStatusReport, PositionStatusReport
    from livetrade.node.kernel import NodeKernel

__all__ = ["CheckCounters", "Unknown", "VenueChecks"]

log = logging.getLogger("livetrade.maintenance")

T = TypeVar("T")

LEVELS: Final = {
    Severity.DEBUG: logging.DEBUG,
    Severity.INFO: logging.INFO,
    Severity.WARNING: logging.WARNING,
}


@final
class Unknown:
    """A venue query that gave no answer: it raised, or timed out."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"


@attrs.define
class CheckCounters:
    """What the venue checks did so far (``Maintenance.statistics()``)."""

    #: venue queries made (bulk and single), and single-order queries among them
    queries: int = 0
    single_queries: int = 0
    #: queries that raised or timed out (never counted as "not found")
    unknown: int = 0
    #: single-order queries left for a later cycle by the per-cycle cap
    deferred: int = 0
    #: answers not used because the order changed while the venue was asked
    stale: int = 0
    #: orders brought to a venue report, and orders resolved without one
    reconciled: int = 0
    resolved: int = 0
    #: events applied by the checks (reconciliation and resolutions)
    events: int = 0
    #: position drifts seen, and own-book inconsistencies logged
    drifts: int = 0
    book_inconsistencies: int = 0
    #: mass-status reconciliations after a reconnect that were applied
    reconnect_reconciliations: int = 0


def _needs_fills(order: Order | None, report: OrderStatusReport) -> bool:
    known = 0 if order is None else order.filled_qty.raw
    return report.filled_qty.raw > known


class VenueChecks:
    """In-flight, open-order and position checks, own-books audit, reconnect reconciliation."""

    def __init__(
        self,
        kernel: NodeKernel,
        *,
        settings: CheckSettings,
        query_timeout: float,
        single_query_delay: float,
        inflight_enabled: bool,
        tracker: OrderTracker,
        recent_fills: RecentFills,
        activity: Mapping[InstrumentId, int],
    ) -> None:
        self._kernel = kernel
        self._cache = kernel.cache
        self._engine = kernel.exec_engine
        self.settings = settings
        self.scope = ReconciliationSettings(trader_id=kernel.trader_id)
        self.query_timeout = query_timeout
        self.single_query_delay = single_query_delay
        self.inflight_enabled = inflight_enabled
        self.tracker = tracker
        self.recent_fills = recent_fills
        self._activity = activity
        self._drifts: dict[ClientId, DriftTracker] = {}
        self.untrusted: set[ClientId] = set()
        self.counters = CheckCounters()

    # -- plumbing ------------------------------------------------------------------------------

    def _now(self) -> int:
        return self._kernel.clock.timestamp_ns()

    def _settle(self) -> None:
        """Apply everything that arrived while the venue was being asked."""
        self._kernel.dispatcher.drain()

    async def query(self, call: Callable[[], Awaitable[T]]) -> T | Unknown:
        """``await call()`` bounded by ``query_timeout``; an error or a timeout is ``Unknown``."""
        self.counters.queries += 1
        with trio.move_on_after(self.query_timeout):
            try:
                return await call()
            except Exception as exc:  # a venue error says nothing about any order
                self.counters.unknown += 1
                return Unknown(f"{type(exc).__name__}: {exc}")
        self.counters.unknown += 1
        return Unknown(f"no answer within {self.query_timeout:g}s")

    def clients(self) -> list[ExecutionClient]:
        """The execution clients whose orders are trusted (not reconciling after a reconnect)."""
        return [c for c in self._engine.clients if c.id not in self.untrusted]

    async def _each_client(self, check: Callable[[ExecutionClient], Awaitable[None]]) -> None:
        clients = self.clients()
        if len(clients) == 1:
            await check(clients[0])
            return
        async with trio.open_nursery() as nursery:
            for client in clients:
                nursery.start_soon(check, client)

    def _log(self, decision: Decision) -> None:
        log.log(LEVELS[decision.severity], "%s", decision.rule)

    def _stale(self, coid: ClientOrderId | VenueOrderId, check: str) -> None:
        self.counters.stale += 1
        log.info(
            "%s check: %s changed while the venue was asked: the answer is not used", check, coid
        )

    def _budget(self, items: Sequence[T], check: str, client: ExecutionClient) -> Sequence[T]:
        cap = self.settings.max_single_order_queries_per_cycle
        if len(items) <= cap:
            return items
        self.counters.deferred += len(items) - cap
        log.info(
            "%s check of %s: %d single-order queries due, %d this cycle "
            "(max_single_order_queries_per_cycle), %d deferred to the next",
            check,
            client.id,
            len(items),
            cap,
            len(items) - cap,
        )
        return items[:cap]

    async def _single(self, client: ExecutionClient, order: Order) -> Answer:
        self.counters.single_queries += 1
        self.tracker.queried(order.client_order_id, self._now())
        result = await self.query(
            lambda: client.generate_order_status_report(
                instrument_id=order.instrument_id,
                client_order_id=order.client_order_id,
                venue_order_id=order.venue_order_id,
            )
        )
        if isinstance(result, Unknown):
            return Answer.unknown(result.reason)
        return Answer.of(result)

    # -- applying ------------------------------------------------------------------------------

    def _resolve(self, order: Order, decision: Decision) -> None:
        assert decision.target is not None
        event = resolution_event(order, decision.target, ts_ns=self._now(), reason=decision.rule)
        refused = self._engine.refused.total()
        self._engine.process(event)
        if self._engine.refused.total() != refused:
            log.error("%s: the resolution was refused by the order", decision.rule)
            return
        self.counters.resolved += 1
        self.counters.events += 1

    def apply_reports(
        self,
        client: ExecutionClient,
        label: str,
        *,
        orders: Sequence[OrderStatusReport] = (),
        fills: Sequence[FillReport] = (),
        positions: Sequence[PositionStatusReport] = (),
    ) -> ReconciliationResult | None:
        """Reconcile these reports as startup would and apply the result (synchronously)."""
        try:
            result = reconcile_reports(
                self._cache,
                client_id=client.id,
                account_id=client.account_id,
                venue=client.venue,
                ts_init=self._now(),
                settings=self.scope,
                order_reports=orders,
                fill_reports=fills,
                position_reports=positions,
            )
            self._engine.apply_reconciliation(result)
        except Exception as exc:
            log.error("%s of %s failed, nothing applied: %r", label, client.id, exc)
            return None
        self.log_result(result, f"{label} of {client.id}")
        self.counters.events += len(result.events)
        return result

    def log_result(self, result: ReconciliationResult, label: str) -> None:
        """Log what a reconciliation did, leaving out the orders it did not look at."""
        report = result.report
        for entry in report.orders:
            if entry.action is not OrderAction.NOT_REPORTED:
                log.log(LEVELS[entry.severity], "%s: %s", label, entry.describe())
                if entry.action is OrderAction.UPDATED:
                    self.counters.reconciled += 1
        for deferred in report.deferred_fills:
            log.log(LEVELS[deferred.severity], "%s: %s", label, deferred.describe())
        for position in report.positions:
            log.log(LEVELS[position.severity], "%s: %s", label, position.describe())

    async def _reconcile_orders(
        self,
        client: ExecutionClient,
        label: str,
        items: Sequence[tuple[OrderMark, OrderStatusReport]],
        external: Sequence[OrderStatusReport] = (),
    ) -> None:
        """Apply venue reports to their orders, fetching fill reports for new fills first."""
        cache = self._cache
        wanted: set[VenueOrderId] = set()
        for _, report in items:
            coid = self._coid(report)
            if _needs_fills(cache.order(coid) if coid else None, report):
                wanted.add(report.venue_order_id)
        wanted.update(r.venue_order_id for r in external if r.filled_qty.raw)
        fills: list[FillReport] = []
        if wanted:
            reports = [r for _, r in items] + list(external)
            fetched = await self._fetch_fills(client, reports, wanted)
            self._settle()
            if isinstance(fetched, Unknown):
                log.warning(
                    "%s of %s: fill reports gave no answer (%s): %d orders with new fills "
                    "wait for the next cycle",
                    label,
                    client.id,
                    fetched.reason,
                    len(wanted),
                )
                items = [(m, r) for m, r in items if r.venue_order_id not in wanted]
                external = [r for r in external if r.venue_order_id not in wanted]
            else:
                recent = self.recent_fills
                fills = [
                    f for f in fetched if f.venue_order_id in wanted and f.trade_id not in recent
                ]
            fresh = []
            for mark, report in items:
                coid = self._coid(report)
                if coid is None or mark.moved(cache.order(coid)):
                    self._stale(coid or report.venue_order_id, label)
                else:
                    fresh.append((mark, report))
            items = fresh
        if items or external:
            self.apply_reports(
                client, label, orders=[r for _, r in items] + list(external), fills=fills
            )

    def _coid(self, report: OrderStatusReport) -> ClientOrderId | None:
        """The cached order a report is about (client order id, else venue order id)."""
        cache = self._cache
        coid = report.client_order_id
        if coid is not None and cache.order(coid) is not None:
            return coid
        return cache.client_order_id_for(report.venue_order_id)

    async def _fetch_fills(
        self,
        client: ExecutionClient,
        reports: Sequence[OrderStatusReport],
        wanted: set[VenueOrderId],
    ) -> list[FillReport] | Unknown:
        """One order's fill reports, or the account's over the open-check lookback."""
        if len(wanted) == 1:
            (venue_order_id,) = wanted
            instrument_id = next(
                r.instrument_id for r in reports if r.venue_order_id == venue_order_id
            )
            return await self.query(
                lambda: client.generate_fill_reports(
                    instrument_id=instrument_id, venue_order_id=venue_order_id
                )
            )
        start_ns = self._now() - self.settings.open_lookback_ns
        return await self.query(lambda: client.generate_fill_reports(start_ns=start_ns))

    async def _carry_out(
        self, client: ExecutionClient, order: Order, mark: OrderMark, decision: Decision, check: str
    ) -> None:
        self._log(decision)
        if decision.action is Action.RESOLVE:
            self._resolve(order, decision)
        elif decision.action is Action.RECONCILE:
            assert decision.report is not None
            await self._reconcile_orders(client, f"{check} check", [(mark, decision.report)])

    async def _ask_about(
        self,
        client: ExecutionClient,
        order: Order,
        check: str,
        judge: Callable[[Order, Answer, OrderTracker, CheckSettings], Decision],
    ) -> None:
        """One single-order query, then the rule on a fresh order (or nothing if it moved)."""
        coid = order.client_order_id
        mark = OrderMark.of(order)
        answer = await self._single(client, order)
        self._settle()
        current = self._cache.order(coid)
        if mark.moved(current):
            self._stale(coid, check)
            return
        if client.id in self.untrusted:
            return  # reconnected meanwhile: the mass-status reconciliation decides
        assert current is not None
        decision = judge(current, answer, self.tracker, self.settings)
        await self._carry_out(client, current, mark, decision, check)

    # -- in-flight check -------------------------------------------------------------------------

    async def inflight_cycle(self) -> None:
        await self._each_client(self._inflight_client)

    async def _inflight_client(self, client: ExecutionClient) -> None:
        settings = self.settings
        due = inflight_due(
            self._cache,
            client.venue,
            now_ns=self._now(),
            settings=settings,
            scope=self.scope,
            client_id=client.id,
        )
        if not due:
            return
        batch = self._budget(fairest_first(due, self.tracker), "in-flight", client)
        threshold = settings.inflight_threshold_ns
        for index, order in enumerate(batch):
            if index:
                await trio.sleep(self.single_query_delay)
            if not order.is_inflight or self._now() - order.ts_last < threshold:
                continue  # answered meanwhile
            await self._ask_about(client, order, "in-flight", judge_inflight)

    # -- open-order check ------------------------------------------------------------------------

    async def open_cycle(self) -> None:
        await self._each_client(self._open_client)

    async def _open_client(self, client: ExecutionClient) -> None:
        cache, settings = self._cache, self.settings
        venue = client.venue
        marks = {
            o.client_order_id: OrderMark.of(o)
            for o in (*cache.orders_open(venue=venue), *cache.orders_inflight(venue=venue))
        }
        open_only = settings.open_check_open_only
        start_ns = None if open_only else self._now() - settings.open_lookback_ns
        reports = await self.query(
            lambda: client.generate_order_status_reports(open_only=open_only, start_ns=start_ns)
        )
        if isinstance(reports, Unknown):
            log.warning(
                "open-order check of %s: the bulk query gave no answer (%s): nothing decided, "
                "no retry spent",
                client.id,
                reports.reason,
            )
            return
        self._settle()
        if client.id in self.untrusted:
            return
        plan = plan_open_check(
            cache,
            venue,
            reports,
            now_ns=self._now(),
            tracker=self.tracker,
            settings=settings,
            scope=self.scope,
            client_id=client.id,
            inflight_watched=self.inflight_enabled,
            marks=marks,
        )
        for decision in plan.decisions:
            self._log(decision)
        items = [(marks[d.client_order_id], d.report) for d in plan.reconcile if d.report]
        if items or plan.external:
            await self._reconcile_orders(client, "open-order check", items, plan.external)
        probes = self._budget(plan.probes, "open-order", client)
        for index, decision in enumerate(probes):
            if index:
                await trio.sleep(self.single_query_delay)
            order = cache.order(decision.client_order_id)
            if order is None or not order.is_open:
                continue
            await self._ask_about(client, order, "open-order", judge_probe)

    # -- position check --------------------------------------------------------------------------

    async def position_cycle(self) -> None:
        await self._each_client(self._position_client)

    async def _position_client(self, client: ExecutionClient) -> None:
        reports = await self.query(lambda: client.generate_position_status_reports())
        if isinstance(reports, Unknown):
            log.warning(
                "position check of %s: the position query gave no answer (%s): nothing decided",
                client.id,
                reports.reason,
            )
            return
        self._settle()
        if client.id in self.untrusted:
            return
        drifts, skipped = position_drifts(
            self._cache,
            reports,
            now_ns=self._now(),
            settings=self.settings,
            scope=self.scope,
            last_activity_ns=self._activity,
        )
        for line in skipped:
            log.debug("position check of %s: %s", client.id, line)
        tracker = self._drifts.setdefault(client.id, DriftTracker())
        confirmed = {d.instrument_id for d in tracker.confirmed(drifts)}
        self.counters.drifts += len(drifts)
        for drift in drifts:
            if drift.instrument_id in confirmed:
                log.warning(
                    "position check of %s: %s, unchanged since the last check and not explained "
                    "by fills: reconciled as at startup",
                    client.id,
                    drift.describe(),
                )
                self.apply_reports(client, "position check", positions=drift.reports)
                tracker.forget(drift.instrument_id)
            else:
                log.warning(
                    "position check of %s: %s: looking for missed fills",
                    client.id,
                    drift.describe(),
                )
                await self._recover_fills(client, drift, tracker)

    async def _recover_fills(
        self, client: ExecutionClient, drift: PositionDrift, tracker: DriftTracker
    ) -> None:
        instrument_id = drift.instrument_id
        cache = self._cache
        before = (self._activity.get(instrument_id), cache.net_position_raw(instrument_id))
        start_ns = self._now() - self.settings.position_lookback_ns
        fetched = await self.query(
            lambda: client.generate_fill_reports(instrument_id=instrument_id, start_ns=start_ns)
        )
        if isinstance(fetched, Unknown):
            log.warning(
                "position check of %s: fill reports of %s gave no answer (%s)",
                client.id,
                instrument_id,
                fetched.reason,
            )
            return
        self._settle()
        if (self._activity.get(instrument_id), cache.net_position_raw(instrument_id)) != before:
            tracker.forget(instrument_id)
            log.info(
                "position check of %s: %s changed while the venue was asked: next cycle",
                client.id,
                instrument_id,
            )
            return
        recent = self.recent_fills
        fills = [f for f in fetched if f.trade_id not in recent]
        result = self.apply_reports(client, "position check", fills=fills) if fills else None
        if result is not None and result.events:
            tracker.forget(instrument_id)
        else:
            log.info(
                "position check of %s: no missed fill explains %s; if it holds, the next check "
                "reconciles it as at startup",
                client.id,
                instrument_id,
            )

    # -- own-books audit -------------------------------------------------------------------------

    def audit_own_books(self) -> int:
        """Log every own-book inconsistency; returns how many were found."""
        cache = self._cache
        by_instrument: dict[InstrumentId, list[Order]] = {}
        for order in cache.orders_open():
            by_instrument.setdefault(order.instrument_id, []).append(order)
        now = self._now()
        found = 0
        for instrument_id, orders in by_instrument.items():
            for problem in audit_own_book(
                instrument_id,
                orders,
                book=cache.order_book(instrument_id),
                quote=cache.quote_tick(instrument_id),
                now_ns=now,
                threshold_ns=self.settings.open_threshold_ns,
            ):
                found += 1
                log.warning("own-books audit: %s", problem.describe())
        self.counters.book_inconsistencies += found
        return found

    # -- after a reconnect -----------------------------------------------------------------------

    async def reconcile_reconnected(
        self, client: ExecutionClient, *, lookback_mins: int | None, retry_delay: float
    ) -> None:
        """Mass-status reconciliation of ``client``; its orders are checked again after it.

        Retried every ``retry_delay`` seconds while the venue gives no answer or
        the result cannot be applied.
        """
        self.untrusted.add(client.id)
        log.info(
            "%s reconnected: reconciling its mass status before trusting its orders", client.id
        )
        while True:
            mass = await self.query(lambda: client.generate_mass_status(lookback_mins))
            if isinstance(mass, Unknown):
                log.warning(
                    "reconciliation of %s after its reconnect: no answer (%s); again in %gs",
                    client.id,
                    mass.reason,
                    retry_delay,
                )
                await trio.sleep(retry_delay)
                continue
            self._settle()
            if mass is None:
                log.warning("no mass status from %s after its reconnect: nothing to do", client.id)
                break
            try:
                result = reconcile_mass_status(self._cache, mass, self.scope)
                self._engine.apply_reconciliation(result)
            except Exception as exc:
                log.error(
                    "reconciliation of %s after its reconnect failed, nothing applied (%r); "
                    "again in %gs",
                    client.id,
                    exc,
                    retry_delay,
                )
                await trio.sleep(retry_delay)
                continue
            self.counters.reconnect_reconciliations += 1
            self.counters.events += len(result.events)
            self.log_result(result, f"reconciliation of {client.id} after its reconnect")
            log.info("%s", result.report.summary())
            break
        self.untrusted.discard(client.id)
