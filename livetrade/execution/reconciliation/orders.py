"""One order: the events that take it from its cached state to the venue's.

The planner works on a *copy* of the order (rebuilt from its events, or new
from an ``OrderInitialized`` for an external order) and applies every event
it generates to that copy as it goes. So each decision sees the state the
previous events produced, and an event the order would refuse raises here,
while nothing real has been touched.

Steps, for an order with a status report (the venue's state is the target):

1. the report must be for the order's instrument and side, else the order is
   left as cached (FAILED);
2. a cached FILLED, REJECTED or DENIED order takes no event: differences are noted;
3. venue REJECTED: ``OrderRejected`` (if nothing filled);
4. the venue knows the order: ``OrderAccepted`` from INITIALIZED/SUBMITTED, and
   out of PENDING_UPDATE/PENDING_CANCEL when the venue shows it working
   (``OrderUpdated`` when the modify went through, else ``OrderAccepted``);
5. terms changed at the venue (quantity, price, trigger): ``OrderUpdated``;
6. ``OrderFilled`` for each new trade (see ``fills``), then one inferred fill
   for a venue filled quantity the trades do not explain;
7. ``OrderCanceled``/``OrderExpired``/``OrderTriggered`` to reach the venue's status.

A cached order with fill reports but no status report gets its new trades
(after an ``OrderAccepted`` if it was not accepted yet) and nothing else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Final

from livetrade.errors import LiveTradeError
from livetrade.execution.reconciliation.context import Context
from livetrade.execution.reconciliation.fills import (
    compare_fill,
    dedupe,
    inferred_price,
    price_precision,
    same_data,
)
from livetrade.execution.reconciliation.report import OrderAction, OrderEntry
from livetrade.model.enums import LiquiditySide, OrderStatus, TimeInForce
from livetrade.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderInitialized,
    OrderRejected,
    OrderSubmitted,
    OrderTriggered,
    OrderUpdated,
)
from livetrade.model.identifiers import (
    ClientOrderId,
    InstrumentId,
    StrategyId,
    TradeId,
    VenueOrderId,
)
from livetrade.model.money import Currency, Money
from livetrade.model.orders import Order
from livetrade.model.quantities import Quantity
from livetrade.model.reports import FillReport, OrderStatusReport

__all__ = ["CannotReconcile", "OrderResults", "external_init", "plan_order"]

S = OrderStatus
_TAKES_NO_EVENT: Final = frozenset({S.FILLED, S.REJECTED, S.DENIED})
_PENDING: Final = frozenset({S.PENDING_UPDATE, S.PENDING_CANCEL})
_NOT_ACKED: Final = frozenset({S.INITIALIZED, S.SUBMITTED})
_ENDS_PENDING: Final = frozenset({S.CANCELED, S.EXPIRED, S.FILLED, *_PENDING})


class CannotReconcile(Exception):
    """The order cannot be brought to the venue's state; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OrderResults:
    """What the order rules decided, accumulated in report order (few objects per order)."""

    __slots__ = ("duplicates", "entries", "events", "fills", "new_orders")

    def __init__(self) -> None:
        self.entries: list[OrderEntry] = []
        self.new_orders: list[OrderInitialized] = []
        self.events: list[OrderEvent] = []
        self.fills: dict[InstrumentId, list[OrderFilled]] = {}
        self.duplicates: list[TradeId] = []

    def add(
        self,
        entry: OrderEntry,
        new_order: OrderInitialized | None = None,
        events: Sequence[OrderEvent] = (),
        fills: Sequence[OrderFilled] = (),
    ) -> None:
        self.entries.append(entry)
        if new_order is not None:
            self.new_orders.append(new_order)
        self.events.extend(events)
        for fill in fills:
            self.fills.setdefault(fill.instrument_id, []).append(fill)
        self.duplicates.extend(entry.duplicate_trade_ids)


