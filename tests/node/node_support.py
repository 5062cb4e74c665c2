"""Shared pieces for node tests: quotes, a recording strategy."""

from __future__ import annotations

from typing import Any

from livetrade.model import InstrumentId, Price, Quantity, QuoteTick
from livetrade.trading.strategy import Strategy

BTC = InstrumentId("BTCUSDT.SIM")


def quote(
    bid: str = "100.00", ask: str = "100.02", ts: int = 0, instrument_id: InstrumentId = BTC
) -> QuoteTick:
    return QuoteTick(
        instrument_id=instrument_id,
        bid_price=Price(bid),
        ask_price=Price(ask),
        bid_size=Quantity("1.000"),
        ask_size=Quantity("1.000"),
        ts_event=ts,
        ts_init=ts,
    )


class Recorder(Strategy):
    """Records every hook call as (hook, payload) with the Trio time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[str, object]] = []
        self.started_at: int | None = None

    def on_start(self) -> None:
        self.started_at = self.clock.timestamp_ns()
        self.calls.append(("on_start", None))

    def on_stop(self) -> None:
        self.calls.append(("on_stop", None))

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self.calls.append(("on_quote_tick", tick))

    def on_order_event(self, event: object) -> None:
        self.calls.append((type(event).__name__, event))

    def on_position_event(self, event: object) -> None:
        self.calls.append((type(event).__name__, event))

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.calls]
