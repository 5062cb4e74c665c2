"""livetrade benchmarks: ``python scripts/bench.py SUITE`` prints one JSON object.

Suites measure, they do not assert: compare numbers across commits and machines.

- ``model``: cost of the pure domain model's hot operations.
- ``runtime``: a real ``LiveNode`` (``LiveClock``, ``trio.run``) fed by a scripted
  data client: quote throughput into a strategy, tick-to-order latency at 10,000
  quotes/s and at the maximum rate, RSS over two million quotes, and the stop time.
  ``--profile`` prints cProfile summaries of the throughput phase and of the
  maximum-rate tick-to-order phase to stderr (and slows both down).
- ``reconciliation``: startup reconciliation's pure function on a mass status of
  1,000 and 10,000 orders (three fills each) against an empty cache and against a
  cache that knows half of it, and the cost of applying the result.
- ``soak``: 24 virtual hours at 50 orders a minute with purging (``MockClock``):
  orders left in memory and RSS after the first hour and at the end (``bench_soak.py``).

See ``docs/benchmarks.md`` for what each number means.
"""

from __future__ import annotations

import argparse
import array
import cProfile
import gc
import io
import json
import math
import os
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal

import trio

import livetrade
from bench_persistence import bench_persistence  # scripts/ is on sys.path
from bench_sandbox import bench_sandbox
from bench_soak import SOAK_HOURS, SOAK_RATE, bench_soak
from livetrade import LiveNode, NodeConfig, NodeHandle, RunResult, Strategy
from livetrade.cache import Cache
from livetrade.config.engines import RiskEngineConfig
from livetrade.config.persistence import CacheConfig
from livetrade.execution.engine import ExecutionEngine
from livetrade.execution.messages import SubmitOrder
from livetrade.execution.reconciliation import ReconciliationSettings, reconcile_mass_status
from livetrade.model.data import QuoteTick
from livetrade.model.enums import (
    LiquiditySide,
    OmsType,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    TimeInForce,
)
from livetrade.model.events import OrderFilled
from livetrade.model.identifiers import (
    AccountId,
    ClientId,
    ClientOrderId,
    InstrumentId,
    TradeId,
    TraderId,
    Venue,
    VenueOrderId,
)
from livetrade.model.money import Currency, Money
from livetrade.model.orders import Order
from livetrade.model.quantities import Price, Quantity
from livetrade.model.reports import (
    ExecutionMassStatus,
    FillReport,
    OrderStatusReport,
    PositionStatusReport,
)
from livetrade.msgbus import MessageBus
from livetrade.node.clocks import LiveClock
from livetrade.risk.engine import RiskEngine
from livetrade.testing import OrderEvents, make_order
from livetrade.testing.scripted import (
    ScriptedDataClient,
    ScriptedExecutionClient,
    make_instrument,
)

# -- model ------------------------------------------------------------------------------------


def _orders_and_fills(count: int) -> tuple[list[Order], list[OrderFilled]]:
    """Accepted LIMIT orders and, for each, one partial fill not yet applied."""
    orders: list[Order] = []
    fills: list[OrderFilled] = []
    for i in range(count):
        order = make_order(f"O-{i}", quantity="2.000", price="1500.25")
        events = OrderEvents(order)
        order.apply(events.submitted())
        order.apply(events.accepted())
        orders.append(order)
        fills.append(events.filled("0.500", commission="0.75012500"))
    return orders, fills


def _fill_apply_us(batches: int = 40, batch_size: int = 1000) -> float:
    """Median over batches of the mean cost of one ``Order.apply(OrderFilled)``."""
    results: list[float] = []
    for _ in range(batches):
        orders, fills = _orders_and_fills(batch_size)
        pairs = list(zip(orders, fills, strict=True))
        start = time.perf_counter_ns()
        for order, fill in pairs:
            order.apply(fill)
        elapsed = time.perf_counter_ns() - start
        results.append(elapsed / batch_size / 1000)
    return statistics.median(results)


