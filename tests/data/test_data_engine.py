"""The data engine: subscription counting per client, data into cache and bus."""

from __future__ import annotations

import logging

import pytest

from livetrade.cache import Cache
from livetrade.data.engine import DataEngine, topic_for
from livetrade.execution.messages import DataType, Subscribe, Unsubscribe
from livetrade.model import ClientId, InstrumentId, Price, Quantity, QuoteTick, Venue
from livetrade.msgbus import MessageBus
from livetrade.testing.scripted import make_instrument

BTC = InstrumentId("BTCUSDT.SIM")


class Client:
    def __init__(self, name: str, venue: str | None) -> None:
        self.id = ClientId(name)
        self.venue = None if venue is None else Venue(venue)
        self.calls: list[str] = []

    def subscribe(self, command: Subscribe) -> None:
        self.calls.append(f"sub {command.data_type.value} {command.instrument_id}")

    def unsubscribe(self, command: Unsubscribe) -> None:
        self.calls.append(f"unsub {command.data_type.value} {command.instrument_id}")


def engine() -> tuple[DataEngine, Cache, MessageBus, Client, Client]:
    cache, bus = Cache(), MessageBus()
    data = DataEngine(cache, bus)
    sim, anywhere = Client("SIM", "SIM"), Client("ANY", None)
    data.register_client(sim)  # type: ignore[arg-type]
    data.register_client(anywhere)  # type: ignore[arg-type]
    return data, cache, bus, sim, anywhere


def test_client_is_asked_once_per_stream_and_released_by_the_last_subscriber() -> None:
    data, _cache, _bus, sim, anywhere = engine()
    sub = Subscribe(data_type=DataType.QUOTES, instrument_id=BTC, ts_init=0)
    unsub = Unsubscribe(data_type=DataType.QUOTES, instrument_id=BTC, ts_init=0)
    data.execute(sub)
    data.execute(sub)
    data.execute(unsub)
    assert sim.calls == ["sub QUOTES BTCUSDT.SIM"]
    data.execute(unsub)
    data.execute(unsub)  # one too many: ignored
    assert sim.calls == ["sub QUOTES BTCUSDT.SIM", "unsub QUOTES BTCUSDT.SIM"]
    other = InstrumentId("ETHUSD.OTHER")
    data.execute(Subscribe(data_type=DataType.TRADES, instrument_id=other, ts_init=0))
    assert anywhere.calls == ["sub TRADES ETHUSD.OTHER"]  # the multi-venue client


def test_explicit_client_id_wins_and_unknown_clients_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data, _cache, _bus, sim, anywhere = engine()
    data.execute(
        Subscribe(
            data_type=DataType.QUOTES, instrument_id=BTC, ts_init=0, client_id=ClientId("ANY")
        )
    )
    assert (sim.calls, anywhere.calls) == ([], ["sub QUOTES BTCUSDT.SIM"])
    with caplog.at_level(logging.ERROR):
        data.execute(
            Subscribe(
                data_type=DataType.TRADES, instrument_id=BTC, ts_init=0, client_id=ClientId("NOPE")
            )
        )
    assert "no data client for subscribe TRADES BTCUSDT.SIM" in caplog.text


def test_data_reaches_cache_and_bus(caplog: pytest.LogCaptureFixture) -> None:
    data, cache, bus, _sim, _any = engine()
    got: list[object] = []
    bus.subscribe(topic_for(DataType.QUOTES, BTC), got.append)
    bus.subscribe("data.instrument.*", got.append)
    instrument = make_instrument()
    tick = QuoteTick(
        instrument_id=BTC,
        bid_price=Price("1.00"),
        ask_price=Price("1.01"),
        bid_size=Quantity("1"),
        ask_size=Quantity("1"),
        ts_event=1,
        ts_init=1,
    )
    data.process(instrument)
    data.process(tick)
    with caplog.at_level(logging.WARNING):
        data.process("garbage")
    assert got == [instrument, tick]
    assert cache.instrument(BTC) is instrument and cache.quote_tick(BTC) is tick
    stats = data.statistics()
    assert (stats.data, stats.unknown) == (2, 1)
    assert "unknown data item 'garbage' (skipped)" in caplog.text
