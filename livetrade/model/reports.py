"""Venue reports: what a venue says about orders, fills and positions.

Adapters parse venue messages into these records; reconciliation compares them
with the cache. Each report is frozen and checks its own obvious invariants
(filled <= quantity, a FLAT position has no quantity...) at construction with
``InvalidValue``, so a rule never has to wonder whether a report is coherent.

``ExecutionMassStatus`` gathers every report of one venue query at startup. It
keeps every report added (see its docstring), because detecting conflicting
reports (two orders with one client order id) is reconciliation's job, and it
can only do it if nothing was dropped on the way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import final

import attrs

from livetrade.errors import InvalidValue
from livetrade.model.enums import (
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    TimeInForce,
)
from livetrade.model.identifiers import (
    AccountId,
    ClientId,
    ClientOrderId,
    InstrumentId,
    PositionId,
    TradeId,
    Venue,
    VenueOrderId,
)
from livetrade.model.money import Money
from livetrade.model.quantities import Price, Quantity

__all__ = [
    "ExecutionMassStatus",
    "FillReport",
    "OrderStatusReport",
    "PositionStatusReport",
    "new_report_id",
]


def new_report_id() -> str:
    """A fresh UUID4 string for ``report_id``."""
    return str(uuid.uuid4())


def _check_px(where: str, name: str, value: Decimal | None) -> None:
    if value is None:
        return
    if type(value) is not Decimal or not value.is_finite():
        raise InvalidValue(f"{where}: {name} must be a finite Decimal or None, got {value!r}")


@final
@attrs.frozen(kw_only=True)
class OrderStatusReport:
    """The venue's view of one order: terms, status and how much has filled."""

    account_id: AccountId
    instrument_id: InstrumentId
    venue_order_id: VenueOrderId
    order_side: OrderSide
    order_type: OrderType
    time_in_force: TimeInForce
    order_status: OrderStatus
    quantity: Quantity
    filled_qty: Quantity
    ts_accepted: int
    ts_last: int
    ts_init: int
    client_order_id: ClientOrderId | None = None
    avg_px: Decimal | None = None
    price: Price | None = None
    trigger_price: Price | None = None
    expire_time_ns: int | None = None
    post_only: bool = False
    reduce_only: bool = False
    cancel_reason: str | None = None
    venue_position_id: PositionId | None = None
    report_id: str = attrs.field(factory=new_report_id)

    def __attrs_post_init__(self) -> None:
        where = f"order status report {self.venue_order_id}"
        if not self.quantity.is_positive():
            raise InvalidValue(f"{where}: quantity must be positive, got {self.quantity}")
        if self.filled_qty > self.quantity:
            raise InvalidValue(
                f"{where}: filled_qty {self.filled_qty} exceeds quantity {self.quantity}"
            )
        _check_px(where, "avg_px", self.avg_px)
        if self.order_status is OrderStatus.FILLED and self.filled_qty != self.quantity:
            raise InvalidValue(
                f"{where}: status FILLED but filled_qty {self.filled_qty} "
                f"is not the quantity {self.quantity}"
            )

    @property
    def leaves_qty(self) -> Quantity:
        """Quantity still working (or that was left when the order closed)."""
        return self.quantity - self.filled_qty

    @property
    def is_open(self) -> bool:
        return self.order_status.is_open


@final
@attrs.frozen(kw_only=True)
class FillReport:
    """One execution the venue reports, identified by its trade id."""

    account_id: AccountId
    instrument_id: InstrumentId
    venue_order_id: VenueOrderId
    trade_id: TradeId
    order_side: OrderSide
    last_qty: Quantity
    last_px: Price
    commission: Money
    liquidity_side: LiquiditySide
    ts_event: int
    ts_init: int
    client_order_id: ClientOrderId | None = None
    venue_position_id: PositionId | None = None
    report_id: str = attrs.field(factory=new_report_id)

    def __attrs_post_init__(self) -> None:
        if not self.last_qty.is_positive():
            raise InvalidValue(
                f"fill report {self.trade_id}: last_qty must be positive, got {self.last_qty}"
            )