def _price_ops_per_sec(total_ops: int = 1_000_000) -> float:
    """Additions and comparisons of Price and Quantity (half each), per second."""
    prices = [Price(f"{100 + i % 97}.{i % 100:02d}") for i in range(1000)]
    qtys = [Quantity(f"{i % 13}.{i % 1000:03d}") for i in range(1000)]
    rounds = total_ops // 4000  # each inner iteration does 4 operations
    start = time.perf_counter()
    acc_p = Price("0.00")
    acc_q = Quantity("0.000")
    hits = 0
    for _ in range(rounds):
        for p, q in zip(prices, qtys, strict=True):
            acc_p = acc_p + p
            acc_q = acc_q + q
            if p > acc_p:
                hits += 1
            if q <= acc_q:
                hits += 1
    elapsed = time.perf_counter() - start
    return (rounds * 4000) / elapsed


def bench_model(args: argparse.Namespace) -> dict[str, object]:
    return {
        "suite": "model",
        "fill_apply_us": round(_fill_apply_us(), 3),
        "price_ops_per_sec": round(_price_ops_per_sec()),
    }


# -- runtime ----------------------------------------------------------------------------------

#: quotes the throughput phase pushes (``--quotes``); RSS is read after the first million
THROUGHPUT_QUOTES = 2_000_000
RSS_CHECKPOINT = 1_000_000
#: quotes pushed (and waited for) before each timed phase
WARMUP_QUOTES = 20_000
#: distinct pre-built quotes, cycled; more than the cache keeps (10,000 per instrument)
QUOTE_POOL = 20_000
#: quotes a batching producer queues with ``push_nowait`` before it yields once
PUSH_BATCH = 64
#: the latency strategy submits a LIMIT order on every ORDER_EVERY-th quote
ORDER_EVERY = 10
PACED_RATE = 10_000  # quotes per second
PACED_SECS = 3.0
MAX_RATE_QUOTES = 200_000
#: raised from the default 100/00:00:01 so no benchmark order is throttled (no bypass)
SUBMIT_RATE = "1000000/00:00:01"
#: a phase that has not completed after this long is a bug, not a slow machine
PHASE_TIMEOUT_SECS = 600.0


def _rss_mb() -> float:
    """Current resident set size (``VmRSS``), in MiB; the peak where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return _peak_rss_mb()


def _peak_rss_mb() -> float:
    import resource  # Unix only

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class _GcWatch:
    """Counts the cyclic garbage collector's runs per generation and their longest pause."""

    def __init__(self) -> None:
        self.runs = [0, 0, 0]
        self.max_pause_ns = [0, 0, 0]
        self.paused = False
        self._started = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if self.paused:
            return
        if phase == "start":
            self._started = time.perf_counter_ns()
            return
        generation = info["generation"]
        self.runs[generation] += 1
        pause = time.perf_counter_ns() - self._started
        self.max_pause_ns[generation] = max(self.max_pause_ns[generation], pause)


def _quote_pool(instrument_id: InstrumentId, size: int = QUOTE_POOL) -> list[QuoteTick]:
    """Distinct quotes on the instrument's grid, built before any timing starts."""
    ts = time.time_ns()
    ticks: list[QuoteTick] = []
    for i in range(size):
        cents = 150_000 + i % 500
        ticks.append(
            QuoteTick(
                instrument_id=instrument_id,
                bid_price=Price.from_raw(cents * 10_000_000, 2),
                ask_price=Price.from_raw((cents + 1) * 10_000_000, 2),
                bid_size=Quantity.from_raw((1 + i % 97) * 1_000_000, 3),
                ask_size=Quantity.from_raw((1 + i % 89) * 1_000_000, 3),
                ts_event=ts + i,
                ts_init=ts + i,
            )
        )
    return ticks


