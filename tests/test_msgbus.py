"""The message bus delivers in priority order, supports wildcards and endpoints."""

from __future__ import annotations

import pytest

from livetrade.msgbus import MessageBus, UnknownEndpoint


def test_publish_reaches_exact_and_wildcard_subscribers_in_priority_order() -> None:
    """Higher priority first, then subscription order; non-matching topics are skipped."""
    bus = MessageBus()
    seen: list[tuple[str, object]] = []
    bus.subscribe("data.quotes.BINANCE.ETHUSDT", lambda m: seen.append(("exact", m)))
    bus.subscribe("data.quotes.BINANCE.*", lambda m: seen.append(("venue", m)), priority=5)
    bus.subscribe("data.trades.*", lambda m: seen.append(("trades", m)))
    bus.subscribe("data.quotes.?INANCE.ETHUSDT", lambda m: seen.append(("single", m)))
    bus.publish("data.quotes.BINANCE.ETHUSDT", 1)
    bus.publish("data.quotes.OKX.ETHUSDT", 2)
    assert seen == [("venue", 1), ("exact", 1), ("single", 1)]


def test_subscribe_twice_is_idempotent_and_unsubscribe_stops_delivery() -> None:
    bus = MessageBus()
    seen: list[object] = []
    bus.subscribe("t", seen.append)
    bus.subscribe("t", seen.append)
    bus.publish("t", "a")
    bus.unsubscribe("t", seen.append)
    bus.publish("t", "b")
    assert seen == ["a"]
    assert not bus.has_subscribers("t")


def test_subscription_after_publish_is_picked_up() -> None:
    """The per-topic handler cache is invalidated by new subscriptions."""
    bus = MessageBus()
    seen: list[object] = []
    bus.publish("x.y", 0)
    bus.subscribe("x.*", seen.append)
    bus.publish("x.y", 1)
    assert seen == [1]


def test_endpoints_send_and_request() -> None:
    bus = MessageBus()
    received: list[object] = []
    bus.register("ExecEngine.execute", received.append)
    bus.register("Portfolio.balance", lambda venue: f"balance of {venue}")
    bus.send("ExecEngine.execute", "cmd")
    assert bus.request("Portfolio.balance", "BINANCE") == "balance of BINANCE"
    assert received == ["cmd"]
    with pytest.raises(ValueError, match="already registered"):
        bus.register("ExecEngine.execute", received.append)
    with pytest.raises(UnknownEndpoint, match="'Nope'"):
        bus.send("Nope", 1)
    stats = bus.statistics()
    assert (stats.sent, stats.endpoints, stats.published) == (3, 2, 0)
