"""The ``CacheDatabase`` protocol: the one seam between the node's state and storage.

A backend stores rows (see ``records``) for one *namespace*: the trader id, plus
the instance id when ``use_instance_id`` is set. Two nodes with different
namespaces can share a store; ``flush_own`` clears only its own.

Lifecycle: ``open()`` (checks the store's format version, creating it in an
empty store), then any number of ``load``/``write``/``delete_*``/``flush_own``,
then ``close()``. ``open()`` raises ``DatabaseUnavailable`` naming the store
(``redis at 127.0.0.1:6390: connection refused``) when it cannot be reached, and
``IncompatibleDatabase`` when it holds another format version, which it leaves
untouched. During the run, ``DatabaseUnavailable`` from ``write`` is retryable:
every write is an upsert keyed by ``(kind, key, field)``, so a batch that was
applied in part can be written again as a whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Final, Protocol

from livetrade.model.account import AccountState
from livetrade.model.identifiers import ClientOrderId, PositionId, TraderId
from livetrade.persistence.codec import Codec
from livetrade.persistence.errors import PersistenceError
from livetrade.persistence.records import (
    LoadedState,
    Op,
    account_deletes,
    order_deletes,
    position_deletes,
)

if TYPE_CHECKING:
    from livetrade.config.persistence import CacheConfig, DatabaseConfig

__all__ = [
    "STORE_VERSION",
    "CacheDatabase",
    "DatabaseBase",
    "create_database",
    "namespace_for",
]

#: The stored format version. Bump it when a stored record or the layout changes
#: in a way this version's decoder cannot read; ``open()`` refuses other versions.
STORE_VERSION: Final = 1


def namespace_for(trader_id: TraderId, instance_id: str | None = None) -> str:
    """``TRADER-001``, or ``TRADER-001:<instance id>`` when one is given."""
    return trader_id.value if instance_id is None else f"{trader_id.value}:{instance_id}"


class CacheDatabase(Protocol):
    """A store for one node's instruments, orders, positions and accounts."""

    @property
    def name(self) -> str:
        """What the store is, for messages: ``sqlite at /path``, ``redis at host:port``."""
        ...

    @property
    def namespace(self) -> str:
        """Whose rows these are (``TRADER-001`` or ``TRADER-001:<instance>``)."""
        ...

    async def open(self) -> None:
        """Connect and check (or, in an empty store, write) the format version.

        Raises:
            DatabaseUnavailable: the store cannot be reached.
            IncompatibleDatabase: the store holds another format version, or is
                not a livetrade store; it is left untouched.
        """
        ...

    async def load(self) -> LoadedState:
        """Everything stored for this namespace, grouped and in recorded order."""
        ...

    async def write(self, batch: Sequence[Op]) -> None:
        """Apply ``batch`` (writes and deletes) in order; idempotent, so retryable."""
        ...

    async def delete_orders(self, ids: Iterable[ClientOrderId]) -> None:
        """Remove these orders' events and routes."""
        ...

    async def delete_positions(self, ids: Iterable[PositionId]) -> None:
        """Remove these positions' fills."""
        ...

    async def delete_account_events(self, states: Sequence[AccountState]) -> None:
        """Remove these account states."""
        ...

    async def flush_own(self) -> None:
        """Remove every row of this namespace, and nothing of any other."""
        ...

    async def close(self) -> None:
        """Release the connection; safe to call twice or after a failed ``open``."""
        ...


class DatabaseBase:
    """The ``delete_*`` methods of ``CacheDatabase``, as batches for ``write``."""

    async def write(self, batch: Sequence[Op]) -> None:
        raise NotImplementedError

    async def delete_orders(self, ids: Iterable[ClientOrderId]) -> None:
        await self.write(order_deletes(ids))

    async def delete_positions(self, ids: Iterable[PositionId]) -> None:
        await self.write(position_deletes(ids))

    async def delete_account_events(self, states: Sequence[AccountState]) -> None:
        await self.write(account_deletes(states))


def create_database(
    config: CacheConfig,
    *,
    trader_id: TraderId,
    instance_id: str | None = None,
) -> CacheDatabase:
    """The backend ``config.database`` describes, not yet opened.

    The namespace is the trader id, plus ``instance_id`` when
    ``config.use_instance_id`` is set (``instance_id`` is then required).

    Raises:
        PersistenceError: the settings cannot work (a Redis store without the
            ``redis`` extra installed, ``use_instance_id`` without an instance id).
    """
    if config.use_instance_id and not instance_id:
        raise PersistenceError("cache.use_instance_id is set but the node has no instance id")
    namespace = namespace_for(trader_id, instance_id if config.use_instance_id else None)
    codec = Codec(config.encoding, timestamps_as_iso8601=config.timestamps_as_iso8601)
    return database_from(config.database, namespace=namespace, codec=codec)


def database_from(config: DatabaseConfig, *, namespace: str, codec: Codec) -> CacheDatabase:
    """The backend for one ``[...database]`` table (shared by the cache and tests)."""
    if config.type == "memory":
        from livetrade.persistence.memory import MemoryDatabase

        return MemoryDatabase(namespace=namespace, codec=codec)
    if config.type == "sqlite":
        from livetrade.persistence.sqlite import SqliteDatabase

        if config.path is None:
            raise PersistenceError(
                "cache.database.path is not set: the config loader puts the SQLite file "
                "next to the config file; pass a path when building configs in code"
            )
        return SqliteDatabase(config.path, namespace=namespace, codec=codec)
    try:
        from livetrade.persistence.redis import RedisDatabase
    except ImportError as exc:
        raise PersistenceError(
            f"a redis cache database needs coredis ({exc}); install it with "
            "pip install 'livetrade[redis]'"
        ) from None
    return RedisDatabase(
        host=config.host or "127.0.0.1",
        port=config.port or 6379,
        username=config.username,
        password=config.password,
        ssl=config.ssl,
        timeout=config.timeout,
        namespace=namespace,
        codec=codec,
    )
