"""Position reconciliation: the cache's net position per instrument against the venue's.

For every instrument with a position report (in scope), the net quantity the
cache will hold once this reconciliation's order events are applied (its open
positions, plus the new fills) is compared with the venue's net quantity (its
reports summed: a HEDGING venue sends several). The difference is rounded to
the instrument's size precision; zero means nothing to do.

Otherwise, with ``generate_missing_orders``, one ``INTERNAL-DIFF`` LIMIT order
is created and filled for the difference (BUY to raise, SELL to lower; a side
flip is one fill across zero), priced by the hierarchy in ``pricing``. When no
level has a price, nothing is generated: a MARKET order would still need a fill
price, and reconciliation never invents one (such as 0). The entry says so and
the difference stays until a real price or fill arrives.

Instruments without a position report are left alone: a spot venue reports
none at all, so a missing report does not mean flat.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from livetrade.execution.reconciliation.context import Context
from livetrade.execution.reconciliation.filters import position_filter_reason
from livetrade.execution.reconciliation.pricing import (
    NetBook,
    position_price,
    price_at,
    reconciliation_price,
)
from livetrade.execution.reconciliation.report import (
    PositionAction,
    PositionEntry,
    PriceSource,
)
from livetrade.model.enums import LiquiditySide, OrderSide, OrderType, PositionSide, TimeInForce
from livetrade.model.events import OrderAccepted, OrderEvent, OrderFilled, OrderInitialized
from livetrade.model.identifiers import (
    INTERNAL_DIFF_STRATEGY_ID,
    ClientOrderId,
    InstrumentId,
    TradeId,
    VenueOrderId,
)
from livetrade.model.money import Money
from livetrade.model.orders import Order
from livetrade.model.quantities import FIXED_PRECISION, Quantity
from livetrade.model.reports import PositionStatusReport

__all__ = ["PositionOutcome", "reconcile_positions"]


@attrs.define
class PositionOutcome:
    """The position entries, and the INTERNAL-DIFF orders and events to apply."""

    entries: list[PositionEntry] = attrs.Factory(list)
    new_orders: list[OrderInitialized] = attrs.Factory(list)
    events: list[OrderEvent] = attrs.Factory(list)


def _signed_raw(report: PositionStatusReport) -> int:
    raw = report.quantity.raw
    return -raw if report.position_side is PositionSide.SHORT else raw


def _decimal(raw: int, precision: int) -> Decimal:
    value = Quantity.from_raw(abs(raw), precision).as_decimal()
    return -value if raw < 0 else value


def _venue_avg(reports: Sequence[PositionStatusReport], net: int) -> Fraction | None:
    """The venue's net average: ``sum(q * avg_px_open) / net`` (None if one is missing)."""
    if net == 0:
        return None
    cost = Fraction(0)
    for report in reports:
        if report.quantity.is_zero():
            continue
        if report.avg_px_open is None:
            return None
        cost += _signed_raw(report) * Fraction(report.avg_px_open)
    avg = cost / net
    return avg if avg > 0 else None


def _internal_diff_id(ctx: Context, instrument_id: InstrumentId) -> ClientOrderId:
    base = f"INTERNAL-DIFF-{instrument_id}-{ctx.mass.ts_init}"
    coid = ClientOrderId(base)
    number = 1
    while ctx.cache.order(coid) is not None:
        number += 1
        coid = ClientOrderId(f"{base}-{number}")
    return coid


def reconcile_positions(
    ctx: Context, new_fills: Mapping[InstrumentId, list[OrderFilled]]
) -> PositionOutcome:
    """Compare every reported instrument; see the module docstring."""
    outcome = PositionOutcome()
    for instrument_id, reports in ctx.mass.position_reports.items():
        venue_raw = sum(_signed_raw(r) for r in reports)
        skipped = position_filter_reason(ctx.settings, instrument_id)
        if skipped is not None:
            outcome.entries.append(
                PositionEntry(
                    instrument_id=instrument_id,
                    action=PositionAction.FILTERED,
                    reason=skipped,
                    venue_qty=_decimal(venue_raw, FIXED_PRECISION).normalize(),
                )
            )
            continue
        _one(ctx, outcome, instrument_id, reports, venue_raw, new_fills.get(instrument_id, []))
    return outcome


