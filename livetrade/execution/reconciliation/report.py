"""What a reconciliation decided and why: the structured report and the result.

``ReconciliationResult`` is what the pure function returns and the execution
engine applies; ``ReconciliationReport`` is what a person reads (``lines()``)
and a program inspects (``orders``, ``positions``, ``deferred_fills``...).
Each entry keeps what was cached, what the venue said, what was done and why.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from enum import Enum, unique
from typing import final

import attrs

from livetrade.model.enums import OrderSide, OrderStatus, OrderType
from livetrade.model.events import OrderEvent, OrderInitialized
from livetrade.model.identifiers import (
    AccountId,
    ClientId,
    ClientOrderId,
    InstrumentId,
    StrategyId,
    TradeId,
    Venue,
    VenueOrderId,
)
from livetrade.model.quantities import Price, Quantity
from livetrade.model.reports import FillReport

__all__ = [
    "DeferredFills",
    "OrderAction",
    "OrderEntry",
    "PositionAction",
    "PositionEntry",
    "PriceSource",
    "ReconciliationReport",
    "ReconciliationResult",
    "Severity",
]


@unique
class Severity(Enum):
    """How loud a report line is: DEBUG nothing changed, INFO a change, WARNING a discrepancy."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"


@unique
class OrderAction(Enum):
    """What reconciliation did about one order."""

    UNCHANGED = "UNCHANGED"  #: the cache already agreed with the venue
    UPDATED = "UPDATED"  #: events were generated for a cached order
    CREATED = "CREATED"  #: an order the cache did not know was created from its report
    FILTERED = "FILTERED"  #: skipped by configuration
    FAILED = "FAILED"  #: could not be reconciled; the cached order was left as it was
    NOT_REPORTED = "NOT_REPORTED"  #: a cached open order the venue did not report


@unique
class PositionAction(Enum):
    """What reconciliation did about one instrument's net position."""

    MATCHED = "MATCHED"  #: equal after rounding to the instrument's size precision
    GENERATED = "GENERATED"  #: an INTERNAL-DIFF order and fill close the difference
    UNRESOLVED = "UNRESOLVED"  #: a difference remains (see the reason)
    FILTERED = "FILTERED"  #: skipped by configuration


@unique
class PriceSource(Enum):
    """Where an INTERNAL-DIFF fill's price came from (the guide's hierarchy, in order)."""

    CALCULATED = "CALCULATED"  #: makes the net average equal the venue's avg_px_open
    MID = "MID"  #: the latest quote's mid price
    POSITION_AVERAGE = "POSITION_AVERAGE"  #: the current net position's average price


def _summarise(labels: Sequence[str]) -> str:
    """``("OrderAccepted", "OrderFilled", "OrderFilled")`` -> ``OrderAccepted, 2 OrderFilled``."""
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(label if n == 1 else f"{n} {label}" for label, n in counts.items())


def _progress(
    status: OrderStatus | None, filled: Quantity | None, quantity: Quantity | None
) -> str:
    if status is None:
        return "?"
    if filled is None or quantity is None:
        return status.name
    return f"{status.name} {filled}/{quantity}"


