"""Shared helpers for the persistence tests: samples of every stored type, a trading
scenario driven through the real execution engine, and a comparable cache snapshot.

Test policy (persistence):

- the codec and the memory store are pure or in-process: plain tests, and
  ``autojump_clock`` wherever a timing is asserted (exact virtual times);
- SQLite runs on a real file in ``tmp_path`` (its writer thread is outside
  Trio, so no exact virtual times are asserted against it);
- Redis runs against a real ``redis-server`` started by the ``redis_server``
  fixture on a free loopback port, with the real clock and a ``trio.fail_after``
  cap on every test (autojump would jump while the server answers).

The fixtures live here, not in a ``conftest.py``: with pytest's default import
mode every ``conftest.py`` is imported as the module ``conftest``, and a second
one would replace ``tests/config/conftest.py`` in ``sys.modules``. A test module
imports the fixture it uses (``redis_server_fixture``, registered as ``redis_server``).
"""

from __future__ import annotations

import os
import select
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import attrs
import pytest
import trio

from livetrade.cache import Cache
from livetrade.config.engines import RiskEngineConfig
from livetrade.execution.engine import ExecutionEngine
from livetrade.execution.messages import SubmitOrder
from livetrade.model import (
    AccountBalance,
    AccountId,
    AccountState,
    AccountType,
    ClientId,
    ClientOrderId,
    ContingencyType,
    CryptoPerpetual,
    Currency,
    CurrencyPair,
    CurrencyType,
    InstrumentId,
    LiquiditySide,
    MarginBalance,
    Money,
    OmsType,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderInitialized,
    OrderListId,
    OrderModifyRejected,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderRejected,
    OrderSide,
    OrderSubmitted,
    OrderTriggered,
    OrderType,
    OrderUpdated,
    PositionId,
    Price,
    Quantity,
    StrategyId,
    Symbol,
    TimeInForce,
    TradeId,
    TraderId,
    Venue,
    VenueOrderId,
)
from livetrade.model.orders import Order
from livetrade.model.positions import Position
from livetrade.msgbus import MessageBus
from livetrade.persistence.records import OrderRoute
from livetrade.persistence.service import PersistenceService
from livetrade.risk.engine import RiskEngine
from livetrade.testing.builders import OrderEvents, make_order_init

TRADER = TraderId("TRADER-001")
OTHER_TRADER = TraderId("TRADER-002")
STRATEGY = StrategyId("S-001")
ACCOUNT = AccountId("SIM-001")
USDT = Currency.from_str("USDT")
BTC = Currency.from_str("BTC")
#: a currency nobody registered: stored in full, not by code
XYZ = Currency(code="XYZ", precision=4, currency_type=CurrencyType.CRYPTO, name="Test coin")
TS = 1_700_000_000_123_456_789


def spot() -> CurrencyPair:
    return CurrencyPair(
        instrument_id=InstrumentId("BTCUSDT.SIM"),
        raw_symbol=Symbol("BTCUSDT"),
        base_currency=BTC,
        quote_currency=USDT,
        price_precision=2,
        size_precision=3,
        price_increment=Price("0.01"),
        size_increment=Quantity("0.001"),
        maker_fee=Decimal("0.0002"),
        taker_fee=Decimal("0.0004"),
        ts_event=TS,
        ts_init=TS + 1,
    )


def perpetual() -> CryptoPerpetual:
    """A perpetual with every optional field set, including limits beyond 64 bits raw."""
    return CryptoPerpetual(
        instrument_id=InstrumentId("ETH-PERP.SIM"),
        raw_symbol=Symbol("ETH-PERP"),
        base_currency=Currency.from_str("ETH"),
        quote_currency=USDT,
        price_precision=1,
        size_precision=2,
        price_increment=Price("0.1"),
        size_increment=Quantity("0.01"),
        multiplier=Quantity("10"),
        min_quantity=Quantity("0.01"),
        max_quantity=Quantity("90000000000.00"),  # raw 9e19 > 2**63
        min_notional=Money("5", USDT),
        max_notional=Money("100000000000", USDT),  # raw 1e20
        min_price=Price("-1000.0"),
        max_price=Price("1000000.0"),
        maker_fee=Decimal("-0.0001"),
        taker_fee=Decimal("5E-4"),
        margin_init=Decimal("0.05"),
        margin_maint=Decimal("0.025"),
        ts_event=TS,
        ts_init=TS,
    )