class _BenchStrategy(Strategy):
    """Counts quotes; in order mode submits a LIMIT order on every ``order_every``-th one.

    Quotes of a phase are numbered from 0 in arrival order (the data stream is FIFO
    and only the producer writes to it), so ``origin`` maps each order to the
    number of the quote that caused it, whose send time is in the producer's
    ``send_ns`` table, and to the time ``on_quote_tick`` started on that quote.
    """

    def __init__(self, instrument_id: InstrumentId) -> None:
        super().__init__()
        self.instrument_id = instrument_id
        self.quantity = Quantity("0.010")
        self.order_every = 0
        self.seen = 0
        self.target = 0
        self.reached_ns = 0
        self.reached: trio.Event | None = None
        self.origin: dict[ClientOrderId, tuple[int, int]] = {}

    def begin(self, target: int, order_every: int = 0) -> trio.Event:
        """Start a phase of ``target`` quotes; the event is set when the last one arrived."""
        self.seen = 0
        self.target = target
        self.order_every = order_every
        self.origin = {}
        self.reached = trio.Event()
        return self.reached

    def on_start(self) -> None:
        self.subscribe_quote_ticks(self.instrument_id)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        seq = self.seen
        self.seen = seq + 1
        every = self.order_every
        if every and seq % every == 0:
            hook_ns = time.perf_counter_ns()
            init = self.order_factory.limit(
                self.instrument_id, OrderSide.BUY, self.quantity, tick.bid_price
            )
            self.origin[init.client_order_id] = (seq, hook_ns)
            self.submit_order(init)
        if seq + 1 == self.target:
            self.reached_ns = time.perf_counter_ns()
            if self.reached is not None:
                self.reached.set()


class _StampingVenue(ScriptedExecutionClient):
    """Stamps each ``SubmitOrder`` as it arrives (after risk and the execution engine).

    It answers nothing while measuring, so the venue side costs nothing; ``release``
    then accepts the held orders, so the node stops with nothing in flight.
    """

    def __init__(self) -> None:
        super().__init__(on_submit="accept")
        # an empty mass status: startup reconciliation finds nothing (and says nothing)
        self.mass_status = ExecutionMassStatus(
            client_id=self.id, account_id=self.account_id, venue=self.venue, ts_init=time.time_ns()
        )
        self.arrivals: list[tuple[ClientOrderId, int]] = []
        self.held: list[SubmitOrder] = []
        self.expected = 0
        self.all_arrived: trio.Event | None = None

    def expect(self, count: int) -> trio.Event:
        self.arrivals = []
        self.expected = count
        self.all_arrived = trio.Event()
        return self.all_arrived

    def submit_order(self, command: SubmitOrder) -> None:
        now = time.perf_counter_ns()
        arrivals = self.arrivals
        arrivals.append((command.order.client_order_id, now))
        self.held.append(command)
        if len(arrivals) == self.expected and self.all_arrived is not None:
            self.all_arrived.set()

    def release(self) -> None:
        """Accept every held order (through the scripted reply task)."""
        held, self.held = self.held, []
        for command in held:
            super().submit_order(command)


def _build_node(
    config: NodeConfig,
) -> tuple[LiveNode, ScriptedDataClient, _StampingVenue, _BenchStrategy, list[QuoteTick]]:
    """A node on the real ``LiveClock`` with a scripted data client, venue and the strategy."""
    instrument = make_instrument()
    node = LiveNode(config)
    data = ScriptedDataClient(instruments=[instrument])
    venue = _StampingVenue()
    strategy = _BenchStrategy(instrument.instrument_id)
    node.add_data_client(data)
    node.add_exec_client(venue)
    node.add_strategy(strategy)
    return node, data, venue, strategy, _quote_pool(instrument.instrument_id)


class _NodeRun:
    """``node.run`` for ``nursery.start``; records when it returned (``perf_counter_ns``)."""

    def __init__(self, node: LiveNode) -> None:
        self.node = node
        self.returned_ns = 0
        self.result: RunResult | None = None

    async def run(  # noqa: ASYNC128
        self, *, task_status: trio.TaskStatus[NodeHandle] = trio.TASK_STATUS_IGNORED
    ) -> None:
        self.result = await self.node.run(handle_signals=False, task_status=task_status)
        self.returned_ns = time.perf_counter_ns()


async def _push(data: ScriptedDataClient, pool: list[QuoteTick], start: int, stop: int) -> None:
    """Quotes ``start`` to ``stop - 1`` of the cycled pool, back to back, one ``await`` each."""
    push = data.push
    size = len(pool)
    for i in range(start, stop):
        await push(pool[i % size])


