"""``OrderFactory``: a strategy's client order ids and ``OrderInitialized`` events.

Ids follow NautilusTrader's form, ``O-{YYYYMMDD}-{HHMMSS}-{trader_tag}-{order_id_tag}-{n}``
(UTC), and order lists ``OL-...-{m}`` with their own counter. The date only makes ids
readable; uniqueness comes from the counter, so a restarted node must call
``resume_after`` with the ids already in its cache before it creates an order.

The factory is pure: it reads time from the ``Clock`` it is given and returns
events; the node builds the ``Order`` from each event.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

import attrs

from livetrade.clock import NANOS_PER_SECOND, Clock
from livetrade.errors import InvalidValue
from livetrade.model.enums import ContingencyType, OrderSide, OrderType, TimeInForce
from livetrade.model.events import OrderInitialized
from livetrade.model.identifiers import (
    ClientOrderId,
    InstrumentId,
    OrderListId,
    StrategyId,
    TraderId,
)
from livetrade.model.quantities import Price, Quantity

__all__ = ["OrderFactory", "OrderList"]

_GTC = TimeInForce.GTC


@attrs.frozen
class OrderList:
    """Orders created together (a bracket); submitted as one ``SubmitOrderList``."""

    order_list_id: OrderListId
    orders: tuple[OrderInitialized, ...] = attrs.field(validator=attrs.validators.min_len(1))

    @property
    def first(self) -> OrderInitialized:
        """The first order: a bracket's entry."""
        return self.orders[0]


