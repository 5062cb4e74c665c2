"""Position events: what strategies hear when a fill opens, changes or closes a position.

Each event is an immutable snapshot taken right after the fill was applied, so a
strategy can keep it without seeing later changes. ``PositionOpened`` also covers a
reopen (a NETTING id that was flat) and the new leg of a flip is reported as
``PositionChanged`` with the new side.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from livetrade.model.enums import PositionSide
from livetrade.model.events import OrderFilled, new_event_id
from livetrade.model.identifiers import InstrumentId, PositionId, StrategyId, TraderId
from livetrade.model.money import Money
from livetrade.model.positions import Position
from livetrade.model.quantities import Quantity

__all__ = ["PositionChanged", "PositionClosed", "PositionEvent", "PositionOpened"]


@attrs.frozen(kw_only=True)
class PositionEvent:
    """Fields shared by every position event."""

    trader_id: TraderId
    strategy_id: StrategyId
    instrument_id: InstrumentId
    position_id: PositionId
    side: PositionSide
    signed_qty: Decimal
    quantity: Quantity
    realized_pnl: Money
    fill: OrderFilled
    ts_event: int
    event_id: str = attrs.field(factory=new_event_id)

    @classmethod
    def of(cls, position: Position, fill: OrderFilled) -> PositionEvent:
        """Snapshot ``position`` right after ``fill`` was applied to it."""
        return cls(
            trader_id=position.trader_id,
            strategy_id=position.strategy_id,
            instrument_id=position.instrument_id,
            position_id=position.id,
            side=position.side,
            signed_qty=position.signed_qty,
            quantity=position.quantity,
            realized_pnl=position.realized_pnl,
            fill=fill,
            ts_event=fill.ts_event,
        )


@attrs.frozen(kw_only=True)
class PositionOpened(PositionEvent):
    """A fill opened the position (or reopened a flat NETTING position)."""


@attrs.frozen(kw_only=True)
class PositionChanged(PositionEvent):
    """A fill increased, reduced or flipped the open position."""


@attrs.frozen(kw_only=True)
class PositionClosed(PositionEvent):
    """A fill brought the position to flat; ``realized_pnl`` is final for this leg."""
