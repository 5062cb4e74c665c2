"""Where the sandbox's market comes from: a seeded random walk, or a CSV replay.

Both are pure (no trio, no clock): the data client asks for the records due at
a given virtual time and delivers them. A random walk with the same seed and
rate produces the same quotes at the same timestamps on every run, so a test
or a benchmark is reproducible to the nanosecond.

The random walk is also the benchmark's load generator, so it avoids work per
quote: prices and sizes are cached fixed-point objects, and one quote costs a
few random draws and one ``QuoteTick``.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import attrs

from livetrade.model.data import QuoteTick, TradeTick
from livetrade.model.enums import AggressorSide
from livetrade.model.identifiers import InstrumentId, TradeId
from livetrade.model.instruments import Instrument
from livetrade.model.quantities import Price, Quantity

__all__ = ["CsvProblem", "RandomWalk", "parse_csv"]

_NS: Final = 1_000_000_000


def _slot_setters() -> tuple[Callable[[QuoteTick, Any], None], ...]:
    names = ("instrument_id", "bid_price", "ask_price", "bid_size", "ask_size")
    return tuple(QuoteTick.__dict__[name].__set__ for name in (*names, "ts_event", "ts_init"))


_SET_ID, _SET_BID, _SET_ASK, _SET_BID_SIZE, _SET_ASK_SIZE, _SET_TS, _SET_TS_INIT = _slot_setters()
_new = object.__new__


def _fast_quote(
    instrument_id: InstrumentId,
    bid: Price,
    ask: Price,
    bid_size: Quantity,
    ask_size: Quantity,
    ts: int,
) -> QuoteTick:
    """A ``QuoteTick`` equal to the one its constructor builds, at half the cost.

    ``QuoteTick`` is a frozen slotted class: its generated ``__init__`` parses
    keywords and goes through ``object.__setattr__`` per field. The generator is
    the benchmarks' load source, so it fills the slots through their descriptors
    directly (the values are already checked by construction here).
    """
    quote: QuoteTick = _new(QuoteTick)
    _SET_ID(quote, instrument_id)
    _SET_BID(quote, bid)
    _SET_ASK(quote, ask)
    _SET_BID_SIZE(quote, bid_size)
    _SET_ASK_SIZE(quote, ask_size)
    _SET_TS(quote, ts)
    _SET_TS_INIT(quote, ts)
    return quote


class RandomWalk:
    """Quotes (and some trades) of one instrument, a seeded walk in price ticks."""

    def __init__(
        self,
        instrument: Instrument,
        *,
        seed: int,
        start_price: Decimal,
        spread_ticks: int = 2,
        step_ticks: int = 5,
        min_size_lots: int = 100,
        max_size_lots: int = 5_000,
        trade_every: int = 5,
    ) -> None:
        self.instrument = instrument
        self._id = instrument.instrument_id
        self._rng = random.Random(seed)
        increment = instrument.price_increment.as_decimal()
        self._tick = instrument.price_increment.raw
        self._price_precision = instrument.price_precision
        self._mid_ticks = max(int(start_price / increment), spread_ticks + 1)
        self._spread = spread_ticks
        self._step = step_ticks
        self._floor = spread_ticks + 1
        self._prices: dict[int, Price] = {}
        lot = instrument.size_increment.raw
        precision = instrument.size_precision
        size_rng = random.Random(seed + 1)
        self._sizes = [
            Quantity.from_raw(lot * size_rng.randint(min_size_lots, max_size_lots), precision)
            for _ in range(64)
        ]
        self._trade_every = trade_every
        self._count = 0
        self._trades = 0

    def _price(self, ticks: int) -> Price:
        price = self._prices.get(ticks)
        if price is None:
            if len(self._prices) > 100_000:
                self._prices.clear()
            price = self._prices[ticks] = Price.from_raw(ticks * self._tick, self._price_precision)
        return price

    def step(self, ts: int) -> QuoteTick:
        """The next quote, stamped ``ts``."""
        return self.quotes(1, ts, 0)[0]

    def quotes(self, count: int, ts_start: int, interval_ns: int) -> list[QuoteTick]:
        """``count`` quotes stamped ``ts_start``, ``ts_start + interval_ns``, ...

        One uniform draw moves the mid by up to ``step_ticks`` either way and a
        second picks both sizes; everything else is looked up, not built.
        """
        random_ = self._rng.random
        width = 2 * self._step + 1
        step, floor, spread = self._step, self._floor, self._spread
        half = spread // 2
        sizes = self._sizes
        count_sizes = len(sizes)
        prices = self._prices
        price_of = self._price
        instrument_id = self._id
        mid = self._mid_ticks
        out: list[QuoteTick] = []
        append = out.append
        fast_quote = _fast_quote
        ts = ts_start
        for _ in range(count):
            mid += int(random_() * width) - step
            if mid < floor:
                mid = floor
            bid = mid - half
            ask = bid + spread
            bid_price = prices.get(bid) or price_of(bid)
            ask_price = prices.get(ask) or price_of(ask)
            pick = int(random_() * count_sizes * count_sizes)
            append(
                fast_quote(
                    instrument_id,
                    bid_price,
                    ask_price,
                    sizes[pick // count_sizes],
                    sizes[pick % count_sizes],
                    ts,
                )
            )
            ts += interval_ns
        self._mid_ticks = mid
        self._count += count
        return out

    def records(self, count: int, ts_start: int, interval_ns: int) -> list[QuoteTick | TradeTick]:
        """Like ``quotes``, with a public trade after every ``trade_every``-th quote."""
        every = self._trade_every
        before = self._count
        quotes = self.quotes(count, ts_start, interval_ns)
        if every <= 0:
            return list(quotes)
        out: list[QuoteTick | TradeTick] = []
        for index, quote in enumerate(quotes, start=before + 1):
            out.append(quote)
            if index % every == 0:
                out.append(self.trade(quote))
        return out

    def trade(self, quote: QuoteTick) -> TradeTick:
        """A public trade at the touch of ``quote`` (buyer or seller initiated)."""
        self._trades += 1
        buyer = self._rng.random() < 0.5
        return TradeTick(
            instrument_id=self._id,
            price=quote.ask_price if buyer else quote.bid_price,
            size=self._sizes[0],
            aggressor_side=AggressorSide.BUYER if buyer else AggressorSide.SELLER,
            trade_id=TradeId(f"{self._id.symbol}-P{self._trades}"),
            ts_event=quote.ts_event,
            ts_init=quote.ts_init,
        )


@attrs.frozen(kw_only=True, slots=True)
class CsvProblem:
    """A CSV row that could not be read (the replay logs it and goes on)."""

    line: int
    problem: str
    row: tuple[str, ...]


QUOTE_COLUMNS: Final = ("timestamp", "bid_price", "ask_price", "bid_size", "ask_size")
TRADE_COLUMNS: Final = ("timestamp", "price", "size", "side")


def _timestamp(text: str) -> int:
    """Nanoseconds from an integer (ns) or a decimal number of seconds."""
    if text.isdigit():
        return int(text)
    return int(Decimal(text) * _NS)


def parse_csv(
    instrument: Instrument, lines: Iterable[str]
) -> Iterator[QuoteTick | TradeTick | CsvProblem]:
    """Quotes or trades from CSV text; timestamps are kept as recorded.

    The header decides the kind: ``timestamp,bid_price,ask_price,bid_size,ask_size``
    for quotes, ``timestamp,price,size,side`` (side BUY/SELL, the aggressor) for
    trades. Timestamps are integer nanoseconds or decimal seconds. A row that does
    not parse, or is off the instrument's grid, comes out as a ``CsvProblem``.
    """
    reader = csv.reader(lines)
    header = tuple(column.strip() for column in next(reader, ()))
    if header not in (QUOTE_COLUMNS, TRADE_COLUMNS):
        yield CsvProblem(
            line=1,
            problem=f"header must be {','.join(QUOTE_COLUMNS)} or {','.join(TRADE_COLUMNS)}",
            row=header,
        )
        return
    quotes = header == QUOTE_COLUMNS
    instrument_id = instrument.instrument_id
    for number, row in enumerate(reader, start=2):
        if not row or not "".join(row).strip():
            continue
        try:
            cells = [cell.strip() for cell in row]
            if len(cells) != len(header):
                raise ValueError(f"expected {len(header)} columns, got {len(cells)}")
            ts = _timestamp(cells[0])
            if quotes:
                record: QuoteTick | TradeTick = QuoteTick(
                    instrument_id=instrument_id,
                    bid_price=_price(instrument, cells[1]),
                    ask_price=_price(instrument, cells[2]),
                    bid_size=_size(instrument, cells[3]),
                    ask_size=_size(instrument, cells[4]),
                    ts_event=ts,
                    ts_init=ts,
                )
            else:
                side = cells[3].upper()
                if side not in ("BUY", "SELL"):
                    raise ValueError(f"side must be BUY or SELL, got {cells[3]!r}")
                record = TradeTick(
                    instrument_id=instrument_id,
                    price=_price(instrument, cells[1]),
                    size=_size(instrument, cells[2]),
                    aggressor_side=AggressorSide.BUYER if side == "BUY" else AggressorSide.SELLER,
                    trade_id=TradeId(f"{instrument_id.symbol}-CSV{number}"),
                    ts_event=ts,
                    ts_init=ts,
                )
        except (ValueError, InvalidOperation, ArithmeticError) as exc:
            yield CsvProblem(line=number, problem=str(exc) or type(exc).__name__, row=tuple(row))
            continue
        yield record


def _price(instrument: Instrument, text: str) -> Price:
    price = Price(Decimal(text), instrument.price_precision)
    problem = instrument.check_price(price)
    if problem:
        raise ValueError(problem)
    return price


def _size(instrument: Instrument, text: str) -> Quantity:
    size = Quantity(Decimal(text), instrument.size_precision)
    problem = instrument.check_quantity(size)
    if problem:
        raise ValueError(problem)
    return size
