"""One coredis client with a lifetime of its own, shared by the Redis database and streamer.

coredis 6 must be used as an async context manager, and entering it opens an
anyio task group in the entering task. Entered in the caller's task, it would
pin the caller's cancel-scope stack until ``close()`` (an ``open()`` inside a
``trio.fail_after`` would corrupt Trio's scope stack when that scope exits).
So the client is entered by a small *owner* task started with
``trio.lowlevel.spawn_system_task``: it holds the context open until ``close()``
tells it to leave, and other tasks only send commands through the client (which
coredis multiplexes). If ``close()`` is never called, Trio cancels the owner
when the run ends and the client still exits cleanly.

Before connecting, and before each retry while the server is known to be
down, a plain TCP connect checks that something listens: it gives a precise
reason (``connection refused``, ``cannot resolve host``) and keeps coredis from
making connection attempts that are known to fail.
"""

from __future__ import annotations

import errno
import socket
from typing import final

import coredis
import coredis.exceptions
import trio
from coredis.retry import NoRetryPolicy

from livetrade.config.secrets import Secret
from livetrade.persistence.errors import DatabaseUnavailable, PersistenceError

__all__ = ["RedisConnection"]

#: Errors of the server or the network that make a Redis operation worth retrying.
REDIS_ERRORS = (coredis.exceptions.RedisError, OSError, TimeoutError, trio.TooSlowError)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc``, its causes/contexts and the members of any exception group, outermost first."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if any(current is known for known in seen):
            continue
        seen.append(current)
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
        todo.extend(link for link in (current.__cause__, current.__context__) if link is not None)
    return seen


def describe(exc: BaseException) -> str:
    """A short, lower-case reason for a failed connection or command."""
    chain = _chain(exc)
    for link in chain:
        if isinstance(link, coredis.exceptions.AuthenticationError):
            return f"authentication failed ({link})"
        if isinstance(link, socket.gaierror):
            return f"cannot resolve host ({link.strerror})"
        if isinstance(link, OSError) and link.errno == errno.ECONNREFUSED:
            return "connection refused"
    for link in reversed(chain):
        if isinstance(link, OSError) and link.strerror:
            return link.strerror.lower()
    text = str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


@final
class RedisConnection:
    """A coredis client (bytes responses) owned by a system task between open and close."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str | None = None,
        password: Secret | None = None,
        ssl: bool = False,
        timeout: float = 20.0,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._username = username
        self._password = password
        self._ssl = ssl
        self._client: coredis.Redis[bytes] | None = None
        self._stop = trio.Event()
        self._done = trio.Event()
        self._owner_error: BaseException | None = None
        #: set after a failure, cleared by the next success: probe before retrying
        self.down = False

    @property
    def name(self) -> str:
        return f"redis at {self.host}:{self.port}"

    @property
    def client(self) -> coredis.Redis[bytes]:
        if self._client is None:
            raise PersistenceError("not open: call open() first", database=self.name)
        return self._client

    def unavailable(self, exc: BaseException) -> DatabaseUnavailable:
        """``exc`` (from coredis, the network or a timeout) as a ``DatabaseUnavailable``."""
        self.down = True
        if isinstance(exc, trio.TooSlowError):
            return DatabaseUnavailable(self.name, f"no answer within {self.timeout}s")
        return DatabaseUnavailable(self.name, describe(exc))

    async def probe(self) -> None:
        """Check that the server accepts TCP connections.

        Raises:
            DatabaseUnavailable: it does not (refused, unresolvable, no answer).
        """
        try:
            with trio.fail_after(self.timeout):
                stream = await trio.open_tcp_stream(self.host, self.port)
        except (OSError, trio.TooSlowError) as exc:
            raise self.unavailable(exc) from None
        await stream.aclose()

    async def open(self) -> None:
        """Connect: probe, start the owner task, and PING within ``timeout``.

        Raises:
            DatabaseUnavailable: the server cannot be reached or refused us.
        """
        if self._client is not None:
            raise PersistenceError("already open", database=self.name)
        await self.probe()
        client: coredis.Redis[bytes] = coredis.Redis(
            host=self.host,
            port=self.port,
            username=self._username,
            password=None if self._password is None else self._password.reveal(),
            ssl=self._ssl,
            stream_timeout=self.timeout,
            connect_timeout=self.timeout,
            decode_responses=False,
            client_name="livetrade",
            retry_policy=NoRetryPolicy(),
        )
        ready = trio.Event()
        self._stop = trio.Event()
        self._done = trio.Event()
        self._owner_error = None
        trio.lowlevel.spawn_system_task(self._own, client, ready, name=f"livetrade {self.name}")
        await ready.wait()
        if self._owner_error is not None:
            raise self.unavailable(self._owner_error) from None
        self._client = client
        failure: DatabaseUnavailable | None = None
        try:
            with trio.fail_after(self.timeout):
                await client.ping()
        except REDIS_ERRORS as exc:
            failure = self.unavailable(exc)
        if failure is not None:
            await self.close()
            raise failure
        self.down = False

    async def _own(self, client: coredis.Redis[bytes], ready: trio.Event) -> None:
        try:
            async with client:
                ready.set()
                await self._stop.wait()
        except Exception as exc:  # reported to open(), or ends the client early
            self._owner_error = exc
        finally:
            ready.set()
            self._done.set()

    async def ensure(self) -> None:
        """Before an operation: reconnect if the owner ended, probe if the server was down.

        Raises:
            DatabaseUnavailable: the server still cannot be reached.
        """
        if self._client is not None and self._done.is_set():
            self._client = None  # the client's context ended on an error: start a new one
            await self.open()
        elif self.down:
            await self.probe()

    async def close(self) -> None:
        """Leave the client's context and wait until the owner task is done."""
        if self._client is None:
            return
        self._client = None
        self._stop.set()
        with trio.move_on_after(self.timeout, shield=True):
            await self._done.wait()
