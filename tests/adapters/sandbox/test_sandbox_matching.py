"""The sandbox exchange matches orders against the top of book: prices, sizes, priority, TIF.

Every test drives the pure ``SandboxExchange`` with values and asserts the exact
messages, fill prices, fees and balances. PAIR: tick 0.01, lot 0.001, maker
0.1%, taker 0.2%; the CASH account starts with 10,000 USDT and 10 ETH.
"""

from __future__ import annotations

import pytest
from sandbox_support import (
    ETH,
    PAIR,
    USDT,
    balance,
    cash_exchange,
    check_invariants,
    fills_of,
    kinds,
    order,
    quote,
    trade,
)

from livetrade.adapters.sandbox.matching import NS_PER_DAY
from livetrade.adapters.sandbox.messages import Accepted, Canceled, Expired, Filled
from livetrade.model.enums import (
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from livetrade.model.identifiers import ClientOrderId, InstrumentId, TradeId, VenueOrderId
from livetrade.model.money import Money
from livetrade.model.quantities import Price, Quantity

BUY, SELL = OrderSide.BUY, OrderSide.SELL
IOC_REASON = "IOC: the part not filled immediately was canceled"


def cents(n: int) -> str:
    """A price string with two decimals from an integer number of cents."""
    return f"{n // 100}.{n % 100:02d}"


def status(exchange: object, coid: str) -> OrderStatus:
    record = exchange.order(ClientOrderId(coid))  # type: ignore[attr-defined]
    assert record is not None
    return record.status  # type: ignore[no-any-return]


class TestLimitOrders:
    def test_resting_buy_fills_as_maker_at_its_limit(self) -> None:
        """Buy 0.5 @ 100: 50.10 locked; a quote through it fills at 100 as maker, fee 0.05."""
        ex = cash_exchange()
        msgs = ex.submit(order(quantity="0.500"), ts=1)
        assert msgs == [
            Accepted(
                client_order_id=ClientOrderId("O-1"),
                venue_order_id=VenueOrderId("SANDBOX-1"),
                instrument_id=PAIR.instrument_id,
                ts=1,
            )
        ]
        assert balance(ex, USDT) == ("10000.00000000", "50.10000000", "9949.90000000")
        msgs = ex.on_quote(quote("99.00", "99.50", ts=2))
        assert msgs == [
            Filled(
                client_order_id=ClientOrderId("O-1"),
                venue_order_id=VenueOrderId("SANDBOX-1"),
                instrument_id=PAIR.instrument_id,
                ts=2,
                trade_id=TradeId("SANDBOX-T-1"),
                order_side=BUY,
                order_type=OrderType.LIMIT,
                last_qty=Quantity("0.500"),
                last_px=Price("100.00"),
                commission=Money("0.05", USDT),
                liquidity_side=LiquiditySide.MAKER,
            )
        ]
        assert balance(ex, USDT) == ("9949.95000000", "0.00000000", "9949.95000000")
        assert balance(ex, ETH) == ("10.50000000", "0.00000000", "10.50000000")
        assert status(ex, "O-1") is OrderStatus.FILLED
        check_invariants(ex)

    def test_marketable_limit_takes_at_the_touch_not_its_limit(self) -> None:
        """A buy @ 101 against an ask of 100 fills at 100 as taker (fee 0.2%)."""
        ex = cash_exchange()
        ex.on_quote(quote("99.00", "100.00"))
        msgs = ex.submit(order(quantity="0.500", price="101.00"), ts=11)
        assert kinds(msgs) == ["Accepted", "Filled"]
        assert fills_of(msgs) == [("0.500", "100.00", "0.10000000 USDT", "TAKER")]
        assert balance(ex, USDT) == ("9949.90000000", "0.00000000", "9949.90000000")

    def test_marketable_sell_takes_the_bid(self) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("99.00", "100.00"))
        msgs = ex.submit(order(side=SELL, quantity="0.500", price="98.00"), ts=11)
        assert fills_of(msgs) == [("0.500", "99.00", "0.09900000 USDT", "TAKER")]
        assert balance(ex, USDT) == ("10049.40100000", "0.00000000", "10049.40100000")
        assert balance(ex, ETH) == ("9.50000000", "0.00000000", "9.50000000")

    def test_remainder_of_a_marketable_limit_rests(self) -> None:
        """Only the size at the touch is taken; the rest rests and later fills as maker."""
        ex = cash_exchange()
        ex.on_quote(quote("99.00", "100.00", ask_size="0.300"))
        msgs = ex.submit(order(quantity="1.000", price="100.00"), ts=11)
        assert fills_of(msgs) == [("0.300", "100.00", "0.06000000 USDT", "TAKER")]
        assert status(ex, "O-1") is OrderStatus.PARTIALLY_FILLED
        msgs = ex.on_quote(quote("99.00", "99.90", ask_size="5.000", ts=12))
        assert fills_of(msgs) == [("0.700", "100.00", "0.07000000 USDT", "MAKER")]
        check_invariants(ex)

    def test_partial_fills_across_quotes(self) -> None:
        """Each quote's ask size caps the fill; quotes that do not cross fill nothing."""
        ex = cash_exchange()
        ex.submit(order(quantity="1.000", price="100.00"), ts=1)
        first = ex.on_quote(quote("99.00", "99.50", ask_size="0.300", ts=2))
        assert fills_of(first) == [("0.300", "100.00", "0.03000000 USDT", "MAKER")]
        assert balance(ex, USDT) == ("9969.97000000", "70.14000000", "9899.83000000")
        assert ex.on_quote(quote("99.00", "100.50", ask_size="9.000", ts=3)) == ()
        second = ex.on_quote(quote("99.00", "99.80", ask_size="0.500", ts=4))
        assert fills_of(second) == [("0.500", "100.00", "0.05000000 USDT", "MAKER")]
        third = ex.on_quote(quote("99.00", "100.00", ask_size="1.000", ts=5))
        assert fills_of(third) == [("0.200", "100.00", "0.02000000 USDT", "MAKER")]
        assert status(ex, "O-1") is OrderStatus.FILLED
        assert balance(ex, USDT) == ("9899.90000000", "0.00000000", "9899.90000000")
        check_invariants(ex)

    def test_price_time_priority_shares_one_quote(self) -> None:
        """Better price first, then earlier; they share the quote's size."""
        ex = cash_exchange()
        ex.submit(order("O-1", quantity="0.500", price="100.00"), ts=1)
        ex.submit(order("O-2", quantity="0.500", price="101.00"), ts=2)
        ex.submit(order("O-3", quantity="0.500", price="101.00"), ts=3)
        msgs = ex.on_quote(quote("98.00", "99.00", ask_size="0.800", ts=4))
        assert [(str(m.client_order_id), str(m.last_qty), str(m.last_px)) for m in msgs] == [
            ("O-2", "0.500", "101.00"),
            ("O-3", "0.300", "101.00"),
        ]
        msgs = ex.on_quote(quote("98.00", "99.00", ask_size="1.000", ts=5))
        assert [(str(m.client_order_id), str(m.last_qty)) for m in msgs] == [
            ("O-3", "0.200"),
            ("O-1", "0.500"),
        ]
        check_invariants(ex)

    def test_sell_side_priority(self) -> None:
        ex = cash_exchange()
        ex.submit(order("O-1", side=SELL, quantity="0.500", price="101.00"), ts=1)
        ex.submit(order("O-2", side=SELL, quantity="0.500", price="100.00"), ts=2)
        msgs = ex.on_quote(quote("102.00", "103.00", bid_size="0.600", ts=3))
        assert [(str(m.client_order_id), str(m.last_qty), str(m.last_px)) for m in msgs] == [
            ("O-2", "0.500", "100.00"),
            ("O-1", "0.100", "101.00"),
        ]

    def test_orders_between_quotes_take_what_is_left(self) -> None:
        """Two marketable orders between two quotes share the one quote's size."""
        ex = cash_exchange()
        ex.on_quote(quote("99.00", "100.00", ask_size="1.000"))
        assert fills_of(ex.submit(order("O-1", quantity="0.700", price="100.00"), ts=11)) == [
            ("0.700", "100.00", "0.14000000 USDT", "TAKER")
        ]
        msgs = ex.submit(
            order("O-2", quantity="0.700", price="100.00", time_in_force=TimeInForce.IOC), ts=12
        )
        assert kinds(msgs) == ["Accepted", "Filled", "Canceled"]
        assert fills_of(msgs) == [("0.300", "100.00", "0.06000000 USDT", "TAKER")]

    def test_quote_off_the_lot_grid_is_rounded_down(self) -> None:
        """Liquidity of 0.0005 (below one lot) fills nothing."""
        ex = cash_exchange()
        ex.submit(order(quantity="1.000"), ts=1)
        assert ex.on_quote(quote("99.00", "99.00", ask_size="0.0005", ts=2)) == ()


