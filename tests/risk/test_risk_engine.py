"""The risk engine: every denial reason, the pass path, trading states and throttles."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from livetrade.cache import Cache
from livetrade.config.engines import RiskEngineConfig
from livetrade.execution.messages import ModifyOrder, SubmitOrder, SubmitOrderList
from livetrade.model.data import QuoteTick
from livetrade.model.enums import OrderSide, OrderType, TradingState
from livetrade.model.events import OrderFilled, OrderInitialized
from livetrade.model.identifiers import (
    ClientOrderId,
    InstrumentId,
    OrderListId,
    PositionId,
    StrategyId,
    Symbol,
    TraderId,
)
from livetrade.model.instruments import CurrencyPair
from livetrade.model.money import Currency, Money
from livetrade.model.orders import Order
from livetrade.model.positions import Position
from livetrade.model.quantities import Price, Quantity
from livetrade.risk import RiskEngine, RiskStatistics
from livetrade.testing import OrderEvents, make_order, make_order_init

USDT = Currency.from_str("USDT")
ETH = Currency.from_str("ETH")
ETH_ID = InstrumentId("ETHUSDT.BINANCE")
BUY, SELL = OrderSide.BUY, OrderSide.SELL
SEC = 1_000_000_000

PAIR = CurrencyPair(
    instrument_id=ETH_ID,
    raw_symbol=Symbol("ETHUSDT"),
    base_currency=ETH,
    quote_currency=USDT,
    price_precision=2,
    size_precision=3,
    price_increment=Price("0.01"),
    size_increment=Quantity("0.001"),
    min_quantity=Quantity("0.010"),
    max_quantity=Quantity("100.000"),
    min_notional=Money("5", USDT),
    max_price=Price("100000.00"),
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0

    def timestamp_ns(self) -> int:
        return self.now


def config(**overrides: Any) -> RiskEngineConfig:
    settings: dict[str, Any] = {
        "max_order_submit_rate": "3/00:00:01",
        "max_order_modify_rate": "2/00:00:01",
        "max_notional_per_order": {ETH_ID: Decimal("1000")},
    }
    settings.update(overrides)
    return RiskEngineConfig(**settings)


class Setup:
    """A cache holding the ETH pair, a fake clock and an engine over both."""

    def __init__(self, **overrides: Any) -> None:
        self.cache = Cache()
        self.cache.add_instrument(PAIR)
        self.clock = FakeClock()
        self.engine = RiskEngine(config(**overrides), self.cache, self.clock)
        self._fills = 0

    def quote(self, bid: str, ask: str) -> None:
        self.cache.add_quote_tick(
            QuoteTick(
                instrument_id=ETH_ID,
                bid_price=Price(bid),
                ask_price=Price(ask),
                bid_size=Quantity("1.000"),
                ask_size=Quantity("1.000"),
                ts_event=0,
                ts_init=0,
            )
        )

    def hold(self, side: OrderSide, qty: str, strategy: str = "S-001") -> None:
        """Fill an order into the strategy's NETTING position."""
        self._fills += 1
        order = make_order(f"F-{self._fills}", side=side, quantity=qty, strategy_id=strategy)
        events = OrderEvents(order)
        for event in (events.submitted(), events.accepted(), events.filled()):
            order.apply(event)
        self.cache.add_order(order)
        fill = order.last_event
        assert isinstance(fill, OrderFilled)
        position_id = PositionId(f"{ETH_ID}-{strategy}")
        position = self.cache.position(position_id)
        if position is None:
            self.cache.add_position(Position.open(PAIR, fill, position_id))
        else:
            position.apply(fill)
            self.cache.update_position(position)

    def working(self, coid: str = "O-1", *, accept: bool = True, **kwargs: Any) -> Order:
        """An order in the cache, SUBMITTED, or ACCEPTED when ``accept``."""
        order = make_order(coid, **kwargs)
        events = OrderEvents(order)
        order.apply(events.submitted())
        if accept:
            order.apply(events.accepted())
        self.cache.add_order(order)
        return order


def submit(init: OrderInitialized) -> SubmitOrder:
    return SubmitOrder(
        trader_id=init.trader_id,
        strategy_id=init.strategy_id,
        instrument_id=init.instrument_id,
        ts_init=0,
        order=init,
    )


