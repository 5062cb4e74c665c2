"""Hypothesis: whatever the sequence of orders, cancels, modifies and quotes, the books balance.

After every step: CASH balances never go negative (total and free); every working
order locks exactly what it needs and the account's locked amount is their sum
(plus position margin on MARGIN); each order's filled quantity is the sum of its
fills and at most its quantity; the venue position is the signed sum of fills;
an order's Accepted precedes its other messages. At the end, a to_dict/from_dict
round trip reproduces the state.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sandbox_support import (
    PAIR,
    PERP,
    cash_exchange,
    check_invariants,
    check_message_order,
    margin_exchange,
    order,
    quote,
    trade,
)

from livetrade.adapters.sandbox.exchange import SandboxExchange
from livetrade.model.enums import AccountType, OrderSide, OrderType, TimeInForce
from livetrade.model.identifiers import ClientOrderId
from livetrade.model.instruments import Instrument
from livetrade.model.quantities import Price, Quantity


def _px(ticks: int, instrument: Instrument) -> str:
    """A price ``ticks`` increments above zero, around 100 (PAIR) or 20000 (PERP)."""
    return str(Price.from_raw(ticks * instrument.price_increment.raw, instrument.price_precision))


def _qty(lots: int) -> str:
    return str(Quantity.from_raw(lots * 1_000_000, 3))


_rarely = st.sampled_from([False, False, False, False, True])

_TICKS = {PAIR.instrument_id: (9_500, 10_500), PERP.instrument_id: (195_000, 205_000)}

submits = st.fixed_dictionaries(
    {
        "action": st.just("submit"),
        "side": st.sampled_from(list(OrderSide)),
        "order_type": st.sampled_from(list(OrderType)),
        "tif": st.sampled_from(list(TimeInForce)),
        "lots": st.integers(1, 3_000),
        "price": st.integers(0, 1_000),
        "trigger": st.integers(0, 1_000),
        "post_only": _rarely,
        "reduce_only": _rarely,
        "expire_in": st.integers(-5, 50),
    }
)
quotes = st.fixed_dictionaries(
    {
        "action": st.just("quote"),
        "bid": st.integers(0, 1_000),
        "spread": st.integers(-2, 20),
        "bid_lots": st.integers(0, 3_000),
        "ask_lots": st.integers(0, 3_000),
    }
)
others = st.one_of(
    st.fixed_dictionaries({"action": st.just("cancel"), "index": st.integers(0, 50)}),
    st.fixed_dictionaries(
        {
            "action": st.just("modify"),
            "index": st.integers(0, 50),
            "lots": st.none() | st.integers(1, 3_000),
            "price": st.none() | st.integers(0, 1_000),
        }
    ),
    st.fixed_dictionaries({"action": st.just("trade"), "price": st.integers(0, 1_000)}),
    st.fixed_dictionaries({"action": st.just("advance"), "dt": st.integers(1, 30)}),
    st.fixed_dictionaries(
        {"action": st.just("cancel_all"), "side": st.none() | st.sampled_from(list(OrderSide))}
    ),
)
steps = st.lists(st.one_of(submits, quotes, quotes, others), max_size=60)


class _Driver:
    """Turns generated steps into exchange calls; keeps the clock and the order ids."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.low = _TICKS[instrument.instrument_id][0]
        self.accepted: set[object] = set()
        self.ids: list[str] = []
        self.ts = 100

    def copy(self) -> _Driver:
        other = _Driver(self.instrument)
        other.accepted, other.ids, other.ts = set(self.accepted), list(self.ids), self.ts
        return other

    def px(self, ticks: int) -> str:
        return _px(self.low + ticks, self.instrument)

    def step(self, exchange: SandboxExchange, n: int, step: dict[str, Any]) -> list[Any]:
        """Apply one step, check every invariant, return the venue's messages."""
        instrument = self.instrument
        self.ts += 1
        ts = self.ts
        kind = step["action"]
        msgs: Any = []
        if kind == "submit":
            coid = f"O-{n}"
            self.ids.append(coid)
            init = order(
                coid,
                instrument=instrument,
                side=step["side"],
                order_type=step["order_type"],
                time_in_force=step["tif"],
                quantity=_qty(step["lots"]),
                price=self.px(step["price"]),
                trigger_price=self.px(step["trigger"]),
                post_only=step["post_only"],
                reduce_only=step["reduce_only"],
                expire_time_ns=ts + step["expire_in"],
            )
            msgs = exchange.submit(init, ts)
        elif kind == "quote":
            bid = step["bid"]
            ask = max(bid + step["spread"], 1 - self.low)
            msgs = exchange.on_quote(
                quote(
                    self.px(bid),
                    self.px(ask),
                    _qty(step["bid_lots"]),
                    _qty(step["ask_lots"]),
                    ts=ts,
                    instrument=instrument,
                )
            )
        elif kind in ("cancel", "modify") and self.ids:
            coid = ClientOrderId(self.ids[step["index"] % len(self.ids)])
            if kind == "cancel":
                msgs = exchange.cancel(coid, ts, instrument_id=instrument.instrument_id)
            else:
                lots, price = step["lots"], step["price"]
                msgs = exchange.modify(
                    coid,
                    ts,
                    quantity=None if lots is None else Quantity(_qty(lots)),
                    price=None if price is None else Price(self.px(price)),
                    instrument_id=instrument.instrument_id,
                )
        elif kind == "trade":
            msgs = exchange.on_trade(trade(self.px(step["price"]), ts=ts, instrument=instrument))
        elif kind == "advance":
            self.ts += step["dt"]
            msgs = exchange.advance(self.ts)
        elif kind == "cancel_all":
            msgs = exchange.cancel_all(instrument.instrument_id, ts, step["side"])
        check_message_order(msgs, self.accepted)
        check_invariants(exchange)
        if exchange.account_type is AccountType.CASH:
            for balance in exchange.account_state(ts).balances:
                assert balance.total.raw >= 0, balance
                assert balance.free.raw >= 0, balance
        return list(msgs)


