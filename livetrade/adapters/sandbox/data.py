"""The sandbox's data client: instruments and a generated or replayed market.

Every quote and trade goes to the venue hub first (so the exchange matches on
it), then to the node when a strategy subscribed to that instrument's quotes or
trades: a real venue streams only what was asked for, and so does this one.

Timing is exact in virtual time: with ``rate = 10``, quote *n* is stamped
``start + n * 100 ms`` and is delivered at that moment. High rates are
delivered in batches of at most one millisecond, so a fast feed costs one
wake-up per millisecond, not per quote.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from livetrade.adapters.sandbox.config import SandboxInstrumentConfig, build_instrument
from livetrade.adapters.sandbox.feed import CsvProblem, RandomWalk, parse_csv
from livetrade.adapters.sandbox.venue import SandboxVenue
from livetrade.execution.messages import DataType
from livetrade.model.data import QuoteTick, TradeTick
from livetrade.model.identifiers import ClientId, InstrumentId, Venue
from livetrade.model.instruments import Instrument

if TYPE_CHECKING:
    from livetrade.adapters.base import ClientContext
    from livetrade.execution.messages import Subscribe, Unsubscribe

__all__ = ["SandboxDataClient"]

log = logging.getLogger(__name__)

_BATCH_SECS = 0.001


class SandboxDataClient:
    """Market data of one sandbox venue."""

    def __init__(
        self,
        client_id: str = "SANDBOX",
        venue: SandboxVenue | None = None,
        *,
        instruments: Sequence[SandboxInstrumentConfig] = (),
        rate: int = 10,
        trade_every: int = 5,
        seed: int = 1,
        replay_speed: float = 1.0,
    ) -> None:
        self._id = ClientId(client_id)
        self.hub = venue if venue is not None else SandboxVenue()
        self._venue = self.hub.venue
        self.specs = tuple(instruments) or (
            SandboxInstrumentConfig(symbol="BTCUSDT", base="BTC", quote="USDT"),
        )
        self.instruments: list[Instrument] = [
            build_instrument(self._venue.value, spec) for spec in self.specs
        ]
        self.rate = rate
        self.trade_every = trade_every
        self.seed = seed
        self.replay_speed = replay_speed
        self._quotes: set[InstrumentId] = set()
        self._trades: set[InstrumentId] = set()
        self._ctx: ClientContext | None = None
        self._first_subscription: dict[InstrumentId, trio.Event] = {}
        self.generated = 0
        self.paused = False
        self.skipped_rows = 0
        self.is_connected = False

    @property
    def id(self) -> ClientId:
        return self._id

    @property
    def venue(self) -> Venue:
        return self._venue

    async def connect(self, ctx: ClientContext, nursery: trio.Nursery) -> None:
        self._ctx = ctx
        for instrument in self.instruments:
            await ctx.data.send(instrument)
        for index, (spec, instrument) in enumerate(zip(self.specs, self.instruments, strict=True)):
            if spec.csv is not None:
                nursery.start_soon(self._replay, instrument, self._load_csv(instrument, spec.csv))
            else:
                walk = RandomWalk(
                    instrument,
                    seed=self.seed + 7919 * index,
                    start_price=spec.start_price,
                    spread_ticks=spec.spread_ticks,
                    step_ticks=spec.step_ticks,
                    min_size_lots=spec.min_size_lots,
                    max_size_lots=spec.max_size_lots,
                    trade_every=self.trade_every,
                )
                nursery.start_soon(self._walk, walk)
        self.is_connected = True

    async def disconnect(self) -> None:
        self.is_connected = False

    def subscribe(self, command: Subscribe) -> None:
        target = self._target(command.data_type)
        if target is not None:
            target.add(command.instrument_id)
            self._wanted(command.instrument_id).set()

    def unsubscribe(self, command: Unsubscribe) -> None:
        target = self._target(command.data_type)
        if target is not None:
            target.discard(command.instrument_id)

    def _wanted(self, instrument_id: InstrumentId) -> trio.Event:
        event = self._first_subscription.get(instrument_id)
        if event is None:
            event = self._first_subscription[instrument_id] = trio.Event()
        return event

    def _target(self, data_type: DataType) -> set[InstrumentId] | None:
        if data_type is DataType.QUOTES:
            return self._quotes
        if data_type is DataType.TRADES:
            return self._trades
        if data_type is not DataType.INSTRUMENT:
            log.warning(
                "sandbox %s: %s data is not simulated (ignored)", self._venue, data_type.name
            )
        return None

    def pause(self) -> None:
        """Freeze the market: no quote or trade is produced until ``resume()``."""
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    async def _deliver(self, records: list[QuoteTick | TradeTick]) -> None:
        if self.paused:
            return
        self.hub.on_market_batch(records)
        self.generated += len(records)
        quotes, trades = self._quotes, self._trades
        wanted = [
            r for r in records if r.instrument_id in (quotes if type(r) is QuoteTick else trades)
        ]
        if wanted:
            await self._context.data.send_many(wanted)

    @property
    def _context(self) -> ClientContext:
        if self._ctx is None:
            raise RuntimeError(f"{self._id} is not connected")
        return self._ctx

    async def _walk(self, walk: RandomWalk) -> None:
        """Quote ``n`` is due at ``start + n / rate``; deliver what is due, then sleep."""
        clock = self._context.clock
        interval_ns = 1_000_000_000 // self.rate
        batch_secs = max(1 / self.rate, _BATCH_SECS)
        start = trio.current_time()
        start_ns = clock.timestamp_ns()
        sent = 0
        wake = start
        while True:
            wake += batch_secs
            await trio.sleep_until(wake)
            due = math.floor((trio.current_time() - start) * self.rate + 1e-9)
            if due > sent:
                records = walk.records(due - sent, start_ns + (sent + 1) * interval_ns, interval_ns)
                sent = due
                await self._deliver(records)

    def _load_csv(self, instrument: Instrument, path: Path) -> list[QuoteTick | TradeTick]:
        """Read and check the whole file during connect (a bad file fails the start early).

        Synchronous on purpose: a thread would let a test's autojump clock run ahead
        while the file is read.
        """
        records: list[QuoteTick | TradeTick] = []
        with path.open(encoding="utf-8") as lines:
            for item in parse_csv(instrument, lines):
                if isinstance(item, CsvProblem):
                    self.skipped_rows += 1
                    log.warning(
                        "sandbox %s: %s line %d skipped: %s (%s)",
                        self._venue,
                        path,
                        item.line,
                        item.problem,
                        ",".join(item.row),
                    )
                else:
                    records.append(item)
        if not records:
            log.warning("sandbox %s: %s has no usable rows", self._venue, path)
        return records

    async def _replay(self, instrument: Instrument, records: list[QuoteTick | TradeTick]) -> None:
        """Replay recorded quotes/trades with their spacing (scaled by ``replay_speed``).

        The replay starts at the first subscription to the instrument's data.
        """
        if not records:
            return
        # A recording is finite: start it when a strategy first asks for the instrument,
        # so nothing recorded is lost to a subscription made after connect.
        await self._wanted(instrument.instrument_id).wait()
        clock = self._context.clock
        start = trio.current_time()
        start_ns = clock.timestamp_ns()
        first = records[0].ts_event
        for record in records:
            offset_ns = (record.ts_event - first) / self.replay_speed
            await trio.sleep_until(start + offset_ns / 1e9)
            ts = start_ns + int(offset_ns)
            if type(record) is QuoteTick:
                stamped: QuoteTick | TradeTick = QuoteTick(
                    instrument_id=record.instrument_id,
                    bid_price=record.bid_price,
                    ask_price=record.ask_price,
                    bid_size=record.bid_size,
                    ask_size=record.ask_size,
                    ts_event=ts,
                    ts_init=ts,
                )
            else:
                assert isinstance(record, TradeTick)
                stamped = TradeTick(
                    instrument_id=record.instrument_id,
                    price=record.price,
                    size=record.size,
                    aggressor_side=record.aggressor_side,
                    trade_id=record.trade_id,
                    ts_event=ts,
                    ts_init=ts,
                )
            await self._deliver([stamped])
        log.info("sandbox %s: replay of %s finished", self._venue, instrument.instrument_id)
