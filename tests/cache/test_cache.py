"""The cache: indexes follow orders and positions through their lives, purges clean every index."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import livetrade.cache
from livetrade.cache import Cache, CacheError, CacheStatistics, CacheView
from livetrade.errors import InvalidValue, OrderError
from livetrade.model.account import AccountBalance, AccountState
from livetrade.model.data import QuoteTick, TradeTick
from livetrade.model.enums import (
    AccountType,
    AggressorSide,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
)
from livetrade.model.events import OrderEvent, OrderFilled
from livetrade.model.identifiers import (
    AccountId,
    ClientId,
    ClientOrderId,
    InstrumentId,
    PositionId,
    StrategyId,
    Symbol,
    TradeId,
    Venue,
    VenueOrderId,
)
from livetrade.model.instruments import CurrencyPair
from livetrade.model.money import Currency, Money
from livetrade.model.orders import Order
from livetrade.model.positions import Position
from livetrade.model.quantities import Price, Quantity
from livetrade.testing import OrderEvents, make_order

USDT = Currency.from_str("USDT")
ETH = Currency.from_str("ETH")
BTC = Currency.from_str("BTC")
ETH_BN = InstrumentId("ETHUSDT.BINANCE")
BTC_BN = InstrumentId("BTCUSDT.BINANCE")
ETH_BY = InstrumentId("ETHUSDT.BYBIT")
BINANCE, BYBIT = Venue("BINANCE"), Venue("BYBIT")
S1, S2 = StrategyId("S-001"), StrategyId("S-002")
BUY, SELL = OrderSide.BUY, OrderSide.SELL
HOUR_NS = 3_600 * 10**9


def make_pair(instrument_id: InstrumentId = ETH_BN, base: Currency = ETH) -> CurrencyPair:
    return CurrencyPair(
        instrument_id=instrument_id,
        raw_symbol=Symbol(instrument_id.symbol.value),
        base_currency=base,
        quote_currency=USDT,
        price_precision=2,
        size_precision=3,
        price_increment=Price("0.01"),
        size_increment=Quantity("0.001"),
    )


def coid(value: str) -> ClientOrderId:
    return ClientOrderId(value)


def ids(orders: list[Order]) -> list[str]:
    return [o.client_order_id.value for o in orders]


def last_fill(order: Order) -> OrderFilled:
    event = order.last_event
    assert isinstance(event, OrderFilled)
    return event


def step(cache: Cache, order: Order, event: OrderEvent) -> None:
    """What the dispatcher does: apply the event, then let the cache re-index."""
    order.apply(event)
    cache.update_order(order)


def membership(cache: Cache, order: Order) -> tuple[bool, bool, bool]:
    """(open, closed, inflight) as the cache's queries see the order."""
    coid = order.client_order_id
    return (
        coid in {o.client_order_id for o in cache.orders_open()},
        coid in {o.client_order_id for o in cache.orders_closed()},
        coid in {o.client_order_id for o in cache.orders_inflight()},
    )


# -- orders through their lives ----------------------------------------------------------

OPEN, CLOSED, INFLIGHT = (True, False, False), (False, True, False), (False, False, True)
NEITHER = (False, False, False)
OPEN_INFLIGHT = (True, False, True)

LIFE_PATHS = [
    pytest.param(
        [("submitted", INFLIGHT), ("accepted", OPEN), ("filled", CLOSED)],
        id="submitted-inflight-accepted-open-filled-closed",
    ),
    pytest.param(
        [
            ("submitted", INFLIGHT),
            ("accepted", OPEN),
            ("pending_cancel", OPEN_INFLIGHT),
            ("canceled", CLOSED),
        ],
        id="pending-cancel-is-open-and-inflight",
    ),
    pytest.param(
        [
            ("submitted", INFLIGHT),
            ("accepted", OPEN),
            ("pending_cancel", OPEN_INFLIGHT),
            ("cancel_rejected", OPEN),
        ],
        id="cancel-rejected-back-to-open",
    ),
    pytest.param(
        [
            ("submitted", INFLIGHT),
            ("accepted", OPEN),
            ("pending_update", OPEN_INFLIGHT),
            ("partial_fill", OPEN_INFLIGHT),
            ("updated", OPEN),
            ("filled", CLOSED),
        ],
        id="pending-update-partial-fill-stays-inflight",
    ),
    pytest.param([("submitted", INFLIGHT), ("rejected", CLOSED)], id="rejected"),
    pytest.param([("denied", CLOSED)], id="denied-before-submit"),
    pytest.param([("submitted", INFLIGHT), ("filled", CLOSED)], id="fill-overtakes-ack"),
]

