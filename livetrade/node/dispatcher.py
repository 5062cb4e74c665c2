"""The dispatcher: the one task that applies everything the streams deliver.

It owns all mutation of cache and engine state, so nothing needs a lock. Each
loop it awaits the doorbell once, then drains with ``receive_nowait`` in
priority order: exec commands, exec events, time events, data commands, data
events. It takes at most ``batch`` items from a stream before looking at the
higher-priority streams again, so a cancel sent while 100,000 quotes wait is
handled before the rest of the quotes.

Handlers are synchronous. An exception from one is logged with its stream and
passed to ``on_error``; the node decides whether that stops it
(``graceful_shutdown_on_exception``). The item is never retried or dropped
silently.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import trio

from livetrade.node.channels import STREAMS, Channels

__all__ = ["Dispatcher"]

log = logging.getLogger(__name__)

Handler = Callable[[Any], None]


class Dispatcher:
    """Drains the node's streams into their handlers, in priority order."""

    def __init__(
        self,
        channels: Channels,
        handlers: Mapping[str, Handler],
        *,
        batch: int = 1024,
        on_error: Callable[[str, object, Exception], None] | None = None,
    ) -> None:
        missing = [name for name in STREAMS if name not in handlers]
        if missing:
            raise ValueError(f"no handler for streams: {', '.join(missing)}")
        self._channels = channels
        self._streams = tuple(
            (name, channels.receive_nowait(name), handlers[name]) for name in STREAMS
        )
        self._batch = batch
        self._on_error = on_error
        self._drained: trio.Event | None = None
        self.processed = 0

    async def wait_drained(self) -> None:
        """Wait until the dispatcher next finishes draining (something arrived and was handled)."""
        if self._drained is None:
            self._drained = trio.Event()
        await self._drained.wait()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Dispatch until cancelled."""
        task_status.started()
        doorbell = self._channels.doorbell
        while True:
            await doorbell.wait()
            self.drain()

    def drain(self) -> int:
        """Handle everything queued right now; returns how many items were handled."""
        total = 0
        batch = self._batch
        would_block = trio.WouldBlock
        while True:
            for name, receive_nowait, handler in self._streams:
                taken = 0
                try:
                    while taken < batch:
                        item = receive_nowait()
                        taken += 1
                        try:
                            handler(item)
                        except Exception as exc:  # one bad item must not stop the node
                            self._handler_failed(name, item, exc)
                except would_block:
                    pass
                if taken:
                    total += taken
                    break  # look at the higher-priority streams again
            else:
                self.processed += total
                drained = self._drained
                if drained is not None:
                    self._drained = None
                    drained.set()
                return total

    def _handler_failed(self, stream: str, item: object, exc: Exception) -> None:
        log.error("error handling %s item %r", stream, item, exc_info=exc)
        if self._on_error is not None:
            self._on_error(stream, item, exc)
