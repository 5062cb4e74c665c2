"""Crash test: ``kill -9`` at random moments, restart, and the node ends equal to the venue.

A real ``python -m livetrade run`` of the README example, made busy (200 quotes/s,
a requote every 50 ms), trades against the sandbox venue, which keeps its state in
a snapshot plus a write-ahead journal, while the node keeps its own in
``livetrade.sqlite``. For each seed the child is killed with SIGKILL at random
moments while it trades; each restart loads the database and reconciles against
the venue's mass status. Then one more busy run is stopped with SIGINT, and a last
restart on a quiet market (an empty recording: nothing matches, nothing trades)
reconciles once more and stops: what it stores is the node's state "after
reconciliation", with no trading after it.

The check runs in the test, with no node running: the database is opened through
the persistence API and loaded into a fresh ``Cache``, the venue is rebuilt from
its state file, and every order, fill and position must agree; no trade id may be
stored twice. A clean stop must leave in the database every event the node
processed: as many order events and fills as the CLI's final summary counted (the
status reporter counts on the bus topics the database records), with write-behind
buffering on so that the final flush has work to do.

Two bugs this test found are pinned at the end by deterministic tests: an order
written ahead whose submit a crash cut off stayed INITIALIZED for ever (loaded
INITIALIZED orders are now in flight until the venue answers), and the
``cancel_orders`` stop policy left an order still awaiting its ack working at
the venue (it is now cancelled too, and the sandbox's cancel-all cancels what
the venue has working).

Real processes, so the real clock (no ``autojump_clock``: SQLite's writer is a
thread), capped by ``trio.fail_after``; progress is read from the child's stderr.
"""

from __future__ import annotations

import random
import re
import shutil
import signal
import sys
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import NoReturn

import attrs
import pytest
import trio
from sandbox_node_support import ROOT

from livetrade.adapters.registry import load_builtin_adapters
from livetrade.adapters.sandbox.config import (
    SandboxDataConfig,
    SandboxExecConfig,
    build_instrument,
)
from livetrade.adapters.sandbox.exchange import SandboxExchange
from livetrade.adapters.sandbox.state import StateFile
from livetrade.cache.cache import Cache
from livetrade.config.loading import load_config
from livetrade.config.node import NodeConfig
from livetrade.model import (
    ClientOrderId,
    InstrumentId,
    Order,
    OrderAccepted,
    OrderFilled,
    OrderStatus,
)
from livetrade.persistence import LoadedState, LoadReport, PersistenceService
from livetrade.testing import make_order_init
from livetrade.testing.child import Child, livetrade_run

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

CAP = 45.0  # seconds for one whole test; a bound, never a pacing device
KILLS = 2  # SIGKILLs per seed, before the runs that are stopped with SIGINT
STATUS_EVERY = "0.5"
RUNNING = "node TRADER-001: RUNNING"
STATUS = "livetrade.status: orders open"
STRATEGY_ID = "QuoteAroundMid-001"
#: refused before they could rest: the venue keeps no record of such orders
NEVER_AT_VENUE = frozenset({OrderStatus.DENIED, OrderStatus.REJECTED})
RECONCILED = re.compile(
    r"reconciliation of SANDBOX: (\d+) orders \((\d+) updated, (\d+) created, "
    r"(\d+) filtered, (\d+) failed\)"
)
SUMMARY = re.compile(r"\| fills (\d+) \|.* \| (\d+) order events and \d+ quotes in ")
#: what ``NodePersistence.open`` logs for a stored row it could not put back
LOAD_PROBLEM = re.compile(r"cache database \S+ at \S+: (order|position|instrument|account) ")
WRITTEN_AT_STOP = re.compile(r"cache database .*: (\d+) records written at stop, 0 not written")


