"""The sandbox venue's matching engine: fills, triggers, expiries and closes.

``MatchingEngine`` owns the books, the account and the fill history, and applies
the matching rules to one order or one book at a time. ``SandboxExchange``
decides *when* (a command, a quote, a trade, the clock) and does the checking
and bookkeeping of orders; everything that moves an order's state after it was
accepted happens here. Every method appends what the venue says to ``msgs``.

Rules, in short (``docs/sandbox-matching.md`` has the full list):

- An order *arriving* at the book (new, just triggered, or modified) takes
  liquidity: it fills at the touch (ask for buys, bid for sells) as TAKER, up
  to the size left at the touch; then IOC/FOK cancel the rest, others rest.
- When a new quote crosses *resting* orders, they fill in priority order
  (``matching.py``): limits as MAKER at their own limit price, market
  remainders as TAKER at the touch, sharing the quote's size.
- A fill never takes more than the account can pay (CASH) or more than a
  reduce-only order may reduce; what is cut off is canceled with the reason.
"""

from __future__ import annotations

from typing import Any, Final, TypeVar

from livetrade.adapters.sandbox.accounts import VenueAccount
from livetrade.adapters.sandbox.checks import FOK_REASON, IOC_REASON, REDUCE_ONLY_REASON
from livetrade.adapters.sandbox.matching import Book, SandboxOrder
from livetrade.adapters.sandbox.messages import (
    Canceled,
    Expired,
    Filled,
    Triggered,
    VenueMessage,
)
from livetrade.model.data import QuoteTick
from livetrade.model.enums import LiquiditySide, OrderSide, OrderStatus, TimeInForce
from livetrade.model.identifiers import InstrumentId, TradeId, Venue
from livetrade.model.money import Money
from livetrade.model.quantities import Price, Quantity

__all__ = ["MatchingEngine", "message"]

_M = TypeVar("_M", bound=VenueMessage)

_BUY: Final = OrderSide.BUY
_TAKER: Final = LiquiditySide.TAKER
_MAKER: Final = LiquiditySide.MAKER


def message(kind: type[_M], order: SandboxOrder, ts: int, **fields: Any) -> _M:
    """A venue message of ``kind`` about ``order``."""
    return kind(
        client_order_id=order.client_order_id,
        venue_order_id=order.venue_order_id,
        instrument_id=order.instrument_id,
        ts=ts,
        **fields,
    )


