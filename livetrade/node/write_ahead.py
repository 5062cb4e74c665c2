"""The write-ahead gate: a submit leaves for its venue only once its order is durable.

A crash between sending an order and writing it would leave an order at the
venue that the restarted node does not know (it would come back as EXTERNAL,
and its client order id could even be issued again). So, with a durable cache
database and ``cache.write_ahead`` on (the default), the execution engine hands
a submit whose ``OrderInitialized`` is not yet written to this gate. Its task
writes that one record at once (``PersistenceService.write_ahead``: one small
write, not the whole write-behind buffer), then posts the command back onto
the exec-commands stream for the engine to send. Commands given while others
are held wait behind them, so a cancel never overtakes its submit.

If the database stays down for its ``timeout``, the orders are rejected
locally (``OrderRejected``, reason names the database) rather than sent
unrecorded. The timeout counts from the moment the command was held, so a
command queued behind others during an outage is rejected once it has waited
``timeout`` in all, not after the ones ahead of it plus a timeout of its own.
Held commands are never dropped silently: at stop, what is still held is
rejected the same way.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs
import trio

from livetrade.execution.gate import HeldCommand, ReleasedCommand
from livetrade.persistence.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from livetrade.model.events import OrderInitialized
    from livetrade.persistence.service import PersistenceService

__all__ = ["WriteAheadGate", "WriteAheadStatistics"]

log = logging.getLogger("livetrade.node")


@attrs.frozen
class WriteAheadStatistics:
    #: commands that waited at the gate
    held: int
    #: commands whose orders were rejected because they could not be written ahead
    failed: int
    #: held now (not yet handed back to the engine)
    waiting: int


class WriteAheadGate:
    """Implements the engine's ``CommandGate`` with one task that writes orders ahead."""

    def __init__(self, service: PersistenceService, post: Callable[[object], None]) -> None:
        self._service = service
        self._post = post
        #: held commands, each with the ``trio.current_time()`` it must be written by
        self._queue: deque[tuple[HeldCommand, float]] = deque()
        #: held or posted back, not yet handled by the engine
        self._outstanding = 0
        self._wakeup = trio.Event()
        self._scope = trio.CancelScope()
        self._held = 0
        self._failed = 0

    # -- the engine's side (synchronous, in the dispatcher) ---------------------------------------

    def must_hold(self, inits: tuple[OrderInitialized, ...]) -> bool:
        if self._outstanding:
            return True
        awaits = self._service.awaits_write
        return any(awaits(init.client_order_id) for init in inits)

    def hold(self, held: HeldCommand) -> None:
        self._queue.append((held, trio.current_time() + self._service.write_ahead_timeout))
        self._outstanding += 1
        self._held += 1
        self._wakeup.set()

    def released(self) -> None:
        self._outstanding -= 1

    @property
    def busy(self) -> bool:
        """Commands are held or on their way back to the engine."""
        return self._outstanding > 0

    # -- the task --------------------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        queue = self._queue
        with self._scope:
            task_status.started()
            while True:
                if not queue:
                    self._wakeup = trio.Event()
                    await self._wakeup.wait()
                await self._write_and_release()

    async def _write_and_release(self) -> None:
        """Write every order held now in one batch, then hand back, in order, what may go.

        One commit for everything that queued up while the last one was written: under
        load the write-ahead costs a commit per batch, not per order.
        """
        queue, service = self._queue, self._service
        awaits = service.awaits_write
        inits = [i for held, _ in queue for i in held.inits if awaits(i.client_order_id)]
        failure: str | None = None
        if inits:
            try:
                await service.write_ahead_many(inits, deadline=queue[0][1])
            except DatabaseUnavailable as exc:
                failure = f"not written ahead, so not sent: {exc}"
        now = trio.current_time()
        while queue:
            held, deadline = queue[0]
            if any(awaits(i.client_order_id) for i in held.inits):
                if failure is None or deadline > now:
                    return  # arrived during the write, or still has time: next round
                queue.popleft()
                self._failed += 1
                self._post(ReleasedCommand(held, failure))
            else:
                queue.popleft()
                self._post(ReleasedCommand(held, None))

    def abandon(self, reason: str) -> int:
        """At stop: stop the task and hand back what is still held, to be rejected.

        Returns how many commands were handed back.
        """
        self._scope.cancel()
        count = len(self._queue)
        while self._queue:
            held, _ = self._queue.popleft()
            self._failed += 1
            self._post(ReleasedCommand(held, reason))
        return count

    def statistics(self) -> WriteAheadStatistics:
        return WriteAheadStatistics(held=self._held, failed=self._failed, waiting=len(self._queue))
