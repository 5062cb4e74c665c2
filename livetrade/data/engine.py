"""The data engine: routes subscriptions to clients and market data into cache and bus.

It runs inside the dispatcher, so every method is synchronous. The quote path
is the node's hottest: one dict lookup for the handler by type, one deque append
in the cache and one publish on a topic string built once per instrument.

Topics (``MessageBus`` patterns may use ``*``):

- ``data.quotes.{instrument_id}``, ``data.trades.{instrument_id}``,
  ``data.book.deltas.{instrument_id}``, ``data.instrument.{instrument_id}``.

Subscriptions are counted per (data type, instrument): the client is asked once
when the first subscriber arrives and told to stop when the last one leaves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from livetrade.execution.messages import DataCommand, DataType, Subscribe, Unsubscribe
from livetrade.model.data import OrderBookDeltas, QuoteTick, TradeTick
from livetrade.model.instruments import Instrument

if TYPE_CHECKING:
    from livetrade.adapters.base import DataClient
    from livetrade.cache.cache import Cache
    from livetrade.model.identifiers import ClientId, InstrumentId, Venue
    from livetrade.msgbus import MessageBus

__all__ = ["DataEngine", "DataEngineStatistics", "topic_for"]

log = logging.getLogger(__name__)

_TOPIC_PREFIX = {
    DataType.QUOTES: "data.quotes.",
    DataType.TRADES: "data.trades.",
    DataType.ORDER_BOOK_DELTAS: "data.book.deltas.",
    DataType.INSTRUMENT: "data.instrument.",
}


def topic_for(data_type: DataType, instrument_id: InstrumentId) -> str:
    """The bus topic on which ``data_type`` for ``instrument_id`` is published."""
    return _TOPIC_PREFIX[data_type] + instrument_id.value


@attrs.frozen
class DataEngineStatistics:
    """Counters for observability."""

    commands: int
    data: int
    unknown: int
    subscriptions: dict[str, int]


class DataEngine:
    """Subscriptions to data clients; instruments and market data into cache and bus."""

    def __init__(self, cache: Cache, bus: MessageBus) -> None:
        self._cache = cache
        self._bus = bus
        self._clients: dict[ClientId, DataClient] = {}
        self._by_venue: dict[Venue, DataClient] = {}
        self._default: DataClient | None = None
        self._subscribers: dict[tuple[DataType, InstrumentId], int] = {}
        self._topics: dict[DataType, dict[InstrumentId, str]] = {t: {} for t in DataType}
        self._quote_topics = self._topics[DataType.QUOTES]
        self._handlers: dict[type, Callable[[Any], None]] = {
            QuoteTick: self._on_quote,
            TradeTick: self._on_trade,
            OrderBookDeltas: self._on_deltas,
        }
        self.commands = 0
        self.data = 0
        self.unknown = 0

    # -- clients ---------------------------------------------------------------------------

    def register_client(self, client: DataClient) -> None:
        """Route commands for ``client.venue`` (or any venue, if None) to ``client``."""
        if client.id in self._clients:
            raise ValueError(f"data client {client.id} is already registered")
        self._clients[client.id] = client
        if client.venue is None:
            self._default = self._default or client
        else:
            self._by_venue.setdefault(client.venue, client)

    @property
    def clients(self) -> list[DataClient]:
        return list(self._clients.values())

    def client_for(self, command: DataCommand) -> DataClient | None:
        if command.client_id is not None:
            return self._clients.get(command.client_id)
        return self._by_venue.get(command.instrument_id.venue, self._default)

    # -- commands --------------------------------------------------------------------------

    def execute(self, command: object) -> None:
        """Handle a ``Subscribe`` or ``Unsubscribe`` from the data-commands stream."""
        self.commands += 1
        if not isinstance(command, Subscribe | Unsubscribe):
            log.error("data engine: unexpected command %r (ignored)", command)
            return
        key = (command.data_type, command.instrument_id)
        count = self._subscribers.get(key, 0)
        if isinstance(command, Subscribe):
            self._subscribers[key] = count + 1
            if count == 0:
                self._forward(command, "subscribe")
        elif count > 0:
            if count == 1:
                del self._subscribers[key]
                self._forward(command, "unsubscribe")
            else:
                self._subscribers[key] = count - 1

    def _forward(self, command: Subscribe | Unsubscribe, action: str) -> None:
        client = self.client_for(command)
        if client is None:
            log.error(
                "no data client for %s %s %s (client_id=%s)",
                action,
                command.data_type.value,
                command.instrument_id,
                command.client_id,
            )
            return
        if isinstance(command, Subscribe):
            client.subscribe(command)
        else:
            client.unsubscribe(command)

    # -- data --------------------------------------------------------------------------------

    def process(self, item: object) -> None:
        """Handle one item from the data-events stream."""
        handler = self._handlers.get(type(item))
        if handler is not None:
            self.data += 1
            handler(item)
        elif isinstance(item, Instrument):
            self._on_instrument(item)
        else:
            self.unknown += 1
            log.warning("data engine: unknown data item %r (skipped)", item)

    def _topic(self, data_type: DataType, instrument_id: InstrumentId) -> str:
        topics = self._topics[data_type]
        topic = topics.get(instrument_id)
        if topic is None:
            topic = topics[instrument_id] = topic_for(data_type, instrument_id)
        return topic

    def _on_quote(self, tick: QuoteTick) -> None:
        self._cache.add_quote_tick(tick)
        topic = self._quote_topics.get(tick.instrument_id)
        if topic is None:
            topic = self._topic(DataType.QUOTES, tick.instrument_id)
        self._bus.publish(topic, tick)

    def _on_trade(self, tick: TradeTick) -> None:
        self._cache.add_trade_tick(tick)
        self._bus.publish(self._topic(DataType.TRADES, tick.instrument_id), tick)

    def _on_deltas(self, deltas: OrderBookDeltas) -> None:
        self._cache.apply_book_deltas(deltas)
        self._bus.publish(self._topic(DataType.ORDER_BOOK_DELTAS, deltas.instrument_id), deltas)

    def _on_instrument(self, instrument: Instrument) -> None:
        self.data += 1
        self._cache.add_instrument(instrument)
        self._bus.publish(self._topic(DataType.INSTRUMENT, instrument.instrument_id), instrument)

    def statistics(self) -> DataEngineStatistics:
        return DataEngineStatistics(
            commands=self.commands,
            data=self.data,
            unknown=self.unknown,
            subscriptions={f"{t.value}:{i}": n for (t, i), n in self._subscribers.items()},
        )
