"""The clock seen by engines, actors and strategies.

Every timestamp in livetrade comes from a ``Clock`` owned by the node, never from
``time.time()`` directly, so the same code runs on the wall clock live and on
Trio's virtual clock in tests (``livetrade.node.clocks``).
"""

from __future__ import annotations

from typing import Final, Protocol

__all__ = [
    "NANOS_PER_MILLI",
    "NANOS_PER_SECOND",
    "Clock",
    "millis_to_nanos",
    "secs_to_nanos",
]

NANOS_PER_SECOND: Final = 1_000_000_000
NANOS_PER_MILLI: Final = 1_000_000


class Clock(Protocol):
    """Reads the current time as UNIX nanoseconds."""

    def timestamp_ns(self) -> int:
        """Now, as integer nanoseconds since the UNIX epoch."""
        ...


def secs_to_nanos(seconds: float) -> int:
    """Seconds (as configured) to integer nanoseconds, rounded to the nearest ns."""
    return round(seconds * NANOS_PER_SECOND)


def millis_to_nanos(millis: int) -> int:
    """Milliseconds (as configured) to integer nanoseconds."""
    return millis * NANOS_PER_MILLI
