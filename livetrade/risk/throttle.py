"""A sliding-window rate limiter for order submits and modifies.

The window ending at ``ts`` is ``(ts - interval_ns, ts]``: an acquisition made
exactly ``interval_ns`` before ``ts`` has left it, so with ``1/00:00:01`` an
order at t=0 s and the next at t=1 s both pass. Timestamps are kept in a deque,
oldest first; each one is appended once and dropped once, so an acquisition costs
O(1) amortized whatever the rate.

Time never goes backwards here: a timestamp older than the newest one seen (a
wall clock stepped back by NTP) is treated as that newest one. The deque then
stays sorted, and a clock step cannot open a burst the window would refuse.
"""

from __future__ import annotations

from collections import deque
from typing import final

from livetrade.config.engines import RateLimit
from livetrade.errors import InvalidValue

__all__ = ["Throttler"]


@final
class Throttler:
    """At most ``limit.count`` acquisitions in any window of ``limit.interval_ns``."""

    __slots__ = ("_count", "_interval_ns", "_latest", "_stamps", "limit")

    limit: RateLimit
    _count: int
    _interval_ns: int
    _latest: int
    _stamps: deque[int]

    def __init__(self, limit: RateLimit) -> None:
        if limit.count < 1 or limit.interval_ns < 1:
            raise InvalidValue(
                f"a rate limit needs a positive count and interval, got {limit.count} "
                f"per {limit.interval_ns} ns"
            )
        self.limit = limit
        self._count = limit.count
        self._interval_ns = limit.interval_ns
        self._latest = -(2**63)
        self._stamps = deque()

    def _now(self, ts_ns: int) -> int:
        """``ts_ns``, or the newest timestamp seen if the clock went back; evicts."""
        now = ts_ns if ts_ns > self._latest else self._latest
        self._latest = now
        stamps = self._stamps
        cutoff = now - self._interval_ns
        while stamps and stamps[0] <= cutoff:
            stamps.popleft()
        return now

    def used(self, ts_ns: int) -> int:
        """Acquisitions in the window ending at ``ts_ns``."""
        self._now(ts_ns)
        return len(self._stamps)

    def available(self, ts_ns: int) -> int:
        """Acquisitions still allowed in the window ending at ``ts_ns``."""
        return self._count - self.used(ts_ns)

    def try_acquire(self, ts_ns: int, n: int = 1) -> bool:
        """Record ``n`` acquisitions at ``ts_ns`` if they all fit, else record nothing.

        ``n`` > 1 is for an order list, which passes or fails as a whole.
        """
        if n < 1:
            raise InvalidValue(f"acquire at least one slot, got {n}")
        now = self._now(ts_ns)
        stamps = self._stamps
        if len(stamps) + n > self._count:
            return False
        stamps.extend([now] * n)
        return True

    def __repr__(self) -> str:
        return f"Throttler({self._count} per {self._interval_ns} ns, {len(self._stamps)} recorded)"
