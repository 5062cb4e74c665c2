"""Submit rejects, modify and cancel at the sandbox exchange: every refusal says why."""

from __future__ import annotations

import pytest
from sandbox_support import (
    PAIR,
    USDT,
    balance,
    cash_exchange,
    check_invariants,
    fills_of,
    kinds,
    order,
    quote,
)

from livetrade.adapters.sandbox.messages import (
    Amended,
    AmendRejected,
    Canceled,
    CancelRejected,
    Rejected,
)
from livetrade.errors import InvalidValue
from livetrade.model.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from livetrade.model.identifiers import ClientOrderId, InstrumentId, VenueOrderId
from livetrade.model.quantities import Price, Quantity

BUY, SELL = OrderSide.BUY, OrderSide.SELL
O1 = ClientOrderId("O-1")


def only_reason(msgs: object) -> str:
    assert isinstance(msgs, list)
    assert len(msgs) == 1, msgs
    return msgs[0].reason  # type: ignore[no-any-return]


class TestSubmitRejects:
    @pytest.mark.parametrize(
        ("kwargs", "reason"),
        [
            ({"instrument_id": "XRPUSDT.SANDBOX"}, "unknown instrument XRPUSDT.SANDBOX"),
            (
                {"price": "100.005"},
                "price 100.005 has precision 3, above the price_precision 2 for ETHUSDT.SANDBOX",
            ),
            (
                {"quantity": "0.0005"},
                "quantity 0.0005 has precision 4, above the size_precision 3 for ETHUSDT.SANDBOX",
            ),
            (
                {"quantity": "2000.000"},
                "quantity 2000.000 is above the maximum 1000.000 for ETHUSDT.SANDBOX",
            ),
            ({"price": None}, "a LIMIT order needs a price"),
            (
                {"time_in_force": TimeInForce.GTD},
                "a GTD order needs an expire time",
            ),
            (
                {"time_in_force": TimeInForce.GTD, "expire_time_ns": 5},
                "GTD expire time 5 is not after 5",
            ),
            (
                {"reduce_only": True},
                "reduce-only order would increase or flip the position",
            ),
            (
                {"order_type": OrderType.MARKET, "price": None, "post_only": True},
                "no market: no quote for ETHUSDT.SANDBOX yet",
            ),
            (
                {"order_type": OrderType.STOP_MARKET, "price": None, "post_only": True},
                "post-only applies to LIMIT orders, not STOP_MARKET",
            ),
        ],
    )
    def test_reject_reasons(self, kwargs: dict[str, object], reason: str) -> None:
        """Each bad submit gets one Rejected naming the problem, and no venue order id."""
        ex = cash_exchange()
        init = order(**kwargs) if "instrument_id" not in kwargs else None
        if init is None:
            from livetrade.testing import make_order_init

            init = make_order_init("O-1", **kwargs)  # type: ignore[arg-type]
        msgs = ex.submit(init, ts=5)
        assert kinds(msgs) == ["Rejected"]
        assert msgs[0].venue_order_id is None
        assert only_reason(msgs) == reason
        assert ex.order(O1) is None
        assert ex.open_orders() == []

    def test_duplicate_client_order_id(self) -> None:
        ex = cash_exchange()
        ex.submit(order(), ts=1)
        assert only_reason(ex.submit(order(), ts=2)) == "duplicate client order id O-1"

    def test_insufficient_quote_balance(self) -> None:
        """Buy 1 @ 100 needs 100.20 USDT with the 0.2% taker fee."""
        ex = cash_exchange(usdt="100")
        assert only_reason(ex.submit(order(), ts=1)) == (
            "insufficient balance: need 100.20000000 USDT, free 100.00000000 USDT"
        )
        assert balance(ex, USDT) == ("100.00000000", "0.00000000", "100.00000000")

    def test_insufficient_base_balance(self) -> None:
        ex = cash_exchange(eth=None)
        assert only_reason(ex.submit(order(side=SELL), ts=1)) == (
            "insufficient balance: need 1.00000000 ETH, free 0.00000000 ETH"
        )

    def test_market_buy_checks_quantity_times_ask(self) -> None:
        ex = cash_exchange(usdt="100.10")
        ex.on_quote(quote("99.00", "99.90"))
        ok = ex.submit(order("O-1", order_type=OrderType.MARKET, price=None), ts=11)
        assert kinds(ok) == ["Accepted", "Filled"]  # 99.90 * 1.002 = 100.0998 <= 100.10
        ex.on_quote(quote("99.00", "100.00", ts=12))
        reason = only_reason(
            ex.submit(order("O-2", order_type=OrderType.MARKET, price=None), ts=13)
        )
        assert reason == "insufficient balance: need 100.20000000 USDT, free 0.00020000 USDT"

    def test_post_only_that_would_take_is_rejected_due_post_only(self) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("99.00", "100.00"))
        msgs = ex.submit(order(price="100.00", post_only=True), ts=11)
        assert msgs == [
            Rejected(
                client_order_id=O1,
                venue_order_id=None,
                instrument_id=PAIR.instrument_id,
                ts=11,
                reason="post-only order would take liquidity",
                due_post_only=True,
            )
        ]
        assert kinds(ex.submit(order("O-2", price="99.99", post_only=True), ts=12)) == ["Accepted"]


