"""Prices for fills that reconciliation has to make up from averages.

Two places need one:

- an *inferred* fill (the venue's filled quantity is above the fills it
  reported) is priced so the order's average fill price becomes the venue's
  ``avg_px``;
- an *INTERNAL-DIFF* fill (the venue's net position differs from the cache's)
  is priced by the guide's hierarchy: the price that makes the net average
  equal the venue's ``avg_px_open``, else the quote mid, else the current net
  average. With none of them there is no price, and none is made up.

"Net average" is that of the instrument's *net book*: the cache's open
positions combined (signed quantities, cost = quantity x average), then the
new fills applied with the netting rules (an increase moves the average, a
reduction keeps it, a flip restarts it at the fill price).
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from livetrade.model.positions import Position
from livetrade.model.quantities import FIXED_PRECISION, FIXED_SCALAR, Price, round_div

__all__ = ["NetBook", "position_price", "price_at", "reconciliation_price"]


def price_at(value: Fraction, precision: int) -> Price:
    """``value`` (in price units) rounded half-even to ``precision`` decimals."""
    step = 10 ** (FIXED_PRECISION - precision)
    scaled = value * FIXED_SCALAR
    raw = round_div(scaled.numerator, scaled.denominator * step) * step
    return Price.from_raw(raw, precision)


def _sign(value: int | Fraction) -> int:
    return (value > 0) - (value < 0)


class NetBook:
    """An instrument's signed net quantity and cost, in raw units (exact, mostly integers).

    ``cost`` is ``sum(signed raw qty x raw price)`` of what is open; it stays an
    ``int`` except after a reduction that does not divide evenly.
    """

    __slots__ = ("cost", "qty")

    def __init__(self, qty: int = 0, cost: int | Fraction = 0) -> None:
        self.qty = qty
        self.cost: int | Fraction = cost if qty else 0

    @classmethod
    def of(cls, positions: Iterable[Position]) -> NetBook:
        """The open positions combined: ``avg = sum(q * avg) / sum(q)``."""
        qty = 0
        cost: int | Fraction = 0
        for position in positions:
            q = position.signed_qty_raw
            qty += q
            cost += q * position.avg_px_open * FIXED_SCALAR
        if isinstance(cost, Fraction) and cost.denominator == 1:
            cost = cost.numerator
        return cls(qty, cost)

    @property
    def avg(self) -> Fraction | None:
        """The average price of what is open (price units), None when flat."""
        if not self.qty:
            return None
        return Fraction(self.cost) / (self.qty * FIXED_SCALAR)

    def add(self, signed_raw: int, px_raw: int) -> None:
        """Apply a fill of ``signed_raw`` (positive buys) at raw price ``px_raw``, netting."""
        qty = self.qty
        new_qty = qty + signed_raw
        if qty == 0 or (qty > 0) == (signed_raw > 0):
            self.cost += signed_raw * px_raw  # open or increase: the average moves
        elif new_qty == 0:
            self.cost = 0
        elif (new_qty > 0) != (qty > 0):
            self.cost = new_qty * px_raw  # flipped: the new leg opened at the fill price
        else:  # reduced: the average stays, the cost shrinks with the quantity
            cost = self.cost
            if isinstance(cost, int):
                whole, rest = divmod(cost * new_qty, qty)
                self.cost = whole if rest == 0 else Fraction(cost * new_qty, qty)
            else:
                self.cost = cost * new_qty / qty
        self.qty = new_qty


def reconciliation_price(
    current_qty: int, current_avg: Fraction | None, target_qty: int, target_avg: Fraction | None
) -> Fraction | None:
    """The fill price that takes the net book from ``current`` to ``target`` average.

    - opening from flat, or flipping: the new leg's average is the fill price,
      so it is ``target_avg``;
    - increasing on the same side: solves ``(current*avg + diff*p) / target == target_avg``;
    - reducing or closing: the average of what stays open does not depend on the
      reducing fill's price, so there is no such price (None).

    None also when ``target_avg`` is unknown or the solution is not positive.
    """
    diff = target_qty - current_qty
    if diff == 0 or target_avg is None or target_qty == 0:
        return None
    if current_qty == 0 or _sign(current_qty) != _sign(target_qty):
        return target_avg if target_avg > 0 else None
    if abs(target_qty) < abs(current_qty) or current_avg is None:
        return None
    price = (target_qty * target_avg - current_qty * current_avg) / diff
    return price if price > 0 else None


def position_price(
    *,
    calculated: Fraction | None,
    mid: Fraction | None,
    current_avg: Fraction | None,
    precision: int,
) -> tuple[Price, str] | None:
    """The first usable price of the hierarchy, rounded to ``precision``, and its source.

    The source is ``"CALCULATED"``, ``"MID"`` or ``"POSITION_AVERAGE"``. A
    candidate that rounds to zero or below is skipped. None when no level has
    a price: the caller must not invent one.
    """
    for value, source in (
        (calculated, "CALCULATED"),
        (mid, "MID"),
        (current_avg, "POSITION_AVERAGE"),
    ):
        if value is None:
            continue
        price = price_at(value, precision)
        if price.raw > 0:
            return price, source
    return None