def submit_list(*inits: OrderInitialized) -> SubmitOrderList:
    return SubmitOrderList(
        trader_id=TraderId("TRADER-001"),
        strategy_id=StrategyId("S-001"),
        instrument_id=ETH_ID,
        ts_init=0,
        order_list_id=OrderListId("OL-1"),
        orders=inits,
    )


def modify(coid: str = "O-1", **changes: Any) -> ModifyOrder:
    return ModifyOrder(
        trader_id=TraderId("TRADER-001"),
        strategy_id=StrategyId("S-001"),
        instrument_id=ETH_ID,
        ts_init=0,
        client_order_id=ClientOrderId(coid),
        **changes,
    )


def stats(submits: tuple[int, int], modifies: tuple[int, int]) -> RiskStatistics:
    return RiskStatistics(
        submits_checked=submits[0],
        submits_denied=submits[1],
        modifies_checked=modifies[0],
        modifies_denied=modifies[1],
    )


# -- submit: checks 2, 3 and 5 in the ACTIVE state -----------------------------------------

E = "for ETHUSDT.BINANCE"

SUBMIT_DENIALS = [
    pytest.param(
        {"instrument_id": "BTCUSDT.BINANCE"},
        "unknown instrument BTCUSDT.BINANCE",
        id="unknown-instrument",
    ),
    pytest.param(
        {"price": "100.001"},
        f"price: price 100.001 has precision 3, above the price_precision 2 {E}",
        id="price-precision",
    ),
    pytest.param(
        {"price": "100001.00"},
        f"price: price 100001.00 is above the maximum 100000.00 {E}",
        id="price-above-max",
    ),
    pytest.param(
        {"order_type": OrderType.STOP_MARKET, "trigger_price": "99.001"},
        f"trigger_price: price 99.001 has precision 3, above the price_precision 2 {E}",
        id="trigger-precision",
    ),
    pytest.param(
        {"order_type": OrderType.STOP_LIMIT, "price": "98.00", "trigger_price": "100001.00"},
        f"trigger_price: price 100001.00 is above the maximum 100000.00 {E}",
        id="stop-limit-trigger-above-max",
    ),
    pytest.param(
        {"price": "100.001", "quantity": "0.005"},
        f"price: price 100.001 has precision 3, above the price_precision 2 {E}",
        id="price-checked-before-quantity",
    ),
    pytest.param(
        {"quantity": "0.005"},
        f"quantity: quantity 0.005 is below the minimum 0.010 {E}",
        id="quantity-below-min",
    ),
    pytest.param(
        {"quantity": "1.0005"},
        f"quantity: quantity 1.0005 has precision 4, above the size_precision 3 {E}",
        id="quantity-precision",
    ),
    pytest.param(
        {"quantity": "100.001", "price": "1.00"},
        f"quantity: quantity 100.001 is above the maximum 100.000 {E}",
        id="quantity-above-max",
    ),
    pytest.param(
        {"quantity": "0.040", "price": "100.00"},
        f"quantity: notional 4.00000000 USDT is below the minimum 5.00000000 USDT {E}",
        id="instrument-min-notional",
    ),
    pytest.param(
        {"quantity": "0.040", "price": "125.01"},
        None,
        id="instrument-min-notional-just-above",
    ),
]


@pytest.mark.parametrize(("terms", "reason"), SUBMIT_DENIALS)
def test_submit_checks(terms: dict[str, Any], reason: str | None) -> None:
    setup = Setup()
    assert setup.engine.check_submit(submit(make_order_init(**terms))) == reason
    denied = reason is not None
    # Only an order that passed the checks uses submit capacity.
    assert setup.engine.submit_throttler.used(0) == int(not denied)
    assert setup.engine.statistics() == stats((1, int(denied)), (0, 0))


