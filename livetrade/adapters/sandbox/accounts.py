"""The sandbox venue's account: balances, what working orders lock, and net positions.

Theory of operation
-------------------
Balances are exact integers (``Money`` raw, scaled by ``10**9``) per currency:
``total`` and ``locked``; ``free = total - locked``. Every working order
holds ``order.locked``, recomputed from the order's current leaves and terms
whenever they change (acceptance, fill, modify, close), so the account's locked
amount is always exactly the sum of what the working orders need (plus, on a
margin account, the margin of open positions). Locks round up to the
currency's precision; fills round half-even, as ``Instrument.commission`` does.

CASH (spot pairs): a buy locks ``notional(leaves, lock_px) * (1 + taker fee)``
in the quote currency (a negative taker fee counts as 0), a sell locks its
leaves in the base currency. A fill moves ``qty`` of base against ``notional``
of quote and pays the commission in the quote currency. A buy whose fill costs
more than the account can pay (a market order after the ask rose) is filled
only as far as the free balance goes; ``CashAccount.max_fill`` says how far.

MARGIN (e.g. linear perpetuals settled in USDT): one wallet balance per
settlement currency. A working order locks ``rate * notional(leaves, lock_px) /
leverage`` where ``rate`` is the instrument's ``margin_init``, or 1 when that is
0 (so an instrument without a margin rate is margined purely by leverage).
Reduce-only orders lock nothing (they cannot add exposure). An open position
locks the same formula over ``|qty| * avg_px_open``; its maintenance margin
uses ``margin_maint`` (0 gives 0). Realized PnL of a reducing fill and every
commission change the wallet. There is no liquidation: a wallet can go below
its locked margin, or below zero, if prices run far against a position.

Positions (both account types) are netted per instrument: the signed sum of
fills, with ``avg_px_open`` the exact weighted average price of the fills that
opened or increased the current side (reset when the position flips or closes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Final

import attrs

from livetrade.adapters.sandbox.matching import SandboxOrder
from livetrade.adapters.sandbox.terms import Terms
from livetrade.errors import InvalidValue
from livetrade.model.account import AccountBalance, AccountState, MarginBalance
from livetrade.model.enums import AccountType, LiquiditySide, OrderSide
from livetrade.model.identifiers import AccountId, InstrumentId
from livetrade.model.instruments import CurrencyPair, Instrument
from livetrade.model.money import Currency, Money
from livetrade.model.quantities import FIXED_PRECISION, FIXED_SCALAR, Price, Quantity

__all__ = [
    "CashAccount",
    "MarginAccount",
    "VenueAccount",
    "VenuePosition",
    "make_account",
]

_ONE: Final = Fraction(1)
_STEPS: Final = tuple(10 ** (FIXED_PRECISION - p) for p in range(FIXED_PRECISION + 1))


@attrs.define(eq=False, on_setattr=attrs.setters.NO_OP)
class VenuePosition:
    """The venue's net position in one instrument.

    ``signed_raw`` is the signed quantity scaled by ``10**9``; ``avg_raw`` the
    exact average opening price of the current side in raw price units (an int,
    or a ``Fraction`` when an increase lands between two raw units; 0 while
    flat); ``ts_last`` the time of the last fill.
    """

    instrument_id: InstrumentId
    signed_raw: int = 0
    avg_raw: int | Fraction = 0
    ts_last: int = 0

    @property
    def avg_px_open(self) -> Fraction:
        """The exact average opening price (0 while flat)."""
        return Fraction(self.avg_raw) / FIXED_SCALAR

    def apply(self, side: OrderSide, qty_raw: int, px: Price, ts: int) -> int | Fraction:
        """Apply one fill; return the realized PnL ``(px - avg) * closed``, exact.

        The result is in raw price x raw quantity units, before the multiplier
        (``Terms.money`` turns it into an amount).
        """
        q = self.signed_raw
        delta = qty_raw if side is OrderSide.BUY else -qty_raw
        px_raw = px.raw
        self.ts_last = ts
        if q == 0 or (q > 0) == (delta > 0):
            # open or increase: the weighted average of the opening fills
            held = abs(q)
            total = held + qty_raw
            cost = self.avg_raw * held + px_raw * qty_raw
            if isinstance(cost, int) and cost % total == 0:
                self.avg_raw = cost // total
            else:
                self.avg_raw = Fraction(cost) / total
            self.signed_raw = q + delta
            return 0
        closed = min(qty_raw, abs(q))
        realized = (px_raw - self.avg_raw) * closed * (1 if q > 0 else -1)
        self.signed_raw = q + delta
        if self.signed_raw == 0:
            self.avg_raw = 0
        elif (self.signed_raw > 0) != (q > 0):
            self.avg_raw = px_raw  # flipped: the remainder opened at this fill's price
        return realized

    def reducible(self, side: OrderSide) -> int:
        """Raw quantity an order of ``side`` can trade without growing or flipping the position."""
        q = self.signed_raw
        if (q > 0 and side is OrderSide.SELL) or (q < 0 and side is OrderSide.BUY):
            return abs(q)
        return 0


class VenueAccount:
    """Balances, locks and positions shared by both account types."""

    account_type: AccountType

    def __init__(self, starting_balances: Sequence[Money], leverage: Decimal = Decimal(1)) -> None:
        if type(leverage) is not Decimal or not leverage.is_finite() or leverage <= 0:
            raise InvalidValue(f"leverage must be a positive Decimal, got {leverage!r}")
        self.leverage = leverage
        self._leverage = Fraction(leverage)
        # keyed by currency code: str hashes are cached, an attrs Currency's are not
        self.currencies: dict[str, Currency] = {}
        self.total: dict[str, int] = {}
        self.locked: dict[str, int] = {}
        self.positions: dict[InstrumentId, VenuePosition] = {}
        self._terms: dict[InstrumentId, Terms] = {}
        #: set by every change to a balance or lock; cleared by ``state()``
        self.changed = False
        for money in starting_balances:
            if money.currency.code in self.total:
                raise InvalidValue(f"two starting balances in {money.currency.code}")
            if money.raw < 0:
                raise InvalidValue(f"starting balance cannot be negative, got {money}")
            self.set_total(money.currency, money.raw)

    def terms(self, instrument: Instrument) -> Terms:
        """The instrument's exact integer fee and margin arithmetic (cached)."""
        terms = self._terms.get(instrument.instrument_id)
        if terms is None:
            terms = self._terms[instrument.instrument_id] = Terms(instrument)
        return terms

    # -- balances ----------------------------------------------------------------------

    def _touch(self, currency: Currency) -> str:
        code = currency.code
        if code not in self.total:
            self.currencies[code] = currency
            self.total[code] = 0
            self.locked[code] = 0
        return code

    def set_total(self, currency: Currency, raw: int) -> None:
        """Set the total balance in ``currency`` (construction and restore only)."""
        self.total[self._touch(currency)] = raw

    def free(self, currency: Currency) -> Money:
        """What is neither spent nor reserved in ``currency`` (zero if never held)."""
        code = currency.code
        return Money.from_raw(self.total.get(code, 0) - self.locked.get(code, 0), currency)

    def balance(self, currency: Currency) -> AccountBalance:
        code = self._touch(currency)
        total, locked = self.total[code], self.locked[code]
        return AccountBalance(
            total=Money.from_raw(total, currency),
            locked=Money.from_raw(locked, currency),
            free=Money.from_raw(total - locked, currency),
        )

    def _credit(self, currency: Currency, raw: int) -> None:
        self.total[self._touch(currency)] += raw

    # -- locks -------------------------------------------------------------------------

    def required_lock(self, order: SandboxOrder, instrument: Instrument) -> Money | None:
        """What ``order`` must reserve for its current leaves and terms (None: nothing)."""
        raise NotImplementedError

    def check_lock(self, order: SandboxOrder, need: Money | None) -> str | None:
        """None if the account can reserve ``need`` for ``order`` (its current lock counts)."""
        if need is None or need.raw <= 0:
            return None
        free = self.free(need.currency)
        held = order.locked
        if held is not None and held.currency == need.currency:
            free = free + held
        if need.raw > free.raw:
            return f"insufficient balance: need {need}, free {free}"
        return None

    def set_lock(self, order: SandboxOrder, need: Money | None) -> None:
        """Make ``need`` the amount ``order`` reserves (None or zero: release it)."""
        held = order.locked
        if need is not None and need.raw == 0:
            need = None
        if held == need:
            return
        if held is not None:
            self.locked[held.currency.code] -= held.raw
            self._on_lock(order.instrument_id, held.currency, -held.raw)
        if need is not None:
            self.locked[self._touch(need.currency)] += need.raw
            self._on_lock(order.instrument_id, need.currency, need.raw)
        order.locked = need
        self.changed = True

    def relock(self, order: SandboxOrder, instrument: Instrument) -> None:
        """Recompute ``order``'s lock from its leaves and terms (zero once it stops working)."""
        self.set_lock(order, self.required_lock(order, instrument) if order.is_working else None)

    def _on_lock(self, instrument_id: InstrumentId, currency: Currency, delta: int) -> None:
        """Hook: a margin account keeps the order margin per instrument."""

    # -- fills -------------------------------------------------------------------------

    def max_fill(
        self,
        order: SandboxOrder,
        instrument: Instrument,
        qty_raw: int,
        px: Price,
        liquidity_side: LiquiditySide,
    ) -> int:
        """The largest part of ``qty_raw`` the account can pay for (all of it by default)."""
        return qty_raw

    def position(self, instrument_id: InstrumentId) -> VenuePosition:
        position = self.positions.get(instrument_id)
        if position is None:
            position = self.positions[instrument_id] = VenuePosition(instrument_id)
        return position

    def reducible(self, instrument_id: InstrumentId, side: OrderSide) -> int:
        position = self.positions.get(instrument_id)
        return 0 if position is None else position.reducible(side)

    def apply_fill(
        self,
        order: SandboxOrder,
        instrument: Instrument,
        last_qty: Quantity,
        last_px: Price,
        commission: Money,
        ts: int,
    ) -> None:
        """Book a fill of ``order`` (whose filled quantity already includes it)."""
        raise NotImplementedError

    # -- state -------------------------------------------------------------------------

    def margins(self) -> tuple[MarginBalance, ...]:
        return ()

    def base_currency(self) -> Currency | None:
        return None

    def state(self, account_id: AccountId, ts: int) -> AccountState:
        """The account as the venue reports it; clears ``changed``."""
        self.changed = False
        return AccountState(
            account_id=account_id,
            account_type=self.account_type,
            base_currency=self.base_currency(),
            reported=True,
            balances=tuple(self.balance(currency) for currency in list(self.currencies.values())),
            margins=self.margins(),
            ts_event=ts,
            ts_init=ts,
        )

    def position_lock(self, instrument_id: InstrumentId) -> Money | None:
        """What the open position of ``instrument_id`` reserves (margin accounts only)."""
        return None


