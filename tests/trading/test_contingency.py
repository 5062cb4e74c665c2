"""contingent_actions: one test per rule, with the exact list of actions expected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest

from livetrade.cache import Cache
from livetrade.model.enums import ContingencyType, OrderSide, OrderType
from livetrade.model.events import OrderEvent, OrderInitialized
from livetrade.model.identifiers import (
    ClientOrderId,
    InstrumentId,
    OrderListId,
    StrategyId,
    TraderId,
)
from livetrade.model.orders import Order
from livetrade.model.quantities import Price, Quantity
from livetrade.testing import OrderEvents, make_order_init
from livetrade.trading.contingency import (
    CancelLinked,
    ContingentAction,
    DenyHeld,
    ModifyQuantity,
    SubmitChild,
    contingent_actions,
)
from livetrade.trading.order_factory import OrderFactory

OCO, OUO, OTO = ContingencyType.OCO, ContingencyType.OUO, ContingencyType.OTO


def q(value: str) -> Quantity:
    return Quantity(value)


class Clock:
    def timestamp_ns(self) -> int:
        return 1_700_000_000_000_000_000


class Book:
    """A real cache plus an event maker per order; ``act`` applies then asks the rules."""

    def __init__(self) -> None:
        self.cache = Cache()
        self._events: dict[ClientOrderId, OrderEvents] = {}

    def add(self, *inits: OrderInitialized) -> None:
        for init in inits:
            order = Order(init)
            self.cache.add_order(order)
            self._events[order.client_order_id] = OrderEvents(order)

    def order(self, coid: ClientOrderId) -> Order:
        order = self.cache.order(coid)
        assert order is not None
        return order

    def ev(self, coid: ClientOrderId) -> OrderEvents:
        return self._events[coid]

    def apply(self, event: OrderEvent) -> OrderEvent:
        order = self.order(event.client_order_id)
        order.apply(event)
        self.cache.update_order(order)
        return event

    def act(self, event: OrderEvent) -> list[ContingentAction]:
        return contingent_actions(self.apply(event), self.cache)

    def working(self, *coids: ClientOrderId) -> None:
        for coid in coids:
            self.apply(self.ev(coid).submitted())
            self.apply(self.ev(coid).accepted())

    def resize(self, coid: ClientOrderId, quantity: str) -> None:
        self.apply(self.ev(coid).updated(quantity))


def bracket(
    contingency: ContingencyType = OCO,
) -> tuple[Book, ClientOrderId, ClientOrderId, ClientOrderId]:
    """A BUY 1.000 LIMIT entry with its stop-loss and take-profit, all in the cache."""
    factory = OrderFactory(TraderId("TRADER-001"), StrategyId("S-001"), Clock(), order_id_tag="001")
    orders = factory.bracket(
        InstrumentId("ETHUSDT.BINANCE"),
        OrderSide.BUY,
        q("1.000"),
        entry_price=Price("2500"),
        sl_trigger_price=Price("2400"),
        tp_price=Price("2600"),
        contingency_type=contingency,
    )
    book = Book()
    book.add(*orders.orders)
    entry, sl, tp = (init.client_order_id for init in orders.orders)
    return book, entry, sl, tp


def leg(
    coid: str, kind: ContingencyType, linked: tuple[str, ...], **kwargs: Any
) -> OrderInitialized:
    init = make_order_init(coid, **kwargs)
    return attrs.evolve(
        init,
        contingency_type=kind,
        order_list_id=OrderListId("OL-1"),
        linked_order_ids=tuple(ClientOrderId(x) for x in linked),
    )


A, B, C = ClientOrderId("A"), ClientOrderId("B"), ClientOrderId("C")

# -- OTO parent ---------------------------------------------------------------------------


def test_parent_partial_fill_releases_held_children_with_the_filled_quantity() -> None:
    book, entry, sl, tp = bracket()
    book.working(entry)
    assert book.act(book.ev(entry).filled("0.400")) == [
        SubmitChild(sl, q("0.400")),
        SubmitChild(tp, q("0.400")),
    ]


def test_parent_full_fill_releases_held_children_with_the_full_quantity() -> None:
    book, entry, sl, tp = bracket()
    book.working(entry)
    assert book.act(book.ev(entry).filled()) == [
        SubmitChild(sl, q("1.000")),
        SubmitChild(tp, q("1.000")),
    ]


def test_parent_further_fill_resizes_working_children() -> None:
    book, entry, sl, tp = bracket()
    book.working(entry)
    book.apply(book.ev(entry).filled("0.400"))
    for child in (sl, tp):
        book.resize(child, "0.400")
    book.working(sl, tp)
    assert book.act(book.ev(entry).filled("0.300")) == [
        ModifyQuantity(sl, q("0.700")),
        ModifyQuantity(tp, q("0.700")),
    ]


def test_parent_fill_leaves_children_of_the_right_size_alone() -> None:
    book, entry, _sl, _tp = bracket()
    book.working(entry, _sl, _tp)  # children already at 1.000
    assert book.act(book.ev(entry).filled()) == []


def test_parent_fill_skips_closed_and_canceling_children() -> None:
    book, entry, sl, tp = bracket()
    book.working(entry, sl, tp)
    book.apply(book.ev(sl).pending_cancel())
    book.apply(book.ev(tp).canceled())
    assert book.act(book.ev(entry).filled("0.500")) == []


def test_parent_fill_resize_accounts_for_exit_fills() -> None:
    """An OUO take-profit that already filled 0.100 reduced what is left to protect."""
    book, entry, sl, tp = bracket(OUO)
    book.working(entry)
    book.apply(book.ev(entry).filled("0.500"))
    for child in (sl, tp):
        book.resize(child, "0.500")
    book.working(sl, tp)
    book.apply(book.ev(tp).filled("0.100"))
    book.resize(sl, "0.400")
    assert book.act(book.ev(entry).filled("0.200")) == [
        ModifyQuantity(sl, q("0.600")),  # 0.700 entered - 0.100 exited
        ModifyQuantity(tp, q("0.700")),  # its 0.100 filled + 0.600 left
    ]


@pytest.mark.parametrize(
    ("close", "name"),
    [
        (lambda ev: ev.rejected(), "rejected"),
        (lambda ev: ev.canceled(), "canceled"),
        (lambda ev: ev.expired(), "expired"),
    ],
)
def test_parent_closed_without_fill_denies_held_children(
    close: Callable[[OrderEvents], OrderEvent], name: str
) -> None:
    book, entry, sl, tp = bracket()
    book.apply(book.ev(entry).submitted())
    reason = f"OTO {entry} {name} with no fill"
    assert book.act(close(book.ev(entry))) == [DenyHeld(sl, reason), DenyHeld(tp, reason)]


def test_parent_denied_denies_held_children() -> None:
    book, entry, sl, tp = bracket()
    reason = f"OTO {entry} denied with no fill"
    assert book.act(book.ev(entry).denied()) == [DenyHeld(sl, reason), DenyHeld(tp, reason)]


def test_parent_closed_without_fill_cancels_a_working_child() -> None:
    book, entry, sl, tp = bracket()
    book.working(entry, sl)
    reason = f"OTO {entry} canceled with no fill"
    assert book.act(book.ev(entry).canceled()) == [CancelLinked(sl, reason), DenyHeld(tp, reason)]


def test_parent_canceled_after_a_partial_fill_keeps_its_children() -> None:
    book, entry, _sl, _tp = bracket()
    book.working(entry)
    book.apply(book.ev(entry).filled("0.400"))
    assert book.act(book.ev(entry).canceled()) == []


@pytest.mark.parametrize(
    "event",
    [
        lambda ev: ev.pending_cancel(),
        lambda ev: ev.cancel_rejected(),
        lambda ev: ev.updated("2.000"),
        lambda ev: ev.modify_rejected(),
    ],
)
def test_other_parent_events_do_nothing(event: Callable[[OrderEvents], OrderEvent]) -> None:
    book, entry, _sl, _tp = bracket()
    book.working(entry)
    assert book.act(event(book.ev(entry))) == []


def test_parent_accepted_does_nothing() -> None:
    book, entry, _sl, _tp = bracket()
    book.apply(book.ev(entry).submitted())
    assert book.act(book.ev(entry).accepted()) == []


# -- OCO legs -----------------------------------------------------------------------------


def released(
    contingency: ContingencyType, qty: str = "1.000"
) -> tuple[Book, ClientOrderId, ClientOrderId]:
    """A bracket whose entry filled ``qty`` and whose exits are working at ``qty``."""
    book, entry, sl, tp = bracket(contingency)
    book.working(entry)
    book.apply(book.ev(entry).filled(qty))
    if qty != "1.000":
        book.resize(sl, qty)
        book.resize(tp, qty)
    book.working(sl, tp)
    return book, sl, tp


def test_oco_partial_fill_cancels_the_other_leg() -> None:
    book, sl, tp = released(OCO)
    assert book.act(book.ev(tp).filled("0.300")) == [CancelLinked(sl, f"OCO {tp} partially filled")]


def test_oco_full_fill_cancels_the_other_leg() -> None:
    book, sl, tp = released(OCO)
    assert book.act(book.ev(sl).filled()) == [CancelLinked(tp, f"OCO {sl} filled")]


def test_oco_fill_skips_a_leg_already_canceling() -> None:
    book, sl, tp = released(OCO)
    book.apply(book.ev(tp).pending_cancel())
    assert book.act(book.ev(sl).filled()) == []


def test_oco_fill_denies_a_held_leg() -> None:
    book, _entry, sl, tp = bracket(OCO)
    book.working(sl)  # released alone (the take-profit is still held)
    assert book.act(book.ev(sl).filled()) == [DenyHeld(tp, f"OCO {sl} filled")]


@pytest.mark.parametrize("contingency", [OCO, OUO])
@pytest.mark.parametrize(
    ("close", "name"),
    [
        (lambda ev: ev.canceled(), "canceled"),
        (lambda ev: ev.expired(), "expired"),
        (lambda ev: ev.rejected(), "rejected"),
    ],
)
def test_leg_closed_cancels_the_other_leg(
    contingency: ContingencyType, close: Callable[[OrderEvents], OrderEvent], name: str
) -> None:
    book, sl, tp = released(contingency)
    assert book.act(close(book.ev(tp))) == [CancelLinked(sl, f"{contingency.name} {tp} {name}")]


@pytest.mark.parametrize("contingency", [OCO, OUO])
def test_leg_denied_on_release_denies_the_held_leg(contingency: ContingencyType) -> None:
    book, entry, sl, tp = bracket(contingency)
    book.working(entry)
    book.apply(book.ev(entry).filled())
    assert book.act(book.ev(sl).denied()) == [DenyHeld(tp, f"{contingency.name} {sl} denied")]


@pytest.mark.parametrize("contingency", [OCO, OUO])
def test_leg_denied_because_the_parent_was_rejected_does_nothing(
    contingency: ContingencyType,
) -> None:
    book, entry, sl, _tp = bracket(contingency)
    book.apply(book.ev(entry).submitted())
    book.apply(book.ev(entry).rejected())
    assert book.act(book.ev(sl).denied()) == []  # the parent's event denied both


def test_oco_leg_canceled_after_the_other_partially_filled_does_nothing() -> None:
    book, sl, tp = released(OCO)
    book.apply(book.ev(tp).filled("0.300"))
    assert book.act(book.ev(sl).canceled()) == []


@pytest.mark.parametrize("contingency", [OCO, OUO])
def test_leg_canceled_after_the_other_filled_does_nothing(contingency: ContingencyType) -> None:
    book, sl, tp = released(contingency)
    book.apply(book.ev(tp).filled())
    assert book.act(book.ev(sl).canceled()) == []


def test_late_fill_of_a_canceled_oco_leg_after_its_sibling_closed_does_nothing() -> None:
    book, sl, tp = released(OCO)
    book.apply(book.ev(tp).canceled())
    book.apply(book.ev(sl).canceled())
    assert book.act(book.ev(tp).filled("0.200")) == []


# -- OUO legs -----------------------------------------------------------------------------


def test_ouo_partial_fill_resizes_the_other_leg_to_the_leaves() -> None:
    book, sl, tp = released(OUO)
    assert book.act(book.ev(tp).filled("0.300")) == [ModifyQuantity(sl, q("0.700"))]


def test_ouo_second_partial_fill_resizes_again() -> None:
    book, sl, tp = released(OUO)
    book.apply(book.ev(tp).filled("0.300"))
    book.resize(sl, "0.700")
    assert book.act(book.ev(tp).filled("0.200")) == [ModifyQuantity(sl, q("0.500"))]


def test_ouo_partial_fill_with_the_other_leg_already_matching_does_nothing() -> None:
    book, sl, tp = released(OUO)
    book.apply(book.ev(tp).filled("0.300"))
    book.resize(sl, "0.700")
    book.apply(book.ev(sl).filled("0.200"))  # sl leaves 0.500 != tp leaves 0.700
    assert book.act(book.ev(tp).filled("0.200")) == []  # both now leave 0.500


def test_ouo_partial_fill_keeps_the_other_legs_own_fills() -> None:
    book, sl, tp = released(OUO)
    book.apply(book.ev(sl).filled("0.100"))
    book.resize(tp, "0.900")
    assert book.act(book.ev(tp).filled("0.300")) == [ModifyQuantity(sl, q("0.700"))]


def test_ouo_full_fill_cancels_the_other_leg() -> None:
    book, sl, tp = released(OUO)
    book.apply(book.ev(tp).filled("0.300"))
    assert book.act(book.ev(tp).filled("0.700")) == [CancelLinked(sl, f"OUO {tp} filled")]


def test_ouo_leg_canceled_after_a_partial_fill_cancels_the_other_leg() -> None:
    book, sl, tp = released(OUO)
    book.apply(book.ev(tp).filled("0.300"))
    book.resize(sl, "0.700")
    assert book.act(book.ev(tp).canceled()) == [CancelLinked(sl, f"OUO {tp} canceled")]


def test_ouo_partial_fill_resizes_a_held_leg() -> None:
    book = Book()
    book.add(leg("A", OUO, ("B",)), leg("B", OUO, ("A",)))
    book.working(A)
    assert book.act(book.ev(A).filled("0.250")) == [ModifyQuantity(B, q("0.750"))]


# -- general ------------------------------------------------------------------------------


def test_order_without_contingency_gives_nothing() -> None:
    book = Book()
    book.add(make_order_init("A"))
    book.working(A)
    assert book.act(book.ev(A).filled()) == []


def test_unknown_order_gives_nothing() -> None:
    book = Book()
    book.add(leg("A", OCO, ("B",)))
    event = book.ev(A).denied()
    assert contingent_actions(attrs.evolve(event, client_order_id=C), book.cache) == []


def test_actions_follow_linked_order_ids_once_each_skipping_self_and_unknown() -> None:
    book = Book()
    book.add(
        leg("A", OCO, ("A", "C", "X", "B", "C")),
        leg("B", OCO, ("A", "C")),
        leg("C", OCO, ("A", "B")),
    )
    book.working(A, C)
    assert book.act(book.ev(A).filled("0.100")) == [
        CancelLinked(C, "OCO A partially filled"),
        DenyHeld(B, "OCO A partially filled"),
    ]


def test_three_leg_oco_cascade_stops_after_the_first_close() -> None:
    book = Book()
    book.add(
        leg("A", OCO, ("B", "C")),
        leg("B", OCO, ("A", "C")),
        leg("C", OCO, ("A", "B")),
    )
    book.working(A, B, C)
    assert book.act(book.ev(A).canceled()) == [
        CancelLinked(B, "OCO A canceled"),
        CancelLinked(C, "OCO A canceled"),
    ]
    assert book.act(book.ev(B).canceled()) == []  # A's cancel already covered C


def test_stop_children_of_a_market_entry() -> None:
    book = Book()
    book.add(
        attrs.evolve(
            make_order_init("A", order_type=OrderType.MARKET, quantity="2"),
            contingency_type=OTO,
            linked_order_ids=(B,),
        ),
        attrs.evolve(
            make_order_init(
                "B", order_type=OrderType.STOP_MARKET, side=OrderSide.SELL, quantity="2"
            ),
            parent_order_id=A,
        ),
    )
    book.working(A)
    assert book.act(book.ev(A).filled("1.5")) == [SubmitChild(B, q("1.5"))]


def test_late_fill_of_a_canceled_parent_releases_still_held_children() -> None:
    book, entry, sl, tp = bracket()
    book.working(entry)
    book.apply(book.ev(entry).canceled())
    assert book.act(book.ev(entry).filled("0.200")) == [
        SubmitChild(sl, q("0.200")),
        SubmitChild(tp, q("0.200")),
    ]