MAX_NOTIONAL_CASES = [
    pytest.param(
        {"quantity": "10.001", "price": "100.00"},
        None,
        f"notional 1000.10000000 USDT of 10.001 @ 100.00 exceeds max_notional_per_order 1000 USDT {E}",
        id="limit-price-just-above",
    ),
    pytest.param(
        {"quantity": "3.001", "price": "333.23"},
        None,
        f"notional 1000.02323000 USDT of 3.001 @ 333.23 exceeds max_notional_per_order 1000 USDT {E}",
        id="exact-notional-shown-unrounded",
    ),
    pytest.param({"quantity": "10.000", "price": "100.00"}, None, None, id="exactly-at-the-cap"),
    pytest.param({"quantity": "10.001", "price": "99.99"}, None, None, id="999.99999-passes"),
    pytest.param(
        {"order_type": OrderType.STOP_MARKET, "quantity": "5.100", "trigger_price": "200.00"},
        None,
        f"notional 1020.00000000 USDT of 5.100 @ 200.00 exceeds max_notional_per_order 1000 USDT {E}",
        id="stop-uses-trigger-price",
    ),
    pytest.param(
        {"order_type": OrderType.MARKET, "quantity": "9.000"},
        ("100.00", "120.00"),
        f"notional 1080.00000000 USDT of 9.000 @ 120.00 exceeds max_notional_per_order 1000 USDT {E}",
        id="market-buy-uses-ask",
    ),
    pytest.param(
        {"order_type": OrderType.MARKET, "quantity": "9.000", "side": SELL},
        ("100.00", "120.00"),
        None,
        id="market-sell-uses-bid",
    ),
    pytest.param(
        {"order_type": OrderType.MARKET, "quantity": "50.000"},
        None,
        None,
        id="market-without-quote-skips-the-check",
    ),
    pytest.param(
        {"instrument_id": "ETHUSDT.BINANCE", "quantity": "0.010", "price": "500.00"},
        None,
        None,
        id="pass",
    ),
]


@pytest.mark.parametrize(("terms", "quote", "reason"), MAX_NOTIONAL_CASES)
def test_max_notional_per_order(
    terms: dict[str, Any], quote: tuple[str, str] | None, reason: str | None
) -> None:
    setup = Setup()
    if quote is not None:
        setup.quote(*quote)
    result = setup.engine.check_submit(submit(make_order_init(**terms)))
    assert result == reason
    assert setup.engine.submit_throttler.used(0) == int(reason is None)


def test_market_order_instrument_notional_uses_the_quote() -> None:
    """The instrument's own min notional is checked at the same reference price."""
    setup = Setup()
    order = submit(make_order_init(order_type=OrderType.MARKET, quantity="0.010"))
    assert setup.engine.check_submit(order) is None  # no quote: no notional known
    setup.quote("100.00", "100.05")
    assert setup.engine.check_submit(order) == (
        "quantity: notional 1.00050000 USDT is below the minimum 5.00000000 USDT "
        "for ETHUSDT.BINANCE"
    )


def test_only_instruments_with_a_cap_are_capped() -> None:
    setup = Setup(max_notional_per_order={})
    assert setup.engine.check_submit(submit(make_order_init(quantity="99.000"))) is None


# -- trading states ----------------------------------------------------------------------------


def test_trading_state_starts_active_and_set_returns_the_previous() -> None:
    engine = Setup().engine
    seen = [engine.trading_state]
    seen += [
        engine.set_trading_state(state) for state in (TradingState.REDUCING, TradingState.HALTED)
    ]
    seen.append(engine.trading_state)
    assert seen == [
        TradingState.ACTIVE,
        TradingState.ACTIVE,
        TradingState.REDUCING,
        TradingState.HALTED,
    ]


def test_halted_denies_first_even_an_unknown_instrument() -> None:
    setup = Setup()
    setup.engine.set_trading_state(TradingState.HALTED)
    halted = "trading state is HALTED: no new orders or modifies (cancels still go)"
    assert setup.engine.check_submit(submit(make_order_init())) == halted
    assert setup.engine.check_submit(submit(make_order_init(instrument_id="X.Y"))) == halted
    setup.engine.set_trading_state(TradingState.ACTIVE)
    assert setup.engine.check_submit(submit(make_order_init())) is None