def _ids(coid: str = "O-1") -> dict[str, Any]:
    return {
        "trader_id": TRADER,
        "strategy_id": STRATEGY,
        "instrument_id": InstrumentId("BTCUSDT.SIM"),
        "client_order_id": ClientOrderId(coid),
        "ts_event": TS,
        "ts_init": TS + 7,
    }


def _fixed_ids(events: list[Any], prefix: str) -> list[Any]:
    """The same values on every call: event ids are otherwise random."""
    return [attrs.evolve(e, event_id=f"{prefix}-{i}") for i, e in enumerate(events)]


def order_event_samples() -> list[OrderEvent]:
    """One instance of every ``OrderEvent`` subclass, optional fields set where they exist."""
    venue = {"account_id": ACCOUNT, "venue_order_id": VenueOrderId("V-1")}
    samples: list[OrderEvent] = [
        OrderInitialized(
            **_ids(),
            order_side=OrderSide.SELL,
            order_type=OrderType.STOP_LIMIT,
            quantity=Quantity("1.500"),
            time_in_force=TimeInForce.GTD,
            price=Price("100.50"),
            trigger_price=Price("101.00"),
            expire_time_ns=TS + 3_600_000_000_000,
            post_only=True,
            reduce_only=True,
            contingency_type=ContingencyType.OCO,
            order_list_id=OrderListId("OL-1"),
            linked_order_ids=(ClientOrderId("O-2"), ClientOrderId("O-3")),
            parent_order_id=ClientOrderId("O-0"),
            tags=("entry", "scalp"),
            reconciliation=True,
        ),
        OrderDenied(**_ids(), reason="notional above the maximum"),
        OrderSubmitted(**_ids(), account_id=ACCOUNT),
        OrderAccepted(**_ids(), **venue),
        OrderRejected(**_ids(), account_id=ACCOUNT, reason="post only", due_post_only=True),
        OrderCanceled(**_ids(), **venue),
        OrderExpired(**_ids(), **venue),
        OrderTriggered(**_ids(), **venue),
        OrderPendingUpdate(**_ids(), **venue),
        OrderPendingCancel(**_ids()),
        OrderModifyRejected(**_ids(), **venue, reason="too late"),
        OrderCancelRejected(**_ids(), **venue, reason="already filled"),
        OrderUpdated(**_ids(), **venue, quantity=Quantity("2.000"), price=Price("99.99")),
        OrderFilled(
            **_ids(),
            **venue,
            trade_id=TradeId("T-1"),
            order_side=OrderSide.BUY,
            order_type=OrderType.LIMIT,
            last_qty=Quantity("0.250"),
            last_px=Price("-0.05"),
            currency=USDT,
            commission=Money("-0.01", USDT),
            liquidity_side=LiquiditySide.MAKER,
            position_id=PositionId("BTCUSDT.SIM-S-001"),
        ),
        OrderFilled(
            **_ids("O-9"),
            **venue,
            trade_id=TradeId("T-2"),
            order_side=OrderSide.SELL,
            order_type=OrderType.MARKET,
            last_qty=Quantity("20000000000.000"),  # raw 2e19 > 2**63
            last_px=Price("0.000000001"),
            currency=XYZ,
            commission=Money("1.2345", XYZ),
        ),
    ]
    return _fixed_ids(samples, "order-event")