@final
@attrs.frozen(kw_only=True)
class OrderEntry:
    """One order: cached state, the venue's state, what was done and why."""

    instrument_id: InstrumentId
    client_order_id: ClientOrderId | None
    venue_order_id: VenueOrderId | None
    action: OrderAction
    #: why this action (one phrase)
    reason: str
    strategy_id: StrategyId | None = None
    #: how the report was matched to the order ("client order id", "venue order id"...)
    matched_by: str | None = None
    quantity: Quantity | None = None
    cached_status: OrderStatus | None = None
    cached_filled: Quantity | None = None
    venue_status: OrderStatus | None = None
    venue_filled: Quantity | None = None
    venue_avg_px: Decimal | None = None
    #: fill reports received for the order (duplicates included)
    fill_reports: int = 0
    #: generated events, in order (``OrderFilled``, ``inferred OrderFilled``...)
    events: tuple[str, ...] = ()
    final_status: OrderStatus | None = None
    final_filled: Quantity | None = None
    #: trade ids reported more than once for the order (applied once)
    duplicate_trade_ids: tuple[TradeId, ...] = ()
    #: differences the venue and the cache could not be brought to agree on, or chose not to
    discrepancies: tuple[str, ...] = ()

    @property
    def severity(self) -> Severity:
        action = self.action
        if self.discrepancies or action in (OrderAction.FAILED, OrderAction.NOT_REPORTED):
            return Severity.WARNING
        if action is OrderAction.UNCHANGED:
            return Severity.DEBUG
        return Severity.INFO

    def describe(self) -> str:
        """One line: ``order O-1: cached ACCEPTED 0/2, venue FILLED 2/2 (2 fill reports): ...``."""
        name = self.client_order_id or f"(venue {self.venue_order_id})"
        who = f"order {name}"
        if self.action is OrderAction.CREATED and self.strategy_id is not None:
            who += f" [{self.strategy_id}]"
        if self.matched_by == "venue order id":
            who += f" (matched by venue order id {self.venue_order_id})"
        cached = (
            "not cached"
            if self.cached_status is None
            else f"cached {_progress(self.cached_status, self.cached_filled, self.quantity)}"
        )
        venue = (
            "no venue order report"
            if self.venue_status is None
            else f"venue {_progress(self.venue_status, self.venue_filled, self.quantity)}"
        )
        venue += f" ({self.fill_reports} fill report{'' if self.fill_reports == 1 else 's'})"
        if self.events:
            done = f"applied {_summarise(self.events)}"
        else:
            done = self.action.name.lower().replace("_", " ")
        text = f"{who}: {cached}, {venue}: {done} ({self.reason})"
        if self.discrepancies:
            text += "; " + "; ".join(self.discrepancies)
        return text


@final
@attrs.frozen(kw_only=True)
class PositionEntry:
    """One instrument's net position: cached, after order reconciliation, at the venue."""

    instrument_id: InstrumentId
    action: PositionAction
    reason: str
    #: signed net quantity in the cache before reconciliation
    cached_qty: Decimal | None = None
    #: signed net quantity once the order events of this reconciliation are applied
    expected_qty: Decimal | None = None
    #: signed net quantity the venue reports
    venue_qty: Decimal | None = None
    venue_avg_px: Decimal | None = None
    #: venue minus expected, rounded to the instrument's size precision
    difference: Decimal | None = None
    client_order_id: ClientOrderId | None = None
    order_side: OrderSide | None = None
    order_type: OrderType | None = None
    fill_qty: Quantity | None = None
    fill_px: Price | None = None
    price_source: PriceSource | None = None
    discrepancies: tuple[str, ...] = ()

    @property
    def severity(self) -> Severity:
        if self.action is PositionAction.UNRESOLVED or self.discrepancies:
            return Severity.WARNING
        if self.action is PositionAction.MATCHED:
            return Severity.DEBUG
        return Severity.INFO

    def describe(self) -> str:
        """One line: ``position X: cached 100, after orders 100, venue 150 @ 101: ...``."""
        venue = "?" if self.venue_qty is None else str(self.venue_qty)
        if self.venue_avg_px is not None:
            venue += f" @ {self.venue_avg_px}"
        text = (
            f"position {self.instrument_id}: cached {self.cached_qty}, after orders "
            f"{self.expected_qty}, venue {venue}: {self.action.name.lower()}"
        )
        if self.action is PositionAction.GENERATED:
            source = self.price_source.name if self.price_source else "?"
            text += (
                f" {self.client_order_id} {self.order_side.name if self.order_side else '?'} "
                f"{self.order_type.name if self.order_type else '?'} {self.fill_qty} "
                f"@ {self.fill_px} (price {source})"
            )
        text += f" ({self.reason})"
        if self.discrepancies:
            text += "; " + "; ".join(self.discrepancies)
        return text


