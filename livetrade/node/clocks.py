"""Clock implementations: the wall clock live, Trio's clock in tests.

``TrioClock`` derives wall time from ``trio.current_time()`` plus a fixed epoch,
so under pytest-trio's ``MockClock`` every threshold and timestamp moves with
virtual time and tests can assert exact nanoseconds.
"""

from __future__ import annotations

import time

import trio

from livetrade.clock import NANOS_PER_SECOND

__all__ = ["DEFAULT_TEST_EPOCH_NS", "LiveClock", "TrioClock"]

DEFAULT_TEST_EPOCH_NS = 1_767_225_600 * NANOS_PER_SECOND  # 2026-01-01T00:00:00Z


class LiveClock:
    """UNIX time from the operating system's wall clock."""

    __slots__ = ()

    def timestamp_ns(self) -> int:
        return time.time_ns()


class TrioClock:
    """UNIX time that advances with Trio's clock (virtual under ``MockClock``).

    ``epoch_ns`` is the UNIX time that corresponds to ``trio.current_time() == 0``
    at construction; by default a fixed date, so test timestamps are reproducible.
    Must be used inside ``trio.run``.
    """

    __slots__ = ("_offset_ns",)

    def __init__(self, epoch_ns: int = DEFAULT_TEST_EPOCH_NS) -> None:
        self._offset_ns = epoch_ns

    def timestamp_ns(self) -> int:
        return self._offset_ns + round(trio.current_time() * NANOS_PER_SECOND)
