"""The ``persistence`` suite of ``scripts/bench.py`` (kept apart: it needs a redis-server).

Measures, on this machine:

- the record codec: encode and decode µs per ``OrderFilled`` (msgpack and JSON,
  best of several runs), against two cattrs-based encodings of the same event
  with the same value hooks: cattrs ``Converter`` + msgspec bytes, and
  ``cattrs.preconf.json`` (what ``STYLE.md`` first proposed);
- ``record()``: ns per call (the dispatcher's cost per execution event);
- events persisted per second through ``PersistenceService`` (write through,
  recorded in bursts of 1,000) into SQLite and into a temporary ``redis-server``;
- write-ahead: µs per ``write_ahead`` of a new order (p50/p99), SQLite and Redis;
- what persistence costs a live node: the runtime suite's node (``scripts/bench.py``:
  ``LiveClock``, scripted data client and venue, the benchmark strategy) run with
  each cache setting of ``_SETTINGS``. The baseline, ``unwritten``, is the memory
  backend with a buffer interval longer than the run: the node records every event
  (``record`` is part of any setting) but nothing is encoded or written until the
  stop, which is not timed. Then the memory backend writing through (it encodes
  every record on the node's thread), and SQLite in a temporary directory, write
  behind (``buffer_interval_ms = 100``) with write-ahead on (the default) and off,
  and write through with write-ahead. Best of ``NODE_REPEATS`` runs per setting,
  the settings interleaved (and rotated) so a slow moment of the machine hits
  them all; a single run's rate varies by up to +-40% on a loaded 2-core VM.

  - ``quote_throughput_cost_pct``: ``100 * (1 - with / without)`` on the quotes/s of
    the runtime suite's maximum-rate tick-to-order phase (a LIMIT order every 10th
    quote: orders are what gives the database work, quotes are never persisted),
    SQLite write behind with write-ahead; ``_no_write_ahead``, ``_write_through``
    and ``_memory`` variants; ``quotes_per_sec_with_orders_<setting>`` are the
    numbers behind them;
  - ``quote_throughput_no_orders_cost_pct``: the same on the runtime suite's plain
    throughput phase (no orders: only an idle writer task, so noise around 0);
  - ``tick_to_order_us_p50_<setting>`` / ``_p99_``: the quote's send to its
    ``SubmitOrder`` at the venue client at 10,000 quotes/s (1,000 orders/s), best
    run; with write-ahead every order first waits for one SQLite commit.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import socket
import subprocess
import tempfile
import time
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cattrs
import cattrs.preconf.json
import msgspec
import trio

from livetrade.config.persistence import CacheConfig, DatabaseConfig
from livetrade.model.events import OrderEvent, OrderFilled, OrderInitialized
from livetrade.model.identifiers import Identifier
from livetrade.model.money import Currency, Money
from livetrade.model.quantities import Price, Quantity
from livetrade.persistence import CacheDatabase, Codec, PersistenceService, SqliteDatabase
from livetrade.testing import OrderEvents, make_order

#: orders in the throughput phase; each contributes 4 events (init, submitted, accepted, fill)
ORDERS = 12_500
#: events recorded between two checkpoints (a dispatcher drain)
BURST = 1_000
#: write-ahead calls timed per backend
WRITE_AHEADS = 2_000
#: runs of the live node per cache setting (the best counts: a loaded 2-core VM is noisy)
NODE_REPEATS = 5
#: quotes of the runtime suite's plain throughput phase (pushed twice: one by one, batched)
PLAIN_QUOTES = 50_000
#: quotes of the maximum-rate tick-to-order phase, and seconds of the paced one (at 10,000
#: quotes/s: 500 orders a run). Short phases, more runs: a run's rate varies by +-40% here
MAX_RATE_QUOTES = 50_000
PACED_SECS = 0.5
#: the write-behind interval compared (``[cache] buffer_interval_ms``)
WRITE_BEHIND_MS = 100
#: the baseline's interval: longer than a run, so it records but writes only at the stop
UNWRITTEN_MS = 3_600_000


def _events(orders: int, prefix: str = "O") -> list[OrderEvent]:
    events: list[OrderEvent] = []
    for n in range(orders):
        order = make_order(f"{prefix}-{n}", instrument_id="BTCUSDT.SIM")
        maker = OrderEvents(order, account_id="SIM-001")
        events += [order.init_event, maker.submitted(), maker.accepted(), maker.filled()]
    return events


def _fill() -> OrderFilled:
    fill = _events(1)[-1]
    assert isinstance(fill, OrderFilled)
    return fill


# -- codec ------------------------------------------------------------------------------------


def _best_us(fn: Callable[[], object], number: int = 20_000, repeat: int = 7) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def _cattrs_hooks(converter: cattrs.Converter) -> None:
    def is_id(t: Any) -> bool:
        return isinstance(t, type) and issubclass(t, Identifier)

    converter.register_unstructure_hook_func(is_id, lambda v: v.value)
    converter.register_structure_hook_func(is_id, lambda v, t: t(v))
    for cls in (Price, Quantity):
        converter.register_unstructure_hook(cls, lambda v: [v.raw, v.precision])
        converter.register_structure_hook(cls, lambda v, t: t.from_raw(v[0], v[1]))
    converter.register_unstructure_hook(Currency, lambda c: c.code)
    converter.register_structure_hook(Currency, lambda v, t: Currency.from_str(v))
    converter.register_unstructure_hook(Money, lambda m: [m.raw, m.currency.code])
    converter.register_structure_hook(
        Money, lambda v, t: Money.from_raw(v[0], Currency.from_str(v[1]))
    )


def _codec_numbers() -> dict[str, object]:
    fill = _fill()
    result: dict[str, object] = {}
    for encoding in ("msgpack", "json"):
        codec = Codec(encoding)
        data = codec.encode(fill, seq=1)
        assert codec.decode(data) == fill
        encode_us = _best_us(lambda c=codec: c.encode(fill, seq=1))  # type: ignore[misc]
        decode_us = _best_us(lambda c=codec, d=data: c.decode(d))  # type: ignore[misc]
        result[f"codec_{encoding}_encode_us"] = round(encode_us, 3)
        result[f"codec_{encoding}_decode_us"] = round(decode_us, 3)
        result[f"codec_{encoding}_bytes"] = len(data)

    converter = cattrs.Converter()
    _cattrs_hooks(converter)
    encoder, decoder = msgspec.msgpack.Encoder(), msgspec.msgpack.Decoder()
    blob = encoder.encode(converter.unstructure(fill))
    assert converter.structure(decoder.decode(blob), OrderFilled) == fill
    cattrs_msgspec = _best_us(lambda: encoder.encode(converter.unstructure(fill))) + _best_us(
        lambda: converter.structure(decoder.decode(blob), OrderFilled)
    )
    preconf = cattrs.preconf.json.make_converter()
    _cattrs_hooks(preconf)
    text = preconf.dumps(fill)
    assert preconf.loads(text, OrderFilled) == fill
    cattrs_json = _best_us(lambda: preconf.dumps(fill)) + _best_us(
        lambda: preconf.loads(text, OrderFilled)
    )
    ours = float(result["codec_msgpack_encode_us"]) + float(result["codec_msgpack_decode_us"])  # type: ignore[arg-type]
    result["codec_msgpack_roundtrip_us"] = round(ours, 3)
    result["cattrs_msgspec_roundtrip_us"] = round(cattrs_msgspec, 3)
    result["cattrs_preconf_json_roundtrip_us"] = round(cattrs_json, 3)
    result["codec_speedup_vs_cattrs_msgspec"] = round(cattrs_msgspec / ours, 2)
    result["codec_speedup_vs_cattrs_preconf_json"] = round(cattrs_json / ours, 2)
    return result


# -- record() ----------------------------------------------------------------------------------


async def _record_ns() -> float:
    from livetrade.persistence import MemoryDatabase

    events = _events(2_500, "R")
    service = PersistenceService(MemoryDatabase(namespace="BENCH-001"))
    await service.open()
    start = time.perf_counter_ns()
    for event in events:
        service.record(event)
    elapsed = time.perf_counter_ns() - start
    await service.close(60.0)
    return elapsed / len(events)


# -- throughput and write-ahead ---------------------------------------------------------------


async def _throughput(database: CacheDatabase, events: list[OrderEvent]) -> float:
    service = PersistenceService(database, buffer_interval_ms=0)
    await service.open(flush_on_start=True)
    async with trio.open_nursery() as nursery:
        await nursery.start(service.run)
        start = time.perf_counter()
        for at in range(0, len(events), BURST):
            for event in events[at : at + BURST]:
                service.record(event)
            await trio.lowlevel.checkpoint()
        await service.flush()
        elapsed = time.perf_counter() - start
        report = await service.close(60.0)
    assert report.complete
    assert service.statistics().written >= len(events)
    return len(events) / elapsed


async def _write_ahead_us(database: CacheDatabase) -> tuple[float, float]:
    inits = [e for e in _events(WRITE_AHEADS, "W") if isinstance(e, OrderInitialized)]
    service = PersistenceService(database, buffer_interval_ms=100)
    await service.open(flush_on_start=True)
    samples: list[float] = []
    async with trio.open_nursery() as nursery:
        await nursery.start(service.run)
        for init in inits:
            service.record(init)
            start = time.perf_counter()
            await service.write_ahead(init)
            samples.append((time.perf_counter() - start) * 1e6)
        await service.close(60.0)
    samples.sort()
    return samples[len(samples) // 2], samples[int(len(samples) * 0.99)]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _redis_server(directory: Path) -> Iterator[int | None]:
    """A throwaway redis-server on a free loopback port; None when none is installed."""
    executable = shutil.which("redis-server")
    if executable is None:
        yield None
        return
    port = _free_port()
    process = subprocess.Popen(
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.02)
        yield port
    finally:
        process.kill()
        process.wait(timeout=10)


async def _backends(directory: Path, redis_port: int | None) -> dict[str, object]:
    from livetrade.persistence.redis import RedisDatabase

    events = _events(ORDERS)
    result: dict[str, object] = {}

    def sqlite() -> SqliteDatabase:
        return SqliteDatabase(directory / "bench.sqlite", namespace="BENCH-001")

    result["sqlite_events_per_sec"] = round(await _throughput(sqlite(), events))
    p50, p99 = await _write_ahead_us(sqlite())
    result["sqlite_write_ahead_us_p50"] = round(p50, 1)
    result["sqlite_write_ahead_us_p99"] = round(p99, 1)
    if redis_port is None:
        result["redis_events_per_sec"] = None
        result["redis_note"] = "redis-server is not installed"
        return result

    def redis() -> RedisDatabase:
        return RedisDatabase(port=redis_port, namespace="BENCH-001")

    result["redis_events_per_sec"] = round(await _throughput(redis(), events))
    p50, p99 = await _write_ahead_us(redis())
    result["redis_write_ahead_us_p50"] = round(p50, 1)
    result["redis_write_ahead_us_p99"] = round(p99, 1)
    return result


# -- the cost on a live node ------------------------------------------------------------------

#: setting name -> (backend, buffer_interval_ms, write_ahead); the first is the baseline
_SETTINGS: dict[str, tuple[str, int | None, bool]] = {
    "unwritten": ("memory", UNWRITTEN_MS, False),
    "memory": ("memory", None, False),
    "write_ahead": ("sqlite", WRITE_BEHIND_MS, True),
    "no_write_ahead": ("sqlite", WRITE_BEHIND_MS, False),
    "write_through": ("sqlite", None, True),
}


def _cache_config(directory: Path, name: str, run: int) -> CacheConfig:
    """The cache settings ``name`` stands for; a new SQLite file for every run."""
    backend, buffer_ms, write_ahead = _SETTINGS[name]
    if backend == "memory":
        database = DatabaseConfig(type="memory")
    else:
        database = DatabaseConfig(type="sqlite", path=directory / f"node-{name}-{run}.sqlite")
    return CacheConfig(database=database, buffer_interval_ms=buffer_ms, write_ahead=write_ahead)


async def _node_runs(directory: Path) -> dict[str, list[dict[str, object]]]:
    from bench import _latency, _throughput  # here: bench.py imports this module

    runs: dict[str, list[dict[str, object]]] = {name: [] for name in _SETTINGS}
    names = list(_SETTINGS)
    for run in range(NODE_REPEATS):
        # rotated: each setting runs once in each place (what ran before one matters here)
        for name in names[run % len(names) :] + names[: run % len(names)]:
            cache = _cache_config(directory, name, run)
            gc.collect()  # the previous node's garbage, not during this one's phases
            plain = await _throughput(PLAIN_QUOTES, False, cache)
            gc.collect()
            latency = await _latency(
                False, cache, paced_secs=PACED_SECS, max_rate_quotes=MAX_RATE_QUOTES
            )
            runs[name].append({**plain, **latency})
    return runs


def _best(runs: list[dict[str, object]], key: str, pick: Callable[[list[float]], float]) -> float:
    values: list[float] = []
    for run in runs:
        value = run[key]
        assert isinstance(value, int | float), (key, value)
        values.append(float(value))
    return pick(values)


def _node_numbers(directory: Path) -> dict[str, object]:
    from bench import ORDER_EVERY, PACED_RATE

    runs = trio.run(_node_runs, directory)
    with_orders, no_orders = "tick_to_order_max_rate_quotes_per_sec", "quotes_per_sec"

    def cost_pct(name: str, key: str) -> float:
        """``100 * (1 - best with / best without)``: ``name`` against the baseline."""
        with_it, without = _best(runs[name], key, max), _best(runs["unwritten"], key, max)
        return round(100 * (1 - with_it / without), 1)

    result: dict[str, object] = {
        "quote_throughput_cost_pct": cost_pct("write_ahead", with_orders),
        "quote_throughput_cost_pct_no_write_ahead": cost_pct("no_write_ahead", with_orders),
        "quote_throughput_cost_pct_write_through": cost_pct("write_through", with_orders),
        "quote_throughput_cost_pct_memory": cost_pct("memory", with_orders),
        "quote_throughput_no_orders_cost_pct": cost_pct("write_ahead", no_orders),
        "quote_throughput_no_orders_cost_pct_write_through": cost_pct("write_through", no_orders),
    }
    for name, results in runs.items():
        result[f"quotes_per_sec_with_orders_{name}"] = round(_best(results, with_orders, max))
        result[f"quotes_per_sec_no_orders_{name}"] = round(_best(results, no_orders, max))
    for name, results in runs.items():
        for q in ("p50", "p99"):
            key = f"tick_to_order_{q}_us"
            result[f"tick_to_order_us_{q}_{name}"] = _best(results, key, min)
    result["node_write_behind_ms"] = WRITE_BEHIND_MS
    result["node_repeats"] = NODE_REPEATS
    result["node_quotes_max_rate"] = MAX_RATE_QUOTES
    result["node_tick_to_order"] = f"{PACED_RATE} quotes/s, an order every {ORDER_EVERY}th"
    return result


def bench_persistence(args: argparse.Namespace) -> dict[str, object]:
    result: dict[str, object] = {"suite": "persistence", "events": ORDERS * 4}
    result.update(_codec_numbers())
    result["record_ns"] = round(trio.run(_record_ns))
    with tempfile.TemporaryDirectory() as tmp, _redis_server(Path(tmp)) as port:
        result.update(trio.run(_backends, Path(tmp), port))
    with tempfile.TemporaryDirectory() as tmp:
        result.update(_node_numbers(Path(tmp)))
    return result
