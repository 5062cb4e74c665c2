"""Position checks: the cache's net position per instrument against the venue's.

``position_drifts`` compares, for every instrument the venue reports (its
reports summed, since a HEDGING venue sends several), the cache's net open
quantity with the venue's, rounded to the instrument's size precision.
Instruments are skipped while they are busy: an order in flight, or order
activity younger than ``position_check_threshold_ms``; also when position
reports are filtered or the instrument is out of scope. As in startup
reconciliation, an instrument the venue does not report is left alone.

A drift is resolved in two steps, the way startup reconciliation would:

1. the instrument's fill reports (``position_check_lookback_mins``) are
   reconciled, which applies the fills the node missed;
2. only if the same drift (same cached and venue quantities) is seen again at
   the next check is startup reconciliation run with the position reports,
   creating the ``INTERNAL-DIFF`` order (``generate_missing_orders``).
   ``DriftTracker`` remembers the previous check's drifts for that.

So an order is only invented for a difference no fill explains and that held
still for a whole check interval.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import final

import attrs

from livetrade.cache.view import CacheView
from livetrade.execution.checks.settings import CheckSettings
from livetrade.execution.reconciliation.filters import position_filter_reason
from livetrade.execution.reconciliation.settings import ReconciliationSettings
from livetrade.model.enums import PositionSide
from livetrade.model.identifiers import InstrumentId
from livetrade.model.quantities import FIXED_PRECISION
from livetrade.model.reports import PositionStatusReport

__all__ = ["DriftTracker", "PositionDrift", "position_drifts"]


def _signed_raw(report: PositionStatusReport) -> int:
    raw = report.quantity.raw
    return -raw if report.position_side is PositionSide.SHORT else raw


def _round_to(raw: int, step: int) -> int:
    """``raw`` rounded half-even to a multiple of ``step`` (exact integers)."""
    quotient, remainder = divmod(raw, step)
    if 2 * remainder > step or (2 * remainder == step and quotient % 2):
        quotient += 1
    return quotient * step


def _decimal(raw: int) -> Decimal:
    return Decimal(raw).scaleb(-FIXED_PRECISION).normalize()


@final
@attrs.frozen(kw_only=True)
class PositionDrift:
    """One instrument whose net position differs between the cache and the venue."""

    instrument_id: InstrumentId
    cached_raw: int
    venue_raw: int
    reports: tuple[PositionStatusReport, ...]

    @property
    def difference(self) -> Decimal:
        """Venue minus cache."""
        return _decimal(self.venue_raw - self.cached_raw)

    def describe(self) -> str:
        return (
            f"position {self.instrument_id}: cache {_decimal(self.cached_raw)}, "
            f"venue {_decimal(self.venue_raw)} (difference {self.difference})"
        )


def position_drifts(
    cache: CacheView,
    reports: Iterable[PositionStatusReport],
    *,
    now_ns: int,
    settings: CheckSettings,
    scope: ReconciliationSettings,
    last_activity_ns: Mapping[InstrumentId, int],
) -> tuple[list[PositionDrift], list[str]]:
    """The drifts, and one sentence per instrument skipped (for the log)."""
    grouped: dict[InstrumentId, list[PositionStatusReport]] = {}
    for report in reports:
        grouped.setdefault(report.instrument_id, []).append(report)
    drifts: list[PositionDrift] = []
    skipped: list[str] = []
    threshold = settings.position_threshold_ns
    for instrument_id, group in grouped.items():
        reason = position_filter_reason(scope, instrument_id)
        if reason is None and cache.orders_inflight_count(instrument_id=instrument_id):
            reason = "an order is in flight"
        activity = last_activity_ns.get(instrument_id)
        if reason is None and activity is not None and now_ns - activity < threshold:
            reason = (
                f"order activity {(now_ns - activity) // 1_000_000} ms ago, within "
                f"position_check_threshold_ms ({settings.position_check_threshold_ms})"
            )
        if reason is not None:
            skipped.append(f"position {instrument_id} not checked: {reason}")
            continue
        venue_raw = sum(_signed_raw(r) for r in group)
        cached_raw = cache.net_position_raw(instrument_id)
        difference = venue_raw - cached_raw
        instrument = cache.instrument(instrument_id)
        if instrument is not None:
            step = 10 ** (FIXED_PRECISION - instrument.size_precision)
            difference = _round_to(difference, step)
        if difference:
            drifts.append(
                PositionDrift(
                    instrument_id=instrument_id,
                    cached_raw=cached_raw,
                    venue_raw=venue_raw,
                    reports=tuple(group),
                )
            )
    return drifts, skipped


@final
class DriftTracker:
    """The drifts of the previous check, one per instrument (bounded by the instruments)."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[InstrumentId, tuple[int, int]] = {}

    def confirmed(self, drifts: Sequence[PositionDrift]) -> list[PositionDrift]:
        """Record this check's drifts; return those identical to the previous check's."""
        previous = self._seen
        self._seen = {d.instrument_id: (d.cached_raw, d.venue_raw) for d in drifts}
        return [d for d in drifts if previous.get(d.instrument_id) == (d.cached_raw, d.venue_raw)]

    def forget(self, instrument_id: InstrumentId) -> None:
        """The drift changed (fills were applied): start confirming again."""
        self._seen.pop(instrument_id, None)

    def __len__(self) -> int:
        return len(self._seen)
