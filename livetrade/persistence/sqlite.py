"""``SqliteDatabase``: the embedded default, one file, nothing to install.

Theory of operation
-------------------
One ``sqlite3`` connection, owned by one dedicated thread for its whole life:
every operation is a job put on that thread's queue, and the Trio side waits
for the job's result (delivered with ``TrioToken.run_sync_soon``). A batch of
any size is one job and one transaction, so the thread hop and the commit are
paid per batch, never per row. Encoding and decoding run on the thread too.

A cancelled wait does not cancel the job: a batch the thread has started is
committed (or rolled back) whole, and writes are idempotent upserts, so the
writer may simply write it again.

Layout (one table for every kind of row; see ``records``)::

    records(namespace, kind, key, field, seq, payload)  PRIMARY KEY (namespace, kind, key, field)

(a load reads a namespace's rows and sorts them by ``seq`` in Python, so no other
index is kept up to date on every write). The format version is the file's
``PRAGMA user_version``, and ``PRAGMA application_id`` marks the file as
livetrade's. ``open`` reads both before it changes anything: an empty file
gets the schema, a livetrade file of this version is used, and anything else
(another version, another application's database, a file that is not SQLite)
is refused untouched. Then the journal goes to WAL with ``synchronous=NORMAL``
(durable against a crash of the process; ``FULL`` also against power loss).
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final, Literal, TypeVar, final

import outcome
import trio

from livetrade.persistence.codec import Codec
from livetrade.persistence.database import STORE_VERSION, DatabaseBase
from livetrade.persistence.errors import (
    DatabaseUnavailable,
    IncompatibleDatabase,
    PersistenceError,
)
from livetrade.persistence.records import Delete, LoadedState, Op, Row, assemble, locate

__all__ = ["APPLICATION_ID", "SqliteDatabase"]

T = TypeVar("T")

#: ``PRAGMA application_id`` of a livetrade store ("LTRD").
APPLICATION_ID: Final = 0x4C545244

_SCHEMA: Final = (
    "CREATE TABLE records ("
    " namespace TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, field TEXT NOT NULL,"
    " seq INTEGER NOT NULL, payload BLOB NOT NULL,"
    " PRIMARY KEY (namespace, kind, key, field)) WITHOUT ROWID",
)
#: seconds ``close`` waits for the thread to finish the queued jobs and exit
_STOP_TIMEOUT: Final = 30.0
_UPSERT: Final = "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?)"


@final
class _Owner:
    """The thread that owns the connection, and the queue of jobs it runs in order."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        while (job := self._jobs.get()) is not None:
            job()

    async def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the thread, after the jobs queued before it; return its result."""
        token = trio.lowlevel.current_trio_token()
        done = trio.Event()
        results: list[outcome.Outcome[T]] = []

        def job() -> None:
            results.append(outcome.capture(fn))
            with contextlib.suppress(trio.RunFinishedError):  # nobody left to tell
                token.run_sync_soon(done.set)

        self._jobs.put(job)
        await done.wait()
        return results[0].unwrap()

    async def stop(self) -> None:
        """End the thread once the queued jobs are done."""
        self._jobs.put(None)
        await trio.to_thread.run_sync(self._thread.join)


@final
class SqliteDatabase(DatabaseBase):
    """A ``CacheDatabase`` in one SQLite file.

    Args:
        path: the database file (created with its directory's permissions).
        namespace: whose rows these are (``namespace_for``).
        codec: how records are encoded.
        synchronous: ``NORMAL`` (survives a process crash) or ``FULL`` (also a
            power loss, at several times the commit cost).
        busy_timeout: seconds to wait for a lock held by another connection.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        namespace: str,
        codec: Codec | None = None,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        busy_timeout: float = 5.0,
    ) -> None:
        self.path = Path(path)
        self._namespace = namespace
        self._codec = codec or Codec()
        self._synchronous = synchronous
        self._busy_timeout = busy_timeout
        self._owner: _Owner | None = None
        self._conn: sqlite3.Connection | None = None  # used on the owner thread only

    @property
    def name(self) -> str:
        return f"sqlite at {self.path}"

    @property
    def namespace(self) -> str:
        return self._namespace

    def __repr__(self) -> str:
        return f"SqliteDatabase({str(self.path)!r}, {self._namespace!r}, {self._codec!r})"

    # -- the Trio side ------------------------------------------------------------------------

    async def open(self) -> None:
        if self._owner is not None:
            raise PersistenceError("already open", database=self.name)
        owner = _Owner(f"livetrade-sqlite-{self.path.name}")
        try:
            await owner.call(self._open_sync)
        except BaseException:
            with trio.move_on_after(_STOP_TIMEOUT, shield=True):
                await owner.stop()
            raise
        self._owner = owner

    async def load(self) -> LoadedState:
        return await self._call(self._load_sync)

    async def write(self, batch: Sequence[Op]) -> None:
        if batch:
            ops = list(batch)
            await self._call(lambda: self._write_sync(ops))

    async def flush_own(self) -> None:
        await self._call(self._flush_own_sync)

    async def close(self) -> None:
        owner, self._owner = self._owner, None
        if owner is None:
            return
        # Shielded and bounded: the connection is closed even on a cancelled stop path.
        with trio.move_on_after(_STOP_TIMEOUT, shield=True):
            await owner.call(self._close_sync)
            await owner.stop()

    async def _call(self, fn: Callable[[], T]) -> T:
        if self._owner is None:
            raise PersistenceError("not open: call open() first", database=self.name)
        return await self._owner.call(fn)

    # -- the owner thread -----------------------------------------------------------------------

    def _fail(self, exc: sqlite3.Error) -> PersistenceError:
        message = str(exc) or type(exc).__name__
        if isinstance(exc, sqlite3.OperationalError):
            return DatabaseUnavailable(self.name, message)
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in message:
            return IncompatibleDatabase(f"not a SQLite database ({message})", database=self.name)
        return PersistenceError(message, database=self.name)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise PersistenceError("the connection is closed", database=self.name)
        return self._conn

    def _open_sync(self) -> None:
        try:
            conn = sqlite3.connect(
                self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=True
            )
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        try:
            self._check_or_create(conn)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
        except sqlite3.Error as exc:
            conn.close()
            raise self._fail(exc) from None
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def _check_or_create(self, conn: sqlite3.Connection) -> None:
        application = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        if application == 0 and version == 0 and not tables:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version={STORE_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return
        if application != APPLICATION_ID:
            raise IncompatibleDatabase(
                f"not a livetrade store (application_id {application:#x}, tables "
                f"{', '.join(sorted(tables)) or 'none'}); refusing to use or change it",
                database=self.name,
            )
        if version != STORE_VERSION:
            raise IncompatibleDatabase(
                f"holds stored format version {version}; this livetrade reads version "
                f"{STORE_VERSION}. It was left untouched: use the livetrade version that "
                "wrote it, or point the cache at another file",
                database=self.name,
            )

    def _load_sync(self) -> LoadedState:
        conn = self._connection()
        decode = self._codec.decode
        try:
            rows = conn.execute(
                "SELECT kind, key, field, seq, payload FROM records WHERE namespace = ?",
                (self._namespace,),
            ).fetchall()
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        return assemble(
            Row(kind, key, field, seq, decode(payload)) for kind, key, field, seq, payload in rows
        )

    def _write_sync(self, batch: list[Op]) -> None:
        conn = self._connection()
        namespace = self._namespace
        encode = self._codec.encode
        pending: list[tuple[str, str, str, str, int, bytes]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for op in batch:
                    if isinstance(op, Delete):
                        if pending:
                            conn.executemany(_UPSERT, pending)
                            pending.clear()
                        self._delete(conn, op)
                    else:
                        row = locate(*op)
                        payload = encode(row.value, seq=row.seq)
                        pending.append((namespace, row.kind, row.key, row.field, row.seq, payload))
                if pending:
                    conn.executemany(_UPSERT, pending)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise self._fail(exc) from None

    def _delete(self, conn: sqlite3.Connection, op: Delete) -> None:
        where = "namespace = ? AND kind = ? AND key = ?"
        if op.fields is None:
            conn.execute(f"DELETE FROM records WHERE {where}", (self._namespace, op.kind, op.key))
        else:
            conn.executemany(
                f"DELETE FROM records WHERE {where} AND field = ?",
                [(self._namespace, op.kind, op.key, field) for field in op.fields],
            )

    def _flush_own_sync(self) -> None:
        conn = self._connection()
        try:
            conn.execute("DELETE FROM records WHERE namespace = ?", (self._namespace,))
        except sqlite3.Error as exc:
            raise self._fail(exc) from None

    def _close_sync(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
