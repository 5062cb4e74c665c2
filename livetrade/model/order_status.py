"""The order status machine: ``(status, event type) -> status``, and nothing else.

Theory of operation
-------------------
Rule 1: every status transition an order can make is a row of ``TRANSITIONS``
below. ``Order.apply`` looks the pair up; a missing row raises
``InvalidOrderTransition`` naming the order, its status and the event, and the
order is left exactly as it was.

A row's target is either a status or one of three sentinels resolved by the
order, because the next status depends on the order's own data:

- ``FILL``: ``PARTIALLY_FILLED``, or ``FILLED`` once the filled quantity reaches
  the order quantity. A partial fill while a modify or cancel request is
  pending keeps the pending status (the request is still unanswered, so the
  in-flight checks keep watching it) and makes ``PARTIALLY_FILLED`` the status
  to return to if the venue refuses the request.
- ``LATE_FILL``: a fill that arrives after the venue said CANCELED or EXPIRED
  (the two messages crossed). The fill is real and is applied, but a terminal
  order never reopens: it stays in its status, or becomes ``FILLED`` if the
  fill completes it (a terminal-to-terminal move: the cancel could not really
  have happened).
- ``PREVIOUS``: back to the status the order had before its pending modify or
  cancel request (``ACCEPTED``, ``TRIGGERED`` or ``PARTIALLY_FILLED``).
- ``SAME``: the event is recorded, the status does not change (for example
  a cancel rejected because the order already filled).

Rows that exist for a real-world reason carry a comment saying which.
"""

from __future__ import annotations

from typing import Final

from livetrade.model.enums import OrderStatus
from livetrade.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderModifyRejected,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderRejected,
    OrderSubmitted,
    OrderTriggered,
    OrderUpdated,
)

__all__ = ["FILL", "LATE_FILL", "PREVIOUS", "SAME", "TRANSITIONS", "Target", "next_status"]


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


FILL: Final = _Sentinel("FILL")
LATE_FILL: Final = _Sentinel("LATE_FILL")
PREVIOUS: Final = _Sentinel("PREVIOUS")
SAME: Final = _Sentinel("SAME")

Target = OrderStatus | _Sentinel

S = OrderStatus

_ROWS: dict[OrderStatus, dict[type[OrderEvent], Target]] = {
    S.INITIALIZED: {
        OrderDenied: S.DENIED,
        OrderSubmitted: S.SUBMITTED,
        OrderRejected: S.REJECTED,
        # External orders and reconciliation start from INITIALIZED and go
        # straight to the venue's status without a submit of ours.
        OrderAccepted: S.ACCEPTED,
        OrderCanceled: S.CANCELED,
        OrderExpired: S.EXPIRED,
        OrderTriggered: S.TRIGGERED,
        OrderUpdated: SAME,  # terms changed before submission
    },
    S.SUBMITTED: {
        OrderAccepted: S.ACCEPTED,
        OrderRejected: S.REJECTED,
        OrderCanceled: S.CANCELED,  # IOC/FOK canceled without a separate ack
        OrderExpired: S.EXPIRED,
        OrderTriggered: S.TRIGGERED,
        OrderFilled: FILL,  # the fill message overtook the ack
        OrderPendingUpdate: S.PENDING_UPDATE,
        OrderPendingCancel: S.PENDING_CANCEL,
        OrderUpdated: SAME,
        OrderModifyRejected: SAME,
        OrderCancelRejected: SAME,
    },
    S.ACCEPTED: {
        OrderRejected: S.REJECTED,  # a stop-limit refused on trigger; not found at venue
        OrderCanceled: S.CANCELED,
        OrderExpired: S.EXPIRED,
        OrderTriggered: S.TRIGGERED,
        OrderPendingUpdate: S.PENDING_UPDATE,
        OrderPendingCancel: S.PENDING_CANCEL,
        OrderFilled: FILL,
        OrderUpdated: SAME,  # modified at the venue without a request of ours
        OrderModifyRejected: SAME,
        OrderCancelRejected: SAME,
    },
    S.TRIGGERED: {
        OrderRejected: S.REJECTED,
        OrderCanceled: S.CANCELED,
        OrderExpired: S.EXPIRED,
        OrderPendingUpdate: S.PENDING_UPDATE,
        OrderPendingCancel: S.PENDING_CANCEL,
        OrderFilled: FILL,
        OrderUpdated: SAME,
        OrderModifyRejected: SAME,
        OrderCancelRejected: SAME,
    },
    S.PENDING_UPDATE: {
        OrderRejected: S.REJECTED,
        OrderAccepted: PREVIOUS,  # some venues acknowledge a modify with a new ack
        OrderCanceled: S.CANCELED,
        OrderExpired: S.EXPIRED,
        OrderTriggered: S.TRIGGERED,
        OrderPendingUpdate: S.PENDING_UPDATE,  # several modify requests in flight
        OrderPendingCancel: S.PENDING_CANCEL,
        OrderFilled: FILL,
        OrderUpdated: PREVIOUS,
        OrderModifyRejected: PREVIOUS,
        OrderCancelRejected: SAME,
    },
    S.PENDING_CANCEL: {
        OrderRejected: S.REJECTED,
        OrderAccepted: PREVIOUS,  # the cancel failed and the venue re-confirmed the order
        OrderCanceled: S.CANCELED,
        OrderExpired: S.EXPIRED,
        OrderPendingCancel: S.PENDING_CANCEL,  # several cancel requests in flight
        OrderFilled: FILL,  # filled before the cancel reached the matching engine
        OrderUpdated: SAME,
        OrderModifyRejected: SAME,
        OrderCancelRejected: PREVIOUS,
    },
    S.PARTIALLY_FILLED: {
        OrderCanceled: S.CANCELED,
        OrderExpired: S.EXPIRED,
        OrderPendingUpdate: S.PENDING_UPDATE,
        OrderPendingCancel: S.PENDING_CANCEL,
        OrderFilled: FILL,
        OrderUpdated: SAME,
        OrderModifyRejected: SAME,
        OrderCancelRejected: SAME,
    },
    S.CANCELED: {
        OrderFilled: LATE_FILL,  # the fill and the cancel crossed on the wire
        OrderModifyRejected: SAME,
        OrderCancelRejected: SAME,
    },
    S.EXPIRED: {
        OrderFilled: LATE_FILL,  # the fill and the expiry crossed on the wire
        OrderModifyRejected: SAME,
        OrderCancelRejected: SAME,
    },
    S.FILLED: {
        OrderModifyRejected: SAME,
        OrderCancelRejected: SAME,  # cancel raced the last fill: the usual reply
    },
    S.REJECTED: {
        OrderModifyRejected: SAME,
        OrderCancelRejected: SAME,
    },
    S.DENIED: {},
}

TRANSITIONS: Final[dict[tuple[OrderStatus, type[OrderEvent]], Target]] = {
    (status, event_type): target
    for status, row in _ROWS.items()
    for event_type, target in row.items()
}
"""Every allowed ``(status, event type)`` pair and where it leads."""


def next_status(status: OrderStatus, event_type: type[OrderEvent]) -> Target | None:
    """The target for ``event_type`` in ``status``, or None if it is not allowed."""
    return TRANSITIONS.get((status, event_type))