class TestModify:
    def test_quantity_decrease_keeps_priority(self) -> None:
        ex = cash_exchange()
        ex.submit(order("O-1"), ts=1)
        ex.submit(order("O-2"), ts=2)
        msgs = ex.modify(O1, ts=3, quantity=Quantity("0.800"))
        assert msgs == [
            Amended(
                client_order_id=O1,
                venue_order_id=VenueOrderId("SANDBOX-1"),
                instrument_id=PAIR.instrument_id,
                ts=3,
                quantity=Quantity("0.800"),
                price=Price("100.00"),
                trigger_price=None,
            )
        ]
        fills = ex.on_quote(quote("98.00", "99.00", ask_size="1.000", ts=4))
        assert [(str(m.client_order_id), str(m.last_qty)) for m in fills] == [
            ("O-1", "0.800"),
            ("O-2", "0.200"),
        ]
        assert balance(ex, USDT)[1] == "80.16000000"  # O-2's 0.8 left @ 100 * 1.002
        check_invariants(ex)

    @pytest.mark.parametrize(
        "change", [{"quantity": Quantity("1.200")}, {"price": Price("100.00")}]
    )
    def test_quantity_increase_or_price_change_loses_priority(
        self, change: dict[str, object]
    ) -> None:
        ex = cash_exchange()
        first_price = "100.00" if "quantity" in change else "99.99"
        ex.submit(order("O-1", price=first_price), ts=1)
        ex.submit(order("O-2"), ts=2)
        assert kinds(ex.modify(O1, ts=3, **change)) == ["Amended"]  # type: ignore[arg-type]
        fills = ex.on_quote(quote("98.00", "99.00", ask_size="1.000", ts=4))
        assert [str(m.client_order_id) for m in fills] == ["O-2"]

    def test_modify_that_makes_the_order_marketable_takes(self) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("98.00", "100.00"))
        ex.submit(order(price="99.00"), ts=11)
        msgs = ex.modify(O1, ts=12, price=Price("100.50"))
        assert kinds(msgs) == ["Amended", "Filled"]
        assert fills_of(msgs) == [("1.000", "100.00", "0.20000000 USDT", "TAKER")]

    def test_stop_modified_onto_the_market_triggers(self) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("98.00", "100.00"))
        ex.submit(
            order(order_type=OrderType.STOP_MARKET, price=None, trigger_price="105.00"), ts=11
        )
        msgs = ex.modify(O1, ts=12, trigger_price=Price("99.00"))
        assert kinds(msgs) == ["Amended", "Triggered", "Filled"]

    @pytest.mark.parametrize(
        ("setup", "change", "reason"),
        [
            (
                "partial",
                {"quantity": Quantity("0.200")},
                "quantity 0.200 is not above the filled quantity 0.300",
            ),
            (
                "partial",
                {"quantity": Quantity("0.300")},
                "quantity 0.300 is not above the filled quantity 0.300",
            ),
            ("filled", {"quantity": Quantity("2.000")}, "order already FILLED"),
            ("resting", {}, "the modify changes nothing"),
            ("resting", {"price": Price("100.00")}, "the modify changes nothing"),
            (
                "resting",
                {"trigger_price": Price("90.00")},
                "a LIMIT order has no trigger price to modify",
            ),
            ("stop", {"price": Price("90.00")}, "a STOP_MARKET order has no price to modify"),
            (
                "triggered",
                {"trigger_price": Price("90.00")},
                "the order already triggered; its trigger price cannot change",
            ),
            (
                "resting",
                {"price": Price("100.001")},
                "price 100.001 has precision 3, above the price_precision 2 for ETHUSDT.SANDBOX",
            ),
            (
                "resting",
                {"quantity": Quantity("200.000")},
                "insufficient balance: need 20040.00000000 USDT, free 10000.00000000 USDT",
            ),
            ("post_only", {"price": Price("101.00")}, "post-only order would take liquidity"),
        ],
    )
    def test_amend_rejects(self, setup: str, change: dict[str, object], reason: str) -> None:
        """A refused modify answers AmendRejected and leaves the order as it was."""
        ex = cash_exchange()
        ex.on_quote(quote("98.00", "101.00", ask_size="0.300"))
        if setup == "partial":
            ex.submit(order(price="101.00"), ts=11)
        elif setup == "filled":
            ex.submit(order(price="101.00", quantity="0.300"), ts=11)
        elif setup == "stop":
            ex.submit(
                order(order_type=OrderType.STOP_MARKET, price=None, trigger_price="105.00"), ts=11
            )
        elif setup == "triggered":
            ex.submit(
                order(order_type=OrderType.STOP_LIMIT, price="90.00", trigger_price="100.00"), ts=11
            )
        elif setup == "post_only":
            ex.submit(order(post_only=True), ts=11)
        else:
            ex.submit(order(), ts=11)
        before = ex.to_dict()
        msgs = ex.modify(O1, ts=12, **change)  # type: ignore[arg-type]
        assert kinds(msgs) == ["AmendRejected"]
        assert only_reason(msgs) == reason
        assert ex.to_dict() == before

    def test_modify_unknown_order(self) -> None:
        ex = cash_exchange()
        assert ex.modify(
            O1, ts=1, quantity=Quantity("1.000"), instrument_id=PAIR.instrument_id
        ) == [
            AmendRejected(
                client_order_id=O1,
                venue_order_id=None,
                instrument_id=PAIR.instrument_id,
                ts=1,
                reason="order O-1 not found",
            )
        ]
        with pytest.raises(InvalidValue, match="pass instrument_id"):
            ex.modify(O1, ts=1, quantity=Quantity("1.000"))


