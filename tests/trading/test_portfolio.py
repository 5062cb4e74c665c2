"""The portfolio: balances, net positions, PnL and exposure, exact and computed by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from livetrade.cache import Cache
from livetrade.config.engines import PortfolioConfig
from livetrade.errors import ConfigError
from livetrade.model.account import AccountBalance, AccountState
from livetrade.model.data import QuoteTick
from livetrade.model.enums import AccountType, OrderSide
from livetrade.model.events import OrderFilled
from livetrade.model.identifiers import (
    AccountId,
    InstrumentId,
    PositionId,
    StrategyId,
    Symbol,
    Venue,
)
from livetrade.model.instruments import CryptoPerpetual, CurrencyPair, Instrument
from livetrade.model.money import Currency, Money
from livetrade.model.positions import Position
from livetrade.model.quantities import Price, Quantity
from livetrade.testing import OrderEvents, make_order
from livetrade.trading.portfolio import Portfolio

USDT, USD = Currency.from_str("USDT"), Currency.from_str("USD")
ETH, BTC = Currency.from_str("ETH"), Currency.from_str("BTC")
BINANCE, BYBIT, OKX = Venue("BINANCE"), Venue("BYBIT"), Venue("OKX")
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def pair(symbol: str, base: Currency) -> CurrencyPair:
    return CurrencyPair(
        instrument_id=InstrumentId(f"{symbol}.BINANCE"),
        raw_symbol=Symbol(symbol),
        base_currency=base,
        quote_currency=USDT,
        price_precision=2,
        size_precision=3,
        price_increment=Price("0.01"),
        size_increment=Quantity("0.001"),
    )


ETH_PAIR = pair("ETHUSDT", ETH)
BTC_PAIR = pair("BTCUSDT", BTC)
#: A USD-settled perpetual (2 decimals) with multiplier 10, so PnL needs rounding.
PERP = CryptoPerpetual(
    instrument_id=InstrumentId("ETHUSD-PERP.BYBIT"),
    raw_symbol=Symbol("ETHUSD-PERP"),
    base_currency=ETH,
    quote_currency=USD,
    price_precision=2,
    size_precision=3,
    price_increment=Price("0.01"),
    size_increment=Quantity("0.001"),
    multiplier=Quantity("10"),
)
ETH_ID, BTC_ID, PERP_ID = ETH_PAIR.instrument_id, BTC_PAIR.instrument_id, PERP.instrument_id


def usdt(value: str) -> Money:
    return Money(value, USDT)


def usd(value: str) -> Money:
    return Money(value, USD)


class Book:
    """A cache the test fills with instruments, NETTING fills, quotes and accounts."""

    def __init__(self) -> None:
        self.cache = Cache()
        for instrument in (ETH_PAIR, BTC_PAIR, PERP):
            self.cache.add_instrument(instrument)
        self.portfolio = Portfolio(self.cache, PortfolioConfig())
        self._orders = 0

    def fill(
        self,
        instrument: Instrument,
        side: OrderSide,
        qty: str,
        price: str,
        *,
        commission: str = "0",
        strategy: str = "S-001",
    ) -> None:
        self._orders += 1
        instrument_id = instrument.instrument_id
        order = make_order(
            f"O-{self._orders}",
            side=side,
            quantity=qty,
            price=price,
            strategy_id=strategy,
            instrument_id=instrument_id.value,
        )
        events = OrderEvents(
            order,
            account_id=f"{instrument_id.venue}-001",
            currency=instrument.settlement_currency.code,
        )
        for event in (events.submitted(), events.accepted(), events.filled(commission=commission)):
            order.apply(event)
        self.cache.add_order(order)
        fill = order.last_event
        assert isinstance(fill, OrderFilled)
        position_id = PositionId(f"{instrument_id}-{strategy}")
        position = self.cache.position(position_id)
        if position is None:
            self.cache.add_position(Position.open(instrument, fill, position_id))
        else:
            position.apply(fill)
            self.cache.update_position(position)

    def quote(self, instrument_id: InstrumentId, bid: str, ask: str) -> None:
        self.cache.add_quote_tick(
            QuoteTick(
                instrument_id=instrument_id,
                bid_price=Price(bid),
                ask_price=Price(ask),
                bid_size=Quantity("1.000"),
                ask_size=Quantity("1.000"),
                ts_event=0,
                ts_init=0,
            )
        )

    def account(self, account_id: str, *balances: tuple[str, str, Currency]) -> None:
        self.cache.add_account_state(
            AccountState(
                account_id=AccountId(account_id),
                account_type=AccountType.CASH,
                base_currency=None,
                reported=True,
                balances=tuple(
                    AccountBalance.from_total_and_locked(Money(total, ccy), Money(locked, ccy))
                    for total, locked, ccy in balances
                ),
                ts_event=1,
                ts_init=1,
            )
        )


# -- accounts ----------------------------------------------------------------------------------


class TestAccounts:
    def test_missing_accounts_and_initialize(self) -> None:
        book = Book()
        portfolio = book.portfolio
        states = [portfolio.is_initialized]
        assert portfolio.missing_accounts([BINANCE, BYBIT, BINANCE]) == [BINANCE, BYBIT]
        book.account("BINANCE-001", ("1000", "0", USDT))
        assert portfolio.missing_accounts([BINANCE, BYBIT, BYBIT]) == [BYBIT]
        results = [portfolio.initialize([BINANCE, BYBIT])]
        states.append(portfolio.is_initialized)
        book.account("BYBIT-001", ("50", "0", USD))
        results.append(portfolio.initialize(iter([BINANCE, BYBIT])))  # any iterable
        states.append(portfolio.is_initialized)
        results.append(portfolio.initialize([BINANCE, OKX]))  # a later check can fail again
        states.append(portfolio.is_initialized)
        results.append(portfolio.initialize([]))
        assert results == [False, True, False, True]
        assert states == [False, False, True, False]

    def test_balances_per_currency(self) -> None:
        book = Book()
        book.account("BINANCE-001", ("1000", "100.5", USDT), ("2", "0.25", ETH))
        portfolio = book.portfolio
        state = portfolio.account(BINANCE)
        assert state is not None and state.account_id == AccountId("BINANCE-001")
        assert portfolio.balances_total(BINANCE) == {USDT: usdt("1000"), ETH: Money("2", ETH)}
        assert portfolio.balances_locked(BINANCE) == {USDT: usdt("100.5"), ETH: Money("0.25", ETH)}
        assert portfolio.balances_free(BINANCE) == {USDT: usdt("899.5"), ETH: Money("1.75", ETH)}

    def test_no_account_means_none_and_empty_balances(self) -> None:
        portfolio = Book().portfolio
        assert portfolio.account(BYBIT) is None
        assert portfolio.balances_total(BYBIT) == {}
        assert portfolio.balances_free(BYBIT) == {}
        assert portfolio.balances_locked(BYBIT) == {}

    def test_mark_prices_are_refused_rather_than_ignored(self) -> None:
        with pytest.raises(ConfigError, match="use_mark_prices: true is not supported yet"):
            Portfolio(Cache(), PortfolioConfig(use_mark_prices=True))


# -- one instrument ------------------------------------------------------------------------------


class TestInstrument:
    def test_long_marked_at_the_bid(self) -> None:
        book = Book()
        book.fill(ETH_PAIR, BUY, "2.000", "100.00", commission="0.2")
        book.fill(ETH_PAIR, SELL, "1.000", "110.00", commission="0.11")
        book.quote(ETH_ID, bid="105.00", ask="105.10")
        p = book.portfolio
        # (110 - 100) x 1 - 0.2 - 0.11
        assert p.realized_pnl(ETH_ID) == usdt("9.69")
        # (105.00 - 100) x 1, at the bid
        assert p.unrealized_pnl(ETH_ID) == usdt("5.00")
        assert p.total_pnl(ETH_ID) == usdt("14.69")
        # 1 x 105.00
        assert p.net_exposure(ETH_ID) == usdt("105.00")
        assert p.net_position(ETH_ID) == Decimal("1.000")
        assert (p.is_net_long(ETH_ID), p.is_net_short(ETH_ID), p.is_flat(ETH_ID)) == (
            True,
            False,
            False,
        )

    def test_short_marked_at_the_ask(self) -> None:
        book = Book()
        book.fill(ETH_PAIR, SELL, "3.000", "100.00", commission="0.3")
        book.quote(ETH_ID, bid="95.00", ask="96.00")
        p = book.portfolio
        assert p.realized_pnl(ETH_ID) == usdt("-0.3")
        # (100 - 96.00) x 3, at the ask
        assert p.unrealized_pnl(ETH_ID) == usdt("12.00")
        assert p.total_pnl(ETH_ID) == usdt("11.70")
        # 3 x 96.00
        assert p.net_exposure(ETH_ID) == usdt("288.00")
        assert p.net_position(ETH_ID) == Decimal("-3.000")
        assert (p.is_net_long(ETH_ID), p.is_net_short(ETH_ID), p.is_flat(ETH_ID)) == (
            False,
            True,
            False,
        )

    def test_missing_quote_gives_none_but_realized_stays_known(self) -> None:
        book = Book()
        book.fill(ETH_PAIR, BUY, "2.000", "100.00")
        book.fill(ETH_PAIR, SELL, "1.000", "101.00")
        p = book.portfolio
        assert p.realized_pnl(ETH_ID) == usdt("1.00")
        assert p.unrealized_pnl(ETH_ID) is None
        assert p.total_pnl(ETH_ID) is None
        assert p.net_exposure(ETH_ID) is None

    def test_no_positions_gives_none_and_flat(self) -> None:
        p = Book().portfolio
        assert p.realized_pnl(ETH_ID) is None
        assert p.unrealized_pnl(ETH_ID) is None
        assert p.total_pnl(ETH_ID) is None
        assert p.net_exposure(ETH_ID) == usdt("0")  # flat needs no quote
        assert p.net_position(ETH_ID) == Decimal(0)
        assert (p.is_net_long(ETH_ID), p.is_net_short(ETH_ID), p.is_flat(ETH_ID)) == (
            False,
            False,
            True,
        )

    def test_unknown_instrument_has_no_exposure(self) -> None:
        assert Book().portfolio.net_exposure(InstrumentId("SOLUSDT.BINANCE")) is None

    def test_closed_position_needs_no_quote(self) -> None:
        book = Book()
        book.fill(ETH_PAIR, BUY, "1.000", "100.00", commission="0.1")
        book.fill(ETH_PAIR, SELL, "1.000", "99.50", commission="0.0995")
        p = book.portfolio
        # (99.50 - 100) x 1 - 0.1 - 0.0995
        assert p.realized_pnl(ETH_ID) == usdt("-0.6995")
        assert p.unrealized_pnl(ETH_ID) == usdt("0")
        assert p.total_pnl(ETH_ID) == usdt("-0.6995")
        assert p.net_exposure(ETH_ID) == usdt("0")

    def test_multiple_strategies_net_and_mark_each_position(self) -> None:
        book = Book()
        book.fill(ETH_PAIR, BUY, "2.000", "100.00", strategy="S-001")
        book.fill(ETH_PAIR, SELL, "0.500", "102.00", strategy="S-002")
        book.quote(ETH_ID, bid="101.00", ask="101.50")
        p = book.portfolio
        assert p.net_position(ETH_ID) == Decimal("1.500")
        assert p.net_position(ETH_ID, strategy_id=StrategyId("S-001")) == Decimal("2.000")
        assert p.net_position(ETH_ID, strategy_id=StrategyId("S-002")) == Decimal("-0.500")
        assert p.net_position(ETH_ID, strategy_id=StrategyId("S-003")) == Decimal(0)
        # long (101.00 - 100) x 2 at the bid + short (102 - 101.50) x 0.5 at the ask
        assert p.unrealized_pnl(ETH_ID) == usdt("2.25")
        assert p.realized_pnl(ETH_ID) == usdt("0")
        # net long 1.5 x 101.00 (the bid)
        assert p.net_exposure(ETH_ID) == usdt("151.50")

    def test_exact_sums_rounded_once_to_the_currency(self) -> None:
        """USD has 2 decimals; the average price 300.02/3 makes every value a third."""
        book = Book()
        book.fill(PERP, BUY, "1.000", "100.00")
        book.fill(PERP, BUY, "2.000", "100.01")  # avg 100.006666...
        book.fill(PERP, SELL, "1.000", "100.03")
        book.quote(PERP_ID, bid="100.00", ask="100.02")
        p = book.portfolio
        # (100.03 - 300.02/3) x 1 x 10 = 0.2333... -> 0.23
        assert p.realized_pnl(PERP_ID) == usd("0.23")
        # (100.00 - 300.02/3) x 2 x 10 = -0.1333... -> -0.13
        assert p.unrealized_pnl(PERP_ID) == usd("-0.13")
        # exactly 0.10
        assert p.total_pnl(PERP_ID) == usd("0.10")
        # 2 x 100.00 x 10
        assert p.net_exposure(PERP_ID) == usd("2000.00")

    def test_results_follow_the_cache_without_refresh(self) -> None:
        book = Book()
        book.fill(ETH_PAIR, BUY, "1.000", "100.00")
        book.quote(ETH_ID, bid="100.00", ask="100.10")
        p = book.portfolio
        assert p.unrealized_pnl(ETH_ID) == usdt("0.00")
        book.quote(ETH_ID, bid="103.00", ask="103.10")
        assert p.unrealized_pnl(ETH_ID) == usdt("3.00")
        book.fill(ETH_PAIR, SELL, "1.000", "103.00")
        assert p.unrealized_pnl(ETH_ID) == usdt("0")
        assert p.realized_pnl(ETH_ID) == usdt("3.00")
        assert p.is_flat(ETH_ID)


# -- per venue -----------------------------------------------------------------------------------


def venue_book() -> Book:
    book = Book()
    book.fill(ETH_PAIR, BUY, "2.000", "100.00", commission="0.2")
    book.fill(ETH_PAIR, SELL, "1.000", "110.00", commission="0.11")  # realized 9.69
    book.fill(BTC_PAIR, BUY, "0.100", "30000.00")
    book.fill(BTC_PAIR, SELL, "0.100", "30100.00")  # realized 10.00, flat
    book.fill(PERP, BUY, "1.000", "100.00")
    book.fill(PERP, SELL, "3.000", "100.50")  # realized 5.00, short 2 @ 100.50
    return book


class TestVenue:
    def test_realized_per_currency(self) -> None:
        p = venue_book().portfolio
        assert p.realized_pnls(BINANCE) == {USDT: usdt("19.69")}
        # (100.50 - 100) x 1 x 10
        assert p.realized_pnls(BYBIT) == {USD: usd("5.00")}
        assert p.realized_pnls(OKX) == {}

    def test_unrealized_and_exposure_per_currency(self) -> None:
        book = venue_book()
        book.quote(ETH_ID, bid="105.00", ask="105.10")
        book.quote(PERP_ID, bid="100.00", ask="100.25")
        p = book.portfolio
        # BTC is flat, so only ETH's long 1 at 105.00 counts.
        assert p.unrealized_pnls(BINANCE) == {USDT: usdt("5.00")}
        assert p.net_exposures(BINANCE) == {USDT: usdt("105.00")}
        # short 2 at the ask: (100.50 - 100.25) x 2 x 10; exposure 2 x 100.25 x 10
        assert p.unrealized_pnls(BYBIT) == {USD: usd("5.00")}
        assert p.net_exposures(BYBIT) == {USD: usd("2005.00")}
        assert p.unrealized_pnls(OKX) == {}
        assert p.net_exposures(OKX) == {}

    def test_one_missing_quote_makes_the_venue_total_none(self) -> None:
        book = venue_book()
        book.quote(ETH_ID, bid="105.00", ask="105.10")
        book.fill(BTC_PAIR, BUY, "0.010", "30000.00")  # BTC open again, no quote
        p = book.portfolio
        assert p.unrealized_pnls(BINANCE) is None
        assert p.net_exposures(BINANCE) is None
        assert p.unrealized_pnl(ETH_ID) == usdt("5.00")  # per instrument still known
        book.quote(BTC_ID, bid="30050.00", ask="30060.00")
        # ETH 5.00 + BTC (30050 - 30000) x 0.01
        assert p.unrealized_pnls(BINANCE) == {USDT: usdt("5.50")}
        # 1 x 105.00 + 0.01 x 30050.00
        assert p.net_exposures(BINANCE) == {USDT: usdt("405.50")}

    def test_exposure_nets_strategies_within_an_instrument(self) -> None:
        book = Book()
        book.fill(ETH_PAIR, BUY, "1.000", "100.00", strategy="S-001")
        book.fill(ETH_PAIR, SELL, "1.000", "100.00", strategy="S-002")
        book.quote(ETH_ID, bid="90.00", ask="110.00")
        p = book.portfolio
        assert p.is_flat(ETH_ID)
        assert p.net_exposures(BINANCE) == {USDT: usdt("0")}
        # long (90 - 100) x 1 at the bid + short (100 - 110) x 1 at the ask
        assert p.unrealized_pnls(BINANCE) == {USDT: usdt("-20.00")}