def account_state_samples() -> list[AccountState]:
    usdt = AccountBalance.from_total_and_locked(Money("1000.50", USDT), Money("100.25", USDT))
    samples = [
        AccountState(
            account_id=ACCOUNT,
            account_type=AccountType.CASH,
            base_currency=None,
            reported=True,
            balances=(
                usdt,
                AccountBalance.from_total_and_locked(Money("0.5", BTC), Money("0", BTC)),
            ),
            ts_event=TS,
            ts_init=TS + 1,
        ),
        AccountState(
            account_id=AccountId("SIM-002"),
            account_type=AccountType.MARGIN,
            base_currency=USDT,
            reported=False,
            balances=(usdt,),
            margins=(
                MarginBalance(
                    initial=Money("10", USDT),
                    maintenance=Money("5", USDT),
                    instrument_id=InstrumentId("ETH-PERP.SIM"),
                ),
                MarginBalance(initial=Money("1", USDT), maintenance=Money("0.5", USDT)),
            ),
            ts_event=TS + 5,
            ts_init=TS + 6,
        ),
    ]
    return _fixed_ids(samples, "account-state")


def route_samples() -> list[OrderRoute]:
    return [
        OrderRoute(client_order_id=ClientOrderId("O-1")),
        OrderRoute(
            client_order_id=ClientOrderId("O-1"),
            client_id=ClientId("SIM"),
            position_id=PositionId("BTCUSDT.SIM-S-001-O-1"),
        ),
    ]


def stored_samples() -> list[object]:
    """Every type the cache database stores (a position stores ``OrderFilled`` rows)."""
    return [
        spot(),
        perpetual(),
        *order_event_samples(),
        *account_state_samples(),
        *route_samples(),
    ]


# -- a trading scenario through the real execution engine -----------------------------------


class FixedClock:
    def __init__(self) -> None:
        self.now = TS

    def timestamp_ns(self) -> int:
        self.now += 1_000
        return self.now


class SimClient:
    """The smallest execution client: takes commands, sends nothing."""

    def __init__(self, oms_type: OmsType) -> None:
        self.id = ClientId("SIM")
        self.venue = Venue("SIM")
        self.account_id = ACCOUNT
        self.oms_type = oms_type

    def _take(self, command: object) -> None:
        pass

    submit_order = submit_order_list = modify_order = cancel_order = _take
    cancel_all_orders = query_order = _take


