"""Turning a decision into events: terminal resolutions and reconciliation from reports.

Two ways an order's state changes after a check:

- the venue reported the order: ``reconcile_reports`` runs startup
  reconciliation's pure ``reconcile_mass_status`` over just those reports, so
  the events (acks, fills from fill reports, inferred fills, cancels, expiries)
  are exactly the ones a restart would generate, and
  ``ExecutionEngine.apply_reconciliation`` applies them whole or not at all;
- the venue never heard of the order: ``resolution_event`` is the one terminal
  event of the guide's tables, flagged ``reconciliation=True`` and carrying the
  rule as its reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from livetrade.cache.view import CacheView
from livetrade.execution.reconciliation.mass_status import reconcile_mass_status
from livetrade.execution.reconciliation.report import ReconciliationResult
from livetrade.execution.reconciliation.settings import ReconciliationSettings
from livetrade.model.enums import OrderStatus
from livetrade.model.events import OrderCanceled, OrderEvent, OrderRejected
from livetrade.model.identifiers import AccountId, ClientId, Venue
from livetrade.model.orders import Order
from livetrade.model.reports import (
    ExecutionMassStatus,
    FillReport,
    OrderStatusReport,
    PositionStatusReport,
)

__all__ = ["agrees", "not_found_target", "reconcile_reports", "resolution_event"]

S = OrderStatus
_PENDING: Final = frozenset({S.PENDING_UPDATE, S.PENDING_CANCEL})
_WORKING: Final = frozenset({S.ACCEPTED, S.TRIGGERED})


def not_found_target(order: Order) -> OrderStatus:
    """Where an order the venue does not have ends (the guide's two tables).

    In flight: SUBMITTED -> REJECTED (never confirmed), PENDING_UPDATE and
    PENDING_CANCEL -> CANCELED. Open: with fills -> CANCELED (they are kept),
    without -> REJECTED (likely never placed).
    """
    status = order.status
    if status is S.SUBMITTED:
        return S.REJECTED
    if status in _PENDING or order.filled_qty.raw:
        return S.CANCELED
    return S.REJECTED


def resolution_event(order: Order, target: OrderStatus, *, ts_ns: int, reason: str) -> OrderEvent:
    """The terminal event that moves ``order`` to ``target`` (REJECTED or CANCELED)."""
    if target is S.REJECTED:
        return OrderRejected(
            trader_id=order.trader_id,
            strategy_id=order.strategy_id,
            instrument_id=order.instrument_id,
            client_order_id=order.client_order_id,
            ts_event=ts_ns,
            ts_init=ts_ns,
            reconciliation=True,
            account_id=order.account_id,
            reason=reason,
        )
    if target is S.CANCELED:
        return OrderCanceled(
            trader_id=order.trader_id,
            strategy_id=order.strategy_id,
            instrument_id=order.instrument_id,
            client_order_id=order.client_order_id,
            ts_event=ts_ns,
            ts_init=ts_ns,
            reconciliation=True,
            account_id=order.account_id,
            venue_order_id=order.venue_order_id,
        )
    raise ValueError(f"order {order.client_order_id}: no resolution to {target.name}")


def _terms_agree(order: Order, report: OrderStatusReport) -> bool:
    if report.quantity.raw != order.quantity.raw:
        return False
    order_type = order.order_type
    if order_type.has_price and report.price is not None and report.price != order.price:
        return False
    return not (
        order_type.has_trigger_price
        and report.trigger_price is not None
        and report.trigger_price != order.trigger_price
    )


def agrees(order: Order, report: OrderStatusReport) -> bool:
    """True when the venue's report needs no event: same fills, terms and status.

    A working order with fills is PARTIALLY_FILLED here and may be ACCEPTED or
    TRIGGERED at the venue; a venue that shows a modify or cancel as pending
    agrees with any open cached status.
    """
    if report.filled_qty.raw != order.filled_qty.raw:
        return False
    if order.is_open and not _terms_agree(order, report):
        return False
    cached, venue = order.status, report.order_status
    if cached is venue:
        return True
    if cached is S.PARTIALLY_FILLED and venue in _WORKING:
        return True
    return venue in _PENDING and order.is_open


def reconcile_reports(
    cache: CacheView,
    *,
    client_id: ClientId,
    account_id: AccountId,
    venue: Venue,
    ts_init: int,
    settings: ReconciliationSettings,
    order_reports: Iterable[OrderStatusReport] = (),
    fill_reports: Iterable[FillReport] = (),
    position_reports: Iterable[PositionStatusReport] = (),
) -> ReconciliationResult:
    """Startup reconciliation over these reports only; pure, nothing is changed.

    Raises:
        DuplicateClientOrderIds: two of ``order_reports`` share a client order id.
    """
    mass = ExecutionMassStatus(
        client_id=client_id, account_id=account_id, venue=venue, ts_init=ts_init
    )
    mass.add_order_reports(order_reports)
    mass.add_fill_reports(fill_reports)
    mass.add_position_reports(position_reports)
    return reconcile_mass_status(cache, mass, settings)
