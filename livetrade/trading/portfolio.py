"""The portfolio: balances, net positions, PnL and exposure, read from the cache.

Nothing is stored here: every number is computed from the cache when asked, so
it can never be stale, and the cache's single writer stays the only source of
truth. The sums are exact (``Fraction``) and rounded half-even to the currency
once, at the end; a per-venue total can therefore differ by one unit of the
currency from the sum of the rounded per-instrument values.

Marks. An open position is valued where it could be closed now: a long at the
latest bid, a short at the latest ask. A number that needs a mark which is not
in the cache is None rather than a guess, and so is a number about an
instrument with no positions held (positions purged from the cache take their
realized PnL with them).

Amounts stay in each instrument's settlement currency (instruments are linear,
quote-settled); nothing is converted to an account's base currency, whatever
``convert_to_account_base_currency`` says, since that needs exchange rates.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import final

from livetrade.cache.view import CacheView
from livetrade.config.engines import PortfolioConfig
from livetrade.errors import ConfigError
from livetrade.model.account import AccountState
from livetrade.model.identifiers import InstrumentId, StrategyId, Venue
from livetrade.model.money import Currency, Money
from livetrade.model.positions import Position
from livetrade.model.quantities import Price, Quantity

__all__ = ["Portfolio"]


@final
class Portfolio:
    """Read-only valuations over a ``CacheView``; see the module docstring for marks."""

    __slots__ = ("_cache", "_config", "_initialized")

    def __init__(self, cache: CacheView, config: PortfolioConfig) -> None:
        if config.use_mark_prices:
            raise ConfigError(
                [
                    "portfolio.use_mark_prices: true is not supported yet (no venue mark "
                    "price feed); positions are marked at the latest quote, so set it false"
                ]
            )
        self._cache = cache
        self._config = config
        self._initialized = False

    # -- accounts --------------------------------------------------------------------------

    def missing_accounts(self, venues: Iterable[Venue]) -> list[Venue]:
        """The venues (each once, in the given order) with no account state in the cache."""
        missing: list[Venue] = []
        for venue in venues:
            if venue not in missing and self.account(venue) is None:
                missing.append(venue)
        return missing

    def initialize(self, venues: Iterable[Venue]) -> bool:
        """Mark the portfolio initialized when every venue has an account; returns that."""
        self._initialized = not self.missing_accounts(venues)
        return self._initialized

    @property
    def is_initialized(self) -> bool:
        """True after the last ``initialize`` found an account for every venue."""
        return self._initialized

    def account(self, venue: Venue) -> AccountState | None:
        """The latest state of the venue's account, or None before the venue reported one."""
        account_id = self._cache.account_id_for_venue(venue)
        return None if account_id is None else self._cache.account_state(account_id)

    def balances_total(self, venue: Venue) -> dict[Currency, Money]:
        """Total balance per currency (empty without an account)."""
        state = self.account(venue)
        return {} if state is None else {b.currency: b.total for b in state.balances}

    def balances_free(self, venue: Venue) -> dict[Currency, Money]:
        """Balance per currency not held by open orders (empty without an account)."""
        state = self.account(venue)
        return {} if state is None else {b.currency: b.free for b in state.balances}

    def balances_locked(self, venue: Venue) -> dict[Currency, Money]:
        """Balance per currency held by open orders (empty without an account)."""
        state = self.account(venue)
        return {} if state is None else {b.currency: b.locked for b in state.balances}

    # -- net position ----------------------------------------------------------------------

    def net_position(
        self, instrument_id: InstrumentId, *, strategy_id: StrategyId | None = None
    ) -> Decimal:
        """Signed open quantity over all strategies (or one), exact; 0 when flat."""
        positions = self._cache.positions_open(instrument_id=instrument_id, strategy_id=strategy_id)
        return sum((p.signed_qty for p in positions), Decimal(0))

    def is_net_long(self, instrument_id: InstrumentId) -> bool:
        return self._cache.net_position_raw(instrument_id) > 0

    def is_net_short(self, instrument_id: InstrumentId) -> bool:
        return self._cache.net_position_raw(instrument_id) < 0

    def is_flat(self, instrument_id: InstrumentId) -> bool:
        return self._cache.net_position_raw(instrument_id) == 0

    # -- per instrument --------------------------------------------------------------------

    def realized_pnl(self, instrument_id: InstrumentId) -> Money | None:
        """Realized PnL minus commissions of every position held, open or closed."""
        positions = self._cache.positions(instrument_id=instrument_id)
        if not positions:
            return None
        return Money.from_fraction(_realized(positions), positions[0].settlement_currency)

    def unrealized_pnl(self, instrument_id: InstrumentId) -> Money | None:
        """PnL of the open positions at the marks; zero when flat, None without a mark."""
        positions = self._cache.positions(instrument_id=instrument_id)
        if not positions:
            return None
        unrealized = self._unrealized(positions)
        if unrealized is None:
            return None
        return Money.from_fraction(unrealized, positions[0].settlement_currency)

    def total_pnl(self, instrument_id: InstrumentId) -> Money | None:
        """Realized plus unrealized, summed exactly and rounded once."""
        positions = self._cache.positions(instrument_id=instrument_id)
        if not positions:
            return None
        unrealized = self._unrealized(positions)
        if unrealized is None:
            return None
        total = _realized(positions) + unrealized
        return Money.from_fraction(total, positions[0].settlement_currency)

    def net_exposure(self, instrument_id: InstrumentId) -> Money | None:
        """|net quantity| x mark x multiplier, in the settlement currency.

        The mark is the bid when net long and the ask when net short. Zero when
        flat; None when the instrument is unknown or, not flat, has no quote.
        """
        exposure = self._exposure(instrument_id)
        if exposure is None:
            return None
        instrument = self._cache.instrument(instrument_id)
        assert instrument is not None  # _exposure needed it
        return Money.from_fraction(exposure, instrument.settlement_currency)

    # -- per venue ---------------------------------------------------------------------------

    def realized_pnls(self, venue: Venue) -> dict[Currency, Money]:
        """Realized PnL per settlement currency over every position held at the venue."""
        totals: dict[Currency, Fraction] = {}
        for position in self._cache.positions(venue=venue):
            currency = position.settlement_currency
            totals[currency] = totals.get(currency, Fraction(0)) + position.realized_pnl_exact
        return _rounded(totals)

    def unrealized_pnls(self, venue: Venue) -> dict[Currency, Money] | None:
        """Unrealized PnL per currency of the venue's open positions; None if a mark is missing.

        A partial sum would pass for the venue's total, so one missing quote makes
        the whole answer None.
        """
        totals: dict[Currency, Fraction] = {}
        for position in self._cache.positions_open(venue=venue):
            mark = self._mark(position.instrument_id, long=position.is_long)
            if mark is None:
                return None
            currency = position.settlement_currency
            value = position.unrealized_pnl_exact(mark)
            totals[currency] = totals.get(currency, Fraction(0)) + value
        return _rounded(totals)

    def net_exposures(self, venue: Venue) -> dict[Currency, Money] | None:
        """Net exposure per currency, summed over the venue's instruments with open positions.

        None if one of them is unknown or has no quote, for the same reason as
        ``unrealized_pnls``.
        """
        totals: dict[Currency, Fraction] = {}
        seen: set[InstrumentId] = set()
        for position in self._cache.positions_open(venue=venue):
            instrument_id = position.instrument_id
            if instrument_id in seen:
                continue
            seen.add(instrument_id)
            exposure = self._exposure(instrument_id)
            if exposure is None:
                return None
            currency = position.settlement_currency
            totals[currency] = totals.get(currency, Fraction(0)) + exposure
        return _rounded(totals)

    # -- helpers -----------------------------------------------------------------------------

    def _mark(self, instrument_id: InstrumentId, *, long: bool) -> Price | None:
        """Where a position could be closed now: the bid for a long, the ask for a short."""
        quote = self._cache.quote_tick(instrument_id)
        if quote is None:
            return None
        return quote.bid_price if long else quote.ask_price

    def _unrealized(self, positions: list[Position]) -> Fraction | None:
        total = Fraction(0)
        for position in positions:
            if position.is_open:
                mark = self._mark(position.instrument_id, long=position.is_long)
                if mark is None:
                    return None
                total += position.unrealized_pnl_exact(mark)
        return total

    def _exposure(self, instrument_id: InstrumentId) -> Fraction | None:
        instrument = self._cache.instrument(instrument_id)
        if instrument is None:
            return None
        net_raw = self._cache.net_position_raw(instrument_id)
        if net_raw == 0:
            return Fraction(0)
        mark = self._mark(instrument_id, long=net_raw > 0)
        if mark is None:
            return None
        quantity = Quantity.from_raw(abs(net_raw), instrument.size_precision)
        return instrument.notional_exact(quantity, mark)

    def __repr__(self) -> str:
        state = "initialized" if self._initialized else "not initialized"
        return f"Portfolio({state})"


def _realized(positions: list[Position]) -> Fraction:
    return sum((p.realized_pnl_exact for p in positions), Fraction(0))


def _rounded(totals: dict[Currency, Fraction]) -> dict[Currency, Money]:
    return {currency: Money.from_fraction(value, currency) for currency, value in totals.items()}
