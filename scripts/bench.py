"""livetrade benchmarks: ``python scripts/bench.py SUITE`` prints one JSON object.

Suites measure, they do not assert: compare numbers across commits and machines.

- ``model``: cost of the pure domain model's hot operations.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable

from livetrade.model.events import OrderFilled
from livetrade.model.orders import Order
from livetrade.model.quantities import Price, Quantity
from livetrade.testing import OrderEvents, make_order


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


def bench_model() -> dict[str, object]:
    return {
        "suite": "model",
        "fill_apply_us": round(_fill_apply_us(), 3),
        "price_ops_per_sec": round(_price_ops_per_sec()),
    }


SUITES: dict[str, Callable[[], dict[str, object]]] = {"model": bench_model}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", choices=sorted(SUITES))
    args = parser.parse_args(argv)
    result = SUITES[args.suite]()
    result["python"] = platform.python_version()
    result["machine"] = platform.machine()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
