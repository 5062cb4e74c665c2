"""Closed sets of the domain, as enums named after the guide's vocabulary.

Members are ``enum.Enum`` with string values equal to their names, so they read
the same in logs, TOML and stored records.
"""

from __future__ import annotations

from enum import Enum, unique

__all__ = [
    "AccountType",
    "AggressorSide",
    "BookAction",
    "ContingencyType",
    "CurrencyType",
    "LiquiditySide",
    "OmsType",
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "PositionSide",
    "TimeInForce",
    "TradingState",
]


@unique
class OrderSide(Enum):
    """Which way an order trades."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def opposite(self) -> OrderSide:
        """SELL for BUY and BUY for SELL."""
        return OrderSide.SELL if self is OrderSide.BUY else OrderSide.BUY

    @property
    def sign(self) -> int:
        """+1 for BUY, -1 for SELL: the direction a fill moves a net position."""
        return 1 if self is OrderSide.BUY else -1


@unique
class OrderType(Enum):
    """How an order is priced and triggered."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP_MARKET = "STOP_MARKET"
    STOP_LIMIT = "STOP_LIMIT"

    @property
    def has_price(self) -> bool:
        """True when the order carries a limit price."""
        return self in (OrderType.LIMIT, OrderType.STOP_LIMIT)

    @property
    def has_trigger_price(self) -> bool:
        """True when the order carries a trigger (stop) price."""
        return self in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT)


@unique
class TimeInForce(Enum):
    """How long an order stays working."""

    GTC = "GTC"  #: good till canceled
    IOC = "IOC"  #: immediate or cancel: fill what can be filled now, cancel the rest
    FOK = "FOK"  #: fill or kill: fill everything now or nothing
    GTD = "GTD"  #: good till date: expires at ``expire_time_ns``
    DAY = "DAY"  #: expires at the end of the venue's trading day


@unique
class OrderStatus(Enum):
    """The status set of an order; see ``livetrade.model.order_status`` for transitions."""

    # Members are singletons, so identity hashing is consistent with equality and
    # much cheaper than Enum's name hash on the order-event hot path.
    __hash__ = object.__hash__

    INITIALIZED = "INITIALIZED"
    DENIED = "DENIED"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"
    TRIGGERED = "TRIGGERED"
    PENDING_UPDATE = "PENDING_UPDATE"
    PENDING_CANCEL = "PENDING_CANCEL"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"

    @property
    def is_closed(self) -> bool:
        """True for the terminal statuses (no further fills expected)."""
        return self in _CLOSED

    @property
    def is_open(self) -> bool:
        """True while the order may still trade at the venue."""
        return self in _OPEN

    @property
    def is_inflight(self) -> bool:
        """True while a command awaits the venue's answer."""
        return self in _INFLIGHT


_CLOSED = frozenset(
    {
        OrderStatus.DENIED,
        OrderStatus.REJECTED,
        OrderStatus.CANCELED,
        OrderStatus.EXPIRED,
        OrderStatus.FILLED,
    }
)
_OPEN = frozenset(
    {
        OrderStatus.ACCEPTED,
        OrderStatus.TRIGGERED,
        OrderStatus.PENDING_UPDATE,
        OrderStatus.PENDING_CANCEL,
        OrderStatus.PARTIALLY_FILLED,
    }
)
_INFLIGHT = frozenset(
    {OrderStatus.SUBMITTED, OrderStatus.PENDING_UPDATE, OrderStatus.PENDING_CANCEL}
)


@unique
class ContingencyType(Enum):
    """How an order in a list depends on its siblings."""

    NO_CONTINGENCY = "NO_CONTINGENCY"
    OCO = "OCO"  #: one cancels the other
    OTO = "OTO"  #: one triggers the other
    OUO = "OUO"  #: one updates the other (fills reduce the sibling)


@unique
class OmsType(Enum):
    """Order management system: how fills are grouped into positions."""

    UNSPECIFIED = "UNSPECIFIED"  #: use the venue's default
    NETTING = "NETTING"  #: one position per instrument and strategy
    HEDGING = "HEDGING"  #: a new position for each opening order


@unique
class PositionSide(Enum):
    """Direction of a position."""

    FLAT = "FLAT"
    LONG = "LONG"
    SHORT = "SHORT"


@unique
class LiquiditySide(Enum):
    """Whether a fill added (maker) or removed (taker) liquidity."""

    NO_LIQUIDITY_SIDE = "NO_LIQUIDITY_SIDE"
    MAKER = "MAKER"
    TAKER = "TAKER"


@unique
class AggressorSide(Enum):
    """The side that crossed the spread in a public trade."""

    NO_AGGRESSOR = "NO_AGGRESSOR"
    BUYER = "BUYER"
    SELLER = "SELLER"


@unique
class BookAction(Enum):
    """What an order-book delta does to a level."""

    ADD = "ADD"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    CLEAR = "CLEAR"


@unique
class AccountType(Enum):
    """Cash accounts hold what they own; margin accounts can hold derivatives and shorts."""

    CASH = "CASH"
    MARGIN = "MARGIN"


@unique
class CurrencyType(Enum):
    """Kind of currency: crypto assets and fiat money differ in precision conventions."""

    CRYPTO = "CRYPTO"
    FIAT = "FIAT"


@unique
class TradingState(Enum):
    """What the risk engine lets through: everything, only reducing orders, or nothing new."""

    ACTIVE = "ACTIVE"  #: all orders pass the pre-trade checks as usual
    REDUCING = "REDUCING"  #: only orders that reduce an open position are allowed
    HALTED = "HALTED"  #: no new orders or modifies; cancels still go through
