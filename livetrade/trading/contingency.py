"""Rules for strategy-managed contingent orders (``manage_contingent_orders``).

A strategy holds a bracket's exits (INITIALIZED, in the cache, never sent) until
the entry fills, then keeps the exit legs consistent itself. ``contingent_actions``
is the whole rule set as one pure function: given an order event the dispatcher
has just applied and a ``CacheView``, it returns what the strategy must do, as
values, in ``linked_order_ids`` order. It reads the orders' current state, so an
action is only a decision: the strategy re-checks an order's status when it acts,
since an earlier action may already have closed it.

The rules follow NautilusTrader's ``OrderManager``:

- OTO parent filled (partly or fully): release each held child with the quantity
  still to protect; resize a working child that protects another quantity.
- OTO parent closed with nothing filled: deny the held children (cancel any
  working one). With fills, the children stay: they protect the filled part.
- OCO leg filled, even partly: cancel the other legs (deny held ones).
- OUO leg partly filled: resize the other legs to this leg's leaves quantity;
  fully filled: cancel them.
- OCO/OUO leg canceled, expired, rejected or denied: cancel the other legs (deny
  held ones), unless this close is itself a consequence of the contingency
  (another leg already filled or closed, or the parent closed unfilled), whose
  own event already produced the actions.

Closed orders are never targeted, nor orders already pending a cancel.
"""

from __future__ import annotations

from typing import TypeAlias

import attrs

from livetrade.cache.view import CacheView
from livetrade.model.enums import ContingencyType, OrderStatus
from livetrade.model.events import (
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from livetrade.model.identifiers import ClientOrderId
from livetrade.model.orders import Order
from livetrade.model.quantities import Quantity

__all__ = [
    "CancelLinked",
    "ContingentAction",
    "DenyHeld",
    "ModifyQuantity",
    "SubmitChild",
    "contingent_actions",
]


@attrs.frozen
class SubmitChild:
    """Send a held child (INITIALIZED) now, with ``quantity``."""

    client_order_id: ClientOrderId
    quantity: Quantity


@attrs.frozen
class ModifyQuantity:
    """Change a linked order's quantity (a ``ModifyOrder``, or a local update if held)."""

    client_order_id: ClientOrderId
    quantity: Quantity


@attrs.frozen
class CancelLinked:
    """Cancel a working linked order (the strategy sends ``CancelOrder``)."""

    client_order_id: ClientOrderId
    reason: str


@attrs.frozen
class DenyHeld:
    """A held child that must never be sent: the strategy turns it into ``OrderDenied``."""

    client_order_id: ClientOrderId
    reason: str


ContingentAction: TypeAlias = SubmitChild | ModifyQuantity | CancelLinked | DenyHeld

_CLOSING_EVENTS = (OrderCanceled, OrderExpired, OrderRejected, OrderDenied)
_HELD = OrderStatus.INITIALIZED
_CANCELING = OrderStatus.PENDING_CANCEL


def contingent_actions(event: OrderEvent, cache: CacheView) -> list[ContingentAction]:
    """What the strategy must do after ``event`` (already applied to the cache)."""
    order = cache.order(event.client_order_id)
    if order is None or order.contingency_type is ContingencyType.NO_CONTINGENCY:
        return []
    others = _linked(order, cache)
    kind = order.contingency_type
    if isinstance(event, OrderFilled):
        if kind is ContingencyType.OTO:
            return _oto_filled(order, others, cache)
        partly = not order.leaves_qty.is_zero()
        if kind is ContingencyType.OUO and partly and not order.is_closed:
            return _ouo_resize(order, others)
        filled = "partially filled" if partly else "filled"
        return _stop_all(others, f"{kind.name} {order.client_order_id} {filled}")
    if not isinstance(event, _CLOSING_EVENTS) or not order.is_closed:
        return []
    what = f"{kind.name} {order.client_order_id} {order.status.name.lower()}"
    if kind is ContingencyType.OTO:
        if not order.filled_qty.is_zero():
            return []  # the children protect what was filled
        return _stop_all(others, f"{what} with no fill")
    if _caused_by_contingency(order, others, cache):
        return []
    return _stop_all(others, what)


def _linked(order: Order, cache: CacheView) -> list[Order]:
    """The linked orders held in the cache, once each, in ``linked_order_ids`` order."""
    seen = {order.client_order_id}
    found: list[Order] = []
    for client_order_id in order.linked_order_ids:
        if client_order_id in seen:
            continue
        seen.add(client_order_id)
        linked = cache.order(client_order_id)
        if linked is not None:
            found.append(linked)
    return found


def _can_act_on(order: Order) -> bool:
    return not order.is_closed and order.status is not _CANCELING


def _stop_all(others: list[Order], reason: str) -> list[ContingentAction]:
    """Deny the held orders and cancel the working ones."""
    actions: list[ContingentAction] = []
    for other in others:
        if not _can_act_on(other):
            continue
        if other.status is _HELD:
            actions.append(DenyHeld(other.client_order_id, reason))
        else:
            actions.append(CancelLinked(other.client_order_id, reason))
    return actions


def _oto_filled(parent: Order, children: list[Order], cache: CacheView) -> list[ContingentAction]:
    """Release held children and resize working ones to the quantity left to protect."""
    actions: list[ContingentAction] = []
    for child in children:
        if not _can_act_on(child):
            continue
        # What the child's exit group has already closed is no longer exposed.
        siblings = _linked(child, cache)
        exited = child.filled_qty.raw + sum(
            o.filled_qty.raw for o in siblings if o.parent_order_id == parent.client_order_id
        )
        remaining = parent.filled_qty.raw - exited
        if remaining <= 0:
            continue
        precision = max(parent.quantity.precision, child.quantity.precision)
        target = Quantity.from_raw(child.filled_qty.raw + remaining, precision)
        if child.status is _HELD:
            actions.append(SubmitChild(child.client_order_id, target))
        elif target != child.quantity:
            actions.append(ModifyQuantity(child.client_order_id, target))
    return actions


def _ouo_resize(order: Order, others: list[Order]) -> list[ContingentAction]:
    """Give every other leg the leaves quantity of ``order`` (which was partly filled)."""
    actions: list[ContingentAction] = []
    leaves = order.leaves_qty.raw
    for other in others:
        if not _can_act_on(other) or other.leaves_qty.raw == leaves:
            continue
        precision = max(order.quantity.precision, other.quantity.precision)
        target = Quantity.from_raw(other.filled_qty.raw + leaves, precision)
        actions.append(ModifyQuantity(other.client_order_id, target))
    return actions


def _caused_by_contingency(order: Order, others: list[Order], cache: CacheView) -> bool:
    """True if this leg closed because the contingency closed it (nothing more to do).

    That is when another leg already closed (its own event targeted every leg), an
    OCO leg has fills (its fill canceled this one), or the parent closed with no
    fill (its event denied every held child).
    """
    for other in others:
        if other.is_closed:
            return True
        if order.contingency_type is ContingencyType.OCO and not other.filled_qty.is_zero():
            return True
    if order.parent_order_id is not None:
        parent = cache.order(order.parent_order_id)
        if parent is not None and parent.is_closed and parent.filled_qty.is_zero():
            return True
    return False