REDUCING_CASES = [
    pytest.param(
        [],
        SELL,
        "1.000",
        "net position of ETHUSDT.BINANCE is flat: a SELL would open one",
        id="flat",
    ),
    pytest.param(
        [(BUY, "1.500", "S-001"), (BUY, "0.500", "S-002")],
        SELL,
        "2.000",
        None,
        id="close-net-long-exactly",
    ),
    pytest.param(
        [(BUY, "1.500", "S-001"), (BUY, "0.500", "S-002")],
        SELL,
        "0.100",
        None,
        id="reduce-net-long",
    ),
    pytest.param(
        [(BUY, "1.500", "S-001"), (BUY, "0.500", "S-002")],
        SELL,
        "2.001",
        "a SELL of 2.001 would flip the net LONG position of 2.000 ETHUSDT.BINANCE",
        id="flip",
    ),
    pytest.param(
        [(BUY, "1.500", "S-001"), (BUY, "0.500", "S-002")],
        BUY,
        "0.100",
        "a BUY would increase the net LONG position of 2.000 ETHUSDT.BINANCE",
        id="increase-long",
    ),
    pytest.param(
        [(BUY, "1.500", "S-001"), (SELL, "0.500", "S-002")],
        SELL,
        "1.500",
        "a SELL of 1.500 would flip the net LONG position of 1.000 ETHUSDT.BINANCE",
        id="net-across-strategies-not-the-strategy-own",
    ),
    pytest.param([(SELL, "3.000", "S-001")], BUY, "3.000", None, id="close-net-short"),
    pytest.param(
        [(SELL, "3.000", "S-001")],
        SELL,
        "0.100",
        "a SELL would increase the net SHORT position of 3.000 ETHUSDT.BINANCE",
        id="increase-short",
    ),
]


@pytest.mark.parametrize(("holdings", "side", "qty", "reason"), REDUCING_CASES)
def test_reducing(
    holdings: list[tuple[OrderSide, str, str]], side: OrderSide, qty: str, reason: str | None
) -> None:
    setup = Setup()
    for held_side, held_qty, strategy in holdings:
        setup.hold(held_side, held_qty, strategy)
    setup.engine.set_trading_state(TradingState.REDUCING)
    result = setup.engine.check_submit(submit(make_order_init(side=side, quantity=qty)))
    if reason is None:
        assert result is None
    else:
        assert result is not None
        assert result.startswith("trading state is REDUCING")
        assert result.endswith(reason)


def test_reducing_still_checks_the_order_terms_first() -> None:
    setup = Setup()
    setup.hold(BUY, "2.000")
    setup.engine.set_trading_state(TradingState.REDUCING)
    reason = setup.engine.check_submit(submit(make_order_init(side=SELL, price="100.001")))
    assert reason is not None and reason.startswith("price: price 100.001 has precision 3")


# -- submit throttle -----------------------------------------------------------------------------


def test_submit_throttle_counts_only_orders_that_passed_and_reopens_after_the_interval() -> None:
    setup = Setup()
    engine, clock = setup.engine, setup.clock
    for n in range(5):  # denied by the checks: no capacity used
        assert engine.check_submit(submit(make_order_init(f"BAD-{n}", price="1.001"))) is not None
    assert [engine.check_submit(submit(make_order_init(f"O-{n}"))) for n in range(3)] == [None] * 3
    clock.now = SEC - 1
    assert engine.check_submit(submit(make_order_init("O-3"))) == (
        "order submit rate exceeded: max_order_submit_rate is 3/00:00:01"
    )
    clock.now = SEC
    assert engine.check_submit(submit(make_order_init("O-4"))) is None
    assert engine.statistics() == stats((10, 6), (0, 0))


def test_bypass_checks_nothing_and_counts_nothing() -> None:
    setup = Setup(bypass=True)
    setup.engine.set_trading_state(TradingState.HALTED)
    bad = make_order_init(instrument_id="X.Y", price="1.001")
    assert [setup.engine.check_submit(submit(bad)) for _ in range(10)] == [None] * 10
    assert setup.engine.check_submit_list(submit_list(bad, bad, bad, bad)) is None
    assert setup.engine.check_modify(modify("O-404")) is None
    assert setup.engine.submit_throttler.used(0) == 0
    assert setup.engine.statistics() == stats((0, 0), (0, 0))


# -- order lists ---------------------------------------------------------------------------------