class Scenario:
    """A cache changed by the real engine, with every change recorded to ``service``.

    The service is wired the way the node wires it: a bus subscription for order,
    position and account events, ``record`` for instruments and
    ``record_order`` when a strategy adds an order.
    """

    def __init__(self, service: PersistenceService, oms: OmsType = OmsType.NETTING) -> None:
        self.service = service
        self.cache = Cache()
        self.bus = MessageBus()
        self.clock = FixedClock()
        self.engine = ExecutionEngine(
            self.cache, self.bus, self.clock, RiskEngine(RiskEngineConfig(), self.cache, self.clock)
        )
        self.engine.register_client(SimClient(oms))  # type: ignore[arg-type]
        for topic in ("events.order.*", "events.position.*", "events.account.*"):
            self.bus.subscribe(topic, self._record_applied)
        self.instrument = spot()
        self.add_instrument(self.instrument)

    def _record_applied(self, message: object) -> None:
        if isinstance(message, OrderInitialized):
            return  # recorded by record_order when the order was added
        self.service.record(message)  # type: ignore[arg-type]

    def add_instrument(self, instrument: Any) -> None:
        self.cache.add_instrument(instrument)
        self.service.record(instrument)

    def submit(
        self,
        coid: str,
        side: OrderSide = OrderSide.BUY,
        quantity: str = "1.000",
        price: str = "100.00",
        *,
        position_id: str | None = None,
        client_id: str | None = None,
    ) -> tuple[Order, OrderEvents]:
        order = Order(
            make_order_init(
                coid,
                instrument_id="BTCUSDT.SIM",
                side=side,
                quantity=quantity,
                price=price,
                ts_event=self.clock.timestamp_ns(),
            )
        )
        if position_id is not None:
            order.position_id = PositionId(position_id)
        cid = None if client_id is None else ClientId(client_id)
        self.cache.add_order(order, client_id=cid)
        self.service.record_order(order, client_id=cid)
        self.engine.execute(
            SubmitOrder(
                trader_id=order.trader_id,
                strategy_id=order.strategy_id,
                instrument_id=order.instrument_id,
                ts_init=self.clock.now,
                order=order.init_event,
                position_id=order.position_id,
                client_id=cid,
            )
        )
        events = OrderEvents(order, account_id=ACCOUNT.value, ts_start=self.clock.now)
        self.engine.process(events.accepted())
        return order, events

    def account(self, total: str, ts: int) -> AccountState:
        state = AccountState(
            account_id=ACCOUNT,
            account_type=AccountType.CASH,
            base_currency=None,
            reported=True,
            balances=(AccountBalance.from_total_and_locked(Money(total, USDT), Money("0", USDT)),),
            ts_event=ts,
            ts_init=ts,
        )
        self.engine.process(state)
        return state

    def trade(self) -> None:
        """Orders that open, increase, reduce, flip and close a NETTING position, plus
        a cancel, a partial fill left open, a routed order and account states."""
        _, ea = self.submit("O-1", OrderSide.BUY, "2.000", "100.00")
        self.engine.process(ea.filled("0.500", "100.00", commission="0.02"))
        _, eb = self.submit("O-2", OrderSide.BUY, "1.000", "101.00", client_id="SIM")
        self.engine.process(eb.filled("1.000", "101.00", commission="0.04"))
        self.engine.process(ea.filled("1.500", "99.50", commission="0.06"))
        _, ec = self.submit("O-3", OrderSide.SELL, "5.000", "102.00")
        self.engine.process(ec.filled("4.000", "102.00", commission="0.16"))  # closes 3, flips 1
        self.engine.process(ec.filled("1.000", "102.50"))
        _, ed = self.submit("O-4", OrderSide.BUY, "1.000", "90.00")
        self.engine.process(ed.canceled())
        _, ee = self.submit("O-5", OrderSide.BUY, "3.000", "101.00")
        self.engine.process(ee.filled("2.000", "101.00"))  # flat again, 1.000 left working
        _, ef = self.submit(
            "O-6", OrderSide.SELL, "0.500", "100.00", position_id="BTCUSDT.SIM-S-001-H1"
        )
        self.engine.process(ef.filled("0.500", "100.00", commission="0.01"))  # its own position
        self.account("1000.00", TS + 10)
        self.account("998.50", TS + 5)  # late: slots in before the first
        self.account("997.00", TS + 20)


# -- comparing caches ---------------------------------------------------------------------------


def _order_state(order: Order) -> tuple[object, ...]:
    return (
        order.client_order_id,
        order.status,
        order.venue_order_id,
        order.account_id,
        order.position_id,
        order.quantity,
        order.filled_qty,
        order.leaves_qty,
        order.avg_px,
        order.ts_last,
        order.ts_accepted,
        tuple(order.events),
        order.trade_ids,
        order.commissions,
    )


def _position_state(position: Position) -> tuple[object, ...]:
    return (
        position.id,
        position.side,
        position.signed_qty_raw,
        position.peak_qty,
        position.avg_px_open,
        position.avg_px_close,
        position.realized_pnl_exact,
        position.commissions,
        position.entry,
        position.opening_order_id,
        position.closing_order_id,
        position.ts_opened,
        position.ts_closed,
        position.ts_last,
        tuple(position.events),
    )


def snapshot(cache: Cache) -> dict[str, object]:
    """What a rebuilt cache must reproduce, in the cache's own (insertion) order."""
    orders = cache.orders()
    return {
        "instruments": [repr(i) for i in cache.instruments()],
        "orders": [_order_state(o) for o in orders],
        "routes": [cache.client_id_for_order(o.client_order_id) for o in orders],
        "order_positions": [cache.position_id_for_order(o.client_order_id) for o in orders],
        "open_orders": [o.client_order_id for o in cache.orders_open()],
        "positions": [_position_state(p) for p in cache.positions()],
        "open_positions": [p.id for p in cache.positions_open()],
        "accounts": {a: cache.account_states(a) for a in cache.account_ids()},
    }