MAKERS: dict[str, Callable[[OrderEvents], OrderEvent]] = {
    "denied": lambda ev: ev.denied(),
    "submitted": lambda ev: ev.submitted(),
    "accepted": lambda ev: ev.accepted(),
    "rejected": lambda ev: ev.rejected(),
    "canceled": lambda ev: ev.canceled(),
    "expired": lambda ev: ev.expired(),
    "triggered": lambda ev: ev.triggered(),
    "pending_update": lambda ev: ev.pending_update(),
    "pending_cancel": lambda ev: ev.pending_cancel(),
    "modify_rejected": lambda ev: ev.modify_rejected(),
    "cancel_rejected": lambda ev: ev.cancel_rejected(),
    "updated": lambda ev: ev.updated(price="101.00"),
    "partial_fill": lambda ev: ev.filled("0.250"),
    "filled": lambda ev: ev.filled(),
}


class TestOrderLifecycle:
    @pytest.mark.parametrize("path", LIFE_PATHS)
    def test_status_indexes_follow_every_event(
        self, path: list[tuple[str, tuple[bool, bool, bool]]]
    ) -> None:
        cache = Cache()
        order = make_order("O-1")
        cache.add_order(order)
        assert membership(cache, order) == NEITHER
        events = OrderEvents(order)
        for name, expected in path:
            step(cache, order, MAKERS[name](events))
            assert membership(cache, order) == expected, name
            stats = cache.statistics()
            assert (stats.orders_open, stats.orders_closed, stats.orders_inflight) == tuple(
                int(flag) for flag in expected
            )
            assert cache.orders_open_count() == stats.orders_open
            assert cache.orders_inflight_count() == stats.orders_inflight

    def test_an_order_added_mid_life_is_indexed_by_its_status(self) -> None:
        """Orders rebuilt from the database or reconciliation arrive in any status."""
        order = make_order("O-1")
        events = OrderEvents(order)
        order.apply(events.submitted())
        order.apply(events.accepted())
        cache = Cache()
        cache.add_order(order)
        assert membership(cache, order) == OPEN
        assert cache.client_order_id_for(VenueOrderId("V-O-1")) == coid("O-1")

    def test_adding_a_duplicate_client_order_id_fails_and_keeps_the_first(self) -> None:
        cache = Cache()
        first = make_order("O-1")
        cache.add_order(first)
        with pytest.raises(CacheError, match="order O-1 is already in the cache") as info:
            cache.add_order(make_order("O-1", side=SELL))
        assert info.value.key == coid("O-1")
        assert cache.order(coid("O-1")) is first
        assert cache.orders_count() == 1
        assert cache.orders_count(side=SELL) == 0

    def test_updating_an_unknown_order_fails(self) -> None:
        with pytest.raises(CacheError, match="order O-9 is not in the cache: add_order it first"):
            Cache().update_order(make_order("O-9"))

    def test_routing_and_owner_lookups(self) -> None:
        cache = Cache()
        cache.add_order(make_order("O-1", strategy_id="S-002"), client_id=ClientId("BINANCE"))
        cache.add_order(make_order("O-2"))
        assert cache.client_id_for_order(coid("O-1")) == ClientId("BINANCE")
        assert cache.client_id_for_order(coid("O-2")) is None
        assert cache.strategy_id_for_order(coid("O-1")) == S2
        assert cache.strategy_id_for_order(coid("O-9")) is None
        assert cache.order(coid("O-9")) is None


class TestVenueOrderIds:
    def test_the_venue_order_id_is_indexed_once_the_venue_gives_one(self) -> None:
        cache = Cache()
        order = make_order("O-1")
        cache.add_order(order)
        events = OrderEvents(order, venue_order_id="V-1")
        step(cache, order, events.submitted())
        assert cache.client_order_id_for(VenueOrderId("V-1")) is None
        step(cache, order, events.accepted())
        assert cache.client_order_id_for(VenueOrderId("V-1")) == coid("O-1")
        assert cache.statistics().venue_order_ids == 1

    def test_a_changed_venue_order_id_resolves_and_the_old_one_still_does(self) -> None:
        """A cancel-replace modify gives a new id; late messages may carry the old one."""
        cache = Cache()
        order = make_order("O-1")
        cache.add_order(order)
        events = OrderEvents(order, venue_order_id="V-1")
        step(cache, order, events.submitted())
        step(cache, order, events.accepted())
        events.venue_order_id = VenueOrderId("V-2")
        step(cache, order, events.updated(price="101.00"))
        assert order.venue_order_id == VenueOrderId("V-2")
        assert cache.client_order_id_for(VenueOrderId("V-2")) == coid("O-1")
        assert cache.client_order_id_for(VenueOrderId("V-1")) == coid("O-1")
        step(cache, order, events.canceled())
        assert cache.purge_order(coid("O-1")) is order
        assert cache.client_order_id_for(VenueOrderId("V-1")) is None
        assert cache.client_order_id_for(VenueOrderId("V-2")) is None
        assert cache.statistics().venue_order_ids == 0

    def test_purging_an_order_leaves_a_later_owner_of_the_same_venue_id_alone(self) -> None:
        """Venue order ids are unique per venue only: two venues may both say ``123``."""
        cache = Cache()
        old = make_order("O-1", instrument_id="ETHUSDT.BINANCE")
        new = make_order("O-2", instrument_id="ETHUSDT.BYBIT")
        old_events = OrderEvents(old, venue_order_id="123")
        new_events = OrderEvents(new, venue_order_id="123")
        cache.add_order(old)
        cache.add_order(new)
        step(cache, old, old_events.accepted())
        step(cache, old, old_events.canceled())
        step(cache, new, new_events.accepted())
        assert cache.client_order_id_for(VenueOrderId("123")) == coid("O-2")
        cache.purge_order(coid("O-1"))
        assert cache.client_order_id_for(VenueOrderId("123")) == coid("O-2")


