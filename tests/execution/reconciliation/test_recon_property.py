"""Property: whatever prefix of the venue's history the cache knows, reconciliation
brings every order and every net position to the venue's state, applies each
trade once, and a second run generates nothing."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import attrs
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from recon_support import (
    ETH,
    IID,
    Harness,
    fill_report,
    mass_status,
    order_report,
    position_report,
)

from livetrade.model import (
    ClientOrderId,
    ExecutionMassStatus,
    InstrumentId,
    OmsType,
    OrderSide,
    OrderStatus,
    PositionSide,
)
from livetrade.testing.builders import OrderEvents

S = OrderStatus
LOT = Fraction(1, 2)  # quantities are multiples of 0.5


@attrs.frozen
class VenueOrder:
    """One order as the venue saw it, and how much of it the cache knows."""

    coid: str
    instrument_id: InstrumentId
    side: OrderSide
    lots: int
    fills: tuple[tuple[int, int], ...]  # (lots, price in cents)
    final: OrderStatus
    known_steps: int  # 0: not cached; then init, submitted, accepted, fills..., terminal
    pending_cancel: bool
    report_has_coid: bool
    reported_fills: tuple[bool, ...]
    duplicated_fills: tuple[bool, ...]

    @property
    def venue_order_id(self) -> str:
        return f"V-{self.coid}"

    @property
    def filled_lots(self) -> int:
        return sum(lots for lots, _ in self.fills)

    def history(self) -> list[str]:
        steps = ["init", "submitted"]
        if self.final is S.REJECTED:
            return [*steps, "rejected"]
        steps.append("accepted")
        steps += [f"fill{i}" for i in range(len(self.fills))]
        if self.final in (S.CANCELED, S.EXPIRED):
            steps.append(self.final.name.lower())
        return steps

    @property
    def cached_coid(self) -> str:
        """The client order id the order has in the cache after reconciliation."""
        if self.known_steps == 0 and not self.report_has_coid:
            return self.venue_order_id  # created as an external order
        return self.coid


def _q3(lots: int) -> str:
    return f"{Decimal(lots) / 2:.3f}"


def _px(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


@st.composite
def venue_orders(draw: st.DrawFn, index: int) -> VenueOrder:
    lots = draw(st.integers(1, 6))
    n_fills = draw(st.integers(0, 3))
    fills: list[tuple[int, int]] = []
    left = lots
    for _ in range(n_fills):
        if left == 0:
            break
        take = draw(st.integers(1, left))
        fills.append((take, draw(st.integers(9_000, 11_000))))
        left -= take
    filled = lots - left
    if filled == lots:
        final = S.FILLED
    elif filled:
        final = draw(st.sampled_from([S.PARTIALLY_FILLED, S.CANCELED, S.EXPIRED]))
    else:
        final = draw(st.sampled_from([S.ACCEPTED, S.CANCELED, S.REJECTED]))
    order = VenueOrder(
        coid=f"O-{index}",
        instrument_id=draw(st.sampled_from([IID, ETH])),
        side=draw(st.sampled_from(OrderSide)),
        lots=lots,
        fills=tuple(fills),
        final=final,
        known_steps=0,
        pending_cancel=draw(st.booleans()),
        report_has_coid=True,
        reported_fills=tuple(draw(st.booleans()) or draw(st.booleans()) for _ in fills),
        duplicated_fills=tuple(draw(st.booleans()) and draw(st.booleans()) for _ in fills),
    )
    known = draw(st.integers(0, len(order.history())))
    # A report without a client order id can only be matched through the venue order id,
    # which the cache learns when it sees the order accepted (or the order is new to it).
    accepted_known = known >= 3 and final is not S.REJECTED
    has_coid = draw(st.booleans()) or not (known == 0 or accepted_known)
    return attrs.evolve(order, known_steps=known, report_has_coid=has_coid)


def _build_cache(h: Harness, order: VenueOrder) -> None:
    if order.known_steps == 0:
        return
    ev: OrderEvents = h.order(
        order.coid,
        side=order.side,
        quantity=_q3(order.lots),
        instrument_id=order.instrument_id,
    )
    for step in order.history()[1 : order.known_steps]:
        if step.startswith("fill"):
            lots, cents = order.fills[int(step[4:])]
            event = ev.filled(_q3(lots), _px(cents), trade_id=f"T-{order.coid}-{step[4:]}")
        else:
            event = getattr(ev, step)()
        h.apply(event)
    if order.pending_cancel and ev.order.status in (S.ACCEPTED, S.PARTIALLY_FILLED):
        h.apply(ev.pending_cancel())


def _avg_px(order: VenueOrder) -> str | None:
    if not order.fills:
        return None
    notional = sum(Fraction(lots) * cents for lots, cents in order.fills)
    return f"{Decimal(notional.numerator) / Decimal(notional.denominator) / order.filled_lots / 100:.4f}"


def _mass(
    orders: list[VenueOrder], offsets: dict[InstrumentId, int], with_avg: bool
) -> ExecutionMassStatus:
    reports, fills = [], []
    net: dict[InstrumentId, int] = dict.fromkeys((IID, ETH), 0)
    for order in orders:
        coid = order.coid if order.report_has_coid else None
        reports.append(
            order_report(
                order.venue_order_id,
                coid=coid,
                status=order.final,
                side=order.side,
                quantity=_q3(order.lots),
                filled=_q3(order.filled_lots),
                avg_px=_avg_px(order),
                instrument_id=order.instrument_id,
                ts_accepted=0 if order.final is S.REJECTED else 10,
            )
        )
        for i, (lots, cents) in enumerate(order.fills):
            net[order.instrument_id] += order.side.sign * lots
            if not order.reported_fills[i]:
                continue
            report = fill_report(
                f"T-{order.coid}-{i}",
                order.venue_order_id,
                coid=coid,
                qty=_q3(lots),
                px=_px(cents),
                side=order.side,
                instrument_id=order.instrument_id,
                ts=11 + i,
            )
            fills.append(report)
            if order.duplicated_fills[i]:
                fills.append(attrs.evolve(report, report_id=report.report_id + "-again"))
    positions = []
    for instrument_id, lots in net.items():
        total = lots + offsets[instrument_id]
        side = (
            PositionSide.LONG
            if total > 0
            else PositionSide.SHORT
            if total < 0
            else PositionSide.FLAT
        )
        avg = "100.00" if with_avg and total else None
        positions.append(position_report(side, _q3(abs(total)), avg, instrument_id=instrument_id))
    return mass_status(reports, fills, positions)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    orders=st.integers(0, 6).flatmap(
        lambda n: st.tuples(*(venue_orders(i) for i in range(n))).map(list)
    ),
    offsets=st.fixed_dictionaries({IID: st.integers(-3, 3), ETH: st.integers(-3, 3)}),
    with_avg=st.booleans(),
    oms_type=st.sampled_from([OmsType.NETTING, OmsType.HEDGING]),
)
def test_reconciliation_reaches_the_venue_state_once(
    orders: list[VenueOrder], offsets: dict[InstrumentId, int], with_avg: bool, oms_type: OmsType
) -> None:
    h = Harness(oms_type=oms_type)
    h.quote("99.99", "100.01", IID)
    h.quote("99.99", "100.01", ETH)
    for order in orders:
        _build_cache(h, order)
    mass = _mass(orders, offsets, with_avg)

    result = h.reconcile_and_apply(mass)  # asserts the engine refused nothing
    for entry in result.report.orders:
        for label in set(entry.events):
            event(label)
        event(f"order {entry.action.name}")
    for position in result.report.positions:
        event(f"position {position.action.name} {position.price_source}")

    for order in orders:
        cached = h.cache.order(ClientOrderId(order.cached_coid))
        assert cached is not None, order
        assert cached.status is order.final, (
            order,
            cached,
            result.report.order(cached.client_order_id),
        )
        assert cached.filled_qty.as_fraction() == order.filled_lots * LOT, order
        trade_ids = [e.trade_id for e in cached.events if hasattr(e, "trade_id")]
        assert len(trade_ids) == len(set(trade_ids))
    for instrument_id, reports in mass.position_reports.items():
        assert h.cache.net_position_raw(instrument_id) == sum(
            -r.quantity.raw if r.position_side is PositionSide.SHORT else r.quantity.raw
            for r in reports
        ), result.report.position(instrument_id)
    assert "duplicate fill" not in h.engine.refused

    again = h.reconcile(mass)
    assert again.is_empty, [e for e in again.report.orders if e.events]
