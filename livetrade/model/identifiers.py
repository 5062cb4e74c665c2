"""Typed identifiers: one class per kind of id, validated once at construction.

An identifier is an immutable wrapper around its string ``value``. Two ids are
equal only when they are of the same kind and have the same value, so a
``ClientOrderId("X")`` never matches a ``VenueOrderId("X")`` by accident.
"""

from __future__ import annotations

from typing import ClassVar, Final, Self

from livetrade.errors import InvalidIdentifier

__all__ = [
    "EXTERNAL_STRATEGY_ID",
    "INTERNAL_DIFF_STRATEGY_ID",
    "AccountId",
    "ClientId",
    "ClientOrderId",
    "Identifier",
    "InstrumentId",
    "OrderListId",
    "PositionId",
    "StrategyId",
    "Symbol",
    "TradeId",
    "TraderId",
    "Venue",
    "VenueOrderId",
]


def _check_plain(kind: str, value: object, expected: str) -> str:
    """Return ``value`` if it is a non-empty string with no whitespace or control chars."""
    if type(value) is not str:
        raise InvalidIdentifier(kind, value, expected)
    # Once isprintable() holds, the space is the only whitespace character left.
    if not value or not value.isprintable() or " " in value:
        raise InvalidIdentifier(kind, value, expected)
    return value


def _check_name_tag(kind: str, value: object, example: str) -> str:
    """Validate the ``NAME-TAG`` form used by trader, strategy and account ids."""
    expected = f"NAME-TAG form such as {example!r} (a hyphen between two non-empty parts)"
    text = _check_plain(kind, value, expected)
    name, sep, tag = text.rpartition("-")
    if not sep or not name or not tag:
        raise InvalidIdentifier(kind, value, expected)
    return text


class Identifier:
    """Base of all identifiers: an immutable, hashable, ordered string value."""

    __slots__ = ("value",)

    value: str
    _kind: ClassVar[str] = "identifier"
    _expected: ClassVar[str] = "a non-empty string without whitespace"

    def __init__(self, value: str) -> None:
        object.__setattr__(self, "value", self._validate(value))

    @classmethod
    def _validate(cls, value: object) -> str:
        return _check_plain(cls._kind, value, cls._expected)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return self.value == other.value
        return NotImplemented

    def __lt__(self, other: Self) -> bool:
        if type(other) is type(self):
            return self.value < other.value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"

    def __reduce__(self) -> tuple[type[Self], tuple[str]]:
        return (type(self), (self.value,))


class TraderId(Identifier):
    """The trader (node) identity, in ``NAME-TAG`` form such as ``TRADER-001``."""

    __slots__ = ()
    _kind = "trader id"

    @classmethod
    def _validate(cls, value: object) -> str:
        return _check_name_tag(cls._kind, value, "TRADER-001")

    @property
    def tag(self) -> str:
        """The part after the last hyphen (``001`` in ``TRADER-001``)."""
        return self.value.rpartition("-")[2]


class StrategyId(Identifier):
    """A strategy id such as ``EMACross-001``; ``EXTERNAL``, ``INTERNAL-DIFF`` are reserved."""

    __slots__ = ()
    _kind = "strategy id"

    @classmethod
    def _validate(cls, value: object) -> str:
        if value == "EXTERNAL":
            return "EXTERNAL"
        return _check_name_tag(cls._kind, value, "EMACross-001")

    @property
    def tag(self) -> str:
        """The order id tag part (``001`` in ``EMACross-001``); empty for ``EXTERNAL``."""
        return self.value.rpartition("-")[2] if "-" in self.value else ""

    @property
    def is_external(self) -> bool:
        """True for orders created from venue reports the node did not originate."""
        return self.value == "EXTERNAL"

    @property
    def is_internal_diff(self) -> bool:
        """True for orders created by position reconciliation to align quantities."""
        return self.value == "INTERNAL-DIFF"


EXTERNAL_STRATEGY_ID: Final = StrategyId("EXTERNAL")
INTERNAL_DIFF_STRATEGY_ID: Final = StrategyId("INTERNAL-DIFF")


class Symbol(Identifier):
    """A venue's ticker symbol such as ``ETHUSDT`` (may itself contain dots)."""

    __slots__ = ()
    _kind = "symbol"


class Venue(Identifier):
    """A trading venue such as ``BINANCE``; it cannot contain a dot."""

    __slots__ = ()
    _kind = "venue"
    _expected = "a non-empty string without whitespace or dots"

    @classmethod
    def _validate(cls, value: object) -> str:
        text = _check_plain(cls._kind, value, cls._expected)
        if "." in text:
            raise InvalidIdentifier(cls._kind, value, cls._expected)
        return text


class InstrumentId(Identifier):
    """``SYMBOL.VENUE`` such as ``ETHUSDT.BINANCE``; split at the last dot."""

    __slots__ = ("symbol", "venue")

    symbol: Symbol
    venue: Venue
    _kind = "instrument id"
    _expected = "SYMBOL.VENUE such as 'ETHUSDT.BINANCE'"

    def __init__(self, value: str) -> None:
        text = _check_plain(self._kind, value, self._expected)
        symbol, dot, venue = text.rpartition(".")
        if not dot or not symbol or not venue:
            raise InvalidIdentifier(self._kind, value, self._expected)
        object.__setattr__(self, "value", text)
        object.__setattr__(self, "symbol", Symbol(symbol))
        object.__setattr__(self, "venue", Venue(venue))

    @classmethod
    def from_parts(cls, symbol: Symbol | str, venue: Venue | str) -> InstrumentId:
        """Build ``SYMBOL.VENUE`` from its two parts."""
        return cls(f"{symbol}.{venue}")


class AccountId(Identifier):
    """An account at a venue, ``ISSUER-NUMBER`` such as ``BINANCE-001``."""

    __slots__ = ()
    _kind = "account id"

    @classmethod
    def _validate(cls, value: object) -> str:
        return _check_name_tag(cls._kind, value, "BINANCE-001")

    @property
    def issuer(self) -> str:
        """The part before the last hyphen (``BINANCE``)."""
        return self.value.rpartition("-")[0]


class ClientId(Identifier):
    """The name of a data or execution client, usually its venue (``BINANCE``)."""

    __slots__ = ()
    _kind = "client id"


class ClientOrderId(Identifier):
    """The id the node gives an order; unique for the trader, never reused."""

    __slots__ = ()
    _kind = "client order id"


class VenueOrderId(Identifier):
    """The id the venue gives an order when it accepts it."""

    __slots__ = ()
    _kind = "venue order id"


class OrderListId(Identifier):
    """The id of an order list (a bracket or other contingent group)."""

    __slots__ = ()
    _kind = "order list id"


class TradeId(Identifier):
    """The venue's id of one execution (fill); used to apply each fill once."""

    __slots__ = ()
    _kind = "trade id"


class PositionId(Identifier):
    """A position's id: ``INSTRUMENT-STRATEGY`` when netting, one per entry when hedging."""

    __slots__ = ()
    _kind = "position id"
