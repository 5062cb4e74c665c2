"""``RedisDatabase``: the cache database in a Redis server (coredis 6, native under Trio).

Key layout, for namespace ``NS`` (``TRADER-001`` or ``TRADER-001:<instance>``)
and the default prefix ``livetrade``::

    livetrade:NS:meta              hash  version (the stored format version), format
    livetrade:NS:index:KIND        set   the keys of KIND that have rows
    livetrade:NS:KIND:KEY          hash  field -> one encoded record (see ``records``)

with KIND one of ``instrument``, ``order``, ``position``, ``account``. Everything a
node writes is under its ``livetrade:NS:`` prefix and listed in its index sets,
so ``flush_own`` deletes exactly its own keys, found through the index sets
(never by pattern), and leaves other traders' keys alone.

A batch is one pipeline (no MULTI/EXEC): consecutive rows of one hash become
one HSET and the index additions one SADD per kind. A pipeline that fails half
way is simply written again: every command is an idempotent upsert or delete.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, final

import trio

from livetrade.config.secrets import Secret
from livetrade.persistence._redis_client import REDIS_ERRORS, RedisConnection
from livetrade.persistence.codec import Codec
from livetrade.persistence.database import STORE_VERSION, DatabaseBase
from livetrade.persistence.errors import IncompatibleDatabase
from livetrade.persistence.records import (
    KINDS,
    Delete,
    Kind,
    LoadedState,
    Op,
    Row,
    assemble,
    locate,
)

if TYPE_CHECKING:
    from coredis.patterns.pipeline import Pipeline

__all__ = ["KEY_PREFIX", "RedisDatabase"]

KEY_PREFIX: Final = "livetrade"
#: hashes read per pipeline when loading
_LOAD_CHUNK: Final = 500


@final
class RedisDatabase(DatabaseBase):
    """A ``CacheDatabase`` in Redis; ``password`` is sent to the server and nowhere else."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 6379,
        username: str | None = None,
        password: Secret | None = None,
        ssl: bool = False,
        timeout: float = 20.0,
        namespace: str,
        codec: Codec | None = None,
        key_prefix: str = KEY_PREFIX,
    ) -> None:
        self._connection = RedisConnection(
            host=host,
            port=port,
            username=username,
            password=password,
            ssl=ssl,
            timeout=timeout,
        )
        self._namespace = namespace
        self._codec = codec or Codec()
        self._base = f"{key_prefix}:{namespace}"

    @property
    def name(self) -> str:
        return self._connection.name

    @property
    def namespace(self) -> str:
        return self._namespace

    def __repr__(self) -> str:
        return f"RedisDatabase({self.name!r}, {self._namespace!r}, {self._codec!r})"

    def meta_key(self) -> str:
        return f"{self._base}:meta"

    def index_key(self, kind: Kind) -> str:
        return f"{self._base}:index:{kind}"

    def hash_key(self, kind: Kind, key: str) -> str:
        return f"{self._base}:{kind}:{key}"

    # -- lifecycle ------------------------------------------------------------------------------

    async def open(self) -> None:
        await self._connection.open()
        try:
            await self._check_version()
        except BaseException:
            with trio.move_on_after(self._connection.timeout, shield=True):
                await self._connection.close()
            raise

    async def _check_version(self) -> None:
        client = self._connection.client
        try:
            with trio.fail_after(self._connection.timeout):
                stored = await client.hget(self.meta_key(), "version")
                if stored is None:
                    if await client.exists([self.index_key(kind) for kind in KINDS]):
                        raise IncompatibleDatabase(
                            f"keys under {self._base}: exist without {self.meta_key()}; "
                            "refusing to use or change them",
                            database=self.name,
                        )
                    await client.hset(
                        self.meta_key(), {"version": str(STORE_VERSION), "format": "livetrade"}
                    )
                    return
        except REDIS_ERRORS as exc:
            raise self._connection.unavailable(exc) from None
        if stored != str(STORE_VERSION).encode():
            raise IncompatibleDatabase(
                f"{self.meta_key()} says stored format version {stored.decode(errors='replace')}; "
                f"this livetrade reads version {STORE_VERSION}. The keys were left untouched",
                database=self.name,
            )

    async def close(self) -> None:
        await self._connection.close()

    # -- reads and writes ------------------------------------------------------------------------

    async def load(self) -> LoadedState:
        connection = self._connection
        await connection.ensure()
        client = connection.client
        decode = self._codec.decode_record
        rows: list[Row] = []
        try:
            keys: dict[Kind, list[bytes]] = {}
            for kind in KINDS:
                with trio.fail_after(connection.timeout):
                    keys[kind] = sorted(await client.smembers(self.index_key(kind)))
            for kind, members in keys.items():
                for start in range(0, len(members), _LOAD_CHUNK):
                    chunk = [m.decode() for m in members[start : start + _LOAD_CHUNK]]
                    with trio.fail_after(connection.timeout):
                        async with client.pipeline(transaction=False) as pipe:
                            for key in chunk:
                                pipe.hgetall(self.hash_key(kind, key))
                    for key, fields in zip(chunk, pipe.results or (), strict=True):
                        for field, payload in fields.items():
                            value, seq = decode(payload)
                            rows.append(Row(kind, key, field.decode(), seq or 0, value))
        except REDIS_ERRORS as exc:
            raise connection.unavailable(exc) from None
        connection.down = False
        return assemble(rows)

    async def write(self, batch: Sequence[Op]) -> None:
        if not batch:
            return
        connection = self._connection
        await connection.ensure()
        encode = self._codec.encode
        try:
            with trio.fail_after(connection.timeout):
                async with connection.client.pipeline(transaction=False) as pipe:
                    hashes: dict[str, dict[str, bytes]] = {}
                    indexed: dict[Kind, set[str]] = {}
                    for op in batch:
                        if isinstance(op, Delete):
                            self._queue_writes(pipe, hashes, indexed)
                            self._queue_delete(pipe, op)
                            continue
                        row = locate(*op)
                        fields = hashes.setdefault(self.hash_key(row.kind, row.key), {})
                        fields[row.field] = encode(row.value, seq=row.seq)
                        indexed.setdefault(row.kind, set()).add(row.key)
                    self._queue_writes(pipe, hashes, indexed)
                    # A server restarted without persistence lost the meta hash too:
                    # put the version back, so what is written next is still readable.
                    pipe.hsetnx(self.meta_key(), "version", str(STORE_VERSION))
        except REDIS_ERRORS as exc:
            raise connection.unavailable(exc) from None
        connection.down = False

    def _queue_writes(
        self,
        pipe: Pipeline[bytes],
        hashes: dict[str, dict[str, bytes]],
        indexed: dict[Kind, set[str]],
    ) -> None:
        for key, fields in hashes.items():
            pipe.hset(key, fields)
        for kind, keys in indexed.items():
            pipe.sadd(self.index_key(kind), list(keys))
        hashes.clear()
        indexed.clear()

    def _queue_delete(self, pipe: Pipeline[bytes], op: Delete) -> None:
        key = self.hash_key(op.kind, op.key)
        if op.fields is None:
            pipe.delete([key])
            pipe.srem(self.index_key(op.kind), [op.key])
        elif op.fields:
            pipe.hdel(key, list(op.fields))

    async def flush_own(self) -> None:
        connection = self._connection
        await connection.ensure()
        client = connection.client
        try:
            for kind in KINDS:
                with trio.fail_after(connection.timeout):
                    members = sorted(await client.smembers(self.index_key(kind)))
                for start in range(0, len(members), _LOAD_CHUNK):
                    chunk = [
                        self.hash_key(kind, m.decode())
                        for m in members[start : start + _LOAD_CHUNK]
                    ]
                    with trio.fail_after(connection.timeout):
                        await client.delete(chunk)
                with trio.fail_after(connection.timeout):
                    await client.delete([self.index_key(kind)])
        except REDIS_ERRORS as exc:
            raise connection.unavailable(exc) from None
        connection.down = False
