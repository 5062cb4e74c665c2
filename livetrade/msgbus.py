"""The in-process message bus: topic publish/subscribe and point-to-point endpoints.

Synchronous and single-threaded by design: the node's dispatcher is the only
caller, so handlers run to completion in publish order and need no locks.

Topics are dotted strings such as ``data.quotes.BINANCE.ETHUSDT``. A
subscription may use ``*`` (any run of characters) and ``?`` (one character),
as in ``data.quotes.BINANCE.*``. The handlers for a concrete topic are resolved
once and cached, so publishing costs a dict lookup plus the calls.

Handlers registered here are expected not to raise: the actor layer wraps user
code so that one failing strategy cannot stop delivery to the others.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

import attrs

from livetrade.errors import LiveTradeError

__all__ = ["Handler", "MessageBus", "MessageBusStatistics", "UnknownEndpoint"]

Handler = Callable[[Any], Any]


class UnknownEndpoint(LiveTradeError, KeyError):
    """A message was sent to an endpoint nobody registered."""


@attrs.frozen
class MessageBusStatistics:
    """Counters for observability (``MessageBus.statistics()``)."""

    #: messages published to topics
    published: int
    #: messages sent or requests made to endpoints
    sent: int
    #: live subscriptions
    subscriptions: int
    #: registered endpoints
    endpoints: int


@attrs.define(eq=False)
class _Subscription:
    pattern: str
    handler: Handler
    priority: int
    sequence: int
    is_pattern: bool


class MessageBus:
    """Topic pub/sub plus named endpoints for commands and request/response."""

    def __init__(self) -> None:
        self._subscriptions: list[_Subscription] = []
        self._resolved: dict[str, tuple[Handler, ...]] = {}
        self._endpoints: dict[str, Handler] = {}
        self._sequence = 0
        self._published = 0
        self._sent = 0

    # -- pub/sub ------------------------------------------------------------------------

    def subscribe(self, topic: str, handler: Handler, *, priority: int = 0) -> None:
        """Call ``handler(message)`` for every message published on a matching topic.

        Higher ``priority`` handlers run first; equal priorities run in subscription
        order. Subscribing the same handler to the same topic twice has no effect.
        """
        if not topic:
            raise ValueError("topic must be a non-empty string")
        if any(s.pattern == topic and s.handler == handler for s in self._subscriptions):
            return
        self._sequence += 1
        is_pattern = any(c in topic for c in "*?[")
        self._subscriptions.append(
            _Subscription(topic, handler, priority, self._sequence, is_pattern)
        )
        self._resolved.clear()

    def unsubscribe(self, topic: str, handler: Handler) -> None:
        """Remove a subscription; removing one that does not exist is a no-op."""
        kept = [s for s in self._subscriptions if not (s.pattern == topic and s.handler == handler)]
        if len(kept) != len(self._subscriptions):
            self._subscriptions = kept
            self._resolved.clear()

    def has_subscribers(self, topic: str) -> bool:
        """True if publishing on ``topic`` would reach at least one handler."""
        return bool(self._handlers_for(topic))

    def publish(self, topic: str, message: object) -> None:
        """Deliver ``message`` to every handler subscribed to ``topic``."""
        self._published += 1
        handlers = self._resolved.get(topic)
        if handlers is None:
            handlers = self._handlers_for(topic)
        for handler in handlers:
            handler(message)

    def _handlers_for(self, topic: str) -> tuple[Handler, ...]:
        cached = self._resolved.get(topic)
        if cached is not None:
            return cached
        matching = [
            s
            for s in self._subscriptions
            if (fnmatch.fnmatchcase(topic, s.pattern) if s.is_pattern else s.pattern == topic)
        ]
        matching.sort(key=lambda s: (-s.priority, s.sequence))
        handlers = tuple(s.handler for s in matching)
        self._resolved[topic] = handlers
        return handlers

    # -- endpoints -----------------------------------------------------------------------

    def register(self, endpoint: str, handler: Handler) -> None:
        """Make ``handler`` the receiver of ``send``/``request`` to ``endpoint``."""
        if endpoint in self._endpoints:
            raise ValueError(f"endpoint {endpoint!r} is already registered")
        self._endpoints[endpoint] = handler

    def deregister(self, endpoint: str) -> None:
        self._endpoints.pop(endpoint, None)

    def send(self, endpoint: str, message: object) -> None:
        """Deliver ``message`` to the endpoint's handler (a command, no reply)."""
        self._endpoint(endpoint)(message)

    def request(self, endpoint: str, request: object) -> Any:
        """Call the endpoint's handler with ``request`` and return its response."""
        return self._endpoint(endpoint)(request)

    def _endpoint(self, endpoint: str) -> Handler:
        self._sent += 1
        try:
            return self._endpoints[endpoint]
        except KeyError:
            raise UnknownEndpoint(f"no handler registered for endpoint {endpoint!r}") from None

    def statistics(self) -> MessageBusStatistics:
        return MessageBusStatistics(
            published=self._published,
            sent=self._sent,
            subscriptions=len(self._subscriptions),
            endpoints=len(self._endpoints),
        )