class MatchingEngine:
    """Applies fills, triggers, expiries and cancels to the venue's orders and account."""

    def __init__(
        self, venue: Venue, account: VenueAccount, books: dict[InstrumentId, Book]
    ) -> None:
        self.venue = venue
        self.account = account
        self.books = books
        self.fills: list[Filled] = []
        self.trade_count = 0  #: trade ids are ``{venue}-T-{n}``
        self.seq = 0  #: the last time-priority number given

    def place(self, book: Book, order: SandboxOrder, ts: int, msgs: list[VenueMessage]) -> None:
        """Put an accepted or modified order to work: trigger, match or rest it."""
        if order.waits_for_trigger:
            if book.would_trigger(order):
                self.trigger(book, order, ts, msgs)
            else:
                book.add(order)
        else:
            self.take(book, order, ts, msgs)

    def match_quote(self, book: Book, quote: QuoteTick) -> list[VenueMessage]:
        """After a new quote: expire what is due, fill crossed resting orders, fire stops.

        Each list is looked at through its head's ``threshold`` first, so a quote
        that crosses nothing costs four comparisons.
        """
        msgs: list[VenueMessage] = []
        ts = quote.ts_event
        expiry = book.next_expiry
        if expiry is not None and expiry <= ts:
            self._expire(book, ts, msgs)
        ask, bid = quote.ask_price, quote.bid_price
        if (orders := book.buys) and orders[0].threshold >= ask.raw:
            self._match_resting(book, orders, quote, ts, msgs)
        if (orders := book.sells) and orders[0].threshold <= bid.raw:
            self._match_resting(book, orders, quote, ts, msgs)
        if (orders := book.buy_stops) and orders[0].threshold <= ask.raw:
            self._fire(book, orders, ask, ts, msgs)
        if (orders := book.sell_stops) and orders[0].threshold >= bid.raw:
            self._fire(book, orders, bid, ts, msgs)
        return msgs

    def match_trade(self, book: Book, price: Price, ts: int) -> list[VenueMessage]:
        """After a public trade at ``price``: expire what is due, fire the stops it reaches."""
        msgs: list[VenueMessage] = []
        self.expire_due(book, ts, msgs)
        if (orders := book.buy_stops) and orders[0].threshold <= price.raw:
            self._fire(book, orders, price, ts, msgs)
        if (orders := book.sell_stops) and orders[0].threshold >= price.raw:
            self._fire(book, orders, price, ts, msgs)
        return msgs

    # -- matching ----------------------------------------------------------------------

    def take(self, book: Book, order: SandboxOrder, ts: int, msgs: list[VenueMessage]) -> None:
        """Match an order arriving at the book (new, triggered or modified) as a taker.

        It fills at the touch up to the size left there; then the remainder is
        canceled (IOC/FOK) or joins the book.
        """
        side = order.side
        quote = book.quote
        touch = book.touch(side)
        fillable = 0
        if quote is not None and touch is not None and order.crosses(quote):
            fillable = min(order.leaves_raw, book.available(side))
        tif = order.time_in_force
        if tif is TimeInForce.FOK and not self._fills_whole(book, order, fillable, touch):
            self.close(book, order, OrderStatus.CANCELED, ts, msgs, FOK_REASON)
            return
        if fillable and touch is not None:
            self._execute(book, order, fillable, touch, _TAKER, ts, msgs)
        if not order.is_working:
            return
        if tif is TimeInForce.IOC or tif is TimeInForce.FOK:
            self.close(book, order, OrderStatus.CANCELED, ts, msgs, IOC_REASON)
        else:
            book.add(order)

    def _fills_whole(
        self, book: Book, order: SandboxOrder, fillable: int, touch: Price | None
    ) -> bool:
        """True if a FOK order can fill all its leaves now (size, reduce-only, balance)."""
        if touch is None or fillable < order.leaves_raw:
            return False
        return self._fit(book, order, fillable, touch, _TAKER)[0] == fillable

    def _match_resting(
        self,
        book: Book,
        orders: list[SandboxOrder],
        quote: QuoteTick,
        ts: int,
        msgs: list[VenueMessage],
    ) -> None:
        """Fill the head of one side's working orders while the new quote crosses it."""
        while orders:
            head = orders[0]
            available = book.available(head.side)
            if not available:
                return
            if head.works_as_market:
                px = quote.ask_price if head.side is _BUY else quote.bid_price
                liquidity = _TAKER
            elif head.crosses(quote):
                assert head.price is not None
                px, liquidity = head.price, _MAKER
            else:
                return
            self._execute(book, head, min(head.leaves_raw, available), px, liquidity, ts, msgs)

    def _fire(
        self, book: Book, stops: list[SandboxOrder], px: Price, ts: int, msgs: list[VenueMessage]
    ) -> None:
        """Trigger the stops of one list that ``px`` reaches, nearest trigger first."""
        buy = stops is book.buy_stops
        while stops and (stops[0].threshold <= px.raw if buy else stops[0].threshold >= px.raw):
            self.trigger(book, stops[0], ts, msgs)

    def trigger(self, book: Book, order: SandboxOrder, ts: int, msgs: list[VenueMessage]) -> None:
        if order.listed:
            book.remove(order)
        order.triggered = True
        order.status = OrderStatus.TRIGGERED
        order.ts_last = ts
        order.seq = self.next_seq()
        msgs.append(message(Triggered, order, ts))
        self.take(book, order, ts, msgs)

    def _fit(
        self, book: Book, order: SandboxOrder, qty: int, px: Price, liquidity: LiquiditySide
    ) -> tuple[int, str | None]:
        """How much of ``qty`` may fill (reduce-only, balance), and why not all of it."""
        if order.reduce_only:
            cap = self.account.reducible(order.instrument_id, order.side)
            if cap < qty:
                return cap, REDUCE_ONLY_REASON
        instrument = book.instrument
        fit = self.account.max_fill(order, instrument, qty, px, liquidity)
        if fit < qty:
            terms = self.account.terms(instrument)
            cost = terms.notional(qty, px.raw) + terms.fee(qty, px.raw, liquidity is _MAKER)
            need = Money.from_raw(cost, terms.currency)
            free = self.account.free(need.currency)
            if order.locked is not None and order.locked.currency == need.currency:
                free = free + order.locked
            return fit, f"insufficient balance: need {need}, free {free}"
        return qty, None

    def _execute(
        self,
        book: Book,
        order: SandboxOrder,
        qty: int,
        px: Price,
        liquidity: LiquiditySide,
        ts: int,
        msgs: list[VenueMessage],
    ) -> None:
        """Fill ``qty`` of ``order`` at ``px`` (less if it cannot), then cancel what cannot fill."""
        qty, reason = self._fit(book, order, qty, px, liquidity)
        if qty > 0:
            self._fill(book, order, qty, px, liquidity, ts, msgs)
        if reason is not None and order.is_working:
            self.close(book, order, OrderStatus.CANCELED, ts, msgs, reason)

    def _fill(
        self,
        book: Book,
        order: SandboxOrder,
        qty: int,
        px: Price,
        liquidity: LiquiditySide,
        ts: int,
        msgs: list[VenueMessage],
    ) -> None:
        instrument = book.instrument
        last_qty = Quantity.from_raw(qty, instrument.size_precision)
        terms = self.account.terms(instrument)
        commission = Money.from_raw(terms.fee(qty, px.raw, liquidity is _MAKER), terms.currency)
        order.filled_raw += qty
        order.fill_cost += px.raw * qty
        order.ts_last = ts
        done = order.filled_raw == order.quantity.raw
        order.status = OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED
        if done and order.listed:
            book.remove(order)
        book.consume(order.side, qty)
        self.account.apply_fill(order, instrument, last_qty, px, commission, ts)
        self.trade_count += 1
        fill = Filled(
            client_order_id=order.client_order_id,
            venue_order_id=order.venue_order_id,
            instrument_id=order.instrument_id,
            ts=ts,
            trade_id=TradeId(f"{self.venue}-T-{self.trade_count}"),
            order_side=order.side,
            order_type=order.order_type,
            last_qty=last_qty,
            last_px=px,
            commission=commission,
            liquidity_side=liquidity,
        )
        self.fills.append(fill)
        msgs.append(fill)

    # -- closing -----------------------------------------------------------------------

    def expire_due(self, book: Book, ts: int, msgs: list[VenueMessage]) -> None:
        expiry = book.next_expiry
        if expiry is not None and expiry <= ts:
            self._expire(book, ts, msgs)

    def _expire(self, book: Book, ts: int, msgs: list[VenueMessage]) -> None:
        for order in book.due_to_expire(ts):
            assert order.expires_at_ns is not None
            self.close(book, order, OrderStatus.EXPIRED, order.expires_at_ns, msgs)

    def close(
        self,
        book: Book,
        order: SandboxOrder,
        status: OrderStatus,
        ts: int,
        msgs: list[VenueMessage],
        reason: str = "",
    ) -> None:
        """End a working order: CANCELED (with ``reason``) or EXPIRED; release its lock."""
        if order.listed:
            book.remove(order)
        order.status = status
        order.ts_last = ts
        self.account.set_lock(order, None)
        if status is OrderStatus.EXPIRED:
            msgs.append(message(Expired, order, ts))
        else:
            order.cancel_reason = reason or None
            msgs.append(message(Canceled, order, ts, reason=reason))

    # -- helpers -----------------------------------------------------------------------

    def next_seq(self) -> int:
        """A fresh time-priority number."""
        self.seq += 1
        return self.seq
