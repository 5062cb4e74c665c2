"""The node's five bounded streams and the send handles producers use.

Theory of operation
-------------------
Each stream is a Trio memory channel of size ``qsize``. Producers (client tasks,
timers, strategies) hold an ``Inbox``; the dispatcher is the only receiver.
Rather than one waiting task per channel, every ``Inbox`` rings one shared
``Doorbell`` after a send, and the dispatcher waits on that single doorbell and
then drains every channel with ``receive_nowait``. So a burst of N items costs
one task switch, not N.

Nothing is dropped: ``Inbox.send`` waits for room when a channel is full
(backpressure on that producer only) and logs once per full episode;
``Inbox.send_nowait`` raises ``trio.WouldBlock`` so a synchronous producer can
decide for itself. Code running inside the dispatcher (a strategy submitting an
order from ``on_quote_tick``) cannot wait for the dispatcher, so it uses
``Inbox.post``: when the channel is full the item goes to the stream's spill
queue, which the dispatcher reads after the channel, in order.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Final, Generic, TypeVar

import attrs
import trio

__all__ = ["STREAMS", "YIELD_EVERY", "ChannelStatistics", "Channels", "Doorbell", "Inbox"]

log = logging.getLogger(__name__)

T = TypeVar("T")

YIELD_EVERY: Final = 64
"""``Inbox.send`` lets other tasks run at least once per this many sends."""

STREAMS: Final = ("exec_commands", "exec_events", "time_events", "data_commands", "data_events")
"""Stream names in the dispatcher's priority order (first drained first)."""


class Doorbell:
    """Wakes the dispatcher when any stream has something new."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = trio.Event()

    def ring(self) -> None:
        self._event.set()

    async def wait(self) -> None:
        """Wait for a ring since the last wait returned, then re-arm.

        Re-arming happens before the caller drains, so a ring that arrives during
        the drain is never lost: the next ``wait`` returns at once.
        """
        await self._event.wait()
        self._event = trio.Event()


class Inbox(Generic[T]):
    """The send side of one stream, for producers.

    ``queued`` and ``taken`` count the items that entered the stream and the
    items the dispatcher took out, so the dispatcher knows exactly how many
    ``receive_nowait`` calls will succeed and never pays for a ``WouldBlock``
    on an empty stream.
    """

    __slots__ = (
        "_doorbell",
        "_full",
        "_half",
        "_send",
        "_since_yield",
        "name",
        "queued",
        "spill",
        "taken",
    )

    def __init__(self, name: str, send: trio.MemorySendChannel[T], doorbell: Doorbell) -> None:
        self.name = name
        self._send = send
        self._doorbell = doorbell
        self._full = False
        self._half = int(send.statistics().max_buffer_size) // 2
        self._since_yield = 0
        #: items posted while the channel was full, read by the dispatcher after it
        self.spill: deque[T] = deque()
        self.queued = 0
        self.taken = 0

    @property
    def pending(self) -> int:
        """Items in the stream now (channel and spill queue)."""
        return self.queued - self.taken

    def post(self, item: T) -> None:
        """Queue ``item`` without waiting and without dropping (for code in the dispatcher).

        If the channel is full (or items already wait in the spill queue) the item
        joins the spill queue, so the order of posted items is kept.
        """
        if self.spill:
            self.spill.append(item)
        else:
            try:
                self._send.send_nowait(item)
            except trio.WouldBlock:
                log.warning("stream %s is full: posted items wait in its spill queue", self.name)
                self.spill.append(item)
        self.queued += 1
        self._doorbell.ring()

    def send_nowait(self, item: T) -> None:
        """Queue ``item`` now; raises ``trio.WouldBlock`` when the stream is full."""
        self._send.send_nowait(item)
        self.queued += 1
        self._doorbell.ring()

    async def send(self, item: T) -> None:
        """Queue ``item``, waiting for room if the stream is full (never drops).

        Each call is a cancellation point; every ``YIELD_EVERY`` calls (and
        whenever the stream is full) it also lets other tasks run, so a producer
        with a burst of decoded messages hands them over without one trip through
        the scheduler per message.
        """
        try:
            self._send.send_nowait(item)
        except trio.WouldBlock:
            if not self._full:
                self._full = True
                log.warning(
                    "stream %s is full (%d items): its producer now waits for the dispatcher",
                    self.name,
                    self._send.statistics().max_buffer_size,
                )
            self._doorbell.ring()
            await self._send.send(item)
            self.queued += 1
            self._doorbell.ring()
            return
        self.queued += 1
        self._doorbell.ring()
        if self._full and self.queued - self.taken <= self._half:
            self._full = False  # the episode ends once the stream is half empty again
            log.info("stream %s has room again", self.name)
        self._since_yield += 1
        if self._since_yield >= YIELD_EVERY:
            self._since_yield = 0
            await trio.lowlevel.checkpoint()
        else:
            await trio.lowlevel.checkpoint_if_cancelled()

    async def send_many(self, items: Iterable[T]) -> None:
        """Queue several items (one venue message that decoded to many), then yield once."""
        for item in items:
            try:
                self._send.send_nowait(item)
            except trio.WouldBlock:
                self._doorbell.ring()
                await self._send.send(item)
            self.queued += 1
        self._doorbell.ring()
        await trio.lowlevel.checkpoint()


@attrs.frozen
class ChannelStatistics:
    """Depth of each stream, for observability and the post-stop grace."""

    #: items waiting per stream, in priority order
    queued: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.queued.values())


class Channels:
    """The five streams: send handles (``inbox``) and receive ends for the dispatcher."""

    def __init__(self, qsize: int | Mapping[str, int]) -> None:
        sizes = {name: qsize for name in STREAMS} if isinstance(qsize, int) else dict(qsize)
        for name in STREAMS:
            size = sizes.get(name)
            if size is None or size < 1:
                raise ValueError(f"qsize for stream {name} must be at least 1, got {size}")
        self.doorbell = Doorbell()
        self.inboxes: dict[str, Inbox[object]] = {}
        self.receivers: dict[str, trio.MemoryReceiveChannel[object]] = {}
        for name in STREAMS:
            send, receive = trio.open_memory_channel[object](sizes[name])
            self.inboxes[name] = Inbox(name, send, self.doorbell)
            self.receivers[name] = receive

    def inbox(self, name: str) -> Inbox[object]:
        return self.inboxes[name]

    def statistics(self) -> ChannelStatistics:
        return ChannelStatistics({name: inbox.pending for name, inbox in self.inboxes.items()})

    def is_empty(self) -> bool:
        return not any(inbox.queued - inbox.taken for inbox in self.inboxes.values())