def test_list_passes_and_uses_one_slot_per_order() -> None:
    setup = Setup()
    orders = (make_order_init("O-A"), make_order_init("O-B", side=SELL, price="110.00"))
    assert setup.engine.check_submit_list(submit_list(*orders)) is None
    assert setup.engine.submit_throttler.used(0) == 2
    assert setup.engine.statistics() == stats((2, 0), (0, 0))


def test_list_with_one_bad_order_is_denied_whole_and_uses_nothing() -> None:
    setup = Setup()
    orders = (make_order_init("O-A"), make_order_init("O-B", price="100.001"))
    assert setup.engine.check_submit_list(submit_list(*orders)) == (
        "order list OL-1: order O-B: price: price 100.001 has precision 3, above the "
        "price_precision 2 for ETHUSDT.BINANCE"
    )
    assert setup.engine.submit_throttler.used(0) == 0
    assert setup.engine.statistics() == stats((2, 2), (0, 0))


def test_list_that_does_not_fit_the_rate_names_the_first_order_over_it() -> None:
    setup = Setup()
    assert setup.engine.check_submit(submit(make_order_init("O-1"))) is None
    assert setup.engine.check_submit(submit(make_order_init("O-2"))) is None
    orders = (make_order_init("O-A"), make_order_init("O-B"))
    assert setup.engine.check_submit_list(submit_list(*orders)) == (
        "order list OL-1: order O-B: order submit rate exceeded: max_order_submit_rate is "
        "3/00:00:01 (2 orders in the list)"
    )
    assert setup.engine.submit_throttler.used(0) == 2  # nothing consumed
    assert setup.engine.check_submit_list(submit_list(make_order_init("O-C"))) is None
    assert setup.engine.statistics() == stats((5, 2), (0, 0))


@pytest.mark.parametrize(
    ("state", "orders", "reason"),
    [
        pytest.param(TradingState.ACTIVE, (), "order list OL-1 has no orders", id="empty"),
        pytest.param(
            TradingState.HALTED,
            (make_order_init("O-A"),),
            "order list OL-1: trading state is HALTED: no new orders or modifies (cancels still go)",
            id="halted",
        ),
        pytest.param(
            TradingState.REDUCING,
            (make_order_init("O-A"),),
            "order list OL-1: order O-A: trading state is REDUCING and the net position of "
            "ETHUSDT.BINANCE is flat: a BUY would open one",
            id="reducing",
        ),
    ],
)
def test_list_denials(
    state: TradingState, orders: tuple[OrderInitialized, ...], reason: str
) -> None:
    setup = Setup()
    setup.engine.set_trading_state(state)
    assert setup.engine.check_submit_list(submit_list(*orders)) == reason


# -- modifies ------------------------------------------------------------------------------------


def _filled(setup: Setup) -> None:
    order = setup.working("O-F")
    order.apply(OrderEvents(order, ts_start=10).filled())


def _pending_cancel(setup: Setup) -> None:
    order = setup.working("O-P")
    order.apply(OrderEvents(order, ts_start=10).pending_cancel())


def _partly_filled(setup: Setup) -> None:
    order = setup.working("O-1")
    order.apply(OrderEvents(order, ts_start=10).filled("0.400"))