class TestMarketOrders:
    def test_market_without_a_quote_is_rejected(self) -> None:
        ex = cash_exchange()
        msgs = ex.submit(order(order_type=OrderType.MARKET, price=None), ts=1)
        assert kinds(msgs) == ["Rejected"]
        assert msgs[0].reason == "no market: no quote for ETHUSDT.SANDBOX yet"  # type: ignore[attr-defined]
        assert msgs[0].venue_order_id is None

    def test_gtc_market_remainder_fills_on_later_quotes_at_the_then_touch(self) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("99.00", "100.00", ask_size="0.300"))
        msgs = ex.submit(order(order_type=OrderType.MARKET, quantity="0.500", price=None), ts=11)
        assert fills_of(msgs) == [("0.300", "100.00", "0.06000000 USDT", "TAKER")]
        msgs = ex.on_quote(quote("100.00", "101.00", ask_size="1.000", ts=12))
        assert fills_of(msgs) == [("0.200", "101.00", "0.04040000 USDT", "TAKER")]
        assert status(ex, "O-1") is OrderStatus.FILLED
        check_invariants(ex)

    def test_market_remainder_goes_before_resting_limits(self) -> None:
        ex = cash_exchange()
        ex.submit(order("L-1", quantity="1.000", price="101.00"), ts=1)
        ex.on_quote(quote("99.00", "102.00", ask_size="0.500", ts=2))
        ex.submit(order("M-1", order_type=OrderType.MARKET, quantity="1.000", price=None), ts=3)
        msgs = ex.on_quote(quote("99.00", "100.00", ask_size="1.200", ts=4))
        assert [(str(m.client_order_id), str(m.last_qty), str(m.last_px)) for m in msgs] == [
            ("M-1", "0.500", "100.00"),
            ("L-1", "0.700", "101.00"),
        ]

    def test_market_ioc_cancels_the_rest(self) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("99.00", "100.00", ask_size="0.300"))
        msgs = ex.submit(
            order(
                order_type=OrderType.MARKET,
                quantity="0.500",
                price=None,
                time_in_force=TimeInForce.IOC,
            ),
            ts=11,
        )
        assert kinds(msgs) == ["Accepted", "Filled", "Canceled"]
        assert msgs[-1] == Canceled(
            client_order_id=ClientOrderId("O-1"),
            venue_order_id=VenueOrderId("SANDBOX-1"),
            instrument_id=PAIR.instrument_id,
            ts=11,
            reason=IOC_REASON,
        )
        assert balance(ex, USDT)[1] == "0.00000000"

    @pytest.mark.parametrize("order_type", [OrderType.MARKET, OrderType.LIMIT])
    def test_fok_not_fillable_cancels_without_fills(self, order_type: OrderType) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("99.00", "100.00", ask_size="0.300"))
        price = "100.00" if order_type is OrderType.LIMIT else None
        fok = order(
            order_type=order_type, quantity="0.500", price=price, time_in_force=TimeInForce.FOK
        )
        msgs = ex.submit(fok, ts=11)
        assert kinds(msgs) == ["Accepted", "Canceled"]
        assert msgs[-1].reason == "FOK not fillable"  # type: ignore[attr-defined]
        assert ex.fills() == []
        assert balance(ex, USDT) == ("10000.00000000", "0.00000000", "10000.00000000")

    def test_fok_fills_whole_quantity_when_available(self) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("99.00", "100.00", ask_size="0.500"))
        fok = order(
            order_type=OrderType.MARKET, quantity="0.500", price=None, time_in_force=TimeInForce.FOK
        )
        msgs = ex.submit(fok, ts=11)
        assert kinds(msgs) == ["Accepted", "Filled"]
        assert status(ex, "O-1") is OrderStatus.FILLED

    def test_ioc_limit_that_does_not_cross_is_canceled(self) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("99.00", "100.00"))
        msgs = ex.submit(order(price="99.50", time_in_force=TimeInForce.IOC), ts=11)
        assert kinds(msgs) == ["Accepted", "Canceled"]
        assert msgs[-1].reason == IOC_REASON  # type: ignore[attr-defined]


