"""The sandbox venue's acceptance rules for new orders and modifies.

Each check returns None when the venue accepts, or the sentence it answers with
(``Rejected.reason``, ``AmendRejected.reason``). The balance check comes last
and lives with the account (``VenueAccount.check_lock``), since it needs the
order's lock. Nothing here changes any state.
"""

from __future__ import annotations

from typing import Final

from livetrade.adapters.sandbox.accounts import VenueAccount
from livetrade.adapters.sandbox.matching import Book, SandboxOrder, day_expiry_ns
from livetrade.model.data import QuoteTick
from livetrade.model.enums import OrderSide, OrderType, TimeInForce
from livetrade.model.events import OrderInitialized
from livetrade.model.quantities import Price, Quantity

__all__ = [
    "FOK_REASON",
    "IOC_REASON",
    "POST_ONLY_REASON",
    "REDUCE_ONLY_REASON",
    "crosses",
    "expiry_of",
    "lock_price",
    "modify_problem",
    "submit_problem",
]

REDUCE_ONLY_REASON: Final = "reduce-only order would increase or flip the position"
IOC_REASON: Final = "IOC: the part not filled immediately was canceled"
FOK_REASON: Final = "FOK not fillable"
POST_ONLY_REASON: Final = "post-only order would take liquidity"


def crosses(side: OrderSide, price: Price, quote: QuoteTick) -> bool:
    """True if a limit at ``price`` would take liquidity from ``quote``."""
    if side is OrderSide.BUY:
        return price.raw >= quote.ask_price.raw
    return price.raw <= quote.bid_price.raw


def lock_price(init: OrderInitialized, book: Book) -> Price | None:
    """The price a new order reserves funds at: limit, else trigger, else the touch."""
    if init.order_type.has_price and init.price is not None:
        return init.price
    if init.order_type.has_trigger_price and init.trigger_price is not None:
        return init.trigger_price
    return book.touch(init.order_side)


def expiry_of(init: OrderInitialized, ts: int) -> int | None:
    """When the venue expires an order accepted at ``ts`` (GTD: its time; DAY: midnight UTC)."""
    if init.time_in_force is TimeInForce.GTD:
        return init.expire_time_ns
    if init.time_in_force is TimeInForce.DAY:
        return day_expiry_ns(ts)
    return None


def submit_problem(
    init: OrderInitialized, book: Book, account: VenueAccount, ts: int
) -> tuple[str, bool] | None:
    """Why the venue refuses ``init`` as ``(reason, due_post_only)``, or None.

    Checked in this order: prices present and on the grid, a market to trade
    against (MARKET), quantity (and notional) limits, GTD expiry, post-only,
    reduce-only. Duplicate ids, unknown instruments and balances are checked by
    the caller.
    """
    instrument = book.instrument
    order_type, side = init.order_type, init.order_side
    price = init.price if order_type.has_price else None
    trigger = init.trigger_price if order_type.has_trigger_price else None
    if order_type.has_price and price is None:
        return f"a {order_type.name} order needs a price", False
    if order_type.has_trigger_price and trigger is None:
        return f"a {order_type.name} order needs a trigger price", False
    for value in (price, trigger):
        if value is not None and (reason := instrument.check_price(value)) is not None:
            return reason, False
    if order_type is OrderType.MARKET and book.quote is None:
        return f"no market: no quote for {instrument.instrument_id} yet", False
    if (reason := instrument.check_quantity(init.quantity, lock_price(init, book))) is not None:
        return reason, False
    if init.time_in_force is TimeInForce.GTD:
        if init.expire_time_ns is None:
            return "a GTD order needs an expire time", False
        if init.expire_time_ns <= ts:
            return f"GTD expire time {init.expire_time_ns} is not after {ts}", False
    if init.post_only:
        if order_type is not OrderType.LIMIT:
            return f"post-only applies to LIMIT orders, not {order_type.name}", False
        assert price is not None
        if book.quote is not None and crosses(side, price, book.quote):
            return POST_ONLY_REASON, True
    if init.reduce_only and init.quantity.raw > account.reducible(init.instrument_id, side):
        return REDUCE_ONLY_REASON, False
    return None


def modify_problem(
    book: Book,
    order: SandboxOrder,
    account: VenueAccount,
    quantity: Quantity,
    price: Price | None,
    trigger: Price | None,
) -> str | None:
    """Why the venue refuses to modify ``order``, or None (``None`` args: unchanged)."""
    if not order.is_working:
        return f"order already {order.status.name}"
    order_type = order.order_type
    if price is not None and not order_type.has_price:
        return f"a {order_type.name} order has no price to modify"
    if trigger is not None:
        if not order_type.has_trigger_price:
            return f"a {order_type.name} order has no trigger price to modify"
        if order.triggered:
            return "the order already triggered; its trigger price cannot change"
    if (
        quantity == order.quantity
        and (price is None or price == order.price)
        and (trigger is None or trigger == order.trigger_price)
    ):
        return "the modify changes nothing"
    instrument = book.instrument
    for value in (price, trigger):
        if value is not None and (reason := instrument.check_price(value)) is not None:
            return reason
    new_px = order.price if price is None else price
    notional_px = order.lock_px if new_px is None else new_px
    if (reason := instrument.check_quantity(quantity, notional_px)) is not None:
        return reason
    if quantity.raw <= order.filled_raw:
        return f"quantity {quantity} is not above the filled quantity {order.filled_qty}"
    quote = book.quote
    post_only_crosses = (
        new_px is not None and quote is not None and crosses(order.side, new_px, quote)
    )
    if order.post_only and post_only_crosses:
        return POST_ONLY_REASON
    if order.reduce_only:
        leaves = quantity.raw - order.filled_raw
        if leaves > account.reducible(order.instrument_id, order.side):
            return REDUCE_ONLY_REASON
    return None