# -- the config, copied from examples/ and edited -----------------------------------------------


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name}: {old!r} is gone (did examples/sandbox.toml change?)"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def busy_copy(tmp_path: Path, *, drop_fill: float = 0.0, buffer_ms: int | None = None) -> Path:
    """The README example copied to ``tmp_path``, trading many times faster."""
    for name in ("sandbox.toml", "sandbox_strategy.py"):
        shutil.copy(ROOT / "examples" / name, tmp_path / name)
    path = tmp_path / "sandbox.toml"
    edit(path, "\nrate = 20 ", "\nrate = 200 ")
    edit(path, "\nrequote_secs = 2.0\n", "\nrequote_secs = 0.05\n")
    edit(path, "\ndrop_fill = 0.0\n", f"\ndrop_fill = {drop_fill}\n")
    if buffer_ms is not None:  # write-behind: events wait up to buffer_ms to be written
        with path.open("a", encoding="utf-8") as file:
            file.write(f"\n[cache]\nbuffer_interval_ms = {buffer_ms}\n")
    return path


def quiet_market(path: Path) -> None:
    """From the next run on, the market replays an empty recording and faults are off.

    Nothing matches at the venue and the strategy never quotes (it waits for a
    quote), so a run only loads, reconciles and applies its stop policy.
    """
    (path.parent / "quiet.csv").write_text(
        "timestamp,bid_price,ask_price,bid_size,ask_size\n", encoding="utf-8"
    )
    edit(path, "\nstep_ticks = 4\n", '\nstep_ticks = 4\ncsv = "quiet.csv"\n')
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"\ndrop_fill = [0-9.]+\n", "\ndrop_fill = 0.0\n", text), "utf-8")


# -- running the child ----------------------------------------------------------------------------


async def read_for(child: Child, seconds: float) -> None:
    """Keep reading the child's stderr for ``seconds`` (a full pipe would stall it)."""

    def ended() -> NoReturn:
        raise AssertionError(f"the child exited while trading:\n{child.output}")

    with trio.move_on_after(seconds):
        while await child.readline() is not None:
            pass
        ended()


async def run_then_kill(config: Path, seconds: float) -> Child:
    async with livetrade_run(config, "--status-every", STATUS_EVERY) as child:
        await child.wait_for(RUNNING)
        await read_for(child, seconds)
        child.process.kill()
        code = await child.finish()
    assert code == -signal.SIGKILL, child.output
    return child


async def run_then_ctrl_c(config: Path, *wait_for: str) -> Child:
    """Start, wait for RUNNING and then each of ``wait_for`` in turn, SIGINT: a clean stop."""
    async with livetrade_run(config, "--status-every", STATUS_EVERY) as child:
        for text in (RUNNING, *wait_for):
            await child.wait_for(text)
        child.process.send_signal(signal.SIGINT)
        code = await child.finish()
    out = child.output
    assert code == 0, f"exit status {code}:\n{out}"
    assert child.lines[-1] == "livetrade: stopped (SIGINT)", out
    assert WRITTEN_AT_STOP.search(out), out  # the final flush wrote everything
    assert "Traceback" not in out, out
    return child


def reconciliation_counts(child: Child) -> dict[str, int]:
    """The start's reconciliation line as counts (orders, updated, created, ...)."""
    found = [m for line in child.lines if (m := RECONCILED.search(line))]
    assert len(found) == 1, child.output
    names = ("orders", "updated", "created", "filtered", "failed")
    return dict(zip(names, map(int, found[0].groups()), strict=True))


def assert_restart_reconciled(child: Child) -> None:
    """A restart: both states loaded, and no venue order the database did not know."""
    out = child.output
    assert "state loaded from" in out, out
    assert re.search(r"cache database \S+ at \S+: loaded [1-9]\d* orders", out), out
    assert not LOAD_PROBLEM.search(out), out  # every stored row was put back in the cache
    counts = reconciliation_counts(child)
    # An order at the venue that the database did not know comes back CREATED
    # (EXTERNAL): the write-ahead gate exists so that this never happens.
    assert counts["created"] == 0, out
    assert counts["failed"] == 0, out


# -- the state both sides left behind, read with no node running ----------------------------------


@attrs.frozen
class Stored:
    """What the node's database holds and what the venue's state file holds."""

    loaded: LoadedState
    cache: Cache
    report: LoadReport
    exchange: SandboxExchange