class TestStops:
    def test_buy_stop_market_triggers_on_the_ask(self) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("99.00", "100.00"))
        stop = order(order_type=OrderType.STOP_MARKET, price=None, trigger_price="105.00")
        assert kinds(ex.submit(stop, ts=11)) == ["Accepted"]
        assert ex.on_quote(quote("103.00", "104.99", ts=12)) == ()
        msgs = ex.on_quote(quote("104.00", "105.00", ts=13))
        assert kinds(msgs) == ["Triggered", "Filled"]
        assert fills_of(msgs) == [("1.000", "105.00", "0.21000000 USDT", "TAKER")]
        check_invariants(ex)

    def test_sell_stop_triggers_on_a_trade_and_fills_at_the_bid(self) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("96.00", "97.00"))
        stop = order(side=SELL, order_type=OrderType.STOP_MARKET, price=None, trigger_price="95.00")
        ex.submit(stop, ts=11)
        assert ex.on_trade(trade("95.01", ts=12)) == ()
        msgs = ex.on_trade(trade("95.00", ts=13))
        assert kinds(msgs) == ["Triggered", "Filled"]
        assert fills_of(msgs) == [("1.000", "96.00", "0.19200000 USDT", "TAKER")]

    def test_stop_limit_marketable_on_trigger_takes_at_the_touch(self) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("99.00", "100.00"))
        ex.submit(
            order(order_type=OrderType.STOP_LIMIT, price="106.00", trigger_price="105.00"), ts=11
        )
        msgs = ex.on_quote(quote("105.00", "105.50", ts=12))
        assert kinds(msgs) == ["Triggered", "Filled"]
        assert fills_of(msgs) == [("1.000", "105.50", "0.21100000 USDT", "TAKER")]

    def test_stop_limit_not_marketable_rests_then_fills_as_maker(self) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("99.00", "100.00"))
        ex.submit(
            order(order_type=OrderType.STOP_LIMIT, price="104.00", trigger_price="105.00"), ts=11
        )
        msgs = ex.on_quote(quote("104.50", "105.00", ts=12))
        assert kinds(msgs) == ["Triggered"]
        assert status(ex, "O-1") is OrderStatus.TRIGGERED
        msgs = ex.on_quote(quote("103.00", "103.90", ts=13))
        assert fills_of(msgs) == [("1.000", "104.00", "0.10400000 USDT", "MAKER")]

    def test_stop_that_would_trigger_on_arrival_triggers_at_once(self) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("109.00", "110.00"))
        msgs = ex.submit(
            order(order_type=OrderType.STOP_MARKET, price=None, trigger_price="105.00"), ts=11
        )
        assert kinds(msgs) == ["Accepted", "Triggered", "Filled"]
        assert fills_of(msgs)[0][1] == "110.00"

    def test_last_trade_triggers_a_stop_on_arrival(self) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("99.00", "100.00"))
        ex.on_trade(trade("106.00", ts=11))
        msgs = ex.submit(
            order(order_type=OrderType.STOP_MARKET, price=None, trigger_price="105.00"), ts=12
        )
        assert kinds(msgs) == ["Accepted", "Triggered", "Filled"]
        assert fills_of(msgs)[0][1] == "100.00"

    def test_triggered_stop_without_a_quote_waits_for_one(self) -> None:
        ex = cash_exchange()
        stop = order(side=SELL, order_type=OrderType.STOP_MARKET, price=None, trigger_price="95.00")
        ex.submit(stop, ts=1)
        assert kinds(ex.on_trade(trade("94.00", ts=2))) == ["Triggered"]
        msgs = ex.on_quote(quote("93.00", "94.00", ts=3))
        assert fills_of(msgs) == [("1.000", "93.00", "0.18600000 USDT", "TAKER")]

    def test_stops_fire_nearest_trigger_first(self) -> None:
        ex = cash_exchange()
        ex.on_quote(quote("99.00", "100.00"))
        for coid, trigger in (("S-1", "104.00"), ("S-2", "102.00"), ("S-3", "103.00")):
            ex.submit(
                order(
                    coid,
                    order_type=OrderType.STOP_MARKET,
                    price=None,
                    trigger_price=trigger,
                    quantity="0.100",
                ),
                ts=11,
            )
        msgs = ex.on_quote(quote("103.00", "103.50", ts=12))
        assert [(type(m).__name__, str(m.client_order_id)) for m in msgs] == [
            ("Triggered", "S-2"),
            ("Filled", "S-2"),
            ("Triggered", "S-3"),
            ("Filled", "S-3"),
        ]


