"""The clock seen by engines, actors and strategies.

Every timestamp in livetrade comes from a ``Clock`` owned by the node, never from
``time.time()`` directly, so the same code runs on the wall clock live and on
Trio's virtual clock in tests (``livetrade.node.clocks``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Final, Protocol

import attrs

__all__ = [
    "NANOS_PER_MILLI",
    "NANOS_PER_SECOND",
    "ActorClock",
    "Clock",
    "TimeEvent",
    "TimeEventHandler",
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


@attrs.frozen(kw_only=True)
class TimeEvent:
    """A timer or time alert fired; ``ts_event`` is the scheduled time, exactly."""

    name: str
    ts_event: int
    ts_init: int
    event_id: str = attrs.field(factory=lambda: str(uuid.uuid4()))


TimeEventHandler = Callable[[TimeEvent], None]


class ActorClock(Clock, Protocol):
    """The clock an actor sees: the node's time plus its own named timers and alerts.

    Callbacks run in the dispatcher (time-events stream), like every other
    handler, so they may touch the cache and send orders.
    """

    def set_timer(
        self,
        name: str,
        interval_ns: int,
        callback: TimeEventHandler,
        *,
        start_ns: int | None = None,
        stop_ns: int | None = None,
        fire_immediately: bool = False,
    ) -> None:
        """Fire every ``interval_ns`` from ``start_ns`` (default now) until ``stop_ns``."""
        ...

    def set_time_alert(self, name: str, alert_ns: int, callback: TimeEventHandler) -> None:
        """Fire once at ``alert_ns`` (at once if that is already past)."""
        ...

    def cancel_timer(self, name: str) -> None:
        """Cancel a timer or alert; unknown names are ignored."""
        ...

    def cancel_timers(self) -> None: ...

    @property
    def timer_names(self) -> list[str]: ...

    def next_time_ns(self, name: str) -> int | None:
        """When the timer or alert fires next, or None if it is not set."""
        ...