@final
@attrs.frozen(kw_only=True)
class DeferredFills:
    """Fill reports of a venue order with no order status report and no cached order.

    They are kept (``ReconciliationResult.deferred_fills``) rather than dropped,
    for a later check that knows the order; the net position still follows the
    venue's position report.
    """

    instrument_id: InstrumentId
    venue_order_id: VenueOrderId
    client_order_id: ClientOrderId | None
    trade_ids: tuple[TradeId, ...]
    reason: str

    @property
    def severity(self) -> Severity:
        return Severity.WARNING

    def describe(self) -> str:
        coid = f" (client order {self.client_order_id})" if self.client_order_id else ""
        trades = ", ".join(str(t) for t in self.trade_ids)
        return (
            f"fill reports {trades} of venue order {self.venue_order_id}{coid} on "
            f"{self.instrument_id}: deferred ({self.reason})"
        )


@final
@attrs.frozen(kw_only=True)
class ReconciliationReport:
    """Everything one client's startup reconciliation looked at and did."""

    client_id: ClientId
    venue: Venue
    account_id: AccountId
    #: the mass status' ``ts_init``: when the venue was asked
    ts_init: int
    orders: tuple[OrderEntry, ...] = ()
    positions: tuple[PositionEntry, ...] = ()
    deferred_fills: tuple[DeferredFills, ...] = ()
    #: trade ids reported more than once for one order, over all orders (applied once)
    duplicate_trade_ids: tuple[TradeId, ...] = ()
    #: events generated, over all orders (OrderInitialized not counted)
    events_generated: int = 0
    #: orders created (external orders and INTERNAL-DIFF orders)
    orders_created: int = 0

    def order(self, client_order_id: ClientOrderId) -> OrderEntry | None:
        """The entry of ``client_order_id`` (a linear search: for tests and tools)."""
        for entry in self.orders:
            if entry.client_order_id == client_order_id:
                return entry
        return None

    def position(self, instrument_id: InstrumentId) -> PositionEntry | None:
        """The entry of ``instrument_id``."""
        for entry in self.positions:
            if entry.instrument_id == instrument_id:
                return entry
        return None

    def count(self, action: OrderAction) -> int:
        """How many order entries have ``action``."""
        return sum(1 for entry in self.orders if entry.action is action)

    @property
    def discrepancies(self) -> int:
        """Entries logged as WARNING (discrepancies, failures, unresolved, deferred)."""
        return sum(1 for _, __ in self.lines(minimum=Severity.WARNING))

    def lines(self, *, minimum: Severity = Severity.INFO) -> Iterator[tuple[Severity, str]]:
        """``(severity, text)`` for every entry at ``minimum`` or louder, orders first."""
        order = (Severity.DEBUG, Severity.INFO, Severity.WARNING)
        floor = order.index(minimum)
        entries: list[OrderEntry | PositionEntry | DeferredFills] = [
            *self.orders,
            *self.deferred_fills,
            *self.positions,
        ]
        for entry in entries:
            severity = entry.severity
            if order.index(severity) >= floor:
                yield severity, entry.describe()

    def summary(self) -> str:
        """One line with the totals."""
        created = self.count(OrderAction.CREATED)
        updated = self.count(OrderAction.UPDATED)
        return (
            f"reconciliation of {self.client_id}: {len(self.orders)} orders "
            f"({updated} updated, {created} created, {self.count(OrderAction.FILTERED)} "
            f"filtered, {self.count(OrderAction.FAILED)} failed), "
            f"{len(self.positions)} positions, {self.events_generated} events, "
            f"{len(self.deferred_fills)} deferred fill groups, "
            f"{len(self.duplicate_trade_ids)} duplicate trade ids"
        )


@final
@attrs.frozen(kw_only=True)
class ReconciliationResult:
    """What to apply for one client, computed and validated before anything is applied.

    Apply ``new_orders`` first (each becomes an ``Order`` in the cache, routed by
    ``client_id``), then ``events`` in order. Every event was applied to a copy of
    its order while computing, so none is refused by the order it targets.
    """

    client_id: ClientId
    #: the ``OrderInitialized`` of each order to register (external, INTERNAL-DIFF)
    new_orders: tuple[OrderInitialized, ...]
    #: events to apply, grouped per order, in order
    events: tuple[OrderEvent, ...]
    #: fill reports kept for later because their order is unknown (see ``DeferredFills``)
    deferred_fills: tuple[FillReport, ...]
    report: ReconciliationReport

    @property
    def is_empty(self) -> bool:
        """Nothing to apply."""
        return not self.new_orders and not self.events