# -- filters -----------------------------------------------------------------------------


def filter_fixture() -> Cache:
    """O-1..O-5 across two venues, three instruments, two strategies and both sides.

    O-1, O-3 and O-5 are accepted (open), O-2 is filled (closed), O-4 submitted.
    """
    cache = Cache()
    specs = [
        ("O-1", "ETHUSDT.BINANCE", "S-001", BUY, "accepted"),
        ("O-2", "ETHUSDT.BINANCE", "S-002", SELL, "filled"),
        ("O-3", "BTCUSDT.BINANCE", "S-001", SELL, "accepted"),
        ("O-4", "ETHUSDT.BYBIT", "S-001", BUY, "submitted"),
        ("O-5", "ETHUSDT.BYBIT", "S-002", BUY, "accepted"),
    ]
    for name, instrument, strategy, side, last in specs:
        order = make_order(name, instrument_id=instrument, strategy_id=strategy, side=side)
        cache.add_order(order)
        events = OrderEvents(order)
        step(cache, order, events.submitted())
        if last != "submitted":
            step(cache, order, events.accepted())
        if last == "filled":
            step(cache, order, events.filled())
    return cache


ORDER_FILTERS = [
    pytest.param({}, ["O-1", "O-2", "O-3", "O-4", "O-5"], ["O-1", "O-3", "O-5"], id="none"),
    pytest.param({"venue": BINANCE}, ["O-1", "O-2", "O-3"], ["O-1", "O-3"], id="venue"),
    pytest.param({"instrument_id": ETH_BN}, ["O-1", "O-2"], ["O-1"], id="instrument"),
    pytest.param({"strategy_id": S2}, ["O-2", "O-5"], ["O-5"], id="strategy"),
    pytest.param({"side": SELL}, ["O-2", "O-3"], ["O-3"], id="side"),
    pytest.param(
        {"venue": BYBIT, "strategy_id": S1, "side": BUY}, ["O-4"], [], id="venue-strategy-side"
    ),
    pytest.param({"instrument_id": ETH_BN, "side": SELL}, ["O-2"], [], id="instrument-side"),
    pytest.param({"instrument_id": InstrumentId("XRPUSDT.BINANCE")}, [], [], id="unknown-key"),
]


class TestOrderFilters:
    @pytest.mark.parametrize(("filters", "every", "open_"), ORDER_FILTERS)
    def test_queries_and_counts_agree(
        self, filters: dict[str, Any], every: list[str], open_: list[str]
    ) -> None:
        cache = filter_fixture()
        assert ids(cache.orders(**filters)) == every
        assert ids(cache.orders_open(**filters)) == open_
        assert cache.orders_count(**filters) == len(every)
        assert cache.orders_open_count(**filters) == len(open_)
        assert cache.client_order_ids(**filters) == {coid(c) for c in every}
        closed = [o for o in cache.orders(**filters) if o.is_closed]
        inflight = [o for o in cache.orders(**filters) if o.is_inflight]
        assert cache.orders_closed(**filters) == closed
        assert cache.orders_inflight(**filters) == inflight
        assert cache.orders_closed_count(**filters) == len(closed)
        assert cache.orders_inflight_count(**filters) == len(inflight)

    def test_results_are_fresh_copies(self) -> None:
        cache = filter_fixture()
        cache.orders_open().clear()
        cache.client_order_ids().clear()
        assert cache.orders_open_count() == 3
        assert cache.orders_count() == 5


# -- positions ---------------------------------------------------------------------------


