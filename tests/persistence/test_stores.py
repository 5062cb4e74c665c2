"""The memory and SQLite backends: rows in, the same values out, namespaces, versions."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from persistence_support import (
    account_state_samples,
    order_event_samples,
    perpetual,
    route_samples,
    spot,
)

from livetrade.model import ClientOrderId, OrderFilled, OrderSide, PositionId, PositionSide
from livetrade.model.position_events import PositionOpened
from livetrade.persistence import (
    STORE_VERSION,
    CacheDatabase,
    Codec,
    DatabaseUnavailable,
    IncompatibleDatabase,
    MemoryDatabase,
    MemoryStore,
    SqliteDatabase,
)
from livetrade.persistence.records import Delete, Op, StoredItem
from livetrade.persistence.sqlite import APPLICATION_ID

CODECS = {
    "msgpack": Codec("msgpack"),
    "json": Codec("json"),
    "json-iso": Codec("json", timestamps_as_iso8601=True),
    "msgpack-iso": Codec("msgpack", timestamps_as_iso8601=True),
}

Factory = Callable[[str, Codec], CacheDatabase]


@pytest.fixture(params=["memory", "sqlite"])
def make_db(request: pytest.FixtureRequest, tmp_path: Path) -> Factory:
    store = MemoryStore()
    if request.param == "memory":
        return lambda ns, codec: MemoryDatabase(namespace=ns, codec=codec, store=store)
    return lambda ns, codec: SqliteDatabase(tmp_path / "cache.sqlite", namespace=ns, codec=codec)


def position_event(fill: OrderFilled, position_id: str) -> PositionOpened:
    """A position event carrying ``fill`` (only the fill and the position id are stored)."""
    return PositionOpened(
        trader_id=fill.trader_id,
        strategy_id=fill.strategy_id,
        instrument_id=fill.instrument_id,
        position_id=PositionId(position_id),
        side=PositionSide.LONG if fill.order_side is OrderSide.BUY else PositionSide.SHORT,
        signed_qty=fill.last_qty.as_decimal(),
        quantity=fill.last_qty,
        realized_pnl=fill.commission,
        fill=fill,
        ts_event=fill.ts_event,
    )


def every_row() -> list[StoredItem]:
    events = order_event_samples()
    fills = [e for e in events if isinstance(e, OrderFilled)]
    return [
        spot(),
        perpetual(),
        *events,
        *route_samples(),
        *account_state_samples(),
        *(position_event(f, "P-1") for f in fills),
    ]


def numbered(items: list[StoredItem], start: int = 1) -> list[Op]:
    return [(seq, item) for seq, item in enumerate(items, start)]


@pytest.mark.parametrize("codec_name", list(CODECS))
async def test_every_stored_type_round_trips_through_the_store(
    make_db: Factory, codec_name: str
) -> None:
    db = make_db("TRADER-001", CODECS[codec_name])
    await db.open()
    items = every_row()
    await db.write(numbered(items))
    state = await db.load()
    await db.close()
    assert state.instruments == (spot(), perpetual())
    events = order_event_samples()
    by_order: dict[ClientOrderId, list[object]] = {}
    for event in events:
        by_order.setdefault(event.client_order_id, []).append(event)
    # O-9 has no OrderInitialized: reported in problems, not loaded
    assert [list(o.events) for o in state.orders] == [by_order[ClientOrderId("O-1")]]
    assert state.orders[0].route == route_samples()[-1]  # the last route written wins
    assert any("order O-9" in p for p in state.problems)
    assert [p.position_id for p in state.positions] == [PositionId("P-1")]
    assert state.positions[0].fills == tuple(e for e in events if isinstance(e, OrderFilled))
    assert state.account_states == tuple(account_state_samples())
    assert state.last_seq == len(items)


async def test_rows_load_in_recorded_order_whatever_the_write_order(make_db: Factory) -> None:
    db = make_db("TRADER-001", Codec())
    await db.open()
    init, denied = order_event_samples()[:2]
    await db.write([(5, denied)])
    await db.write([(2, init)])
    state = await db.load()
    await db.close()
    assert state.orders[0].events == (init, denied)
    assert state.last_seq == 5


async def test_writing_a_row_again_is_an_upsert(make_db: Factory) -> None:
    db = make_db("TRADER-001", Codec())
    await db.open()
    init = order_event_samples()[0]
    await db.write([(1, init)])
    await db.write([(1, init), (1, init)])
    state = await db.load()
    await db.close()
    assert state.orders[0].events == (init,)


async def test_deletes_remove_orders_positions_and_account_states(make_db: Factory) -> None:
    db = make_db("TRADER-001", Codec())
    await db.open()
    await db.write(numbered(every_row()))
    await db.delete_orders([ClientOrderId("O-1"), ClientOrderId("O-9")])
    await db.delete_positions([PositionId("P-1")])
    await db.delete_account_events(account_state_samples()[:1])
    state = await db.load()
    await db.close()
    assert state.orders == ()
    assert state.positions == ()
    assert state.account_states == tuple(account_state_samples()[1:])
    assert state.instruments == (spot(), perpetual())
    assert state.problems == ()


async def test_a_batch_applies_writes_and_deletes_in_order(make_db: Factory) -> None:
    db = make_db("TRADER-001", Codec())
    await db.open()
    init, denied = order_event_samples()[:2]
    await db.write([(1, init), (2, denied), Delete("order", "O-1"), (3, init), (4, denied)])
    state = await db.load()
    await db.close()
    assert state.orders[0].events == (init, denied)


async def test_flush_own_clears_only_this_namespace(make_db: Factory) -> None:
    mine = make_db("TRADER-001", Codec())
    other = make_db("TRADER-002", Codec())
    await mine.open()
    await other.open()
    await mine.write(numbered(every_row()))
    await other.write(numbered(every_row()))
    await mine.flush_own()
    assert (await mine.load()).is_empty
    kept = await other.load()
    assert len(kept.instruments) == 2 and len(kept.orders) == 1
    await mine.close()
    await other.close()


async def test_an_instance_namespace_is_separate_from_the_trader_one(make_db: Factory) -> None:
    plain = make_db("TRADER-001", Codec())
    instance = make_db("TRADER-001:abc", Codec())
    await plain.open()
    await instance.open()
    await plain.write([(1, spot())])
    assert (await instance.load()).is_empty
    await instance.flush_own()
    assert (await plain.load()).instruments == (spot(),)
    await plain.close()
    await instance.close()


# -- versions -----------------------------------------------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _make_sqlite(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


async def test_sqlite_of_another_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _make_sqlite(
        path,
        "CREATE TABLE records (x)",
        f"PRAGMA application_id={APPLICATION_ID}",
        "PRAGMA user_version=99",
    )
    before = _digest(path)
    db = SqliteDatabase(path, namespace="TRADER-001")
    with pytest.raises(IncompatibleDatabase) as excinfo:
        await db.open()
    assert str(excinfo.value) == (
        f"sqlite at {path}: holds stored format version 99; this livetrade reads version "
        f"{STORE_VERSION}. It was left untouched: use the livetrade version that wrote it, "
        "or point the cache at another file"
    )
    await db.close()
    assert _digest(path) == before


async def test_sqlite_of_another_application_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "theirs.sqlite"
    _make_sqlite(path, "CREATE TABLE accounts (id INTEGER)")
    before = _digest(path)
    with pytest.raises(IncompatibleDatabase, match=r"not a livetrade store .*tables accounts"):
        await SqliteDatabase(path, namespace="TRADER-001").open()
    assert _digest(path) == before


async def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"these are not the rows you are looking for" * 100)
    before = _digest(path)
    with pytest.raises(IncompatibleDatabase, match=r"^sqlite at .*notes.sqlite: not a SQLite"):
        await SqliteDatabase(path, namespace="TRADER-001").open()
    assert _digest(path) == before


async def test_a_new_sqlite_file_gets_the_version_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    db = SqliteDatabase(path, namespace="TRADER-001")
    await db.open()
    await db.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == STORE_VERSION
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


async def test_an_unreachable_sqlite_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "missing-dir" / "cache.sqlite"
    with pytest.raises(DatabaseUnavailable) as excinfo:
        await SqliteDatabase(path, namespace="TRADER-001").open()
    assert str(excinfo.value) == f"sqlite at {path}: unable to open database file"


async def test_a_memory_store_of_another_version_is_refused() -> None:
    store = MemoryStore()
    store.version = 99
    with pytest.raises(IncompatibleDatabase, match="memory store: holds stored format version 99"):
        await MemoryDatabase(namespace="TRADER-001", store=store).open()
    assert store.version == 99


async def test_a_memory_store_that_is_down_is_unavailable() -> None:
    store = MemoryStore()
    store.available = False
    with pytest.raises(DatabaseUnavailable, match="memory store: unavailable"):
        await MemoryDatabase(namespace="TRADER-001", store=store).open()
