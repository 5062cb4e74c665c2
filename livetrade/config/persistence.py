"""Settings of the cache database and of the message bus's external stream.

``[cache]`` says where the node keeps its execution state between runs;
``[message_bus]`` says whether messages are also streamed out (to Redis).
Both take a ``database`` subtable with the same shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal, final

import attrs

from livetrade.config._checks import (
    Check,
    non_negative_int,
    one_of,
    positive_int,
    positive_seconds,
    token,
)
from livetrade.config.secrets import Secret

__all__ = [
    "DEFAULT_SQLITE_FILE",
    "CacheConfig",
    "DatabaseConfig",
    "DatabaseType",
    "Encoding",
    "MessageBusConfig",
]

DatabaseType = Literal["sqlite", "redis", "memory"]
Encoding = Literal["msgpack", "json"]

#: File name the loader uses for a SQLite database with no ``path``, placed next
#: to the config file so a node finds its state again wherever it is started from.
DEFAULT_SQLITE_FILE: Final = "livetrade.sqlite"

_DATABASE_TYPES = one_of("sqlite", "redis", "memory")
_ENCODINGS = one_of("msgpack", "json")
_PORT = Check(
    "an integer port from 1 to 65535",
    lambda v: type(v) is int and 1 <= v <= 65535,
    optional=True,
)


@final
@attrs.frozen(kw_only=True)
class DatabaseConfig:
    """Connection settings of a backing store.

    ``sqlite`` is the embedded default (one file, nothing to install); ``redis``
    needs a server; ``memory`` keeps nothing across restarts (tests, dry runs).
    ``path`` only concerns SQLite: ``None`` means ``DEFAULT_SQLITE_FILE`` next to
    the config file, and the loader makes relative paths absolute.
    """

    type: DatabaseType = attrs.field(default="sqlite", validator=_DATABASE_TYPES)
    host: str | None = attrs.field(default=None, validator=token("a host name", optional=True))
    port: int | None = attrs.field(default=None, validator=_PORT)
    username: str | None = attrs.field(default=None)
    password: Secret | None = attrs.field(default=None)
    ssl: bool = False
    timeout: float = attrs.field(default=20.0, validator=positive_seconds())
    path: Path | None = None


@final
@attrs.frozen(kw_only=True)
class CacheConfig:
    """How the cache persists orders, positions and accounts.

    Every execution event is written, so a restart rebuilds state from the
    database and reconciliation only fills the gap. ``buffer_interval_ms`` of
    ``None`` or 0 writes through; a positive value batches writes.
    """

    database: DatabaseConfig = attrs.field(factory=DatabaseConfig)
    encoding: Encoding = attrs.field(default="msgpack", validator=_ENCODINGS)
    timestamps_as_iso8601: bool = False
    buffer_interval_ms: int | None = attrs.field(
        default=None, validator=non_negative_int("milliseconds", optional=True)
    )
    flush_on_start: bool = False
    use_instance_id: bool = False
    #: write each new order to the database before its submit leaves for the venue
    #: (a crash can then never leave an order at the venue the node does not know);
    #: costs one small write per order on tick-to-order latency; ignored for memory
    write_ahead: bool = True
    tick_capacity: int = attrs.field(default=10_000, validator=positive_int("ticks"))


@final
@attrs.frozen(kw_only=True)
class MessageBusConfig:
    """Whether and how message-bus traffic is streamed to an external store.

    With ``database`` unset nothing leaves the process. ``types_filter`` names
    message types that are never streamed (high-volume market data, typically).
    """

    database: DatabaseConfig | None = None
    encoding: Encoding = attrs.field(default="msgpack", validator=_ENCODINGS)
    timestamps_as_iso8601: bool = False
    use_instance_id: bool = False
    types_filter: list[str] | None = None
    stream_per_topic: bool = True
    autotrim_mins: int | None = attrs.field(
        default=None, validator=non_negative_int("minutes", optional=True)
    )
    heartbeat_interval_secs: int | None = attrs.field(
        default=None, validator=non_negative_int("seconds", optional=True)
    )
    buffer_interval_ms: int | None = attrs.field(
        default=None, validator=non_negative_int("milliseconds", optional=True)
    )
