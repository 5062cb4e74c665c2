"""Positions: every transition with exact prices and PnL, ids, errors, and the PnL identity."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livetrade.errors import (
    InvalidValue,
    PositionDuplicateFill,
    PositionError,
    PositionFillMismatch,
)
from livetrade.model.enums import LiquiditySide, OmsType, OrderSide, OrderType, PositionSide
from livetrade.model.events import OrderFilled
from livetrade.model.identifiers import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    PositionId,
    StrategyId,
    Symbol,
    TradeId,
    TraderId,
    VenueOrderId,
)
from livetrade.model.instruments import CryptoPerpetual
from livetrade.model.money import Currency, Money
from livetrade.model.positions import Position, position_id_for
from livetrade.model.quantities import Price, Quantity

USDT = Currency.from_str("USDT")
BNB = Currency.from_str("BNB")
ETH = Currency.from_str("ETH")
BUY, SELL = OrderSide.BUY, OrderSide.SELL
PID = PositionId("ETHUSDT-PERP.BINANCE-S-001")


def make_perp(multiplier: str = "1") -> CryptoPerpetual:
    return CryptoPerpetual(
        instrument_id=InstrumentId("ETHUSDT-PERP.BINANCE"),
        raw_symbol=Symbol("ETHUSDT"),
        base_currency=ETH,
        quote_currency=USDT,
        price_precision=2,
        size_precision=3,
        price_increment=Price("0.01"),
        size_increment=Quantity("0.001"),
        multiplier=Quantity(multiplier),
    )


PERP = make_perp()


def make_fill(
    side: OrderSide,
    qty: str,
    px: str,
    *,
    trade_id: str = "T-1",
    order_id: str = "O-1",
    commission: str = "0",
    commission_currency: Currency = USDT,
    ts: int = 1,
    instrument_id: str = "ETHUSDT-PERP.BINANCE",
    account_id: str = "BINANCE-001",
    position_id: PositionId | None = None,
) -> OrderFilled:
    return OrderFilled(
        trader_id=TraderId("TRADER-001"),
        strategy_id=StrategyId("S-001"),
        instrument_id=InstrumentId(instrument_id),
        client_order_id=ClientOrderId(order_id),
        ts_event=ts,
        account_id=AccountId(account_id),
        venue_order_id=VenueOrderId(f"V-{order_id}"),
        trade_id=TradeId(trade_id),
        order_side=side,
        order_type=OrderType.MARKET,
        last_qty=Quantity(qty),
        last_px=Price(px),
        currency=USDT,
        commission=Money(commission, commission_currency),
        liquidity_side=LiquiditySide.TAKER,
        position_id=position_id,
    )


def run(
    steps: list[tuple[OrderSide, str, str, str]], instrument: CryptoPerpetual = PERP
) -> Position:
    """Open a position from ``(side, qty, px, commission)`` steps; fill i is order O-i at ts i."""
    fills = [
        make_fill(side, qty, px, trade_id=f"T-{i}", order_id=f"O-{i}", commission=comm, ts=i * 10)
        for i, (side, qty, px, comm) in enumerate(steps, start=1)
    ]
    position = Position.open(instrument, fills[0], PID)
    for fill in fills[1:]:
        position.apply(fill)
    return position


def _is_flat_after(steps: list[tuple[OrderSide, str, str, str]]) -> bool:
    signed = sum(Decimal(qty) * (1 if side is BUY else -1) for side, qty, _, _ in steps)
    return signed == 0


def state(position: Position) -> dict[str, Any]:
    """Everything observable, to assert a refused fill changed nothing."""
    return {
        "side": position.side,
        "signed": position.signed_qty_raw,
        "avg_open": position.avg_px_open,
        "avg_close": position.avg_px_close,
        "realized": position.realized_pnl_exact,
        "commissions": position.commissions,
        "events": list(position.events),
        "ts_last": position.ts_last,
        "peak": position.peak_qty,
    }


SCENARIOS = [
    # (steps, side, signed qty, avg open, avg close, realized exact, opening, closing order)
    pytest.param(
        [(BUY, "1", "100", "0.1")],
        PositionSide.LONG,
        "1.000",
        Fraction(100),
        None,
        Fraction(-1, 10),
        "O-1",
        None,
        id="open-long",
    ),
    pytest.param(
        [(SELL, "2", "100", "0")],
        PositionSide.SHORT,
        "-2.000",
        Fraction(100),
        None,
        Fraction(0),
        "O-1",
        None,
        id="open-short",
    ),
    pytest.param(
        [(BUY, "1", "100", "0"), (BUY, "2", "103", "0")],
        PositionSide.LONG,
        "3.000",
        Fraction(102),
        None,
        Fraction(0),
        "O-1",
        None,
        id="increase-long",
    ),
    pytest.param(
        [(BUY, "1", "100", "0"), (BUY, "2", "101", "0")],
        PositionSide.LONG,
        "3.000",
        Fraction(302, 3),
        None,
        Fraction(0),
        "O-1",
        None,
        id="increase-long-repeating-average",
    ),
    pytest.param(
        [(SELL, "1", "100", "0"), (SELL, "1", "100.01", "0")],
        PositionSide.SHORT,
        "-2.000",
        Fraction(20001, 200),
        None,
        Fraction(0),
        "O-1",
        None,
        id="increase-short",
    ),
    pytest.param(
        [(BUY, "3", "100", "0"), (SELL, "1", "110", "0.05")],
        PositionSide.LONG,
        "2.000",
        Fraction(100),
        Fraction(110),
        Fraction(995, 100),
        "O-1",
        None,
        id="reduce-long",
    ),
    pytest.param(
        [(BUY, "1", "100", "0"), (BUY, "2", "101", "0"), (SELL, "1", "102", "0")],
        PositionSide.LONG,
        "2.000",
        Fraction(302, 3),
        Fraction(102),
        Fraction(4, 3),
        "O-1",
        None,
        id="reduce-long-at-fractional-average",
    ),
    pytest.param(
        [(SELL, "3", "100", "0"), (BUY, "1", "110", "0")],
        PositionSide.SHORT,
        "-2.000",
        Fraction(100),
        Fraction(110),
        Fraction(-10),
        "O-1",
        None,
        id="reduce-short",
    ),
    pytest.param(
        [(BUY, "2", "100", "0.2"), (SELL, "2", "90", "0.18")],
        PositionSide.FLAT,
        "0.000",
        Fraction(100),
        Fraction(90),
        Fraction(-2038, 100),
        "O-1",
        "O-2",
        id="close-long",
    ),
    pytest.param(
        [(SELL, "2", "100", "0"), (BUY, "1", "90", "0"), (BUY, "1", "80", "0")],
        PositionSide.FLAT,
        "0.000",
        Fraction(100),
        Fraction(85),
        Fraction(30),
        "O-1",
        "O-3",
        id="close-short-in-two-fills",
    ),
    pytest.param(
        [(BUY, "1", "100", "0.1"), (SELL, "3", "110", "0.3")],
        PositionSide.SHORT,
        "-2.000",
        Fraction(110),
        None,
        Fraction(96, 10),
        "O-2",
        None,
        id="flip-long-to-short",
    ),
    pytest.param(
        [(SELL, "2", "100", "0"), (BUY, "5", "90", "0.5")],
        PositionSide.LONG,
        "3.000",
        Fraction(90),
        None,
        Fraction(195, 10),
        "O-2",
        None,
        id="flip-short-to-long",
    ),
    pytest.param(
        [(BUY, "1", "100", "0"), (BUY, "2", "101", "0"), (SELL, "4", "99", "0")],
        PositionSide.SHORT,
        "-1.000",
        Fraction(99),
        None,
        Fraction(-5),
        "O-3",
        None,
        id="flip-from-fractional-average",
    ),
    pytest.param(
        [(BUY, "1", "100", "0"), (SELL, "1", "110", "0"), (BUY, "1", "120", "0")],
        PositionSide.LONG,
        "1.000",
        Fraction(120),
        None,
        Fraction(10),
        "O-3",
        None,
        id="reopen-after-close-keeps-realized",
    ),
]


@pytest.mark.parametrize(
    ("steps", "side", "signed", "avg_open", "avg_close", "realized", "opening", "closing"),
    SCENARIOS,
)
def test_transitions(
    steps: list[tuple[OrderSide, str, str, str]],
    side: PositionSide,
    signed: str,
    avg_open: Fraction,
    avg_close: Fraction | None,
    realized: Fraction,
    opening: str,
    closing: str | None,
) -> None:
    """Each fill sequence ends with exactly the expected quantity, prices and PnL."""
    position = run(steps)
    assert position.side is side
    assert position.signed_qty == Decimal(signed)
    assert position.quantity == Quantity(signed.lstrip("-"))
    assert position.avg_px_open == avg_open
    assert position.avg_px_close == avg_close
    assert position.realized_pnl_exact == realized
    assert position.realized_pnl == Money.from_fraction(realized, USDT)
    assert position.opening_order_id == ClientOrderId(opening)
    assert position.closing_order_id == (None if closing is None else ClientOrderId(closing))
    assert position.is_closed is (side is PositionSide.FLAT)
    assert position.is_open is not position.is_closed
    assert position.fill_count == len(steps)
    # events keep the fills since the position last opened from flat
    reopened = [i for i in range(1, len(steps)) if _is_flat_after(steps[:i])]
    assert len(position.events) == len(steps) - (reopened[-1] if reopened else 0)


def test_rounded_prices_and_pnl() -> None:
    """Exact values are kept; rounded views are half-even at the instrument/currency grid."""
    position = run([(BUY, "1", "100", "0"), (BUY, "2", "101", "0"), (SELL, "1", "102", "0")])
    assert position.avg_px_open_price() == Price("100.67")
    assert position.avg_px_open_price(4) == Price("100.6667")
    assert position.avg_px_close_price() == Price("102.00")
    assert position.realized_pnl == Money("1.33333333", USDT)
    # 2 x (100 - 302/3) = -4/3
    assert position.unrealized_pnl_exact(Price("100")) == Fraction(-4, 3)
    assert position.unrealized_pnl(Price("100")) == Money("-1.33333333", USDT)
    assert position.total_pnl_exact(Price("100")) == 0
    assert position.total_pnl(Price("100")) == Money("0", USDT)


def test_flip_resets_the_leg() -> None:
    """A flip opens the new side at the fill price, with the flipping order and time."""
    position = run([(BUY, "2", "100", "0"), (BUY, "1", "100", "0"), (SELL, "4", "110", "0.4")])
    assert position.entry is SELL
    assert position.ts_opened == 30
    assert position.peak_qty == Quantity("1.000")
    assert position.ts_closed is None
    assert position.duration_ns == 0
    assert position.realized_pnl_exact == Fraction(30) - Fraction(4, 10)
    assert position.commissions == {USDT: Money("0.4", USDT)}


def test_close_sets_times_and_peak() -> None:
    position = run([(BUY, "1", "100", "0"), (BUY, "2", "100", "0"), (SELL, "3", "100", "0")])
    assert position.ts_opened == 10
    assert position.ts_closed == 30
    assert position.duration_ns == 20
    assert position.peak_qty == Quantity("3.000")
    assert position.entry is BUY
    assert position.unrealized_pnl(Price("500")) == Money("0", USDT)
    assert repr(position) == (
        "Position(ETHUSDT-PERP.BINANCE-S-001, FLAT, realized=0.00000000 USDT)"
    )


def test_multiplier_scales_pnl() -> None:
    """With a contract multiplier of 10, one contract moving 1.5 is 15 USDT."""
    position = run([(BUY, "2", "100", "0"), (SELL, "1", "101.5", "0")], make_perp("10"))
    assert position.realized_pnl_exact == 15
    assert position.unrealized_pnl_exact(Price("99")) == -10


def test_commission_in_other_currency_is_tracked_not_realized() -> None:
    position = Position.open(
        PERP, make_fill(BUY, "1", "100", commission="0.01", commission_currency=BNB), PID
    )
    position.apply(make_fill(SELL, "1", "105", trade_id="T-2", commission="0.2"))
    position.apply(
        make_fill(BUY, "1", "105", trade_id="T-3", commission="0.02", commission_currency=BNB)
    )
    assert position.commissions == {BNB: Money("0.03", BNB), USDT: Money("0.2", USDT)}
    assert position.realized_pnl_exact == Fraction(48, 10)


def test_repr_shows_state() -> None:
    position = run([(BUY, "1", "100", "0"), (BUY, "2", "101", "0")])
    assert repr(position) == (
        "Position(ETHUSDT-PERP.BINANCE-S-001, LONG 3.000 @ 100.67, realized=0.00000000 USDT)"
    )


def test_reopen_from_flat_forgets_closed_legs_but_keeps_totals() -> None:
    """A long-lived NETTING position holds only its current leg's fills in memory."""
    position = run(
        [
            (BUY, "1", "100", "0.1"),
            (SELL, "1", "110", "0.1"),  # closed: realized 10 - 0.2
            (BUY, "2", "120", "0.1"),  # reopened
            (SELL, "1", "125", "0.1"),
        ]
    )
    assert position.fill_count == 4
    assert position.trade_ids == (TradeId("T-3"), TradeId("T-4"))
    assert position.realized_pnl_exact == Fraction(10) + Fraction(5) - Fraction(4, 10)
    assert position.commissions == {USDT: Money("0.4", USDT)}
    # the duplicate check still sees the leg that closed, up to the reopening fill
    flat = run([(BUY, "1", "100", "0"), (SELL, "1", "110", "0")])
    with pytest.raises(PositionDuplicateFill):
        flat.apply(make_fill(SELL, "1", "110", trade_id="T-2", order_id="O-2"))
    assert flat.fill_count == 2


