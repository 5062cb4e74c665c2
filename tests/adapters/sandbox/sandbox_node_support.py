"""Shared pieces for node-level sandbox tests: the example strategy and consistency checks."""

from __future__ import annotations

import importlib.util
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from livetrade.config.strategies import StrategyConfig
from livetrade.model import FIXED_SCALAR, InstrumentId, OrderFilled, OrderSide, OrderStatus
from livetrade.node.node import LiveNode
from livetrade.testing.sandbox import SandboxSetup
from livetrade.trading.strategy import Strategy

ROOT = Path(__file__).resolve().parents[3]
_NEVER_AT_VENUE = frozenset({OrderStatus.REJECTED, OrderStatus.DENIED})
BTC = InstrumentId("BTCUSDT.SANDBOX")


def example_strategy(**params: Any) -> Strategy:
    """The README's example strategy, loaded from ``examples/`` as a user would copy it."""
    spec = importlib.util.spec_from_file_location(
        "sandbox_strategy_example", ROOT / "examples" / "sandbox_strategy.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    defaults = {
        "instrument_id": "BTCUSDT.SANDBOX",
        "trade_size": "0.010",
        "max_position": "0.050",
        "offset_ticks": 3,
        "requote_secs": 2.0,
    }
    defaults.update(params)
    config = StrategyConfig(
        path="sandbox_strategy_example:QuoteAroundMid", order_id_tag="001", params=defaults
    )
    strategy: Strategy = module.QuoteAroundMid(config)
    return strategy


def venue_mismatches(setup: SandboxSetup) -> list[str]:
    """Every difference between the node's cache and the venue's own view (empty: equal)."""
    node, exchange = setup.node, setup.venue.exchange
    ts = node.kernel.clock.timestamp_ns()
    problems: list[str] = []
    reports = {r.client_order_id: r for r in exchange.order_status_reports(ts)}
    cached = {o.client_order_id: o for o in node.cache.orders()}
    for coid in sorted(set(reports) | set(cached), key=str):
        report, order = reports.get(coid), cached.get(coid)
        if report is None and order is not None and order.status in _NEVER_AT_VENUE:
            continue  # refused before it could rest: a venue keeps no record of it
        if report is None or order is None:
            status = None if order is None else order.status.name
            problems.append(f"{coid}: venue {report is not None}, cache {status}")
            continue
        if order.status is not report.order_status:
            problems.append(f"{coid}: cache {order.status.name}, venue {report.order_status.name}")
        if order.filled_qty != report.filled_qty:
            problems.append(f"{coid}: filled cache {order.filled_qty}, venue {report.filled_qty}")
        if order.venue_order_id != report.venue_order_id:
            problems.append(f"{coid}: venue order id {order.venue_order_id}")
    venue_trades = {f.trade_id for f in exchange.fills()}
    node_trades = {t for o in node.cache.orders() for t in o.trade_ids}
    if venue_trades != node_trades:
        problems.append(f"trade ids differ: {sorted(map(str, venue_trades ^ node_trades))}")
    for report in exchange.position_status_reports(ts):
        net = node.portfolio.net_position(report.instrument_id)
        if net != report.signed_qty:
            problems.append(f"{report.instrument_id}: net cache {net}, venue {report.signed_qty}")
    return problems


def fills_of(node: LiveNode, instrument_id: InstrumentId = BTC) -> list[OrderFilled]:
    fills = [
        e
        for o in node.cache.orders(instrument_id=instrument_id)
        for e in o.events
        if isinstance(e, OrderFilled)
    ]
    return sorted(fills, key=lambda f: (f.ts_event, str(f.trade_id)))


def recomputed_pnl(fills: list[OrderFilled], mark: Fraction) -> tuple[Fraction, Fraction]:
    """(realized, total at ``mark``) from the fills alone, average-cost netting, exact."""
    position = Fraction(0)
    average = Fraction(0)
    realized = Fraction(0)
    cash = Fraction(0)
    for fill in fills:
        qty = Fraction(fill.last_qty.raw, FIXED_SCALAR)
        px = Fraction(fill.last_px.raw, FIXED_SCALAR)
        signed = qty if fill.order_side is OrderSide.BUY else -qty
        commission = Fraction(fill.commission.as_decimal())
        realized -= commission
        cash -= signed * px + commission
        if position == 0 or (position > 0) == (signed > 0):
            average = (average * abs(position) + px * qty) / (abs(position) + qty)
            position += signed
            continue
        closing = min(qty, abs(position))
        direction = 1 if position > 0 else -1
        realized += closing * (px - average) * direction
        position += signed
        if position != 0 and (position > 0) != (direction > 0):
            average = px  # flipped: the rest opened a new position at this fill's price
        elif position == 0:
            average = Fraction(0)
    return realized, cash + position * mark


def as_fraction(value: Decimal) -> Fraction:
    return Fraction(value)
