"""Shared builders and invariant checks for the sandbox exchange tests.

Instruments: ``PAIR`` is ETH/USDT spot (tick 0.01, lot 0.001, maker 0.1%,
taker 0.2%); ``PERP`` is a BTC/USDT linear perpetual (tick 0.1, lot 0.001,
maker 0.02%, taker 0.05%, initial margin 10%, maintenance 5%).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from livetrade.adapters.sandbox.accounts import MarginAccount
from livetrade.adapters.sandbox.exchange import SandboxExchange
from livetrade.adapters.sandbox.messages import Filled
from livetrade.model.data import QuoteTick, TradeTick
from livetrade.model.enums import AccountType, AggressorSide, OrderSide
from livetrade.model.events import OrderInitialized
from livetrade.model.identifiers import AccountId, InstrumentId, Symbol, TradeId, Venue
from livetrade.model.instruments import CryptoPerpetual, CurrencyPair, Instrument
from livetrade.model.money import Currency, Money
from livetrade.model.quantities import Price, Quantity
from livetrade.testing import make_order_init

VENUE = Venue("SANDBOX")
ACCOUNT = AccountId("SANDBOX-001")
USDT = Currency.from_str("USDT")
ETH = Currency.from_str("ETH")
BTC = Currency.from_str("BTC")

PAIR = CurrencyPair(
    instrument_id=InstrumentId("ETHUSDT.SANDBOX"),
    raw_symbol=Symbol("ETHUSDT"),
    base_currency=ETH,
    quote_currency=USDT,
    price_precision=2,
    size_precision=3,
    price_increment=Price("0.01"),
    size_increment=Quantity("0.001"),
    min_quantity=Quantity("0.001"),
    max_quantity=Quantity("1000.000"),
    maker_fee=Decimal("0.001"),
    taker_fee=Decimal("0.002"),
)
PERP = CryptoPerpetual(
    instrument_id=InstrumentId("BTCUSDT-PERP.SANDBOX"),
    raw_symbol=Symbol("BTCUSDT"),
    base_currency=BTC,
    quote_currency=USDT,
    price_precision=1,
    size_precision=3,
    price_increment=Price("0.1"),
    size_increment=Quantity("0.001"),
    maker_fee=Decimal("0.0002"),
    taker_fee=Decimal("0.0005"),
    margin_init=Decimal("0.1"),
    margin_maint=Decimal("0.05"),
)


def cash_exchange(usdt: str = "10000", eth: str | None = "10") -> SandboxExchange:
    """A CASH account trading PAIR with ``usdt`` (and ``eth``) to start with."""
    balances = [Money(usdt, USDT)]
    if eth is not None:
        balances.append(Money(eth, ETH))
    return SandboxExchange(
        venue=VENUE,
        account_id=ACCOUNT,
        account_type=AccountType.CASH,
        instruments=[PAIR],
        starting_balances=balances,
    )


def margin_exchange(usdt: str = "10000", leverage: str = "1") -> SandboxExchange:
    """A MARGIN account trading PERP (and PAIR) with a USDT wallet."""
    return SandboxExchange(
        venue=VENUE,
        account_id=ACCOUNT,
        account_type=AccountType.MARGIN,
        instruments=[PERP, PAIR],
        starting_balances=[Money(usdt, USDT)],
        leverage=Decimal(leverage),
    )


def order(
    client_order_id: str = "O-1",
    *,
    instrument: Instrument = PAIR,
    quantity: str = "1.000",
    price: str | None = "100.00",
    **kwargs: Any,
) -> OrderInitialized:
    """An ``OrderInitialized`` for ``instrument`` (a BUY LIMIT GTC unless told)."""
    return make_order_init(
        client_order_id,
        instrument_id=str(instrument.instrument_id),
        quantity=quantity,
        price=price,
        **kwargs,
    )


def quote(
    bid: str,
    ask: str,
    bid_size: str = "1.000",
    ask_size: str = "1.000",
    *,
    ts: int = 10,
    instrument: Instrument = PAIR,
) -> QuoteTick:
    return QuoteTick(
        instrument_id=instrument.instrument_id,
        bid_price=Price(bid),
        ask_price=Price(ask),
        bid_size=Quantity(bid_size),
        ask_size=Quantity(ask_size),
        ts_event=ts,
        ts_init=ts,
    )


def trade(price: str, *, ts: int = 10, instrument: Instrument = PAIR) -> TradeTick:
    return TradeTick(
        instrument_id=instrument.instrument_id,
        price=Price(price),
        size=Quantity("1.000"),
        aggressor_side=AggressorSide.BUYER,
        trade_id=TradeId(f"X-{ts}"),
        ts_event=ts,
        ts_init=ts,
    )


def kinds(msgs: Any) -> list[str]:
    """The message class names, in order: ``["Accepted", "Filled"]``."""
    return [type(msg).__name__ for msg in msgs]


def fills_of(msgs: Any) -> list[tuple[str, str, str, str]]:
    """``(qty, px, commission, liquidity)`` of each ``Filled`` in ``msgs``."""
    return [
        (str(m.last_qty), str(m.last_px), str(m.commission), m.liquidity_side.name)
        for m in msgs
        if isinstance(m, Filled)
    ]


def balance(exchange: SandboxExchange, currency: Currency) -> tuple[str, str, str]:
    """``(total, locked, free)`` of ``currency`` as strings of exact amounts."""
    state = exchange.account_state(0).balance(currency)
    assert state is not None
    total, locked, free = (f"{m.as_decimal():f}" for m in (state.total, state.locked, state.free))
    return total, locked, free


def check_invariants(exchange: SandboxExchange) -> None:
    """The venue's bookkeeping agrees with itself.

    - each working order's lock is exactly what its leaves and terms need, and
      the account's locked amount per currency is the sum of those locks plus
      position margins;
    - each order's filled quantity is the sum of its fills and at most its quantity;
    - each venue position is the signed sum of that instrument's fills.
    """
    account = exchange.account
    expected: dict[str, int] = defaultdict(int)
    for record in exchange.orders():
        instrument = next(
            i for i in exchange.instruments if i.instrument_id == record.instrument_id
        )
        if record.is_working:
            assert record.locked == account.required_lock(record, instrument), record
        else:
            assert record.locked is None, record
        if record.locked is not None:
            expected[record.locked.currency.code] += record.locked.raw
    if isinstance(account, MarginAccount):
        for margin in account.position_margin.values():
            expected[margin.currency.code] += margin.raw
    for currency, locked in account.locked.items():
        assert locked == expected.get(currency, 0), (currency, locked, expected)
    filled: dict[object, int] = defaultdict(int)
    positions: dict[InstrumentId, int] = defaultdict(int)
    for fill in exchange.fills():
        filled[fill.client_order_id] += fill.last_qty.raw
        sign = 1 if fill.order_side is OrderSide.BUY else -1
        positions[fill.instrument_id] += sign * fill.last_qty.raw
    for record in exchange.orders():
        assert record.filled_raw == filled.get(record.client_order_id, 0), record
        assert record.filled_raw <= record.quantity.raw, record
    for iid, position in account.positions.items():
        assert position.signed_raw == positions.get(iid, 0), iid


def check_message_order(msgs: Any, accepted: set[object]) -> None:
    """Every ``Filled`` (and ``Triggered``) comes after its order's ``Accepted``.

    ``accepted`` carries the client order ids accepted by earlier calls and is
    updated with this call's.
    """
    for msg in msgs:
        name = type(msg).__name__
        if name == "Accepted":
            accepted.add(msg.client_order_id)
        elif name in ("Filled", "Triggered", "Amended", "Expired"):
            assert msg.client_order_id in accepted, msg