def filled_order(
    cache: Cache,
    name: str,
    side: OrderSide,
    qty: str,
    *,
    strategy: str = "S-001",
    instrument: InstrumentId = ETH_BN,
    ts_start: int = 1,
) -> tuple[Order, OrderEvents]:
    """An order added to the cache and filled completely; its events to make more."""
    order = make_order(
        name, side=side, quantity=qty, strategy_id=strategy, instrument_id=instrument.value
    )
    cache.add_order(order)
    events = OrderEvents(order, ts_start=ts_start)
    step(cache, order, events.submitted())
    step(cache, order, events.accepted())
    step(cache, order, events.filled())
    return order, events


class TestPositions:
    def test_open_then_closed_with_net_quantity(self) -> None:
        cache = Cache()
        opening, _ = filled_order(cache, "O-1", BUY, "1.500")
        position = Position.open(make_pair(), last_fill(opening), PositionId("P-1"))
        cache.add_position(position)
        assert cache.positions_open() == [position]
        assert cache.position_for_order(coid("O-1")) is position
        assert cache.position_id_for_order(coid("O-1")) == PositionId("P-1")
        assert cache.net_position_raw(ETH_BN) == 1_500_000_000
        assert cache.positions_open_count(side=PositionSide.LONG) == 1

        closing, _ = filled_order(cache, "O-2", SELL, "1.500", ts_start=10)
        position.apply(last_fill(closing))
        cache.update_position(position)
        assert cache.positions_open() == []
        assert cache.positions_closed(side=PositionSide.FLAT) == [position]
        assert cache.positions_count(side=PositionSide.LONG) == 0
        assert cache.position_for_order(coid("O-2")) is position
        assert cache.net_position_raw(ETH_BN) == 0
        stats = cache.statistics()
        assert (stats.positions, stats.positions_open, stats.positions_closed) == (1, 0, 1)
        assert stats.order_positions == 2

    def test_net_position_sums_open_positions_by_instrument_and_strategy(self) -> None:
        cache = Cache()
        pair, btc = make_pair(), make_pair(BTC_BN, BTC)
        fills = [
            ("O-1", BUY, "1.000", "S-001", ETH_BN, pair),
            ("O-2", SELL, "0.400", "S-001", ETH_BN, pair),  # hedging: its own position
            ("O-3", SELL, "2.000", "S-002", ETH_BN, pair),
            ("O-4", BUY, "5.000", "S-001", BTC_BN, btc),
        ]
        for name, side, qty, strategy, instrument, inst in fills:
            order, _ = filled_order(
                cache, name, side, qty, strategy=strategy, instrument=instrument
            )
            fill = last_fill(order)
            cache.add_position(Position.open(inst, fill, PositionId(f"P-{name}")))
        assert cache.net_position_raw(ETH_BN) == -1_400_000_000
        assert cache.net_position_raw(ETH_BN, strategy_id=S1) == 600_000_000
        assert cache.net_position_raw(ETH_BN, strategy_id=S2) == -2_000_000_000
        assert cache.net_position_raw(BTC_BN) == 5_000_000_000
        assert cache.net_position_raw(ETH_BY) == 0
        assert [p.id.value for p in cache.positions(strategy_id=S1, instrument_id=ETH_BN)] == [
            "P-O-1",
            "P-O-2",
        ]
        assert cache.positions_count(venue=BINANCE, side=PositionSide.SHORT) == 2
        assert cache.positions_count(venue=BYBIT) == 0

    def test_a_flip_moves_the_position_between_side_indexes(self) -> None:
        cache = Cache()
        opening, _ = filled_order(cache, "O-1", BUY, "1.000")
        position = Position.open(make_pair(), last_fill(opening), PositionId("P-1"))
        cache.add_position(position)
        flipping, _ = filled_order(cache, "O-2", SELL, "3.000", ts_start=10)
        position.apply(last_fill(flipping))
        cache.update_position(position)
        assert cache.positions_open(side=PositionSide.SHORT) == [position]
        assert cache.positions_open(side=PositionSide.LONG) == []
        assert cache.net_position_raw(ETH_BN) == -2_000_000_000

    def test_an_order_position_id_set_by_the_engine_is_indexed(self) -> None:
        cache = Cache()
        order = make_order("O-1")
        cache.add_order(order)
        events = OrderEvents(order)
        step(cache, order, events.submitted())
        assert cache.position_id_for_order(coid("O-1")) is None
        step(cache, order, events.filled(position_id="P-7"))
        assert cache.position_id_for_order(coid("O-1")) == PositionId("P-7")
        assert cache.position_for_order(coid("O-1")) is None  # not held yet

    def test_duplicate_and_unknown_positions_fail(self) -> None:
        cache = Cache()
        opening, _ = filled_order(cache, "O-1", BUY, "1.000")
        position = Position.open(make_pair(), last_fill(opening), PositionId("P-1"))
        cache.add_position(position)
        with pytest.raises(CacheError, match="position P-1 is already in the cache"):
            cache.add_position(position)
        other = Position.open(make_pair(), last_fill(opening), PositionId("P-2"))
        with pytest.raises(CacheError, match="position P-2 is not in the cache"):
            cache.update_position(other)
        assert cache.positions_count() == 1