class TestTimeInForce:
    def test_gtd_expires_in_advance(self) -> None:
        ex = cash_exchange()
        ex.submit(order(time_in_force=TimeInForce.GTD, expire_time_ns=1_000), ts=1)
        assert ex.advance(999) == []
        assert ex.advance(1_000) == [
            Expired(
                client_order_id=ClientOrderId("O-1"),
                venue_order_id=VenueOrderId("SANDBOX-1"),
                instrument_id=PAIR.instrument_id,
                ts=1_000,
            )
        ]
        assert status(ex, "O-1") is OrderStatus.EXPIRED
        assert balance(ex, USDT)[1] == "0.00000000"
        assert ex.advance(2_000) == []

    def test_gtd_expires_at_a_quote_before_it_can_fill(self) -> None:
        ex = cash_exchange()
        ex.submit(order(time_in_force=TimeInForce.GTD, expire_time_ns=1_000), ts=1)
        msgs = ex.on_quote(quote("98.00", "99.00", ts=1_500))
        assert kinds(msgs) == ["Expired"]
        assert msgs[0].ts == 1_000
        assert ex.fills() == []

    def test_gtd_fills_at_a_quote_before_expiry(self) -> None:
        ex = cash_exchange()
        ex.submit(order(time_in_force=TimeInForce.GTD, expire_time_ns=1_000), ts=1)
        assert kinds(ex.on_quote(quote("98.00", "99.00", ts=999))) == ["Filled"]

    def test_day_order_expires_at_the_next_utc_midnight(self) -> None:
        ex = cash_exchange()
        accepted = 3 * NS_PER_DAY + 5
        ex.submit(order(time_in_force=TimeInForce.DAY), ts=accepted)
        assert ex.advance(4 * NS_PER_DAY - 1) == []
        assert kinds(ex.advance(4 * NS_PER_DAY)) == ["Expired"]

    def test_cancel_after_expiry_is_rejected(self) -> None:
        ex = cash_exchange()
        ex.submit(order(time_in_force=TimeInForce.GTD, expire_time_ns=1_000), ts=1)
        msgs = ex.cancel(ClientOrderId("O-1"), ts=2_000)
        assert kinds(msgs) == ["Expired", "CancelRejected"]
        assert msgs[1].reason == "order already EXPIRED"  # type: ignore[attr-defined]


