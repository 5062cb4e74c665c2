"""An example strategy: quote both sides around the mid, follow the market, take positions.

Copy this file to start your own. It shows the parts most strategies need:

- parameters from the config's ``params`` table (``on_start`` reads them);
- market data (``subscribe_quote_ticks`` and ``on_quote_tick``);
- a timer (``clock.set_timer``) that drives the decisions, so the strategy
  does not react to every quote;
- limit orders placed, amended (``modify_order``) and canceled;
- positions taken with market orders and closed with ``close_position``;
- order and position events (``on_order_filled``, ``on_position_closed``).

Every ``requote_secs`` it keeps one post-only buy ``offset_ticks`` below the mid
and one sell as far above it. A resting order that the market left behind is
moved back next to the mid; every ``cancel_every``-th cycle the oldest one is
canceled instead. Every ``take_every``-th cycle it buys or sells
``trade_size`` at market, and a position larger than ``max_position`` is closed.
"""

from __future__ import annotations

from decimal import Decimal

from livetrade import Strategy
from livetrade.clock import TimeEvent
from livetrade.model import (
    InstrumentId,
    Order,
    OrderFilled,
    OrderSide,
    PositionClosed,
    Price,
    QuoteTick,
)


class QuoteAroundMid(Strategy):
    """Two-sided post-only quotes that follow the mid, plus occasional market trades."""

    def on_start(self) -> None:
        params = self.params
        self.instrument_id = InstrumentId(str(params.get("instrument_id", "BTCUSDT.SANDBOX")))
        instrument = self.cache.instrument(self.instrument_id)
        if instrument is None:
            raise RuntimeError(f"{self.instrument_id} is not in the cache: check the data client")
        self.instrument = instrument
        self.trade_size = instrument.make_qty(str(params.get("trade_size", "0.010")))
        self.max_position = Decimal(str(params.get("max_position", "0.050")))
        self.offset_ticks = int(params.get("offset_ticks", 8))  # type: ignore[call-overload]
        self.cancel_every = int(params.get("cancel_every", 5))  # type: ignore[call-overload]
        self.take_every = int(params.get("take_every", 7))  # type: ignore[call-overload]
        requote_secs = float(params.get("requote_secs", 2.0))  # type: ignore[arg-type]
        self.last_quote: QuoteTick | None = None
        self.cycles = 0
        self.subscribe_quote_ticks(self.instrument_id)
        self.clock.set_timer("requote", int(requote_secs * 1e9), self.on_requote)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self.last_quote = tick

    # -- the decision, once per timer tick ----------------------------------------------------

    def on_requote(self, event: TimeEvent) -> None:
        quote = self.last_quote
        if quote is None:
            return
        self.cycles += 1
        mid = quote.mid_price()
        offset = Price.from_raw(
            self.instrument.price_increment.raw * self.offset_ticks, self.instrument.price_precision
        )
        for side in (OrderSide.BUY, OrderSide.SELL):
            # Round away from the mid, so a post-only order never crosses the spread.
            if side is OrderSide.BUY:
                target = self.instrument.make_price(mid - offset, "down")
            else:
                target = self.instrument.make_price(mid + offset, "up")
            # Open orders and submits still awaiting the venue's ack: both count as quoted.
            cache, instrument_id = self.cache, self.instrument_id
            orders = cache.orders_open(instrument_id=instrument_id, side=side)
            orders += [
                o
                for o in cache.orders_inflight(instrument_id=instrument_id, side=side)
                if o.status.name == "SUBMITTED"
            ]
            self._quote_side(side, target, orders)
        if self.cycles % self.take_every == 0:
            self._take_position()

    def _quote_side(self, side: OrderSide, target: Price, orders: list[Order]) -> None:
        resting = [o for o in orders if o.order_type.name == "LIMIT" and not o.is_inflight]
        if not orders:
            init = self.order_factory.limit(
                self.instrument_id, side, self.trade_size, target, post_only=True
            )
            self.submit_order(init)
            return
        if not resting:
            return  # an order of this side is still in flight: wait for the venue's answer
        oldest = resting[0]
        if self.cycles % self.cancel_every == 0:
            self.cancel_order(oldest)
        elif oldest.price is not None and oldest.price != target:
            self.modify_order(oldest, price=target)

    def _take_position(self) -> None:
        net = self.portfolio.net_position(self.instrument_id)
        if abs(net) >= self.max_position:
            for position in self.cache.positions_open(
                instrument_id=self.instrument_id, strategy_id=self.strategy_id
            ):
                self.close_position(position)
            return
        side = OrderSide.BUY if self.cycles % (2 * self.take_every) else OrderSide.SELL
        self.submit_order(self.order_factory.market(self.instrument_id, side, self.trade_size))

    # -- events -------------------------------------------------------------------------------

    def on_order_filled(self, event: OrderFilled) -> None:
        self.log.info(
            "%s %s %s @ %s (%s)",
            event.client_order_id,
            event.order_side.name,
            event.last_qty,
            event.last_px,
            event.liquidity_side.name,
        )

    def on_position_closed(self, event: PositionClosed) -> None:
        self.log.info("position %s closed, realized %s", event.position_id, event.realized_pnl)


__all__ = ["QuoteAroundMid"]