# -- purging -----------------------------------------------------------------------------


def canceled_order(cache: Cache, name: str, *, ts_start: int = 1) -> Order:
    order = make_order(name)
    cache.add_order(order, client_id=ClientId("BINANCE"))
    events = OrderEvents(order, ts_start=ts_start)
    for event in (events.submitted(), events.accepted(), events.canceled()):
        step(cache, order, event)
    return order


def assert_no_trace_of_orders(cache: Cache, *names: str) -> None:
    for name in names:
        c = coid(name)
        assert cache.order(c) is None
        assert cache.client_id_for_order(c) is None
        assert cache.strategy_id_for_order(c) is None
        assert cache.position_id_for_order(c) is None
        assert cache.client_order_id_for(VenueOrderId(f"V-{name}")) is None
        for query in (cache.client_order_ids(venue=BINANCE), cache.client_order_ids(side=BUY)):
            assert c not in query


class TestPurgeOrders:
    @pytest.mark.parametrize(
        ("age_ns", "purged"),
        [
            pytest.param(HOUR_NS - 1, False, id="younger-than-buffer"),
            pytest.param(HOUR_NS, True, id="exactly-buffer"),
            pytest.param(HOUR_NS + 1, True, id="older"),
        ],
    )
    def test_closed_orders_are_purged_after_the_buffer(self, age_ns: int, purged: bool) -> None:
        cache = Cache()
        order = canceled_order(cache, "O-1")
        removed = cache.purge_closed_orders(order.ts_last + age_ns, HOUR_NS)
        assert removed == ([coid("O-1")] if purged else [])
        assert (cache.order(coid("O-1")) is None) is purged

    def test_purge_removes_the_order_from_every_index(self) -> None:
        cache = Cache()
        for i in range(1, 4):
            canceled_order(cache, f"O-{i}", ts_start=i * 10)
        still_open = make_order("O-4")
        cache.add_order(still_open)
        events = OrderEvents(still_open)
        step(cache, still_open, events.submitted())
        step(cache, still_open, events.accepted())

        removed = cache.purge_closed_orders(ts_now=10**12, buffer_ns=0)

        assert removed == [coid("O-1"), coid("O-2"), coid("O-3")]
        assert_no_trace_of_orders(cache, "O-1", "O-2", "O-3")
        assert ids(cache.orders(instrument_id=ETH_BN, strategy_id=S1, side=BUY)) == ["O-4"]
        assert cache.statistics() == CacheStatistics(
            instruments=0,
            orders=1,
            orders_open=1,
            orders_closed=0,
            orders_inflight=0,
            positions=0,
            positions_open=0,
            positions_closed=0,
            accounts=0,
            account_states=0,
            quote_ticks=0,
            trade_ticks=0,
            venue_order_ids=1,
            order_positions=0,
        )

    def test_an_order_whose_position_is_open_is_kept_until_the_position_closes(self) -> None:
        cache = Cache()
        opening, _ = filled_order(cache, "O-1", BUY, "1.000")
        position = Position.open(make_pair(), last_fill(opening), PositionId("P-1"))
        cache.add_position(position)
        unrelated = canceled_order(cache, "O-9")

        assert cache.purge_closed_orders(ts_now=10**12, buffer_ns=0) == [unrelated.client_order_id]
        assert cache.order(coid("O-1")) is opening

        closing, _ = filled_order(cache, "O-2", SELL, "1.000", ts_start=10)
        position.apply(last_fill(closing))
        cache.update_position(position)
        assert cache.purge_closed_orders(ts_now=10**12, buffer_ns=0) == [coid("O-1"), coid("O-2")]
        assert_no_trace_of_orders(cache, "O-1", "O-2", "O-9")
        assert cache.statistics().order_positions == 0
        assert cache.position(PositionId("P-1")) is position  # positions purge separately

    def test_purge_order_refuses_an_order_that_is_not_closed(self) -> None:
        cache = Cache()
        order = make_order("O-1")
        cache.add_order(order)
        step(cache, order, OrderEvents(order).submitted())
        with pytest.raises(CacheError, match="cannot purge order O-1: it is SUBMITTED"):
            cache.purge_order(coid("O-1"))
        assert cache.orders_inflight() == [order]
        assert cache.purge_order(coid("O-404")) is None

    def test_a_purged_client_order_id_can_be_held_again(self) -> None:
        """Nothing of the purged order lingers to collide with (a reload from the database)."""
        cache = Cache()
        canceled_order(cache, "O-1")
        cache.purge_closed_orders(ts_now=10**12, buffer_ns=0)
        cache.add_order(make_order("O-1"))
        assert cache.orders_count() == 1