class TestRefusedFills:
    def test_duplicate_trade_id_raises_and_changes_nothing(self) -> None:
        position = run([(BUY, "1", "100", "0.1"), (BUY, "1", "101", "0.1")])
        before = state(position)
        with pytest.raises(PositionDuplicateFill) as info:
            position.apply(make_fill(BUY, "1", "101", trade_id="T-2", order_id="O-9"))
        assert str(info.value) == (
            "position ETHUSDT-PERP.BINANCE-S-001: BUY trade T-2 was already applied"
        )
        assert info.value.trade_id == TradeId("T-2")
        assert state(position) == before
        assert position.has_trade(TradeId("T-2"))
        assert not position.has_trade(TradeId("T-9"))

    def test_self_trade_applies_both_sides_once(self) -> None:
        """Both of our orders in one self-trade share the trade id; both legs count."""
        position = Position.open(PERP, make_fill(BUY, "1", "100", trade_id="T-1"), PID)
        position.apply(make_fill(SELL, "1", "100", trade_id="T-1", order_id="O-2"))
        assert position.is_closed
        assert position.trade_ids == (TradeId("T-1"), TradeId("T-1"))
        with pytest.raises(PositionDuplicateFill):
            position.apply(make_fill(SELL, "1", "100", trade_id="T-1", order_id="O-2"))

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            pytest.param(
                {"instrument_id": "BTCUSDT-PERP.BINANCE"}, "instrument_id", id="instrument"
            ),
            pytest.param({"account_id": "BINANCE-002"}, "account_id", id="account"),
            pytest.param({"position_id": PositionId("OTHER")}, "position_id", id="position-id"),
        ],
    )
    def test_fill_of_another_position_is_refused(self, kwargs: dict[str, Any], field: str) -> None:
        position = run([(BUY, "1", "100", "0")])
        before = state(position)
        with pytest.raises(PositionFillMismatch) as info:
            position.apply(make_fill(BUY, "1", "100", trade_id="T-2", **kwargs))
        assert info.value.field == field
        assert state(position) == before

    def test_open_with_wrong_instrument_is_refused(self) -> None:
        with pytest.raises(PositionFillMismatch, match=r"fill has instrument_id BTCUSDT\.BINANCE"):
            Position.open(PERP, make_fill(BUY, "1", "100", instrument_id="BTCUSDT.BINANCE"), PID)

    def test_zero_quantity_is_refused(self) -> None:
        position = run([(BUY, "1", "100", "0")])
        with pytest.raises(PositionError, match="zero quantity"):
            position.apply(make_fill(BUY, "0", "100", trade_id="T-2"))
        with pytest.raises(PositionError, match="zero quantity"):
            Position.open(PERP, make_fill(BUY, "0", "100"), PID)


