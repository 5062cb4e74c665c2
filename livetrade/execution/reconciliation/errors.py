"""Errors of startup reconciliation."""

from __future__ import annotations

from collections.abc import Mapping

from livetrade.errors import LiveTradeError
from livetrade.model.identifiers import ClientId, ClientOrderId, VenueOrderId

__all__ = ["DuplicateClientOrderIds", "ReconciliationError", "describe_duplicates"]


class ReconciliationError(LiveTradeError, RuntimeError):
    """A client's reconciliation could not be computed or applied; nothing of it was applied."""


def describe_duplicates(duplicates: Mapping[ClientOrderId, tuple[VenueOrderId, ...]]) -> str:
    """``O-1 (venue orders V-1, V-2), O-7 (...)``, sorted by client order id."""
    return ", ".join(
        f"{coid} (venue orders {', '.join(str(v) for v in sorted(venue_ids))})"
        for coid, venue_ids in sorted(duplicates.items())
    )


class DuplicateClientOrderIds(ReconciliationError):
    """Two or more venue orders of one mass status carry the same client order id.

    Reconciling either would corrupt the other's state, so the whole mass status
    is refused. ``duplicates`` maps each client order id to its venue order ids.
    """

    def __init__(
        self, client_id: ClientId, duplicates: Mapping[ClientOrderId, tuple[VenueOrderId, ...]]
    ) -> None:
        self.client_id = client_id
        self.duplicates = dict(duplicates)
        super().__init__(
            f"mass status from {client_id} has duplicate client order ids: "
            f"{describe_duplicates(duplicates)}; fix the venue data or add them to "
            "exec_engine.filtered_client_order_ids"
        )