class TestPurgePositions:
    def make_closed(self, cache: Cache) -> Position:
        opening, _ = filled_order(cache, "O-1", BUY, "1.000")
        position = Position.open(make_pair(), last_fill(opening), PositionId("P-1"))
        cache.add_position(position)
        closing, _ = filled_order(cache, "O-2", SELL, "1.000", ts_start=100)
        position.apply(last_fill(closing))
        cache.update_position(position)
        return position

    @pytest.mark.parametrize(
        ("age_ns", "purged"),
        [
            pytest.param(HOUR_NS - 1, False, id="younger-than-buffer"),
            pytest.param(HOUR_NS, True, id="exactly-buffer"),
        ],
    )
    def test_closed_positions_are_purged_after_the_buffer(self, age_ns: int, purged: bool) -> None:
        cache = Cache()
        position = self.make_closed(cache)
        assert position.ts_closed is not None
        removed = cache.purge_closed_positions(position.ts_closed + age_ns, HOUR_NS)
        assert removed == ([PositionId("P-1")] if purged else [])

    def test_purge_removes_the_position_from_every_index(self) -> None:
        cache = Cache()
        self.make_closed(cache)
        opened, _ = filled_order(cache, "O-3", BUY, "2.000", ts_start=200)
        still_open = Position.open(make_pair(), last_fill(opened), PositionId("P-2"))
        cache.add_position(still_open)

        assert cache.purge_closed_positions(ts_now=10**12, buffer_ns=0) == [PositionId("P-1")]

        assert cache.position(PositionId("P-1")) is None
        assert cache.position_id_for_order(coid("O-1")) is None
        assert cache.position_id_for_order(coid("O-2")) is None
        assert cache.positions(instrument_id=ETH_BN, strategy_id=S1, venue=BINANCE) == [still_open]
        assert cache.positions(side=PositionSide.FLAT) == []
        stats = cache.statistics()
        assert (stats.positions, stats.positions_open, stats.positions_closed) == (1, 1, 0)
        assert stats.order_positions == 1  # O-3 -> P-2

    def test_purge_position_refuses_an_open_position(self) -> None:
        cache = Cache()
        opening, _ = filled_order(cache, "O-1", BUY, "1.000")
        position = Position.open(make_pair(), last_fill(opening), PositionId("P-1"))
        cache.add_position(position)
        with pytest.raises(CacheError, match="cannot purge position P-1: it is open"):
            cache.purge_position(PositionId("P-1"))
        assert cache.positions_open() == [position]
        assert cache.purge_position(PositionId("P-404")) is None


# -- accounts ----------------------------------------------------------------------------


def account_state(ts: int, total: str = "100", account: str = "BINANCE-001") -> AccountState:
    balance = AccountBalance.from_total_and_locked(Money(total, USDT), Money("0", USDT))
    return AccountState(
        account_id=AccountId(account),
        account_type=AccountType.CASH,
        base_currency=None,
        reported=True,
        balances=(balance,),
        ts_event=ts,
        ts_init=ts,
    )


class TestAccounts:
    def test_latest_state_history_and_venue_lookup(self) -> None:
        cache = Cache()
        first, second = account_state(10, "100"), account_state(20, "90")
        late = account_state(15, "95")  # arrives after the later state
        for state in (first, second, late):
            cache.add_account_state(state)
        account_id = AccountId("BINANCE-001")
        assert cache.account_state(account_id) is second
        assert cache.account_states(account_id) == [first, late, second]
        assert cache.account_id_for_venue(BINANCE) == account_id
        assert cache.account_id_for_venue(BYBIT) is None
        assert cache.account_state(AccountId("BYBIT-001")) is None
        assert cache.account_ids() == [account_id]

    @pytest.mark.parametrize(
        ("lookback_ns", "kept_ts"),
        [
            pytest.param(75, [30], id="older-than-lookback-removed"),
            pytest.param(80, [30], id="exactly-lookback-old-removed"),
            pytest.param(81, [20, 30], id="just-younger-kept"),
            pytest.param(0, [30], id="zero-lookback-keeps-latest"),
            pytest.param(10**6, [10, 20, 30], id="nothing-old-enough"),
        ],
    )
    def test_purge_keeps_recent_states_and_always_the_latest(
        self, lookback_ns: int, kept_ts: list[int]
    ) -> None:
        cache = Cache()
        states = [account_state(ts) for ts in (10, 20, 30)]
        for state in states:
            cache.add_account_state(state)
        cache.add_account_state(account_state(5, account="BYBIT-001"))  # a lone latest state
        removed = cache.purge_account_events(ts_now=100, lookback_ns=lookback_ns)
        history = cache.account_states(AccountId("BINANCE-001"))
        assert [s.ts_event for s in history] == kept_ts
        assert removed == [s for s in states if s not in history]
        assert cache.account_states(AccountId("BYBIT-001"))[0].ts_event == 5
        assert cache.statistics().account_states == len(kept_ts) + 1


