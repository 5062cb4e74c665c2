"""What the checks remember about each order between cycles, bounded.

One retry counter per order is shared by the in-flight check (bounded by
``inflight_check_retries``) and the open-order check (bounded by
``open_check_missing_retries``): each definitive "the venue does not have it"
from either check spends one retry, so whichever limit is smaller is reached
first and both checks never probe the venue twice for the same evidence.

Only a definitive answer spends a retry. A query that failed, timed out or was
rate limited says nothing about the order and is never counted.

The counter goes back to zero as soon as the venue reports the order, and the
order is forgotten entirely when it closes or is purged. The tracker never
holds more than ``capacity`` orders: when full, the order touched longest ago
is dropped, which can only delay a resolution (its count starts over), never
hasten one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import final

from livetrade.model.identifiers import ClientOrderId

__all__ = ["OrderTracker"]


@final
class OrderTracker:
    """Retry counts and last query times per order, at most ``capacity`` orders."""

    __slots__ = ("_capacity", "_queried", "_retries")

    def __init__(self, capacity: int = 100_000) -> None:
        if type(capacity) is not int or capacity < 1:
            raise ValueError(f"capacity: expected a positive integer, got {capacity!r}")
        self._capacity = capacity
        self._retries: dict[ClientOrderId, int] = {}
        self._queried: dict[ClientOrderId, int] = {}

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        """Orders with a retry count or a query time."""
        return len(self._retries.keys() | self._queried.keys())

    def retries(self, client_order_id: ClientOrderId) -> int:
        """Definitive "not found" answers counted for the order since the venue last knew it."""
        return self._retries.get(client_order_id, 0)

    def spend(self, client_order_id: ClientOrderId) -> int:
        """Count one definitive "not found"; returns the new count."""
        count = self._retries.pop(client_order_id, 0) + 1
        self._retries[client_order_id] = count
        _bound(self._retries, self._capacity)
        return count

    def reset(self, client_order_id: ClientOrderId) -> None:
        """The venue reported the order: its retries start over."""
        self._retries.pop(client_order_id, None)

    def queried(self, client_order_id: ClientOrderId, ts_ns: int) -> None:
        """Record that a single-order query for the order was made at ``ts_ns``."""
        self._queried.pop(client_order_id, None)
        self._queried[client_order_id] = ts_ns
        _bound(self._queried, self._capacity)

    def last_queried(self, client_order_id: ClientOrderId) -> int | None:
        return self._queried.get(client_order_id)

    def clear(self, client_order_id: ClientOrderId) -> None:
        """Forget the order (it closed, or was purged)."""
        self._retries.pop(client_order_id, None)
        self._queried.pop(client_order_id, None)

    def retain(self, keep: Callable[[ClientOrderId], bool]) -> int:
        """Forget every order for which ``keep`` is false; returns how many were dropped."""
        gone = [coid for coid in self._retries.keys() | self._queried.keys() if not keep(coid)]
        for coid in gone:
            self.clear(coid)
        return len(gone)


def _bound(entries: dict[ClientOrderId, int], capacity: int) -> None:
    while len(entries) > capacity:
        del entries[next(iter(entries))]