class TestCancel:
    def test_cancel_working_order_releases_its_lock(self) -> None:
        ex = cash_exchange()
        ex.submit(order(), ts=1)
        assert ex.cancel(O1, ts=2) == [
            Canceled(
                client_order_id=O1,
                venue_order_id=VenueOrderId("SANDBOX-1"),
                instrument_id=PAIR.instrument_id,
                ts=2,
            )
        ]
        assert balance(ex, USDT) == ("10000.00000000", "0.00000000", "10000.00000000")
        record = ex.order(O1)
        assert record is not None
        assert record.status is OrderStatus.CANCELED
        assert record.ts_last == 2

    def test_cancel_of_a_partly_filled_order_keeps_its_fills(self) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("98.00", "100.00", ask_size="0.400"))
        ex.submit(order(), ts=11)
        assert kinds(ex.cancel(O1, ts=12)) == ["Canceled"]
        record = ex.order(O1)
        assert record is not None
        assert record.filled_qty == Quantity("0.400")
        check_invariants(ex)

    @pytest.mark.parametrize(
        ("setup", "reason"),
        [("filled", "order already FILLED"), ("canceled", "order already CANCELED")],
    )
    def test_cancel_of_a_closed_order_is_rejected(self, setup: str, reason: str) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("98.00", "100.00"))
        if setup == "filled":
            ex.submit(order(), ts=11)
        else:
            ex.submit(order(price="90.00"), ts=11)
            ex.cancel(O1, ts=12)
        assert ex.cancel(O1, ts=13) == [
            CancelRejected(
                client_order_id=O1,
                venue_order_id=VenueOrderId("SANDBOX-1"),
                instrument_id=PAIR.instrument_id,
                ts=13,
                reason=reason,
            )
        ]

    def test_cancel_unknown_order(self) -> None:
        ex = cash_exchange()
        msgs = ex.cancel(ClientOrderId("O-9"), ts=1, instrument_id=PAIR.instrument_id)
        assert kinds(msgs) == ["CancelRejected"]
        assert msgs[0].venue_order_id is None
        assert only_reason(msgs) == "order O-9 not found"
        with pytest.raises(InvalidValue, match="no order O-9"):
            ex.cancel(ClientOrderId("O-9"), ts=1)

    def test_cancel_all_by_side(self) -> None:
        ex = cash_exchange()
        ex.submit(order("B-1", price="90.00"), ts=1)
        ex.submit(order("S-1", side=SELL, price="110.00"), ts=2)
        ex.submit(
            order("B-2", order_type=OrderType.STOP_MARKET, price=None, trigger_price="120.00"), ts=3
        )
        msgs = ex.cancel_all(PAIR.instrument_id, ts=4, side=BUY)
        assert [(type(m).__name__, str(m.client_order_id)) for m in msgs] == [
            ("Canceled", "B-1"),
            ("Canceled", "B-2"),
        ]
        assert [str(o.client_order_id) for o in ex.open_orders()] == ["S-1"]
        assert kinds(ex.cancel_all(PAIR.instrument_id, ts=5)) == ["Canceled"]
        assert ex.open_orders() == []
        assert ex.cancel_all(InstrumentId("NOPE.SANDBOX"), ts=6) == []


class TestBalancesChanged:
    def test_flag_follows_locks_and_fills(self) -> None:
        ex = cash_exchange()
        assert not ex.balances_changed
        ex.submit(order(price="90.00"), ts=1)
        assert ex.balances_changed
        ex.account_state(2)
        assert not ex.balances_changed
        ex.on_quote(quote("91.00", "92.00", ts=3))
        assert not ex.balances_changed
        ex.on_quote(quote("88.00", "89.00", ts=4))
        assert ex.balances_changed
