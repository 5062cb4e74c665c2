"""``PersistenceService``: the node's one writer to its cache database.

Theory of operation
-------------------
The dispatcher calls ``record(item)`` for every execution event it applied
(order events, position events, account states) and for instruments and order
routes. ``record`` is synchronous and cheap: it gives the item the next
sequence number and appends it to an in-memory buffer. It never awaits, never
touches the database and never fails because the database is down.

The writer task, ``run()``, takes what is buffered and writes it as one batch
(up to ``max_batch`` items per ``write``): as soon as something arrives when
``buffer_interval_ms`` is 0 or None (write through: a burst still becomes one
batch), else ``buffer_interval_ms`` after the first item of a quiet period
(write behind). An item leaves the buffer only once its batch was written.
While the database is unavailable the batch is retried with exponential
backoff (``retry_initial`` doubling up to ``retry_max`` seconds); the buffer
keeps growing in memory; the outage is logged once when it starts and once
when it ends, never per retry.

Write-ahead. ``write_ahead(init)`` is for the submit path (a client task,
before the order goes to the venue): it writes that one ``OrderInitialized``
now, in its own small batch, without waiting for the write-behind buffer, and
returns when it is durable; it is a no-op once the order is durable. The same
row may later be written again by the buffer: rows are keyed by sequence
number, so that is an upsert. If the database stays down for
``write_ahead_timeout`` it raises ``DatabaseUnavailable`` and the record stays
buffered; the caller decides (the safe choice is not to send the order).

Stop: ``close(timeout)`` stops ``run()`` if it is still running, makes a last
flush shielded from cancellation and bounded by ``timeout``, closes the
database and returns a ``CloseReport`` listing what could not be written.

Start: ``open(flush_on_start=...)`` opens the database, clears this node's own
rows when asked, and loads what is stored; ``load_into(cache)`` rebuilds the
cache from it. Sequence numbers continue after the highest one loaded, so the
events of an order that spans a restart stay in order.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Final, Protocol, final

import attrs
import trio

from livetrade.errors import LiveTradeError
from livetrade.model.account import AccountState
from livetrade.model.events import OrderEvent, OrderInitialized
from livetrade.model.identifiers import ClientId, ClientOrderId, InstrumentId, PositionId
from livetrade.model.instruments import Instrument
from livetrade.model.orders import Order
from livetrade.model.position_events import PositionEvent
from livetrade.model.positions import Position
from livetrade.persistence.database import CacheDatabase, create_database
from livetrade.persistence.errors import DatabaseUnavailable, PersistenceError
from livetrade.persistence.records import (
    Delete,
    LoadedState,
    Op,
    OrderRoute,
    StoredItem,
    account_deletes,
    order_deletes,
    position_deletes,
)

if TYPE_CHECKING:
    from livetrade.config.persistence import CacheConfig
    from livetrade.model.identifiers import TraderId

__all__ = [
    "CacheTarget",
    "CloseReport",
    "LoadReport",
    "PersistenceService",
    "PersistenceStatistics",
]

log = logging.getLogger(__name__)

_STORED_TYPES: Final = (OrderEvent, PositionEvent, AccountState, Instrument, OrderRoute)
#: seconds a failed ``open`` waits for the database to close again
_CLOSE_TIMEOUT: Final = 10.0
#: how many recently written ``OrderInitialized`` ids are remembered, so a repeated
#: ``write_ahead`` costs nothing (bounded: a node runs for weeks)
_DURABLE_MEMORY: Final = 1_000


class CacheTarget(Protocol):
    """The part of ``livetrade.cache.Cache`` that ``load_into`` fills."""

    def add_instrument(self, instrument: Instrument) -> None: ...

    def instrument(self, instrument_id: InstrumentId) -> Instrument | None: ...

    def add_order(self, order: Order, *, client_id: ClientId | None = None) -> None: ...

    def add_position(self, position: Position) -> None: ...

    def add_account_state(self, state: AccountState) -> None: ...


@final
@attrs.frozen
class PersistenceStatistics:
    """Counters for observability (``PersistenceService.statistics()``)."""

    #: items given to ``record`` (and deletes requested)
    recorded: int
    #: items written (a write-ahead record counts once more if the buffer rewrites it)
    written: int
    #: items waiting in the buffer
    pending: int
    #: successful ``write`` calls
    batches: int
    #: ``write`` calls that failed because the database was unavailable
    failed_attempts: int
    #: outages seen (a run of failed attempts ended by a success counts once)
    outages: int
    #: ``write_ahead`` calls that wrote something
    write_aheads: int
    #: True while the database is failing
    unavailable: bool


@final
@attrs.frozen
class LoadReport:
    """What ``load_into`` put in the cache, and what it had to leave out (and why)."""

    instruments: int
    orders: int
    positions: int
    account_states: int
    problems: tuple[str, ...]


@final
@attrs.frozen
class CloseReport:
    """How the final flush went: ``unwritten`` is what the database never received."""

    database: str
    written: int
    unwritten: tuple[StoredItem | Delete, ...]

    @property
    def complete(self) -> bool:
        return not self.unwritten


@final
class PersistenceService:
    """Buffers what the node records and writes it to a ``CacheDatabase``.

    Args:
        database: where to write (not yet opened; ``open`` opens it).
        buffer_interval_ms: 0 or None writes through; N > 0 writes every N ms.
        max_batch: most items per ``write`` call.
        retry_initial: first delay, in seconds, after a failed write; doubles per
            failure up to ``retry_max``.
        write_ahead_timeout: how long ``write_ahead`` keeps retrying, in seconds.
    """

    def __init__(
        self,
        database: CacheDatabase,
        *,
        buffer_interval_ms: int | None = None,
        max_batch: int = 5_000,
        retry_initial: float = 0.1,
        retry_max: float = 5.0,
        write_ahead_timeout: float = 10.0,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self.database = database
        self._interval = (buffer_interval_ms or 0) / 1000
        self._max_batch = max_batch
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._write_ahead_timeout = write_ahead_timeout
        #: seq -> what to write (an item) or a Delete, in seq order
        self._pending: dict[int, StoredItem | Delete] = {}
        self._seq = 0
        #: orders whose ``OrderInitialized`` is recorded but not yet written -> its seq
        self._inits: dict[ClientOrderId, int] = {}
        #: the ids most recently written, oldest first (a bounded ordered set)
        self._durable: dict[ClientOrderId, None] = {}
        self._wakeup = trio.Event()
        self._woken = False  # whether _wakeup was set since the writer last waited
        self._closed = False
        self._flush_lock = trio.Lock()
        self._run_scope: trio.CancelScope | None = None
        self._loaded: LoadedState | None = None
        self._state = "new"  # new -> open -> closed
        self._outage_started: float | None = None
        self._recorded = 0
        self._written = 0
        self._batches = 0
        self._failed_attempts = 0
        self._outages = 0
        self._write_aheads = 0

    @classmethod
    def from_config(
        cls, config: CacheConfig, *, trader_id: TraderId, instance_id: str | None = None
    ) -> PersistenceService:
        """A service for ``[cache]``: its database, encoding and buffer interval."""
        return cls(
            create_database(config, trader_id=trader_id, instance_id=instance_id),
            buffer_interval_ms=config.buffer_interval_ms,
            write_ahead_timeout=config.database.timeout,
        )

    def __repr__(self) -> str:
        return f"PersistenceService({self.database.name}, {len(self._pending)} pending)"

    # -- start ----------------------------------------------------------------------------------

    async def open(self, *, flush_on_start: bool = False) -> LoadedState:
        """Open the database, clear this node's rows if asked, and load what is stored.

        Raises:
            DatabaseUnavailable: the database cannot be reached (the message names it).
            IncompatibleDatabase: it holds another format version (left untouched).
        """
        if self._state != "new":
            raise PersistenceError(f"open() was already called (service is {self._state})")
        await self.database.open()
        try:
            if flush_on_start:
                await self.database.flush_own()
            state = await self.database.load()
        except BaseException:
            with trio.move_on_after(_CLOSE_TIMEOUT, shield=True):
                await self.database.close()
            raise
        self._seq = max(self._seq, state.last_seq)
        self._loaded = state
        self._state = "open"
        return state

    def load_into(self, cache: CacheTarget, state: LoadedState | None = None) -> LoadReport:
        """Rebuild ``cache`` from what ``open`` loaded (or from ``state``).

        Instruments first; then positions, each replayed from its own fills in
        the order they were applied; then orders, replayed from their events
        (``Order.from_events``), with the position id the node gave them; then
        account states. Anything that cannot be rebuilt is skipped and listed
        in ``problems`` (it stays in the database).
        """
        state = state if state is not None else self._loaded
        if state is None:
            raise PersistenceError("nothing loaded: call open() first")
        self._loaded = None
        problems = list(state.problems)
        for instrument in state.instruments:
            cache.add_instrument(instrument)
        positions: list[Position] = []
        position_of: dict[ClientOrderId, PositionId] = {}
        for stored in state.positions:
            fills = stored.fills
            instrument_opt = cache.instrument(fills[0].instrument_id)
            if instrument_opt is None:
                problems.append(
                    f"position {stored.position_id}: instrument {fills[0].instrument_id} "
                    "is not stored (position skipped)"
                )
                continue
            try:
                position = Position.from_fills(instrument_opt, fills, stored.position_id)
            except LiveTradeError as exc:
                problems.append(f"position {stored.position_id}: {exc} (position skipped)")
                continue
            positions.append(position)
            for fill in fills:
                position_of.setdefault(fill.client_order_id, stored.position_id)
        orders = 0
        for stored_order in state.orders:
            coid = stored_order.events[0].client_order_id
            try:
                order = Order.from_events(stored_order.events)
            except LiveTradeError as exc:
                problems.append(f"order {coid}: {exc} (order skipped)")
                continue
            route = stored_order.route
            if route is not None and route.position_id is not None:
                order.position_id = route.position_id
            if order.position_id is None:
                order.position_id = position_of.get(coid)
            try:
                cache.add_order(order, client_id=None if route is None else route.client_id)
            except LiveTradeError as exc:
                problems.append(f"order {coid}: {exc} (order skipped)")
                continue
            orders += 1
        added_positions = 0
        for position in positions:
            try:
                cache.add_position(position)
            except LiveTradeError as exc:
                problems.append(f"position {position.id}: {exc} (position skipped)")
                continue
            added_positions += 1
        for account_state in state.account_states:
            cache.add_account_state(account_state)
        for problem in problems:
            log.warning("%s: %s", self.database.name, problem)
        return LoadReport(
            instruments=len(state.instruments),
            orders=orders,
            positions=added_positions,
            account_states=len(state.account_states),
            problems=tuple(problems),
        )

    # -- the dispatcher's side: synchronous, never blocks --------------------------------------

    def record(self, item: StoredItem) -> None:
        """Buffer ``item`` for the writer (an order event, position event, account
        state, instrument or ``OrderRoute``).

        Raises:
            TypeError: ``item`` is not something the database stores.
            PersistenceError: the service was closed.
        """
        if not isinstance(item, _STORED_TYPES):
            raise TypeError(
                f"the cache database stores order and position events, account states, "
                f"instruments and order routes, not {type(item).__name__}"
            )
        if self._closed:
            raise PersistenceError(f"{self.database.name}: record() after close()")
        self._seq = seq = self._seq + 1
        self._pending[seq] = item
        if type(item) is OrderInitialized and item.client_order_id not in self._durable:
            self._inits.setdefault(item.client_order_id, seq)
        self._recorded += 1
        if not self._woken:
            self._woken = True
            self._wakeup.set()

    def record_order(self, order: Order, *, client_id: ClientId | None = None) -> None:
        """Record a new order: its ``OrderInitialized`` and, when there is one, its route."""
        self.record(order.init_event)
        if client_id is not None or order.position_id is not None:
            self.record(
                OrderRoute(
                    client_order_id=order.client_order_id,
                    client_id=client_id,
                    position_id=order.position_id,
                )
            )

    def delete_orders(self, ids: Iterable[ClientOrderId]) -> None:
        """Buffer the deletion of these orders (purge with ``purge_from_database``)."""
        ids = list(ids)
        for coid in ids:
            self._inits.pop(coid, None)
            self._durable.pop(coid, None)
        self._queue_deletes(order_deletes(ids))

    def delete_positions(self, ids: Iterable[PositionId]) -> None:
        """Buffer the deletion of these positions."""
        self._queue_deletes(position_deletes(ids))

    def delete_account_events(self, states: Sequence[AccountState]) -> None:
        """Buffer the deletion of these account states."""
        self._queue_deletes(account_deletes(states))

    def _queue_deletes(self, deletes: list[Delete]) -> None:
        if self._closed:
            raise PersistenceError(f"{self.database.name}: delete after close()")
        for op in deletes:
            self._seq += 1
            self._pending[self._seq] = op
        self._recorded += len(deletes)
        if deletes and not self._woken:
            self._woken = True
            self._wakeup.set()

    # -- write-ahead ----------------------------------------------------------------------------

    async def write_ahead(self, init: OrderInitialized, *, deadline: float | None = None) -> None:
        """Return once ``init`` is durable; write it now if it is not yet.

        Records ``init`` first if it never was. Costs one small write (one
        round trip, one commit) the first time, nothing after. Cancelling it
        (a caller's own scope) leaves the record buffered, as a timeout does.
        ``deadline`` (``trio.current_time()`` units) ends the attempts earlier
        than ``write_ahead_timeout`` would: the write-ahead gate passes the time
        its command was held plus that timeout, so a command that waited behind
        others is not given a whole timeout of its own again.

        Raises:
            DatabaseUnavailable: still not written after ``write_ahead_timeout``
                seconds (or at ``deadline``); it stays buffered.
        """
        await self.write_ahead_many((init,), deadline=deadline)

    async def write_ahead_many(
        self, inits: Sequence[OrderInitialized], *, deadline: float | None = None
    ) -> None:
        """``write_ahead`` for several orders at once: one write, one commit for all."""
        todo: list[tuple[int, OrderInitialized]] = []
        for init in inits:
            coid = init.client_order_id
            if coid in self._durable:
                continue
            seq = self._inits.get(coid)
            if seq is None:
                self.record(init)
                seq = self._inits[coid]
            self._pending.pop(seq, None)
            todo.append((seq, init))
        if not todo:
            await trio.lowlevel.checkpoint()
            return
        ops: list[Op] = list(todo)
        limit = self._write_ahead_timeout
        until = trio.current_time() + limit
        if deadline is not None:
            until = min(until, deadline)
        written = False
        try:
            with trio.move_on_at(until):
                await self._write_retrying(ops)
                written = True
        finally:
            if not written:
                for seq, init in todo:
                    if init.client_order_id not in self._durable:
                        self._put_back(seq, init)
        if not written:
            missing = [
                str(i.client_order_id) for _, i in todo if i.client_order_id not in self._durable
            ]
            if missing:  # (a flush may have written them meanwhile)
                which = (
                    f"order {missing[0]}" if len(missing) == 1 else f"orders {', '.join(missing)}"
                )
                raise DatabaseUnavailable(
                    self.database.name,
                    f"{which} could not be written ahead within {limit}s; it stays buffered",
                )
        for _, init in todo:
            self._mark_durable(init.client_order_id)
        self._write_aheads += len(ops)

    async def _write_retrying(self, batch: list[Op]) -> None:
        delay = self._retry_initial
        while True:
            try:
                await self.database.write(batch)
            except DatabaseUnavailable as exc:
                self._failed(exc)
                await trio.sleep(delay)
                delay = min(delay * 2, self._retry_max)
                continue
            self._succeeded(len(batch))
            return

    def _mark_durable(self, coid: ClientOrderId) -> None:
        self._inits.pop(coid, None)
        durable = self._durable
        durable[coid] = None
        if len(durable) > _DURABLE_MEMORY:
            del durable[next(iter(durable))]

    @property
    def write_ahead_timeout(self) -> float:
        """Seconds ``write_ahead`` keeps trying before it gives up."""
        return self._write_ahead_timeout

    def awaits_write(self, coid: ClientOrderId) -> bool:
        """True while the ``OrderInitialized`` of ``coid`` is recorded but not yet written.

        The node's submit gate holds a submit while this is true (write-ahead).
        """
        return coid in self._inits

    def _put_back(self, seq: int, item: StoredItem) -> None:
        pending = self._pending
        pending[seq] = item
        if len(pending) > 1 and next(reversed(pending)) != max(pending):
            self._pending = dict(sorted(pending.items()))  # keep deletes after earlier writes
        if not self._woken:
            self._woken = True
            self._wakeup.set()

    # -- the writer task -----------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Write what is recorded until cancelled or ``close()``d; start with ``nursery.start``."""
        if self._state != "open":
            raise PersistenceError(f"run() needs an open service (it is {self._state})")
        with trio.CancelScope() as scope:
            self._run_scope = scope
            task_status.started()
            while True:
                if not self._pending:
                    self._wakeup = trio.Event()
                    self._woken = False
                    await self._wakeup.wait()
                if self._interval > 0:
                    await trio.sleep(self._interval)
                await self._drain()
        self._run_scope = None

    async def flush(self) -> None:
        """Write everything buffered now (retrying while the database is down)."""
        await self._drain()

    async def _drain(self) -> None:
        async with self._flush_lock:
            delay = self._retry_initial
            while self._pending:
                items = list(itertools.islice(self._pending.items(), self._max_batch))
                batch: list[Op] = [op if type(op) is Delete else (seq, op) for seq, op in items]
                try:
                    await self.database.write(batch)
                except DatabaseUnavailable as exc:
                    self._failed(exc)
                    await trio.sleep(delay)
                    delay = min(delay * 2, self._retry_max)
                    continue
                delay = self._retry_initial
                pending, inits = self._pending, self._inits
                for seq, op in items:
                    pending.pop(seq, None)
                    if type(op) is OrderInitialized and inits.get(op.client_order_id) == seq:
                        self._mark_durable(op.client_order_id)
                self._succeeded(len(items))

    def _failed(self, exc: DatabaseUnavailable) -> None:
        self._failed_attempts += 1
        if self._outage_started is None:
            self._outage_started = trio.current_time()
            self._outages += 1
            log.warning(
                "%s is unavailable (%s): %d records kept in memory; retrying with backoff "
                "(up to %.1fs between attempts)",
                self.database.name,
                exc.reason,
                len(self._pending),
                self._retry_max,
            )

    def _succeeded(self, count: int) -> None:
        self._written += count
        self._batches += 1
        if self._outage_started is not None:
            log.warning(
                "%s is available again after %.1fs; wrote %d records, %d still buffered",
                self.database.name,
                trio.current_time() - self._outage_started,
                count,
                len(self._pending),
            )
            self._outage_started = None

    # -- stop -----------------------------------------------------------------------------------

    async def close(self, timeout: float) -> CloseReport:  # noqa: ASYNC109
        """Stop ``run``, flush what is left (shielded, at most ``timeout`` seconds), close.

        The flush is shielded so a stop path that is being cancelled still
        writes; a caller's cancel scope therefore cannot bound it, hence the
        explicit ``timeout``. Never raises because the database is down: what
        could not be written is logged and returned in the report.
        """
        if self._run_scope is not None:
            self._run_scope.cancel()
        written_before = self._written
        with trio.CancelScope(shield=True):
            if self._state == "open":
                with trio.move_on_after(timeout):
                    await self._drain()
            self._state = "closed"
            self._closed = True
            with trio.move_on_after(max(timeout, 1.0)):
                await self.database.close()
        unwritten = tuple(self._pending.values())
        if unwritten:
            log.error(
                "%s: %d records could not be written before stopping (the node's state "
                "on the next start will miss them; reconciliation fills the gap)",
                self.database.name,
                len(unwritten),
            )
        return CloseReport(
            database=self.database.name,
            written=self._written - written_before,
            unwritten=unwritten,
        )

    # -- observability --------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Items waiting to be written."""
        return len(self._pending)

    def statistics(self) -> PersistenceStatistics:
        return PersistenceStatistics(
            recorded=self._recorded,
            written=self._written,
            pending=len(self._pending),
            batches=self._batches,
            failed_attempts=self._failed_attempts,
            outages=self._outages,
            write_aheads=self._write_aheads,
            unavailable=self._outage_started is not None,
        )
