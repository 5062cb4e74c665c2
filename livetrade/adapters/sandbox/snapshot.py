"""``SandboxExchange.to_dict``/``from_dict``: the venue's whole state as JSON-ready data.

Every number is a string (prices, quantities and money as decimals at their
precision, timestamps and counters as integers, exact averages as ``"n/d"``), so
the data survives JSON and any reader without float rounding. What can be
derived is not stored: an order's filled quantity and average price come from
its fills, the account's locked totals from the orders' locks, position margins
from the positions. ``"version"`` is 1; any other version is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final

from livetrade.adapters.sandbox.accounts import MarginAccount, VenuePosition
from livetrade.adapters.sandbox.matching import SandboxOrder
from livetrade.adapters.sandbox.messages import Filled
from livetrade.errors import InvalidValue
from livetrade.model.data import QuoteTick
from livetrade.model.enums import (
    AccountType,
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from livetrade.model.identifiers import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    StrategyId,
    TradeId,
    TraderId,
    Venue,
    VenueOrderId,
)
from livetrade.model.instruments import Instrument
from livetrade.model.money import Currency, Money
from livetrade.model.quantities import FIXED_PRECISION, FIXED_SCALAR, Price, Quantity

if TYPE_CHECKING:
    from livetrade.adapters.sandbox.exchange import SandboxExchange

__all__ = ["VERSION", "dump", "load"]

VERSION: Final = 1


# -- dump ------------------------------------------------------------------------------


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def _money(money: Money | None) -> dict[str, str] | None:
    if money is None:
        return None
    return {"amount": str(money.as_decimal()), "currency": money.currency.code}


def _raw_qty(raw: int) -> str:
    """A signed raw quantity as a plain decimal string without trailing zeros."""
    text = str(Quantity.from_raw(abs(raw), FIXED_PRECISION)).rstrip("0").rstrip(".")
    return f"-{text}" if raw < 0 else text


def _order(order: SandboxOrder) -> dict[str, Any]:
    return {
        "client_order_id": str(order.client_order_id),
        "venue_order_id": str(order.venue_order_id),
        "instrument_id": str(order.instrument_id),
        "trader_id": str(order.trader_id),
        "strategy_id": str(order.strategy_id),
        "side": order.side.value,
        "order_type": order.order_type.value,
        "time_in_force": order.time_in_force.value,
        "quantity": str(order.quantity),
        "price": _opt(order.price),
        "trigger_price": _opt(order.trigger_price),
        "expire_time_ns": _opt(order.expire_time_ns),
        "expires_at_ns": _opt(order.expires_at_ns),
        "post_only": order.post_only,
        "reduce_only": order.reduce_only,
        "status": order.status.value,
        "triggered": order.triggered,
        "seq": str(order.seq),
        "ts_accepted": str(order.ts_accepted),
        "ts_last": str(order.ts_last),
        "cancel_reason": order.cancel_reason,
        "lock_px": _opt(order.lock_px),
        "locked": _money(order.locked),
    }


def _fill(fill: Filled) -> dict[str, Any]:
    return {
        "client_order_id": str(fill.client_order_id),
        "venue_order_id": str(fill.venue_order_id),
        "instrument_id": str(fill.instrument_id),
        "ts": str(fill.ts),
        "trade_id": str(fill.trade_id),
        "order_side": fill.order_side.value,
        "order_type": fill.order_type.value,
        "last_qty": str(fill.last_qty),
        "last_px": str(fill.last_px),
        "commission": _money(fill.commission),
        "liquidity_side": fill.liquidity_side.value,
    }


def _quote(quote: QuoteTick | None) -> dict[str, str] | None:
    if quote is None:
        return None
    return {
        "bid_price": str(quote.bid_price),
        "ask_price": str(quote.ask_price),
        "bid_size": str(quote.bid_size),
        "ask_size": str(quote.ask_size),
        "ts_event": str(quote.ts_event),
        "ts_init": str(quote.ts_init),
    }


def _fraction(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def dump(exchange: SandboxExchange) -> dict[str, Any]:
    """``exchange``'s state; ``load`` rebuilds an exchange that behaves the same."""
    account = exchange._account
    return {
        "version": VERSION,
        "venue": str(exchange.venue),
        "account_id": str(exchange.account_id),
        "account_type": exchange.account_type.value,
        "leverage": str(account.leverage),
        "counters": {
            "orders": str(exchange._order_count),
            "trades": str(exchange._engine.trade_count),
            "seq": str(exchange._engine.seq),
        },
        "balances": [
            {
                "currency": code,
                "total": str(Money.from_raw(account.total[code], currency).as_decimal()),
            }
            for code, currency in account.currencies.items()
        ],
        "balances_changed": account.changed,
        "positions": [
            {
                "instrument_id": str(iid),
                "signed_qty": _raw_qty(position.signed_raw),
                "avg_px_open": _fraction(position.avg_px_open),
                "ts_last": str(position.ts_last),
            }
            for iid, position in account.positions.items()
        ],
        "books": [
            {
                "instrument_id": str(iid),
                "quote": _quote(book.quote),
                "bid_left": _raw_qty(book.sizes_left()[0] if book.quote is not None else 0),
                "ask_left": _raw_qty(book.sizes_left()[1] if book.quote is not None else 0),
                "last_trade": _opt(book.last_trade),
            }
            for iid, book in exchange._books.items()
        ],
        "orders": [_order(order) for order in exchange._orders.values()],
        "fills": [_fill(fill) for fill in exchange._engine.fills],
    }


