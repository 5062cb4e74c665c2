"""Ctrl+C and SIGTERM as ordinary stop requests, on Unix and Windows.

Trio by default raises ``KeyboardInterrupt`` wherever the code happens to be,
which could cut a state change in half. While this watcher runs, SIGINT and
SIGTERM (and SIGBREAK, Ctrl+Break on Windows) are received with
``trio.open_signal_receiver`` instead, outside the node's cancel scopes, and
become calls on the node:

1. first signal: a graceful stop (the node's one stop path);
2. second signal: skip the remaining grace periods (residual events and
   disconnection); the final drain and persistence flush still run;
3. third signal: exit the process at once with status 130.

``loop.add_signal_handler`` is not used (it does not exist on Windows); trio's
receiver relies on plain ``signal.signal`` handlers, which Windows supports for
SIGINT and SIGBREAK. Windows never delivers SIGTERM (it terminates outright).
"""

from __future__ import annotations

import logging
import os
import signal
from typing import Protocol

import trio

__all__ = ["STOP_SIGNALS", "watch_signals"]

log = logging.getLogger("livetrade.node")

STOP_SIGNALS: frozenset[int] = frozenset(
    {signal.SIGINT, signal.SIGTERM} | ({signal.SIGBREAK} if hasattr(signal, "SIGBREAK") else set())  # type: ignore[attr-defined,unused-ignore]
)


class Stoppable(Protocol):
    def request_stop(self, reason: str) -> None: ...

    def skip_grace(self) -> None: ...


async def watch_signals(
    node: Stoppable, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
) -> None:
    """Turn stop signals into ``request_stop``, then ``skip_grace``, then exit(130)."""
    with trio.open_signal_receiver(*STOP_SIGNALS) as signals:
        task_status.started()
        received = 0
        async for signum in signals:
            received += 1
            name = signal.Signals(signum).name
            if received == 1:
                log.warning("%s received: stopping (send it again to skip the grace periods)", name)
                node.request_stop(name)
            elif received == 2:
                log.warning("%s received again: skipping the remaining grace periods", name)
                node.skip_grace()
            else:
                log.error("%s received a third time: exiting now without cleanup", name)
                os._exit(130)