def node_config(path: Path) -> NodeConfig:
    load_builtin_adapters()
    return load_config(path).config


def persistence_of(config: NodeConfig) -> PersistenceService:
    """A service on the node's own database (same file, same namespace), not yet open."""
    return PersistenceService.from_config(
        config.cache, trader_id=config.trader_id, instance_id=config.instance_id
    )


async def stored_state(path: Path) -> Stored:
    config = node_config(path)
    service = persistence_of(config)
    loaded = await service.open()
    try:
        cache = Cache()
        report = service.load_into(cache, loaded)
    finally:
        closed = await service.close(config.cache.database.timeout)
    assert closed.complete and closed.written == 0  # a read only

    (data,) = [c.settings for c in config.data_clients.values()]
    (venue,) = [c.settings for c in config.exec_clients.values()]
    assert isinstance(data, SandboxDataConfig) and isinstance(venue, SandboxExecConfig)
    assert venue.state_file is not None and venue.state_file.exists()
    instruments = [build_instrument(data.venue, spec) for spec in data.instruments]

    def no_state() -> SandboxExchange:
        raise AssertionError(f"no venue state in {venue.state_file}")

    exchange, _ = StateFile(venue.state_file).load(instruments, no_state)
    return Stored(loaded=loaded, cache=cache, report=report, exchange=exchange)


def stored_fills(loaded: LoadedState) -> list[OrderFilled]:
    """Every ``OrderFilled`` row stored for an order (not deduplicated)."""
    return [e for o in loaded.orders for e in o.events if isinstance(e, OrderFilled)]


def never_at_venue(order: Order) -> bool:
    """The node never heard of ``order`` from the venue: no ack, no venue id, no fill."""
    return (
        order.venue_order_id is None
        and not order.trade_ids
        and not any(isinstance(e, OrderAccepted) for e in order.events)
    )


def twice(items: Iterable[object]) -> list[str]:
    return sorted(str(item) for item, n in Counter(items).items() if n > 1)


def differences(stored: Stored, *, unsent: list[Order] | None = None) -> list[str]:
    """Every way the database disagrees with the venue (empty: they agree).

    An order the venue never received must have been refused (DENIED or REJECTED).
    With ``unsent`` given, such orders in any other status are appended to it
    rather than reported: a SIGKILL after the order was written ahead but before
    its submit left leaves one behind (see ``test_an_order_written_ahead_...``).
    """
    cache, exchange, problems = stored.cache, stored.exchange, list(stored.report.problems)
    reports = {r.client_order_id: r for r in exchange.order_status_reports(0)}
    cached = {o.client_order_id: o for o in cache.orders()}
    for coid, report in reports.items():
        order = cached.get(coid)
        if order is None:
            problems.append(f"{coid}: at the venue ({report.order_status.name}), not stored")
            continue
        if order.status is not report.order_status:
            problems.append(f"{coid}: stored {order.status.name}, venue {report.order_status.name}")
        if order.filled_qty != report.filled_qty:
            problems.append(f"{coid}: filled stored {order.filled_qty}, venue {report.filled_qty}")
        if order.venue_order_id != report.venue_order_id:
            problems.append(
                f"{coid}: venue order id stored {order.venue_order_id}, "
                f"venue {report.venue_order_id}"
            )
    for coid, order in cached.items():
        if order.strategy_id.value in ("EXTERNAL", "INTERNAL-DIFF"):
            problems.append(f"{coid}: stored for {order.strategy_id} (made up by reconciliation)")
        if coid in reports:
            continue
        if not never_at_venue(order):
            problems.append(f"{coid}: stored {order.status.name} as at the venue, unknown there")
        elif order.status not in NEVER_AT_VENUE:
            if unsent is None:
                problems.append(f"{coid}: never reached the venue, stored {order.status.name}")
            else:
                unsent.append(order)

    # Trade ids: the raw stored rows, so a fill written twice cannot hide.
    fills = stored_fills(stored.loaded)
    if repeated := twice(f.trade_id for f in fills):
        problems.append(f"trade ids stored twice for orders: {repeated}")
    for position in stored.loaded.positions:
        if repeated := twice(f.trade_id for f in position.fills):
            problems.append(f"position {position.position_id}: trade ids stored twice: {repeated}")
    venue_trades = [f.trade_id for f in exchange.fills()]
    assert not twice(venue_trades), "the venue itself repeated a trade id"
    order_trades = {f.trade_id for f in fills}
    if missing := sorted(str(t) for t in set(venue_trades) - order_trades):
        problems.append(f"venue fills not stored: {missing}")
    if unknown := sorted(str(t) for t in order_trades - set(venue_trades)):
        problems.append(f"stored fills the venue never made: {unknown}")

    venue_net = {r.instrument_id: r.signed_qty for r in exchange.position_status_reports(0)}
    stored_net: dict[InstrumentId, Decimal] = {}
    for position in cache.positions_open():
        iid = position.instrument_id
        stored_net[iid] = stored_net.get(iid, Decimal(0)) + position.signed_qty
    for iid in venue_net.keys() | stored_net.keys():
        venue_qty, stored_qty = venue_net.get(iid, Decimal(0)), stored_net.get(iid, Decimal(0))
        if venue_qty != stored_qty:
            problems.append(f"{iid}: net position stored {stored_qty}, venue {venue_qty}")
    return problems


