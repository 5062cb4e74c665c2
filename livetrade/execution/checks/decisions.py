"""The vocabulary of the checks: venue answers, decisions, and order marks.

A rule takes what the venue answered (``Answer``) and returns a ``Decision``:
what to do and the rule that fired, as one sentence for the log
("O-77 SUBMITTED with no venue response after 5 retries: resolved REJECTED").

``OrderMark`` is how the runtime tells a stale answer from a fresh one: it
marks the order before the venue is asked and compares afterwards. An order
that took an event in between has moved on, and the answer is not used.
"""

from __future__ import annotations

from enum import Enum, unique
from typing import Self, final

import attrs

from livetrade.execution.reconciliation.report import Severity
from livetrade.model.enums import OrderStatus
from livetrade.model.identifiers import ClientOrderId
from livetrade.model.orders import Order
from livetrade.model.reports import OrderStatusReport

__all__ = ["Action", "Answer", "AnswerKind", "Decision", "OrderMark", "Severity"]


@unique
class AnswerKind(Enum):
    """What one venue query established."""

    FOUND = "FOUND"  #: the venue returned the order
    NOT_FOUND = "NOT_FOUND"  #: the venue said, definitively, that it has no such order
    UNKNOWN = "UNKNOWN"  #: the query failed, timed out or was rate limited: nothing learnt


@final
@attrs.frozen
class Answer:
    """The venue's answer to a single-order query."""

    kind: AnswerKind
    report: OrderStatusReport | None = None
    #: why the answer is unknown (the error or the timeout), for the log
    reason: str = ""

    @classmethod
    def found(cls, report: OrderStatusReport) -> Self:
        return cls(AnswerKind.FOUND, report)

    @classmethod
    def not_found(cls) -> Self:
        return cls(AnswerKind.NOT_FOUND)

    @classmethod
    def unknown(cls, reason: str) -> Self:
        return cls(AnswerKind.UNKNOWN, reason=reason)

    @classmethod
    def of(cls, report: OrderStatusReport | None) -> Self:
        """A query that returned: ``None`` is the venue's definitive "not found"."""
        return cls.not_found() if report is None else cls.found(report)


@unique
class Action(Enum):
    """What a decision asks the runtime to do."""

    NONE = "NONE"  #: nothing (consistent, too recent, out of scope, ignored)
    WAIT = "WAIT"  #: nothing yet: ask again in a later cycle
    PROBE = "PROBE"  #: make the targeted single-order query
    RECONCILE = "RECONCILE"  #: bring the order to the venue's ``report``
    RESOLVE = "RESOLVE"  #: move the order to ``target`` without a venue report


@final
@attrs.frozen(kw_only=True)
class Decision:
    """One order, what to do about it, and the rule that fired."""

    client_order_id: ClientOrderId
    action: Action
    #: the rule that fired, as one sentence naming the order (for the log)
    rule: str
    severity: Severity = Severity.DEBUG
    #: the status a RESOLVE moves the order to
    target: OrderStatus | None = None
    #: the report a RECONCILE brings the order to
    report: OrderStatusReport | None = None

    @property
    def changes_state(self) -> bool:
        return self.action in (Action.RECONCILE, Action.RESOLVE)


@final
@attrs.frozen
class OrderMark:
    """An order's event count and last timestamp at one moment."""

    events: int
    ts_last: int

    @classmethod
    def of(cls, order: Order) -> Self:
        return cls(len(order.events), order.ts_last)

    def moved(self, order: Order | None) -> bool:
        """True if ``order`` took an event since the mark (or is gone from the cache)."""
        return order is None or len(order.events) != self.events or order.ts_last != self.ts_last
