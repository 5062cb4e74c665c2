"""``MemoryDatabase``: rows kept in a ``MemoryStore`` in this process (tests, dry runs).

It encodes and decodes every row exactly like the other backends, so a test on
it exercises the codec too. Several databases can share one store (a restart,
or two nodes with different namespaces), and a test can take the store down
(``available = False``) to drive the writer's outage handling under virtual time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import final

import trio

from livetrade.persistence.codec import Codec
from livetrade.persistence.database import STORE_VERSION, DatabaseBase
from livetrade.persistence.errors import DatabaseUnavailable, IncompatibleDatabase
from livetrade.persistence.records import Delete, Kind, LoadedState, Op, Row, assemble, locate

__all__ = ["MemoryDatabase", "MemoryStore"]

#: (kind, key) -> field -> (seq, payload)
Rows = dict[tuple[Kind, str], dict[str, tuple[int, bytes]]]


@final
class MemoryStore:
    """What memory databases keep: per namespace, the rows; plus the format version.

    Attributes:
        available: when False every operation raises ``DatabaseUnavailable``
            (a simulated outage).
        version: the stored format version (None until a database opens it).
        writes: batches written so far, for tests.
    """

    def __init__(self) -> None:
        self.namespaces: dict[str, Rows] = {}
        self.available = True
        self.version: int | None = None
        self.writes = 0

    def rows(self, namespace: str) -> Rows:
        return self.namespaces.setdefault(namespace, {})


@final
class MemoryDatabase(DatabaseBase):
    """A ``CacheDatabase`` in memory; give two of them one ``store`` to share it."""

    def __init__(
        self, *, namespace: str, codec: Codec | None = None, store: MemoryStore | None = None
    ) -> None:
        self._namespace = namespace
        self._codec = codec or Codec()
        self.store = store or MemoryStore()
        self._open = False

    @property
    def name(self) -> str:
        return "memory store"

    @property
    def namespace(self) -> str:
        return self._namespace

    def __repr__(self) -> str:
        return f"MemoryDatabase({self._namespace!r}, {self._codec!r})"

    def _check(self) -> None:
        if not self.store.available:
            raise DatabaseUnavailable(self.name, "unavailable (simulated outage)")

    async def open(self) -> None:
        await trio.lowlevel.checkpoint()
        self._check()
        if self.store.version is None:
            self.store.version = STORE_VERSION
        elif self.store.version != STORE_VERSION:
            raise IncompatibleDatabase(
                f"holds stored format version {self.store.version}; this livetrade "
                f"reads version {STORE_VERSION}",
                database=self.name,
            )
        self._open = True

    async def load(self) -> LoadedState:
        await trio.lowlevel.checkpoint()
        self._check()
        decode = self._codec.decode
        return assemble(
            Row(kind, key, field, seq, decode(payload))
            for (kind, key), fields in self.store.rows(self._namespace).items()
            for field, (seq, payload) in fields.items()
        )

    async def write(self, batch: Sequence[Op]) -> None:
        await trio.lowlevel.checkpoint()
        self._check()
        rows = self.store.rows(self._namespace)
        encode = self._codec.encode
        for op in batch:
            if isinstance(op, Delete):
                target = rows.get((op.kind, op.key))
                if target is None:
                    continue
                if op.fields is None:
                    del rows[(op.kind, op.key)]
                else:
                    for field in op.fields:
                        target.pop(field, None)
                    if not target:
                        del rows[(op.kind, op.key)]
            else:
                row = locate(*op)
                payload = encode(row.value, seq=row.seq)
                rows.setdefault((row.kind, row.key), {})[row.field] = (row.seq, payload)
        self.store.writes += 1

    async def flush_own(self) -> None:
        await trio.lowlevel.checkpoint()
        self._check()
        self.store.namespaces.pop(self._namespace, None)

    async def close(self) -> None:
        await trio.lowlevel.checkpoint()
        self._open = False
