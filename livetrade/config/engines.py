"""Settings of the data, risk and execution engines and of the portfolio.

Key names, meanings and defaults follow the live-trading guide, so a
NautilusTrader user can carry a configuration over unchanged. Units are in the
names: ``_ms`` milliseconds, ``_secs`` seconds, ``_mins`` minutes.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Final, final

import attrs

from livetrade.config._checks import (
    Check,
    bare_key,
    describe,
    non_negative_int,
    non_negative_seconds,
    positive_int,
)
from livetrade.errors import ConfigError
from livetrade.model.identifiers import ClientOrderId, InstrumentId

__all__ = [
    "DataEngineConfig",
    "ExecEngineConfig",
    "PortfolioConfig",
    "RateLimit",
    "RiskEngineConfig",
    "parse_rate_limit",
]

_NS_PER_SEC: Final = 1_000_000_000
_RATE = re.compile(r"([0-9]+)/([0-9]{2}):([0-9]{2}):([0-9]{2})")
_RATE_EXPECTED: Final = (
    "a rate 'N/HH:MM:SS' with N ≥ 1 and a non-zero interval, e.g. '100/00:00:01'"
)
_QSIZE = positive_int("messages")


@final
@attrs.frozen(kw_only=True)
class RateLimit:
    """At most ``count`` messages per ``interval_ns`` nanoseconds."""

    count: int
    interval_ns: int


def parse_rate_limit(text: str) -> RateLimit:
    """Parse ``N/HH:MM:SS`` (such as ``100/00:00:01``) into a ``RateLimit``.

    Raises:
        ConfigError: the text is not in that form, N is 0, or the interval is 0.
    """
    parsed = _match_rate(text)
    if parsed is None:
        raise ConfigError([f"expected {_RATE_EXPECTED}, found {describe(text)}"])
    count, interval_secs = parsed
    return RateLimit(count=count, interval_ns=interval_secs * _NS_PER_SEC)


def _match_rate(value: object) -> tuple[int, int] | None:
    """Return (count, interval in seconds) for a valid rate string, else ``None``."""
    match = _RATE.fullmatch(value) if type(value) is str else None
    if match is None:
        return None
    count, hours, minutes, seconds = (int(part) for part in match.groups())
    interval_secs = hours * 3600 + minutes * 60 + seconds
    if count < 1 or minutes > 59 or seconds > 59 or interval_secs == 0:
        return None
    return count, interval_secs


_RATE_CHECK = Check(_RATE_EXPECTED, lambda v: _match_rate(v) is not None)
_NOTIONAL_EXPECTED: Final = (
    "a positive decimal amount written as a string or an integer (floats are not exact)"
)


def _check_notionals(
    instance: object, attribute: attrs.Attribute[Any], value: dict[InstrumentId, Decimal]
) -> None:
    problems = []
    for instrument_id, amount in value.items():
        if not (type(amount) is Decimal and amount.is_finite() and amount > 0):
            key = f"{attribute.name}.{bare_key(str(instrument_id))}"
            problems.append(f"{key}: expected {_NOTIONAL_EXPECTED}, found {describe(amount)}")
    if problems:
        raise ConfigError(problems)


@final
@attrs.frozen(kw_only=True)
class DataEngineConfig:
    """The data engine's queue and debugging switches."""

    qsize: int = attrs.field(default=100_000, validator=_QSIZE)
    graceful_shutdown_on_exception: bool = False
    debug: bool = False


@final
@attrs.frozen(kw_only=True)
class RiskEngineConfig:
    """Pre-trade limits applied to every order before it reaches a venue.

    ``bypass`` skips every check (only for venues that enforce their own).
    Rates are ``N/HH:MM:SS``; ``max_notional_per_order`` caps one order's
    notional value per instrument.
    """

    bypass: bool = False
    max_order_submit_rate: str = attrs.field(default="100/00:00:01", validator=_RATE_CHECK)
    max_order_modify_rate: str = attrs.field(default="100/00:00:01", validator=_RATE_CHECK)
    max_notional_per_order: dict[InstrumentId, Decimal] = attrs.field(
        factory=dict, validator=_check_notionals
    )
    debug: bool = False
    qsize: int = attrs.field(default=100_000, validator=_QSIZE)
    graceful_shutdown_on_exception: bool = False

    @property
    def submit_rate_limit(self) -> RateLimit:
        """``max_order_submit_rate`` parsed into (count, interval_ns)."""
        return parse_rate_limit(self.max_order_submit_rate)

    @property
    def modify_rate_limit(self) -> RateLimit:
        """``max_order_modify_rate`` parsed into (count, interval_ns)."""
        return parse_rate_limit(self.max_order_modify_rate)


