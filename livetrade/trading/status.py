"""A compact, periodic picture of a running node, for people watching a terminal.

``StatusReporter`` is an ordinary actor: every ``interval_secs`` it logs one
line (``livetrade.status`` logger) with open/filled/canceled orders, open
positions, realized and unrealized PnL and the execution and data event rates.
``summary()`` gives the same picture for the whole run, printed after a stop.
Counting happens on the message bus, so purged orders still count.
"""

from __future__ import annotations

import logging
from collections import Counter

from livetrade.clock import TimeEvent
from livetrade.model import events as ev
from livetrade.model.data import QuoteTick
from livetrade.model.money import Money
from livetrade.trading.actor import Actor

__all__ = ["StatusReporter"]

log = logging.getLogger("livetrade.status")

_NS = 1_000_000_000


class StatusReporter(Actor):
    """Logs a one-line status every ``interval_secs`` (0: only the final summary)."""

    def __init__(self, interval_secs: float = 5.0) -> None:
        super().__init__("StatusReporter")
        self.interval_secs = interval_secs
        self.counts: Counter[str] = Counter()
        self.quotes = 0
        self._last_ns = 0
        self._last_events = 0
        self._last_quotes = 0
        self._started_ns = 0

    def on_start(self) -> None:
        self.msgbus.subscribe("events.order.*", self._on_order_event)
        self.msgbus.subscribe("data.quotes.*", self._on_quote)
        self._started_ns = self._last_ns = self.clock.timestamp_ns()
        if self.interval_secs > 0:
            self.clock.set_timer("status", int(self.interval_secs * _NS), self._report)

    def _on_order_event(self, event: object) -> None:
        if isinstance(event, ev.OrderFilled):
            self.counts["fills"] += 1
        elif isinstance(event, ev.OrderEvent):
            self.counts[type(event).__name__] += 1
        self.counts["events"] += 1

    def _on_quote(self, quote: object) -> None:
        if type(quote) is QuoteTick:
            self.quotes += 1

    def _report(self, event: TimeEvent) -> None:
        now = event.ts_event
        elapsed = max(now - self._last_ns, 1) / _NS
        events_rate = (self.counts["events"] - self._last_events) / elapsed
        quotes_rate = (self.quotes - self._last_quotes) / elapsed
        self._last_ns, self._last_events, self._last_quotes = (
            now,
            self.counts["events"],
            self.quotes,
        )
        log.info("%s | %.0f events/s, %.0f quotes/s", self.line(), events_rate, quotes_rate)

    def line(self) -> str:
        """Orders, positions and PnL as they are now."""
        cache = self.cache
        filled = sum(1 for o in cache.orders_closed() if o.filled_qty.is_positive())
        canceled = self.counts["OrderCanceled"] + self.counts["OrderExpired"]
        positions = cache.positions_open()
        held = ", ".join(f"{p.instrument_id.symbol} {p.signed_qty:+}" for p in positions) or "flat"
        realized: dict[str, Money] = {}
        unrealized: dict[str, Money] = {}
        unknown = False
        for instrument_id in {p.instrument_id for p in cache.positions()}:
            for target, value in (
                (realized, self.portfolio.realized_pnl(instrument_id)),
                (unrealized, self.portfolio.unrealized_pnl(instrument_id)),
            ):
                if value is None:
                    unknown = unknown or target is unrealized
                    continue
                code = value.currency.code
                target[code] = target[code] + value if code in target else value
        return (
            f"orders open {len(cache.orders_open())} filled {filled} canceled {canceled} "
            f"rejected {self.counts['OrderRejected'] + self.counts['OrderDenied']} "
            f"| fills {self.counts['fills']} | positions {held} "
            f"| realized {_money(realized)} unrealized {_money(unrealized)}"
            f"{' (no price yet)' if unknown else ''}"
        )

    def summary(self) -> str:
        """The whole run: the status line plus totals and average rates."""
        if self._services is None or not self._started_ns:
            return "no status: the node did not start trading"
        seconds = max(self.clock.timestamp_ns() - self._started_ns, 1) / _NS
        return (
            f"{self.line()} | {self.counts['events']} order events and {self.quotes} quotes "
            f"in {seconds:.1f}s"
        )


def _money(totals: dict[str, Money]) -> str:
    if not totals:
        return "0"
    return ", ".join(str(value) for _, value in sorted(totals.items()))
