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
            (
                channels.inboxes[name],
                channels.receivers[name].receive_nowait,
                channels.inboxes[name].spill.popleft,
                handlers[name],
                tuple(channels.inboxes[higher] for higher in STREAMS[:index]),
                name,
            )
            for index, name in enumerate(STREAMS)
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
            for inbox, receive_nowait, from_spill, handler, higher, name in self._streams:
                ready = inbox.queued - inbox.taken
                if not ready:
                    continue
                taken = 0
                for _ in range(min(ready, batch)):
                    try:
                        item = receive_nowait()
                    except would_block:  # the rest of the items wait in the spill queue
                        item = from_spill()
                    inbox.taken += 1
                    taken += 1
                    try:
                        handler(item)
                    except Exception as exc:  # one bad item must not stop the node
                        self._handler_failed(name, item, exc)
                    if not taken & 63 and any(h.queued - h.taken for h in higher):
                        break  # a command arrived: serve the higher streams first
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
