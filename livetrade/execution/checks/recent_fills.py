"""Trade ids applied recently, so a check does not process a fill report twice.

A fill the node applied in the last minute may still be absent from a venue
report taken a moment earlier, or present in a fill report fetched to explain a
position drift: ``RecentFills`` lets the checks skip fill reports whose trade
id was just applied, without scanning orders. Entries older than ``ttl_ns``
(60 s) are dropped by ``prune``, which the runtime calls every 60 s; the set
never holds more than ``capacity`` trade ids (the oldest go first).
"""

from __future__ import annotations

from typing import Final, final

from livetrade.model.identifiers import TradeId

__all__ = ["RECENT_FILLS_TTL_NS", "RecentFills"]

RECENT_FILLS_TTL_NS: Final = 60_000_000_000


@final
class RecentFills:
    """Trade id -> when it was applied (UNIX ns), oldest first."""

    __slots__ = ("_capacity", "_seen", "_ttl_ns")

    def __init__(self, *, ttl_ns: int = RECENT_FILLS_TTL_NS, capacity: int = 100_000) -> None:
        if type(capacity) is not int or capacity < 1:
            raise ValueError(f"capacity: expected a positive integer, got {capacity!r}")
        if type(ttl_ns) is not int or ttl_ns < 0:
            raise ValueError(f"ttl_ns: expected a non-negative integer, got {ttl_ns!r}")
        self._ttl_ns = ttl_ns
        self._capacity = capacity
        self._seen: dict[TradeId, int] = {}

    def add(self, trade_id: TradeId, ts_ns: int) -> None:
        seen = self._seen
        seen.pop(trade_id, None)
        seen[trade_id] = ts_ns
        if len(seen) > self._capacity:
            del seen[next(iter(seen))]

    def __contains__(self, trade_id: object) -> bool:
        return trade_id in self._seen

    def __len__(self) -> int:
        return len(self._seen)

    def prune(self, now_ns: int) -> int:
        """Drop trade ids applied more than ``ttl_ns`` ago; returns how many."""
        cutoff = now_ns - self._ttl_ns
        stale = [trade_id for trade_id, ts in self._seen.items() if ts < cutoff]
        for trade_id in stale:
            del self._seen[trade_id]
        return len(stale)
