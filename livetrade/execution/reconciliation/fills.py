"""Fill reports: deduplicated by trade id, compared with cached fills, turned into events.

Rules:

- one trade id is applied once per order; a repeat is noted (and, if its data
  differ from the first, that is noted too);
- a trade the cached order already holds is not applied again, and the cached
  data win: a report whose price or commission differs beyond the tolerance is
  noted, never applied;
- the venue's filled quantity above what the fills add up to becomes one
  *inferred* fill priced so the order's average becomes the venue's ``avg_px``
  (see ``inferred_price``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction

from livetrade.execution.reconciliation.pricing import price_at
from livetrade.execution.reconciliation.settings import ReconciliationSettings
from livetrade.model.events import OrderFilled
from livetrade.model.identifiers import TradeId
from livetrade.model.quantities import FIXED_PRECISION, Price
from livetrade.model.reports import FillReport

__all__ = ["compare_fill", "dedupe", "inferred_price", "price_precision"]


def _fill_key(report: FillReport) -> tuple[int, str]:
    return report.ts_event, report.trade_id.value


def dedupe(
    reports: Iterable[FillReport],
) -> tuple[list[FillReport], list[tuple[FillReport, FillReport]]]:
    """Unique reports by trade id, oldest first, and each repeat with the report it repeats."""
    unique: dict[TradeId, FillReport] = {}
    repeats: list[tuple[FillReport, FillReport]] = []
    for report in sorted(reports, key=_fill_key):
        first = unique.get(report.trade_id)
        if first is None:
            unique[report.trade_id] = report
        else:
            repeats.append((first, report))
    return list(unique.values()), repeats


def same_data(first: FillReport, second: FillReport) -> bool:
    """Two reports of one trade agree on side, quantity, price and commission."""
    return (
        first.order_side is second.order_side
        and first.last_qty == second.last_qty
        and first.last_px == second.last_px
        and first.commission == second.commission
    )


def compare_fill(
    cached: OrderFilled, report: FillReport, settings: ReconciliationSettings
) -> list[str]:
    """Differences between a cached fill and the venue's report of it (cached data win)."""
    notes: list[str] = []
    trade = cached.trade_id
    if cached.last_qty != report.last_qty:
        notes.append(
            f"trade {trade}: venue quantity {report.last_qty} differs from cached "
            f"{cached.last_qty} (cached kept)"
        )
    px_diff = abs(report.last_px.as_decimal() - cached.last_px.as_decimal())
    if px_diff > settings.price_tolerance:
        notes.append(
            f"trade {trade}: venue price {report.last_px} differs from cached "
            f"{cached.last_px} by {px_diff} (cached kept)"
        )
    cached_fee, venue_fee = cached.commission, report.commission
    if cached_fee.currency != venue_fee.currency:
        notes.append(
            f"trade {trade}: venue commission {venue_fee} is in another currency than "
            f"cached {cached_fee} (cached kept)"
        )
    else:
        fee_diff = abs(venue_fee.as_decimal() - cached_fee.as_decimal())
        if fee_diff > settings.commission_tolerance:
            notes.append(
                f"trade {trade}: venue commission {venue_fee} differs from cached "
                f"{cached_fee} by {fee_diff} (cached kept)"
            )
    return notes


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return min(FIXED_PRECISION, max(0, -exponent)) if isinstance(exponent, int) else 0


def price_precision(
    instrument_precision: int | None, prices: Sequence[Price | None], avg_px: Decimal | None
) -> int:
    """The precision for a made-up price: the instrument's, else the order's prices', else avg's."""
    if instrument_precision is not None:
        return instrument_precision
    known = [p.precision for p in prices if p is not None]
    if known:
        return max(known)
    return _decimals(avg_px) if avg_px is not None else FIXED_PRECISION


def inferred_price(
    *,
    venue_avg_px: Decimal | None,
    venue_filled: Fraction,
    known_avg_px: Fraction | None,
    known_filled: Fraction,
    fallbacks: Sequence[Price | None],
    precision: int,
) -> tuple[Price, str] | None:
    """The price of an inferred fill of ``venue_filled - known_filled``, and how it was chosen.

    Preferred: the price that makes the order's average fill price equal the
    venue's ``avg_px`` (``(avg_px*venue_filled - known_notional) / missing``);
    if that is not positive, the venue's ``avg_px`` itself; without an
    ``avg_px``, the first of ``fallbacks`` (the order's limit price, then its
    trigger price). None when nothing is known: no price is ever made up.
    """
    missing = venue_filled - known_filled
    if missing <= 0:
        return None
    if venue_avg_px is not None and venue_avg_px > 0:
        avg = Fraction(venue_avg_px)
        known_notional = known_avg_px * known_filled if known_avg_px is not None else Fraction(0)
        exact = (avg * venue_filled - known_notional) / missing
        if exact > 0:
            price = price_at(exact, precision)
            if price.raw > 0:
                return price, "makes the order's average the venue's avg_px"
        price = price_at(avg, precision)
        if price.raw > 0:
            return price, "the venue's avg_px"
    for fallback in fallbacks:
        if fallback is not None and fallback.raw > 0:
            return fallback, "the order's price (no venue avg_px)"
    return None