def test_from_fills_replays() -> None:
    fills = [
        make_fill(BUY, "1", "100", trade_id="T-1", ts=1),
        make_fill(SELL, "3", "110", trade_id="T-2", ts=2, commission="0.3"),
    ]
    rebuilt = Position.from_fills(PERP, fills, PID)
    assert rebuilt.signed_qty == Decimal("-2.000")
    assert rebuilt.realized_pnl_exact == Fraction(97, 10)
    with pytest.raises(PositionError, match="cannot rebuild from no fills"):
        Position.from_fills(PERP, [], PID)


class TestPositionIds:
    @pytest.mark.parametrize(
        ("oms", "order_id", "expected"),
        [
            pytest.param(OmsType.NETTING, None, "ETHUSDT.BINANCE-EMACross-001", id="netting"),
            pytest.param(
                OmsType.NETTING, "O-7", "ETHUSDT.BINANCE-EMACross-001", id="netting-ignores-order"
            ),
            pytest.param(OmsType.HEDGING, "O-7", "ETHUSDT.BINANCE-EMACross-001-O-7", id="hedging"),
        ],
    )
    def test_position_id_for(self, oms: OmsType, order_id: str | None, expected: str) -> None:
        found = position_id_for(
            oms,
            InstrumentId("ETHUSDT.BINANCE"),
            StrategyId("EMACross-001"),
            None if order_id is None else ClientOrderId(order_id),
        )
        assert found == PositionId(expected)

    def test_hedging_needs_the_opening_order(self) -> None:
        with pytest.raises(InvalidValue, match="needs the opening client_order_id"):
            position_id_for(OmsType.HEDGING, InstrumentId("X.Y"), StrategyId("S-001"))

    def test_unspecified_must_be_resolved(self) -> None:
        with pytest.raises(InvalidValue, match="resolve it to NETTING or HEDGING"):
            position_id_for(OmsType.UNSPECIFIED, InstrumentId("X.Y"), StrategyId("S-001"))