# -- market data -------------------------------------------------------------------------


def quote(ts: int, bid: str = "100.00", ask: str = "100.05") -> QuoteTick:
    return QuoteTick(
        instrument_id=ETH_BN,
        bid_price=Price(bid),
        ask_price=Price(ask),
        bid_size=Quantity("1.000"),
        ask_size=Quantity("1.000"),
        ts_event=ts,
        ts_init=ts,
    )


def trade(ts: int) -> TradeTick:
    return TradeTick(
        instrument_id=ETH_BN,
        price=Price("100.00"),
        size=Quantity("0.100"),
        aggressor_side=AggressorSide.BUYER,
        trade_id=TradeId(f"T-{ts}"),
        ts_event=ts,
        ts_init=ts,
    )


class TestMarketData:
    def test_history_is_bounded_and_newest_first(self) -> None:
        cache = Cache(tick_capacity=3)
        for ts in range(1, 6):
            cache.add_quote_tick(quote(ts))
            cache.add_trade_tick(trade(ts))
        assert [q.ts_event for q in cache.quote_ticks(ETH_BN)] == [5, 4, 3]
        assert [t.ts_event for t in cache.trade_ticks(ETH_BN)] == [5, 4, 3]
        assert cache.quote_tick(ETH_BN) == quote(5)
        assert cache.trade_tick(ETH_BN, index=2) == trade(3)
        assert cache.quote_tick(ETH_BN, index=3) is None
        assert cache.quote_tick(ETH_BN, index=-1) is None
        assert cache.trade_tick(BTC_BN) is None
        assert cache.quote_ticks(BTC_BN) == []
        stats = cache.statistics()
        assert (stats.quote_ticks, stats.trade_ticks) == (3, 3)

    def test_mid_price_is_exact_from_the_latest_quote(self) -> None:
        cache = Cache()
        assert cache.mid_price(ETH_BN) is None
        cache.add_quote_tick(quote(1, "100.00", "100.05"))
        assert cache.mid_price(ETH_BN) == Fraction("100.025")
        cache.add_quote_tick(quote(2, "101.00", "101.01"))
        assert cache.mid_price(ETH_BN) == Fraction("101.005")

    @pytest.mark.parametrize("capacity", [0, -1, 1.5, True])
    def test_tick_capacity_must_be_a_positive_integer(self, capacity: Any) -> None:
        with pytest.raises(CacheError, match="tick_capacity: expected a positive integer"):
            Cache(tick_capacity=capacity)

    def test_default_capacity_is_the_guides(self) -> None:
        assert Cache().tick_capacity == 10_000


# -- instruments, statistics, reset ------------------------------------------------------


class TestInstrumentsAndReset:
    def test_instruments_by_venue_and_replacement(self) -> None:
        cache = Cache()
        eth, btc, eth_bybit = make_pair(), make_pair(BTC_BN, BTC), make_pair(ETH_BY)
        for instrument in (eth, btc, eth_bybit):
            cache.add_instrument(instrument)
        assert cache.instrument(ETH_BN) is eth
        assert cache.instrument(InstrumentId("XRPUSDT.BINANCE")) is None
        assert cache.instruments(venue=BINANCE) == [eth, btc]
        assert cache.instrument_ids() == [ETH_BN, BTC_BN, ETH_BY]
        assert cache.instrument_ids(venue=BYBIT) == [ETH_BY]
        republished = make_pair()
        cache.add_instrument(republished)
        assert cache.instrument(ETH_BN) is republished
        assert cache.statistics().instruments == 3

    def test_reset_forgets_everything(self) -> None:
        cache = filter_fixture()
        cache.add_instrument(make_pair())
        cache.add_account_state(account_state(1))
        cache.add_quote_tick(quote(1))
        cache.reset()
        empty = Cache().statistics()
        assert cache.statistics() == empty
        assert cache.orders() == []
        assert "orders=0" in repr(cache)


# -- the read-only view ------------------------------------------------------------------

