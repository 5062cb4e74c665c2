"""Errors of the persistence layer, under ``livetrade.errors.LiveTradeError``::

    LiveTradeError
    └── PersistenceError (RuntimeError)       something went wrong storing or loading state
        ├── DatabaseUnavailable (ConnectionError)  the database cannot be reached right now
        ├── IncompatibleDatabase              the store is not one this version can use
        └── CodecError (ValueError)           a record cannot be encoded or decoded

``DatabaseUnavailable`` is the operational one: the writer keeps events in
memory and retries with backoff. The other two are not retried: they mean the
data (or the program) must be looked at by a person.
"""

from __future__ import annotations

from livetrade.errors import LiveTradeError

__all__ = ["CodecError", "DatabaseUnavailable", "IncompatibleDatabase", "PersistenceError"]


class PersistenceError(LiveTradeError, RuntimeError):
    """Base of the persistence errors; ``database`` names the store (``redis at host:port``)."""

    def __init__(self, message: str, *, database: str | None = None) -> None:
        self.database = database
        super().__init__(f"{database}: {message}" if database else message)


class DatabaseUnavailable(PersistenceError, ConnectionError):
    """The database cannot be reached or refused the operation for now (retryable).

    ``reason`` is the short cause (``connection refused``, ``timed out after 2.0s``).
    """

    def __init__(self, database: str, reason: str) -> None:
        self.reason = reason
        super().__init__(reason, database=database)


class IncompatibleDatabase(PersistenceError):
    """The store was written by another format version, or is not a livetrade store.

    Raised by ``open()`` before anything is written, so the store is left exactly
    as it was found.
    """


class CodecError(PersistenceError, ValueError):
    """A value cannot be encoded, or stored bytes do not decode to a known record."""