def _one(
    ctx: Context,
    outcome: PositionOutcome,
    instrument_id: InstrumentId,
    reports: Sequence[PositionStatusReport],
    venue_raw: int,
    fills: list[OrderFilled],
) -> None:
    instrument = ctx.instrument(instrument_id)
    venue_avg = _venue_avg(reports, venue_raw)
    venue_avg_px = (
        reports[0].avg_px_open
        if len(reports) == 1
        else None
        if venue_avg is None
        else price_at(venue_avg, FIXED_PRECISION).as_decimal().normalize()
    )
    book = NetBook.of(ctx.cache.positions_open(instrument_id=instrument_id))
    cached_raw = book.qty
    for fill in sorted(fills, key=lambda f: f.ts_event):
        book.add(fill.order_side.sign * fill.last_qty.raw, fill.last_px.raw)
    precision = instrument.size_precision if instrument is not None else FIXED_PRECISION
    fields: dict[str, Any] = {
        "instrument_id": instrument_id,
        "cached_qty": _decimal(cached_raw, precision),
        "expected_qty": _decimal(book.qty, precision),
        "venue_qty": _decimal(venue_raw, precision),
        "venue_avg_px": venue_avg_px,
    }
    if instrument is None:
        outcome.entries.append(
            PositionEntry(
                action=PositionAction.UNRESOLVED,
                reason="the instrument is not in the cache: no precision to compare with "
                "and no position to hold a fill",
                **fields,
            )
        )
        return
    diff_raw = venue_raw - book.qty
    qty = Quantity.from_raw(abs(diff_raw), FIXED_PRECISION).with_precision(precision)
    fields["difference"] = _decimal(qty.raw if diff_raw > 0 else -qty.raw, precision)
    if qty.is_zero():
        reason = "the cache agrees with the venue"
        if diff_raw:
            reason = (
                f"the difference {_decimal(diff_raw, FIXED_PRECISION).normalize()} rounds to "
                f"zero at size precision {precision}"
            )
        outcome.entries.append(
            PositionEntry(action=PositionAction.MATCHED, reason=reason, **fields)
        )
        return
    if not ctx.settings.generate_missing_orders:
        outcome.entries.append(
            PositionEntry(
                action=PositionAction.UNRESOLVED,
                reason="generate_missing_orders is false: no INTERNAL-DIFF order",
                **fields,
            )
        )
        return
    notes: list[str] = []
    target = book.qty + (qty.raw if diff_raw > 0 else -qty.raw)
    book_avg = book.avg
    calculated = reconciliation_price(book.qty, book_avg, target, venue_avg)
    if (
        calculated is None
        and venue_avg is not None
        and book_avg is not None
        and target * book.qty > 0
        and abs(target) < abs(book.qty)
        and venue_avg != book_avg
    ):
        notes.append(
            f"the venue's average {venue_avg_px} differs from the cached "
            f"{price_at(book_avg, instrument.price_precision)}: a reducing fill cannot change it"
        )
    priced = position_price(
        calculated=calculated,
        mid=ctx.cache.mid_price(instrument_id),
        current_avg=book_avg,
        precision=instrument.price_precision,
    )
    if priced is None:
        outcome.entries.append(
            PositionEntry(
                action=PositionAction.UNRESOLVED,
                reason=(
                    f"no price for an INTERNAL-DIFF fill of {qty}: no venue avg_px_open to "
                    "solve for, no quote, no open position to average; a MARKET order would "
                    "need a made-up fill price, so the difference is left (its PnL is unknown "
                    "until a real price arrives)"
                ),
                discrepancies=tuple(notes),
                **fields,
            )
        )
        return
    price, source = priced
    side = OrderSide.BUY if diff_raw > 0 else OrderSide.SELL
    coid = _internal_diff_id(ctx, instrument_id)
    mass = ctx.mass
    common: dict[str, Any] = {
        "trader_id": ctx.settings.trader_id,
        "strategy_id": INTERNAL_DIFF_STRATEGY_ID,
        "instrument_id": instrument_id,
        "client_order_id": coid,
        "ts_event": max(r.ts_last for r in reports),
        "ts_init": mass.ts_init,
        "reconciliation": True,
    }
    init = OrderInitialized(
        **common,
        order_side=side,
        order_type=OrderType.LIMIT,
        quantity=qty,
        time_in_force=TimeInForce.GTC,
        price=price,
    )
    venue_order_id = VenueOrderId(coid.value)
    events: list[OrderEvent] = [
        OrderAccepted(**common, account_id=mass.account_id, venue_order_id=venue_order_id),
        OrderFilled(
            **common,
            account_id=mass.account_id,
            venue_order_id=venue_order_id,
            trade_id=TradeId(f"{coid}-FILL"),
            order_side=side,
            order_type=OrderType.LIMIT,
            last_qty=qty,
            last_px=price,
            currency=instrument.quote_currency,
            commission=Money.zero(instrument.quote_currency),
            liquidity_side=LiquiditySide.NO_LIQUIDITY_SIDE,
        ),
    ]
    Order.from_events([init, *events])  # validate: raises before anything is applied
    outcome.new_orders.append(init)
    outcome.events.extend(events)
    outcome.entries.append(
        PositionEntry(
            action=PositionAction.GENERATED,
            reason=f"{side.name} {qty} to align the net position",
            client_order_id=coid,
            order_side=side,
            order_type=OrderType.LIMIT,
            fill_qty=qty,
            fill_px=price,
            price_source=PriceSource(source),
            discrepancies=tuple(notes),
            **fields,
        )
    )