VIEW_METHODS = sorted(
    name for name, value in vars(CacheView).items() if callable(value) and not name.startswith("_")
)


class TestCacheView:
    def test_cache_is_a_cache_view(self) -> None:
        view: CacheView = Cache()  # mypy checks this assignment (and cache.py does too)
        assert view.orders() == []

    @pytest.mark.parametrize("name", VIEW_METHODS)
    def test_cache_implements_each_view_method_with_the_same_signature(self, name: str) -> None:
        assert inspect.signature(getattr(Cache, name)) == inspect.signature(
            getattr(CacheView, name)
        )

    def test_the_view_has_no_mutators(self) -> None:
        writes = ("add_", "update_", "purge_", "reset")
        assert not [name for name in VIEW_METHODS if name.startswith(writes)]
        assert "orders_inflight_count" in VIEW_METHODS

    def test_package_exports(self) -> None:
        assert sorted(livetrade.cache.__all__) == [
            "Cache",
            "CacheError",
            "CacheStatistics",
            "CacheView",
        ]
        for name in livetrade.cache.__all__:
            assert hasattr(livetrade.cache, name)


# -- property: indexes partition orders under any event sequence -------------------------

PROPERTY_ORDERS = [
    ("O-1", "ETHUSDT.BINANCE", "S-001", BUY, OrderType.LIMIT),
    ("O-2", "ETHUSDT.BINANCE", "S-002", SELL, OrderType.STOP_LIMIT),
    ("O-3", "BTCUSDT.BYBIT", "S-001", SELL, OrderType.LIMIT),
    ("O-4", "BTCUSDT.BYBIT", "S-002", BUY, OrderType.STOP_MARKET),
]
NOT_YET_WORKING = {OrderStatus.INITIALIZED, OrderStatus.SUBMITTED}
ACTIONS = [*MAKERS, "new_venue_order_id"]
PROPERTY_FILTERS: list[tuple[dict[str, Any], Callable[[Order], bool]]] = [
    ({"venue": BYBIT}, lambda o: o.instrument_id.venue == BYBIT),
    ({"instrument_id": ETH_BN}, lambda o: o.instrument_id == ETH_BN),
    ({"strategy_id": S2}, lambda o: o.strategy_id == S2),
    (
        {"side": SELL, "venue": BINANCE},
        lambda o: o.side is SELL and o.instrument_id.venue == BINANCE,
    ),
]


def check_indexes(cache: Cache, orders: list[Order]) -> None:
    open_ = {o.client_order_id for o in cache.orders_open()}
    closed = {o.client_order_id for o in cache.orders_closed()}
    inflight = {o.client_order_id for o in cache.orders_inflight()}
    neither = {o.client_order_id for o in orders if o.status in NOT_YET_WORKING}
    every = {o.client_order_id for o in orders}
    assert not open_ & closed and not open_ & neither and not closed & neither
    assert open_ | closed | neither == every
    assert open_ == {o.client_order_id for o in orders if o.is_open}
    assert closed == {o.client_order_id for o in orders if o.is_closed}
    assert inflight == {o.client_order_id for o in orders if o.status.is_inflight}
    for filters, selected in PROPERTY_FILTERS:
        assert cache.orders_open(**filters) == [o for o in orders if selected(o) and o.is_open]
        assert cache.orders_closed(**filters) == [o for o in orders if selected(o) and o.is_closed]
        assert cache.orders_inflight(**filters) == [
            o for o in orders if selected(o) and o.is_inflight
        ]
    for order in orders:
        if order.venue_order_id is not None:
            assert cache.client_order_id_for(order.venue_order_id) == order.client_order_id


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(PROPERTY_ORDERS) - 1), st.sampled_from(ACTIONS)),
        max_size=40,
    )
)
def test_indexes_partition_orders_for_any_event_sequence(actions: list[tuple[int, str]]) -> None:
    cache = Cache()
    orders: list[Order] = []
    makers: list[OrderEvents] = []
    for name, instrument, strategy, side, order_type in PROPERTY_ORDERS:
        order = make_order(
            name, instrument_id=instrument, strategy_id=strategy, side=side, order_type=order_type
        )
        cache.add_order(order)
        orders.append(order)
        makers.append(OrderEvents(order))
    renames = 0
    for index, action in actions:
        order, events = orders[index], makers[index]
        if action == "new_venue_order_id":
            renames += 1
            events.venue_order_id = VenueOrderId(f"V-{order.client_order_id}-{renames}")
            continue
        try:
            order.apply(MAKERS[action](events))
        except (OrderError, InvalidValue):
            continue  # refused: the order is unchanged, as is the cache
        cache.update_order(order)
        check_indexes(cache, orders)
    check_indexes(cache, orders)
