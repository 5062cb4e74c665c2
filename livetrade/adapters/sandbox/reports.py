"""Venue reports built from the sandbox venue's own records.

Average prices are kept exact (``Fraction``) by the venue; a report carries them
as a ``Decimal`` at the instrument's price precision when that is exact, else
rounded half-even to 9 decimals (the model's fixed precision).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from livetrade.adapters.sandbox.accounts import VenuePosition
from livetrade.adapters.sandbox.matching import SandboxOrder
from livetrade.adapters.sandbox.messages import Filled
from livetrade.model.enums import PositionSide
from livetrade.model.identifiers import AccountId
from livetrade.model.instruments import Instrument
from livetrade.model.quantities import FIXED_PRECISION, FIXED_SCALAR, Quantity, round_div
from livetrade.model.reports import FillReport, OrderStatusReport, PositionStatusReport

__all__ = ["fill_report", "order_report", "position_report", "price_decimal"]


def price_decimal(value: Fraction, precision: int) -> Decimal:
    """An exact price as a Decimal: at ``precision`` decimals if exact there, else 9 (half-even)."""
    raw = round_div(value.numerator * FIXED_SCALAR, value.denominator)
    step = 10 ** (FIXED_PRECISION - precision)
    shown = precision if raw % step == 0 and Fraction(raw, FIXED_SCALAR) == value else 9
    return Decimal(raw).scaleb(-FIXED_PRECISION).quantize(Decimal(1).scaleb(-shown))


def order_report(
    order: SandboxOrder, instrument: Instrument, account_id: AccountId, ts: int
) -> OrderStatusReport:
    """The venue's view of ``order`` at ``ts`` (the report's ``ts_init``)."""
    avg = order.avg_px
    return OrderStatusReport(
        account_id=account_id,
        instrument_id=order.instrument_id,
        venue_order_id=order.venue_order_id,
        client_order_id=order.client_order_id,
        order_side=order.side,
        order_type=order.order_type,
        time_in_force=order.time_in_force,
        order_status=order.status,
        quantity=order.quantity,
        filled_qty=order.filled_qty,
        avg_px=None if avg is None else price_decimal(avg, instrument.price_precision),
        price=order.price,
        trigger_price=order.trigger_price,
        expire_time_ns=order.expire_time_ns,
        post_only=order.post_only,
        reduce_only=order.reduce_only,
        cancel_reason=order.cancel_reason,
        ts_accepted=order.ts_accepted,
        ts_last=order.ts_last,
        ts_init=ts,
    )


def fill_report(fill: Filled, account_id: AccountId, ts: int) -> FillReport:
    """The report of one venue fill."""
    assert fill.venue_order_id is not None
    return FillReport(
        account_id=account_id,
        instrument_id=fill.instrument_id,
        venue_order_id=fill.venue_order_id,
        client_order_id=fill.client_order_id,
        trade_id=fill.trade_id,
        order_side=fill.order_side,
        last_qty=fill.last_qty,
        last_px=fill.last_px,
        commission=fill.commission,
        liquidity_side=fill.liquidity_side,
        ts_event=fill.ts,
        ts_init=ts,
    )


def position_report(
    position: VenuePosition, instrument: Instrument, account_id: AccountId, ts: int
) -> PositionStatusReport:
    """The venue's net position in one instrument (FLAT, zero quantity, once closed)."""
    signed = position.signed_raw
    side = (
        PositionSide.FLAT
        if signed == 0
        else PositionSide.LONG
        if signed > 0
        else PositionSide.SHORT
    )
    return PositionStatusReport(
        account_id=account_id,
        instrument_id=position.instrument_id,
        position_side=side,
        quantity=Quantity.from_raw(abs(signed), instrument.size_precision),
        avg_px_open=(
            None if signed == 0 else price_decimal(position.avg_px_open, instrument.price_precision)
        ),
        ts_last=position.ts_last,
        ts_init=ts,
    )
