"""The ``sandbox`` suite of ``scripts/bench.py``: can the venue outrun the node?

The runtime benchmark needs at least 400,000 quotes/s from its source, so the
sandbox's generator must produce more than that, or benchmarks would measure
the generator instead of livetrade. Reported:

- ``quotes_generated_per_sec``: the random walk alone (``RandomWalk.quotes``);
- ``quotes_matched_per_sec``: generated and passed through the exchange's
  ``on_quote`` with no resting orders (the common case);
- ``quotes_matched_100_resting_per_sec``: the same with 100 resting limit orders
  far from the touch (the book is checked on every quote).
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from livetrade.adapters.sandbox.config import SandboxInstrumentConfig, build_instrument
from livetrade.adapters.sandbox.exchange import SandboxExchange
from livetrade.adapters.sandbox.feed import RandomWalk
from livetrade.model import (
    AccountId,
    AccountType,
    ClientOrderId,
    Currency,
    Money,
    OrderInitialized,
    OrderSide,
    OrderType,
    Price,
    Quantity,
    StrategyId,
    TraderId,
    Venue,
)

BATCH = 10_000


def _walk() -> RandomWalk:
    spec = SandboxInstrumentConfig(symbol="BTCUSDT", base="BTC", quote="USDT")
    return RandomWalk(build_instrument("SANDBOX", spec), seed=1, start_price=Decimal(50000))


def _exchange(walk: RandomWalk, resting: int) -> SandboxExchange:
    instrument = walk.instrument
    exchange = SandboxExchange(
        venue=Venue("SANDBOX"),
        account_id=AccountId("SANDBOX-001"),
        account_type=AccountType.CASH,
        instruments=[instrument],
        starting_balances=[Money("100000000", Currency.from_str("USDT"))],
    )
    exchange.on_quote(walk.quotes(1, 0, 0)[0])
    for index in range(resting):
        exchange.submit(
            OrderInitialized(
                trader_id=TraderId("BENCH-001"),
                strategy_id=StrategyId("Bench-001"),
                instrument_id=instrument.instrument_id,
                client_order_id=ClientOrderId(f"O-{index}"),
                ts_event=0,
                order_side=OrderSide.BUY,
                order_type=OrderType.LIMIT,
                quantity=Quantity("0.001"),
                price=Price(f"{10000 + index}.00"),
            ),
            0,
        )
    return exchange


def _rate(seconds: float, body: Any) -> float:
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        count += body()
    return count / (time.perf_counter() - start)


def bench_sandbox(seconds: float = 2.0) -> dict[str, object]:
    walk = _walk()
    ts = [0]

    def generate() -> int:
        ts[0] += BATCH * 1000
        return len(walk.quotes(BATCH, ts[0], 1000))

    def matched(exchange: SandboxExchange) -> Any:
        def body() -> int:
            ts[0] += BATCH * 1000
            on_quote = exchange.on_quote
            for quote in walk.quotes(BATCH, ts[0], 1000):
                on_quote(quote)
            return BATCH

        return body

    return {
        "suite": "sandbox",
        "quotes_generated_per_sec": round(_rate(seconds, generate)),
        "quotes_matched_per_sec": round(_rate(seconds, matched(_exchange(walk, 0)))),
        "quotes_matched_100_resting_per_sec": round(_rate(seconds, matched(_exchange(walk, 100)))),
    }
