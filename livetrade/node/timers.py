"""Timers and time alerts for actors: one task, one heap, exact virtual times.

All timers of the node live in one heap ordered by their next UNIX-ns fire time.
One task sleeps in a cancel scope whose deadline is the earliest fire time;
setting an earlier timer just moves that deadline, so there is no polling and no
task per timer. A fired timer becomes a ``TimeEvent`` in the time-events stream,
and its callback runs in the dispatcher like every other handler.

``TimeEvent.ts_event`` is the scheduled time, never the (possibly late) wake-up
time, so a 1 s timer started at t reports t+1 s, t+2 s, ... exactly; under
``MockClock`` it also fires at exactly that virtual time.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs
import trio

from livetrade.clock import Clock, TimeEvent, TimeEventHandler

if TYPE_CHECKING:
    from livetrade.node.channels import Inbox

__all__ = ["ActorTimers", "TimerFired", "TimerService"]

OnError = Callable[[str, object, Exception], None]

_TOLERANCE_NS = 1_000
"""Float conversion between Trio time and UNIX ns may wake us a few ns early."""


@attrs.frozen
class TimerFired:
    """What the time-events stream carries: the event and whom to call with it."""

    event: TimeEvent
    callback: TimeEventHandler

    def __call__(self) -> None:
        self.callback(self.event)


@attrs.define(eq=False)
class _Timer:
    key: tuple[str, str]
    interval_ns: int  # 0 for a one-shot alert
    next_ns: int
    stop_ns: int | None
    callback: TimeEventHandler
    active: bool = True


class TimerService:
    """Owns every timer of the node and the one task that fires them."""

    def __init__(self, clock: Clock, inbox: Inbox[object]) -> None:
        self._clock = clock
        self._inbox = inbox
        self._heap: list[tuple[int, int, _Timer]] = []
        self._timers: dict[tuple[str, str], _Timer] = {}
        self._sequence = 0
        self._scope: trio.CancelScope | None = None
        self.fired = 0

    def for_owner(self, owner: str, on_error: OnError | None = None) -> ActorTimers:
        """The ``ActorClock`` of one actor: its timer names are its own.

        ``on_error(hook, event, exc)`` receives exceptions from the actor's
        callbacks (the actor logs them); without it they reach the dispatcher.
        """
        return ActorTimers(self, owner, on_error)

    # -- scheduling (synchronous; called from the dispatcher) ----------------------------

    def schedule(
        self,
        key: tuple[str, str],
        *,
        first_ns: int,
        interval_ns: int,
        stop_ns: int | None,
        callback: TimeEventHandler,
    ) -> None:
        self.cancel(key)
        timer = _Timer(key, interval_ns, first_ns, stop_ns, callback)
        self._timers[key] = timer
        self._push(timer)

    def cancel(self, key: tuple[str, str]) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.active = False

    def names(self, owner: str) -> list[str]:
        return sorted(name for (who, name) in self._timers if who == owner)

    def next_time_ns(self, key: tuple[str, str]) -> int | None:
        timer = self._timers.get(key)
        return None if timer is None else timer.next_ns

    def _push(self, timer: _Timer) -> None:
        self._sequence += 1
        heapq.heappush(self._heap, (timer.next_ns, self._sequence, timer))
        scope = self._scope
        if scope is not None:
            scope.deadline = min(scope.deadline, self._trio_deadline(timer.next_ns))

    def _trio_deadline(self, at_ns: int) -> float:
        return trio.current_time() + (at_ns - self._clock.timestamp_ns()) / 1e9

    # -- the task ----------------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Fire timers until cancelled."""
        task_status.started()
        heap = self._heap
        while True:
            now = self._clock.timestamp_ns()
            while heap and heap[0][0] <= now + _TOLERANCE_NS:
                at_ns, _, timer = heapq.heappop(heap)
                if not timer.active or timer.next_ns != at_ns:
                    continue  # cancelled or rescheduled
                self._reschedule(timer)
                self.fired += 1
                event = TimeEvent(name=timer.key[1], ts_event=at_ns, ts_init=now)
                await self._inbox.send(TimerFired(event, timer.callback))
                now = self._clock.timestamp_ns()
            deadline = self._trio_deadline(heap[0][0]) if heap else math.inf
            with trio.CancelScope(deadline=deadline) as scope:
                self._scope = scope
                await trio.sleep_forever()
            self._scope = None

    def _reschedule(self, timer: _Timer) -> None:
        if timer.interval_ns == 0:
            self._timers.pop(timer.key, None)
            timer.active = False
            return
        timer.next_ns += timer.interval_ns
        if timer.stop_ns is not None and timer.next_ns > timer.stop_ns:
            self._timers.pop(timer.key, None)
            timer.active = False
            return
        self._push(timer)


class ActorTimers:
    """One actor's view of the node's clock and timers (implements ``ActorClock``)."""

    __slots__ = ("_on_error", "_owner", "_service")

    def __init__(self, service: TimerService, owner: str, on_error: OnError | None = None) -> None:
        self._service = service
        self._owner = owner
        self._on_error = on_error

    def _guarded(self, callback: TimeEventHandler) -> TimeEventHandler:
        on_error = self._on_error
        if on_error is None:
            return callback

        def guarded(event: TimeEvent) -> None:
            try:
                callback(event)
            except Exception as exc:
                on_error(f"timer {event.name!r}", event, exc)

        return guarded

    def timestamp_ns(self) -> int:
        return self._service._clock.timestamp_ns()

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
        if interval_ns <= 0:
            raise ValueError(f"timer {name!r}: interval_ns must be positive, got {interval_ns}")
        start = self.timestamp_ns() if start_ns is None else start_ns
        first = start if fire_immediately else start + interval_ns
        if stop_ns is not None and first > stop_ns:
            raise ValueError(f"timer {name!r}: first fire time {first} is after stop_ns {stop_ns}")
        self._service.schedule(
            (self._owner, name),
            first_ns=first,
            interval_ns=interval_ns,
            stop_ns=stop_ns,
            callback=self._guarded(callback),
        )

    def set_time_alert(self, name: str, alert_ns: int, callback: TimeEventHandler) -> None:
        self._service.schedule(
            (self._owner, name),
            first_ns=alert_ns,
            interval_ns=0,
            stop_ns=None,
            callback=self._guarded(callback),
        )

    def cancel_timer(self, name: str) -> None:
        self._service.cancel((self._owner, name))

    def cancel_timers(self) -> None:
        for name in self.timer_names:
            self.cancel_timer(name)

    @property
    def timer_names(self) -> list[str]:
        return self._service.names(self._owner)

    def next_time_ns(self, name: str) -> int | None:
        return self._service.next_time_ns((self._owner, name))