# -- the tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "drop_fill", "buffer_ms"),
    [(1, 0.0, None), (2, 0.0, 200), (3, 0.05, None)],
    ids=["seed1", "seed2-write-behind", "seed3-drop-fill"],
)
async def test_sigkill_at_random_moments_then_restart_ends_equal_to_the_venue(
    tmp_path: Path, seed: int, drop_fill: float, buffer_ms: int | None
) -> None:
    rng = random.Random(seed)
    config = busy_copy(tmp_path, drop_fill=drop_fill, buffer_ms=buffer_ms)
    with trio.fail_after(CAP):
        for kill in range(KILLS):
            child = await run_then_kill(config, rng.uniform(0.3, 2.5))
            if kill:
                assert_restart_reconciled(child)
        journal = tmp_path / "sandbox-state.json.journal"
        assert journal.stat().st_size > 0, "the kill left no journal: nothing was crashed"
        busy = await run_then_ctrl_c(config, STATUS)  # restarts after the crash, trades on
        assert_restart_reconciled(busy)
        # The last restart does nothing but load, reconcile and stop; the venue stops
        # losing fills, so the fills it lost so far must come back through reconciliation.
        quiet_market(config)
        check = await run_then_ctrl_c(config)
        assert_restart_reconciled(check)

    stored = await stored_state(config)
    assert len(stored.exchange.fills()) > 10, "the venue made few fills: the run was not busy"
    unsent: list[Order] = []
    assert differences(stored, unsent=unsent) == []
    # Cut off by a SIGKILL between the write-ahead and the venue: never traded.
    assert all(not o.trade_ids for o in unsent), unsent


async def test_clean_stop_stores_every_event_the_node_processed(tmp_path: Path) -> None:
    # Write-behind, so at the SIGINT the buffer holds what the final flush must write.
    config = busy_copy(tmp_path, buffer_ms=1000)
    with trio.fail_after(CAP):
        child = await run_then_ctrl_c(config, STATUS, STATUS)
    out = child.output
    summary = SUMMARY.search(child.lines[-2])
    assert child.lines[-2].startswith("livetrade: summary:") and summary is not None, out
    fills, events = int(summary[1]), int(summary[2])
    written = WRITTEN_AT_STOP.search(out)
    assert written is not None and int(written[1]) > 0, out
    assert fills > 0, out

    stored = await stored_state(config)
    # The status reporter counted on the bus topics the database records
    # (``events.order.*``), from an empty database: the counts must be equal.
    assert sum(len(o.events) for o in stored.loaded.orders) == events
    order_fills = stored_fills(stored.loaded)
    assert len(order_fills) == fills
    venue_trades = {f.trade_id for f in stored.exchange.fills()}
    assert not twice(f.trade_id for f in order_fills)
    assert {f.trade_id for f in order_fills} <= venue_trades

    # Every venue fill is stored once a restart reconciled. (Right after the stop a
    # fill can still be missing: see test_cancel_orders_stop_policy_...)
    quiet_market(config)
    with trio.fail_after(CAP):
        check = await run_then_ctrl_c(config)
    assert_restart_reconciled(check)
    assert differences(await stored_state(config)) == []