def external_init(
    ctx: Context, report: OrderStatusReport, client_order_id: ClientOrderId, owner: StrategyId
) -> tuple[OrderInitialized, list[str]]:
    """The ``OrderInitialized`` of an order known only from the venue's report."""
    notes: list[str] = []
    order_type = report.order_type
    time_in_force = report.time_in_force
    expire = report.expire_time_ns
    if time_in_force is TimeInForce.GTD and expire is None:
        notes.append("the venue reports GTD without an expire time: recorded as GTC")
        time_in_force = TimeInForce.GTC
    init = OrderInitialized(
        trader_id=ctx.settings.trader_id,
        strategy_id=owner,
        instrument_id=report.instrument_id,
        client_order_id=client_order_id,
        ts_event=report.ts_accepted or report.ts_init,
        ts_init=ctx.mass.ts_init,
        reconciliation=True,
        order_side=report.order_side,
        order_type=order_type,
        quantity=report.quantity,
        time_in_force=time_in_force,
        price=report.price if order_type.has_price else None,
        trigger_price=report.trigger_price if order_type.has_trigger_price else None,
        expire_time_ns=expire if time_in_force is TimeInForce.GTD else None,
        post_only=report.post_only,
        reduce_only=report.reduce_only,
    )
    return init, notes


class _Planner:
    """Generates and applies (to the copy ``sim``) the events for one order."""

    __slots__ = (
        "base",
        "ctx",
        "duplicates",
        "events",
        "fills",
        "labels",
        "notes",
        "quote_currency",
        "said",
        "sim",
    )

    def __init__(self, ctx: Context, sim: Order) -> None:
        self.ctx = ctx
        self.sim = sim
        instrument = ctx.instrument(sim.instrument_id)
        self.quote_currency = instrument.quote_currency if instrument is not None else None
        self.base: dict[str, Any] = {
            "trader_id": sim.trader_id,
            "strategy_id": sim.strategy_id,
            "instrument_id": sim.instrument_id,
            "client_order_id": sim.client_order_id,
            "ts_init": ctx.mass.ts_init,
            "reconciliation": True,
        }
        self.events: list[OrderEvent] = []
        self.labels: list[str] = []
        self.fills: list[OrderFilled] = []
        self.notes: list[str] = []  # discrepancies (WARNING)
        self.said: list[str] = []  # what was done and why (INFO)
        self.duplicates: list[TradeId] = []

    # -- building events ---------------------------------------------------------------------

    def _common(self, ts_event: int) -> dict[str, Any]:
        return {**self.base, "ts_event": ts_event}

    def _emit(self, event: OrderEvent, label: str | None = None) -> None:
        self.sim.apply(event)  # raises (copy unchanged) if the order refuses it
        self.events.append(event)
        self.labels.append(label or type(event).__name__)
        if type(event) is OrderFilled:
            self.fills.append(event)

    def _accept(self, venue_order_id: VenueOrderId, ts_event: int) -> None:
        sim = self.sim
        self._emit(
            OrderAccepted(
                trader_id=sim.trader_id,
                strategy_id=sim.strategy_id,
                instrument_id=sim.instrument_id,
                client_order_id=sim.client_order_id,
                ts_event=ts_event,
                ts_init=self.ctx.mass.ts_init,
                reconciliation=True,
                account_id=self.ctx.mass.account_id,
                venue_order_id=venue_order_id,
            )
        )

    def _venue_event(
        self, event_type: Callable[..., OrderEvent], report: OrderStatusReport, **fields: Any
    ) -> None:
        self._emit(
            event_type(
                **self._common(report.ts_last),
                account_id=self.ctx.mass.account_id,
                venue_order_id=report.venue_order_id,
                **fields,
            )
        )

    # -- the plan ----------------------------------------------------------------------------

    def run(self, report: OrderStatusReport | None, fill_reports: Sequence[FillReport]) -> None:
        sim = self.sim
        if report is not None:
            if report.instrument_id != sim.instrument_id:
                raise CannotReconcile(
                    f"the venue reports instrument {report.instrument_id}, "
                    f"the cached order is for {sim.instrument_id}"
                )
            if report.order_side is not sim.side:
                raise CannotReconcile(
                    f"the venue reports a {report.order_side.name} order, "
                    f"the cached order is a {sim.side.name}"
                )
        new = self._new_fills(fill_reports)
        if sim.status in _TAKES_NO_EVENT:
            self._terminal(report, new)
        elif report is None:
            self._fills_only(new)
        else:
            self._to_venue_state(report, new)

    def _new_fills(self, reports: Sequence[FillReport]) -> list[FillReport]:
        """Unique, matching, not yet applied fill reports; notes on the others."""
        unique, repeats = dedupe(reports)
        if repeats:
            self._note_repeats(repeats)
        sim = self.sim
        cached_fills: dict[TradeId, OrderFilled] | None = None
        new: list[FillReport] = []
        for report in unique:
            if report.instrument_id != sim.instrument_id or report.order_side is not sim.side:
                self.notes.append(
                    f"trade {report.trade_id} is a {report.order_side.name} of "
                    f"{report.instrument_id}, not of this order: not applied"
                )
            elif sim.has_trade(report.trade_id):
                if cached_fills is None:
                    cached_fills = {e.trade_id: e for e in sim.events if type(e) is OrderFilled}
                cached = cached_fills.get(report.trade_id)
                if cached is not None:
                    self.notes.extend(compare_fill(cached, report, self.ctx.settings))
            else:
                new.append(report)
        return new

    def _note_repeats(self, repeats: list[tuple[FillReport, FillReport]]) -> None:
        counts = Counter(first.trade_id for first, _ in repeats)
        for trade_id, extra in counts.items():
            self.duplicates.append(trade_id)
            self.notes.append(f"trade {trade_id} reported {extra + 1} times: applied once")
        for first, again in repeats:
            if not same_data(first, again):
                self.notes.append(
                    f"trade {first.trade_id}: the repeated report differs "
                    f"({again.last_qty} @ {again.last_px} vs {first.last_qty} @ {first.last_px}); "
                    "the first was used"
                )

    def _terminal(self, report: OrderStatusReport | None, new: list[FillReport]) -> None:
        sim = self.sim
        status = sim.status.name
        if new:
            trades = ", ".join(str(r.trade_id) for r in new)
            self.notes.append(f"fill reports {trades} not applied: a {status} order takes no fill")
        if report is None:
            return
        if report.order_status is not sim.status:
            self.notes.append(
                f"the venue says {report.order_status.name}, but {status} is final: left as cached"
            )
        if report.filled_qty != sim.filled_qty:
            self.notes.append(
                f"the venue's filled {report.filled_qty} differs from the cached "
                f"{sim.filled_qty}: left as cached"
            )

    def _fills_only(self, new: list[FillReport]) -> None:
        if not new:
            return
        if self.sim.status in _NOT_ACKED:
            self._accept(new[0].venue_order_id, new[0].ts_event)
        for report in new:
            self._fill(report)
        self.said.append("no order status report: its fill reports were applied")

    def _to_venue_state(self, report: OrderStatusReport, new: list[FillReport]) -> None:
        sim = self.sim
        target = report.order_status
        if target is S.REJECTED:
            self._reject(report, new)
            return
        if target in _NOT_ACKED:
            if sim.status is S.INITIALIZED:
                self._emit(
                    OrderSubmitted(
                        **self._common(report.ts_last), account_id=self.ctx.mass.account_id
                    )
                )
            if new:
                self.notes.append(
                    f"the venue has not acknowledged the order yet reports {len(new)} "
                    "fills: not applied"
                )
            return
        if sim.status in _NOT_ACKED:
            self._accept(report.venue_order_id, report.ts_accepted or report.ts_last)
        if sim.status in _PENDING and target not in _ENDS_PENDING:
            self._leave_pending(report)
        self._update_terms(report)
        for fill in new:
            self._fill(fill)
        self._infer(report)
        self._finish(report)
        self._compare(report)

    def _reject(self, report: OrderStatusReport, new: list[FillReport]) -> None:
        sim = self.sim
        if sim.filled_qty.raw or new:
            self.notes.append("the venue says REJECTED but the order has fills: left as cached")
        elif sim.is_closed:
            self.notes.append(f"the venue says REJECTED, cached {sim.status.name} is final")
        else:
            self._emit(
                OrderRejected(
                    **self._common(report.ts_last),
                    account_id=self.ctx.mass.account_id,
                    reason=report.cancel_reason or "rejected at the venue (reconciliation)",
                )
            )

    def _terms_differ(self, report: OrderStatusReport) -> bool:
        sim = self.sim
        order_type = sim.order_type
        return (
            report.quantity != sim.quantity
            or (order_type.has_price and report.price is not None and report.price != sim.price)
            or (
                order_type.has_trigger_price
                and report.trigger_price is not None
                and report.trigger_price != sim.trigger_price
            )
        )

    def _updated(self, report: OrderStatusReport) -> None:
        order_type = self.sim.order_type
        self._venue_event(
            OrderUpdated,
            report,
            quantity=report.quantity,
            price=report.price if order_type.has_price else None,
            trigger_price=report.trigger_price if order_type.has_trigger_price else None,
        )

    def _leave_pending(self, report: OrderStatusReport) -> None:
        sim = self.sim
        if (
            sim.status is S.PENDING_UPDATE
            and self._terms_differ(report)
            and report.quantity.raw >= sim.filled_qty.raw
        ):
            self._updated(report)  # the modify went through
        else:
            self._accept(report.venue_order_id, report.ts_last)  # still working as it was
        self.said.append(f"the venue shows the order working, no longer {sim.status.name}")

    def _update_terms(self, report: OrderStatusReport) -> None:
        sim = self.sim
        if not self._terms_differ(report):
            return
        terms = f"quantity {report.quantity}, price {report.price}, trigger {report.trigger_price}"
        if not sim.is_open:
            self.notes.append(
                f"the venue reports other terms ({terms}); a closed order keeps its own"
            )
        elif report.quantity.raw < sim.filled_qty.raw:
            self.notes.append(
                f"the venue reports quantity {report.quantity}, below the filled "
                f"{sim.filled_qty}: terms not updated"
            )
        else:
            self._updated(report)

    def _currency(self, fallback: Currency | None) -> Currency | None:
        return self.quote_currency or fallback

    def _fill(self, report: FillReport) -> None:
        sim = self.sim
        if report.last_qty.raw > sim.leaves_qty.raw:
            self.notes.append(
                f"trade {report.trade_id} of {report.last_qty} would overfill the order "
                f"({sim.filled_qty}/{sim.quantity} filled): not applied"
            )
            return
        currency = self._currency(report.commission.currency)
        assert currency is not None
        # Spelled out rather than ``**self._common()``: this runs once per fill.
        self._emit(
            OrderFilled(
                trader_id=sim.trader_id,
                strategy_id=sim.strategy_id,
                instrument_id=sim.instrument_id,
                client_order_id=sim.client_order_id,
                ts_event=report.ts_event,
                ts_init=self.ctx.mass.ts_init,
                reconciliation=True,
                account_id=report.account_id,
                venue_order_id=report.venue_order_id,
                trade_id=report.trade_id,
                order_side=sim.side,
                order_type=sim.order_type,
                last_qty=report.last_qty,
                last_px=report.last_px,
                currency=currency,
                commission=report.commission,
                liquidity_side=report.liquidity_side,
            )
        )

    def _infer(self, report: OrderStatusReport) -> None:
        sim = self.sim
        venue_raw, known_raw = report.filled_qty.raw, sim.filled_qty.raw
        if venue_raw < known_raw:
            self.notes.append(
                f"the fills add up to {sim.filled_qty}, above the venue's filled "
                f"{report.filled_qty}: fills kept"
            )
            return
        if venue_raw == known_raw:
            return
        precision_of_qty = max(report.filled_qty.precision, sim.quantity.precision)
        missing = Quantity.from_raw(venue_raw - known_raw, precision_of_qty)
        instrument = self.ctx.instrument(sim.instrument_id)
        priced = inferred_price(
            venue_avg_px=report.avg_px,
            venue_filled=report.filled_qty.as_fraction(),
            known_avg_px=sim.avg_px,
            known_filled=sim.filled_qty.as_fraction(),
            fallbacks=(sim.price, sim.trigger_price),
            precision=price_precision(
                instrument.price_precision if instrument is not None else None,
                (report.price, sim.price, sim.trigger_price),
                report.avg_px,
            ),
        )
        last_fill = next((e for e in reversed(sim.events) if type(e) is OrderFilled), None)
        currency = self._currency(last_fill.currency if last_fill is not None else None)
        if priced is None or currency is None:
            lacking = "price" if priced is None else "currency (instrument unknown)"
            self.notes.append(
                f"the venue filled {report.filled_qty} but the known fills add up to "
                f"{sim.filled_qty}: no {lacking} for an inferred fill of {missing}, left unfilled"
            )
            return
        if known_raw + missing.raw > sim.quantity.raw:
            self.notes.append(
                f"an inferred fill of {missing} would overfill the order: not applied"
            )
            return
        price, how = priced
        number = len(sim.trade_ids) + 1
        trade_id = TradeId(f"{report.venue_order_id}-INFERRED-{number}")
        while sim.has_trade(trade_id):
            number += 1
            trade_id = TradeId(f"{report.venue_order_id}-INFERRED-{number}")
        self._emit(
            OrderFilled(
                **self._common(report.ts_last),
                account_id=self.ctx.mass.account_id,
                venue_order_id=report.venue_order_id,
                trade_id=trade_id,
                order_side=sim.side,
                order_type=sim.order_type,
                last_qty=missing,
                last_px=price,
                currency=currency,
                commission=Money.zero(currency),
                liquidity_side=LiquiditySide.NO_LIQUIDITY_SIDE,
            ),
            "inferred OrderFilled",
        )
        self.said.append(f"fill reports missing for {missing}: inferred fill @ {price} ({how})")

    def _finish(self, report: OrderStatusReport) -> None:
        sim = self.sim
        target = report.order_status
        if sim.is_closed:
            return
        if target is S.CANCELED:
            self._venue_event(OrderCanceled, report)
        elif target is S.EXPIRED:
            self._venue_event(OrderExpired, report)
        elif target is S.TRIGGERED and sim.status is S.ACCEPTED:
            if sim.order_type.has_trigger_price:
                self._venue_event(OrderTriggered, report)
            else:
                self.notes.append(f"the venue says TRIGGERED for a {sim.order_type.name} order")

    def _compare(self, report: OrderStatusReport) -> None:
        status, target = self.sim.status, report.order_status
        if status is target:
            return
        if target in (S.ACCEPTED, S.TRIGGERED) and status is S.PARTIALLY_FILLED:
            return  # the venue names a working order with fills by its working status
        if target in _PENDING and status.is_open:
            return
        self.notes.append(
            f"status stays {status.name}: the venue's {target.name} cannot be reached from it"
        )