class TestUnknownInstrumentsAndHotPath:
    def test_quote_without_working_orders_returns_the_shared_empty_tuple(self) -> None:
        ex = cash_exchange()
        first = ex.on_quote(quote("99.00", "100.00", ts=1))
        second = ex.on_quote(quote("99.00", "100.00", ts=2))
        assert first == ()
        assert first is second
        assert ex.last_quote(PAIR.instrument_id) == quote("99.00", "100.00", ts=2)

    def test_quotes_and_trades_of_unknown_instruments_are_ignored(self) -> None:
        ex = cash_exchange()
        other = InstrumentId("BTCUSDT.SANDBOX")
        q = quote("1.00", "2.00")
        q = type(q)(
            instrument_id=other,
            bid_price=q.bid_price,
            ask_price=q.ask_price,
            bid_size=q.bid_size,
            ask_size=q.ask_size,
            ts_event=1,
            ts_init=1,
        )
        assert ex.on_quote(q) == ()
        assert ex.last_quote(other) is None
        assert ex.cancel_all(other, ts=1) == []

    def test_side_wise_matching_only_touches_crossed_heads(self) -> None:
        """Many resting orders away from the market: a quote changes nothing."""
        ex = cash_exchange(usdt="1000000", eth="1000")
        for i in range(50):
            ex.submit(order(f"B-{i}", quantity="0.010", price=cents(9000 - 10 * i)), ts=1)
            ex.submit(
                order(f"S-{i}", side=SELL, quantity="0.010", price=cents(11000 + 10 * i)), ts=1
            )
        assert ex.on_quote(quote("99.00", "100.00", ts=2)) == ()
        msgs = ex.on_quote(quote("89.80", "89.90", bid_size="0", ask_size="0.020", ts=3))
        assert [str(m.client_order_id) for m in msgs] == ["B-0", "B-1"]
        check_invariants(ex)
