"""Sandbox accounts: CASH balances and locks, MARGIN wallet and margins, netted positions.

PERP: BTC/USDT linear perpetual, maker 0.02%, taker 0.05%, initial margin 10%,
maintenance 5%. PAIR on a margin account has margin_init 0 (read as 1).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sandbox_support import (
    ETH,
    PAIR,
    PERP,
    USDT,
    VENUE,
    balance,
    cash_exchange,
    check_invariants,
    fills_of,
    kinds,
    margin_exchange,
    order,
    quote,
)

from livetrade.adapters.sandbox.exchange import SandboxExchange
from livetrade.errors import InvalidValue
from livetrade.model.account import AccountBalance, MarginBalance
from livetrade.model.enums import AccountType, OrderSide, OrderType, PositionSide
from livetrade.model.identifiers import AccountId, ClientOrderId, InstrumentId
from livetrade.model.money import Money

BUY, SELL = OrderSide.BUY, OrderSide.SELL
REDUCE = "reduce-only order would increase or flip the position"


def perp_quote(bid: str, ask: str, size: str = "5.000", ts: int = 10) -> object:
    return quote(bid, ask, size, size, ts=ts, instrument=PERP)


def perp_order(coid: str = "O-1", **kwargs: object) -> object:
    kwargs.setdefault("price", "20000.0")
    return order(coid, instrument=PERP, **kwargs)  # type: ignore[arg-type]


class TestCash:
    def test_account_state_lists_every_currency_touched(self) -> None:
        ex = cash_exchange(eth=None)
        ex.on_quote(quote("99.00", "100.00"))
        ex.submit(order(quantity="0.500", price="101.00"), ts=11)
        state = ex.account_state(12)
        assert state.account_id == AccountId("SANDBOX-001")
        assert state.account_type is AccountType.CASH
        assert state.reported is True
        assert state.base_currency is None
        assert state.margins == ()
        assert state.ts_event == state.ts_init == 12
        assert state.balances == (
            AccountBalance.from_total_and_locked(Money("9949.90", USDT), Money(0, USDT)),
            AccountBalance.from_total_and_locked(Money("0.5", ETH), Money(0, ETH)),
        )

    def test_sell_locks_base_and_releases_it_proportionally(self) -> None:
        ex = cash_exchange()
        ex.submit(order(side=SELL, quantity="2.000", price="100.00"), ts=1)
        assert balance(ex, ETH) == ("10.00000000", "2.00000000", "8.00000000")
        ex.on_quote(quote("100.50", "101.00", bid_size="0.500", ts=2))
        assert balance(ex, ETH) == ("9.50000000", "1.50000000", "8.00000000")
        # 0.5 * 100 - 0.05 maker fee
        assert balance(ex, USDT) == ("10049.95000000", "0.00000000", "10049.95000000")
        check_invariants(ex)

    def test_market_buy_cut_to_what_the_balance_pays_when_the_ask_jumps(self) -> None:
        """Locked at 100 (ask at acceptance); the ask jumps to 200: fill what the free balance covers."""
        ex = cash_exchange(usdt="120", eth=None)
        ex.on_quote(quote("99.00", "100.00", ask_size="0.500"))
        msgs = ex.submit(order(order_type=OrderType.MARKET, price=None), ts=11)
        assert fills_of(msgs) == [("0.500", "100.00", "0.10000000 USDT", "TAKER")]
        assert balance(ex, USDT) == ("69.90000000", "50.10000000", "19.80000000")
        msgs = ex.on_quote(quote("199.00", "200.00", ask_size="5.000", ts=12))
        assert kinds(msgs) == ["Filled", "Canceled"]
        assert fills_of(msgs) == [("0.197", "200.00", "0.07880000 USDT", "TAKER")]
        assert msgs[1].reason == (  # type: ignore[attr-defined]
            "insufficient balance: need 100.20000000 USDT, free 69.90000000 USDT"
        )
        assert balance(ex, USDT) == ("30.42120000", "0.00000000", "30.42120000")
        check_invariants(ex)

    def test_perpetuals_need_a_margin_account(self) -> None:
        with pytest.raises(InvalidValue, match="a CASH account trades spot pairs only"):
            SandboxExchange(
                venue=VENUE,
                account_id=AccountId("SANDBOX-001"),
                account_type=AccountType.CASH,
                instruments=[PERP],
                starting_balances=[Money("1", USDT)],
            )

    def test_instruments_must_be_on_the_venue(self) -> None:
        with pytest.raises(InvalidValue, match="not listed on the sandbox venue OTHER"):
            SandboxExchange(
                venue=type(VENUE)("OTHER"),
                account_id=AccountId("SANDBOX-001"),
                account_type=AccountType.CASH,
                instruments=[PAIR],
                starting_balances=[],
            )


class TestReduceOnly:
    def test_reduce_only_needs_an_opposite_position(self) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("99.00", "100.00"))
        assert ex.submit(order("R-0", side=SELL, reduce_only=True), ts=11)[0].reason == REDUCE  # type: ignore[attr-defined]
        ex.submit(order("B-1", quantity="1.000", price="100.00"), ts=12)  # position +1
        assert kinds(
            ex.submit(order("R-1", side=BUY, quantity="0.100", reduce_only=True), ts=13)
        ) == ["Rejected"]
        assert kinds(
            ex.submit(order("R-2", side=SELL, quantity="2.000", reduce_only=True), ts=14)
        ) == ["Rejected"]
        assert kinds(
            ex.submit(
                order("R-3", side=SELL, quantity="1.000", price="101.00", reduce_only=True), ts=15
            )
        ) == ["Accepted"]

    def test_reduce_only_fill_is_capped_by_the_position_it_reduces(self) -> None:
        """The position shrank after the order was accepted: it fills the rest and is canceled."""
        ex = cash_exchange()
        ex.on_quote(quote("99.00", "100.00"))
        ex.submit(order("B-1", quantity="1.000", price="100.00"), ts=11)
        ex.submit(
            order("R-1", side=SELL, quantity="1.000", price="102.00", reduce_only=True), ts=12
        )
        ex.submit(
            order("S-1", side=SELL, order_type=OrderType.MARKET, price=None, quantity="0.600"),
            ts=13,
        )
        msgs = ex.on_quote(quote("102.00", "103.00", ts=14))
        assert kinds(msgs) == ["Filled", "Canceled"]
        assert fills_of(msgs) == [("0.400", "102.00", "0.04080000 USDT", "MAKER")]
        assert msgs[1].reason == REDUCE  # type: ignore[attr-defined]
        assert ex.account.positions[PAIR.instrument_id].signed_raw == 0
        check_invariants(ex)


class TestMargin:
    def test_order_margin_then_position_margin_and_realized_pnl(self) -> None:
        ex = margin_exchange()
        assert kinds(ex.submit(perp_order(), ts=1)) == ["Accepted"]  # type: ignore[arg-type]
        assert balance(ex, USDT) == ("10000.00000000", "2000.00000000", "8000.00000000")
        state = ex.account_state(2)
        assert state.base_currency == USDT
        assert state.margins == (
            MarginBalance(
                initial=Money("2000", USDT),
                maintenance=Money(0, USDT),
                instrument_id=PERP.instrument_id,
            ),
        )
        msgs = ex.on_quote(perp_quote("19980.0", "19990.0", ts=3))  # type: ignore[arg-type]
        assert fills_of(msgs) == [("1.000", "20000.0", "4.00000000 USDT", "MAKER")]
        assert balance(ex, USDT) == ("9996.00000000", "2000.00000000", "7996.00000000")
        assert ex.account_state(4).margins == (
            MarginBalance(
                initial=Money("2000", USDT),
                maintenance=Money("1000", USDT),
                instrument_id=PERP.instrument_id,
            ),
        )
        ex.on_quote(perp_quote("21000.0", "21000.5", ts=5))  # type: ignore[arg-type]
        msgs = ex.submit(perp_order("O-2", side=SELL, quantity="0.400", price="20900.0"), ts=6)  # type: ignore[arg-type]
        assert fills_of(msgs) == [("0.400", "21000.0", "4.20000000 USDT", "TAKER")]
        # +400 realized on 0.4, -4.20 fee; 0.6 left at 20000 holds 1200
        assert balance(ex, USDT) == ("10391.80000000", "1200.00000000", "9191.80000000")
        check_invariants(ex)

    def test_leverage_divides_the_margin(self) -> None:
        ex = margin_exchange(leverage="5")
        ex.submit(perp_order(), ts=1)  # type: ignore[arg-type]
        assert balance(ex, USDT)[1] == "400.00000000"

    def test_zero_margin_init_is_margined_by_leverage_alone(self) -> None:
        ex = margin_exchange(leverage="2")
        ex.submit(order(price="100.00"), ts=1)
        assert balance(ex, USDT)[1] == "50.00000000"

    def test_short_and_flip(self) -> None:
        ex = margin_exchange()
        ex.on_quote(perp_quote("20000.0", "20000.5"))  # type: ignore[arg-type]
        ex.submit(
            perp_order("S-1", side=SELL, order_type=OrderType.MARKET, price=None, quantity="0.500"),
            ts=11,
        )  # type: ignore[arg-type]
        position = ex.account.positions[PERP.instrument_id]
        assert position.signed_raw == -500_000_000
        ex.on_quote(perp_quote("18999.5", "19000.0", ts=12))  # type: ignore[arg-type]
        ex.submit(
            perp_order("B-1", order_type=OrderType.MARKET, price=None, quantity="1.500"), ts=13
        )  # type: ignore[arg-type]
        assert position.signed_raw == 1_000_000_000
        assert position.avg_px_open == 19000
        # +0.5 * 1000 realized; fees 0.5*20000*0.0005 = 5 and 1.5*19000*0.0005 = 14.25
        assert balance(ex, USDT)[0] == "10480.75000000"
        report = ex.position_status_reports(14)[0]
        assert report.position_side is PositionSide.LONG
        assert report.avg_px_open == Decimal("19000.0")
        check_invariants(ex)

    def test_insufficient_margin(self) -> None:
        ex = margin_exchange(usdt="100")
        assert ex.submit(perp_order(), ts=1)[0].reason == (  # type: ignore[arg-type, attr-defined]
            "insufficient balance: need 2000.00000000 USDT, free 100.00000000 USDT"
        )

    def test_reduce_only_locks_no_margin(self) -> None:
        ex = margin_exchange()
        ex.on_quote(perp_quote("20000.0", "20000.5"))  # type: ignore[arg-type]
        ex.submit(perp_order("B-1", order_type=OrderType.MARKET, price=None), ts=11)  # type: ignore[arg-type]
        locked_before = balance(ex, USDT)[1]
        ex.submit(perp_order("R-1", side=SELL, price="25000.0", reduce_only=True), ts=12)  # type: ignore[arg-type]
        assert balance(ex, USDT)[1] == locked_before
        check_invariants(ex)

    def test_margin_per_instrument(self) -> None:
        ex = margin_exchange()
        ex.submit(perp_order(), ts=1)  # type: ignore[arg-type]
        ex.submit(order("P-1", price="100.00"), ts=2)
        margins = {m.instrument_id: m.initial for m in ex.account_state(3).margins}
        assert margins == {
            PERP.instrument_id: Money("2000", USDT),
            PAIR.instrument_id: Money("100", USDT),
        }
        ex.cancel(ClientOrderId("P-1"), ts=4)
        assert [m.instrument_id for m in ex.account_state(5).margins] == [PERP.instrument_id]
        assert InstrumentId("BTCUSDT-PERP.SANDBOX") == PERP.instrument_id
