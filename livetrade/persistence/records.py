"""What is stored, where it goes in a store, and how a load is put back together.

Pure: no I/O. Every backend stores the same rows and differs only in how it
keeps them (a SQLite table, Redis hashes, dicts).

A row is ``(kind, key, field) -> payload`` with a sequence number ``seq``:

==============  =====================  ======================  ====================================
kind            key                    field                   payload
==============  =====================  ======================  ====================================
``instrument``  instrument id          ``""``                  the instrument (last write wins)
``order``       client order id        ``seq``                 one order event
``order``       client order id        ``route``               the order's ``OrderRoute``
``position``    position id            ``seq``                 one fill applied to the position
``account``     account id             event id                one ``AccountState``
==============  =====================  ======================  ====================================

``seq`` is assigned by the writer when an item is recorded, so it is the order
in which the node processed things; loads sort by it, which makes every write
an idempotent upsert (a retried batch, or a write-ahead record written again by
the write-behind buffer, lands on the same row) and the order of writes
irrelevant. A position keeps its own copy of its fills, so it can be rebuilt
even after the orders that filled it were purged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final, Literal, NamedTuple, TypeVar, final

import attrs

from livetrade.model.account import AccountState
from livetrade.model.events import OrderEvent, OrderFilled, OrderInitialized
from livetrade.model.identifiers import ClientId, ClientOrderId, PositionId
from livetrade.model.instruments import Instrument
from livetrade.model.position_events import PositionEvent

__all__ = [
    "KINDS",
    "Delete",
    "Kind",
    "LoadedState",
    "Op",
    "OrderRoute",
    "Row",
    "StoredItem",
    "StoredOrder",
    "StoredPosition",
    "Write",
    "account_deletes",
    "assemble",
    "locate",
    "order_deletes",
    "position_deletes",
]

Kind = Literal["instrument", "order", "position", "account"]
KINDS: Final[tuple[Kind, ...]] = ("instrument", "order", "position", "account")
ROUTE_FIELD: Final = "route"

T = TypeVar("T")


@final
@attrs.frozen(kw_only=True)
class OrderRoute:
    """What an order's events do not say and a rebuilt cache needs.

    ``client_id`` is the execution client the order was routed through (when a
    strategy named one); ``position_id`` the position a strategy targeted at
    submit (HEDGING). Recorded once per order when either is set.
    """

    client_order_id: ClientOrderId
    client_id: ClientId | None = None
    position_id: PositionId | None = None


StoredItem = Instrument | OrderEvent | AccountState | PositionEvent | OrderRoute
#: a pending write: ``(seq, item)``
Write = tuple[int, StoredItem]


@final
@attrs.frozen
class Delete:
    """Remove rows: every row of ``key`` (``fields`` None) or only those ``fields``."""

    kind: Kind
    key: str
    fields: tuple[str, ...] | None = None


Op = Write | Delete


class Row(NamedTuple):
    """One stored row: where it goes, its sequence number and its (decoded) value.

    A named tuple, not an attrs class: one is built per row written or loaded.
    """

    kind: Kind
    key: str
    field: str
    seq: int
    value: object


def locate(seq: int, item: StoredItem) -> Row:
    """Where ``item`` recorded as ``seq`` is stored, and the value stored there.

    Raises:
        TypeError: ``item`` is not something the cache database stores.
    """
    if isinstance(item, OrderEvent):
        return Row("order", item.client_order_id.value, str(seq), seq, item)
    if isinstance(item, PositionEvent):
        return Row("position", item.position_id.value, str(seq), seq, item.fill)
    if isinstance(item, AccountState):
        return Row("account", item.account_id.value, item.event_id, seq, item)
    if isinstance(item, Instrument):
        return Row("instrument", item.instrument_id.value, "", seq, item)
    if isinstance(item, OrderRoute):
        return Row("order", item.client_order_id.value, ROUTE_FIELD, seq, item)
    raise TypeError(
        f"the cache database stores instruments, order events, position events, "
        f"account states and order routes, not {type(item).__name__}"
    )


@final
@attrs.frozen
class StoredOrder:
    """One order's stored events (``OrderInitialized`` first) and its route, if any."""

    events: tuple[OrderEvent, ...]
    route: OrderRoute | None = None