class OrderFactory:
    """Creates one strategy's orders with ids that are never reused for its trader."""

    __slots__ = (
        "_clock",
        "_list_count",
        "_order_count",
        "_pattern",
        "_stamp",
        "_stamp_second",
        "order_id_tag",
        "strategy_id",
        "trader_id",
        "use_uuid_client_order_ids",
    )

    def __init__(
        self,
        trader_id: TraderId,
        strategy_id: StrategyId,
        clock: Clock,
        *,
        order_id_tag: str,
        use_uuid_client_order_ids: bool = False,
    ) -> None:
        # A hyphen in the tag would make the id's trailing fields ambiguous on resume.
        if (
            type(order_id_tag) is not str
            or not order_id_tag
            or not order_id_tag.isprintable()
            or any(c.isspace() or c == "-" for c in order_id_tag)
        ):
            raise InvalidValue(
                f"order_id_tag must be a non-empty string without hyphens or whitespace, "
                f"got {order_id_tag!r}"
            )
        self.trader_id = trader_id
        self.strategy_id = strategy_id
        self.order_id_tag = order_id_tag
        self.use_uuid_client_order_ids = use_uuid_client_order_ids
        self._clock = clock
        self._order_count = 0
        self._list_count = 0
        self._stamp_second = -1
        self._stamp = ""
        self._pattern = re.compile(
            rf"-{re.escape(trader_id.tag)}-{re.escape(order_id_tag)}-([0-9]+)\Z"
        )

    # -- ids ------------------------------------------------------------------------------

    @property
    def count(self) -> int:
        """The last ``n`` used in a sequential client order id (0 before the first)."""
        return self._order_count

    @property
    def order_list_count(self) -> int:
        """The last ``m`` used in an order list id (0 before the first)."""
        return self._list_count

    def reset(self) -> None:
        """Restart both counters at 0 (only safe with an empty cache)."""
        self._order_count = 0
        self._list_count = 0

    def resume_after(self, ids: Iterable[ClientOrderId]) -> int:
        """Move the counter past every ``n`` of this trader and tag found in ``ids``.

        Ids of other strategies, UUIDs and malformed ids are ignored; the counter
        never moves back. Returns the new count.
        """
        self._order_count = max(self._order_count, self._highest(ids))
        return self._order_count

    def resume_order_lists_after(self, ids: Iterable[OrderListId]) -> int:
        """``resume_after`` for order list ids; returns the new order list count."""
        self._list_count = max(self._list_count, self._highest(ids))
        return self._list_count

    def _highest(self, ids: Iterable[ClientOrderId | OrderListId]) -> int:
        highest = 0
        for identifier in ids:
            match = self._pattern.search(identifier.value)
            if match is not None:
                highest = max(highest, int(match.group(1)))
        return highest

    def _tag(self, prefix: str, n: int) -> str:
        seconds = self._clock.timestamp_ns() // NANOS_PER_SECOND
        if seconds != self._stamp_second:  # formatting the time costs more than the rest
            self._stamp_second = seconds
            self._stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y%m%d-%H%M%S")
        stamp = self._stamp
        return f"{prefix}-{stamp}-{self.trader_id.tag}-{self.order_id_tag}-{n}"

    def next_client_order_id(self) -> ClientOrderId:
        """A fresh client order id (a UUID4 string in uuid mode)."""
        if self.use_uuid_client_order_ids:
            return ClientOrderId(str(uuid.uuid4()))
        self._order_count += 1
        return ClientOrderId(self._tag("O", self._order_count))

    def next_order_list_id(self) -> OrderListId:
        """A fresh order list id (always sequential, also in uuid mode)."""
        self._list_count += 1
        return OrderListId(self._tag("OL", self._list_count))

    # -- single orders --------------------------------------------------------------------

    def market(
        self,
        instrument_id: InstrumentId,
        side: OrderSide,
        quantity: Quantity,
        *,
        time_in_force: TimeInForce = _GTC,
        reduce_only: bool = False,
        tags: tuple[str, ...] = (),
    ) -> OrderInitialized:
        """A MARKET order (GTD makes no sense for it and is refused)."""
        return self._init(
            instrument_id, side, OrderType.MARKET, quantity,
            time_in_force=time_in_force, reduce_only=reduce_only, tags=tags,
        )  # fmt: skip

    def limit(
        self,
        instrument_id: InstrumentId,
        side: OrderSide,
        quantity: Quantity,
        price: Price,
        *,
        time_in_force: TimeInForce = _GTC,
        expire_time_ns: int | None = None,
        post_only: bool = False,
        reduce_only: bool = False,
        tags: tuple[str, ...] = (),
    ) -> OrderInitialized:
        """A LIMIT order; GTD needs ``expire_time_ns``."""
        return self._init(
            instrument_id, side, OrderType.LIMIT, quantity,
            price=price, time_in_force=time_in_force, expire_time_ns=expire_time_ns,
            post_only=post_only, reduce_only=reduce_only, tags=tags,
        )  # fmt: skip

    def stop_market(
        self,
        instrument_id: InstrumentId,
        side: OrderSide,
        quantity: Quantity,
        trigger_price: Price,
        *,
        time_in_force: TimeInForce = _GTC,
        expire_time_ns: int | None = None,
        reduce_only: bool = False,
        tags: tuple[str, ...] = (),
    ) -> OrderInitialized:
        """A STOP_MARKET order: a market order once ``trigger_price`` trades."""
        return self._init(
            instrument_id, side, OrderType.STOP_MARKET, quantity,
            trigger_price=trigger_price, time_in_force=time_in_force,
            expire_time_ns=expire_time_ns, reduce_only=reduce_only, tags=tags,
        )  # fmt: skip

    def stop_limit(
        self,
        instrument_id: InstrumentId,
        side: OrderSide,
        quantity: Quantity,
        price: Price,
        trigger_price: Price,
        *,
        time_in_force: TimeInForce = _GTC,
        expire_time_ns: int | None = None,
        post_only: bool = False,
        reduce_only: bool = False,
        tags: tuple[str, ...] = (),
    ) -> OrderInitialized:
        """A STOP_LIMIT order: a limit order at ``price`` once ``trigger_price`` trades."""
        return self._init(
            instrument_id, side, OrderType.STOP_LIMIT, quantity,
            price=price, trigger_price=trigger_price, time_in_force=time_in_force,
            expire_time_ns=expire_time_ns, post_only=post_only, reduce_only=reduce_only,
            tags=tags,
        )  # fmt: skip

    # -- brackets -------------------------------------------------------------------------

    def bracket(
        self,
        instrument_id: InstrumentId,
        side: OrderSide,
        quantity: Quantity,
        *,
        sl_trigger_price: Price,
        tp_price: Price,
        entry_price: Price | None = None,
        entry_trigger_price: Price | None = None,
        time_in_force: TimeInForce = _GTC,
        sl_time_in_force: TimeInForce = _GTC,
        tp_time_in_force: TimeInForce = _GTC,
        expire_time_ns: int | None = None,
        entry_post_only: bool = False,
        tp_post_only: bool = True,
        contingency_type: ContingencyType = ContingencyType.OCO,
        entry_tags: tuple[str, ...] = ("ENTRY",),
        sl_tags: tuple[str, ...] = ("STOP_LOSS",),
        tp_tags: tuple[str, ...] = ("TAKE_PROFIT",),
    ) -> OrderList:
        """An entry (OTO) with a stop-loss and a take-profit (OCO or OUO) on the other side.

        The entry is MARKET, LIMIT (``entry_price``), STOP_MARKET
        (``entry_trigger_price``) or STOP_LIMIT (both). ``expire_time_ns`` is used
        by every leg whose time in force is GTD. Returns ``[entry, stop-loss,
        take-profit]``, ids created in that order.
        """
        if contingency_type not in (ContingencyType.OCO, ContingencyType.OUO):
            raise InvalidValue(f"bracket exits must be OCO or OUO, got {contingency_type.name}")
        _check_bracket_prices(side, sl_trigger_price, tp_price, entry_price, entry_trigger_price)
        tifs = (time_in_force, sl_time_in_force, tp_time_in_force)
        if expire_time_ns is not None and TimeInForce.GTD not in tifs:
            raise InvalidValue("expire_time_ns is given but no bracket leg is GTD")

        def expiry(tif: TimeInForce) -> int | None:
            return expire_time_ns if tif is TimeInForce.GTD else None

        if entry_trigger_price is not None:
            entry_type = OrderType.STOP_MARKET if entry_price is None else OrderType.STOP_LIMIT
        else:
            entry_type = OrderType.MARKET if entry_price is None else OrderType.LIMIT
        # Check every leg before any id is spent.
        _check_terms(entry_type, time_in_force, expiry(time_in_force), entry_post_only)
        _check_terms(OrderType.STOP_MARKET, sl_time_in_force, expiry(sl_time_in_force), False)
        _check_terms(OrderType.LIMIT, tp_time_in_force, expiry(tp_time_in_force), tp_post_only)
        list_id = self.next_order_list_id()
        entry_id = self.next_client_order_id()
        sl_id = self.next_client_order_id()
        tp_id = self.next_client_order_id()
        exit_side = side.opposite
        entry = self._init(
            instrument_id, side, entry_type, quantity,
            price=entry_price, trigger_price=entry_trigger_price,
            time_in_force=time_in_force, expire_time_ns=expiry(time_in_force),
            post_only=entry_post_only, tags=entry_tags, client_order_id=entry_id,
            contingency_type=ContingencyType.OTO, order_list_id=list_id,
            linked_order_ids=(sl_id, tp_id),
        )  # fmt: skip
        stop_loss = self._init(
            instrument_id, exit_side, OrderType.STOP_MARKET, quantity,
            trigger_price=sl_trigger_price, time_in_force=sl_time_in_force,
            expire_time_ns=expiry(sl_time_in_force), reduce_only=True, tags=sl_tags,
            client_order_id=sl_id, contingency_type=contingency_type,
            order_list_id=list_id, linked_order_ids=(tp_id,), parent_order_id=entry_id,
        )  # fmt: skip
        take_profit = self._init(
            instrument_id, exit_side, OrderType.LIMIT, quantity,
            price=tp_price, time_in_force=tp_time_in_force,
            expire_time_ns=expiry(tp_time_in_force), post_only=tp_post_only,
            reduce_only=True, tags=tp_tags, client_order_id=tp_id,
            contingency_type=contingency_type, order_list_id=list_id,
            linked_order_ids=(sl_id,), parent_order_id=entry_id,
        )  # fmt: skip
        return OrderList(list_id, (entry, stop_loss, take_profit))

    # -- the one constructor --------------------------------------------------------------

    def _init(
        self,
        instrument_id: InstrumentId,
        side: OrderSide,
        order_type: OrderType,
        quantity: Quantity,
        *,
        price: Price | None = None,
        trigger_price: Price | None = None,
        time_in_force: TimeInForce = _GTC,
        expire_time_ns: int | None = None,
        post_only: bool = False,
        reduce_only: bool = False,
        tags: tuple[str, ...] = (),
        client_order_id: ClientOrderId | None = None,
        contingency_type: ContingencyType = ContingencyType.NO_CONTINGENCY,
        order_list_id: OrderListId | None = None,
        linked_order_ids: tuple[ClientOrderId, ...] = (),
        parent_order_id: ClientOrderId | None = None,
    ) -> OrderInitialized:
        # Refuse before an id is spent, so a failed call leaves no gap in the counter.
        _check_terms(order_type, time_in_force, expire_time_ns, post_only)
        if client_order_id is None:
            client_order_id = self.next_client_order_id()
        return OrderInitialized(
            trader_id=self.trader_id,
            strategy_id=self.strategy_id,
            instrument_id=instrument_id,
            client_order_id=client_order_id,
            ts_event=self._clock.timestamp_ns(),
            order_side=side,
            order_type=order_type,
            quantity=quantity,
            time_in_force=time_in_force,
            price=price,
            trigger_price=trigger_price,
            expire_time_ns=expire_time_ns,
            post_only=post_only,
            reduce_only=reduce_only,
            contingency_type=contingency_type,
            order_list_id=order_list_id,
            linked_order_ids=linked_order_ids,
            parent_order_id=parent_order_id,
            tags=tuple(tags),
        )


