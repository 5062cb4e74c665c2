"""OrderFactory: exact id format, counter resume, each order type's fields, brackets."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from livetrade.errors import InvalidValue
from livetrade.model.enums import ContingencyType, OrderSide, OrderType, TimeInForce
from livetrade.model.events import OrderInitialized
from livetrade.model.identifiers import (
    ClientOrderId,
    InstrumentId,
    OrderListId,
    StrategyId,
    TraderId,
)
from livetrade.model.orders import Order
from livetrade.model.quantities import Price, Quantity
from livetrade.trading.order_factory import OrderFactory, OrderList

ETH = InstrumentId("ETHUSDT.BINANCE")
BUY, SELL = OrderSide.BUY, OrderSide.SELL
QTY = Quantity("1.500")
NOW_NS = int(datetime(2024, 3, 5, 14, 7, 9, tzinfo=UTC).timestamp()) * 10**9 + 987_654_321
STAMP = "20240305-140709"


class FixedClock:
    def __init__(self, ns: int = NOW_NS) -> None:
        self.ns = ns

    def timestamp_ns(self) -> int:
        return self.ns


def factory(
    clock: FixedClock | None = None, *, tag: str = "002", uuids: bool = False
) -> OrderFactory:
    return OrderFactory(
        TraderId("TRADER-001"),
        StrategyId(f"EMACross-{tag}"),
        clock or FixedClock(),
        order_id_tag=tag,
        use_uuid_client_order_ids=uuids,
    )


def coid(n: int, trader: str = "001", tag: str = "002") -> ClientOrderId:
    return ClientOrderId(f"O-{STAMP}-{trader}-{tag}-{n}")


# -- ids ---------------------------------------------------------------------------------


def test_client_order_id_format_is_nautilus_with_utc_time() -> None:
    clock = FixedClock()
    f = factory(clock)
    assert f.next_client_order_id() == ClientOrderId("O-20240305-140709-001-002-1")
    assert f.next_client_order_id() == ClientOrderId("O-20240305-140709-001-002-2")
    clock.ns = int(datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()) * 10**9
    assert f.next_client_order_id() == ClientOrderId("O-20251231-235959-001-002-3")
    assert f.count == 3


def test_order_list_ids_have_their_own_counter() -> None:
    f = factory()
    f.next_client_order_id()
    assert f.next_order_list_id() == OrderListId("OL-20240305-140709-001-002-1")
    assert f.next_order_list_id() == OrderListId("OL-20240305-140709-001-002-2")
    assert (f.count, f.order_list_count) == (1, 2)


def test_resume_after_skips_past_own_ids_only() -> None:
    f = factory()
    ids = [
        coid(7),
        coid(12),
        coid(99, tag="003"),  # another strategy
        coid(50, trader="002"),  # another trader
        ClientOrderId(f"O-{STAMP}-9001-002-40"),  # trader tag only ends with 001
        ClientOrderId(f"O-{STAMP}-001-1002-41"),  # order id tag only ends with 002
        ClientOrderId(str(uuid.uuid4())),
        ClientOrderId("garbage"),
        ClientOrderId(f"O-{STAMP}-001-002-abc"),
        ClientOrderId(f"O-{STAMP}-001-002-"),
        ClientOrderId(f"O-{STAMP}-001-002-60-x"),
        coid(3),
    ]
    assert f.resume_after(ids) == 12
    assert f.count == 12
    assert f.next_client_order_id() == coid(13)


def test_resume_after_never_moves_back() -> None:
    f = factory()
    assert f.resume_after([coid(5)]) == 5
    assert f.resume_after([coid(2)]) == 5
    assert f.resume_after([]) == 5
    f.next_client_order_id()
    assert f.count == 6


def test_resume_order_lists_after() -> None:
    f = factory()
    lists = [OrderListId(f"OL-{STAMP}-001-002-4"), OrderListId(f"OL-{STAMP}-001-003-9")]
    assert f.resume_order_lists_after(lists) == 4
    assert f.count == 0
    assert f.next_order_list_id() == OrderListId(f"OL-{STAMP}-001-002-5")


def test_reset_restarts_both_counters() -> None:
    f = factory()
    f.resume_after([coid(8)])
    f.next_order_list_id()
    f.reset()
    assert (f.count, f.order_list_count) == (0, 0)
    assert f.next_client_order_id() == coid(1)


def test_uuid_mode_gives_uuid4_client_order_ids() -> None:
    f = factory(uuids=True)
    first, second = f.next_client_order_id(), f.next_client_order_id()
    assert first != second
    for value in (first.value, second.value):
        assert str(uuid.UUID(value, version=4)) == value
    assert f.count == 0
    assert f.next_order_list_id() == OrderListId(f"OL-{STAMP}-001-002-1")
    init = f.market(ETH, BUY, QTY)
    assert uuid.UUID(init.client_order_id.value).version == 4


@pytest.mark.parametrize("tag", ["", "0-2", "a b", "x\n"])
def test_order_id_tag_is_checked(tag: str) -> None:
    with pytest.raises(InvalidValue, match="order_id_tag"):
        OrderFactory(TraderId("TRADER-001"), StrategyId("S-001"), FixedClock(), order_id_tag=tag)


# -- single orders -----------------------------------------------------------------------


def common(init: OrderInitialized, n: int = 1) -> None:
    assert init.trader_id == TraderId("TRADER-001")
    assert init.strategy_id == StrategyId("EMACross-002")
    assert init.instrument_id == ETH
    assert init.client_order_id == coid(n)
    assert init.ts_event == NOW_NS
    assert init.ts_init == NOW_NS
    assert init.contingency_type is ContingencyType.NO_CONTINGENCY
    assert init.order_list_id is None
    assert init.linked_order_ids == ()
    assert init.parent_order_id is None
    Order(init)  # the node can build the order from it


def test_market() -> None:
    init = factory().market(
        ETH, SELL, QTY, time_in_force=TimeInForce.IOC, reduce_only=True, tags=("EXIT",)
    )
    common(init)
    assert init.order_side is SELL
    assert init.order_type is OrderType.MARKET
    assert init.quantity == QTY
    assert init.time_in_force is TimeInForce.IOC
    assert (init.price, init.trigger_price, init.expire_time_ns) == (None, None, None)
    assert (init.post_only, init.reduce_only, init.tags) == (False, True, ("EXIT",))


def test_market_defaults() -> None:
    init = factory().market(ETH, BUY, QTY)
    assert init.time_in_force is TimeInForce.GTC
    assert (init.reduce_only, init.tags) == (False, ())


def test_limit() -> None:
    init = factory().limit(ETH, BUY, QTY, Price("2500.10"), post_only=True)
    common(init)
    assert init.order_type is OrderType.LIMIT
    assert init.price == Price("2500.10")
    assert init.trigger_price is None
    assert init.time_in_force is TimeInForce.GTC
    assert (init.post_only, init.reduce_only, init.expire_time_ns) == (True, False, None)


def test_limit_gtd() -> None:
    expire = NOW_NS + 60 * 10**9
    init = factory().limit(
        ETH, BUY, QTY, Price("2500"), time_in_force=TimeInForce.GTD, expire_time_ns=expire
    )
    common(init)
    assert (init.time_in_force, init.expire_time_ns) == (TimeInForce.GTD, expire)


def test_stop_market() -> None:
    init = factory().stop_market(ETH, SELL, QTY, Price("2400"), reduce_only=True)
    common(init)
    assert init.order_type is OrderType.STOP_MARKET
    assert (init.price, init.trigger_price) == (None, Price("2400"))
    assert init.reduce_only is True


def test_stop_limit() -> None:
    init = factory().stop_limit(
        ETH, BUY, QTY, Price("2610"), Price("2600"), time_in_force=TimeInForce.DAY, tags=("A", "B")
    )
    common(init)
    assert init.order_type is OrderType.STOP_LIMIT
    assert (init.price, init.trigger_price) == (Price("2610"), Price("2600"))
    assert (init.time_in_force, init.tags) == (TimeInForce.DAY, ("A", "B"))


def test_gtd_without_expire_time_is_refused_and_spends_no_id() -> None:
    f = factory()
    with pytest.raises(InvalidValue, match="a GTD LIMIT order needs expire_time_ns"):
        f.limit(ETH, BUY, QTY, Price("1"), time_in_force=TimeInForce.GTD)
    with pytest.raises(InvalidValue, match="GTD STOP_MARKET"):
        f.stop_market(ETH, BUY, QTY, Price("1"), time_in_force=TimeInForce.GTD)
    assert f.count == 0


def test_expire_time_without_gtd_is_refused() -> None:
    with pytest.raises(InvalidValue, match="only for GTD orders, got time in force GTC"):
        factory().limit(ETH, BUY, QTY, Price("1"), expire_time_ns=NOW_NS)


def test_market_gtd_is_refused() -> None:
    with pytest.raises(InvalidValue, match="a MARKET order cannot be GTD"):
        factory().market(ETH, BUY, QTY, time_in_force=TimeInForce.GTD)


# -- brackets ----------------------------------------------------------------------------


def test_bracket_market_entry_linkage() -> None:
    f = factory()
    bracket = f.bracket(ETH, BUY, QTY, sl_trigger_price=Price("2400"), tp_price=Price("2600"))
    list_id = OrderListId(f"OL-{STAMP}-001-002-1")
    entry, sl, tp = bracket.orders
    assert bracket.order_list_id == list_id
    assert bracket.first is entry
    assert [o.client_order_id for o in bracket.orders] == [coid(1), coid(2), coid(3)]

    assert entry.order_type is OrderType.MARKET
    assert (entry.order_side, entry.quantity, entry.reduce_only) == (BUY, QTY, False)
    assert entry.contingency_type is ContingencyType.OTO
    assert entry.linked_order_ids == (coid(2), coid(3))
    assert entry.parent_order_id is None
    assert entry.tags == ("ENTRY",)

    assert sl.order_type is OrderType.STOP_MARKET
    assert (sl.order_side, sl.quantity, sl.reduce_only) == (SELL, QTY, True)
    assert (sl.trigger_price, sl.price, sl.post_only) == (Price("2400"), None, False)
    assert sl.contingency_type is ContingencyType.OCO
    assert sl.linked_order_ids == (coid(3),)
    assert sl.parent_order_id == coid(1)
    assert sl.tags == ("STOP_LOSS",)

    assert tp.order_type is OrderType.LIMIT
    assert (tp.order_side, tp.quantity, tp.reduce_only) == (SELL, QTY, True)
    assert (tp.price, tp.trigger_price, tp.post_only) == (Price("2600"), None, True)
    assert tp.contingency_type is ContingencyType.OCO
    assert tp.linked_order_ids == (coid(2),)
    assert tp.parent_order_id == coid(1)
    assert tp.tags == ("TAKE_PROFIT",)

    for init in bracket.orders:
        assert init.order_list_id == list_id
        assert init.time_in_force is TimeInForce.GTC
        assert init.ts_event == NOW_NS
        Order(init)
    assert (f.count, f.order_list_count) == (3, 1)


@pytest.mark.parametrize(
    ("entry_price", "entry_trigger", "expected"),
    [
        (Price("2500"), None, OrderType.LIMIT),
        (None, Price("2500"), OrderType.STOP_MARKET),
        (Price("2510"), Price("2500"), OrderType.STOP_LIMIT),
    ],
)
def test_bracket_entry_types(
    entry_price: Price | None, entry_trigger: Price | None, expected: OrderType
) -> None:
    bracket = factory().bracket(
        ETH,
        BUY,
        QTY,
        sl_trigger_price=Price("2400"),
        tp_price=Price("2600"),
        entry_price=entry_price,
        entry_trigger_price=entry_trigger,
    )
    entry = bracket.first
    assert entry.order_type is expected
    assert (entry.price, entry.trigger_price) == (entry_price, entry_trigger)
    Order(entry)


def test_bracket_sell_ouo_with_gtd_entry() -> None:
    expire = NOW_NS + 10**12
    bracket = factory().bracket(
        ETH,
        SELL,
        QTY,
        sl_trigger_price=Price("2600"),
        tp_price=Price("2400"),
        entry_price=Price("2500"),
        time_in_force=TimeInForce.GTD,
        expire_time_ns=expire,
        entry_post_only=True,
        tp_post_only=False,
        contingency_type=ContingencyType.OUO,
        entry_tags=(),
        sl_tags=("SL",),
        tp_tags=("TP",),
    )
    entry, sl, tp = bracket.orders
    assert (entry.order_side, sl.order_side, tp.order_side) == (SELL, BUY, BUY)
    assert (entry.time_in_force, entry.expire_time_ns, entry.post_only) == (
        TimeInForce.GTD,
        expire,
        True,
    )
    assert (sl.time_in_force, sl.expire_time_ns) == (TimeInForce.GTC, None)
    assert (tp.time_in_force, tp.expire_time_ns, tp.post_only) == (TimeInForce.GTC, None, False)
    assert (sl.contingency_type, tp.contingency_type) == (ContingencyType.OUO,) * 2
    assert (entry.tags, sl.tags, tp.tags) == ((), ("SL",), ("TP",))
    for init in bracket.orders:
        Order(init)


def test_bracket_uuid_mode() -> None:
    bracket = factory(uuids=True).bracket(
        ETH, BUY, QTY, sl_trigger_price=Price("1"), tp_price=Price("2")
    )
    entry, sl, tp = bracket.orders
    assert entry.linked_order_ids == (sl.client_order_id, tp.client_order_id)
    assert sl.linked_order_ids == (tp.client_order_id,)
    assert tp.parent_order_id == entry.client_order_id
    assert bracket.order_list_id == OrderListId(f"OL-{STAMP}-001-002-1")


@pytest.mark.parametrize(
    ("side", "sl", "tp", "entry", "trigger", "message"),
    [
        (
            BUY,
            "2600",
            "2400",
            None,
            None,
            "BUY bracket: sl_trigger_price 2600 must be below tp_price 2400",
        ),
        (
            BUY,
            "2500",
            "2500",
            None,
            None,
            "BUY bracket: sl_trigger_price 2500 must be below tp_price 2500",
        ),
        (
            SELL,
            "2400",
            "2600",
            None,
            None,
            "SELL bracket: tp_price 2600 must be below sl_trigger_price 2400",
        ),
        (
            BUY,
            "2400",
            "2600",
            "2600",
            None,
            "BUY bracket: entry_price 2600 must lie strictly between sl_trigger_price 2400 and tp_price 2600",
        ),
        (
            BUY,
            "2400",
            "2600",
            None,
            "2300",
            "BUY bracket: entry_trigger_price 2300 must lie strictly between sl_trigger_price 2400 and tp_price 2600",
        ),
        (
            SELL,
            "2600",
            "2400",
            "2700",
            None,
            "SELL bracket: entry_price 2700 must lie strictly between tp_price 2400 and sl_trigger_price 2600",
        ),
        (
            SELL,
            "2600",
            "2400",
            "2500",
            "2400",
            "SELL bracket: entry_trigger_price 2400 must lie strictly between tp_price 2400 and sl_trigger_price 2600",
        ),
    ],
)
def test_bracket_price_order_is_checked(
    side: OrderSide, sl: str, tp: str, entry: str | None, trigger: str | None, message: str
) -> None:
    f = factory()
    with pytest.raises(InvalidValue) as info:
        f.bracket(
            ETH,
            side,
            QTY,
            sl_trigger_price=Price(sl),
            tp_price=Price(tp),
            entry_price=None if entry is None else Price(entry),
            entry_trigger_price=None if trigger is None else Price(trigger),
        )
    assert str(info.value) == message
    assert (f.count, f.order_list_count) == (0, 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"contingency_type": ContingencyType.OTO}, "bracket exits must be OCO or OUO, got OTO"),
        (
            {"contingency_type": ContingencyType.NO_CONTINGENCY},
            "bracket exits must be OCO or OUO, got NO_CONTINGENCY",
        ),
        ({"expire_time_ns": NOW_NS}, "expire_time_ns is given but no bracket leg is GTD"),
        ({"tp_time_in_force": TimeInForce.GTD}, "a GTD LIMIT order needs expire_time_ns"),
        ({"time_in_force": TimeInForce.GTD}, "a MARKET order cannot be GTD"),
        ({"entry_post_only": True}, "post_only needs a limit price; a MARKET order has none"),
    ],
)
def test_bracket_terms_are_checked_before_ids_are_spent(
    kwargs: dict[str, Any], message: str
) -> None:
    f = factory()
    with pytest.raises(InvalidValue) as info:
        f.bracket(
            ETH,
            BUY,
            QTY,
            sl_trigger_price=Price("1"),
            tp_price=Price("2"),
            **kwargs,
        )
    assert str(info.value) == message
    assert (f.count, f.order_list_count) == (0, 0)


def test_bracket_gtd_exit_uses_the_expire_time() -> None:
    bracket = factory().bracket(
        ETH,
        BUY,
        QTY,
        sl_trigger_price=Price("1"),
        tp_price=Price("2"),
        sl_time_in_force=TimeInForce.GTD,
        expire_time_ns=NOW_NS + 5,
    )
    entry, sl, tp = bracket.orders
    assert (entry.expire_time_ns, sl.expire_time_ns, tp.expire_time_ns) == (None, NOW_NS + 5, None)


def test_order_list_needs_an_order() -> None:
    with pytest.raises(ValueError, match="Length of 'orders' must be >= 1"):
        OrderList(OrderListId("OL-1"), ())
