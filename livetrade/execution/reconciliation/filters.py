"""Which reports reconciliation looks at, and who owns an external order.

- ``reconciliation_instrument_ids``: when set, reports of other instruments
  (orders, fills, positions) are skipped;
- ``filtered_client_order_ids``: reports of these orders are skipped, and they
  do not count as duplicates (the guide's use for the key);
- ``filter_unclaimed_external_orders``: an order the cache does not know and no
  strategy claims (it would be ``EXTERNAL``) is skipped. ``INTERNAL-DIFF``
  orders are never filtered: they are made by position reconciliation, after
  this filter, and no strategy can claim them;
- ``filter_position_reports``: every position report is skipped.
"""

from __future__ import annotations

from livetrade.execution.reconciliation.settings import ReconciliationSettings
from livetrade.model.identifiers import (
    EXTERNAL_STRATEGY_ID,
    ClientOrderId,
    InstrumentId,
    StrategyId,
    VenueOrderId,
)
from livetrade.model.reports import ExecutionMassStatus

__all__ = [
    "duplicate_client_order_ids",
    "external_owner",
    "order_filter_reason",
    "position_filter_reason",
    "unclaimed_filter_reason",
]


def order_filter_reason(
    settings: ReconciliationSettings,
    instrument_id: InstrumentId,
    client_order_id: ClientOrderId | None,
) -> str | None:
    """Why reports of this order are skipped, or None when it is in scope."""
    if not settings.in_scope(instrument_id):
        return f"{instrument_id} is not in reconciliation_instrument_ids"
    if client_order_id is not None and client_order_id in settings.filtered_client_order_ids:
        return "listed in filtered_client_order_ids"
    return None


def position_filter_reason(
    settings: ReconciliationSettings, instrument_id: InstrumentId
) -> str | None:
    """Why the instrument's position reports are skipped, or None."""
    if settings.filter_position_reports:
        return "filter_position_reports is set"
    if not settings.in_scope(instrument_id):
        return f"{instrument_id} is not in reconciliation_instrument_ids"
    return None


def external_owner(settings: ReconciliationSettings, instrument_id: InstrumentId) -> StrategyId:
    """The strategy that claims external orders of the instrument, else ``EXTERNAL``."""
    return settings.external_order_claims.get(instrument_id, EXTERNAL_STRATEGY_ID)


def unclaimed_filter_reason(settings: ReconciliationSettings, owner: StrategyId) -> str | None:
    """Why an external order of ``owner`` is skipped, or None."""
    if settings.filter_unclaimed_external_orders and owner == EXTERNAL_STRATEGY_ID:
        return "unclaimed external order (filter_unclaimed_external_orders)"
    return None


def duplicate_client_order_ids(
    mass: ExecutionMassStatus, settings: ReconciliationSettings | None = None
) -> dict[ClientOrderId, tuple[VenueOrderId, ...]]:
    """Client order ids on several venue orders, except those the settings filter out."""
    duplicates = mass.duplicate_client_order_ids()
    if settings is None:
        return duplicates
    skipped = settings.filtered_client_order_ids
    return {coid: ids for coid, ids in duplicates.items() if coid not in skipped}