# -- the PnL identity, for arbitrary fill sequences ----------------------------------------

fill_steps = st.lists(
    st.tuples(
        st.sampled_from(["trade", "trade", "close", "flip"]),
        st.sampled_from([BUY, SELL]),
        st.integers(min_value=1, max_value=20) | st.integers(min_value=1, max_value=5_000),
        st.integers(min_value=1, max_value=10_000_000),  # ticks of 0.01
        st.integers(min_value=-1_000_000, max_value=1_000_000),  # commission, 1e-8 units
        st.sampled_from([USDT, USDT, BNB]),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(
    steps=fill_steps,
    mark_ticks=st.integers(min_value=1, max_value=10_000_000),
    multiplier=st.sampled_from(["1", "10", "0.001", "0.5"]),
)
def test_pnl_identity_holds_exactly(
    steps: list[tuple[str, OrderSide, int, int, int, Currency]], mark_ticks: int, multiplier: str
) -> None:
    """realized + unrealized == cash flows + marked quantity - settlement commissions.

    Realized PnL and the average price are also checked against a textbook
    average-cost model (realize on each reduce), written independently here.
    "close" fills exactly the open quantity and "flip" more than it, so closes,
    reopens and flips are frequent, not left to chance.
    """
    instrument = make_perp(multiplier)
    mult = Quantity(multiplier).as_fraction()
    mark = Price.from_raw(mark_ticks * 10_000_000, 2)
    position: Position | None = None
    cash = Fraction(0)
    paid = Fraction(0)
    model = _AverageCostModel()
    leg_start = 0  # index of the fill that last opened the position from flat
    for i, (action, side, lots, ticks, comm, ccy) in enumerate(steps):
        qty = Fraction(lots, 1000)
        if model.qty == 0:
            leg_start = i
        if action != "trade" and model.qty != 0:
            side = SELL if model.qty > 0 else BUY
            qty = abs(model.qty) + (qty if action == "flip" else 0)
        px = Fraction(ticks, 100)
        commission = Money.from_raw(comm * 10, ccy)
        fill = attrs.evolve(
            make_fill(side, "1", "1", trade_id=f"T-{i}", order_id=f"O-{i}", ts=i),
            last_qty=Quantity.from_raw(int(qty * 10**9), 3),
            last_px=Price.from_raw(int(px * 10**9), 2),
            commission=commission,
        )
        if position is None:
            position = Position.open(instrument, fill, PID)
        else:
            position.apply(fill)
        model.fill(side.sign, qty, px)
        cash -= side.sign * qty * px * mult
        if ccy == USDT:
            paid += commission.as_fraction()
        assert position.signed_qty == Decimal(model.qty.numerator) / model.qty.denominator
        assert position.avg_px_open == model.avg
        assert position.realized_pnl_exact == model.realized * mult - paid
        if position.is_closed:
            assert position.quantity.is_zero()
            assert position.side is PositionSide.FLAT
            assert position.ts_closed == i
            assert position.closing_order_id == ClientOrderId(f"O-{i}")
        else:
            assert position.side is (PositionSide.LONG if model.qty > 0 else PositionSide.SHORT)
            assert position.ts_closed is None
        expected = cash + model.qty * mark.as_fraction() * mult - paid
        assert position.realized_pnl_exact + position.unrealized_pnl_exact(mark) == expected
    assert position is not None
    assert position.total_pnl(mark) == Money.from_fraction(expected, USDT)
    assert position.fill_count == len(steps)
    assert [f.trade_id.value for f in position.events] == [
        f"T-{i}" for i in range(leg_start, len(steps))
    ]


class _AverageCostModel:
    """Reference: signed quantity, average cost, and PnL realized on each reduce."""

    def __init__(self) -> None:
        self.qty = Fraction(0)
        self.avg = Fraction(0)
        self.realized = Fraction(0)

    def fill(self, sign: int, qty: Fraction, px: Fraction) -> None:
        if self.qty == 0 or (self.qty > 0) == (sign > 0):
            self.avg = (self.avg * abs(self.qty) + px * qty) / (abs(self.qty) + qty)
            self.qty += sign * qty
            return
        closed = min(qty, abs(self.qty))
        direction = 1 if self.qty > 0 else -1
        self.realized += (px - self.avg) * closed * direction
        self.qty += sign * qty
        if qty > closed:
            self.avg = px