@final
@attrs.frozen(kw_only=True)
class PositionStatusReport:
    """The venue's view of a position: side and unsigned quantity."""

    account_id: AccountId
    instrument_id: InstrumentId
    position_side: PositionSide
    quantity: Quantity
    ts_last: int
    ts_init: int
    venue_position_id: PositionId | None = None
    avg_px_open: Decimal | None = None
    report_id: str = attrs.field(factory=new_report_id)

    def __attrs_post_init__(self) -> None:
        where = f"position status report {self.instrument_id}"
        flat = self.position_side is PositionSide.FLAT
        if flat != self.quantity.is_zero():
            raise InvalidValue(
                f"{where}: side {self.position_side.name} does not match "
                f"quantity {self.quantity} (FLAT if and only if zero)"
            )
        _check_px(where, "avg_px_open", self.avg_px_open)

    @property
    def signed_qty(self) -> Decimal:
        """The quantity, negative for SHORT (exact)."""
        qty = self.quantity.as_decimal()
        return -qty if self.position_side is PositionSide.SHORT else qty


@final
@attrs.define(kw_only=True)
class ExecutionMassStatus:
    """Every order, fill and position report of one startup query to one venue.

    Nothing is dropped:

    - ``order_reports`` has one report per venue order id, so two orders that
      share a client order id both stay (see ``duplicate_client_order_ids``). If
      one venue order id is reported twice, the entry with the later ``ts_last``
      wins (the later added on a tie) and every report, the superseded ones
      included, stays in ``all_order_reports`` in the order they were added.
    - ``fill_reports`` lists every fill report per venue order id, duplicates of
      a trade id included: deduplicating fills is reconciliation's rule.
    - ``position_reports`` lists every report per instrument (a HEDGING venue
      reports several positions for one instrument).

    Adding the same report object (same ``report_id``) twice is a no-op. A report
    for another account or venue raises ``InvalidValue``.
    """

    client_id: ClientId
    account_id: AccountId
    venue: Venue
    ts_init: int
    report_id: str = attrs.field(factory=new_report_id)
    order_reports: dict[VenueOrderId, OrderStatusReport] = attrs.field(init=False, factory=dict)
    fill_reports: dict[VenueOrderId, list[FillReport]] = attrs.field(init=False, factory=dict)
    position_reports: dict[InstrumentId, list[PositionStatusReport]] = attrs.field(
        init=False, factory=dict
    )
    all_order_reports: list[OrderStatusReport] = attrs.field(init=False, factory=list)
    _seen: set[str] = attrs.field(init=False, factory=set, repr=False)

    def _accept(
        self, kind: str, report: OrderStatusReport | FillReport | PositionStatusReport
    ) -> bool:
        """Check that ``report`` belongs here; False if it was already added."""
        if report.account_id != self.account_id:
            raise InvalidValue(
                f"mass status {self.client_id}: {kind} for account {report.account_id}, "
                f"expected {self.account_id}"
            )
        if report.instrument_id.venue != self.venue:
            raise InvalidValue(
                f"mass status {self.client_id}: {kind} for instrument {report.instrument_id}, "
                f"not on venue {self.venue}"
            )
        if report.report_id in self._seen:
            return False
        self._seen.add(report.report_id)
        return True

    def add_order_reports(self, reports: Iterable[OrderStatusReport]) -> None:
        for report in reports:
            if not self._accept("order status report", report):
                continue
            self.all_order_reports.append(report)
            current = self.order_reports.get(report.venue_order_id)
            if current is None or report.ts_last >= current.ts_last:
                self.order_reports[report.venue_order_id] = report

    def add_fill_reports(self, reports: Iterable[FillReport]) -> None:
        for report in reports:
            if self._accept("fill report", report):
                self.fill_reports.setdefault(report.venue_order_id, []).append(report)

    def add_position_reports(self, reports: Iterable[PositionStatusReport]) -> None:
        for report in reports:
            if self._accept("position status report", report):
                self.position_reports.setdefault(report.instrument_id, []).append(report)

    def duplicate_client_order_ids(self) -> dict[ClientOrderId, tuple[VenueOrderId, ...]]:
        """Client order ids carried by more than one venue order (startup must fail)."""
        by_client: dict[ClientOrderId, list[VenueOrderId]] = {}
        for venue_order_id, report in self.order_reports.items():
            if report.client_order_id is not None:
                by_client.setdefault(report.client_order_id, []).append(venue_order_id)
        return {cid: tuple(ids) for cid, ids in by_client.items() if len(ids) > 1}