async def _push_batched(data: ScriptedDataClient, pool: list[QuoteTick], count: int) -> None:
    """``count`` quotes, PUSH_BATCH at a time with ``push_nowait``, yielding once per batch.

    This is an adapter that decoded several messages from one read: the node's
    cost per quote without one scheduler round trip per quote.
    """
    push_nowait = data.push_nowait
    size = len(pool)
    for i in range(count):
        try:
            push_nowait(pool[i % size])
        except trio.WouldBlock:
            await data.push(pool[i % size])
        if i % PUSH_BATCH == PUSH_BATCH - 1:
            await trio.lowlevel.checkpoint()


async def _push_stamped(
    data: ScriptedDataClient, pool: list[QuoteTick], send_ns: array.array[int], rate: float | None
) -> None:
    """One quote per ``send_ns`` slot, stamped right before its send; paced if ``rate``."""
    push = data.push
    size = len(pool)
    clock = time.perf_counter_ns
    if rate is None:
        for i in range(len(send_ns)):
            send_ns[i] = clock()
            await push(pool[i % size])
        return
    start = trio.current_time()
    for i in range(len(send_ns)):
        await trio.sleep_until(start + i / rate)
        send_ns[i] = clock()
        await push(pool[i % size])


async def _warm_up(
    data: ScriptedDataClient, strategy: _BenchStrategy, pool: list[QuoteTick], order_every: int = 0
) -> None:
    reached = strategy.begin(WARMUP_QUOTES, order_every)
    await _push(data, pool, 0, WARMUP_QUOTES)
    await reached.wait()


def _profile_report(profiler: cProfile.Profile, phase: str) -> None:
    """The top 25 functions by cumulative and by own time, to stderr."""
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(25)
        sys.stderr.write(f"--- {phase}: top 25 by {key} ---\n{out.getvalue()}")


