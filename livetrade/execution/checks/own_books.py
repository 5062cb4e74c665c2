"""Own-books audit: the node's resting orders against the venue's public book.

An *own book* is built from the cache's open orders that rest at a price
(LIMIT orders, and STOP_LIMIT orders once triggered) in ACCEPTED, TRIGGERED or
PARTIALLY_FILLED, grouped by side and price, with the leaves quantity.
Orders with a modify or cancel in flight are left out (their price or their
presence is about to change), and so are orders whose last event is younger
than the threshold or newer than the public data (the public view predates
them).

Inconsistencies, each naming the orders involved:

- **crossed**: an own BUY at or above the best ask (or SELL at or below the best
  bid) would have traded: a fill or a cancel was probably missed;
- **oversized**: at a price the public data shows (any level of an L2 book
  within its visible range; the best level of a quote), the public size is
  smaller than the own leaves quantity there: the venue cannot be resting
  that much of ours.

The public side comes from the instrument's order book when it has levels,
else from its latest quote.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, final

import attrs

from livetrade.model.book import BookLevel, OrderBook
from livetrade.model.data import QuoteTick
from livetrade.model.enums import OrderSide, OrderStatus
from livetrade.model.identifiers import ClientOrderId, InstrumentId
from livetrade.model.orders import Order
from livetrade.model.quantities import Price, Quantity

__all__ = ["BookInconsistency", "OwnLevel", "audit_own_book", "own_levels"]

_RESTING: Final = frozenset(
    {OrderStatus.ACCEPTED, OrderStatus.TRIGGERED, OrderStatus.PARTIALLY_FILLED}
)


@final
@attrs.frozen(kw_only=True)
class OwnLevel:
    """The node's resting quantity at one price on one side."""

    side: OrderSide
    price: Price
    quantity: Quantity
    orders: tuple[ClientOrderId, ...]


@final
@attrs.frozen(kw_only=True)
class BookInconsistency:
    """One own level the public book contradicts."""

    instrument_id: InstrumentId
    level: OwnLevel
    #: ``crossed`` or ``oversized``
    kind: str
    #: what the public data shows, e.g. ``best ask 100.00`` or ``public size 0.500``
    public: str

    def describe(self) -> str:
        level = self.level
        orders = ", ".join(str(coid) for coid in level.orders)
        return (
            f"own book {self.instrument_id}: {level.side.name} {level.quantity} @ {level.price} "
            f"({orders}) {self.kind}: {self.public}"
        )


def _rests(order: Order) -> bool:
    if order.status not in _RESTING or order.price is None:
        return False
    # A stop-limit rests only once triggered.
    return not order.order_type.has_trigger_price or order.status is OrderStatus.TRIGGERED


def own_levels(orders: Iterable[Order]) -> dict[OrderSide, list[OwnLevel]]:
    """Resting orders grouped by side and price, best price first."""
    grouped: dict[tuple[OrderSide, int], tuple[Price, int, list[ClientOrderId]]] = {}
    precision: dict[tuple[OrderSide, int], int] = {}
    for order in orders:
        if not _rests(order):
            continue
        price = order.price
        assert price is not None
        key = (order.side, price.raw)
        _, raw, ids = grouped.get(key, (price, 0, []))
        ids.append(order.client_order_id)
        grouped[key] = (price, raw + order.leaves_qty.raw, ids)
        precision[key] = max(precision.get(key, 0), order.quantity.precision)
    levels: dict[OrderSide, list[OwnLevel]] = {OrderSide.BUY: [], OrderSide.SELL: []}
    for key, (price, raw, ids) in grouped.items():
        levels[key[0]].append(
            OwnLevel(
                side=key[0],
                price=price,
                quantity=Quantity.from_raw(raw, precision[key]),
                orders=tuple(ids),
            )
        )
    levels[OrderSide.BUY].sort(key=lambda level: -level.price.raw)
    levels[OrderSide.SELL].sort(key=lambda level: level.price.raw)
    return levels


def _public(
    book: OrderBook | None, quote: QuoteTick | None
) -> tuple[list[BookLevel], list[BookLevel], int, str] | None:
    """(bids, asks, timestamp, source) from the book when it has levels, else the quote."""
    if book is not None:
        bids, asks = book.bids(), book.asks()
        if bids or asks:
            return bids, asks, book.ts_last, "book"
    if quote is not None:
        return (
            [(quote.bid_price, quote.bid_size)],
            [(quote.ask_price, quote.ask_size)],
            quote.ts_event,
            "quote",
        )
    return None


def _oversized(level: OwnLevel, public: list[BookLevel], source: str) -> tuple[str, str] | None:
    if not public:
        return None
    sizes = {price.raw: size for price, size in public}
    best, worst = public[0][0].raw, public[-1][0].raw
    low, high = min(best, worst), max(best, worst)
    if not low <= level.price.raw <= high:
        return None  # beyond what the public data shows
    if source == "quote" and level.price.raw != best:
        return None
    size = sizes.get(level.price.raw)
    shown = Quantity.from_raw(0, level.quantity.precision) if size is None else size
    if shown.raw >= level.quantity.raw:
        return None
    return "oversized", f"public size {shown} at that price ({source})"


def audit_own_book(
    instrument_id: InstrumentId,
    orders: Iterable[Order],
    *,
    book: OrderBook | None,
    quote: QuoteTick | None,
    now_ns: int,
    threshold_ns: int,
) -> list[BookInconsistency]:
    """Every own level of ``instrument_id`` the public book or quote contradicts."""
    public = _public(book, quote)
    if public is None:
        return []
    bids, asks, ts_public, source = public
    settled = [o for o in orders if now_ns - o.ts_last >= threshold_ns and o.ts_last < ts_public]
    found: list[BookInconsistency] = []
    for side, levels in own_levels(settled).items():
        same, other = (bids, asks) if side is OrderSide.BUY else (asks, bids)
        for level in levels:
            problem: tuple[str, str] | None = None
            if other:
                best_other = other[0][0]
                crossed = (
                    level.price.raw >= best_other.raw
                    if side is OrderSide.BUY
                    else level.price.raw <= best_other.raw
                )
                if crossed:
                    name = "ask" if side is OrderSide.BUY else "bid"
                    problem = ("crossed", f"the venue's best {name} is {best_other} ({source})")
            if problem is None:
                problem = _oversized(level, same, source)
            if problem is not None:
                found.append(
                    BookInconsistency(
                        instrument_id=instrument_id,
                        level=level,
                        kind=problem[0],
                        public=problem[1],
                    )
                )
    return found