# -- load ------------------------------------------------------------------------------


class _Reader:
    """Typed access to the stored values, with the currencies of the instruments."""

    def __init__(self, instruments: Sequence[Instrument]) -> None:
        self.currencies: dict[str, Currency] = {}
        for instrument in instruments:
            for currency in (
                instrument.base_currency,
                instrument.quote_currency,
                instrument.settlement_currency,
            ):
                self.currencies[currency.code] = currency

    def currency(self, code: str) -> Currency:
        known = self.currencies.get(code)
        return known if known is not None else Currency.from_str(code)

    def money(self, data: Mapping[str, str] | None) -> Money | None:
        if data is None:
            return None
        return Money(data["amount"], self.currency(data["currency"]))

    def money_required(self, data: Mapping[str, str]) -> Money:
        return Money(data["amount"], self.currency(data["currency"]))

    @staticmethod
    def price(value: str | None) -> Price | None:
        return None if value is None else Price(value)

    @staticmethod
    def int_or_none(value: str | None) -> int | None:
        return None if value is None else int(value)


def _raw(value: str) -> int:
    return Quantity(value).raw if not value.startswith("-") else -Quantity(value[1:]).raw


def _parse_fraction(value: str) -> Fraction:
    numerator, _, denominator = value.partition("/")
    return Fraction(int(numerator), int(denominator))


def _avg_raw(avg_px: Fraction) -> int | Fraction:
    raw = avg_px * FIXED_SCALAR
    return raw.numerator if raw.denominator == 1 else raw


def load(
    cls: type[SandboxExchange], data: Mapping[str, Any], instruments: Sequence[Instrument]
) -> SandboxExchange:
    """Rebuild an exchange from ``dump`` output; ``InvalidValue`` if it cannot be."""
    version = data.get("version") if isinstance(data, Mapping) else None
    if version != VERSION:
        raise InvalidValue(
            f"sandbox exchange state has version {version!r}; this livetrade reads "
            f"version {VERSION} only"
        )
    try:
        return _load(cls, data, instruments)
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        if isinstance(exc, InvalidValue) and str(exc).startswith("sandbox exchange state"):
            raise
        raise InvalidValue(
            f"sandbox exchange state is malformed: {type(exc).__name__}: {exc}"
        ) from exc


