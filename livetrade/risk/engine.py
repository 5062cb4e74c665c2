"""Pre-trade risk: the checks every submit and modify passes before it leaves the node.

The engine is pure and synchronous: it reads the cache and the clock and returns
``None`` (pass) or a one-line reason, which the caller puts in ``OrderDenied``
(submits) or reports back to the strategy (modifies). It never logs and never
changes an order.

Submit checks, in order (the first failure is the reason):

1. trading state HALTED denies everything new;
2. the instrument must be in the cache;
3. price and trigger price on the instrument's grid and limits, then quantity
   (with the instrument's notional limits at the reference price, below);
4. trading state REDUCING allows only an order that reduces the instrument's net
   position across all strategies, without flipping it;
5. ``max_notional_per_order`` for the instrument, at the reference price;
6. the submit rate limit (only orders that passed 1-5 use capacity).

The reference price is the order's price, else its trigger price, else the
latest quote (ask for a BUY, bid for a SELL); with none known the notional
checks are skipped. Cancels are never checked: reducing risk must always be
possible, whatever the state or rate.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Final, final

import attrs

from livetrade.cache.view import CacheView
from livetrade.clock import Clock
from livetrade.config.engines import RiskEngineConfig
from livetrade.execution.messages import ModifyOrder, SubmitOrder, SubmitOrderList
from livetrade.model.enums import OrderSide, OrderStatus, TradingState
from livetrade.model.events import OrderInitialized
from livetrade.model.identifiers import InstrumentId
from livetrade.model.instruments import Instrument
from livetrade.model.orders import Order
from livetrade.model.quantities import FIXED_PRECISION, Price, Quantity
from livetrade.risk.throttle import Throttler

__all__ = ["RiskEngine", "RiskStatistics"]

_NOTIONAL_DIGITS: Final = 3 * FIXED_PRECISION  # notional_exact's denominator divides 10**27


@final
@attrs.frozen(kw_only=True)
class RiskStatistics:
    """What the engine has checked and denied, counted per order (a list counts each)."""

    submits_checked: int
    submits_denied: int
    modifies_checked: int
    modifies_denied: int


def _rate_reason(kind: str, rate: str) -> str:
    return f"order {kind} rate exceeded: max_order_{kind}_rate is {rate}"


def _plain(value: Fraction, min_decimals: int) -> str:
    """An exact notional as a decimal string (no rounding), with at least ``min_decimals``."""
    scaled = value * 10**_NOTIONAL_DIGITS
    assert scaled.denominator == 1, "a notional is a multiple of 10**-27"
    digits = str(abs(scaled.numerator)).rjust(_NOTIONAL_DIGITS + 1, "0")
    whole, decimals = digits[:-_NOTIONAL_DIGITS], digits[-_NOTIONAL_DIGITS:].rstrip("0")
    decimals = decimals.ljust(min_decimals, "0")
    sign = "-" if scaled < 0 else ""
    return f"{sign}{whole}.{decimals}" if decimals else f"{sign}{whole}"


@final
class RiskEngine:
    """Trading state, throttles and the pre-trade checks of submits and modifies.

    With ``config.bypass`` every check (throttles included) passes and nothing is
    counted: only for venues that enforce their own limits.
    """

    __slots__ = (
        "_cache",
        "_clock",
        "_config",
        "_max_notional",
        "_modifies_checked",
        "_modifies_denied",
        "_modify_throttler",
        "_state",
        "_submit_throttler",
        "_submits_checked",
        "_submits_denied",
    )

    def __init__(self, config: RiskEngineConfig, cache: CacheView, clock: Clock) -> None:
        self._config = config
        self._cache = cache
        self._clock = clock
        self._state = TradingState.ACTIVE
        self._submit_throttler = Throttler(config.submit_rate_limit)
        self._modify_throttler = Throttler(config.modify_rate_limit)
        # Converted once: the configured Decimals are exact, and so is a Fraction.
        self._max_notional = {
            instrument_id: Fraction(amount)
            for instrument_id, amount in config.max_notional_per_order.items()
        }
        self._submits_checked = 0
        self._submits_denied = 0
        self._modifies_checked = 0
        self._modifies_denied = 0

    # -- trading state ---------------------------------------------------------------------

    @property
    def trading_state(self) -> TradingState:
        return self._state

    def set_trading_state(self, state: TradingState) -> TradingState:
        """Switch the state; returns the previous one so the caller can report the change."""
        previous = self._state
        self._state = state
        return previous

    @property
    def submit_throttler(self) -> Throttler:
        return self._submit_throttler

    @property
    def modify_throttler(self) -> Throttler:
        return self._modify_throttler

    def statistics(self) -> RiskStatistics:
        return RiskStatistics(
            submits_checked=self._submits_checked,
            submits_denied=self._submits_denied,
            modifies_checked=self._modifies_checked,
            modifies_denied=self._modifies_denied,
        )

    # -- submits ---------------------------------------------------------------------------

    def check_submit(self, command: SubmitOrder) -> str | None:
        """None if the order may go to the venue, else the reason it is denied."""
        if self._config.bypass:
            return None
        self._submits_checked += 1
        reason = self._halted() or self._check_order(command.order)
        if reason is None and not self._submit_throttler.try_acquire(self._clock.timestamp_ns()):
            reason = _rate_reason("submit", self._config.max_order_submit_rate)
        if reason is not None:
            self._submits_denied += 1
        return reason

    def check_submit_list(self, command: SubmitOrderList) -> str | None:
        """None if every order may go, else the reason all of them are denied.

        The list passes or fails as a whole: it uses one submit slot per order, and
        uses none if the rate limit cannot take them all.
        """
        if self._config.bypass:
            return None
        orders = command.orders
        count = len(orders)
        self._submits_checked += count
        reason = self._check_list(command)
        if reason is not None:
            self._submits_denied += count
        return reason

    def _check_list(self, command: SubmitOrderList) -> str | None:
        orders = command.orders
        where = f"order list {command.order_list_id}"
        if not orders:
            return f"{where} has no orders"
        halted = self._halted()
        if halted is not None:
            return f"{where}: {halted}"
        for order in orders:
            reason = self._check_order(order)
            if reason is not None:
                return f"{where}: order {order.client_order_id}: {reason}"
        throttler = self._submit_throttler
        ts_ns = self._clock.timestamp_ns()
        if not throttler.try_acquire(ts_ns, len(orders)):
            first_refused = orders[max(throttler.available(ts_ns), 0)]
            return (
                f"{where}: order {first_refused.client_order_id}: "
                f"{_rate_reason('submit', self._config.max_order_submit_rate)} "
                f"({len(orders)} orders in the list)"
            )
        return None

    def _check_order(self, order: OrderInitialized) -> str | None:
        """Checks 2 to 5 of one order (HALTED and the throttle are the caller's)."""
        instrument_id = order.instrument_id
        instrument = self._cache.instrument(instrument_id)
        if instrument is None:
            return f"unknown instrument {instrument_id}"
        reference = self._reference_price(
            instrument_id, order.order_side, order.price, order.trigger_price
        )
        reason = self._check_terms(
            instrument, order.price, order.trigger_price, order.quantity, reference
        )
        if reason is not None:
            return reason
        if self._state is TradingState.REDUCING:
            reason = self._check_reduces(instrument, order.order_side, order.quantity)
            if reason is not None:
                return reason
        return self._check_max_notional(instrument, order.quantity, reference)

    # -- modifies --------------------------------------------------------------------------

    def check_modify(self, command: ModifyOrder) -> str | None:
        """None if the modify may go to the venue, else the reason it is refused."""
        if self._config.bypass:
            return None
        self._modifies_checked += 1
        reason = self._halted() or self._check_modify(command)
        if reason is None and not self._modify_throttler.try_acquire(self._clock.timestamp_ns()):
            reason = _rate_reason("modify", self._config.max_order_modify_rate)
        if reason is not None:
            self._modifies_denied += 1
        return reason

    def _check_modify(self, command: ModifyOrder) -> str | None:
        coid = command.client_order_id
        order = self._cache.order(coid)
        if order is None:
            return f"order {coid} is not in the cache"
        if not order.is_open:
            return f"order {coid} is {order.status.name}, not open: it cannot be modified"
        if order.status is OrderStatus.PENDING_CANCEL:
            return f"order {coid} is PENDING_CANCEL: it is being canceled"
        instrument = self._cache.instrument(order.instrument_id)
        if instrument is None:
            return f"unknown instrument {order.instrument_id}"
        if command.price is not None and not order.order_type.has_price:
            return f"order {coid} is a {order.order_type.name} order: it has no price to modify"
        if command.trigger_price is not None and not order.order_type.has_trigger_price:
            return (
                f"order {coid} is a {order.order_type.name} order: it has no trigger "
                "price to modify"
            )
        price = order.price if command.price is None else command.price
        trigger = order.trigger_price if command.trigger_price is None else command.trigger_price
        quantity = order.quantity if command.quantity is None else command.quantity
        reference = self._reference_price(order.instrument_id, order.side, price, trigger)
        reason = self._check_terms(instrument, command.price, command.trigger_price, None, None)
        if reason is None:
            reason = self._check_modified_quantity(instrument, order, quantity, reference)
        if reason is None:
            reason = self._check_max_notional(instrument, quantity, reference)
        return reason

    def _check_modified_quantity(
        self, instrument: Instrument, order: Order, quantity: Quantity, reference: Price | None
    ) -> str | None:
        reason = self._check_terms(instrument, None, None, quantity, reference)
        if reason is not None:
            return reason
        if quantity.raw < order.filled_qty.raw:
            return (
                f"quantity: {quantity} is below the {order.filled_qty} already filled "
                f"of order {order.client_order_id}"
            )
        if self._state is TradingState.REDUCING and quantity.raw > order.quantity.raw:
            return (
                f"trading state is REDUCING: the quantity of order {order.client_order_id} "
                f"cannot increase from {order.quantity} to {quantity}"
            )
        return None

    # -- the checks ------------------------------------------------------------------------

    def _halted(self) -> str | None:
        if self._state is TradingState.HALTED:
            return "trading state is HALTED: no new orders or modifies (cancels still go)"
        return None

    def _reference_price(
        self,
        instrument_id: InstrumentId,
        side: OrderSide,
        price: Price | None,
        trigger_price: Price | None,
    ) -> Price | None:
        """The order's price, else its trigger price, else the quote side it would take."""
        if price is not None:
            return price
        if trigger_price is not None:
            return trigger_price
        quote = self._cache.quote_tick(instrument_id)
        if quote is None:
            return None
        return quote.ask_price if side is OrderSide.BUY else quote.bid_price

    @staticmethod
    def _check_terms(
        instrument: Instrument,
        price: Price | None,
        trigger_price: Price | None,
        quantity: Quantity | None,
        reference: Price | None,
    ) -> str | None:
        if price is not None:
            reason = instrument.check_price(price)
            if reason is not None:
                return f"price: {reason}"
        if trigger_price is not None:
            reason = instrument.check_price(trigger_price)
            if reason is not None:
                return f"trigger_price: {reason}"
        if quantity is not None:
            reason = instrument.check_quantity(quantity, reference)
            if reason is not None:
                return f"quantity: {reason}"
        return None

    def _check_reduces(
        self, instrument: Instrument, side: OrderSide, quantity: Quantity
    ) -> str | None:
        """Under REDUCING, pass only an order that shrinks the net position, never flips it."""
        instrument_id = instrument.instrument_id
        net_raw = self._cache.net_position_raw(instrument_id)
        if net_raw == 0:
            return (
                f"trading state is REDUCING and the net position of {instrument_id} is "
                f"flat: a {side.name} would open one"
            )
        net = Quantity.from_raw(abs(net_raw), instrument.size_precision)
        held = "LONG" if net_raw > 0 else "SHORT"
        if side.sign * net_raw > 0:
            return (
                f"trading state is REDUCING: a {side.name} would increase the net "
                f"{held} position of {net} {instrument_id}"
            )
        if quantity.raw > abs(net_raw):
            return (
                f"trading state is REDUCING: a {side.name} of {quantity} would flip the "
                f"net {held} position of {net} {instrument_id}"
            )
        return None

    def _check_max_notional(
        self, instrument: Instrument, quantity: Quantity, reference: Price | None
    ) -> str | None:
        limit = self._max_notional.get(instrument.instrument_id)
        if limit is None or reference is None:
            return None
        notional = instrument.notional_exact(quantity, reference)
        if notional <= limit:
            return None
        currency = instrument.settlement_currency
        configured: Decimal = self._config.max_notional_per_order[instrument.instrument_id]
        return (
            f"notional {_plain(notional, currency.precision)} {currency} of {quantity} @ "
            f"{reference} exceeds max_notional_per_order {configured} {currency} "
            f"for {instrument.instrument_id}"
        )