@final
@attrs.frozen
class StoredPosition:
    """One position's fills in the order they were applied."""

    position_id: PositionId
    fills: tuple[OrderFilled, ...]


@final
@attrs.frozen(kw_only=True)
class LoadedState:
    """Everything a store holds for one node, in the order the node recorded it.

    ``problems`` lists rows that could not be placed (an order without its
    ``OrderInitialized``, a row of the wrong type); they are left in the store.
    ``last_seq`` is the highest sequence number found (0 for an empty store).
    """

    instruments: tuple[Instrument, ...] = ()
    orders: tuple[StoredOrder, ...] = ()
    positions: tuple[StoredPosition, ...] = ()
    account_states: tuple[AccountState, ...] = ()
    last_seq: int = 0
    problems: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.instruments or self.orders or self.positions or self.account_states)


def assemble(rows: Iterable[Row]) -> LoadedState:
    """Group decoded rows per order, position and account, each in ``seq`` order."""
    instruments: dict[str, tuple[int, Instrument]] = {}
    orders: dict[str, list[tuple[int, OrderEvent]]] = {}
    routes: dict[str, OrderRoute] = {}
    positions: dict[str, list[tuple[int, OrderFilled]]] = {}
    accounts: list[tuple[int, AccountState]] = []
    problems: list[str] = []
    last_seq = 0
    for row in rows:
        last_seq = max(last_seq, row.seq)
        value = row.value
        where = f"{row.kind} {row.key} field {row.field!r}"
        if row.kind == "instrument" and isinstance(value, Instrument):
            instruments[row.key] = (row.seq, value)
        elif row.kind == "order" and isinstance(value, OrderEvent):
            orders.setdefault(row.key, []).append((row.seq, value))
        elif row.kind == "order" and isinstance(value, OrderRoute):
            routes[row.key] = value
        elif row.kind == "position" and isinstance(value, OrderFilled):
            positions.setdefault(row.key, []).append((row.seq, value))
        elif row.kind == "account" and isinstance(value, AccountState):
            accounts.append((row.seq, value))
        else:
            problems.append(f"{where}: unexpected {type(value).__name__} record (skipped)")
    stored_orders: list[tuple[int, StoredOrder]] = []
    for key, events in orders.items():
        events.sort(key=_seq)
        if not isinstance(events[0][1], OrderInitialized):
            problems.append(
                f"order {key}: first stored event is {type(events[0][1]).__name__}, "
                "not OrderInitialized (order skipped)"
            )
            continue
        stored_orders.append(
            (events[0][0], StoredOrder(tuple(e for _, e in events), routes.get(key)))
        )
    problems.extend(
        f"order {key}: a route but no events (skipped)" for key in routes if key not in orders
    )
    stored_positions: list[tuple[int, StoredPosition]] = []
    for key, fills in positions.items():
        fills.sort(key=_seq)
        stored_positions.append(
            (fills[0][0], StoredPosition(PositionId(key), tuple(f for _, f in fills)))
        )
    return LoadedState(
        instruments=_in_seq_order(instruments.values()),
        orders=_in_seq_order(stored_orders),
        positions=_in_seq_order(stored_positions),
        account_states=_in_seq_order(accounts),
        last_seq=last_seq,
        problems=tuple(problems),
    )


def _seq(pair: tuple[int, object]) -> int:
    return pair[0]


def _in_seq_order(pairs: Iterable[tuple[int, T]]) -> tuple[T, ...]:
    return tuple(value for _, value in sorted(pairs, key=_seq))


def order_deletes(ids: Iterable[ClientOrderId]) -> list[Delete]:
    """Delete every row of these orders (events and route)."""
    return [Delete("order", coid.value) for coid in ids]


def position_deletes(ids: Iterable[PositionId]) -> list[Delete]:
    """Delete every stored fill of these positions."""
    return [Delete("position", pid.value) for pid in ids]


def account_deletes(states: Sequence[AccountState]) -> list[Delete]:
    """Delete these account states (by event id), grouped per account."""
    grouped: dict[str, list[str]] = {}
    for state in states:
        grouped.setdefault(state.account_id.value, []).append(state.event_id)
    return [Delete("account", key, tuple(fields)) for key, fields in grouped.items()]