def _check_terms(
    order_type: OrderType,
    time_in_force: TimeInForce,
    expire_time_ns: int | None,
    post_only: bool,
) -> None:
    """The checks ``Order`` would make later, made here so the caller sees them at once."""
    if post_only and not order_type.has_price:
        raise InvalidValue(f"post_only needs a limit price; a {order_type.name} order has none")
    if time_in_force is TimeInForce.GTD:
        if order_type is OrderType.MARKET:
            raise InvalidValue("a MARKET order cannot be GTD")
        if expire_time_ns is None:
            raise InvalidValue(f"a GTD {order_type.name} order needs expire_time_ns")
    elif expire_time_ns is not None:
        raise InvalidValue(
            f"expire_time_ns is only for GTD orders, got time in force {time_in_force.name}"
        )


def _check_bracket_prices(
    side: OrderSide,
    sl_trigger_price: Price,
    tp_price: Price,
    entry_price: Price | None,
    entry_trigger_price: Price | None,
) -> None:
    """BUY: stop-loss < entry < take-profit; SELL: take-profit < entry < stop-loss."""
    sl = ("sl_trigger_price", sl_trigger_price)
    tp = ("tp_price", tp_price)
    (low_name, low), (high_name, high) = (sl, tp) if side is OrderSide.BUY else (tp, sl)
    if not low < high:
        raise InvalidValue(
            f"{side.name} bracket: {low_name} {low} must be below {high_name} {high}"
        )
    for name, value in (("entry_price", entry_price), ("entry_trigger_price", entry_trigger_price)):
        if value is not None and not low < value < high:
            raise InvalidValue(
                f"{side.name} bracket: {name} {value} must lie strictly between "
                f"{low_name} {low} and {high_name} {high}"
            )
