"""livetrade benchmarks: ``python scripts/bench.py SUITE`` prints one JSON object.

Suites measure, they do not assert: compare numbers across commits and machines.

- ``model``: cost of the pure domain model's hot operations.
- ``runtime``: a real ``LiveNode`` (``LiveClock``, ``trio.run``) fed by a scripted
  data client: quote throughput into a strategy, tick-to-order latency at 10,000
  quotes/s and at the maximum rate, RSS over two million quotes, and the stop time.
  ``--profile`` prints a cProfile summary of the throughput phase to stderr.

See ``docs/benchmarks.md`` for what each number means.
"""

from __future__ import annotations

import argparse
import cProfile
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

import trio

from livetrade import LiveNode, NodeConfig, NodeHandle, RunResult, Strategy
from livetrade.config.engines import RiskEngineConfig
from livetrade.execution.messages import SubmitOrder
from livetrade.model.data import QuoteTick
from livetrade.model.enums import OrderSide
from livetrade.model.events import OrderFilled
from livetrade.model.identifiers import ClientOrderId, InstrumentId
from livetrade.model.orders import Order
from livetrade.model.quantities import Price, Quantity
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
    number of the quote that caused it, and the producer's ``send_ns`` table gives
    that quote's send time.
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
        self.origin: dict[ClientOrderId, int] = {}

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
            init = self.order_factory.limit(
                self.instrument_id, OrderSide.BUY, self.quantity, tick.bid_price
            )
            self.origin[init.client_order_id] = seq
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


def _build_node(config: NodeConfig) -> tuple[LiveNode, ScriptedDataClient, _StampingVenue]:
    node = LiveNode(config)  # the real LiveClock
    data = ScriptedDataClient(instruments=[make_instrument()])
    venue = _StampingVenue()
    node.add_data_client(data)
    node.add_exec_client(venue)
    return node, data, venue


async def _run_node(
    node: LiveNode,
    finished: list[tuple[int, RunResult]],
    *,
    task_status: trio.TaskStatus[NodeHandle] = trio.TASK_STATUS_IGNORED,
) -> None:
    """``node.run`` for ``nursery.start``; records when it returned (``perf_counter_ns``)."""
    result = await node.run(handle_signals=False, task_status=task_status)
    finished.append((time.perf_counter_ns(), result))


async def _push(data: ScriptedDataClient, pool: list[QuoteTick], start: int, stop: int) -> None:
    """Quotes ``start`` to ``stop - 1`` of the cycled pool, back to back."""
    push = data.push
    size = len(pool)
    for i in range(start, stop):
        await push(pool[i % size])


