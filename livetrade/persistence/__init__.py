"""Persistence: the cache database backends, their codec, the writer and the bus streamer.

- ``PersistenceService``: what the node uses; ``record`` (sync), ``write_ahead``,
  ``run`` (the writer task), ``close``, ``open`` + ``load_into``.
- ``CacheDatabase`` and its backends: ``MemoryDatabase``, ``SqliteDatabase``, and
  ``livetrade.persistence.redis.RedisDatabase`` (needs the ``redis`` extra).
- ``Codec``: msgpack or JSON records through msgspec.
- ``livetrade.persistence.streamer.BusStreamer``: message-bus topics to Redis streams.

The Redis modules are not imported here, so this package works without coredis.
See ``docs/persistence.md``.
"""

from livetrade.persistence.codec import Codec as Codec
from livetrade.persistence.database import STORE_VERSION as STORE_VERSION
from livetrade.persistence.database import CacheDatabase as CacheDatabase
from livetrade.persistence.database import create_database as create_database
from livetrade.persistence.database import namespace_for as namespace_for
from livetrade.persistence.errors import CodecError as CodecError
from livetrade.persistence.errors import DatabaseUnavailable as DatabaseUnavailable
from livetrade.persistence.errors import IncompatibleDatabase as IncompatibleDatabase
from livetrade.persistence.errors import PersistenceError as PersistenceError
from livetrade.persistence.memory import MemoryDatabase as MemoryDatabase
from livetrade.persistence.memory import MemoryStore as MemoryStore
from livetrade.persistence.records import LoadedState as LoadedState
from livetrade.persistence.records import OrderRoute as OrderRoute
from livetrade.persistence.records import StoredOrder as StoredOrder
from livetrade.persistence.records import StoredPosition as StoredPosition
from livetrade.persistence.service import CloseReport as CloseReport
from livetrade.persistence.service import LoadReport as LoadReport
from livetrade.persistence.service import PersistenceService as PersistenceService
from livetrade.persistence.service import PersistenceStatistics as PersistenceStatistics
from livetrade.persistence.sqlite import SqliteDatabase as SqliteDatabase

__all__ = [
    "STORE_VERSION",
    "CacheDatabase",
    "CloseReport",
    "Codec",
    "CodecError",
    "DatabaseUnavailable",
    "IncompatibleDatabase",
    "LoadReport",
    "LoadedState",
    "MemoryDatabase",
    "MemoryStore",
    "OrderRoute",
    "PersistenceError",
    "PersistenceService",
    "PersistenceStatistics",
    "SqliteDatabase",
    "StoredOrder",
    "StoredPosition",
    "create_database",
    "namespace_for",
]