class CashAccount(VenueAccount):
    """Spot: balances per currency, buys pay with the quote, sells deliver the base."""

    account_type = AccountType.CASH

    def required_lock(self, order: SandboxOrder, instrument: Instrument) -> Money | None:
        leaves = order.leaves_raw
        if leaves <= 0:
            return None
        if order.side is OrderSide.SELL:
            base = instrument.base_currency
            step = _STEPS[base.precision]
            return Money.from_raw(-(-leaves // step) * step, base)
        assert order.lock_px is not None
        terms = self.terms(instrument)
        return Money.from_raw(terms.buy_lock(leaves, order.lock_px.raw), terms.currency)

    def max_fill(
        self,
        order: SandboxOrder,
        instrument: Instrument,
        qty_raw: int,
        px: Price,
        liquidity_side: LiquiditySide,
    ) -> int:
        if order.side is OrderSide.SELL:
            return qty_raw  # the base is locked for the whole leaves
        terms = self.terms(instrument)
        currency = terms.currency
        free = self.total.get(currency.code, 0) - self.locked.get(currency.code, 0)
        held = order.locked.raw if order.locked is not None else 0
        assert order.lock_px is not None
        lock_px, px_raw, leaves = order.lock_px.raw, px.raw, order.leaves_raw
        maker = liquidity_side is LiquiditySide.MAKER

        def shortfall(x: int) -> int:
            cost = terms.notional(x, px_raw) + terms.fee(x, px_raw, maker)
            after = terms.buy_lock(leaves - x, lock_px) if leaves > x else 0
            return cost + after - held - free

        if shortfall(qty_raw) <= 0:
            return qty_raw
        lot = instrument.size_increment.raw
        low, high = 0, qty_raw // lot  # in lots: shortfall(low) <= 0 < shortfall(high)
        while high - low > 1:
            mid = (low + high) // 2
            if shortfall(mid * lot) <= 0:
                low = mid
            else:
                high = mid
        return low * lot

    def apply_fill(
        self,
        order: SandboxOrder,
        instrument: Instrument,
        last_qty: Quantity,
        last_px: Price,
        commission: Money,
        ts: int,
    ) -> None:
        base, quote = instrument.base_currency, instrument.quote_currency
        notional = self.terms(instrument).notional(last_qty.raw, last_px.raw)
        if order.side is OrderSide.BUY:
            self._credit(quote, -notional)
            self._credit(base, last_qty.raw)
        else:
            self._credit(base, -last_qty.raw)
            self._credit(quote, notional)
        self._credit(commission.currency, -commission.raw)
        self.position(instrument.instrument_id).apply(order.side, last_qty.raw, last_px, ts)
        self.changed = True
        self.relock(order, instrument)


class MarginAccount(VenueAccount):
    """Derivatives: a wallet per settlement currency, margin for orders and positions."""

    account_type = AccountType.MARGIN

    def __init__(
        self,
        starting_balances: Sequence[Money],
        leverage: Decimal = Decimal(1),
        instruments: Iterable[Instrument] = (),
    ) -> None:
        super().__init__(starting_balances, leverage)
        self._instruments = {i.instrument_id: i for i in instruments}
        #: raw order margin per instrument
        self.order_margin: dict[InstrumentId, int] = {}
        #: what each open position reserves (included in ``locked``)
        self.position_margin: dict[InstrumentId, Money] = {}

    def _rate(self, instrument: Instrument) -> Fraction:
        """Initial margin per unit of notional: ``margin_init`` (0 read as 1) / leverage."""
        rate = Fraction(instrument.margin_init) if instrument.margin_init > 0 else _ONE
        return rate / self._leverage

    def _margin(
        self, instrument: Instrument, qty_raw: int, px_raw: int | Fraction, rate: Fraction
    ) -> Money:
        terms = self.terms(instrument)
        return Money.from_raw(terms.margin(qty_raw, px_raw, rate), terms.currency)

    def required_lock(self, order: SandboxOrder, instrument: Instrument) -> Money | None:
        leaves = order.leaves_raw
        if leaves <= 0 or order.reduce_only:
            return None
        assert order.lock_px is not None
        return self._margin(instrument, leaves, order.lock_px.raw, self._rate(instrument))

    def _on_lock(self, instrument_id: InstrumentId, currency: Currency, delta: int) -> None:
        self.order_margin[instrument_id] = self.order_margin.get(instrument_id, 0) + delta

    def _position_margin(self, instrument: Instrument, rate: Fraction) -> Money | None:
        """``rate`` times the open position's notional at its average price (None: flat)."""
        position = self.positions.get(instrument.instrument_id)
        if position is None or position.signed_raw == 0:
            return None
        return self._margin(instrument, abs(position.signed_raw), position.avg_raw, rate)

    def position_lock(self, instrument_id: InstrumentId) -> Money | None:
        return self.position_margin.get(instrument_id)

    def refresh_position_margin(self, instrument: Instrument) -> None:
        """Recompute what ``instrument``'s position reserves after it changed."""
        iid = instrument.instrument_id
        new = self._position_margin(instrument, self._rate(instrument))
        old = self.position_margin.pop(iid, None)
        if old is not None:
            self.locked[old.currency.code] -= old.raw
        if new is not None and new.raw > 0:
            self.locked[self._touch(new.currency)] += new.raw
            self.position_margin[iid] = new
        self.changed = True

    def apply_fill(
        self,
        order: SandboxOrder,
        instrument: Instrument,
        last_qty: Quantity,
        last_px: Price,
        commission: Money,
        ts: int,
    ) -> None:
        position = self.position(instrument.instrument_id)
        realized = position.apply(order.side, last_qty.raw, last_px, ts)
        currency = instrument.settlement_currency
        if realized:
            self._credit(currency, self.terms(instrument).money(realized))
        self._credit(commission.currency, -commission.raw)
        self.refresh_position_margin(instrument)
        self.changed = True
        self.relock(order, instrument)

    def margins(self) -> tuple[MarginBalance, ...]:
        result: list[MarginBalance] = []
        for iid, instrument in self._instruments.items():
            orders = self.order_margin.get(iid, 0)
            position = self.position_margin.get(iid)
            if not orders and position is None:
                continue
            currency = instrument.settlement_currency
            initial = orders + (position.raw if position is not None else 0)
            maint_rate = Fraction(instrument.margin_maint) / self._leverage
            maintenance = self._position_margin(instrument, maint_rate) or Money.zero(currency)
            result.append(
                MarginBalance(
                    initial=Money.from_raw(initial, currency),
                    maintenance=maintenance,
                    instrument_id=iid,
                )
            )
        return tuple(result)

    def base_currency(self) -> Currency | None:
        currencies = list(self.currencies.values())
        return currencies[0] if len(currencies) == 1 else None


def make_account(
    account_type: AccountType,
    starting_balances: Sequence[Money],
    leverage: Decimal,
    instruments: Sequence[Instrument],
) -> VenueAccount:
    """The account for ``account_type``, checked against the instruments it will trade."""
    if account_type is AccountType.CASH:
        for instrument in instruments:
            if not isinstance(instrument, CurrencyPair):
                raise InvalidValue(
                    f"a CASH account trades spot pairs only; {instrument.instrument_id} is a "
                    f"{type(instrument).__name__} (use a MARGIN account)"
                )
            if instrument.size_precision > instrument.base_currency.precision:
                raise InvalidValue(
                    f"{instrument.instrument_id}: size_precision {instrument.size_precision} "
                    f"exceeds the precision {instrument.base_currency.precision} of "
                    f"{instrument.base_currency}, so a fill could not be booked exactly"
                )
        return CashAccount(starting_balances, leverage)
    return MarginAccount(starting_balances, leverage, instruments)
