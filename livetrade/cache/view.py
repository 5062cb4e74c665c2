"""``CacheView``: the read-only side of the cache, given to strategies and rules.

Strategies, actors and the reconciliation rules receive a ``CacheView`` rather
than the ``Cache``, so a type checker stops them from adding, updating or
purging: the node's dispatcher is the cache's only writer (DESIGN section 2).
The orders and positions a view returns are the live objects; treat them as
read-only too (change them only through events sent to the engine).

Every query returns a fresh list (or set), oldest first, so a caller may keep
or change it without affecting the cache.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Protocol, final

import attrs

from livetrade.model.account import AccountState
from livetrade.model.book import OrderBook
from livetrade.model.data import QuoteTick, TradeTick
from livetrade.model.enums import OrderSide, PositionSide
from livetrade.model.identifiers import (
    AccountId,
    ClientId,
    ClientOrderId,
    InstrumentId,
    PositionId,
    StrategyId,
    Venue,
    VenueOrderId,
)
from livetrade.model.instruments import Instrument
from livetrade.model.orders import Order
from livetrade.model.positions import Position

__all__ = ["CacheStatistics", "CacheView"]


@final
@attrs.frozen(kw_only=True)
class CacheStatistics:
    """What the cache holds (``Cache.statistics()``), for monitoring and purge checks."""

    instruments: int
    orders: int
    #: ACCEPTED, TRIGGERED, PENDING_*, PARTIALLY_FILLED
    orders_open: int
    #: DENIED, REJECTED, CANCELED, EXPIRED, FILLED
    orders_closed: int
    #: SUBMITTED, PENDING_UPDATE, PENDING_CANCEL (overlaps ``orders_open``)
    orders_inflight: int
    positions: int
    positions_open: int
    positions_closed: int
    accounts: int
    #: account states held, over all accounts
    account_states: int
    #: quotes held, over all instruments
    quote_ticks: int
    #: trades held, over all instruments
    trade_ticks: int
    #: entries of the venue order id -> client order id index
    venue_order_ids: int
    #: entries of the client order id -> position id index
    order_positions: int


class CacheView(Protocol):
    """The cache's read methods; ``Cache`` satisfies it structurally."""

    # -- instruments ------------------------------------------------------------------

    def instrument(self, instrument_id: InstrumentId) -> Instrument | None:
        """The instrument, or None if no data client published it."""

    def instruments(self, *, venue: Venue | None = None) -> list[Instrument]:
        """Every instrument held, or those of ``venue``."""

    def instrument_ids(self, *, venue: Venue | None = None) -> list[InstrumentId]:
        """Ids of every instrument held, or those of ``venue``."""

    # -- orders ------------------------------------------------------------------------

    def order(self, client_order_id: ClientOrderId) -> Order | None:
        """The order, or None if it is unknown (or was purged)."""

    def client_order_id_for(self, venue_order_id: VenueOrderId) -> ClientOrderId | None:
        """The order a venue order id belongs to; replaced ids keep resolving."""

    def client_order_ids(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> set[ClientOrderId]:
        """Ids of the orders matching every given filter."""

    def strategy_id_for_order(self, client_order_id: ClientOrderId) -> StrategyId | None:
        """The strategy that owns the order."""

    def client_id_for_order(self, client_order_id: ClientOrderId) -> ClientId | None:
        """The execution client that routes the order, if one was recorded."""

    def orders(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> list[Order]:
        """Every order held that matches the filters, oldest first."""

    def orders_open(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> list[Order]:
        """Orders still working at the venue (``OrderStatus.is_open``)."""

    def orders_closed(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> list[Order]:
        """Orders in a terminal status (``OrderStatus.is_closed``)."""

    def orders_inflight(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> list[Order]:
        """Orders awaiting the venue's answer (``OrderStatus.is_inflight``)."""

    def orders_count(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> int:
        """``len(orders(...))`` without building the list."""

    def orders_open_count(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> int:
        """``len(orders_open(...))`` without building the list."""

    def orders_closed_count(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> int:
        """``len(orders_closed(...))`` without building the list."""

    def orders_inflight_count(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: OrderSide | None = None,
    ) -> int:
        """``len(orders_inflight(...))`` without building the list."""

    # -- positions ---------------------------------------------------------------------

    def position(self, position_id: PositionId) -> Position | None:
        """The position, or None if it is unknown (or was purged)."""

    def position_for_order(self, client_order_id: ClientOrderId) -> Position | None:
        """The position the order's fills went to, if it is held."""

    def position_id_for_order(self, client_order_id: ClientOrderId) -> PositionId | None:
        """The id of the position the order's fills went to."""

    def positions(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: PositionSide | None = None,
    ) -> list[Position]:
        """Every position held that matches the filters, oldest first."""

    def positions_open(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: PositionSide | None = None,
    ) -> list[Position]:
        """Positions with a non-zero quantity."""

    def positions_closed(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: PositionSide | None = None,
    ) -> list[Position]:
        """Flat positions (which a later fill may reopen under NETTING)."""

    def positions_count(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: PositionSide | None = None,
    ) -> int:
        """``len(positions(...))`` without building the list."""

    def positions_open_count(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: PositionSide | None = None,
    ) -> int:
        """``len(positions_open(...))`` without building the list."""

    def positions_closed_count(
        self,
        *,
        venue: Venue | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: PositionSide | None = None,
    ) -> int:
        """``len(positions_closed(...))`` without building the list."""

    def net_position_raw(
        self, instrument_id: InstrumentId, *, strategy_id: StrategyId | None = None
    ) -> int:
        """Signed open quantity (raw, scaled by ``10**9``) summed over open positions."""

    # -- accounts ----------------------------------------------------------------------

    def account_state(self, account_id: AccountId) -> AccountState | None:
        """The latest state (by ``ts_event``) of the account."""

    def account_states(self, account_id: AccountId) -> list[AccountState]:
        """The account's states still held, oldest first."""

    def account_id_for_venue(self, venue: Venue) -> AccountId | None:
        """The account whose issuer is ``venue`` (``BINANCE-001`` for ``BINANCE``)."""

    def account_ids(self) -> list[AccountId]:
        """Every account with a state held."""

    # -- market data -------------------------------------------------------------------

    def quote_tick(self, instrument_id: InstrumentId, *, index: int = 0) -> QuoteTick | None:
        """The quote ``index`` places back (0 = latest), or None."""

    def quote_ticks(self, instrument_id: InstrumentId) -> list[QuoteTick]:
        """The quotes held for the instrument, newest first."""

    def trade_tick(self, instrument_id: InstrumentId, *, index: int = 0) -> TradeTick | None:
        """The trade ``index`` places back (0 = latest), or None."""

    def trade_ticks(self, instrument_id: InstrumentId) -> list[TradeTick]:
        """The trades held for the instrument, newest first."""

    def order_book(self, instrument_id: InstrumentId) -> OrderBook | None:
        """The book built from the instrument's deltas, if any were received."""

    def mid_price(self, instrument_id: InstrumentId) -> Fraction | None:
        """The latest quote's exact mid price, or None before any quote."""

    # -- observability -----------------------------------------------------------------

    def statistics(self) -> CacheStatistics:
        """Counts of what the cache holds."""
