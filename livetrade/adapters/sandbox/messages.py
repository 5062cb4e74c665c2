"""What the sandbox venue says back: wire-level messages, before they become node events.

``SandboxExchange`` answers every command and every market-data update with a
list of these records, in the order the venue produced them (an ``Accepted``
always comes before the first ``Filled`` of its order). The execution client
turns them into ``OrderAccepted``, ``OrderFilled`` ... with the trader and
strategy ids it knows from its cache; the venue itself knows nothing about
strategies.

``ts`` is the venue's time of the event in UNIX nanoseconds: the command's
``ts``, the quote's or trade's ``ts_event``, or for ``Expired`` the moment the
order's time in force ran out.
"""

from __future__ import annotations

from typing import final

import attrs

from livetrade.model.enums import LiquiditySide, OrderSide, OrderType
from livetrade.model.identifiers import ClientOrderId, InstrumentId, TradeId, VenueOrderId
from livetrade.model.money import Money
from livetrade.model.quantities import Price, Quantity

__all__ = [
    "Accepted",
    "AmendRejected",
    "Amended",
    "CancelRejected",
    "Canceled",
    "Expired",
    "Filled",
    "Rejected",
    "Triggered",
    "VenueMessage",
]


@attrs.frozen(kw_only=True, slots=True)
class VenueMessage:
    """Fields every venue message carries.

    ``venue_order_id`` is None only when the venue never accepted the order (a
    ``Rejected`` submit, or a cancel/modify of an order it does not know).
    """

    client_order_id: ClientOrderId
    venue_order_id: VenueOrderId | None
    instrument_id: InstrumentId
    ts: int


@final
@attrs.frozen(kw_only=True, slots=True)
class Accepted(VenueMessage):
    """The order is live at the venue under ``venue_order_id``."""


@final
@attrs.frozen(kw_only=True, slots=True)
class Rejected(VenueMessage):
    """The submit was refused; the order never existed at the venue."""

    reason: str
    due_post_only: bool = False


@final
@attrs.frozen(kw_only=True, slots=True)
class Filled(VenueMessage):
    """One execution of (part of) the order; the venue also keeps it as a fill record."""

    trade_id: TradeId
    order_side: OrderSide
    order_type: OrderType
    last_qty: Quantity
    last_px: Price
    commission: Money
    liquidity_side: LiquiditySide


@final
@attrs.frozen(kw_only=True, slots=True)
class Canceled(VenueMessage):
    """The order stopped working: on request (``reason`` empty) or by a venue rule."""

    reason: str = ""


@final
@attrs.frozen(kw_only=True, slots=True)
class Expired(VenueMessage):
    """A GTD or DAY order reached its expiry time."""


@final
@attrs.frozen(kw_only=True, slots=True)
class Triggered(VenueMessage):
    """A stop order's trigger price was reached; it now works as a market or limit order."""


@final
@attrs.frozen(kw_only=True, slots=True)
class Amended(VenueMessage):
    """A modify took effect; these are the order's terms from now on."""

    quantity: Quantity
    price: Price | None
    trigger_price: Price | None


@final
@attrs.frozen(kw_only=True, slots=True)
class AmendRejected(VenueMessage):
    """A modify was refused; the order keeps its previous terms."""

    reason: str


@final
@attrs.frozen(kw_only=True, slots=True)
class CancelRejected(VenueMessage):
    """A cancel was refused (the order is unknown or no longer working)."""

    reason: str