async def _push_stamped(
    data: ScriptedDataClient, pool: list[QuoteTick], send_ns: list[int], rate: float | None
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


async def _warm_up(data: ScriptedDataClient, strategy: _BenchStrategy, pool: list[QuoteTick], order_every: int = 0) -> None:
    reached = strategy.begin(WARMUP_QUOTES, order_every)
    await _push(data, pool, 0, WARMUP_QUOTES)
    await reached.wait()


def _profile_report(profiler: cProfile.Profile) -> None:
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(25)
        sys.stderr.write(f"--- throughput phase, top 25 by {key} ---\n{out.getvalue()}")


async def _throughput(quotes: int, profile: bool) -> dict[str, object]:
    """Quotes/s into ``on_quote_tick`` on a default node, RSS along the way, then stop."""
    instrument = make_instrument()
    pool = _quote_pool(instrument.instrument_id)
    node, data, _venue = _build_node(NodeConfig())
    strategy = _BenchStrategy(instrument.instrument_id)
    node.add_strategy(strategy)
    finished: list[tuple[int, RunResult]] = []
    rss_start = _rss_mb()
    async with trio.open_nursery() as nursery:
        await nursery.start(_run_node, node, finished)
        with trio.fail_after(PHASE_TIMEOUT_SECS):
            await _warm_up(data, strategy, pool)
            checkpoint = min(RSS_CHECKPOINT, quotes)
            reached = strategy.begin(quotes)
            profiler = cProfile.Profile() if profile else None
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
        stop_asked = time.perf_counter_ns()
        node.handle.stop("bench: stop")
    returned, result = finished[0]
    if profiler is not None:
        _profile_report(profiler)
    return {
        "quotes": quotes,
        "quotes_per_sec": round(quotes / (elapsed_ns / 1e9)),
        "rss_mb_start": round(rss_start, 1),
        "rss_mb_after_first_million": round(rss_first_million, 1),
        "rss_mb_end": round(rss_end, 1),
        "stop_ms": round((returned - stop_asked) / 1e6, 3),
        "stop_not_disconnected": list(result.not_disconnected),
    }


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of a sorted, non-empty list."""
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


async def _latency_phase(
    data: ScriptedDataClient,
    venue: _StampingVenue,
    strategy: _BenchStrategy,
    pool: list[QuoteTick],
    count: int,
    rate: float | None,
) -> dict[str, float]:
    """Push ``count`` quotes; tick-to-order latency of the orders they caused, in µs."""
    send_ns = [0] * count
    reached = strategy.begin(count, ORDER_EVERY)
    arrived = venue.expect(-(-count // ORDER_EVERY))
    start = time.perf_counter_ns()
    await _push_stamped(data, pool, send_ns, rate)
    await reached.wait()
    await arrived.wait()
    origin = strategy.origin
    latencies = sorted(
        (stamp - send_ns[origin[coid]]) / 1000 for coid, stamp in venue.arrivals
    )
    return {
        "p50_us": round(_percentile(latencies, 50), 1),
        "p99_us": round(_percentile(latencies, 99), 1),
        "max_us": round(latencies[-1], 1),
        "orders": len(latencies),
        "quotes_per_sec": round(count / ((strategy.reached_ns - start) / 1e9)),
    }


async def _latency() -> dict[str, object]:
    """Tick-to-order latency at PACED_RATE quotes/s, then with quotes back to back."""
    instrument = make_instrument()
    pool = _quote_pool(instrument.instrument_id)
    config = NodeConfig(risk_engine=RiskEngineConfig(max_order_submit_rate=SUBMIT_RATE))
    node, data, venue = _build_node(config)
    strategy = _BenchStrategy(instrument.instrument_id)
    node.add_strategy(strategy)
    finished: list[tuple[int, RunResult]] = []
    async with trio.open_nursery() as nursery:
        await nursery.start(_run_node, node, finished)
        with trio.fail_after(PHASE_TIMEOUT_SECS):
            venue.expect(-(-WARMUP_QUOTES // ORDER_EVERY))
            await _warm_up(data, strategy, pool, ORDER_EVERY)
            paced = await _latency_phase(
                data, venue, strategy, pool, round(PACED_RATE * PACED_SECS), PACED_RATE
            )
            max_rate = await _latency_phase(data, venue, strategy, pool, MAX_RATE_QUOTES, None)
            venue.release()
        risk = node.kernel.risk_engine.statistics()
        node.handle.stop("bench: stop")
    if risk.submits_denied:
        raise RuntimeError(f"the risk engine denied {risk.submits_denied} benchmark orders")
    return {
        "tick_to_order_rate": PACED_RATE,
        "tick_to_order_quotes_per_sec": paced["quotes_per_sec"],
        "tick_to_order_p50_us": paced["p50_us"],
        "tick_to_order_p99_us": paced["p99_us"],
        "tick_to_order_max_us": paced["max_us"],
        "tick_to_order_orders": paced["orders"],
        "tick_to_order_max_rate_quotes_per_sec": max_rate["quotes_per_sec"],
        "tick_to_order_max_rate_p50_us": max_rate["p50_us"],
        "tick_to_order_max_rate_p99_us": max_rate["p99_us"],
        "tick_to_order_max_rate_max_us": max_rate["max_us"],
        "tick_to_order_max_rate_orders": max_rate["orders"],
        "orders_per_quote": f"1/{ORDER_EVERY}",
        "risk_bypass": config.risk_engine.bypass,
        "max_order_submit_rate": config.risk_engine.max_order_submit_rate,
    }


async def _runtime(quotes: int, profile: bool) -> dict[str, object]:
    throughput = await _throughput(quotes, profile)
    latency = await _latency()
    return {
        "suite": "runtime",
        **throughput,
        **latency,
        "profiled": profile,
        "rss_mb": round(_rss_mb(), 1),
        "rss_peak_mb": round(_peak_rss_mb(), 1),
    }


def bench_runtime(args: argparse.Namespace) -> dict[str, object]:
    result: dict[str, object] = trio.run(_runtime, args.quotes, args.profile)
    return result


# -- command line -------------------------------------------------------------------------------

SUITES: dict[str, Callable[[argparse.Namespace], dict[str, object]]] = {
    "model": bench_model,
    "runtime": bench_runtime,
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
        help="cProfile the throughput phase; top 25 functions to stderr (slows it down)",
    )
    args = parser.parse_args(argv)
    result = SUITES[args.suite](args)
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