def _run(exchange: SandboxExchange, instrument: Instrument, actions: list[dict[str, Any]]) -> None:
    driver = _Driver(instrument)
    for n, step in enumerate(actions):
        driver.step(exchange, n, step)


def _round_trip(exchange: SandboxExchange) -> None:
    data = json.loads(json.dumps(exchange.to_dict()))
    restored = SandboxExchange.from_dict(data, instruments=exchange.instruments)
    assert restored.to_dict() == exchange.to_dict()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=steps)
def test_cash_account_invariants(actions: list[dict[str, Any]]) -> None:
    exchange = cash_exchange(usdt="500", eth="3")
    _run(exchange, PAIR, actions)
    _round_trip(exchange)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=steps)
def test_margin_account_invariants(actions: list[dict[str, Any]]) -> None:
    exchange = margin_exchange(usdt="20000", leverage="5")
    _run(exchange, PERP, actions)
    _round_trip(exchange)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=steps, split=st.integers(0, 60), margin=st.booleans())
def test_restored_exchange_behaves_identically(
    actions: list[dict[str, Any]], split: int, margin: bool
) -> None:
    """Snapshot anywhere in a session: the restored venue answers the rest exactly alike."""
    if margin:
        exchange, instrument = margin_exchange(usdt="20000", leverage="5"), PERP
    else:
        exchange, instrument = cash_exchange(usdt="500", eth="3"), PAIR
    driver = _Driver(instrument)
    for n, step in enumerate(actions[:split]):
        driver.step(exchange, n, step)
    data = json.loads(json.dumps(exchange.to_dict()))
    restored = SandboxExchange.from_dict(data, instruments=exchange.instruments)
    twin = driver.copy()
    for n, step in enumerate(actions[split:], start=split):
        assert twin.step(restored, n, step) == driver.step(exchange, n, step)
    assert restored.to_dict() == exchange.to_dict()
