"""``BusStreamer``: chosen message-bus topics, copied to Redis streams.

Theory of operation
-------------------
``attach(bus)`` subscribes one handler per configured topic (patterns such as
``events.order.*`` allowed). A handler runs inside the dispatcher, so it only
appends ``(topic, message)`` to a bounded in-memory buffer: no encoding, no I/O,
no await. When the buffer is full the oldest message is dropped and counted in
``statistics().dropped``; that is the only effect of a slow or absent Redis, and
it concerns the stream alone, never the node's state. Messages whose type name
is in ``types_filter`` are never buffered (``filtered``).

The streamer task, ``run()``, connects (retrying with backoff while Redis is
down), then takes up to ``max_batch`` buffered messages at a time (as soon as
they arrive, or every ``buffer_interval_ms``), encodes them and appends them
with one pipelined ``XADD`` each. A failed batch goes back to the front of the
buffer (still bounded) and is retried with exponential backoff; the outage is
logged when it starts and when it ends, not per attempt.

Streams, for namespace ``NS`` (trader id, plus instance id with
``use_instance_id``) and prefix ``livetrade``:

- ``stream_per_topic`` true: ``livetrade:NS:stream:TOPIC``, one per subscribed
  topic (pattern) as it was given to the streamer;
- false: a single ``livetrade:NS:stream``;
- heartbeats (every ``heartbeat_interval_secs``): ``livetrade:NS:heartbeat``.

Each entry has the fields ``topic``, ``type`` (the message class name) and
``payload`` (the record, msgpack or JSON per ``encoding``; see ``codec``).
Entry ids are Redis's own (``*``). Trimming is approximate (``~``), so Redis
trims whole macro nodes cheaply: with ``autotrim_mins`` set, entries older than
that many minutes go (``MINID ~`` computed from the node's clock); otherwise a
stream keeps about ``maxlen`` entries (``MAXLEN ~``). Heartbeat streams keep
about ``heartbeat_maxlen`` entries.

Delivery is at most once: what is dropped, or buffered when the node stops,
is not sent. Streaming is for dashboards and other nodes, not for recovery
(that is the cache database's job).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, final

import attrs
import trio
from coredis.tokens import PureToken

from livetrade.clock import Clock
from livetrade.config.secrets import Secret
from livetrade.msgbus import MessageBus
from livetrade.persistence._redis_client import REDIS_ERRORS, RedisConnection
from livetrade.persistence.codec import Codec, iso8601_from_ns, supports
from livetrade.persistence.errors import DatabaseUnavailable, PersistenceError

if TYPE_CHECKING:
    from livetrade.config.persistence import MessageBusConfig
    from livetrade.model.identifiers import TraderId

__all__ = ["BusStreamer", "StreamerStatistics"]

log = logging.getLogger(__name__)

_CLOSE_TIMEOUT: Final = 5.0


@final
@attrs.frozen
class StreamerStatistics:
    """Counters for observability (``BusStreamer.statistics()``)."""

    #: messages the handlers received (filtered ones included)
    received: int
    #: messages written to a stream
    streamed: int
    #: messages dropped because the buffer was full (oldest first)
    dropped: int
    #: messages skipped because their type is in ``types_filter``
    filtered: int
    #: messages skipped because their type cannot be encoded
    unsupported: int
    #: messages waiting in the buffer
    buffered: int
    #: heartbeats written
    heartbeats: int
    #: failed attempts (connect, batch or heartbeat) while Redis was unavailable
    failed_attempts: int
    #: outages seen
    outages: int


@final
class BusStreamer:
    """Copies message-bus topics to Redis streams without ever blocking the bus.

    Args:
        connection: the Redis server (opened by ``run``).
        namespace: ``TRADER-001`` or ``TRADER-001:<instance>``.
        topics: the bus topics (or patterns) to stream.
        clock: the node's clock (heartbeat timestamps, ``autotrim_mins``).
        codec: how payloads are encoded.
        types_filter: message type names never streamed.
        stream_per_topic: one stream per topic, or one for all.
        autotrim_mins: trim entries older than this (approximate); None or 0
            trims by length instead (``maxlen``).
        heartbeat_interval_secs: None or 0 for no heartbeats.
        buffer_interval_ms: None or 0 sends as soon as messages arrive.
        max_buffer: messages kept while Redis is slow or down.
    """

    def __init__(
        self,
        *,
        connection: RedisConnection,
        namespace: str,
        topics: Sequence[str],
        clock: Clock,
        codec: Codec | None = None,
        types_filter: Sequence[str] | None = None,
        stream_per_topic: bool = True,
        autotrim_mins: int | None = None,
        heartbeat_interval_secs: float | None = None,
        buffer_interval_ms: int | None = None,
        max_buffer: int = 100_000,
        max_batch: int = 1_000,
        maxlen: int = 100_000,
        heartbeat_maxlen: int = 1_000,
        key_prefix: str = "livetrade",
        retry_initial: float = 0.1,
        retry_max: float = 5.0,
    ) -> None:
        if max_buffer < 1 or max_batch < 1:
            raise ValueError("max_buffer and max_batch must be at least 1")
        self._connection = connection
        self._topics = tuple(topics)
        self._clock = clock
        self._codec = codec or Codec()
        self._filter = frozenset(types_filter or ())
        self._per_topic = stream_per_topic
        self._autotrim_ms = (autotrim_mins or 0) * 60_000
        self._heartbeat = float(heartbeat_interval_secs or 0)
        self._interval = (buffer_interval_ms or 0) / 1000
        self._max_buffer = max_buffer
        self._max_batch = max_batch
        self._maxlen = maxlen
        self._heartbeat_maxlen = heartbeat_maxlen
        self._base = f"{key_prefix}:{namespace}"
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._buffer: deque[tuple[str, object]] = deque()
        self._wakeup = trio.Event()
        self._handlers: dict[str, Callable[[object], None]] = {}
        self._unsupported_types: set[type] = set()
        self._scope: trio.CancelScope | None = None
        self._outage_started: float | None = None
        self._received = self._streamed = self._dropped = self._filtered = 0
        self._unsupported = self._beats = self._failed_attempts = self._outages = 0

    @classmethod
    def from_config(
        cls,
        config: MessageBusConfig,
        *,
        trader_id: TraderId,
        instance_id: str | None = None,
        topics: Sequence[str],
        clock: Clock,
    ) -> BusStreamer:
        """A streamer for ``[message_bus]``; its ``database`` must be a Redis server.

        Raises:
            PersistenceError: no database, or not a Redis one, or
                ``use_instance_id`` without an instance id.
        """
        database = config.database
        if database is None or database.type != "redis":
            raise PersistenceError(
                "message_bus.database must be a redis database to stream the bus "
                f"(got {None if database is None else database.type!r})"
            )
        if config.use_instance_id and not instance_id:
            raise PersistenceError("message_bus.use_instance_id is set but there is no instance id")
        namespace = trader_id.value
        if config.use_instance_id:
            namespace = f"{namespace}:{instance_id}"
        password: Secret | None = database.password
        return cls(
            connection=RedisConnection(
                host=database.host or "127.0.0.1",
                port=database.port or 6379,
                username=database.username,
                password=password,
                ssl=database.ssl,
                timeout=database.timeout,
            ),
            namespace=namespace,
            topics=topics,
            clock=clock,
            codec=Codec(config.encoding, timestamps_as_iso8601=config.timestamps_as_iso8601),
            types_filter=config.types_filter,
            stream_per_topic=config.stream_per_topic,
            autotrim_mins=config.autotrim_mins,
            heartbeat_interval_secs=config.heartbeat_interval_secs,
            buffer_interval_ms=config.buffer_interval_ms,
        )

    def __repr__(self) -> str:
        return f"BusStreamer({self._connection.name}, topics={list(self._topics)})"

    # -- keys -----------------------------------------------------------------------------------

    def stream_key(self, topic: str) -> str:
        """The stream a message published on ``topic`` (a subscribed topic) goes to."""
        return f"{self._base}:stream:{topic}" if self._per_topic else f"{self._base}:stream"

    @property
    def heartbeat_key(self) -> str:
        return f"{self._base}:heartbeat"

    # -- the dispatcher's side -------------------------------------------------------------------

    def attach(self, bus: MessageBus) -> None:
        """Subscribe to every configured topic on ``bus``."""
        for topic in self._topics:
            handler = self._handlers.get(topic)
            if handler is None:
                handler = self._handlers[topic] = self._handler(topic)
            bus.subscribe(topic, handler)

    def detach(self, bus: MessageBus) -> None:
        """Undo ``attach``."""
        for topic, handler in self._handlers.items():
            bus.unsubscribe(topic, handler)

    def _handler(self, topic: str) -> Callable[[object], None]:
        def on_message(message: object) -> None:
            self.publish(topic, message)

        return on_message

    def publish(self, topic: str, message: object) -> None:
        """Buffer ``message`` for ``topic``'s stream; synchronous, never blocks."""
        self._received += 1
        if type(message).__name__ in self._filter:
            self._filtered += 1
            return
        buffer = self._buffer
        if len(buffer) >= self._max_buffer:
            buffer.popleft()
            self._dropped += 1
        buffer.append((topic, message))
        if not self._wakeup.is_set():
            self._wakeup.set()

    # -- the streamer task -----------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Connect and stream until cancelled or ``stop()``ped; start with ``nursery.start``."""
        with trio.CancelScope() as scope:
            self._scope = scope
            task_status.started()
            try:
                await self._connect()
                async with trio.open_nursery() as nursery:
                    if self._heartbeat > 0:
                        nursery.start_soon(self._heartbeat_loop)
                    await self._pump()
            finally:
                with trio.move_on_after(_CLOSE_TIMEOUT, shield=True):
                    await self._connection.close()
        self._scope = None

    def stop(self) -> None:
        """Make ``run`` return (what is still buffered is not sent)."""
        if self._scope is not None:
            self._scope.cancel()

    async def _connect(self) -> None:
        delay = self._retry_initial
        while True:
            try:
                await self._connection.open()
            except DatabaseUnavailable as exc:
                self._failed(exc)
                await trio.sleep(delay)
                delay = min(delay * 2, self._retry_max)
                continue
            self._recovered()
            return

    async def _pump(self) -> None:
        delay = self._retry_initial
        while True:
            if not self._buffer:
                self._wakeup = trio.Event()
                await self._wakeup.wait()
            if self._interval > 0:
                await trio.sleep(self._interval)
            while self._buffer:
                taken = min(self._max_batch, len(self._buffer))
                batch = [self._buffer.popleft() for _ in range(taken)]
                batch = [item for item in batch if self._encodable(item)]
                try:
                    await self._send(batch)
                except DatabaseUnavailable as exc:
                    self._requeue(batch)
                    self._failed(exc)
                    await trio.sleep(delay)
                    delay = min(delay * 2, self._retry_max)
                    continue
                delay = self._retry_initial
                self._streamed += len(batch)
                self._recovered()

    def _requeue(self, batch: list[tuple[str, object]]) -> None:
        """Put a failed batch back in front, dropping the oldest beyond the bound."""
        buffer = self._buffer
        room = self._max_buffer - len(buffer)
        if room < len(batch):
            self._dropped += len(batch) - max(room, 0)
            batch = batch[len(batch) - max(room, 0) :]
        buffer.extendleft(reversed(batch))

    def _trim(self) -> tuple[PureToken, int | str]:
        if self._autotrim_ms:
            return PureToken.MINID, f"{self._clock.timestamp_ns() // 1_000_000 - self._autotrim_ms}"
        return PureToken.MAXLEN, self._maxlen

    def _encodable(self, item: tuple[str, object]) -> bool:
        cls = type(item[1])
        if cls in self._unsupported_types:
            self._unsupported += 1
            return False
        if supports(cls):
            return True
        self._unsupported_types.add(cls)
        self._unsupported += 1
        log.warning(
            "bus streamer: %s messages cannot be encoded and are not streamed (topic %s)",
            cls.__qualname__,
            item[0],
        )
        return False

    async def _send(self, batch: list[tuple[str, object]]) -> None:
        connection = self._connection
        codec = self._codec
        strategy, threshold = self._trim()
        entries: list[tuple[str, dict[str, str | bytes]]] = [
            (
                self.stream_key(topic),
                {"topic": topic, "type": type(message).__name__, "payload": codec.encode(message)},
            )
            for topic, message in batch
        ]
        if not entries:
            return
        await connection.ensure()
        try:
            with trio.fail_after(connection.timeout):
                async with connection.client.pipeline(transaction=False) as pipe:
                    for key, entry in entries:
                        pipe.xadd(
                            key,
                            entry,
                            trim_strategy=strategy,  # type: ignore[arg-type]
                            threshold=threshold,
                            trim_operator=PureToken.APPROXIMATELY,
                        )
        except REDIS_ERRORS as exc:
            raise connection.unavailable(exc) from None
        connection.down = False

    async def _heartbeat_loop(self) -> None:
        connection = self._connection
        while True:
            await trio.sleep(self._heartbeat)
            ts = self._clock.timestamp_ns()
            stamp = iso8601_from_ns(ts) if self._codec.timestamps_as_iso8601 else str(ts)
            try:
                await connection.ensure()
                with trio.fail_after(connection.timeout):
                    await connection.client.xadd(
                        self.heartbeat_key,
                        {"type": "Heartbeat", "ts": stamp},
                        trim_strategy=PureToken.MAXLEN,
                        threshold=self._heartbeat_maxlen,
                        trim_operator=PureToken.APPROXIMATELY,
                    )
            except DatabaseUnavailable as exc:
                self._failed(exc)
                continue
            except REDIS_ERRORS as exc:
                self._failed(connection.unavailable(exc))
                continue
            connection.down = False
            self._beats += 1
            self._recovered()

    def _failed(self, exc: DatabaseUnavailable) -> None:
        self._failed_attempts += 1
        if self._outage_started is None:
            self._outage_started = trio.current_time()
            self._outages += 1
            log.warning(
                "bus streamer: %s is unavailable (%s); buffering up to %d messages "
                "(oldest dropped beyond) and retrying with backoff",
                self._connection.name,
                exc.reason,
                self._max_buffer,
            )

    def _recovered(self) -> None:
        if self._outage_started is not None:
            log.warning(
                "bus streamer: %s is available again after %.1fs (%d messages dropped so far)",
                self._connection.name,
                trio.current_time() - self._outage_started,
                self._dropped,
            )
            self._outage_started = None

    def statistics(self) -> StreamerStatistics:
        return StreamerStatistics(
            received=self._received,
            streamed=self._streamed,
            dropped=self._dropped,
            filtered=self._filtered,
            unsupported=self._unsupported,
            buffered=len(self._buffer),
            heartbeats=self._beats,
            failed_attempts=self._failed_attempts,
            outages=self._outages,
        )