def _mins(*, optional: bool = False) -> Check:
    return non_negative_int("minutes", optional=optional)


def _ms() -> Check:
    return non_negative_int("milliseconds")


def _retries() -> Check:
    return non_negative_int("retries")


@final
@attrs.frozen(kw_only=True)
class ExecEngineConfig:
    """Reconciliation, continuous checks, purging and queueing of the execution engine.

    Every key and default is the guide's, plus the ``position_check_*`` keys of
    the continuous position check. An interval of ``None`` (or 0) means the job
    does not run at all.
    """

    # Startup reconciliation.
    reconciliation: bool = True
    reconciliation_lookback_mins: int | None = attrs.field(
        default=None, validator=_mins(optional=True)
    )
    reconciliation_instrument_ids: list[InstrumentId] | None = None
    filtered_client_order_ids: list[ClientOrderId] | None = None
    # Order filtering.
    filter_unclaimed_external_orders: bool = False
    filter_position_reports: bool = False
    # Continuous reconciliation.
    inflight_check_interval_ms: int = attrs.field(default=2_000, validator=_ms())
    inflight_check_threshold_ms: int = attrs.field(default=5_000, validator=_ms())
    inflight_check_retries: int = attrs.field(default=5, validator=_retries())
    open_check_interval_secs: float | None = attrs.field(
        default=None, validator=non_negative_seconds(optional=True)
    )
    open_check_open_only: bool = True
    open_check_lookback_mins: int = attrs.field(default=60, validator=_mins())
    open_check_threshold_ms: int = attrs.field(default=5_000, validator=_ms())
    open_check_missing_retries: int = attrs.field(default=5, validator=_retries())
    max_single_order_queries_per_cycle: int = attrs.field(
        default=10, validator=positive_int("queries")
    )
    single_order_query_delay_ms: int = attrs.field(default=100, validator=_ms())
    reconciliation_startup_delay_secs: float = attrs.field(
        default=10.0, validator=non_negative_seconds()
    )
    own_books_audit_interval_secs: float | None = attrs.field(
        default=None, validator=non_negative_seconds(optional=True)
    )
    # Continuous position check.
    position_check_interval_secs: float | None = attrs.field(
        default=None, validator=non_negative_seconds(optional=True)
    )
    position_check_lookback_mins: int = attrs.field(default=60, validator=_mins())
    position_check_threshold_ms: int = attrs.field(default=5_000, validator=_ms())
    # Additional options.
    generate_missing_orders: bool = True
    snapshot_orders: bool = False
    snapshot_positions: bool = False
    snapshot_positions_interval_secs: float | None = attrs.field(
        default=None, validator=non_negative_seconds(optional=True)
    )
    debug: bool = False
    # Memory management.
    purge_closed_orders_interval_mins: int | None = attrs.field(
        default=None, validator=_mins(optional=True)
    )
    purge_closed_orders_buffer_mins: int | None = attrs.field(
        default=None, validator=_mins(optional=True)
    )
    purge_closed_positions_interval_mins: int | None = attrs.field(
        default=None, validator=_mins(optional=True)
    )
    purge_closed_positions_buffer_mins: int | None = attrs.field(
        default=None, validator=_mins(optional=True)
    )
    purge_account_events_interval_mins: int | None = attrs.field(
        default=None, validator=_mins(optional=True)
    )
    purge_account_events_lookback_mins: int | None = attrs.field(
        default=None, validator=_mins(optional=True)
    )
    purge_from_database: bool = False
    # Queue management.
    qsize: int = attrs.field(default=100_000, validator=_QSIZE)
    graceful_shutdown_on_exception: bool = False


@final
@attrs.frozen(kw_only=True)
class PortfolioConfig:
    """How the portfolio values positions."""

    use_mark_prices: bool = False
    convert_to_account_base_currency: bool = True
    debug: bool = False
