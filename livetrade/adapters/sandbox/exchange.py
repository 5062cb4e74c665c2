"""``SandboxExchange``: a pure simulated venue that matches orders against the top of book.

Theory of operation
-------------------
The exchange is a plain object: every method takes the venue time ``ts`` (UNIX
ns) from the caller, changes the venue's state and returns the messages the
venue would send (``messages.py``), in order. It reads no clock, does no I/O and
logs nothing, so the async sandbox clients (and tests) drive it with values.

Commands: ``submit`` answers ``Rejected`` or ``Accepted`` (then any immediate
``Triggered``/``Filled``/``Canceled``); ``modify`` answers ``Amended`` or
``AmendRejected``; ``cancel`` answers ``Canceled`` or ``CancelRejected``.
Market data: ``on_quote`` replaces the instrument's top of book and matches the
working orders against it; ``on_trade`` records the last price and fires stops;
``advance`` expires GTD/DAY orders. Every entry point first expires the orders
of the instrument it touches whose expiry is at or before its ``ts``.

The matching rules (price-time priority, maker/taker prices, time in force,
stops, post-only, reduce-only) are described in ``docs/sandbox-matching.md``;
the account rules in ``accounts.py``; the book layout in ``matching.py``.

``on_quote`` is the hot path: for an instrument without working orders it
stores the quote and returns a shared empty tuple.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Final, TypeVar

import attrs

from livetrade.adapters.sandbox import reports as _reports
from livetrade.adapters.sandbox import snapshot as _snapshot
from livetrade.adapters.sandbox.accounts import VenueAccount, make_account
from livetrade.adapters.sandbox.checks import (
    expiry_of,
    lock_price,
    modify_problem,
    submit_problem,
)
from livetrade.adapters.sandbox.engine import MatchingEngine, message
from livetrade.adapters.sandbox.matching import Book, SandboxOrder
from livetrade.adapters.sandbox.messages import (
    Accepted,
    Amended,
    AmendRejected,
    CancelRejected,
    Filled,
    Rejected,
    VenueMessage,
)
from livetrade.errors import InvalidValue
from livetrade.model.account import AccountState
from livetrade.model.data import QuoteTick, TradeTick
from livetrade.model.enums import (
    AccountType,
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from livetrade.model.events import OrderInitialized
from livetrade.model.identifiers import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    Venue,
    VenueOrderId,
)
from livetrade.model.instruments import Instrument
from livetrade.model.money import Money
from livetrade.model.quantities import Price, Quantity
from livetrade.model.reports import FillReport, OrderStatusReport, PositionStatusReport

__all__ = ["SandboxExchange"]

_M = TypeVar("_M", bound=VenueMessage)

_NO_MESSAGES: Final[Sequence[VenueMessage]] = ()
_BUY: Final = OrderSide.BUY
_TAKER: Final = LiquiditySide.TAKER
_MAKER: Final = LiquiditySide.MAKER


class SandboxExchange:
    """A simulated venue: order book at the top, one account, netted positions.

    Args:
        venue: the venue every instrument must be listed on.
        account_id: the account every report names.
        account_type: ``CASH`` (spot pairs) or ``MARGIN``.
        instruments: what can be traded.
        starting_balances: the account's balances before any trading.
        leverage: divides the margin a MARGIN account needs (ignored for CASH).
    """

    def __init__(
        self,
        *,
        venue: Venue,
        account_id: AccountId,
        account_type: AccountType,
        instruments: Sequence[Instrument],
        starting_balances: Sequence[Money],
        leverage: Decimal = Decimal(1),
    ) -> None:
        self.venue: Final = venue
        self.account_id: Final = account_id
        self.account_type: Final = account_type
        self._instruments: dict[InstrumentId, Instrument] = {}
        for instrument in instruments:
            iid = instrument.instrument_id
            if iid.venue != venue:
                raise InvalidValue(f"instrument {iid} is not listed on the sandbox venue {venue}")
            if iid in self._instruments:
                raise InvalidValue(f"instrument {iid} is given twice")
            self._instruments[iid] = instrument
        self._account = make_account(
            account_type, starting_balances, leverage, list(self._instruments.values())
        )
        self._books = {iid: Book(instrument) for iid, instrument in self._instruments.items()}
        # keyed by the id's string too: str hashes are cached, an InstrumentId's are not
        self._by_symbol = {iid.value: book for iid, book in self._books.items()}
        self._engine = MatchingEngine(venue, self._account, self._books)
        self._orders: dict[ClientOrderId, SandboxOrder] = {}
        self._by_venue_id: dict[VenueOrderId, SandboxOrder] = {}
        self._order_count = 0  #: venue order ids are ``{venue}-{n}``

    # -- read-only views ---------------------------------------------------------------

    @property
    def leverage(self) -> Decimal:
        return self._account.leverage

    @property
    def instruments(self) -> list[Instrument]:
        return list(self._instruments.values())

    @property
    def account(self) -> VenueAccount:
        """The venue account (balances, locks, positions); read it, don't change it."""
        return self._account

    @property
    def balances_changed(self) -> bool:
        """True if a fill or a lock changed the balances since the last ``account_state()``."""
        return self._account.changed

    def open_orders(self) -> list[SandboxOrder]:
        """The working orders, in acceptance order (live records: read only)."""
        return [order for order in self._orders.values() if order.is_working]

    def order(self, client_order_id: ClientOrderId) -> SandboxOrder | None:
        """The venue's record of an accepted order, open or closed (read only)."""
        return self._orders.get(client_order_id)

    def orders(self) -> list[SandboxOrder]:
        """Every order the venue accepted, in acceptance order (read only)."""
        return list(self._orders.values())

    def fills(self) -> list[Filled]:
        """Every fill, in the order it happened."""
        return list(self._engine.fills)

    def last_quote(self, instrument_id: InstrumentId) -> QuoteTick | None:
        book = self._books.get(instrument_id)
        return None if book is None else book.quote

    # -- commands ----------------------------------------------------------------------

    def submit(self, order: OrderInitialized, ts: int) -> list[VenueMessage]:
        """Accept and match ``order``, or reject it (``Rejected``, nothing else)."""
        msgs: list[VenueMessage] = []
        book = self._books.get(order.instrument_id)
        if book is not None:
            self._engine.expire_due(book, ts, msgs)
        record, reason, post_only = self._new_order(order, book, ts)
        if record is None or book is None:
            msgs.append(
                Rejected(
                    client_order_id=order.client_order_id,
                    venue_order_id=None,
                    instrument_id=order.instrument_id,
                    ts=ts,
                    reason=reason or "rejected",
                    due_post_only=post_only,
                )
            )
            return msgs
        self._order_count += 1
        record.venue_order_id = VenueOrderId(f"{self.venue}-{self._order_count}")
        self._orders[record.client_order_id] = record
        self._by_venue_id[record.venue_order_id] = record
        self._account.relock(record, book.instrument)
        msgs.append(message(Accepted, record, ts))
        self._engine.place(book, record, ts, msgs)
        return msgs

    def modify(
        self,
        client_order_id: ClientOrderId,
        ts: int,
        *,
        quantity: Quantity | None = None,
        price: Price | None = None,
        trigger_price: Price | None = None,
        instrument_id: InstrumentId | None = None,
    ) -> list[VenueMessage]:
        """Change a working order's quantity, price or trigger price (``Amended``).

        ``instrument_id`` is needed only to answer for an order the venue does not
        know (the reply must name an instrument); an unknown order without it
        raises ``InvalidValue``.
        """
        msgs: list[VenueMessage] = []
        order = self._known(client_order_id, instrument_id, msgs, AmendRejected, ts)
        if order is None:
            return msgs
        book = self._books[order.instrument_id]
        self._engine.expire_due(book, ts, msgs)
        new_qty = order.quantity if quantity is None else quantity
        new_px = order.price if price is None else price
        new_trigger = order.trigger_price if trigger_price is None else trigger_price
        reason = modify_problem(book, order, self._account, new_qty, price, trigger_price)
        candidate: SandboxOrder | None = None
        if reason is None:
            lock_px = order.lock_px
            if order.order_type.has_price:
                lock_px = new_px
            elif order.order_type is OrderType.STOP_MARKET:
                lock_px = new_trigger
            candidate = attrs.evolve(
                order, quantity=new_qty, price=new_px, trigger_price=new_trigger, lock_px=lock_px
            )
            reason = self._account.check_lock(
                order, self._account.required_lock(candidate, book.instrument)
            )
        if reason is not None or candidate is None:
            msgs.append(message(AmendRejected, order, ts, reason=reason or "rejected"))
            return msgs
        loses_priority = (
            new_px != order.price
            or new_trigger != order.trigger_price
            or new_qty.raw > order.quantity.raw
        )
        if order.listed:
            book.remove(order)
        order.quantity, order.price, order.trigger_price = new_qty, new_px, new_trigger
        order.lock_px = candidate.lock_px
        order.ts_last = ts
        if loses_priority:
            order.seq = self._engine.next_seq()
        self._account.relock(order, book.instrument)
        msgs.append(
            message(Amended, order, ts, quantity=new_qty, price=new_px, trigger_price=new_trigger)
        )
        self._engine.place(book, order, ts, msgs)
        return msgs

    def cancel(
        self,
        client_order_id: ClientOrderId,
        ts: int,
        *,
        instrument_id: InstrumentId | None = None,
    ) -> list[VenueMessage]:
        """Cancel a working order (``Canceled``), else ``CancelRejected`` saying why.

        ``instrument_id`` is used as in ``modify``, for an order the venue does not know.
        """
        msgs: list[VenueMessage] = []
        order = self._known(client_order_id, instrument_id, msgs, CancelRejected, ts)
        if order is None:
            return msgs
        book = self._books[order.instrument_id]
        self._engine.expire_due(book, ts, msgs)
        if not order.is_working:
            reason = f"order already {order.status.name}"
            msgs.append(message(CancelRejected, order, ts, reason=reason))
            return msgs
        self._engine.close(book, order, OrderStatus.CANCELED, ts, msgs)
        return msgs

    def cancel_all(
        self, instrument_id: InstrumentId, ts: int, side: OrderSide | None = None
    ) -> list[VenueMessage]:
        """Cancel every working order of ``instrument_id`` (of ``side`` only, if given)."""
        msgs: list[VenueMessage] = []
        book = self._books.get(instrument_id)
        if book is None:
            return msgs
        self._engine.expire_due(book, ts, msgs)
        targets = [o for o in book.working() if side is None or o.side is side]
        for order in sorted(targets, key=lambda o: o.seq):
            self._engine.close(book, order, OrderStatus.CANCELED, ts, msgs)
        return msgs

    # -- market data -------------------------------------------------------------------

    def on_quote(self, quote: QuoteTick) -> Sequence[VenueMessage]:
        """Make ``quote`` the instrument's top of book and match working orders against it.

        Quotes for instruments the venue does not list are ignored. Returns a
        shared empty tuple when nothing happened (do not mutate the result).
        """
        book = self._by_symbol.get(quote.instrument_id.value)
        if book is None:
            return _NO_MESSAGES
        book.quote = quote
        book.fresh = True
        if book.n_working:
            return self._engine.match_quote(book, quote) or _NO_MESSAGES
        return _NO_MESSAGES

    def on_trade(self, trade: TradeTick) -> Sequence[VenueMessage]:
        """Record the last trade price and fire the stops it reaches."""
        book = self._by_symbol.get(trade.instrument_id.value)
        if book is None:
            return _NO_MESSAGES
        book.last_trade = trade.price
        if book.n_working:
            return self._engine.match_trade(book, trade.price, trade.ts_event) or _NO_MESSAGES
        return _NO_MESSAGES

    def advance(self, ts: int) -> list[VenueMessage]:
        """Expire every GTD/DAY order whose expiry is at or before ``ts``."""
        msgs: list[VenueMessage] = []
        for book in self._books.values():
            self._engine.expire_due(book, ts, msgs)
        return msgs

    # -- account and reports -----------------------------------------------------------

    def account_state(self, ts: int) -> AccountState:
        """The account as the venue reports it (``reported=True``); clears ``balances_changed``."""
        return self._account.state(self.account_id, ts)

    def order_status_reports(
        self,
        ts: int,
        *,
        instrument_id: InstrumentId | None = None,
        open_only: bool = False,
        start_ns: int | None = None,
    ) -> list[OrderStatusReport]:
        """Reports of the venue's orders: all open ones, closed ones updated since ``start_ns``."""
        result: list[OrderStatusReport] = []
        for order in self._orders.values():
            if instrument_id is not None and order.instrument_id != instrument_id:
                continue
            if not order.is_working and (
                open_only or (start_ns is not None and order.ts_last < start_ns)
            ):
                continue
            result.append(self._order_report(order, ts))
        return result

    def order_status_report(
        self,
        ts: int,
        *,
        client_order_id: ClientOrderId | None = None,
        venue_order_id: VenueOrderId | None = None,
    ) -> OrderStatusReport | None:
        """The report of one order, or None if the venue has no such order."""
        if client_order_id is None and venue_order_id is None:
            raise InvalidValue("order_status_report needs a client_order_id or a venue_order_id")
        if client_order_id is not None:
            order = self._orders.get(client_order_id)
            if order is not None and venue_order_id not in (None, order.venue_order_id):
                order = None
        else:
            assert venue_order_id is not None
            order = self._by_venue_id.get(venue_order_id)
        return None if order is None else self._order_report(order, ts)

    def fill_reports(
        self,
        ts: int,
        *,
        instrument_id: InstrumentId | None = None,
        venue_order_id: VenueOrderId | None = None,
        start_ns: int | None = None,
    ) -> list[FillReport]:
        """Reports of the venue's fills, oldest first, filtered as asked."""
        return [
            _reports.fill_report(fill, self.account_id, ts)
            for fill in self._engine.fills
            if (instrument_id is None or fill.instrument_id == instrument_id)
            and (venue_order_id is None or fill.venue_order_id == venue_order_id)
            and (start_ns is None or fill.ts >= start_ns)
        ]

    def position_status_reports(
        self, ts: int, *, instrument_id: InstrumentId | None = None
    ) -> list[PositionStatusReport]:
        """One report per instrument that ever traded (FLAT with zero quantity once closed)."""
        return [
            _reports.position_report(position, self._instruments[iid], self.account_id, ts)
            for iid, position in self._account.positions.items()
            if instrument_id is None or iid == instrument_id
        ]

    def _order_report(self, order: SandboxOrder, ts: int) -> OrderStatusReport:
        instrument = self._instruments[order.instrument_id]
        return _reports.order_report(order, instrument, self.account_id, ts)

    # -- persistence -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The venue's whole state as JSON-ready data (numbers as strings); see ``from_dict``."""
        return _snapshot.dump(self)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, instruments: Sequence[Instrument]
    ) -> SandboxExchange:
        """Rebuild an exchange from ``to_dict()`` output; it behaves exactly as the original.

        Raises ``ValueError`` (``InvalidValue``) for an unknown ``version`` or data
        that does not fit ``instruments``.
        """
        return _snapshot.load(cls, data, instruments)

    # -- submit checks -----------------------------------------------------------------

    def _new_order(
        self, init: OrderInitialized, book: Book | None, ts: int
    ) -> tuple[SandboxOrder | None, str | None, bool]:
        """The venue record for ``init``, or (None, reason, due_post_only)."""
        coid = init.client_order_id
        if coid in self._orders:
            return None, f"duplicate client order id {coid}", False
        if book is None:
            return None, f"unknown instrument {init.instrument_id}", False
        problem = submit_problem(init, book, self._account, ts)
        if problem is not None:
            return None, *problem
        order_type, tif = init.order_type, init.time_in_force
        record = SandboxOrder(
            client_order_id=coid,
            venue_order_id=VenueOrderId("PENDING"),
            instrument_id=init.instrument_id,
            trader_id=init.trader_id,
            strategy_id=init.strategy_id,
            side=init.order_side,
            order_type=order_type,
            time_in_force=tif,
            quantity=init.quantity,
            price=init.price if order_type.has_price else None,
            trigger_price=init.trigger_price if order_type.has_trigger_price else None,
            expire_time_ns=init.expire_time_ns if tif is TimeInForce.GTD else None,
            expires_at_ns=expiry_of(init, ts),
            post_only=init.post_only,
            reduce_only=init.reduce_only,
            seq=self._engine.next_seq(),
            ts_accepted=ts,
            ts_last=ts,
            lock_px=lock_price(init, book),
        )
        need = self._account.required_lock(record, book.instrument)
        if (reason := self._account.check_lock(record, need)) is not None:
            return None, reason, False
        return record, None, False

    def _known(
        self,
        client_order_id: ClientOrderId,
        instrument_id: InstrumentId | None,
        msgs: list[VenueMessage],
        kind: type[AmendRejected | CancelRejected],
        ts: int,
    ) -> SandboxOrder | None:
        order = self._orders.get(client_order_id)
        if order is not None:
            return order
        if instrument_id is None:
            raise InvalidValue(
                f"the sandbox venue has no order {client_order_id}: pass instrument_id "
                "so the rejection can name the instrument"
            )
        msgs.append(
            kind(
                client_order_id=client_order_id,
                venue_order_id=None,
                instrument_id=instrument_id,
                ts=ts,
                reason=f"order {client_order_id} not found",
            )
        )
        return None