def _load(
    cls: type[SandboxExchange], data: Mapping[str, Any], instruments: Sequence[Instrument]
) -> SandboxExchange:
    read = _Reader(instruments)
    exchange = cls(
        venue=Venue(data["venue"]),
        account_id=AccountId(data["account_id"]),
        account_type=AccountType(data["account_type"]),
        instruments=instruments,
        starting_balances=[],
        leverage=Decimal(data["leverage"]),
    )
    counters = data["counters"]
    exchange._order_count = int(counters["orders"])
    exchange._engine.trade_count = int(counters["trades"])
    exchange._engine.seq = int(counters["seq"])
    account = exchange._account
    known = exchange._instruments
    for item in data["balances"]:
        currency = read.currency(item["currency"])
        account.set_total(currency, Money(item["total"], currency).raw)

    def instrument_of(value: str) -> Instrument:
        iid = InstrumentId(value)
        if iid not in known:
            raise InvalidValue(
                f"sandbox exchange state: instrument {iid} is not among the instruments given"
            )
        return known[iid]

    for item in data["positions"]:
        iid = instrument_of(item["instrument_id"]).instrument_id
        account.positions[iid] = VenuePosition(
            iid,
            signed_raw=_raw(item["signed_qty"]),
            avg_raw=_avg_raw(_parse_fraction(item["avg_px_open"])),
            ts_last=int(item["ts_last"]),
        )
    for item in data["books"]:
        instrument = instrument_of(item["instrument_id"])
        book = exchange._books[instrument.instrument_id]
        quote = item["quote"]
        if quote is not None:
            book.quote = QuoteTick(
                instrument_id=instrument.instrument_id,
                bid_price=Price(quote["bid_price"]),
                ask_price=Price(quote["ask_price"]),
                bid_size=Quantity(quote["bid_size"]),
                ask_size=Quantity(quote["ask_size"]),
                ts_event=int(quote["ts_event"]),
                ts_init=int(quote["ts_init"]),
            )
        book.bid_left = _raw(item["bid_left"])
        book.ask_left = _raw(item["ask_left"])
        book.last_trade = read.price(item["last_trade"])
    for item in data["fills"]:
        exchange._engine.fills.append(
            Filled(
                client_order_id=ClientOrderId(item["client_order_id"]),
                venue_order_id=VenueOrderId(item["venue_order_id"]),
                instrument_id=instrument_of(item["instrument_id"]).instrument_id,
                ts=int(item["ts"]),
                trade_id=TradeId(item["trade_id"]),
                order_side=OrderSide(item["order_side"]),
                order_type=OrderType(item["order_type"]),
                last_qty=Quantity(item["last_qty"]),
                last_px=Price(item["last_px"]),
                commission=read.money_required(item["commission"]),
                liquidity_side=LiquiditySide(item["liquidity_side"]),
            )
        )
    fills_by_order: dict[ClientOrderId, list[Filled]] = {}
    for fill in exchange._engine.fills:
        fills_by_order.setdefault(fill.client_order_id, []).append(fill)
    for item in data["orders"]:
        order = _load_order(item, read, instrument_of)
        for fill in fills_by_order.get(order.client_order_id, ()):
            order.filled_raw += fill.last_qty.raw
            order.fill_cost += fill.last_px.raw * fill.last_qty.raw
        exchange._orders[order.client_order_id] = order
        exchange._by_venue_id[order.venue_order_id] = order
        account.set_lock(order, read.money(item["locked"]))
    for order in sorted(exchange._orders.values(), key=lambda o: o.seq):
        if order.is_working:
            exchange._books[order.instrument_id].add(order)
    if isinstance(account, MarginAccount):
        for iid in account.positions:
            account.refresh_position_margin(known[iid])
    account.changed = bool(data["balances_changed"])
    return exchange


def _load_order(
    item: Mapping[str, Any], read: _Reader, instrument_of: Callable[[str], Instrument]
) -> SandboxOrder:
    instrument = instrument_of(item["instrument_id"])
    return SandboxOrder(
        client_order_id=ClientOrderId(item["client_order_id"]),
        venue_order_id=VenueOrderId(item["venue_order_id"]),
        instrument_id=instrument.instrument_id,
        trader_id=TraderId(item["trader_id"]),
        strategy_id=StrategyId(item["strategy_id"]),
        side=OrderSide(item["side"]),
        order_type=OrderType(item["order_type"]),
        time_in_force=TimeInForce(item["time_in_force"]),
        quantity=Quantity(item["quantity"]),
        price=read.price(item["price"]),
        trigger_price=read.price(item["trigger_price"]),
        expire_time_ns=read.int_or_none(item["expire_time_ns"]),
        expires_at_ns=read.int_or_none(item["expires_at_ns"]),
        post_only=bool(item["post_only"]),
        reduce_only=bool(item["reduce_only"]),
        status=OrderStatus(item["status"]),
        triggered=bool(item["triggered"]),
        seq=int(item["seq"]),
        ts_accepted=int(item["ts_accepted"]),
        ts_last=int(item["ts_last"]),
        cancel_reason=item["cancel_reason"],
        lock_px=read.price(item["lock_px"]),
    )