MODIFY_DENIALS = [
    pytest.param(None, modify("O-404"), "order O-404 is not in the cache", id="unknown-order"),
    pytest.param(
        lambda s: s.working("O-S", accept=False),
        modify("O-S"),
        "order O-S is SUBMITTED, not open: it cannot be modified",
        id="not-yet-accepted",
    ),
    pytest.param(
        _filled,
        modify("O-F"),
        "order O-F is FILLED, not open: it cannot be modified",
        id="closed",
    ),
    pytest.param(
        _pending_cancel,
        modify("O-P"),
        "order O-P is PENDING_CANCEL: it is being canceled",
        id="pending-cancel",
    ),
    pytest.param(
        lambda s: s.working("O-X", instrument_id="BTCUSDT.BINANCE"),
        modify("O-X"),
        "unknown instrument BTCUSDT.BINANCE",
        id="unknown-instrument",
    ),
    pytest.param(
        lambda s: s.working(),
        modify(price=Price("100.001")),
        "price: price 100.001 has precision 3, above the price_precision 2 for ETHUSDT.BINANCE",
        id="price-precision",
    ),
    pytest.param(
        lambda s: s.working(order_type=OrderType.STOP_MARKET),
        modify(trigger_price=Price("100001.00")),
        "trigger_price: price 100001.00 is above the maximum 100000.00 for ETHUSDT.BINANCE",
        id="trigger-above-max",
    ),
    pytest.param(
        lambda s: s.working(),
        modify(trigger_price=Price("99.00")),
        "order O-1 is a LIMIT order: it has no trigger price to modify",
        id="trigger-on-limit",
    ),
    pytest.param(
        lambda s: s.working(order_type=OrderType.MARKET),
        modify(price=Price("99.00")),
        "order O-1 is a MARKET order: it has no price to modify",
        id="price-on-market",
    ),
    pytest.param(
        lambda s: s.working(),
        modify(quantity=Quantity("0.005")),
        "quantity: quantity 0.005 is below the minimum 0.010 for ETHUSDT.BINANCE",
        id="quantity-below-min",
    ),
    pytest.param(
        lambda s: s.working(),
        modify(quantity=Quantity("0.040")),
        "quantity: notional 4.00000000 USDT is below the minimum 5.00000000 USDT for "
        "ETHUSDT.BINANCE",
        id="notional-at-the-order-price",
    ),
    pytest.param(
        lambda s: s.working(),
        modify(quantity=Quantity("0.060"), price=Price("80.00")),
        "quantity: notional 4.80000000 USDT is below the minimum 5.00000000 USDT for "
        "ETHUSDT.BINANCE",
        id="notional-at-the-new-price",
    ),
    pytest.param(
        _partly_filled,
        modify(quantity=Quantity("0.300")),
        "quantity: 0.300 is below the 0.400 already filled of order O-1",
        id="below-filled",
    ),
    pytest.param(
        lambda s: s.working(),
        modify(quantity=Quantity("10.001")),
        "notional 1000.10000000 USDT of 10.001 @ 100.00 exceeds max_notional_per_order 1000 USDT "
        "for ETHUSDT.BINANCE",
        id="max-notional-per-order",
    ),
]


@pytest.mark.parametrize(("prepare", "command", "reason"), MODIFY_DENIALS)
def test_modify_denials(prepare: Any, command: ModifyOrder, reason: str) -> None:
    setup = Setup()
    if prepare is not None:
        prepare(setup)
    assert setup.engine.check_modify(command) == reason
    assert setup.engine.modify_throttler.used(0) == 0
    assert setup.engine.statistics() == stats((0, 0), (1, 1))


def test_modify_passes_and_is_throttled() -> None:
    setup = Setup()
    setup.working()
    engine = setup.engine
    assert engine.check_modify(modify(price=Price("101.00"))) is None
    assert engine.check_modify(modify(quantity=Quantity("2.000"))) is None
    assert engine.check_modify(modify(price=Price("102.00"))) == (
        "order modify rate exceeded: max_order_modify_rate is 2/00:00:01"
    )
    setup.clock.now = SEC
    assert engine.check_modify(modify(price=Price("102.00"))) is None
    assert engine.submit_throttler.used(SEC) == 0  # modifies have their own throttle
    assert engine.statistics() == stats((0, 0), (4, 1))


@pytest.mark.parametrize(
    ("state", "command", "reason"),
    [
        pytest.param(
            TradingState.HALTED,
            modify(price=Price("99.00")),
            "trading state is HALTED: no new orders or modifies (cancels still go)",
            id="halted",
        ),
        pytest.param(
            TradingState.REDUCING,
            modify(quantity=Quantity("1.001")),
            "trading state is REDUCING: the quantity of order O-1 cannot increase from 1.000 "
            "to 1.001",
            id="reducing-increase",
        ),
        pytest.param(
            TradingState.REDUCING, modify(quantity=Quantity("0.500")), None, id="reducing-decrease"
        ),
        pytest.param(
            TradingState.REDUCING, modify(price=Price("99.00")), None, id="reducing-reprice"
        ),
    ],
)
def test_modify_in_trading_states(
    state: TradingState, command: ModifyOrder, reason: str | None
) -> None:
    setup = Setup()
    setup.working()
    setup.engine.set_trading_state(state)
    assert setup.engine.check_modify(command) == reason