# -- a real redis-server ---------------------------------------------------------------------

READY_TIMEOUT = 10.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """One ``redis-server`` process; ``port`` stays the same across restarts."""

    def __init__(self, executable: str, directory: Path, *, password: str | None = None) -> None:
        self.executable = executable
        self.directory = directory
        self.port = _free_port()
        self.password = password
        self._process: subprocess.Popen[bytes] | None = None
        self._drainer: threading.Thread | None = None
        self.host = "127.0.0.1"

    def start(self) -> None:
        args = [
            self.executable,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.directory),
        ]
        if self.password is not None:
            args += ["--requirepass", self.password]
        self._process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=self.directory
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        """Read the server's log until it says it accepts connections (no polling).

        ``select`` bounds each read by what is left of ``READY_TIMEOUT``; after that a
        daemon thread drains the log so the server never blocks on a full pipe.
        """
        process = self._process
        assert process is not None and process.stdout is not None
        stdout = process.stdout
        deadline = time.monotonic() + READY_TIMEOUT
        log = b""
        problem = None
        while b"Ready to accept connections" not in log:
            remaining = deadline - time.monotonic()
            readable, _, _ = select.select([stdout], [], [], max(remaining, 0))
            if not readable:
                problem = f"not ready within {READY_TIMEOUT}s"
                break
            chunk = os.read(stdout.fileno(), 65536)  # raw: select sees only the OS pipe
            if not chunk:
                problem = f"exited with {process.wait()}"
                break
            log += chunk
        if problem is not None:
            self.stop()
            raise RuntimeError(
                f"redis-server on port {self.port} {problem}: {log.decode(errors='replace')}"
            )
        self._drainer = threading.Thread(target=_drain, args=(stdout,), daemon=True)
        self._drainer.start()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait(timeout=10)
            drainer, self._drainer = self._drainer, None
            if drainer is not None:
                drainer.join(timeout=10)  # EOF once the server is gone
            if process.stdout is not None:
                process.stdout.close()

    def command(self, *args: str) -> bytes:
        """Send one command with a blocking socket (test setup and inspection only)."""
        parts = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            data = arg.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        with socket.create_connection((self.host, self.port), timeout=5.0) as conn:
            conn.sendall(b"".join(parts))
            return conn.recv(65536)


def _drain(stream: IO[bytes]) -> None:
    for _ in iter(stream.readline, b""):
        pass


def redis_executable() -> str:
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail(
            "redis-server is not installed: the Redis tests need it "
            "(apt-get install redis-server; .ci/run does this)"
        )
    return executable


async def wait_until(condition: Callable[[], bool], *, poll: float = 0.005) -> None:
    """Wait on the real clock until ``condition()`` holds (callers cap it with fail_after).

    Only for tests against a real ``redis-server``: progress there depends on
    another process, so there is no event to wait for and no virtual time.
    """
    while not condition():  # noqa: ASYNC110
        await trio.sleep(poll)


# -- fixtures -----------------------------------------------------------------------------------
# A real ``redis-server`` in a temporary directory with no persistence (``--save ""
# --appendonly no``), waited for until it answers PING and killed afterwards. Tests
# can ``stop()`` and ``start()`` it again on the same port to simulate an outage (the
# data does not survive a restart). CI installs ``redis-server`` (``.ci/run``); a
# machine without it fails these tests rather than skipping them silently.


@pytest.fixture(name="redis_server")
def redis_server_fixture(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(redis_executable(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(name="redis_server_with_password")
def redis_server_with_password_fixture(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(redis_executable(), tmp_path, password="s3cret-pass")
    server.start()
    try:
        yield server
    finally:
        server.stop()