async def _throughput(
    quotes: int, profile: bool, cache: CacheConfig | None = None
) -> dict[str, object]:
    """Quotes/s into ``on_quote_tick`` on a default node, RSS along the way, then stop.

    ``cache`` replaces the default cache settings (the persistence suite compares backends).
    """
    node, data, _venue, strategy, pool = _build_node(NodeConfig(cache=cache or CacheConfig()))
    running = _NodeRun(node)
    rss_start = _rss_mb()
    profiler = cProfile.Profile() if profile else None
    async with trio.open_nursery() as nursery:
        await nursery.start(running.run)
        with trio.fail_after(PHASE_TIMEOUT_SECS):
            await _warm_up(data, strategy, pool)
            checkpoint = min(RSS_CHECKPOINT, quotes)
            reached = strategy.begin(quotes)
            if profiler is not None:
                profiler.enable()
            start = time.perf_counter_ns()
            await _push(data, pool, 0, checkpoint)
            rss_first_million = _rss_mb()
            await _push(data, pool, checkpoint, quotes)
            await reached.wait()
            if profiler is not None:
                profiler.disable()
            elapsed_ns = strategy.reached_ns - start
            rss_end = _rss_mb()
            reached = strategy.begin(quotes)
            start = time.perf_counter_ns()
            await _push_batched(data, pool, quotes)
            await reached.wait()
            batched_ns = strategy.reached_ns - start
        stop_asked = time.perf_counter_ns()
        node.handle.stop("bench: stop")
    assert running.result is not None
    if profiler is not None:
        _profile_report(profiler, "throughput phase")
    return {
        "quotes": quotes,
        "quotes_per_sec": round(quotes / (elapsed_ns / 1e9)),
        "quotes_per_sec_batched": round(quotes / (batched_ns / 1e9)),
        "push_batch": PUSH_BATCH,
        "rss_mb_start": round(rss_start, 1),
        "rss_mb_after_first_million": round(rss_first_million, 1),
        "rss_mb_end": round(rss_end, 1),
        "stop_ms": round((running.returned_ns - stop_asked) / 1e6, 3),
        "stop_not_disconnected": list(running.result.not_disconnected),
    }


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of a sorted, non-empty list."""
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _summary(prefix: str, samples_us: list[float]) -> dict[str, object]:
    ordered = sorted(samples_us)
    return {
        f"{prefix}_p50_us": round(_percentile(ordered, 50), 1),
        f"{prefix}_p99_us": round(_percentile(ordered, 99), 1),
        f"{prefix}_max_us": round(ordered[-1], 1),
    }


async def _latency_phase(
    data: ScriptedDataClient,
    venue: _StampingVenue,
    strategy: _BenchStrategy,
    pool: list[QuoteTick],
    count: int,
    rate: float | None,
    suffix: str,
    profiler: cProfile.Profile | None = None,
) -> dict[str, object]:
    """Push ``count`` quotes; latencies of the orders they caused (see ``_latency``)."""
    send_ns = array.array("q", bytes(8 * count))
    reached = strategy.begin(count, ORDER_EVERY)
    arrived = venue.expect(-(-count // ORDER_EVERY))
    if profiler is not None:
        profiler.enable()
    start = time.perf_counter_ns()
    await _push_stamped(data, pool, send_ns, rate)
    await reached.wait()
    await arrived.wait()
    if profiler is not None:
        profiler.disable()
    origin = strategy.origin
    to_order: list[float] = []
    to_strategy: list[float] = []
    strategy_to_order: list[float] = []
    for coid, stamp in venue.arrivals:
        seq, hook_ns = origin[coid]
        sent = send_ns[seq]
        to_order.append((stamp - sent) / 1000)
        to_strategy.append((hook_ns - sent) / 1000)
        strategy_to_order.append((stamp - hook_ns) / 1000)
    return {
        f"tick_to_order{suffix}_quotes_per_sec": round(
            count / ((strategy.reached_ns - start) / 1e9)
        ),
        f"tick_to_order{suffix}_orders": len(to_order),
        **_summary(f"tick_to_order{suffix}", to_order),
        **_summary(f"tick_to_strategy{suffix}", to_strategy),
        **_summary(f"strategy_to_order{suffix}", strategy_to_order),
    }


async def _latency(
    profile: bool,
    cache: CacheConfig | None = None,
    *,
    paced_secs: float = PACED_SECS,
    max_rate_quotes: int = MAX_RATE_QUOTES,
) -> dict[str, object]:
    """Latencies at PACED_RATE quotes/s, then with quotes back to back (the maximum rate).

    ``tick_to_order``: the producer's stamp right before it sends the quote to the
    ``SubmitOrder`` reaching the execution client, after risk and execution engine;
    ``tick_to_strategy``: the same stamp to ``on_quote_tick`` starting on the quote;
    ``strategy_to_order``: ``on_quote_tick`` starting to the ``SubmitOrder`` arriving.
    ``cache`` replaces the default cache settings (the persistence suite compares backends).
    """
    config = NodeConfig(
        risk_engine=RiskEngineConfig(max_order_submit_rate=SUBMIT_RATE),
        cache=cache or CacheConfig(),
    )
    node, data, venue, strategy, pool = _build_node(config)
    profiler = cProfile.Profile() if profile else None
    async with trio.open_nursery() as nursery:
        await nursery.start(_NodeRun(node).run)
        with trio.fail_after(PHASE_TIMEOUT_SECS):
            warmed = venue.expect(-(-WARMUP_QUOTES // ORDER_EVERY))
            await _warm_up(data, strategy, pool, ORDER_EVERY)
            # (held by a write-ahead gate, a warm-up order could arrive in the next phase)
            await warmed.wait()
            paced_count = round(PACED_RATE * paced_secs)
            paced = await _latency_phase(data, venue, strategy, pool, paced_count, PACED_RATE, "")
            max_rate = await _latency_phase(
                data, venue, strategy, pool, max_rate_quotes, None, "_max_rate", profiler
            )
            venue.release()
        risk = node.kernel.risk_engine.statistics()
        node.handle.stop("bench: stop")
    if profiler is not None:
        _profile_report(profiler, "tick-to-order phase at the maximum rate")
    if risk.submits_denied:
        raise RuntimeError(f"the risk engine denied {risk.submits_denied} benchmark orders")
    return {
        "tick_to_order_rate": PACED_RATE,
        **paced,
        **max_rate,
        "orders_per_quote": f"1/{ORDER_EVERY}",
        "risk_bypass": config.risk_engine.bypass,
        "max_order_submit_rate": config.risk_engine.max_order_submit_rate,
    }


async def _runtime(quotes: int, profile: bool) -> dict[str, object]:
    gc_watch = _GcWatch()
    gc.callbacks.append(gc_watch)
    try:
        throughput = await _throughput(quotes, profile)
        # The first node is garbage now: free it here, not during a latency phase.
        gc_watch.paused = True
        gc.collect()
        gc_watch.paused = False
        latency = await _latency(profile)
    finally:
        gc.callbacks.remove(gc_watch)
    return {
        "suite": "runtime",
        **throughput,
        **latency,
        "rss_mb": round(_rss_mb(), 1),
        "rss_peak_mb": round(_peak_rss_mb(), 1),
        "trio": trio.__version__,
        "gc_runs": gc_watch.runs,
        "gc_max_pause_ms": [round(ns / 1e6, 2) for ns in gc_watch.max_pause_ns],
        "profiled": profile,
    }


def bench_runtime(args: argparse.Namespace) -> dict[str, object]:
    result: dict[str, object] = trio.run(_runtime, args.quotes, args.profile)
    return result


# -- reconciliation -----------------------------------------------------------------------------

#: instruments the benchmark orders spread over (one position report each)
RECON_BASES = ("BTC", "ETH", "BNB", "SOL")
#: orders in the large case (the small one is a tenth)
RECON_ORDERS = 10_000
#: fills per order (each of 1.000 on an order of 4.000)
RECON_FILLS = 3
#: timed runs of the pure function per size, alternating sizes (the fastest is reported)
RECON_REPEATS = 7
#: the same with the garbage collector off, to tell the algorithm's growth from CPython's
RECON_REPEATS_NO_GC = 3


def _recon_mass(orders: int) -> ExecutionMassStatus:
    """``orders`` orders, 3 fills each: half still working, half canceled; one in four
    reported without a client order id (matched through the venue order id index)."""
    mass = ExecutionMassStatus(
        client_id=ClientId("SIM"), account_id=AccountId("SIM-001"), venue=Venue("SIM"), ts_init=1
    )
    account = mass.account_id
    usdt = Currency.from_str("USDT")
    instruments = [InstrumentId(f"{base}USDT.SIM") for base in RECON_BASES]
    net = dict.fromkeys(instruments, 0)
    order_reports: list[OrderStatusReport] = []
    fill_reports: list[FillReport] = []
    one = Quantity("1.000")
    for i in range(orders):
        instrument_id = instruments[i % len(instruments)]
        side = OrderSide.BUY if (i // len(instruments)) % 2 == 0 else OrderSide.SELL
        venue_order_id = VenueOrderId(f"V-{i}")
        coid = ClientOrderId(f"O-{i}")
        net[instrument_id] += side.sign * RECON_FILLS
        prices = [Price.from_raw((10_000 + (i + k) % 50) * 10_000_000, 2) for k in range(3)]
        order_reports.append(
            OrderStatusReport(
                account_id=account,
                instrument_id=instrument_id,
                venue_order_id=venue_order_id,
                client_order_id=None if i % 4 == 3 else coid,
                order_side=side,
                order_type=OrderType.LIMIT,
                time_in_force=TimeInForce.GTC,
                order_status=OrderStatus.PARTIALLY_FILLED if i % 2 else OrderStatus.CANCELED,
                quantity=Quantity("4.000"),
                filled_qty=Quantity("3.000"),
                avg_px=sum((p.as_decimal() for p in prices), Decimal(0)) / 3,
                price=Price("101.00"),
                ts_accepted=10,
                ts_last=20,
                ts_init=20,
            )
        )
        for k, price in enumerate(prices):
            fill_reports.append(
                FillReport(
                    account_id=account,
                    instrument_id=instrument_id,
                    venue_order_id=venue_order_id,
                    client_order_id=None if i % 4 == 3 else coid,
                    trade_id=TradeId(f"T-{i}-{k}"),
                    order_side=side,
                    last_qty=one,
                    last_px=price,
                    commission=Money("0.01", usdt),
                    liquidity_side=LiquiditySide.MAKER,
                    ts_event=11 + k,
                    ts_init=11 + k,
                )
            )
    mass.add_order_reports(order_reports)
    mass.add_fill_reports(fill_reports)
    mass.add_position_reports(
        PositionStatusReport(
            account_id=account,
            instrument_id=instrument_id,
            position_side=PositionSide.LONG
            if qty > 0
            else PositionSide.SHORT
            if qty
            else PositionSide.FLAT,
            quantity=Quantity(abs(qty)),
            avg_px_open=Decimal("100.20") if qty else None,
            ts_last=30,
            ts_init=30,
        )
        for instrument_id, qty in net.items()
    )
    return mass


class _ReconClient:
    """The execution client the engine routes to; reconciliation sends it nothing."""

    id = ClientId("SIM")
    venue = Venue("SIM")
    account_id = AccountId("SIM-001")
    oms_type = OmsType.NETTING


def _recon_engine(mass: ExecutionMassStatus, known_half: bool) -> tuple[Cache, ExecutionEngine]:
    """A cache with the instruments (and a quote each); with ``known_half``, every even
    order of ``mass`` accepted with its first fill, applied through the engine."""
    cache, bus, clock = Cache(), MessageBus(), LiveClock()
    for base in RECON_BASES:
        instrument = make_instrument(f"{base}USDT")
        cache.add_instrument(instrument)
        cache.add_quote_tick(
            QuoteTick(
                instrument_id=instrument.instrument_id,
                bid_price=Price("100.00"),
                ask_price=Price("100.02"),
                bid_size=Quantity("1.000"),
                ask_size=Quantity("1.000"),
                ts_event=0,
                ts_init=0,
            )
        )
    engine = ExecutionEngine(cache, bus, clock, RiskEngine(RiskEngineConfig(), cache, clock))
    engine.register_client(_ReconClient())  # type: ignore[arg-type]
    if not known_half:
        return cache, engine
    for index, report in enumerate(mass.order_reports.values()):
        if index % 2:
            continue
        order = make_order(
            f"O-{index}",
            side=report.order_side,
            quantity="4.000",
            price="101.00",
            instrument_id=report.instrument_id.value,
        )
        cache.add_order(order, client_id=ClientId("SIM"))
        events = OrderEvents(order, account_id="SIM-001", venue_order_id=f"V-{index}")
        engine.process(events.submitted())
        engine.process(events.accepted())
        first = mass.fill_reports[report.venue_order_id][0]
        engine.process(events.filled("1.000", first.last_px, trade_id=first.trade_id.value))
    return cache, engine


def _recon_time(
    cache: Cache, mass: ExecutionMassStatus, settings: ReconciliationSettings, *, collect: bool
) -> float:
    """Seconds of one ``reconcile_mass_status`` call; ``collect=False`` runs it with GC off."""
    gc.collect()
    if not collect:
        gc.disable()
    try:
        start = time.perf_counter()
        reconcile_mass_status(cache, mass, settings)
        return time.perf_counter() - start
    finally:
        gc.enable()


def _recon_pair(known_half: bool, small: int, large: int) -> dict[str, float | int]:
    """Both sizes of one case, timed in alternation so both see the same machine load."""
    settings = ReconciliationSettings(trader_id=TraderId("TRADER-001"))
    inputs = {}
    for orders in (small, large):
        mass = _recon_mass(orders)
        cache, engine = _recon_engine(mass, known_half)
        inputs[orders] = (mass, cache, engine)
    timings: dict[tuple[int, bool], list[float]] = {}
    for collect, repeats in ((True, RECON_REPEATS), (False, RECON_REPEATS_NO_GC)):
        for _ in range(repeats):
            for orders, (mass, cache, _engine) in inputs.items():
                seconds = _recon_time(cache, mass, settings, collect=collect)
                timings.setdefault((orders, collect), []).append(seconds)
    figures: dict[str, float | int] = {}
    for orders, (mass, cache, engine) in inputs.items():
        result = reconcile_mass_status(cache, mass, settings)
        gc.collect()
        start = time.perf_counter()
        refused = engine.apply_reconciliation(result)
        figures[f"{orders}_apply_s"] = time.perf_counter() - start
        if refused:
            raise RuntimeError(f"the engine refused {refused} reconciliation events")
        if not reconcile_mass_status(cache, mass, settings).is_empty:
            raise RuntimeError("a second reconciliation generated events")
        figures[f"{orders}_s"] = min(timings[orders, True])
        figures[f"{orders}_no_gc_s"] = min(timings[orders, False])
        figures[f"{orders}_events"] = len(result.events)
    return figures


def bench_reconciliation(args: argparse.Namespace) -> dict[str, object]:
    small, large = args.orders // 10, args.orders
    out: dict[str, object] = {"suite": "reconciliation"}

    def name(orders: int) -> str:
        return f"recon_{orders // 1000}k" if orders % 1000 == 0 else f"recon_{orders}"

    for case, known_half in (("empty", False), ("half", True)):
        figures = _recon_pair(known_half, small, large)
        for orders in (small, large):
            out[f"{name(orders)}_{case}_s"] = round(float(figures[f"{orders}_s"]), 4)
        for orders in (small, large):
            out[f"{name(orders)}_{case}_apply_s"] = round(float(figures[f"{orders}_apply_s"]), 4)
            out[f"{name(orders)}_{case}_events"] = figures[f"{orders}_events"]
        out[f"recon_growth_{case}"] = round(
            float(figures[f"{large}_s"]) / float(figures[f"{small}_s"]), 2
        )
        out[f"recon_growth_{case}_no_gc"] = round(
            float(figures[f"{large}_no_gc_s"]) / float(figures[f"{small}_no_gc_s"]), 2
        )
    out["orders"] = large
    out["fills"] = large * RECON_FILLS
    out["instruments"] = len(RECON_BASES)
    out["repeats"] = RECON_REPEATS
    return out


# -- command line -------------------------------------------------------------------------------

SUITES: dict[str, Callable[[argparse.Namespace], dict[str, object]]] = {
    "model": bench_model,
    "runtime": bench_runtime,
    "reconciliation": bench_reconciliation,
    "persistence": bench_persistence,
    "sandbox": lambda args: bench_sandbox(args.seconds),
    "soak": bench_soak,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    suites = parser.add_subparsers(dest="suite", required=True, metavar="SUITE")
    suites.add_parser("model", help="the pure domain model's hot operations")
    runtime = suites.add_parser(
        "runtime", help="a live node: quotes/s, tick-to-order latency, RSS, stop time"
    )
    runtime.add_argument(
        "--quotes",
        type=int,
        default=THROUGHPUT_QUOTES,
        help=f"quotes in the throughput phase (default {THROUGHPUT_QUOTES:,})",
    )
    runtime.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the throughput and maximum-rate phases; top 25 functions to stderr",
    )
    reconciliation = suites.add_parser(
        "reconciliation",
        help="startup reconciliation of a large mass status: empty and half-known cache",
    )
    reconciliation.add_argument(
        "--orders",
        type=int,
        default=RECON_ORDERS,
        help=f"orders in the large case (default {RECON_ORDERS:,}); the small case is a tenth",
    )
    suites.add_parser(
        "persistence",
        help="codec µs/event, events/s into SQLite and Redis, write-ahead latency, "
        "cost on a node's quote throughput and tick-to-order latency",
    )
    sandbox = suites.add_parser(
        "sandbox", help="the sandbox's quote generator and matching: quotes/s it can produce"
    )
    sandbox.add_argument(
        "--seconds", type=float, default=2.0, help="time per measurement (default 2)"
    )
    soak = suites.add_parser(
        "soak", help="24 virtual hours of orders with purging: orders in memory, RSS"
    )
    soak.add_argument(
        "--hours", type=int, default=SOAK_HOURS, help=f"virtual hours (default {SOAK_HOURS})"
    )
    soak.add_argument(
        "--rate", type=int, default=SOAK_RATE, help=f"orders per minute (default {SOAK_RATE})"
    )
    args = parser.parse_args(argv)
    if args.suite == "reconciliation" and args.orders < 10:
        parser.error("--orders must be at least 10")
    if args.suite == "runtime" and args.quotes < 1:
        parser.error("--quotes must be at least 1")
    result = SUITES[args.suite](args)
    result["livetrade"] = livetrade.__version__
    result["python"] = platform.python_version()
    result["implementation"] = platform.python_implementation()
    result["machine"] = platform.machine()
    result["system"] = platform.system()
    result["cpus"] = os.cpu_count()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
