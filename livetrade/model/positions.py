"""Positions: the fills of one position id, with exact average prices and PnL.

Theory of operation
-------------------
A fill of side ``s`` (+1 BUY, -1 SELL), quantity ``x`` and price ``p`` does one of
(``q`` is the signed open quantity, ``avg`` the average opening price):

=========  ======================  ===================================================
open       ``q == 0``              ``q = s*x``, ``avg = p``; a new *leg* starts
increase   ``sign(q) == s``        ``avg = (avg*q + p*s*x) / (q + s*x)``, ``q += s*x``
reduce     ``x < |q|``, opposite   the closed ``x`` realizes ``(p - avg)*x*sign(q)``;
                                   ``avg`` is unchanged
close      ``x == |q|``            realizes on ``|q|``; ``q = 0``: FLAT, ``ts_closed``
                                   and ``closing_order_id`` are set
flip       ``x > |q|``             closes ``|q|`` as above, then opens ``s*(x - |q|)`` at
                                   ``p`` as a new leg of the same ``Position`` object
=========  ======================  ===================================================

State, all exact: ``q`` (raw int), ``avg`` (in raw price units: an int, or a
``Fraction`` when an increase lands between two raw units), the cash flow
``sum(-s*x*p)`` (an int) and the commissions per currency. Realized price PnL is
not accumulated but derived as ``cash + avg*q`` (a reduce moves
``(p - avg)*x*sign(q)`` from one term to the other), so a reduce, close or flip
does integer work only and only an increase touches a ``Fraction``. Exact
average cost has one cost: while a position never goes flat or flips,
reduce-then-increase cycles grow ``avg``'s denominator; the next open, reopen or
flip starts again from the integer fill price.

Money amounts are these numbers times the instrument ``multiplier``, in the
settlement currency. A fill's commission in the settlement currency is subtracted
from realized PnL once, whatever the fill did (a flipping fill included). A
commission in any other currency (a fee paid in BNB, say) is tracked in
``commissions`` but not folded into PnL, since that needs an exchange rate.

Legs. A position id lives on after it closes: under NETTING every fill of an
instrument and strategy carries the same id, so a fill on a closed position
reopens it. Each open (first fill, reopen, flip) starts a leg and resets the
leg's fields: ``entry``, ``opening_order_id``, ``ts_opened``, ``peak_qty``,
``avg_px_close``, ``closing_order_id`` and ``ts_closed``. Realized PnL and
commissions cover the whole life of the id. ``events`` and the trade ids hold
the fills since the position last opened from flat (``fill_count`` counts them
all): a NETTING position that trades for weeks must not keep every fill in
memory, and the database still has them. For any fill sequence, exactly::

    realized_exact + unrealized_exact(px)
        == sum(-s * x * p * multiplier over fills) + q * px * multiplier
           - commissions in the settlement currency

Duplicates. A trade is applied once per leg: a fill whose ``(trade_id, order_side)`` was
already applied in the current leg raises ``PositionDuplicateFill`` and changes nothing. The side is
part of the key because a self-trade gives both of our orders the same trade id
on opposite sides, and both legs are real.

Every check runs before any state changes, so a refused fill leaves the position
exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Final, final

from livetrade.errors import (
    InvalidValue,
    PositionDuplicateFill,
    PositionError,
    PositionFillMismatch,
)
from livetrade.model.enums import OmsType, OrderSide, PositionSide
from livetrade.model.events import OrderFilled
from livetrade.model.identifiers import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    PositionId,
    StrategyId,
    TradeId,
    TraderId,
)
from livetrade.model.instruments import Instrument
from livetrade.model.money import Currency, Money
from livetrade.model.quantities import (
    FIXED_PRECISION,
    FIXED_SCALAR,
    Price,
    Quantity,
    Rounding,
    round_div,
)

__all__ = [
    "Position",
    "position_id_for",
]

_BUY: Final = OrderSide.BUY
_PNL_SCALE: Final = FIXED_SCALAR**3  # price raw * qty raw * multiplier raw


def position_id_for(
    oms_type: OmsType,
    instrument_id: InstrumentId,
    strategy_id: StrategyId,
    client_order_id: ClientOrderId | None = None,
) -> PositionId:
    """The position id a fill belongs to, derived so a restart finds the same id.

    NETTING: ``{instrument_id}-{strategy_id}`` (one position per instrument and
    strategy). HEDGING: ``{instrument_id}-{strategy_id}-{client_order_id}`` of the
    order that opened it, so each entry is its own position. UNSPECIFIED must be
    resolved to the venue's default first.
    """
    if oms_type is OmsType.NETTING:
        return PositionId(f"{instrument_id}-{strategy_id}")
    if oms_type is OmsType.HEDGING:
        if client_order_id is None:
            raise InvalidValue("a HEDGING position id needs the opening client_order_id")
        return PositionId(f"{instrument_id}-{strategy_id}-{client_order_id}")
    raise InvalidValue(
        f"cannot derive a position id for OMS {oms_type.name}: "
        "resolve it to NETTING or HEDGING (the venue's default) first"
    )


def _price_at(value: Fraction, precision: int, rounding: Rounding) -> Price:
    """An exact price (in price units) rounded to ``precision`` decimals."""
    step = 10 ** (FIXED_PRECISION - precision)
    scaled = value * FIXED_SCALAR
    raw = round_div(scaled.numerator, scaled.denominator * step, rounding) * step
    return Price.from_raw(raw, precision)


@final
class Position:
    """One position id's fills, quantity, average prices and PnL; changed only by ``apply``."""

    __slots__ = (
        "_avg",
        "_cash",
        "_close_notional",
        "_close_qty",
        "_commissions",
        "_multiplier_raw",
        "_peak_raw",
        "_price_precision",
        "_settlement_code",
        "_settlement_commission",
        "_signed_raw",
        "_size_precision",
        "_trade_keys",
        "account_id",
        "closing_order_id",
        "entry",
        "events",
        "fill_count",
        "id",
        "instrument_id",
        "opening_order_id",
        "settlement_currency",
        "side",
        "strategy_id",
        "trader_id",
        "ts_closed",
        "ts_init",
        "ts_last",
        "ts_opened",
    )

    id: PositionId
    instrument_id: InstrumentId
    trader_id: TraderId
    strategy_id: StrategyId
    account_id: AccountId
    settlement_currency: Currency
    side: PositionSide
    entry: OrderSide
    opening_order_id: ClientOrderId
    closing_order_id: ClientOrderId | None
    events: list[OrderFilled]
    fill_count: int
    ts_init: int
    ts_opened: int
    ts_last: int
    ts_closed: int | None
    _signed_raw: int
    _avg: int | Fraction
    _cash: int
    _peak_raw: int
    _close_notional: int
    _close_qty: int
    _settlement_commission: int
    _commissions: dict[str, tuple[Currency, int]]
    _trade_keys: set[tuple[str, OrderSide]]
    _multiplier_raw: int
    _size_precision: int
    _price_precision: int
    _settlement_code: str

    def __init__(self, instrument: Instrument, fill: OrderFilled, position_id: PositionId) -> None:
        if fill.instrument_id != instrument.instrument_id:
            raise PositionFillMismatch(
                position_id, "instrument_id", instrument.instrument_id, fill.instrument_id
            )
        if fill.position_id is not None and fill.position_id != position_id:
            raise PositionFillMismatch(position_id, "position_id", position_id, fill.position_id)
        if fill.last_qty.raw <= 0:
            raise PositionError(f"position {position_id}: fill {fill.trade_id} has zero quantity")
        self.id = position_id
        self.instrument_id = instrument.instrument_id
        self.trader_id = fill.trader_id
        self.strategy_id = fill.strategy_id
        self.account_id = fill.account_id
        self.settlement_currency = instrument.settlement_currency
        self._settlement_code = instrument.settlement_currency.code
        self._multiplier_raw = instrument.multiplier.raw
        self._size_precision = instrument.size_precision
        self._price_precision = instrument.price_precision
        self.events = []
        self.fill_count = 0
        self.ts_init = fill.ts_init
        self.ts_last = fill.ts_event
        self.ts_closed = None
        self.closing_order_id = None
        self.side = PositionSide.FLAT
        self._signed_raw = 0
        self._avg = 0
        self._cash = 0
        self._settlement_commission = 0
        self._commissions = {}
        self._trade_keys = set()
        self._apply(fill)

    @classmethod
    def open(cls, instrument: Instrument, fill: OrderFilled, position_id: PositionId) -> Position:
        """Open a position from its first fill."""
        return cls(instrument, fill, position_id)

    @classmethod
    def from_fills(
        cls, instrument: Instrument, fills: Iterable[OrderFilled], position_id: PositionId
    ) -> Position:
        """Rebuild a position by replaying its fills in order (e.g. from the database)."""
        iterator = iter(fills)
        first = next(iterator, None)
        if first is None:
            raise PositionError(f"position {position_id}: cannot rebuild from no fills")
        position = cls(instrument, first, position_id)
        for fill in iterator:
            position.apply(fill)
        return position

    # -- quantities and prices -------------------------------------------------------------

    @property
    def quantity(self) -> Quantity:
        """The open quantity, unsigned (zero when flat)."""
        return Quantity.from_raw(abs(self._signed_raw), self._size_precision)

    @property
    def signed_qty(self) -> Decimal:
        """The open quantity, positive long and negative short, exact."""
        return (
            Decimal(self._signed_raw)
            .scaleb(-FIXED_PRECISION)
            .quantize(Decimal(1).scaleb(-self._size_precision))
        )

    @property
    def signed_qty_raw(self) -> int:
        """The signed open quantity scaled by ``10**9`` (for exact arithmetic)."""
        return self._signed_raw

    @property
    def peak_qty(self) -> Quantity:
        """The largest open quantity of the current leg."""
        return Quantity.from_raw(self._peak_raw, self._size_precision)

    @property
    def avg_px_open(self) -> Fraction:
        """Exact average opening price of the open (or, when flat, the last) leg."""
        return Fraction(self._avg) / FIXED_SCALAR

    def avg_px_open_price(
        self, precision: int | None = None, rounding: Rounding = "half_even"
    ) -> Price:
        """``avg_px_open`` rounded (half-even) to the instrument's price precision."""
        precision = self._price_precision if precision is None else precision
        return _price_at(self.avg_px_open, precision, rounding)

    @property
    def avg_px_close(self) -> Fraction | None:
        """Exact average price of the current leg's closing fills, None before any."""
        if self._close_qty == 0:
            return None
        return Fraction(self._close_notional, self._close_qty * FIXED_SCALAR)

    def avg_px_close_price(
        self, precision: int | None = None, rounding: Rounding = "half_even"
    ) -> Price | None:
        """``avg_px_close`` rounded (half-even) to the instrument's price precision."""
        exact = self.avg_px_close
        if exact is None:
            return None
        return _price_at(exact, self._price_precision if precision is None else precision, rounding)

    # -- PnL ---------------------------------------------------------------------------------

    @property
    def realized_pnl_exact(self) -> Fraction:
        """Realized price PnL of every closed quantity minus settlement-currency commissions."""
        realized = self._cash + self._avg * self._signed_raw
        return Fraction(realized * self._multiplier_raw, _PNL_SCALE) - Fraction(
            self._settlement_commission, FIXED_SCALAR
        )

    @property
    def realized_pnl(self) -> Money:
        """``realized_pnl_exact`` rounded half-even to the settlement currency."""
        return Money.from_fraction(self.realized_pnl_exact, self.settlement_currency)

    def unrealized_pnl_exact(self, price: Price) -> Fraction:
        """PnL of the open quantity if it were closed at ``price``, exact."""
        return Fraction(
            (price.raw - self._avg) * self._signed_raw * self._multiplier_raw, _PNL_SCALE
        )

    def unrealized_pnl(self, price: Price) -> Money:
        """``unrealized_pnl_exact(price)`` rounded half-even to the settlement currency."""
        return Money.from_fraction(self.unrealized_pnl_exact(price), self.settlement_currency)

    def total_pnl_exact(self, price: Price) -> Fraction:
        return self.realized_pnl_exact + self.unrealized_pnl_exact(price)

    def total_pnl(self, price: Price) -> Money:
        """The exact total rounded once, so it may differ by one unit from the rounded sum."""
        return Money.from_fraction(self.total_pnl_exact(price), self.settlement_currency)

    @property
    def commissions(self) -> dict[Currency, Money]:
        """Commission paid per currency over the whole life of the position id."""
        return {ccy: Money.from_raw(raw, ccy) for ccy, raw in self._commissions.values()}

    # -- status --------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._signed_raw != 0

    @property
    def is_closed(self) -> bool:
        return self._signed_raw == 0

    @property
    def is_long(self) -> bool:
        return self._signed_raw > 0

    @property
    def is_short(self) -> bool:
        return self._signed_raw < 0

    @property
    def duration_ns(self) -> int:
        """How long the last leg was open; 0 while it still is."""
        if self.ts_closed is None:
            return 0
        return self.ts_closed - self.ts_opened

    @property
    def trade_ids(self) -> tuple[TradeId, ...]:
        """Trade ids of the current leg's fills, in order (see ``events``)."""
        return tuple(fill.trade_id for fill in self.events)

    def has_trade(self, trade_id: TradeId) -> bool:
        """True if a fill with ``trade_id`` (either side) was applied in the current leg."""
        key = trade_id.value
        return (key, OrderSide.BUY) in self._trade_keys or (key, OrderSide.SELL) in self._trade_keys

    @property
    def last_event(self) -> OrderFilled:
        return self.events[-1]

    def __repr__(self) -> str:
        if self._signed_raw == 0:
            state = "FLAT"
        else:
            state = f"{self.side.name} {self.quantity} @ {self.avg_px_open_price()}"
        return f"Position({self.id}, {state}, realized={self.realized_pnl})"

    # -- the one mutator -------------------------------------------------------------------

    def apply(self, fill: OrderFilled) -> None:
        """Apply one fill; raises ``PositionError`` (position unchanged) if it cannot."""
        position_id = self.id
        if fill.instrument_id.value != self.instrument_id.value:
            raise PositionFillMismatch(
                position_id, "instrument_id", self.instrument_id, fill.instrument_id
            )
        if fill.account_id != self.account_id:
            raise PositionFillMismatch(position_id, "account_id", self.account_id, fill.account_id)
        if fill.position_id is not None and fill.position_id != position_id:
            raise PositionFillMismatch(position_id, "position_id", position_id, fill.position_id)
        if fill.last_qty._raw <= 0:
            raise PositionError(f"position {position_id}: fill {fill.trade_id} has zero quantity")
        self._apply(fill)

    def _apply(self, fill: OrderFilled) -> None:
        key = (fill.trade_id.value, fill.order_side)
        if key in self._trade_keys:
            raise PositionDuplicateFill(self.id, fill.trade_id, fill.order_side)
        # Validated: mutate.
        sign = 1 if fill.order_side is _BUY else -1
        qty = fill.last_qty._raw
        px = fill.last_px._raw
        signed = self._signed_raw
        self._cash -= sign * qty * px
        if signed == 0:
            if self.events:
                # Reopened from flat: the closed legs' fills leave memory (a position that
                # trades for weeks would otherwise hold every fill); their totals stay.
                self.events = []
                self._trade_keys = set()
            self._open_leg(fill, sign, qty, px)
        elif (signed > 0) == (sign > 0):
            total = signed + sign * qty
            avg = self._avg
            # One gcd on exact integers; an int stays an int while it divides.
            if isinstance(avg, int):
                new_avg = Fraction(avg * signed + px * sign * qty, total)
            else:
                den = avg.denominator
                new_avg = Fraction(avg.numerator * signed + px * sign * qty * den, den * total)
            self._avg = new_avg.numerator if new_avg.denominator == 1 else new_avg
            self._signed_raw = total
            if abs(total) > self._peak_raw:
                self._peak_raw = abs(total)
        else:
            open_qty = -sign * signed  # |signed|, since the fill is on the other side
            closed = qty if qty < open_qty else open_qty
            self._close_notional += px * closed
            self._close_qty += closed
            if qty < open_qty:
                self._signed_raw = signed + sign * qty
            elif qty == open_qty:
                self._signed_raw = 0
                self.side = PositionSide.FLAT
                self.ts_closed = fill.ts_event
                self.closing_order_id = fill.client_order_id
            else:
                self._open_leg(fill, sign, qty - open_qty, px)
        commission = fill.commission
        code = commission.currency.code
        raw = commission._raw
        if code == self._settlement_code:
            self._settlement_commission += raw
        entry = self._commissions.get(code)
        self._commissions[code] = (
            (commission.currency, raw) if entry is None else (entry[0], entry[1] + raw)
        )
        self._trade_keys.add(key)
        self.events.append(fill)
        self.fill_count += 1
        self.ts_last = fill.ts_event

    def _open_leg(self, fill: OrderFilled, sign: int, qty: int, px: int) -> None:
        """Start a leg: first fill, reopening a flat position, or the rest of a flip."""
        self._signed_raw = sign * qty
        self._avg = px
        self._peak_raw = qty
        self._close_notional = 0
        self._close_qty = 0
        self.side = PositionSide.LONG if sign > 0 else PositionSide.SHORT
        self.entry = fill.order_side
        self.opening_order_id = fill.client_order_id
        self.closing_order_id = None
        self.ts_opened = fill.ts_event
        self.ts_closed = None
