"""TOML settings of the sandbox adapter, and instruments built from them.

``[data_clients.NAME] adapter = "sandbox"`` defines the market: its instruments
and where quotes and trades come from (a seeded random walk, or a CSV file per
instrument). ``[exec_clients.NAME] adapter = "sandbox"`` defines the account:
type, starting balances, latency, the state file and the faults to inject. Both
name the same ``venue``; clients of one venue in one node share one simulated
exchange.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import attrs

from livetrade.config._checks import non_negative_int, one_of, positive_int, token
from livetrade.model.identifiers import InstrumentId, Symbol
from livetrade.model.instruments import CryptoPerpetual, CurrencyPair, Instrument
from livetrade.model.money import Currency, Money
from livetrade.model.quantities import Price, Quantity

__all__ = [
    "SandboxDataConfig",
    "SandboxDisconnect",
    "SandboxExecConfig",
    "SandboxFaultsConfig",
    "SandboxInstrumentConfig",
    "build_instrument",
    "parse_balance",
]

DEFAULT_VENUE = "SANDBOX"


def _probability(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise ValueError(f"{attribute.name}: expected a probability from 0 to 1, got {value!r}")


@attrs.frozen(kw_only=True)
class SandboxInstrumentConfig:
    """One tradable instrument of the sandbox venue and its simulated market."""

    symbol: str = attrs.field(validator=token("a symbol such as BTCUSDT"))
    kind: Literal["spot", "perpetual"] = attrs.field(
        default="spot", validator=one_of("spot", "perpetual")
    )
    base: str = attrs.field(validator=token("a currency code"))
    quote: str = attrs.field(validator=token("a currency code"))
    price_precision: int = attrs.field(default=2, validator=non_negative_int())
    size_precision: int = attrs.field(default=3, validator=non_negative_int())
    maker_fee: Decimal = Decimal("0.0002")
    taker_fee: Decimal = Decimal("0.0005")
    margin_init: Decimal = Decimal("0.1")
    margin_maint: Decimal = Decimal("0.05")
    #: Random walk: first mid price, bid/ask spread and largest step, in price ticks.
    start_price: Decimal = Decimal("50000")
    spread_ticks: int = attrs.field(default=2, validator=positive_int("ticks"))
    step_ticks: int = attrs.field(default=5, validator=positive_int("ticks"))
    #: Random walk: top-of-book size drawn between these (in lots of size_increment).
    min_size_lots: int = attrs.field(default=100, validator=positive_int("lots"))
    max_size_lots: int = attrs.field(default=5_000, validator=positive_int("lots"))
    #: Replay quotes/trades from this CSV file instead of the random walk.
    csv: Path | None = None


@attrs.frozen(kw_only=True)
class SandboxDataConfig:
    """``[data_clients.NAME] adapter = "sandbox"``: the market of the venue."""

    venue: str = attrs.field(default=DEFAULT_VENUE, validator=token("a venue name"))
    instruments: list[SandboxInstrumentConfig] = attrs.field(
        factory=lambda: [SandboxInstrumentConfig(symbol="BTCUSDT", base="BTC", quote="USDT")]
    )
    #: Random walk rate, quotes per second per instrument.
    rate: int = attrs.field(default=10, validator=positive_int("messages per second"))
    #: One public trade every this many quotes (0: no trades).
    trade_every: int = attrs.field(default=5, validator=non_negative_int("quotes"))
    seed: int = 1
    #: CSV replay speed (2.0 replays twice as fast as recorded).
    replay_speed: float = 1.0


@attrs.frozen(kw_only=True)
class SandboxDisconnect:
    """Drop the execution stream from ``at_secs`` after connect for ``duration_secs``."""

    at_secs: float
    duration_secs: float


@attrs.frozen(kw_only=True)
class SandboxFaultsConfig:
    """Faults to inject, each decided by a generator seeded with ``seed``."""

    seed: int = 0
    drop_ack: float = attrs.field(default=0.0, validator=_probability)
    drop_fill: float = attrs.field(default=0.0, validator=_probability)
    duplicate_fill: float = attrs.field(default=0.0, validator=_probability)
    reorder_fill_before_ack: float = attrs.field(default=0.0, validator=_probability)
    delay: float = attrs.field(default=0.0, validator=_probability)
    delay_ms: int = attrs.field(default=0, validator=non_negative_int("milliseconds"))
    disconnects: list[SandboxDisconnect] = attrs.field(factory=list)
    reports: Literal["ok", "fail", "hang"] = attrs.field(
        default="ok", validator=one_of("ok", "fail", "hang")
    )


@attrs.frozen(kw_only=True)
class SandboxExecConfig:
    """``[exec_clients.NAME] adapter = "sandbox"``: the account at the venue."""

    venue: str = attrs.field(default=DEFAULT_VENUE, validator=token("a venue name"))
    account_id: str | None = None
    account_type: Literal["cash", "margin"] = attrs.field(
        default="cash", validator=one_of("cash", "margin")
    )
    starting_balances: list[str] = attrs.field(factory=lambda: ["100000 USDT", "1 BTC"])
    leverage: Decimal = Decimal(1)
    #: Delay of every venue message (acks, fills, cancels) to the node.
    latency_ms: int = attrs.field(default=5, validator=non_negative_int("milliseconds"))
    #: Where the venue keeps its state between runs (relative to the config file).
    state_file: Path | None = Path("sandbox-state.json")
    faults: SandboxFaultsConfig = attrs.field(factory=SandboxFaultsConfig)

    def __attrs_post_init__(self) -> None:
        for text in self.starting_balances:
            parse_balance(text)


def parse_balance(text: str) -> Money:
    """``"100000 USDT"`` -> Money; ValueError naming the expected form otherwise."""
    parts = text.split()
    if len(parts) != 2:
        raise ValueError(f"starting_balances: expected 'AMOUNT CURRENCY', got {text!r}")
    amount, code = parts
    try:
        return Money(amount, Currency.from_str(code))
    except Exception as exc:
        raise ValueError(f"starting_balances: {text!r} is not a balance ({exc})") from None


def build_instrument(venue: str, spec: SandboxInstrumentConfig) -> Instrument:
    """The instrument ``spec`` describes on ``venue``."""
    instrument_id = InstrumentId(f"{spec.symbol}.{venue}")
    common: dict[str, Any] = {
        "instrument_id": instrument_id,
        "raw_symbol": Symbol(spec.symbol),
        "base_currency": Currency.from_str(spec.base),
        "quote_currency": Currency.from_str(spec.quote),
        "price_precision": spec.price_precision,
        "size_precision": spec.size_precision,
        "price_increment": Price(_increment(spec.price_precision), spec.price_precision),
        "size_increment": Quantity(_increment(spec.size_precision), spec.size_precision),
        "maker_fee": spec.maker_fee,
        "taker_fee": spec.taker_fee,
    }
    if spec.kind == "perpetual":
        return CryptoPerpetual(
            **common, margin_init=spec.margin_init, margin_maint=spec.margin_maint
        )
    return CurrencyPair(**common)


def _increment(precision: int) -> Decimal:
    return Decimal(1).scaleb(-precision)