def _shared(value: Quantity, known: Quantity | None) -> Quantity:
    """``known`` when equal to ``value``: one object less to keep per order (GC pressure)."""
    return known if known is not None and known == value else value


def plan_order(
    ctx: Context,
    results: OrderResults,
    *,
    cached: Order | None,
    init: OrderInitialized | None,
    report: OrderStatusReport | None,
    fill_reports: Sequence[FillReport],
    matched_by: str,
    notes: Sequence[str] = (),
) -> None:
    """Plan one order into ``results``; exactly one of ``cached`` and ``init`` (new) is given."""
    planner: _Planner | None = None
    failure: str | None = None
    try:
        if cached is not None:
            sim = Order.from_events(cached.events)
        else:
            assert init is not None
            sim = Order(init)
        planner = _Planner(ctx, sim)
        planner.run(report, fill_reports)
    except CannotReconcile as exc:
        failure = exc.reason
    except LiveTradeError as exc:
        failure = f"could not reconcile: {exc}"
    source = init if init is not None else cached.init_event if cached is not None else None
    assert source is not None
    venue_order_id = (
        report.venue_order_id
        if report is not None
        else cached.venue_order_id
        if cached is not None and cached.venue_order_id is not None
        else fill_reports[0].venue_order_id
        if fill_reports
        else None
    )
    common: dict[str, Any] = {
        "instrument_id": source.instrument_id,
        "client_order_id": source.client_order_id,
        "venue_order_id": venue_order_id,
        "strategy_id": source.strategy_id,
        "matched_by": matched_by,
        "cached_status": cached.status if cached is not None else None,
        "cached_filled": cached.filled_qty if cached is not None else None,
        "venue_status": report.order_status if report is not None else None,
        "venue_filled": report.filled_qty if report is not None else None,
        "venue_avg_px": report.avg_px if report is not None else None,
        "fill_reports": len(fill_reports),
    }
    if failure is not None or planner is None:
        quantity = cached.quantity if cached is not None else source.quantity
        entry = OrderEntry(
            action=OrderAction.FAILED,
            reason=failure or "could not reconcile",
            quantity=quantity,
            final_status=cached.status if cached is not None else None,
            final_filled=cached.filled_qty if cached is not None else None,
            discrepancies=tuple(notes),
            **common,
        )
        results.add(entry)
        return
    sim = planner.sim
    if init is not None:
        action = OrderAction.CREATED
        reason = f"not in the cache: created as {init.strategy_id}"
    elif planner.events:
        action = OrderAction.UPDATED
        reason = "brought to the venue's state"
    else:
        action = OrderAction.UNCHANGED
        reason = "the cache agrees with the venue" if not planner.notes else "nothing applied"
    if planner.said:
        reason += "; " + "; ".join(planner.said)
    entry = OrderEntry(
        action=action,
        reason=reason,
        quantity=sim.quantity,
        events=tuple(planner.labels),
        final_status=sim.status,
        final_filled=_shared(sim.filled_qty, report.filled_qty if report is not None else None),
        duplicate_trade_ids=tuple(planner.duplicates),
        discrepancies=(*notes, *planner.notes),
        **common,
    )
    results.add(entry, init, planner.events, planner.fills)