# -- bugs found by the crash test, pinned ---------------------------------------------------------


async def test_an_order_written_ahead_but_never_sent_is_settled_at_restart(
    tmp_path: Path,
) -> None:
    config = busy_copy(tmp_path)
    edit(config, '\nstop_policy = "cancel_orders"\n', '\nstop_policy = "leave"\n')
    quiet_market(config)
    with trio.fail_after(CAP):
        await run_then_ctrl_c(config)  # the database and the venue's state exist

    # The crash window, made exact: the write-ahead gate wrote the order (with the
    # very call it uses), then the process died before the submit left for the venue.
    coid = ClientOrderId("O-20260101-000000-001-001-999")
    init = make_order_init(
        coid.value,
        instrument_id="BTCUSDT.SANDBOX",
        strategy_id=STRATEGY_ID,
        quantity="0.010",
        price="40000.00",
        post_only=True,
        ts_event=1_767_225_600_000_000_000,
    )
    node = node_config(config)
    service = persistence_of(node)
    await service.open()
    try:
        await service.write_ahead(init)
    finally:
        await service.close(node.cache.database.timeout)

    with trio.fail_after(CAP):
        restart = await run_then_ctrl_c(config)
    assert_restart_reconciled(restart)
    out = restart.output
    order = (await stored_state(config)).cache.order(coid)
    assert order is not None and never_at_venue(order)
    # Reconciliation must at least name the order the venue does not know...
    assert any(
        "reconciliation SANDBOX: order" in line and coid.value in line for line in restart.lines
    ), out
    # ...and not leave it INITIALIZED: rejected, or handed to the in-flight checks.
    assert order.status is not OrderStatus.INITIALIZED, out


RESTING_BID = '''
from decimal import Decimal

from livetrade import Strategy
from livetrade.model import InstrumentId, OrderSide, QuoteTick
from livetrade.model.events import OrderSubmitted


class RestingBid(Strategy):
    """One post-only buy 10% below the bid: it rests at the venue."""

    def on_start(self) -> None:
        self.subscribe_quote_ticks(InstrumentId("BTCUSDT.SANDBOX"))

    def on_quote_tick(self, tick: QuoteTick) -> None:
        if self.cache.orders(strategy_id=self.strategy_id):
            return
        instrument = self.cache.instrument(tick.instrument_id)
        price = instrument.make_price(tick.bid_price.as_decimal() * Decimal("0.9"), "down")
        qty = instrument.make_qty("0.010")
        order = self.order_factory.limit(tick.instrument_id, OrderSide.BUY, qty, price, post_only=True)
        self.submit_order(order)

    def on_order_submitted(self, event: OrderSubmitted) -> None:
        self.log.info("resting bid submitted, in flight to the venue")
'''


async def test_cancel_orders_stop_policy_cancels_an_order_still_in_flight(tmp_path: Path) -> None:
    config = busy_copy(tmp_path)
    (tmp_path / "resting_bid.py").write_text(RESTING_BID, encoding="utf-8")
    edit(config, '"sandbox_strategy:QuoteAroundMid"', '"resting_bid:RestingBid"')
    edit(config, "\nlatency_ms = 5\n", "\nlatency_ms = 500\n")  # the SIGINT comes well before
    with trio.fail_after(CAP):
        child = await run_then_ctrl_c(config, "resting bid submitted, in flight to the venue")
    out = child.output
    assert "cancel_orders: cancel requested" in out, out
    stored = await stored_state(config)
    working = [o.client_order_id for o in stored.exchange.open_orders()]
    assert working == [], f"left working at the venue after a cancel_orders stop:\n{out}"
    assert differences(stored) == []
